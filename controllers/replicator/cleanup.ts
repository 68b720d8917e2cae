/**
 * Removing what plumber made: a Replicator's objects in a cluster it no longer targets or before it is
 * deleted (the finalizer), and the namespaces plumber created, deleted only when a census of every
 * namespaced type finds nothing else in them (DESIGN.md section 4). A namespace the census cannot count
 * is kept and reported. The janitor pass deletes namespaces whose creators are all gone.
 *
 * @module
 */

import { FIELD_MANAGER, FINALIZER, type Replicator } from "../../lib/api.ts";
import { mapLimit } from "../../lib/async.ts";
import { heldIn } from "../../lib/holdings.ts";
import { ABANDON_ANNOTATION } from "../../lib/holdings.ts";
import { refOf } from "../../lib/kube/client.ts";
import { describeCensus, type IsOwn, namespaceCensus } from "../../lib/kube/census.ts";
import type { ReconcileResult } from "../../lib/kube/controller.ts";
import { describeFailure } from "../../lib/kube/probe.ts";
import { type ObjectMeta, objectMeta } from "../../lib/object_meta.ts";
import { mayChange } from "../../lib/ownership.ts";
import { deletionPolicyOf, releasePatch } from "../../lib/release.ts";
import type { ClusterCaches } from "./cluster_caches.ts";
import { findReplicator, ownerOf, type ReplicatorContext, targetingOf } from "./context.ts";
import {
  cleanupClusters,
  createdBy,
  isTerminating,
  judgeCleanup,
  objectId,
  uncachedFailure,
} from "./plan.ts";
import { writeStatus } from "./status.ts";
import { targetNames } from "../../lib/targets.ts";
import { extraKinds } from "../../lib/resources.ts";

/** Queue key of the namespace clean-up pass ("\0" cannot start a Replicator name). */
export const NAMESPACE_JANITOR_KEY = "\u0000namespaces";

/** How long a namespace found not empty is not counted again. */
const KEPT_RECHECK_MS = 60_000;

/**
 * Cleans every cluster up before a Replicator goes, then removes its finalizer. A cluster that cannot
 * be cleaned up (unreachable, or no longer registered while it holds objects) keeps the finalizer and
 * is reported, unless the user abandoned it.
 */
export async function finalizeReplicator(
  ctx: ReplicatorContext,
  replicator: Replicator,
): Promise<ReconcileResult> {
  if (!replicator.metadata.finalizers?.includes(FINALIZER)) return;
  const targets = targetNames(targetingOf(ctx, replicator));
  const clusters = cleanupClusters(
    replicator,
    targets,
    [...ctx.caches.keys()],
    (c) => mayHoldObjects(ctx, replicator, c),
  );
  const results = await mapLimit(clusters, ctx.clusterConcurrency, async (cluster) => {
    if (!ctx.caches.has(cluster)) {
      const message = uncachedFailure(replicator, cluster, ctx.registry.get(cluster));
      return message === undefined ? undefined : { cluster, message };
    }
    try {
      await cleanupCluster(ctx, replicator, cluster);
      return undefined;
    } catch (error) {
      return { cluster, message: `cluster ${cluster}: ${describeFailure(error)}` };
    }
  });
  const { failures, abandoned } = judgeCleanup(replicator, results.filter((r) => r !== undefined));
  if (failures.length > 0) {
    const message = `Cannot clean up before deletion, keeping the finalizer: ${failures.join("; ")}`;
    await writeStatus(ctx, replicator, [], { extraFailure: message, keepApplied: true });
    await ctx.event(replicator, "Warning", "CleanupFailed", message);
    throw new Error(message);
  }
  if (abandoned.length > 0) {
    await ctx.event(
      replicator,
      "Warning",
      "Abandoned",
      `Left this Replicator's objects in ${
        abandoned.join(", ")
      } as the ${ABANDON_ANNOTATION} annotation asks`,
    );
  }
  const fresh = await findReplicator(ctx, replicator.metadata.name);
  const finalizers = fresh?.metadata?.finalizers;
  if (!fresh || !finalizers?.includes(FINALIZER)) return;
  await ctx.api.replaceReplicator({
    ...fresh,
    metadata: { ...fresh.metadata, finalizers: finalizers.filter((f) => f !== FINALIZER) },
  });
  ctx.tls.delete(replicator.metadata.name);
  // Replicators sharing a namespace and deleted together each see the others' objects and keep it;
  // a pass after every release deletes what none of them could.
  ctx.enqueue(NAMESPACE_JANITOR_KEY);
  ctx.logger.info("Cleaned up every cluster and released the Replicator", {
    replicator: replicator.metadata.name,
  });
}

/**
 * Removes a Replicator from one cluster as its `deletionPolicy` says: Delete (the default) deletes its
 * objects, then its namespace if plumber created it and it is empty; Orphan leaves them in place, released.
 */
