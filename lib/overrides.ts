/**
 * Per-cluster overrides (`spec.overrides[]`): which entries apply to a cluster, and the rendered objects
 * of that cluster with them applied. Pure: no I/O.
 *
 * - An entry selects a cluster when its name is in `clusterNames` OR its ClusterDetector labels match
 *   `clusterSelector` (the union, as `targetCluster` and `spec.clusterSelector` combine). An empty
 *   selector (`{}`) selects every cluster, the primary included.
 * - The selected entries apply in order, each in the order of its fields: `replicas`, `images`,
 *   `configMapData`, `labels`, `annotations`, `patches`. A later entry wins over an earlier one.
 * - `labels` and `annotations` go on every replicated object, not on the Namespace: plumber creates the
 *   namespace once and never changes it (a namespace may hold other tenants' objects). For the same
 *   reason a patch cannot target the Namespace.
 * - plumber's own labels and annotations, and the Deployment's selector label keys, cannot be set; a
 *   patch may not remove or change them, the Deployment's selector, the selector labels of its pod
 *   template, an object's owner references, or its apiVersion, kind, name and namespace.
 *
 * Anything wrong is an {@linkcode OverrideError} naming the field (`spec.overrides[1].patches[0]...`) and
 * the value; the caller holds back only that cluster. Messages never quote object contents (a patch may
 * target a Secret).
 *
 * `patches` are applied by the `rfc6902` package, which is loaded only when a Replicator has patches
 * (it is CommonJS: loading it brings in Deno's Node compatibility layer, about 13 MiB of RSS, which
 * the operator does not pay otherwise). `applyOverrides` stays synchronous: the caller awaits
 * {@linkcode loadJsonPatch} first when {@linkcode needsJsonPatch} says so.
 *
 * @module
 */

import type { Operation } from "rfc6902";
import { API_GROUP, type KubeObject, LABEL_MANAGED_BY, type ReplicatorSpec } from "./api.ts";
import { canonicalJson, cloneJson } from "./json.ts";
import { isLabelKey, matchesSelector, selectorProblems } from "./selector.ts";
import { LABEL_INSTANCE, LABEL_NAME } from "./render.ts";

/** One entry of `spec.overrides`. */
export type Override = NonNullable<ReplicatorSpec["overrides"]>[number];

/** The cluster objects are rendered for: its ClusterDetector name and labels. */
export interface ClusterRef {
  name: string;
  labels?: Record<string, string>;
}

/** An override that cannot be applied to a cluster: `field` is its path, e.g. `spec.overrides[1].replicas`. */
export class OverrideError extends Error {
  override name = "OverrideError";
  readonly field: string;

  constructor(field: string, reason: string) {
    super(`${field}: ${reason}`);
    this.field = field;
  }
}

const LABEL_VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/;
const PLUMBER_PREFIX = `${API_GROUP}/`;

type ApplyPatch = typeof import("rfc6902").applyPatch;

let applyPatchFn: ApplyPatch | undefined;
let loading: Promise<void> | undefined;

/** Whether any entry has `patches`, so {@linkcode loadJsonPatch} must be awaited before `applyOverrides`. */
export function needsJsonPatch(overrides: readonly Override[] | undefined): boolean {
  return (overrides ?? []).some((override) => (override.patches?.length ?? 0) > 0);
}

/**
 * Loads the JSON-patch library once (later calls return the same promise). Await it before
 * `applyOverrides` for overrides with `patches`.
 *
 * @example
 * ```ts
 * if (needsJsonPatch(spec.overrides)) await loadJsonPatch();
 * const objects = applyOverrides(rendered, spec.overrides, cluster);
 * ```
 */
export function loadJsonPatch(): Promise<void> {
  loading ??= import("rfc6902").then((module) => {
    applyPatchFn = module.applyPatch;
  }, (error) => {
    loading = undefined;
    throw error;
  });
  return loading;
}

/** Whether {@linkcode loadJsonPatch} has completed. */
export function jsonPatchLoaded(): boolean {
  return applyPatchFn !== undefined;
}

/** Whether an entry selects the cluster: its name is listed, or its labels match the entry's selector. */
export function selectsCluster(override: Override, cluster: ClusterRef): boolean {
  if (override.clusterNames?.includes(cluster.name)) return true;
  return override.clusterSelector !== undefined && matchesSelector(override.clusterSelector, cluster.labels);
}

/**
 * Indexes of the entries that select the cluster, in order.
 *
 * @throws {OverrideError} When an entry's selector has a bad label key: which clusters it was meant
 * for cannot be known, so no cluster is rendered without it.
 */
