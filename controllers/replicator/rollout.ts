/**
 * The I/O of a progressive rollout (`lib/rollout.ts` decides): which revision each cluster runs and since
 * when (kept between reconciles, seeded from `status.clusters[].revision` after a restart), the spec of
 * each revision stored in the primary as an apps/v1 ControllerRevision `<replicator>-<revision>` in the
 * operator namespace (owned by the Replicator, so garbage-collected with it; the last
 * {@linkcode KEPT_REVISIONS} and those still running somewhere are kept), the spec to render for each
 * cluster, the `status.rollout` summary, the `RolloutHalted` condition and its Warning Event.
 *
 * With `strategy: All` nothing is stored: every cluster renders the current spec.
 *
 * @module
 */

import {
  API_VERSION,
  type Condition,
  findCondition,
  LABEL_REPLICATOR,
  type Replicator,
  REPLICATOR_KIND,
  type ReplicatorSpec,
  type ReplicatorStatus,
} from "../../lib/api.ts";
import { isConflict, isNotFound } from "../../lib/kube/client.ts";
import {
  type ClusterRolloutState,
  decideRollout,
  renderedSpecOf,
  revisionOf,
  type RolloutDecision,
  rolloutOrder,
  specAtRevision,
} from "../../lib/rollout.ts";
import { describeFailure } from "../../lib/kube/probe.ts";
import type { Targeting } from "../../lib/targets.ts";
import type { ReplicatorContext } from "./context.ts";
import type { ClusterOutcome } from "./plan.ts";

/** ControllerRevisions kept per Replicator besides those a cluster still runs. */
export const KEPT_REVISIONS = 3;

/** Condition type: True while a progressive rollout is halted at a cluster that missed its deadline. */
export const ROLLOUT_HALTED = "RolloutHalted";

/** What a Replicator's rollout remembers between reconciles (lost on restart: then read from status). */
export interface RolloutMemory {
  uid?: string;
  /** Cluster -> revision it runs, since when (ms) and whether it was ready there at the last reconcile. */
  clusters: Map<string, { revision: string; since: number; ready: boolean; message?: string }>;
  /** Cluster -> the revision it was first given and when, while it has not reported running it. */
  starts: Map<string, { revision: string; at: number }>;
  /** Revision -> its stored rendering spec fields (read or written once). */
  specs: Map<string, Record<string, unknown>>;
}

/** A reconcile's rollout: the revision, the decision and the spec each cluster renders. */
export interface RolloutPlan {
  revision: string;
  decision: RolloutDecision;
  order: string[];
  /** The spec to render in `cluster`, or undefined when nothing is to be applied there yet. */
  specFor(cluster: string): ReplicatorSpec | undefined;
}

function memoryOf(ctx: ReplicatorContext, replicator: Replicator): RolloutMemory {
  const name = replicator.metadata.name;
  let memory = ctx.rollouts.get(name);
  if (!memory || memory.uid !== replicator.metadata.uid) {
    memory = { uid: replicator.metadata.uid, clusters: new Map(), starts: new Map(), specs: new Map() };
    ctx.rollouts.set(name, memory);
  }
  return memory;
}

/** What each target runs, in update order, from memory or else from the last status. */
function statesOf(
  replicator: Replicator,
  memory: RolloutMemory,
  order: string[],
  revision: string,
  now: number,
): ClusterRolloutState[] {
  return order.map((name): ClusterRolloutState => {
    const start = memory.starts.get(name);
    const pending = start?.revision === revision ? { pendingSince: start.at } : {};
    const known = memory.clusters.get(name);
    if (known) return { name, ...known, ...pending };
    const stored = replicator.status?.clusters?.find((c) => c.name === name);
    // After a restart the deadline counts from now: when a cluster started is not stored.
    return stored?.revision
      ? {
        name,
        revision: stored.revision,
        ready: stored.ready,
        message: stored.message,
        since: now,
        ...pending,
      }
      : { name, ready: false, ...pending };
  });
}

