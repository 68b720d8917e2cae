/**
 * Who changed what behind plumber's back (pure, no I/O): the field paths where a live object differs from
 * what plumber renders (only fields plumber sets), the field managers whose `metadata.managedFields`
 * entries touch those paths, and the record and message a reverted drift is reported with.
 *
 * Paths read like kubectl's: `spec.replicas`, `spec.template.spec.containers[name=web].image`,
 * `data["tls.crt"]`. They name fields, never values (a Secret's drift shows which keys changed, not how).
 *
 * @example
 * ```ts
 * const fields = changedPaths(rendered, live); // ["spec.replicas"]
 * const who = managersTouching(live.metadata.managedFields, fields, "plumber");
 * // [{ manager: "kubectl-scale", operation: "Update", time: "2026-12-02T10:42:07Z", paths: ["spec.replicas"] }]
 * ```
 *
 * @module
 */

/** One step of a field path. */
export type PathSegment =
  | { field: string }
  | { index: number }
  /** A list element picked by its merge key (`[name=web]`), as managedFields' `k:{...}`. */
  | { key: Record<string, unknown> }
  /** A set element picked by value, as managedFields' `v:...`. */
  | { value: unknown };

/** A `metadata.managedFields` entry, as the API server returns it. */
export interface ManagedFieldsEntry {
  manager?: string;
  operation?: string;
  apiVersion?: string;
  time?: string;
  fieldsType?: string;
  fieldsV1?: unknown;
  subresource?: string;
}

/** A field manager whose entry touches changed paths. */
export interface DriftCause {
  manager: string;
  operation?: string;
  time?: string;
  subresource?: string;
  /** The changed paths this entry touches. */
  paths: string[];
}

/** `status.clusters[].lastDrift`: the drift plumber reverted, and who caused it. */
export interface DriftRecord {
  time: string;
  kind: string;
  name: string;
  fields: string[];
  deleted: boolean;
  manager?: string;
  operation?: string;
  changedAt?: string;
}

/** Paths kept in a record (the CRD's `maxItems`). */
export const MAX_FIELDS = 32;

const PLAIN_FIELD = /^[A-Za-z_$][A-Za-z0-9_$-]*$/;