export function overridesFor(overrides: readonly Override[] | undefined, cluster: ClusterRef): number[] {
  const selected: number[] = [];
  (overrides ?? []).forEach((override, i) => {
    if (override.clusterSelector) {
      const field = `spec.overrides[${i}].clusterSelector`;
      const [problem] = selectorProblems(override.clusterSelector, field);
      if (problem !== undefined) {
        const colon = problem.indexOf(": ");
        throw new OverrideError(problem.slice(0, colon), problem.slice(colon + 2));
      }
    }
    if (selectsCluster(override, cluster)) selected.push(i);
  });
  return selected;
}

/**
 * The rendered objects of one cluster (output of `renderReplicator`, Namespace first) with the entries
 * that select it applied. The input is not modified.
 *
 * @throws {OverrideError} The first override that cannot be applied.
 * @example
 * ```ts
 * const objects = renderReplicator({ replicator, role: "secondary", primaryId });
 * applyOverrides(objects, replicator.spec.overrides, { name: "east.admin", labels: { region: "east" } });
 * ```
 */
export function applyOverrides(
  objects: readonly KubeObject[],
  overrides: readonly Override[] | undefined,
  cluster: ClusterRef,
): KubeObject[] {
  const out = cloneJson(objects) as KubeObject[];
  for (const i of overridesFor(overrides, cluster)) {
    applyOverride(out, overrides![i]!, `spec.overrides[${i}]`);
  }
  return out;
}

function applyOverride(objects: KubeObject[], override: Override, at: string): void {
  if (override.replicas !== undefined) {
    const d = only(objects, "Deployment", `${at}.replicas`, "spec.deploymentName");
    (d.spec as Record<string, unknown>).replicas = override.replicas;
  }
  if (override.images && Object.keys(override.images).length > 0) {
    const d = only(objects, "Deployment", `${at}.images`, "spec.deploymentName");
    setImages(d, override.images, `${at}.images`);
  }
  if (override.configMapData && Object.keys(override.configMapData).length > 0) {
    const cm = only(objects, "ConfigMap", `${at}.configMapData`, "spec.configMapName");
    cm.data = { ...(cm.data as Record<string, string> | undefined), ...override.configMapData };
  }
  const replicated = objects.filter((o) => o.kind !== "Namespace");
  for (const [key, value] of Object.entries(override.labels ?? {})) {
    const field = `${at}.labels[${key}]`;
    refuseKey(key, field, "label");
    if ([LABEL_NAME, LABEL_INSTANCE].includes(key)) {
      throw new OverrideError(field, `${key} is a selector label plumber sets on the Deployment's pods`);
    }
    if (!LABEL_VALUE.test(value)) {
      throw new OverrideError(
        field,
        `"${value}" is not a label value (at most 63 characters, alphanumeric at both ends, -_. inside)`,
      );
    }
    for (const o of replicated) o.metadata.labels = { ...o.metadata.labels, [key]: value };
  }
  for (const [key, value] of Object.entries(override.annotations ?? {})) {
    const field = `${at}.annotations[${key}]`;
    refuseKey(key, field, "annotation");
    const setter = replicated.find((o) => o.metadata.annotations?.[key] !== undefined);
    if (setter) {
      throw new OverrideError(field, `plumber sets ${key} on ${setter.kind} ${setter.metadata.name}`);
    }
    for (const o of replicated) o.metadata.annotations = { ...o.metadata.annotations, [key]: value };
  }
  (override.patches ?? []).forEach((patch, j) => applyPatchEntry(objects, patch, `${at}.patches[${j}]`));
}

/** The one rendered object of a kind, for a typed field that needs it. */
function only(objects: KubeObject[], kind: string, field: string, nameField: string): KubeObject {
  const found = objects.find((o) => o.kind === kind);
  if (!found) throw new OverrideError(field, `no ${kind} is rendered (${nameField} is not set)`);
  return found;
}

function refuseKey(key: string, field: string, what: string): void {
  if (!isLabelKey(key)) throw new OverrideError(field, `"${key}" is not a valid ${what} key`);
  if (key === LABEL_MANAGED_BY || key.startsWith(PLUMBER_PREFIX)) {
    throw new OverrideError(field, `${key} is plumber's own ${what}`);
  }
}

interface Container {
  name?: string;
  image?: string;
}

function setImages(deployment: KubeObject, images: Record<string, string>, at: string): void {
  const podSpec = ((deployment.spec as { template?: { spec?: Record<string, unknown> } }).template?.spec ??
    {}) as { containers?: Container[]; initContainers?: Container[] };
  const all = [...(podSpec.containers ?? []), ...(podSpec.initContainers ?? [])];
  for (const [name, image] of Object.entries(images)) {
    const matching = all.filter((c) => c.name === name);
    if (matching.length === 0) {
      const names = all.map((c) => c.name).join(", ") || "none";
      throw new OverrideError(
        `${at}[${name}]`,
        `no container or init container named "${name}" in Deployment ${deployment.metadata.name} ` +
          `(it has: ${names})`,
      );
    }
    for (const c of matching) c.image = image;
  }
}

