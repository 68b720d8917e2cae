/**
 * TypeScript types of plumber's two kinds, `Replicator` and `ClusterDetector`
 * (group `plumber.jnytnai0613.github.io`, version `v1`), the names and labels they
 * share, and small pure helpers for their status.
 *
 * The types of the two kinds are generated (`deno task gen:api`, `lib/generated/plumber_v1.ts`) from the
 * OpenAPI schema the API server serves for plumber's CRDs, which `deno task gen:crds` generates: the CRDs
 * are the one source of truth, and `tests/api_types_test.ts` fails when the two drift apart. They describe
 * objects as they travel as JSON: timestamps are RFC 3339 strings.
 *
 * @module
 */

import type * as generated from "./generated/plumber_v1.ts";
import type * as meta from "./generated/meta_v1.ts";

/** API group of plumber's kinds. */
export const API_GROUP = "plumber.jnytnai0613.github.io";
/** `apiVersion` of plumber's kinds (group and version). */
export const API_VERSION = "plumber.jnytnai0613.github.io/v1";
/** Field manager used for every server-side apply plumber makes. */
export const FIELD_MANAGER = "plumber";
/** Finalizer plumber puts on a Replicator so it can clean up every cluster before it goes. */
export const FINALIZER = "plumber.jnytnai0613.github.io/finalizer";
/** Label set on every object plumber applies. */
export const LABEL_MANAGED_BY = "app.kubernetes.io/managed-by";
/** Value of {@linkcode LABEL_MANAGED_BY} on every object plumber applies. */
export const MANAGED_BY_VALUE = "plumber";
/** Label naming the Replicator an applied object belongs to; drift watches and pruning select on it. */
export const LABEL_REPLICATOR = "plumber.jnytnai0613.github.io/replicator";
/** Label on a ClusterDetector telling whether its cluster is the primary or a secondary. */
export const LABEL_ROLE = "app.kubernetes.io/role";
/**
 * Annotation on a Namespace plumber created, naming who created it (a Replicator, or `plumberctl add`):
 * plumber deletes only namespaces it created, and only when nothing else is in them.
 */
export const CREATED_BY_ANNOTATION = "plumber.jnytnai0613.github.io/created-by";
/** Namespace of the operator, its kubeconfig Secret and the ClusterDetectors. */
export const DEFAULT_NAMESPACE = "plumber-system";
/** Name of the Secret (in the operator's namespace) holding the secondaries' kubeconfig. */
export const KUBECONFIG_SECRET_NAME = "plumber-kubeconfig";
/** Key of the kubeconfig in that Secret. */
export const KUBECONFIG_SECRET_KEY = "kubeconfig";

/** Kind of the cluster-scoped replication request. */
export const REPLICATOR_KIND = "Replicator";
/** Resource (plural) name of {@linkcode REPLICATOR_KIND}, as in `/apis/<group>/v1/replicators`. */
export const REPLICATOR_RESOURCE = "replicators";
/** Kind of the namespaced object describing one registered cluster. */
export const CLUSTER_DETECTOR_KIND = "ClusterDetector";
/** Resource (plural) name of {@linkcode CLUSTER_DETECTOR_KIND}. */
export const CLUSTER_DETECTOR_RESOURCE = "clusterdetectors";

/** Role of a cluster in replication, the value of {@linkcode LABEL_ROLE} (not RBAC's ClusterRole). */
export type ReplicationRole = "primary" | "secondary";

/** A managed fields entry as JSON (its `time` is an RFC 3339 string). */
export type ManagedFieldsEntry = meta.ManagedFieldsEntry;

/** Object metadata as JSON, with `name` required (every stored object has one). */
export type ObjectMeta = meta.ObjectMeta & { name: string };

/** An owner reference, as in `metadata.ownerReferences`. */
export type OwnerReference = meta.OwnerReference;

/**
 * A minimal generic Kubernetes object: enough to apply, list, label and delete any
 * kind without knowing its schema.
 */
export type KubeObject = {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    ownerReferences?: OwnerReference[];
    [k: string]: unknown;
  };
  [k: string]: unknown;
};

/** Status of a condition, as in Kubernetes' `metav1.ConditionStatus`. */
export type ConditionStatus = "True" | "False" | "Unknown";

/** A status condition, shaped like Kubernetes' `metav1.Condition`. */
export type Condition = NonNullable<generated.ReplicatorStatus["conditions"]>[number];

/**
 * `spec.deploymentSpec` of a Replicator: a Deployment spec in which `selector` may be left out. plumber
 * always sets the selector itself (see `renderReplicator()` in `render.ts`), replacing any the user wrote.
 */
