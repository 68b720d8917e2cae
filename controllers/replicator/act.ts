/**
 * Carries out a Replicator's sync: resolves its targets (`targetCluster` and `clusterSelector`, from the
 * caches), renders its objects for every target cluster, creates the namespace
 * when missing, applies what `plan.ts` says (new, changed or drifted objects; conflicts are reported
 * and left alone), prunes what is no longer wanted, cleans up clusters no longer targeted, and writes
 * the status (what was applied is one `Applied` part, `applied_event.ts`, of the reconcile's one Event,
 * `reconcile_events.ts`; one object's apply is
 * `apply_object.ts`). Clusters are worked in parallel with bounded concurrency; a failing cluster is reported
 * and retried with backoff without holding up the rest.
 *
 * @module
 */

import type { KubeObject, Replicator } from "../../lib/api.ts";
import { mapLimit, settleAll } from "../../lib/async.ts";
import { INTENT_HASH_ANNOTATION } from "../../lib/diff.ts";
import { refOf } from "../../lib/kube/client.ts";
import type { ReconcileResult } from "../../lib/kube/controller.ts";
import { describeFailure } from "../../lib/kube/probe.ts";
import { objectMeta, statusNumber } from "../../lib/object_meta.ts";
import { applyOverrides, loadJsonPatch, needsJsonPatch, OverrideError } from "../../lib/overrides.ts";
import { isSuspended } from "../../lib/release.ts";
import { ingressHosts, ingressTlsEnabled, renderReplicator } from "../../lib/render.ts";
import { allFailed, failureSummary } from "./apply_failure.ts";
import { cleanupCluster, keptMessages, mayHoldObjects } from "./cleanup.ts";
import type { ClusterCaches } from "./cluster_caches.ts";
import { ownerOf, type ReplicatorContext, targetingOf } from "./context.ts";
import { alreadyReported, heldBackOutcome } from "./held_back.ts";
import {
  type ClusterOutcome,
  deploymentForReadiness,
  emptyOutcome,
  gateCluster,
  notAnsweringMessage,
  notAnsweringOutcome,
  objectId,
  planPrune,
  requeueAfter,
  skipUnreachable,
  suspendedVerdict,
  unreachableOutcome,
  unregisteredHoldings,
} from "./plan.ts";
import { clusterReadiness, type DeploymentLike } from "../../lib/readiness.ts";
import { finishRollout, planRollout, type RolloutPlan } from "./rollout.ts";
import { writeStatus } from "./status.ts";
import { appliedMessage } from "./applied_event.ts";
import { applyObject, ensureNamespace } from "./apply_object.ts";
import type { Hasher } from "./intent_hashes.ts";
import { targetNames } from "../../lib/targets.ts";
import { ensureTls, type StoredTls, tlsSecretName } from "./tls_material.ts";
import { clashApplied, isNotServed, resolveResources } from "../../lib/resources.ts";

