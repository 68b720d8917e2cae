/**
 * What `plumberctl status` shows (pure, no I/O): a Replicator's status and its Events turned into a report
 * per cluster (each object's apply state, drift count and last drift or change, the workload's ready and
 * desired replicas) and rendered as a tree, or printed as JSON / YAML.
 *
 * Per-object drift counts and change times come from the operator's Events (one per Replicator and
 * reconcile, whose message names each reverted drift and what was applied, see {@linkcode eventObjects}),
 * so they cover what the API server still keeps (Events expire after an hour by default); the per-cluster
 * count and last drift come from the status.
 *
 * @module
 */

import type { ReplicatorStatus } from "../lib/api.ts";

/** What the report reads of a Replicator (the generated client's type and `lib/api.ts`'s both fit). */
export interface ReplicatorLike {
  metadata?: { name?: string; generation?: number };
  status?: ReplicatorStatus;
}

/** The last drift of a cluster, as `status.clusters[].lastDrift` holds it. */
export interface LastDrift {
  time: string;
  kind: string;
  name: string;
  fields?: string[];
  deleted?: boolean;
  manager?: string;
  operation?: string;
  changedAt?: string;
}

/** One replicated object in one cluster. */
export interface ObjectReport {
  kind: string;
  name: string;
  /** `applied`, `conflict: ...` or `failed: ...`. */
  applyStatus: string;
  /** Drifts reverted, from the Events the API server still keeps. */
  drifts: number;
  /** The cluster's last drift, when it was this object's. */
  lastDrift?: LastDrift;
  /** When plumber last applied or reverted it (from its Events). */
  lastChange?: string;
}

/** One cluster. */
export interface ClusterReport {
  name: string;
  targetedBy: string[];
  ready: boolean;
  replicas?: number;
  readyReplicas?: number;
  revision?: string;
  message?: string;
  /** Drifts reverted since the operator started. */
  driftCorrections: number;
  lastDrift?: LastDrift;
  objects: ObjectReport[];
}

/** A condition with its reason. */
export interface ConditionReport {
  type: string;
  status: string;
  reason: string;
  message: string;
}

/** What `plumberctl status -o json|yaml` prints. */
export interface StatusReport {
  name: string;
  synced: string;
  available: string;
  generation?: number;
  observedGeneration?: number;
  conditions: ConditionReport[];
  clusters: ClusterReport[];
}

/** An Event as the report reads it. */
export interface EventLike {
  reason?: string;
  message?: string;
  count?: number;
  lastTimestamp?: string | null;
  eventTime?: string | null;
  metadata?: { creationTimestamp?: string };
}

function eventTime(e: EventLike): string | undefined {
  return e.lastTimestamp ?? e.eventTime ?? e.metadata?.creationTimestamp ?? undefined;
}

const later = (a: string | undefined, b: string | undefined) => (!a ? b : !b ? a : a > b ? a : b);

