/**
 * The cache transform of the Replicator's per-cluster informers (`cluster_caches.ts`): what a
 * cached object keeps of what the API server sends.
 *
 * Reconcile reads from a cached object its metadata (labels, annotations with the intent hash,
 * ownerReferences, uid, resourceVersion, generation, deletionTimestamp), the fields of its intent
 * (`planObject` compares the rendered intent against the live object as a subset, walking the
 * intent's fields, to find drift and name the drifted field; so `spec`, `data`, `type` and the rest
 * of the object stay), the Deployment's replica counts and its conditions' type, status, reason and
 * message (`lib/readiness.ts`: `Available`, `ProgressDeadlineExceeded`) and `status.phase` of a
 * Namespace. Dropped: `metadata.managedFields` (the drift audit GETs them when it needs them), the
 * conditions' timestamps, and every other `status` field — Services' and Ingresses' load balancer
 * status, other kinds' status. Intents carry no `status`, so no comparison sees the difference.
 *
 * @module
 */

import type { KubeObjectLike } from "../../lib/kube/client.ts";
import { stripManagedFields, without } from "../../lib/kube/informer.ts";

/** The `status` fields a cached object keeps, per kind; other kinds keep none. */
export const KEPT_STATUS_FIELDS: Readonly<Record<string, readonly string[]>> = {
  Deployment: [
    "observedGeneration",
    "replicas",
    "updatedReplicas",
    "readyReplicas",
    "availableReplicas",
    "conditions",
  ],
  Namespace: ["phase"],
};

/** The fields of a status condition a cached object keeps (what `lib/readiness.ts` reads). */
export const KEPT_CONDITION_FIELDS: readonly string[] = ["type", "status", "reason", "message"];

/**
 * Drops `metadata.managedFields` and the `status` fields reconcile never reads. Returns the object,
 * changed in place, or a copy without `status` when none of it is kept (not `delete`, which would turn
 * every cached object into a V8 hash table). Objects without `status` keep their shape.
 *
 * @example
 * ```ts
 * new Informer({ client, apiVersion: "apps/v1", kind: "Deployment", transform: replicatorCacheTransform });
 * ```
 */
export function replicatorCacheTransform<T extends KubeObjectLike>(object: T): T {
  stripManagedFields(object);
  const holder = object as { kind?: unknown; status?: unknown };
  if (holder.status === undefined) return object;
  const kept = KEPT_STATUS_FIELDS[typeof holder.kind === "string" ? holder.kind : ""];
  const status = holder.status;
  if (!kept || typeof status !== "object" || status === null) {
    return without(object as Record<string, unknown>, "status") as T;
  }
  const out: Record<string, unknown> = {};
  for (const key of kept) {
    const value = (status as Record<string, unknown>)[key];
    if (key === "conditions" && Array.isArray(value)) out[key] = value.map(keptCondition);
    else if (value !== undefined) out[key] = value;
  }
  holder.status = out;
  return object;
}

function keptCondition(condition: unknown): unknown {
  if (typeof condition !== "object" || condition === null) return condition;
  const out: Record<string, unknown> = {};
  for (const key of KEPT_CONDITION_FIELDS) {
    const value = (condition as Record<string, unknown>)[key];
    if (value !== undefined) out[key] = value;
  }
  return out;
}