/** Syncs a Replicator that is not being deleted into every cluster it targets. */
export async function syncReplicator(
  ctx: ReplicatorContext,
  replicator: Replicator,
): Promise<ReconcileResult> {
  const name = replicator.metadata.name;
  const targeting = targetingOf(ctx, replicator);
  let tls: { material: StoredTls; renewAt: Date } | undefined;
  try {
    tls = await tlsFor(ctx, replicator);
  } catch (error) {
    await writeStatus(ctx, replicator, [], {
      extraFailure: `Cannot prepare TLS certificates: ${describeFailure(error)}`,
      targeting,
    });
    throw error;
  }
  const targets = targetNames(targeting);
  // Which revision of the spec each cluster renders (a progressive rollout keeps some on an older one).
  const rollout = await planRollout(ctx, replicator, targeting);
  const outcomes = await mapLimit(
    targets,
    ctx.clusterConcurrency,
    (cluster) => syncCluster(ctx, replicator, cluster, tls?.material, rollout),
  );
  // One part for what was applied in every cluster (each drift reverted has its own, `drift.ts`); the
  // reconcile folds its parts into one Event (`reconcile_events.ts`).
  const applied = appliedMessage(outcomes);
  if (applied) {
    ctx.logger.info("Applied", {
      replicator: replicator.metadata.name,
      objects: outcomes.reduce((n, o) => n + o.written.length, 0),
      message: applied,
    });
    await ctx.event(replicator, "Normal", "Applied", applied);
  }
  const known = (cluster: string) => ctx.caches.has(cluster) || ctx.registry.get(cluster) !== undefined;
  for (const cluster of unregisteredHoldings(replicator, targets, known)) {
    outcomes.push(unreachableOutcome(replicator, cluster, "", false));
  }
  // Clusters no longer targeted: remove (or orphan) what plumber made there; nothing while suspended.
  const pruneElsewhere = isSuspended(replicator.spec)
    ? []
    : [...ctx.caches.keys()].filter((c) => !targets.includes(c) && mayHoldObjects(ctx, replicator, c));
  const pruneResults = await mapLimit(pruneElsewhere, ctx.clusterConcurrency, async (cluster) => {
    try {
      await cleanupCluster(ctx, replicator, cluster);
      return undefined;
    } catch (error) {
      return `cannot prune cluster ${cluster}: ${describeFailure(error)}`;
    }
  });
  const pruneFailures = pruneResults.filter((r): r is string => typeof r === "string");
  const rolloutReport = await finishRollout(ctx, replicator, rollout, outcomes);
  await writeStatus(ctx, replicator, outcomes, {
    rollout: rolloutReport,
    extraFailure: pruneFailures.join("; ") || undefined,
    kept: keptMessages(ctx, replicator, targets),
    targeting,
  });

  const retry = outcomes.find((c) => c.retry);
  if (retry || pruneFailures.length > 0) {
    throw new Error(`Replicator ${name} is not synced: ${retry?.message ?? pruneFailures[0]}`);
  }
  const renewIn = tls ? Math.max(tls.renewAt.getTime() - Date.now(), 1000) : undefined;
  const requeue = [requeueAfter(outcomes, renewIn), rolloutReport.requeueAfterMs]
    .filter((ms): ms is number => ms !== undefined);
  return requeue.length === 0 ? undefined : { requeueAfterMs: Math.min(...requeue) };
}

/** The Replicator's TLS material when its Ingress asks for it, issued or renewed when due. */
async function tlsFor(
  ctx: ReplicatorContext,
  replicator: Replicator,
): Promise<{ material: StoredTls; renewAt: Date } | undefined> {
  if (!ingressTlsEnabled(replicator.spec)) return undefined;
  const hosts = ingressHosts(replicator.spec);
  const key = hosts.join(",");
  const now = ctx.now();
  const cached = ctx.tls.get(replicator.metadata.name);
  if (cached && cached.uid === replicator.metadata.uid && cached.hosts === key && cached.renewAt > now) {
    return cached;
  }
  // What this operator last ensured, else the Secret as the informer holds it (no GET).
  const previous = cached && cached.uid === replicator.metadata.uid ? cached : undefined;
  const secret = ctx.tlsSecrets.get(ctx.namespace, tlsSecretName(replicator.metadata.name));
  const result = await ensureTls(ctx.primary, ctx.namespace, replicator, hosts, now, { secret, previous });
  ctx.tls.set(replicator.metadata.name, { uid: replicator.metadata.uid, hosts: key, ...result });
  if (result.issued) {
    const what = Object.entries(result.issued).filter(([, v]) => v).map(([k]) => k).join(", ");
    ctx.logger.info("Issued TLS certificates", { replicator: replicator.metadata.name, issued: what });
    await ctx.event(replicator, "Normal", "CertificatesIssued", `Issued certificates: ${what}`);
  }
  return result;
}

/** A cluster's caches once synced, or why they cannot be used yet. */
async function cachesFor(ctx: ReplicatorContext, cluster: string): Promise<ClusterCaches | string> {
  const caches = ctx.caches.get(cluster);
  if (!caches) return "no client for this cluster";
  // A cluster whose first list already failed is down: waiting would hold a worker for the whole timeout.
  const failing = caches.all.some((i) => !i.synced && i.stats.errors > 0);
  if (!caches.synced && (failing || !(await caches.waitForSync(ctx.cacheSyncTimeoutMs)))) {
    return "cannot list objects in this cluster yet";
  }
  return caches;
}

