/**
 * `spec.resources[]`: further manifests of any namespaced kind, rendered beside the seed's objects. Pure:
 * which entries are rendered (an object named twice, by a seed field and an entry or by two entries, is
 * rendered once: the seed field, or the first entry, wins), how an entry becomes an apply body (placed into
 * `replicationNamespace`, plumber's labels merged over the user's, server-set metadata and status dropped),
 * which extra kinds a Replicator uses (what the operator watches), and how a cluster's discovery and
 * permissions are reported per object.
 *
 * @module
 */

import type { AppliedResource, KubeObject, ReplicatorSpec } from "./api.ts";
import { cloneJson } from "./json.ts";

/** The Secrets rendered with `ingressSecureEnabled` (the same names as `render.ts`' constants). */
const TLS_SECRET_NAMES = ["ca-secret", "cli-secret"];

/** The kinds the seed's fields render (besides the Namespace), with their apiVersion. */
export const SEED_KINDS: ReadonlyArray<{ apiVersion: string; kind: string }> = [
  { apiVersion: "v1", kind: "ConfigMap" },
  { apiVersion: "v1", kind: "Secret" },
  { apiVersion: "apps/v1", kind: "Deployment" },
  { apiVersion: "v1", kind: "Service" },
  { apiVersion: "networking.k8s.io/v1", kind: "Ingress" },
];

/** One `spec.resources[]` entry as the CRD stores it. */
export type ResourceEntry = NonNullable<ReplicatorSpec["resources"]>[number];

/** A kind in one API version. */
export interface KindRef {
  apiVersion: string;
  kind: string;
}

/** The API group of an apiVersion (`""` for the core group). */
export function groupOf(apiVersion: string): string {
  const slash = apiVersion.indexOf("/");
  return slash < 0 ? "" : apiVersion.slice(0, slash);
}

/** `group/Kind` (`/ConfigMap` for the core group): what names a kind whatever its version. */
export function groupKind(ref: KindRef): string {
  return `${groupOf(ref.apiVersion)}/${ref.kind}`;
}

/** Whether a kind is one of the seed's (its caches always run). */
export function isSeedKind(ref: KindRef): boolean {
  return SEED_KINDS.some((k) => groupKind(k) === groupKind(ref));
}

/** `group/Kind/name`: one object of a namespace, whatever the version it is written in. */
function objectKey(ref: KindRef, name: string): string {
  return `${groupKind(ref)}/${name}`;
}

/** The objects the seed's fields name, with the field that names each. */
export function seedNames(spec: ReplicatorSpec): Array<KindRef & { name: string; field: string }> {
  const out: Array<KindRef & { name: string; field: string }> = [];
  if (spec.configMapName) out.push({ ...SEED_KINDS[0]!, name: spec.configMapName, field: "configMapName" });
  if (spec.ingressSecureEnabled === true && spec.ingressName) {
    for (const name of TLS_SECRET_NAMES) out.push({ ...SEED_KINDS[1]!, name, field: "ingressSecureEnabled" });
  }
  if (spec.deploymentName) {
    out.push({ ...SEED_KINDS[2]!, name: spec.deploymentName, field: "deploymentName" });
  }
  if (spec.serviceName) out.push({ ...SEED_KINDS[3]!, name: spec.serviceName, field: "serviceName" });
  if (spec.ingressName) out.push({ ...SEED_KINDS[4]!, name: spec.ingressName, field: "ingressName" });
  return out;
}

/** An entry not rendered because another field names the same object. */
export interface NameClash {
  index: number;
  apiVersion: string;
  kind: string;
  name: string;
  /** The field that wins: `configMapName`, `resources[0]`, ... */
  winner: string;
}

/**
 * Splits `spec.resources[]` into the entries to render and those that name an object another field
 * already names (same group, kind and name): a seed field wins over an entry, an earlier entry over a
 * later one. The losers are never applied (no two writers of one object, no flapping).
 */
export function resolveResources(spec: ReplicatorSpec): { rendered: ResourceEntry[]; clashes: NameClash[] } {
  const named = new Map<string, string>();
  for (const s of seedNames(spec)) named.set(objectKey(s, s.name), s.field);
  const rendered: ResourceEntry[] = [];
  const clashes: NameClash[] = [];
  (spec.resources ?? []).forEach((entry, index) => {
    const name = entry.metadata?.name ?? "";
    const key = objectKey(entry, name);
    const winner = named.get(key);
    if (winner !== undefined) {
      clashes.push({ index, apiVersion: entry.apiVersion, kind: entry.kind, name, winner });
      return;
    }
    named.set(key, `resources[${index}]`);
    rendered.push(entry);
  });
  return { rendered, clashes };
}