export async function cleanupCluster(
  ctx: ReplicatorContext,
  replicator: Replicator,
  cluster: string,
): Promise<number> {
  const caches = ctx.caches.get(cluster);
  if (!caches) return 0;
  if (!caches.synced && !(await caches.waitForSync(ctx.cacheSyncTimeoutMs))) {
    throw new Error(`cannot list objects in cluster ${cluster}`);
  }
  // The spec.resources[] kinds it uses or still holds are cleaned up too: their caches must be running.
  await caches.ensureKinds(extraKinds(replicator.spec, replicator.status?.applied), ctx.cacheSyncTimeoutMs);
  return deletionPolicyOf(replicator.spec) === "Orphan"
    ? await orphanInCluster(ctx, replicator, caches)
    : await deleteInCluster(ctx, replicator, caches);
}

/**
 * deletionPolicy Orphan: removes plumber's labels, intent hash and owner reference from every object of
 * the Replicator in one cluster (a JSON merge patch each, see `lib/release.ts`), and releases the namespaces
 * it created (left in place). One `Orphaned` part per cluster (of the reconcile's one Event) names what
 * was left.
 */
async function orphanInCluster(
  ctx: ReplicatorContext,
  replicator: Replicator,
  caches: ClusterCaches,
): Promise<number> {
  const name = replicator.metadata.name;
  const uid = replicator.metadata.uid;
  const released: string[] = [];
  const release = async (live: { metadata?: unknown }, ref: ReturnType<typeof refOf>, id: string) => {
    const patch = releasePatch((live.metadata ?? {}) as ObjectMeta, ctx.primaryId, name, uid);
    await caches.client.mergePatch(ref, patch, { fieldManager: FIELD_MANAGER });
    released.push(id);
  };
  for (const live of caches.ownedBy(ownerOf(ctx, replicator))) {
    await release(live, refOf(live), objectId(live));
  }
  for (const ns of caches.namespaces.list()) {
    const meta = objectMeta(ns);
    if (createdBy(meta, ctx.primaryId) !== name || meta.name === undefined || isTerminating(ns)) continue;
    await release(ns, { apiVersion: "v1", kind: "Namespace", name: meta.name }, `Namespace/${meta.name}`);
  }
  if (released.length > 0) {
    ctx.logger.info("Orphaned", { replicator: name, cluster: caches.name, objects: released.length });
    await ctx.event(
      replicator,
      "Normal",
      "Orphaned",
      `Left ${
        released.join(", ")
      } in ${caches.name} in place and removed plumber's labels (deletionPolicy Orphan)`
        .slice(0, 1000),
    );
  }
  return released.length;
}

/** Deletes a Replicator's objects in one cluster, then its namespace if plumber created it and it is empty. */
async function deleteInCluster(
  ctx: ReplicatorContext,
  replicator: Replicator,
  caches: ClusterCaches,
): Promise<number> {
  const cluster = caches.name;
  const name = replicator.metadata.name;
  const owner = ownerOf(ctx, replicator);
  let deleted = 0;
  for (const live of caches.ownedBy(owner)) {
    if (await caches.client.delete(refOf(live), { uid: objectMeta(live).uid })) {
      deleted++;
      await ctx.event(replicator, "Normal", "Pruned", `Deleted ${objectId(live)} in ${cluster}`);
    }
  }
  // Namespaces plumber created that this Replicator used (or created): deleted once nothing else is in them,
  // whichever Replicator created them (the creator may be gone while another still used the namespace).
  for (const ns of caches.namespaces.list()) {
    const meta = objectMeta(ns);
    const creator = createdBy(meta, ctx.primaryId);
    if (creator === undefined || meta.name === undefined) continue;
    // A namespace another live Replicator created is that one's to delete (it may be about to fill it);
    // one whose creator is gone passes to the Replicators that used it.
    if (creator !== name) {
      if (meta.name !== replicator.spec.replicationNamespace || !(await replicatorGone(ctx, creator))) {
        continue;
      }
    }
    if (isTerminating(ns)) continue;
    // Everything else (what goes with plumber's objects, Kubernetes' defaults) is the census' to judge.
    const verdict = await namespaceVerdict(
      ctx,
      caches,
      meta.name,
      (o) => mayChange(o.metadata.labels, owner),
    );
    if (!verdict.empty) {
      const message = `Kept namespace ${meta.name} in ${cluster}: ${verdict.reason}`;
      await ctx.event(replicator, verdict.uncounted ? "Warning" : "Normal", "NamespaceKept", message);
      continue;
    }
    await caches.client.delete({ apiVersion: "v1", kind: "Namespace", name: meta.name }, { uid: meta.uid });
    deleted++;
    await ctx.event(replicator, "Normal", "NamespaceDeleted", `Deleted namespace ${meta.name} in ${cluster}`);
  }
  return deleted;
}