/** Decides the rollout for this reconcile and loads the specs of the revisions clusters are kept on. */
export async function planRollout(
  ctx: ReplicatorContext,
  replicator: Replicator,
  targeting: Targeting,
): Promise<RolloutPlan> {
  const spec = replicator.spec;
  const revision = await revisionOf(spec);
  const memory = memoryOf(ctx, replicator);
  const order = rolloutOrder(targeting.targets, spec.targetCluster ?? [], spec.rollout?.order ?? []);
  const now = ctx.now().getTime();
  const decision = decideRollout({
    clusters: statesOf(replicator, memory, order, revision, now),
    revision,
    rollout: spec.rollout,
    now,
  });
  const specs = new Map<string, ReplicatorSpec>([[revision, spec]]);
  if (decision.strategy === "Progressive") {
    await storeRevision(ctx, replicator, revision, memory, new Set(decision.assign.values()));
    for (const old of new Set(decision.assign.values())) {
      if (old === revision) continue;
      const stored = await loadRevision(ctx, replicator, old, memory);
      if (stored) specs.set(old, specAtRevision(spec, stored));
    }
  }
  return {
    revision,
    decision,
    order,
    specFor(cluster) {
      const assigned = decision.assign.get(cluster);
      if (assigned === undefined) return undefined;
      // A revision not stored (recorded before the strategy was Progressive): the current spec.
      return specs.get(assigned) ?? spec;
    },
  };
}

function revisionName(replicator: Replicator, revision: string): string {
  return `${replicator.metadata.name}-${revision}`;
}

interface ControllerRevisionLike {
  metadata: {
    name: string;
    uid?: string;
    labels?: Record<string, string>;
    ownerReferences?: Array<{ kind?: string; uid?: string }>;
  };
  revision?: number;
  data?: { spec?: Record<string, unknown> };
}

/**
 * Whether a ControllerRevision is this Replicator's: owned by its UID (the reference plumber sets when it
 * stores a revision). A same-named or same-labelled one without it is someone else's: never read, never
 * pruned (DESIGN.md section 4).
 */
export function ownsRevision(revision: ControllerRevisionLike, replicator: Replicator): boolean {
  const uid = replicator.metadata.uid;
  return uid !== undefined &&
    (revision.metadata.ownerReferences ?? []).some((o) => o.kind === REPLICATOR_KIND && o.uid === uid);
}

/** Stores the current revision's spec once (a ControllerRevision), pruning the oldest unused ones. */
async function storeRevision(
  ctx: ReplicatorContext,
  replicator: Replicator,
  revision: string,
  memory: RolloutMemory,
  inUse: ReadonlySet<string>,
): Promise<void> {
  if (memory.specs.has(revision)) return;
  const rendered = renderedSpecOf(replicator.spec);
  const name = replicator.metadata.name;
  const existing = await ctx.primary.listAll<ControllerRevisionLike>("apps/v1", "ControllerRevision", {
    namespace: ctx.namespace,
    labelSelector: `${LABEL_REPLICATOR}=${name}`,
  });
  const mine = existing.items.filter((r) =>
    r.metadata.name.startsWith(`${name}-`) && ownsRevision(r, replicator)
  );
  if (!mine.some((r) => r.metadata.name === revisionName(replicator, revision))) {
    const number = Math.max(0, ...mine.map((r) => r.revision ?? 0)) + 1;
    try {
      mine.push(
        await ctx.primary.create<ControllerRevisionLike>({
          apiVersion: "apps/v1",
          kind: "ControllerRevision",
          metadata: {
            name: revisionName(replicator, revision),
            namespace: ctx.namespace,
            labels: { [LABEL_REPLICATOR]: name },
            ownerReferences: [{
              apiVersion: API_VERSION,
              kind: REPLICATOR_KIND,
              name,
              uid: replicator.metadata.uid!,
              blockOwnerDeletion: false,
            }],
          },
          data: { spec: rendered },
          revision: number,
        }),
      );
    } catch (error) {
      // Someone else's object has the name: it stays as it is (the spec is kept in memory).
      if (!isConflict(error)) throw error;
    }
  }
  memory.specs.set(revision, rendered);
  const keep = new Set([...inUse].map((r) => revisionName(replicator, r)));
  const stale = mine.sort((a, b) => (b.revision ?? 0) - (a.revision ?? 0)).slice(KEPT_REVISIONS)
    .filter((r) => !keep.has(r.metadata.name));
  for (const r of stale) {
    try {
      await ctx.primary.delete({
        apiVersion: "apps/v1",
        kind: "ControllerRevision",
        namespace: ctx.namespace,
        name: r.metadata.name,
      }, { uid: r.metadata.uid });
    } catch (error) {
      ctx.logger.warn("Cannot delete an old ControllerRevision", {
        replicator: name,
        revision: r.metadata.name,
        error: describeFailure(error),
      });
    }
  }
}

