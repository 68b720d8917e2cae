/**
 * TypeScript types of plumber's two kinds, `Replicator` and `ClusterDetector`
 * (group `plumber.jnytnai0613.github.io`, version `v1`), the names and labels they
 * share, and small pure helpers for their status.
 *
 * The types describe objects as they travel as JSON to and from the API server:
 * timestamps are RFC 3339 strings, not `Date`s, because plumber never runs
 * `@kubernetes/client-node`'s (de)serializer (only its types are imported).
 *
 * @module
 */

import type {
  V1DeploymentSpec,
  V1IngressSpec,
  V1LabelSelector,
  V1ManagedFieldsEntry,
  V1ObjectMeta,
  V1OwnerReference,
  V1PodTemplateSpec,
  V1ServiceSpec,
} from "@kubernetes/client-node";

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
/** Namespace of the operator, its kubeconfig Secret and the ClusterDetectors. */
export const DEFAULT_NAMESPACE = "plumber-system";

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
export type ManagedFieldsEntry = Omit<V1ManagedFieldsEntry, "time"> & { time?: string };

/**
 * Object metadata as JSON: like client-node's `V1ObjectMeta`, but with timestamps as
 * RFC 3339 strings and `name` required (every stored object has one).
 */
export type ObjectMeta =
  & Omit<V1ObjectMeta, "name" | "creationTimestamp" | "deletionTimestamp" | "managedFields">
  & {
    name: string;
    creationTimestamp?: string;
    deletionTimestamp?: string;
    managedFields?: ManagedFieldsEntry[];
  };

/** An owner reference, as in `metadata.ownerReferences`. */
export type OwnerReference = V1OwnerReference;

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
export type Condition = {
  /** CamelCase type, e.g. `Ready` or `Degraded`. */
  type: string;
  status: ConditionStatus;
  /** CamelCase machine-readable reason for the last transition. */
  reason: string;
  /** Human-readable detail; never secret material. */
  message: string;
  /** RFC 3339 time (second precision) the status last changed; see {@linkcode kubeTime}. */
  lastTransitionTime: string;
  /** `metadata.generation` the condition was computed from. */
  observedGeneration?: number;
};

/**
 * `spec.deploymentSpec` of a Replicator: a Deployment spec in which `selector` and
 * `template` may be left out. plumber always sets the selector itself (see
 * `renderReplicator()` in `render.ts`), replacing any the user wrote.
 */
export type ReplicatorDeploymentSpec =
  & Omit<V1DeploymentSpec, "selector" | "template">
  & { selector?: V1LabelSelector; template?: V1PodTemplateSpec };

/**
 * `spec.serviceSpec` of a Replicator. Its `selector` is set by plumber when the
 * Replicator also names a Deployment.
 */
export type ReplicatorServiceSpec = V1ServiceSpec;

/**
 * `spec.ingressSpec` of a Replicator. With `ingressSecureEnabled`, plumber sets its
 * `tls` from the rules' hosts.
 */
export type ReplicatorIngressSpec = V1IngressSpec;

/** Spec of a Replicator: the seed's fields, unchanged, so its manifests apply as they are. */
export type ReplicatorSpec = {
  /** Names of the ClusterDetectors (`<cluster>.<user>`) of the secondaries to replicate into. */
  targetCluster?: string[];
  /** Namespace created in every cluster to hold the replicated resources. */
  replicationNamespace: string;
  deploymentName?: string;
  deploymentSpec?: ReplicatorDeploymentSpec;
  configMapName?: string;
  configMapData?: Record<string, string>;
  serviceName?: string;
  serviceSpec?: ReplicatorServiceSpec;
  ingressName?: string;
  ingressSpec?: ReplicatorIngressSpec;
  /** Serve the Ingress over mutual TLS with certificates plumber generates. */
  ingressSecureEnabled?: boolean;
};

/** One resource applied to one cluster, as the seed reported it in `status.applied`. */
export type AppliedResource = {
  cluster: string;
  kind: string;
  name: string;
  applyStatus: string;
};

/** Readiness of the replicated workload in one cluster. */
export type ClusterReplicationStatus = {
  /** Name of the cluster's ClusterDetector. */
  name: string;
  ready: boolean;
  replicas?: number;
  readyReplicas?: number;
  message?: string;
};

/** Status of a Replicator. */
export type ReplicatorStatus = {
  applied?: AppliedResource[];
  synced?: "synced" | "not synced";
  observedGeneration?: number;
  /** `Ready` and `Degraded`. */
  conditions?: Condition[];
  clusters?: ClusterReplicationStatus[];
};

/**
 * A Replicator (cluster-scoped, short name `rep`): replicate a namespace and its
 * workload from the primary into the target clusters.
 *
 * The CRD limits `metadata.name` to 63 characters so that it is a valid label value
 * (it is the value of {@linkcode LABEL_REPLICATOR} and of a selector label).
 */
export type Replicator = {
  apiVersion: typeof API_VERSION;
  kind: typeof REPLICATOR_KIND;
  metadata: ObjectMeta;
  spec: ReplicatorSpec;
  status?: ReplicatorStatus;
};

/** Spec of a ClusterDetector: where its cluster's credentials are in the kubeconfig Secret. */
export type ClusterDetectorSpec = {
  context: string;
  cluster: string;
  user: string;
};

/** Status of a ClusterDetector. */
export type ClusterDetectorStatus = {
  clusterstatus?: "Running" | "Unknown";
  reason?: string;
  /**
   * `Ready`; on secondaries also `CredentialsAvailable` (False with reason `KubeconfigSecretMissing` or
   * `KubeconfigSecretInvalid` while the kubeconfig Secret cannot be read: the cluster stays registered).
   */
  conditions?: Condition[];
  kubernetesVersion?: string;
  /** RFC 3339 time of the last health probe. */
  lastProbeTime?: string;
  observedGeneration?: number;
};

/**
 * A ClusterDetector (namespaced, in {@linkcode DEFAULT_NAMESPACE}, short name `cd`):
 * one registered cluster, named `<cluster>.<user>`, labelled with its {@linkcode LABEL_ROLE}.
 */
export type ClusterDetector = {
  apiVersion: typeof API_VERSION;
  kind: typeof CLUSTER_DETECTOR_KIND;
  metadata: ObjectMeta;
  spec: ClusterDetectorSpec;
  status?: ClusterDetectorStatus;
};

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