/** One object in an `Applied` part: `<Kind> <ns>/<name>` or `<Kind> <name>`. */
const APPLIED_OBJECT = String.raw`[A-Z][A-Za-z0-9]* [^\s,;]+`;
/** One group of an `Applied` part: `<objects> in <clusters>`. */
const APPLIED_GROUP = new RegExp(
  String.raw`^(${APPLIED_OBJECT}(?:, ${APPLIED_OBJECT})*) in ([^\s,;]+(?:, [^\s,;]+)*)$`,
);
/** A `DriftCorrected` part's head: `cluster <c>: <Kind> <ns>/<name>: <what>` (then `reverted` / `re-created`). */
const DRIFT_HEAD = /^cluster ([^\s":;]+): ([A-Z][A-Za-z0-9]*) (?:[^/\s]+\/)?([^:\s]+): /;

/**
 * The objects an Event's message says plumber applied or reverted (pure): `cluster/Kind/name` with the
 * drifts reverted. The operator writes one Event per Replicator and reconcile whose message joins the
 * parts it had to say with "; ", each in its own wording, whatever the Event's reason
 * (`controllers/replicator/reconcile_events.ts`); earlier releases wrote each as its own Event. Read here:
 *
 * - `Applied <Kind> <ns>/<name>, <Kind> <ns>/<name> in <cluster>, <cluster>; <Kind> <ns>/<name> in
 *   <cluster>[; and in <n> more clusters]`;
 * - `cluster <c>: <Kind> <ns>/<name>: <fields> changed by <who>; reverted` and
 *   `cluster <c>: <Kind> <ns>/<name>: deleted; re-created` (one per reverted object).
 */
export function eventObjects(message: string): { key: string; drift: boolean; part?: string }[] {
  const out: { key: string; drift: boolean; part?: string }[] = [];
  const segments = message.split("; ");
  const appliedGroup = (text: string) => {
    const m = APPLIED_GROUP.exec(text);
    if (!m) return false;
    for (const cluster of m[2]!.split(", ")) {
      for (const object of m[1]!.split(", ")) {
        const [kind, id] = object.split(" ");
        out.push({ key: `${cluster}/${kind}/${id!.slice(id!.indexOf("/") + 1)}`, drift: false });
      }
    }
    return true;
  };
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i]!;
    if (segment.startsWith("Applied ") && appliedGroup(segment.slice("Applied ".length))) {
      // The part's further groups follow, each `<objects> in <clusters>`.
      while (i + 1 < segments.length && appliedGroup(segments[i + 1]!)) i++;
      continue;
    }
    const drift = DRIFT_HEAD.exec(segment);
    const next = segments[i + 1];
    if (drift && (next === "reverted" || next === "re-created")) {
      out.push({ key: `${drift[1]}/${drift[2]}/${drift[3]}`, drift: true, part: `${segment}; ${next}` });
      i++;
    }
  }
  return out;
}

/**
 * The reverted drifts an Event's message names, each as its own part says it (`cluster <c>: <Kind>
 * <ns>/<name>: <fields> changed by <who>; reverted`), in order.
 */
export function driftParts(message: string): string[] {
  return eventObjects(message).flatMap((o) => o.part ? [o.part] : []);
}

/** `cluster/Kind/name` -> drift count and last time, and last change time, from the operator's Events. */
export function eventHistory(events: readonly EventLike[]): Map<string, { drifts: number; last?: string }> {
  const out = new Map<string, { drifts: number; last?: string }>();
  for (const e of events) {
    const time = eventTime(e);
    for (const { key, drift } of eventObjects(e.message ?? "")) {
      const entry = out.get(key) ?? { drifts: 0 };
      out.set(key, { drifts: entry.drifts + (drift ? e.count ?? 1 : 0), last: later(entry.last, time) });
    }
  }
  return out;
}

/** The report of a Replicator from its status and its Events. */
export function statusReport(replicator: ReplicatorLike, events: readonly EventLike[] = []): StatusReport {
  const status = replicator.status;
  const history = eventHistory(events);
  const conditions = (status?.conditions ?? []).map((c) => ({
    type: c.type,
    status: c.status,
    reason: c.reason,
    message: c.message,
  }));
  const names = [
    ...(status?.clusters ?? []).map((c) => c.name),
    ...(status?.applied ?? []).map((a) => a.cluster),
  ];
  const clusters = [...new Set(names)].map((name): ClusterReport => {
    const c = status?.clusters?.find((x) => x.name === name);
    const lastDrift = c?.lastDrift;
    const objects = (status?.applied ?? []).filter((a) => a.cluster === name).map((a): ObjectReport => {
      const seen = history.get(`${name}/${a.kind}/${a.name}`);
      const own = lastDrift && lastDrift.kind === a.kind && lastDrift.name === a.name ? lastDrift : undefined;
      const drifts = Math.max(seen?.drifts ?? 0, own ? 1 : 0);
      return {
        kind: a.kind,
        name: a.name,
        applyStatus: a.applyStatus,
        drifts,
        ...(own ? { lastDrift: own } : {}),
        ...(seen?.last ? { lastChange: seen.last } : {}),
      };
    });
    return {
      name,
      targetedBy: c?.targetedBy ?? [],
      ready: c?.ready ?? false,
      ...(c?.replicas !== undefined ? { replicas: c.replicas } : {}),
      ...(c?.readyReplicas !== undefined ? { readyReplicas: c.readyReplicas } : {}),
      ...(c?.revision ? { revision: c.revision } : {}),
      ...(c?.message ? { message: c.message } : {}),
      driftCorrections: c?.driftCorrections ?? 0,
      ...(lastDrift ? { lastDrift } : {}),
      objects,
    };
  });
  return {
    name: replicator.metadata?.name ?? "",
    synced: status?.synced ?? "",
    available: conditions.find((c) => c.type === "Available")?.status ?? "Unknown",
    ...(replicator.metadata?.generation !== undefined ? { generation: replicator.metadata.generation } : {}),
    ...(status?.observedGeneration !== undefined ? { observedGeneration: status.observedGeneration } : {}),
    conditions,
    clusters,
  };
}