type PatchEntry = NonNullable<Override["patches"]>[number];

function applyPatchEntry(objects: KubeObject[], entry: PatchEntry, at: string): void {
  const { kind, name } = entry.target;
  if (kind === "Namespace") {
    throw new OverrideError(
      `${at}.target.kind`,
      "plumber creates the Namespace once and never changes it, so it cannot be patched",
    );
  }
  const ofKind = objects.filter((o) => o.kind === kind);
  const candidates = name === undefined ? ofKind : ofKind.filter((o) => o.metadata.name === name);
  if (candidates.length === 0) {
    const rendered = ofKind.map((o) => o.metadata.name).join(", ");
    throw new OverrideError(
      `${at}.target`,
      name === undefined
        ? `no ${kind} is rendered`
        : `no ${kind} named "${name}" is rendered${rendered ? ` (rendered: ${rendered})` : ""}`,
    );
  }
  if (candidates.length > 1) {
    throw new OverrideError(
      `${at}.target.name`,
      `${candidates.length} ${kind} objects are rendered (${
        candidates.map((o) => o.metadata.name).join(", ")
      }): name the one to patch`,
    );
  }
  const before = candidates[0]!;
  const what = `${kind} ${before.metadata.name}`;
  const after = cloneJson(before);
  const operations = entry.patch as Operation[];
  if (!applyPatchFn) {
    // The caller did not await loadJsonPatch(): start the load so a retry succeeds, and fail this
    // reconcile (not an OverrideError: nothing is wrong with the Replicator).
    loadJsonPatch().catch(() => {});
    throw new Error("the JSON-patch library is still loading (await loadJsonPatch() before applyOverrides)");
  }
  const results = applyPatchFn(after, operations);
  results.forEach((result, k) => {
    if (result === null) return;
    const op = entry.patch[k]!;
    const field = `${at}.patch[${k}]`;
    switch (result.name) {
      case "MissingError": {
        const where = "path" in result ? String(result.path) : op.path;
        if (op.from !== undefined && where === op.from) {
          throw new OverrideError(field, `from ${where} does not exist in ${what}`);
        }
        throw new OverrideError(
          field,
          op.op === "add" || op.op === "move" || op.op === "copy"
            ? `the parent of path ${op.path} does not exist in ${what}`
            : `path ${op.path} does not exist in ${what}`,
        );
      }
      case "TestError":
        // Neither value is quoted: the object may be a Secret.
        throw new OverrideError(field, `test at path ${op.path} failed in ${what}`);
      default:
        throw new OverrideError(field, `${op.op} at path ${op.path} cannot be applied to ${what}`);
    }
  });
  const broken = brokenInvariant(before, after);
  if (broken) throw new OverrideError(at, `${broken} of ${what}, which plumber needs`);
  objects[objects.indexOf(before)] = after;
}

/** What a patch broke that plumber relies on, or undefined. */
function brokenInvariant(before: KubeObject, after: unknown): string | undefined {
  if (!after || typeof after !== "object" || Array.isArray(after)) return "replaces the whole object";
  const a = after as Partial<KubeObject>;
  if (a.apiVersion !== before.apiVersion) return "changes the apiVersion";
  if (a.kind !== before.kind) return "changes the kind";
  const meta = (a.metadata ?? {}) as KubeObject["metadata"];
  if (meta.name !== before.metadata.name) return "changes metadata.name";
  if (meta.namespace !== before.metadata.namespace) return "changes metadata.namespace";
  for (const [key, value] of Object.entries(before.metadata.labels ?? {})) {
    if (meta.labels?.[key] !== value) return `removes or changes the label ${key}`;
  }
  if (canonicalJson(meta.ownerReferences) !== canonicalJson(before.metadata.ownerReferences)) {
    return "changes metadata.ownerReferences";
  }
  if (before.kind === "Deployment") {
    const spec = (s: unknown) =>
      (s ?? {}) as { selector?: unknown; template?: { metadata?: { labels?: Record<string, string> } } };
    const was = spec(before.spec);
    const now = spec(a.spec);
    if (canonicalJson(now.selector) !== canonicalJson(was.selector)) return "changes spec.selector";
    const selector = (was.selector as { matchLabels?: Record<string, string> } | undefined)?.matchLabels ??
      {};
    for (const [key, value] of Object.entries(selector)) {
      if (now.template?.metadata?.labels?.[key] !== value) {
        return `removes or changes the pod template label ${key}`;
      }
    }
  }
  return undefined;
}