async function syncCluster(
  ctx: ReplicatorContext,
  replicator: Replicator,
  cluster: string,
  tls: StoredTls | undefined,
  rollout: RolloutPlan,
): Promise<ClusterOutcome> {
  const outcome = emptyOutcome(cluster);
  const entry = ctx.registry.get(cluster);
  const gate = gateCluster(cluster, entry, ctx.detectors.get(ctx.namespace, cluster)?.status);
  if (gate.kind === "unreachable") {
    const outcome = unreachableOutcome(replicator, cluster, gate.message, entry !== undefined);
    return gate.waitsForDetector ? { ...outcome, waitsForDetector: true } : outcome;
  }
  const caches = await cachesFor(ctx, cluster);
  if (typeof caches === "string") {
    return {
      ...unreachableOutcome(replicator, cluster, `cluster "${cluster}": ${caches}`, true),
      retry: true,
    };
  }
  if (skipUnreachable(caches.unreachableAt, Date.now())) {
    // Another reconcile found it not answering a moment ago: no request, no worker held, retried soon.
    return notAnsweringOutcome(replicator, cluster);
  }
  const spec = rollout.specFor(cluster);
  if (!spec) {
    return {
      ...outcome,
      message: `waiting for the rollout of revision ${rollout.revision} to reach this cluster`,
    };
  }
  let desired: KubeObject[];
  let labels: Record<string, string> | undefined;
  try {
    desired = renderReplicator({
      replicator: { ...replicator, spec },
      role: gate.role,
      tls,
      primaryId: ctx.primaryId,
    });
  } catch (error) {
    outcome.message = `cannot render: ${(error as Error).message}`;
    return outcome;
  }
  // rfc6902 is loaded on first use (it brings Node compatibility into memory): before the sync call.
  if (needsJsonPatch(spec.overrides)) await loadJsonPatch();
  try {
    // Everything below (intent hash, drift, pruning) works on the cluster's own, overridden objects.
    labels = ctx.detectors.get(ctx.namespace, cluster)?.metadata.labels;
    desired = applyOverrides(desired, spec.overrides, { name: cluster, labels });
  } catch (error) {
    if (!(error instanceof OverrideError)) throw error;
    return await holdBack(ctx, replicator, cluster, desired, error);
  }
  const [namespace, ...objects] = desired;
  // The objects' intent hashes, reused while nothing the render depends on changed.
  const hashOf = ctx.intentHashes.for(replicator.metadata.name, cluster, {
    uid: replicator.metadata.uid,
    generation: spec === replicator.spec ? replicator.metadata.generation : undefined,
    role: gate.role,
    primaryId: ctx.primaryId,
    labels,
    tls,
  });
  try {
    try {
      await ensureNamespace(ctx, replicator, caches, namespace!, outcome);
    } catch (error) {
      outcome.applied.push(...allFailed(cluster, objects, `namespace: ${describeFailure(error)}`));
      throw error;
    }
    // The objects of a namespace do not depend on each other: apply them at once, one round trip instead of six.
    // An object the API server refuses is listed as failed; the others are still applied.
    outcome.applied.push(
      ...await settleAll(
        objects.map((object) => applyObject(ctx, replicator, caches, object, outcome, hashOf)),
      ),
      // resources[] entries naming an object another field names: not applied, reported.
      ...resolveResources(replicator.spec).clashes.map((clash) => clashApplied(cluster, clash)),
    );
    const unwanted = planPrune(objects, caches.cached(), ownerOf(ctx, replicator));
    if (isSuspended(replicator.spec)) {
      outcome.differs.push(...unwanted.map((o) => `${objectId(o)} (unwanted)`));
    } else {
      await settleAll(unwanted.map(async (live) => {
        if (!await caches.client.delete(refOf(live), { uid: objectMeta(live).uid })) return;
        outcome.wrote++;
        ctx.logger.info("Pruned", { replicator: replicator.metadata.name, cluster, object: objectId(live) });
        await ctx.event(
          replicator,
          "Normal",
          "Pruned",
          `Deleted ${objectId(live)} in ${cluster}: no longer in the spec`,
        );
      }));
    }
    // A kind the cluster does not serve (yet) is retried soon (requeueAfter), not with a growing backoff.
    const failures = failureSummary(outcome.applied.filter((a) => !isNotServed(a)));
    if (failures) throw new Error(failures);
  } catch (error) {
    const failure = `cluster "${cluster}": ${describeFailure(error)}`;
    // Not answering: retried after a pause, not with a backoff starting at 5 ms (see UNREACHABLE_RETRY_MS),
    // and reported as when skipped, so the status stays the same from one retry to the next.
    outcome.unreachable = skipUnreachable(caches.unreachableAt, Date.now());
    outcome.retry = !outcome.unreachable;
    if (outcome.unreachable) {
      outcome.applied = notAnsweringOutcome(replicator, cluster, outcome.applied).applied;
    }
    outcome.message = outcome.unreachable ? notAnsweringMessage(cluster) : failure;
    if (outcome.unreachable && alreadyReported(replicator, cluster, outcome.message)) return outcome;
    ctx.logger.warn("Cannot replicate to a cluster", {
      replicator: replicator.metadata.name,
      cluster,
      error: failure,
    });
    await ctx.event(replicator, "Warning", "ApplyFailed", outcome.message);
    return outcome;
  }
  const deploymentName = spec.deploymentName;
  if (deploymentName) {
    const deployment = caches.objects.get("Deployment")?.get(
      spec.replicationNamespace,
      deploymentName,
    );
    // Desired replicas from the cluster's rendered Deployment, overrides included (Kubernetes' default is
    // 1), not from the cached object, which may still show a hand edit that is being reverted.
    const rendered = objects.find((o) => o.kind === "Deployment")?.spec as { replicas?: number } | undefined;
    outcome.replicas = rendered?.replicas ?? 1;
    outcome.readyReplicas = (deployment && statusNumber(deployment, "readyReplicas")) ?? 0;
  }
  const conflicts = outcome.applied.filter((a) => a.applyStatus !== "applied");
  outcome.ok = conflicts.length === 0;
  if (!outcome.ok) {
    outcome.message = conflicts.map((c) => `${c.kind} ${c.name}: ${c.applyStatus}`).join("; ");
  }
  const suspended = suspendedVerdict(replicator, outcome.differs);
  if (suspended) {
    outcome.ok &&= suspended.ok;
    outcome.message = [outcome.message, suspended.message].filter((m) => m).join("; ");
  }
  setReadiness(caches, spec, objects, outcome, hashOf);
  // While suspended the message says what differs (nothing is applied on purpose).
  if (suspended && !outcome.ok) delete outcome.readyMessage;
  return outcome;
}