export type ReplicatorDeploymentSpec = NonNullable<generated.ReplicatorSpec["deploymentSpec"]>;
/** `spec.serviceSpec` of a Replicator; its `selector` is set by plumber when it also names a Deployment. */
export type ReplicatorServiceSpec = NonNullable<generated.ReplicatorSpec["serviceSpec"]>;
/** `spec.ingressSpec` of a Replicator; with `ingressSecureEnabled`, plumber sets its `tls`. */
export type ReplicatorIngressSpec = NonNullable<generated.ReplicatorSpec["ingressSpec"]>;
/** Spec of a Replicator: the seed's fields, unchanged, so its manifests apply as they are. */
export type ReplicatorSpec = generated.ReplicatorSpec;
/** One resource applied to one cluster, as the seed reported it in `status.applied`. */
export type AppliedResource = NonNullable<generated.ReplicatorStatus["applied"]>[number];
/** Readiness of the replicated workload in one cluster. */
export type ClusterReplicationStatus = NonNullable<generated.ReplicatorStatus["clusters"]>[number];
/** Status of a Replicator. */
export type ReplicatorStatus = generated.ReplicatorStatus;

/**
 * A Replicator (cluster-scoped, short name `rep`): replicate a namespace and its
 * workload from the primary into the target clusters.
 *
 * The CRD limits `metadata.name` to 63 characters so that it is a valid label value
 * (it is the value of {@linkcode LABEL_REPLICATOR} and of a selector label).
 */
export type Replicator =
  & Omit<generated.Replicator, "apiVersion" | "kind" | "metadata">
  & { apiVersion: typeof API_VERSION; kind: typeof REPLICATOR_KIND; metadata: ObjectMeta };

/** Spec of a ClusterDetector: where its cluster's credentials are in the kubeconfig Secret. */
export type ClusterDetectorSpec = generated.ClusterDetectorSpec;
/** Status of a ClusterDetector. */
export type ClusterDetectorStatus = generated.ClusterDetectorStatus;

/**
 * A ClusterDetector (namespaced, in {@linkcode DEFAULT_NAMESPACE}, short name `cd`):
 * one registered cluster, named `<cluster>.<user>`, labelled with its {@linkcode LABEL_ROLE}.
 */
export type ClusterDetector =
  & Omit<generated.ClusterDetector, "apiVersion" | "kind" | "metadata">
  & { apiVersion: typeof API_VERSION; kind: typeof CLUSTER_DETECTOR_KIND; metadata: ObjectMeta };

/**
 * Formats a time as Kubernetes serializes `metav1.Time`: RFC 3339 in UTC with
 * second precision. Writing the same precision the API server returns keeps
 * "write status only if it changed" comparisons stable.
 *
 * @example
 * ```ts
 * kubeTime(new Date("2024-05-01T12:34:56.789Z")); // "2024-05-01T12:34:56Z"
 * ```
 */
export function kubeTime(date: Date): string {
  return date.toISOString().replace(/\.\d+Z$/, "Z");
}

/** Returns the condition of the given type, if any. */
export function findCondition(
  conditions: readonly Condition[] | undefined,
  type: string,
): Condition | undefined {
  return conditions?.find((condition) => condition.type === type);
}

/**
 * Returns a new list of conditions with `next` set, as apimachinery's
 * `meta.SetStatusCondition` does: a condition of a new type is appended; an existing
 * one gets `next`'s status, reason, message and observedGeneration, and keeps its
 * `lastTransitionTime` unless its status changed, in which case it becomes `now`.
 * Other conditions and the order are kept; the input is not modified.
 *
 * @example
 * ```ts
 * const conditions = setCondition(undefined, {
 *   type: "Ready", status: "True", reason: "Applied", message: "Applied to 3 clusters",
 * }, new Date());
 * ```
 */
export function setCondition(
  conditions: readonly Condition[] | undefined,
  next: Omit<Condition, "lastTransitionTime">,
  now: Date,
): Condition[] {
  const result = (conditions ?? []).map((condition) => ({ ...condition }));
  const index = result.findIndex((condition) => condition.type === next.type);
  const existing = index === -1 ? undefined : result[index];
  const lastTransitionTime = existing && existing.status === next.status
    ? existing.lastTransitionTime
    : kubeTime(now);
  const condition: Condition = { ...next, lastTransitionTime };
  if (index === -1) {
    result.push(condition);
  } else {
    result[index] = condition;
  }
  return result;
}