/** The stored spec fields of a revision, or undefined when it is not stored. */
async function loadRevision(
  ctx: ReplicatorContext,
  replicator: Replicator,
  revision: string,
  memory: RolloutMemory,
): Promise<Record<string, unknown> | undefined> {
  const cached = memory.specs.get(revision);
  if (cached) return cached;
  try {
    const stored = await ctx.primary.get<ControllerRevisionLike>({
      apiVersion: "apps/v1",
      kind: "ControllerRevision",
      namespace: ctx.namespace,
      name: revisionName(replicator, revision),
    });
    const spec = stored.data?.spec;
    if (!spec || !ownsRevision(stored, replicator)) return undefined;
    memory.specs.set(revision, spec);
    return spec;
  } catch (error) {
    if (!isNotFound(error)) throw error;
    ctx.logger.warn("A cluster's revision is not stored; it gets the current spec", {
      replicator: replicator.metadata.name,
      revision,
    });
    return undefined;
  }
}

/** What the status gets from the rollout. */
export interface RolloutReport {
  status: NonNullable<ReplicatorStatus["rollout"]>;
  /** The RolloutHalted condition to set (undefined: leave it absent). */
  halted?: Omit<Condition, "lastTransitionTime" | "observedGeneration">;
  /** Cluster -> revision it runs. */
  revisions: Map<string, string>;
  /** When to reconcile again: a cluster's deadline, or at once when the next cluster may start. */
  requeueAfterMs?: number;
}

/**
 * Records what this reconcile rendered where and how ready it is, decides again with that readiness
 * (the next clusters may start at once, or the rollout halts), and reports it; a Warning Event when it
 * halts at a cluster.
 */
export async function finishRollout(
  ctx: ReplicatorContext,
  replicator: Replicator,
  plan: RolloutPlan,
  outcomes: readonly ClusterOutcome[],
): Promise<RolloutReport> {
  const memory = memoryOf(ctx, replicator);
  for (const [cluster, revision] of plan.decision.assign) {
    const at = plan.decision.since.get(cluster);
    if (revision === plan.revision && at !== undefined && memory.starts.get(cluster)?.revision !== revision) {
      memory.starts.set(cluster, { revision, at });
    }
  }
  for (const outcome of outcomes) {
    const revision = plan.decision.assign.get(outcome.cluster);
    if (revision === undefined || (outcome.applied.length === 0 && !outcome.ok)) continue;
    const since = plan.decision.since.get(outcome.cluster) ?? memory.clusters.get(outcome.cluster)?.since ??
      ctx.now().getTime();
    memory.clusters.set(outcome.cluster, {
      revision,
      since: revision === plan.revision ? since : memory.clusters.get(outcome.cluster)?.since ?? since,
      ready: outcome.ready ?? false,
      message: outcome.readyMessage ?? outcome.message,
    });
  }
  for (const name of memory.clusters.keys()) if (!plan.order.includes(name)) memory.clusters.delete(name);
  for (const name of memory.starts.keys()) if (!plan.order.includes(name)) memory.starts.delete(name);
  const now = ctx.now().getTime();
  const after = decideRollout({
    clusters: statesOf(replicator, memory, plan.order, plan.revision, now),
    revision: plan.revision,
    rollout: replicator.spec.rollout,
    now,
  });
  const status: RolloutReport["status"] = {
    revision: plan.revision,
    strategy: after.strategy,
    phase: after.phase,
    updatedClusters: after.updatedClusters,
    totalClusters: after.totalClusters,
    currentClusters: after.currentClusters,
    message: after.message,
  };
  if (after.haltedCluster) status.haltedCluster = after.haltedCluster;
  const revisions = new Map<string, string>();
  for (const [name, known] of memory.clusters) revisions.set(name, known.revision);
  const report: RolloutReport = { status, revisions };
  const hadHalted = findCondition(replicator.status?.conditions, ROLLOUT_HALTED);
  if (after.strategy === "Progressive" || hadHalted) {
    report.halted = after.haltedCluster
      ? { type: ROLLOUT_HALTED, status: "True", reason: "ProgressDeadlineExceeded", message: after.message }
      : { type: ROLLOUT_HALTED, status: "False", reason: "AsExpected", message: "" };
  }
  const before = replicator.status?.rollout;
  if (
    after.haltedCluster &&
    (before?.phase !== "Halted" || before.haltedCluster !== after.haltedCluster ||
      before.revision !== plan.revision)
  ) {
    ctx.logger.warn("Rollout halted", { replicator: replicator.metadata.name, cluster: after.haltedCluster });
    await ctx.event(replicator, "Warning", "RolloutHalted", after.message);
  }
  // Clusters that may start now that others are ready: at once (not those given the revision already,
  // which could not be reached: they are retried as any unreachable cluster is).
  if (after.started.some((c) => plan.decision.assign.get(c) !== plan.revision)) report.requeueAfterMs = 0;
  else if (after.requeueAfterMs !== undefined) report.requeueAfterMs = after.requeueAfterMs;
  return report;
}