/**
 * Whether a cluster the Replicator does not target may still hold its objects: when the cluster's
 * caches are synced they say so; otherwise only a cluster named in its status may. A cluster whose
 * caches never sync (a wrong CA, say) must not hold up Replicators that never used it.
 */
export function mayHoldObjects(ctx: ReplicatorContext, replicator: Replicator, cluster: string): boolean {
  const caches = ctx.caches.get(cluster);
  if (!caches) return false;
  const name = replicator.metadata.name;
  if (!caches.synced) {
    return (replicator.status?.clusters ?? []).some((c) => c.name === cluster) ||
      heldIn(replicator.status, cluster).length > 0;
  }
  return caches.ownedBy(ownerOf(ctx, replicator)).length > 0 ||
    caches.namespaces.list().some((ns) => {
      const meta = objectMeta(ns);
      return createdBy(meta, ctx.primaryId) === name && !recentlyKept(ctx, caches.name, meta.name ?? "");
    });
}

/**
 * Deletes namespaces plumber created whose creator is gone and that hold nothing at all any more
 * (no object of any Replicator, nothing of anyone else), in every cluster with synced caches.
 */
export async function collectNamespaces(ctx: ReplicatorContext): Promise<ReconcileResult> {
  for (const caches of ctx.caches.values()) {
    if (!caches.synced) continue;
    for (const ns of caches.namespaces.list()) {
      const meta = objectMeta(ns);
      const creator = createdBy(meta, ctx.primaryId);
      if (!creator || meta.name === undefined) continue;
      if (isTerminating(ns)) continue;
      if (!(await replicatorGone(ctx, creator))) continue;
      // Every Replicator's objects count as "something else here"; what goes with deleted ones does not.
      const verdict = await namespaceVerdict(ctx, caches, meta.name, () => false);
      if (!verdict.empty) continue;
      await caches.client.delete({ apiVersion: "v1", kind: "Namespace", name: meta.name }, { uid: meta.uid });
      ctx.logger.info("Deleted a namespace plumber created once nothing was left in it", {
        cluster: caches.name,
        namespace: meta.name,
      });
    }
  }
}

/** True when no Replicator of that name exists (the cache may hold only this operator's shard: ask). */
async function replicatorGone(ctx: ReplicatorContext, name: string): Promise<boolean> {
  if (ctx.replicators.get(undefined, name)) return false;
  return !(await findReplicator(ctx, name));
}

/** A namespace found not empty within the last minute is not counted again (a census lists every type). */
function recentlyKept(ctx: ReplicatorContext, cluster: string, namespace: string): boolean {
  const at = ctx.kept.get(`${cluster}/${namespace}`)?.at;
  return at !== undefined && Date.now() - at < KEPT_RECHECK_MS;
}

/** Namespaces this Replicator created in clusters it no longer targets, kept because a census could not count them. */
export function keptMessages(ctx: ReplicatorContext, replicator: Replicator, targets: string[]): string[] {
  const messages: string[] = [];
  for (const caches of ctx.caches.values()) {
    if (targets.includes(caches.name)) continue;
    for (const ns of caches.namespaces.list()) {
      const meta = objectMeta(ns);
      if (createdBy(meta, ctx.primaryId) !== replicator.metadata.name) continue;
      const why = ctx.kept.get(`${caches.name}/${meta.name}`)?.uncounted;
      if (why) messages.push(`Kept namespace ${meta.name} in ${caches.name}: ${why}`);
    }
  }
  return messages;
}

/**
 * Counts what is in a namespace before plumber deletes it (DESIGN.md section 4): empty only when a
 * census of every namespaced type finds nothing but `isOwn` objects, what goes with them and what
 * Kubernetes puts into every namespace; anything that cannot be counted keeps it (`uncounted`).
 */
async function namespaceVerdict(
  ctx: ReplicatorContext,
  caches: ClusterCaches,
  namespace: string,
  isOwn: IsOwn,
): Promise<{ empty: boolean; reason?: string; uncounted?: boolean }> {
  let result: { empty: boolean; reason?: string; uncounted?: boolean };
  try {
    const census = await namespaceCensus(caches.client, namespace, isOwn);
    result = census.empty
      ? { empty: true }
      : { empty: false, reason: describeCensus(census), uncounted: census.unknown.length > 0 };
  } catch (error) {
    result = {
      empty: false,
      reason: `cannot count what is in it: ${describeFailure(error)}`,
      uncounted: true,
    };
  }
  const key = `${caches.name}/${namespace}`;
  if (result.empty) ctx.kept.delete(key);
  else ctx.kept.set(key, { at: Date.now(), ...(result.uncounted ? { uncounted: result.reason } : {}) });
  ctx.logger.info(result.empty ? "Namespace holds nothing else" : "Kept a namespace plumber created", {
    cluster: caches.name,
    namespace,
    ...(result.reason ? { reason: result.reason } : {}),
  });
  return result;
}