/**
 * Holds a cluster back when an override cannot be applied to it: nothing is applied or pruned there, the
 * other clusters proceed. A Warning Event when the reason is new (a requeue writes nothing).
 */
async function holdBack(
  ctx: ReplicatorContext,
  replicator: Replicator,
  cluster: string,
  rendered: KubeObject[],
  error: OverrideError,
): Promise<ClusterOutcome> {
  const outcome = heldBackOutcome(replicator, cluster, rendered, error);
  const message = outcome.message!;
  if (!alreadyReported(replicator, cluster, message)) {
    ctx.logger.warn("Cannot apply an override; cluster held back", {
      replicator: replicator.metadata.name,
      cluster,
      error: error.message,
    });
    await ctx.event(replicator, "Warning", "OverrideFailed", message);
  }
  return outcome;
}

/** The workload's readiness in a cluster (`lib/readiness.ts`), from its Deployment (`deploymentForReadiness`). */
function setReadiness(
  caches: ClusterCaches,
  spec: Replicator["spec"],
  objects: readonly KubeObject[],
  outcome: ClusterOutcome,
  hashOf: Hasher,
): void {
  const rendered = objects.find((o) => o.kind === "Deployment");
  const intent = rendered && { annotation: INTENT_HASH_ANNOTATION, hash: hashOf(rendered) };
  const cached = spec.deploymentName
    ? caches.objects.get("Deployment")?.get(spec.replicationNamespace, spec.deploymentName)
    : undefined;
  const live = deploymentForReadiness(cached, outcome.appliedDeployment, intent);
  const readiness = clusterReadiness({
    applied: outcome.ok,
    appliedMessage: outcome.message,
    hasDeployment: rendered !== undefined,
    deployment: live as DeploymentLike | undefined,
    desiredReplicas: outcome.replicas ?? 1,
    intent,
  });
  outcome.ready = readiness.ready;
  if (readiness.message) outcome.readyMessage = readiness.message;
}