/** The `status.applied[]` entry of a clash in one cluster: `conflict: also named by <field>`. */
export function clashApplied(cluster: string, clash: NameClash): AppliedResource {
  return {
    cluster,
    apiVersion: clash.apiVersion,
    kind: clash.kind,
    name: clash.name,
    applyStatus: `conflict: spec.resources[${clash.index}] is not applied: also named by ${clash.winner}`,
  };
}

/** Metadata the API server sets, never part of an apply body. */
const SERVER_METADATA = [
  "uid",
  "resourceVersion",
  "generation",
  "creationTimestamp",
  "deletionTimestamp",
  "deletionGracePeriodSeconds",
  "managedFields",
  "selfLink",
  "generateName",
  "ownerReferences",
  "finalizers",
];

/** What every rendered object's metadata gets from the Replicator. */
export interface ResourceMetadata {
  namespace: string;
  /** plumber's labels, merged over the entry's own (plumber's win). */
  labels: Record<string, string>;
  /** The owner reference to the Replicator (primary only); the entry's own references are dropped. */
  ownerReferences?: KubeObject["metadata"]["ownerReferences"];
}

/**
 * An entry as an apply body: a copy placed into the namespace, with plumber's labels merged over its own,
 * its annotations kept, and no status or server-set metadata.
 */
export function renderResource(entry: ResourceEntry, meta: ResourceMetadata): KubeObject {
  const { status: _status, metadata, ...rest } = cloneJson(entry) as ResourceEntry & { status?: unknown };
  const m: Record<string, unknown> = { ...(metadata ?? {}) };
  for (const key of SERVER_METADATA) delete m[key];
  const labels = { ...(m.labels as Record<string, string> | undefined), ...meta.labels };
  return {
    ...rest,
    apiVersion: entry.apiVersion,
    kind: entry.kind,
    metadata: {
      ...m,
      name: String(m.name ?? ""),
      namespace: meta.namespace,
      labels,
      ...(meta.ownerReferences ? { ownerReferences: cloneJson(meta.ownerReferences) } : {}),
    },
  } as KubeObject;
}

/**
 * The kinds outside the seed's a Replicator needs watched: those of its rendered entries, and those its
 * status says it still holds (an entry removed from the spec must stay visible until it is pruned).
 */
export function extraKinds(spec: ReplicatorSpec, applied?: readonly AppliedResource[]): KindRef[] {
  const out = new Map<string, KindRef>();
  const add = (ref: KindRef) => {
    if (!ref.apiVersion || !ref.kind || isSeedKind(ref) || ref.kind === "Namespace") return;
    if (!out.has(groupKind(ref))) out.set(groupKind(ref), { apiVersion: ref.apiVersion, kind: ref.kind });
  };
  for (const entry of resolveResources(spec).rendered) add(entry);
  for (const a of applied ?? []) {
    if (a.apiVersion && a.applyStatus === "applied") add({ apiVersion: a.apiVersion, kind: a.kind });
  }
  return [...out.values()];
}

/** The words of an `applyStatus` for a kind a cluster does not serve. */
export const NOT_SERVED = "is not served by this cluster";

/** `failed: kind <apiVersion> <Kind> is not served by this cluster` (retried soon: it may be installed). */
export function notServedReason(ref: KindRef): string {
  return `kind ${ref.apiVersion} ${ref.kind} ${NOT_SERVED}`;
}

/** Whether an `applied[]` entry reports a kind the cluster does not serve. */
export function isNotServed(entry: AppliedResource): boolean {
  return entry.applyStatus.startsWith("failed:") && entry.applyStatus.includes(NOT_SERVED);
}

/** Why a cluster-scoped kind is refused in that cluster. */
export function clusterScopedReason(ref: KindRef, resource: string): string {
  const group = groupOf(ref.apiVersion);
  return `kind ${ref.kind} (${resource}${group ? `.${group}` : ""}) is cluster-scoped in this cluster: ` +
    `resources[] takes namespaced kinds only`;
}

/** The kind as `plumberctl add --allow-kind` takes it: `policy/PodDisruptionBudget`, `ServiceAccount` (the core group has no prefix). */
export function allowKindArgument(ref: KindRef): string {
  const group = groupOf(ref.apiVersion);
  return group ? `${group}/${ref.kind}` : ref.kind;
}

/**
 * A 403 spelled out: `forbidden: plumber's ServiceAccount in <cluster> may not <verb> <resource>.<group> in
 * <namespace>: grant it with plumberctl add --allow-kind <group>/<Kind>`.
 */
export function forbiddenReason(
  cluster: string,
  verb: string,
  ref: KindRef,
  resource: string,
  namespace: string,
): string {
  const group = groupOf(ref.apiVersion);
  return `forbidden: plumber's ServiceAccount in ${cluster} may not ${verb} ${resource}${
    group ? `.${group}` : ""
  } in ${namespace}: grant it with plumberctl add --allow-kind ${allowKindArgument(ref)}`;
}