/** A time as `10:42:07` on the day of `now` (UTC), otherwise `2026-12-01 10:42:07`. */
export function shortTime(iso: string, now: Date): string {
  const t = new Date(iso);
  if (Number.isNaN(t.getTime())) return iso;
  const text = t.toISOString();
  return text.slice(0, 10) === now.toISOString().slice(0, 10)
    ? text.slice(11, 19)
    : `${text.slice(0, 10)} ${text.slice(11, 19)}`;
}

function listed(items: readonly string[], max: number): string {
  return items.slice(0, max).join(", ") + (items.length > max ? ` +${items.length - max}` : "");
}

/** `last 10:42:07 spec.replicas by kubectl-scale`, or `deleted 10:42:07`. */
export function describeDrift(d: LastDrift, now: Date): string {
  const when = shortTime(d.changedAt ?? d.time, now);
  if (d.deleted) return `last ${when} deleted`;
  const fields = d.fields?.length ? ` ${listed(d.fields, 3)}` : "";
  return `last ${when}${fields} by ${d.manager ?? "unknown manager"}`;
}

function pad(text: string, width: number): string {
  return text + " ".repeat(Math.max(0, width - text.length));
}

/** The report as a tree per cluster, conditions first. */
export function renderStatusTree(report: StatusReport, now: Date): string {
  const lines: string[] = [];
  const generation = report.generation === undefined
    ? ""
    : `  generation ${report.generation} (observed ${report.observedGeneration ?? "-"})`;
  lines.push(
    `Replicator ${report.name}  SYNCED ${
      report.synced || "<none>"
    }  AVAILABLE ${report.available}${generation}`,
  );
  lines.push(
    `Conditions: ${
      report.conditions.length === 0
        ? "<none>"
        : report.conditions.map((c) =>
          `${c.type}=${c.status} (${c.reason}${c.message && c.status !== "True" ? `: ${c.message}` : ""})`
        ).join("; ")
    }`,
  );
  if (report.clusters.length === 0) lines.push("No cluster reported yet");
  const header = (c: ClusterReport) =>
    `${c.name}${c.targetedBy.length ? ` (${c.targetedBy.join(", ")})` : ""}`;
  const headerWidth = Math.max(0, ...report.clusters.map((c) => header(c).length));
  for (const c of report.clusters) {
    const parts = [pad(header(c), headerWidth), c.ready ? "ready" : "NOT READY"];
    if (c.replicas !== undefined) parts.push(`replicas ${c.readyReplicas ?? 0}/${c.replicas}`);
    if (c.revision) parts.push(`revision ${c.revision.slice(0, 12)}`);
    if (c.driftCorrections > 0) parts.push(`drifts ${c.driftCorrections}`);
    lines.push(parts.join("   "));
    const kindWidth = Math.max(0, ...c.objects.map((o) => o.kind.length));
    const nameWidth = Math.max(0, ...c.objects.map((o) => o.name.length));
    const extra = c.message ? [`message: ${c.message}`] : [];
    c.objects.forEach((o, i) => {
      const last = i === c.objects.length - 1 && extra.length === 0;
      const notes: string[] = [];
      if (o.drifts > 0) notes.push(`drifts ${o.drifts}`);
      if (o.lastDrift) notes.push(describeDrift(o.lastDrift, now));
      else if (o.lastChange) notes.push(`changed ${shortTime(o.lastChange, now)}`);
      lines.push(
        `${last ? "└─" : "├─"} ${pad(o.kind, kindWidth)}  ${pad(o.name, nameWidth)}  ${o.applyStatus}${
          notes.length ? `   ${notes.join(", ")}` : ""
        }`.trimEnd(),
      );
    });
    for (const [i, text] of extra.entries()) lines.push(`${i === extra.length - 1 ? "└─" : "├─"} ${text}`);
  }
  return lines.join("\n") + "\n";
}