/** Formats a path as kubectl-like text. */
export function formatPath(segments: readonly PathSegment[]): string {
  let out = "";
  for (const s of segments) {
    if ("field" in s) {
      out += PLAIN_FIELD.test(s.field) ? (out ? `.${s.field}` : s.field) : `[${JSON.stringify(s.field)}]`;
    } else if ("index" in s) {
      out += `[${s.index}]`;
    } else if ("key" in s) {
      out += `[${
        Object.entries(s.key).map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`)
      }]`;
    } else {
      out += `[=${JSON.stringify(s.value)}]`;
    }
  }
  return out || "(root)";
}

function isEmpty(value: unknown): boolean {
  if (Array.isArray(value)) return value.length === 0;
  return typeof value === "object" && value !== null && Object.keys(value).length === 0;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The merge key of a list of objects that all carry a string `name` (containers, env, volumes, ports). */
function namedList(list: readonly unknown[]): boolean {
  return list.length > 0 && list.every((e) => isRecord(e) && typeof e.name === "string");
}

/**
 * Every path where `live` lacks or differs from a value `desired` sets (the rendered object: only fields
 * plumber sets are compared, so fields the API server defaulted or others own are not drift). The same
 * rules as `lib/diff.ts`'s `firstDifference`, but all paths, and list elements with a `name` by name.
 */
export function changedPaths(desired: unknown, live: unknown): string[] {
  const out: PathSegment[][] = [];
  collect(desired, live, [], out);
  return out.map(formatPath);
}

function collect(desired: unknown, live: unknown, path: PathSegment[], out: PathSegment[][]): void {
  if (desired === live) return;
  if (desired === null || live === null || typeof desired !== "object" || typeof live !== "object") {
    out.push(path);
    return;
  }
  if (Array.isArray(desired)) {
    if (!Array.isArray(live)) return void out.push(path);
    if (namedList(desired) && namedList(live)) {
      const before = out.length;
      const byName = new Map(live.map((e) => [(e as { name: string }).name, e]));
      for (const element of desired as Record<string, unknown>[]) {
        const name = element.name as string;
        const segment: PathSegment = { key: { name } };
        if (!byName.has(name)) out.push([...path, segment]);
        else collect(element, byName.get(name), [...path, segment], out);
      }
      // Extra elements in the live list: the list as a whole differs.
      if (out.length === before && live.length !== desired.length) out.push(path);
      return;
    }
    if (live.length !== desired.length) return void out.push(path);
    desired.forEach((element, i) => collect(element, live[i], [...path, { index: i }], out));
    return;
  }
  if (Array.isArray(live)) return void out.push(path);
  const l = live as Record<string, unknown>;
  for (const [key, value] of Object.entries(desired as Record<string, unknown>)) {
    if (value === undefined) continue;
    const child: PathSegment[] = [...path, { field: key }];
    if (!(key in l)) {
      // An empty map or list the server dropped (e.g. `data: {}`) is still "the same".
      if (!isEmpty(value)) out.push(child);
      continue;
    }
    collect(value, l[key], child, out);
  }
}

/**
 * The paths a `fieldsV1` tree owns (its leaves, and every element it owns as a whole, `"."`), e.g.
 * `{"f:spec":{"f:replicas":{}}}` -> `[[{field:"spec"},{field:"replicas"}]]`.
 */
export function fieldsV1Paths(fieldsV1: unknown): PathSegment[][] {
  const out: PathSegment[][] = [];
  walk(fieldsV1, [], out);
  return out;
}

function walk(node: unknown, path: PathSegment[], out: PathSegment[][]): void {
  if (!isRecord(node) || Object.keys(node).length === 0) {
    if (path.length > 0) out.push(path);
    return;
  }
  for (const [name, child] of Object.entries(node)) {
    if (name === ".") {
      if (path.length > 0) out.push(path);
      continue;
    }
    const segment = parseSegment(name);
    if (segment) walk(child, [...path, segment], out);
  }
}

function parseSegment(name: string): PathSegment | undefined {
  const rest = name.slice(2);
  try {
    switch (name.slice(0, 2)) {
      case "f:":
        return { field: rest };
      case "k:": {
        const key = JSON.parse(rest);
        return isRecord(key) ? { key } : undefined;
      }
      case "v:":
        return { value: JSON.parse(rest) };
      case "i:":
        return { index: Number(rest) };
    }
  } catch {
    // A malformed entry names nothing we can match.
  }
  return undefined;
}

/** Parses text from {@linkcode formatPath} back into segments. */
export function parsePath(path: string): PathSegment[] {
  const out: PathSegment[] = [];
  const re = /\[("(?:[^"\\]|\\.)*")\]|\[=([^\]]*)\]|\[(\d+)\]|\[([^\]=]+=[^\]]*)\]|\.?([^.[]+)/g;
  for (const m of path.matchAll(re)) {
    if (m[1] !== undefined) out.push({ field: JSON.parse(m[1]) });
    else if (m[2] !== undefined) out.push({ value: JSON.parse(m[2]) });
    else if (m[3] !== undefined) out.push({ index: Number(m[3]) });
    else if (m[4] !== undefined) {
      const key: Record<string, unknown> = {};
      for (const pair of m[4].split(",")) {
        const at = pair.indexOf("=");
        key[pair.slice(0, at)] = pair.slice(at + 1);
      }
      out.push({ key });
    } else if (m[5] !== undefined) out.push({ field: m[5] });
  }
  return out;
}

/** Whether two segments may name the same place (an index or a value matches any list element). */
function sameSegment(a: PathSegment, b: PathSegment): boolean {
  if ("field" in a || "field" in b) return "field" in a && "field" in b && a.field === b.field;
  if ("key" in a && "key" in b) {
    const common = Object.keys(a.key).filter((k) => k in b.key);
    return common.every((k) => String(a.key[k]) === String(b.key[k]));
  }
  return true;
}

/** True when one path is the other or lies within it (owning `spec` touches `spec.replicas`, and back). */
export function pathsOverlap(a: readonly PathSegment[], b: readonly PathSegment[]): boolean {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (!sameSegment(a[i]!, b[i]!)) return false;
  return true;
}

/**
 * The managedFields entries, other than `ownManager`'s, that touch any of `changed` (paths from
 * {@linkcode changedPaths}), the most recent first.
 */
export function managersTouching(
  managedFields: readonly ManagedFieldsEntry[] | undefined,
  changed: readonly string[],
  ownManager: string,
): DriftCause[] {
  const wanted = changed.map((p) => ({ text: p, segments: parsePath(p) }));
  const causes: DriftCause[] = [];
  for (const entry of managedFields ?? []) {
    if (!entry.manager || entry.manager === ownManager) continue;
    const owned = fieldsV1Paths(entry.fieldsV1);
    const paths = wanted.filter((w) => owned.some((o) => pathsOverlap(o, w.segments))).map((w) => w.text);
    if (paths.length === 0) continue;
    causes.push({
      manager: entry.manager,
      ...(entry.operation ? { operation: entry.operation } : {}),
      ...(entry.time ? { time: entry.time } : {}),
      ...(entry.subresource ? { subresource: entry.subresource } : {}),
      paths,
    });
  }
  return causes.sort((a, b) => (b.time ?? "").localeCompare(a.time ?? ""));
}

/** What a reverted drift is recorded as (`lastDrift`): the most recent cause names the manager. */
export function driftRecord(
  object: { kind: string; name: string },
  change: { fields: readonly string[]; causes: readonly DriftCause[] } | "deleted",
  now: Date,
): DriftRecord {
  const base = { time: now.toISOString().replace(/\.\d+Z$/, "Z"), kind: object.kind, name: object.name };
  if (change === "deleted") return { ...base, fields: [], deleted: true };
  const latest = change.causes[0];
  return {
    ...base,
    fields: change.fields.slice(0, MAX_FIELDS),
    deleted: false,
    ...(latest ? { manager: latest.manager } : {}),
    ...(latest?.operation ? { operation: latest.operation } : {}),
    ...(latest?.time ? { changedAt: latest.time } : {}),
  };
}

function listed(items: readonly string[], max: number): string {
  return items.slice(0, max).join(", ") + (items.length > max ? ` and ${items.length - max} more` : "");
}

/**
 * The DriftCorrected Event's message: `cluster c: Deployment ns/web: spec.replicas changed by
 * kubectl-scale (Update at 2026-12-02T10:42:07Z); reverted`. Paths and managers only, never values.
 */
export function driftMessage(
  cluster: string,
  object: { kind: string; namespace?: string; name: string },
  change: { fields: readonly string[]; causes: readonly DriftCause[] } | "deleted",
): string {
  const id = `${object.kind} ${object.namespace ? `${object.namespace}/` : ""}${object.name}`;
  if (change === "deleted") return `cluster ${cluster}: ${id}: deleted; re-created`;
  const who = change.causes.length === 0 ? "an unknown manager" : listed(
    change.causes.map((c) => {
      const how = [c.operation, c.subresource ? `of ${c.subresource}` : "", c.time ? `at ${c.time}` : ""]
        .filter((s) => s).join(" ");
      return how ? `${c.manager} (${how})` : c.manager;
    }),
    3,
  );
  return `cluster ${cluster}: ${id}: ${listed(change.fields, 5)} changed by ${who}; reverted`;
}
