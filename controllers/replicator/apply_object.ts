/**
 * Applying one rendered object to one cluster, and creating its namespace: decides with `plan.ts` (new,
 * changed, drifted, another owner's, or unchanged), writes with a server-side apply (a create-only one when
 * the object is not in plumber's cache), reports drift and conflicts, and notes a cluster that does not
 * answer. Called by `act.ts` for every object of every target cluster.
 *
 * @module
 */

import { type AppliedResource, FIELD_MANAGER, type KubeObject, type Replicator } from "../../lib/api.ts";
import { isConflict, KubeApiError } from "../../lib/kube/client.ts";
import { isSuspended } from "../../lib/release.ts";
import { isSeedKind } from "../../lib/resources.ts";
import { failedApplyStatus } from "./apply_failure.ts";
import type { ClusterCaches } from "./cluster_caches.ts";
import { ownerOf, type ReplicatorContext } from "./context.ts";
import { type DriftChange, inspectDrift, reportDrift, wasApplied } from "./drift.ts";
import { requestFailure, resolveKind } from "./extra_kinds.ts";
import type { Hasher } from "./intent_hashes.ts";
import {
  type ClusterOutcome,
  createOnlyIntent,
  namespaceToCreate,
  objectId,
  planNamespace,
  planObject,
  withIntentHash,
} from "./plan.ts";

/** Creates the namespace when missing (marked as plumber's); never relabels a namespace plumber did not create. */
export async function ensureNamespace(
  ctx: ReplicatorContext,
  replicator: Replicator,
  caches: ClusterCaches,
  namespace: KubeObject,
  outcome: ClusterOutcome,
): Promise<void> {
  const name = namespace.metadata.name;
  const action = planNamespace(caches.namespaces.get(undefined, name));
  if (action === "terminating") throw new Error(`namespace ${name} is being deleted; waiting for it to go`);
  if (action === "exists") return;
  if (isSuspended(replicator.spec)) return void outcome.differs.push(`Namespace/${name}`);
  try {
    await caches.client.create(namespaceToCreate(name, replicator.metadata.name, ctx.primaryId));
    caches.unreachableAt = undefined;
    outcome.written.push(`Namespace ${name}`);
  } catch (error) {
    noteUnreachable(caches, error);
    // Created meanwhile, or not in the cache yet: it exists, and is left as it is.
    if (!isConflict(error)) throw error;
  }
}

export async function applyObject(
  ctx: ReplicatorContext,
  replicator: Replicator,
  caches: ClusterCaches,
  object: KubeObject,
  outcome: ClusterOutcome,
  hashOf: Hasher,
  read = false,
): Promise<AppliedResource> {
  const hash = await hashOf(object);
  const intent = withIntentHash(object, hash);
  const { kind, metadata: { namespace, name } } = object;
  const result: AppliedResource = {
    cluster: caches.name,
    ...(isSeedKind(object) ? {} : { apiVersion: object.apiVersion }),
    kind,
    name,
    applyStatus: "applied",
  };
  // A resources[] kind: served and namespaced in this cluster? (Its cache starts on first use.)
  const { mapping, refused } = await resolveKind(caches, object, ctx.cacheSyncTimeoutMs);
  if (refused) {
    result.applyStatus = failedApplyStatus(refused);
    return result;
  }
  // Not in plumber's cache (which holds only objects labelled as plumber's): an object of the same name
  // may still be there, and must not be taken over. Instead of reading it first, it is created with a
  // conditional apply (`createOnly`), which the API server refuses with 409 when any object of that name
  // exists; only then is it read and judged (`read`). While suspended nothing is written: it is read.
  let live = caches.informerFor(object)?.get(namespace, name);
  const createOnly = !live && !read && !isSuspended(replicator.spec);
  if (!live && !createOnly) {
    try {
      live = await caches.client.find({ apiVersion: object.apiVersion, kind, namespace, name });
    } catch (error) {
      noteUnreachable(caches, error);
      result.applyStatus = failedApplyStatus(requestFailure(caches, object, "get", mapping, error));
      return result;
    }
  }
  const plan = planObject(intent, hash, live, ownerOf(ctx, replicator));
  if (plan.action === "conflict") {
    result.applyStatus = `conflict: ${plan.reason}`;
    await ctx.event(
      replicator,
      "Warning",
      "Conflict",
      `${kind} ${namespace}/${name} in ${caches.name} ${plan.reason}; left unchanged`,
    );
    return result;
  }
  if (plan.action === "skip") return result;
  if (isSuspended(replicator.spec)) {
    outcome.differs.push(objectId(object));
    return result;
  }
  // A drift (changed, or deleted although applied before): who changed what, read before plumber's apply
  // takes the fields back.
  const deleted = plan.action === "create" && wasApplied(replicator, caches.name, object);
  const change: DriftChange | undefined = deleted
    ? "deleted"
    : plan.action !== "create" && plan.drift
    ? await inspectDrift(caches.client, intent, live, ctx.logger)
    : undefined;
  // A create-only apply succeeds only when nothing of that name existed: the version it returns is this
  // write's, so its watch event (the echo) needs no reconcile. Other applies may change nothing and return a
  // version someone else wrote (a Deployment's status, say), whose event must reconcile: not tracked.
  const apply = () =>
    caches.client.apply<KubeObject>(createOnly ? createOnlyIntent(intent) : intent, {
      fieldManager: FIELD_MANAGER,
      force: true,
    });
  let written: KubeObject;
  try {
    written = createOnly
      ? await ctx.ownWrites.write(
        caches.name,
        intent,
        apply,
        () => true,
        () => ctx.enqueue(replicator.metadata.name),
      )
      : await apply();
  } catch (error) {
    // Something of that name is there after all (not plumber's, or not cached yet): read it and judge it.
    if (createOnly && isConflict(error)) {
      return await applyObject(ctx, replicator, caches, object, outcome, hashOf, true);
    }
    noteUnreachable(caches, error);
    result.applyStatus = failedApplyStatus(requestFailure(caches, object, "patch", mapping, error));
    return result;
  }
  caches.unreachableAt = undefined;
  outcome.wrote++;
  if (kind === "Deployment") outcome.appliedDeployment = written;
  if (change) await reportDrift(ctx, replicator, caches.name, object, change);
  const drift = change !== undefined;
  // A drift reverted is worth a line at info; an object applied is summed up once per reconcile (`act.ts`)
  // and has its own line only at debug (3,600 lines for 200 Replicators in three clusters otherwise).
  ctx.logger[drift ? "info" : "debug"](drift ? "Reverted drift" : "Applied", {
    replicator: replicator.metadata.name,
    cluster: caches.name,
    object: objectId(object),
    difference: plan.action === "create"
      ? "new object"
      : plan.action === "adopt"
      ? "adopted (written by an earlier release)"
      : plan.difference,
    ...(change ? { drift: change === "deleted" ? "deleted" : change.fields.join(", ") } : {}),
  });
  // One `Applied` part per reconcile for all clusters (`applied_event.ts`), not one per object or cluster.
  (drift ? outcome.corrected : outcome.written).push(`${kind} ${namespace}/${name}`);
  return result;
}

/** Remembers that a cluster did not answer (connection refused, TLS failure or timeout). */
export function noteUnreachable(caches: ClusterCaches, error: unknown): void {
  if (
    error instanceof KubeApiError && error.status === 0 && /^(ConnectionError|Timeout)$/.test(error.reason)
  ) {
    caches.unreachableAt = Date.now();
  }
}
