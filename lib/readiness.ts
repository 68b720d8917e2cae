/**
 * Whether a replicated workload is ready in a cluster, after `kubectl rollout status`: the cluster's
 * Deployment carries what plumber applied (its intent hash), has observed its current generation, its
 * `Available` condition is True, and its updated, ready and available replicas all equal the desired
 * replicas (no old Pods left). A Replicator without a Deployment is ready once everything is applied.
 *
 * @module
 */

/** A Deployment as JSON, as the caches hold it (only the fields read here). */
export interface DeploymentLike {
  metadata?: { generation?: number; annotations?: Record<string, string> };
  spec?: { replicas?: number };
  status?: {
    observedGeneration?: number;
    replicas?: number;
    updatedReplicas?: number;
    readyReplicas?: number;
    availableReplicas?: number;
    conditions?: ReadonlyArray<{ type?: string; status?: string; reason?: string; message?: string }>;
  };
}

/** What readiness is decided from. */
export interface ReadinessInput {
  /** Whether everything was applied to the cluster. */
  applied: boolean;
  /** Why not, when not. */
  appliedMessage?: string;
  /** Whether the Replicator has a Deployment at all. */
  hasDeployment: boolean;
  /** The live Deployment (from the cache), if any. */
  deployment?: DeploymentLike;
  /** Desired replicas of the cluster's rendered Deployment (overrides included). */
  desiredReplicas: number;
  /** Annotation and value the live Deployment carries once plumber's current intent reached it. */
  intent?: { annotation: string; hash: string };
}

/** A cluster's readiness: `ready`, and why not (`2/3 ready`, `progress deadline exceeded`, ...). */
export interface Readiness {
  ready: boolean;
  message?: string;
  /** Ready Pods of the Deployment (0 without one). */
  readyReplicas: number;
}

/**
 * Decides whether the workload is ready in a cluster (pure).
 *
 * @example
 * ```ts
 * clusterReadiness({
 *   applied: true, hasDeployment: true, desiredReplicas: 3,
 *   deployment: { metadata: { generation: 2 }, status: { observedGeneration: 2, readyReplicas: 2 } },
 * }); // { ready: false, message: "2/3 ready", readyReplicas: 2 }
 * ```
 */
export function clusterReadiness(input: ReadinessInput): Readiness {
  const d = input.deployment;
  const status = d?.status ?? {};
  const readyReplicas = status.readyReplicas ?? 0;
  const notReady = (message: string): Readiness => ({ ready: false, message, readyReplicas });
  if (!input.applied) return notReady(`not applied: ${input.appliedMessage ?? "unknown reason"}`);
  if (!input.hasDeployment) return { ready: true, readyReplicas: 0 };
  if (!d) return notReady("waiting for the Deployment to appear");
  if (input.intent && d.metadata?.annotations?.[input.intent.annotation] !== input.intent.hash) {
    return notReady("waiting for the Deployment to be updated");
  }
  const generation = d.metadata?.generation ?? 0;
  if ((status.observedGeneration ?? 0) < generation) {
    return notReady(`waiting for the Deployment to observe generation ${generation}`);
  }
  const desired = input.desiredReplicas;
  const progressing = status.conditions?.find((c) => c.type === "Progressing");
  if (progressing?.reason === "ProgressDeadlineExceeded") {
    return notReady(`progress deadline exceeded (${readyReplicas}/${desired} ready)`);
  }
  const updated = status.updatedReplicas ?? 0;
  if (updated < desired) return notReady(`${updated}/${desired} updated, ${readyReplicas}/${desired} ready`);
  const total = status.replicas ?? 0;
  // Old Pods (a rollout) or extra ones (a scale down) still there.
  if (total > desired) return notReady(`${total - desired} old replicas pending termination`);
  if (readyReplicas < desired) return notReady(`${readyReplicas}/${desired} ready`);
  const available = status.availableReplicas ?? 0;
  if (available < desired) return notReady(`${available}/${desired} available`);
  const condition = status.conditions?.find((c) => c.type === "Available");
  if (condition?.status !== "True") {
    return notReady(`Deployment not Available${condition?.message ? `: ${condition.message}` : ""}`);
  }
  return { ready: true, readyReplicas };
}
