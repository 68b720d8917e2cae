/**
 * Progressive rollout across clusters, as pure decisions: a Replicator's revision (a hash of the spec
 * fields that render), the order in which clusters are updated, how many at a time, and, given each
 * cluster's current revision and readiness, which revision each cluster gets now, the rollout's phase,
 * the cluster that halted it and when its deadline falls.
 *
 * Rules (spec.rollout):
 * - `All` (default): every cluster gets the new revision at once.
 * - `Progressive`: at most `maxConcurrentClusters` clusters run a revision they are not ready on yet;
 *   the next cluster in order starts only when those are ready. A cluster not ready within
 *   `progressDeadlineSeconds` of its start halts the rollout: no further cluster starts, the clusters not
 *   reached keep their revision. The halt lifts when that cluster becomes ready or a new revision comes.
 * - A brand-new Replicator (no cluster runs any revision) is applied everywhere at once unless
 *   `applyOnCreate: Progressive`: there is nothing to protect yet. A cluster newly targeted by an existing
 *   Replicator has no old version to keep and gets the current revision at once.
 *
 * @module
 */

import type { ReplicatorSpec } from "./api.ts";
import { intentHash } from "./diff.ts";

/** `spec.rollout`. */
export type RolloutSpec = NonNullable<ReplicatorSpec["rollout"]>;

/** Default `progressDeadlineSeconds`. */
export const DEFAULT_PROGRESS_DEADLINE_SECONDS = 600;

/** Spec fields that choose where and how, not what: not part of a revision. */
export const NON_RENDERING_FIELDS = [
  "targetCluster",
  "clusterSelector",
  "rollout",
  "suspend",
  "deletionPolicy",
] as const;

/** The spec fields that render (what a revision is made of, and what a ControllerRevision stores). */
export function renderedSpecOf(spec: ReplicatorSpec): Record<string, unknown> {
  const rendered: Record<string, unknown> = { ...spec };
  for (const field of NON_RENDERING_FIELDS) delete rendered[field];
  return rendered;
}

/** The current spec with the rendering fields of a stored revision (where and how stay the current ones). */
export function specAtRevision(current: ReplicatorSpec, stored: Record<string, unknown>): ReplicatorSpec {
  const spec: Record<string, unknown> = { ...stored };
  for (const field of NON_RENDERING_FIELDS) {
    if (current[field] !== undefined) spec[field] = current[field];
  }
  return spec as ReplicatorSpec;
}

/**
 * A revision name: 10 hex digits of a hash of the spec fields that render, so the same name means the
 * same spec in every cluster (overrides included: they are part of the spec).
 */
export function revisionOf(spec: ReplicatorSpec): string {
  return intentHash(renderedSpecOf(spec)).slice(0, 10);
}

/** A target cluster and why it is targeted (as `lib/targets.ts` resolves it). */
export interface OrderableTarget {
  cluster: string;
  targetedBy: readonly string[];
}

/**
 * The update order: names in `order` first (in that order), then the primary, then `targetCluster` order,
 * then the rest by name.
 */
export function rolloutOrder(
  targets: readonly OrderableTarget[],
  targetCluster: readonly string[] = [],
  order: readonly string[] = [],
): string[] {
  const rank = (t: OrderableTarget): [number, number, string] => {
    const explicit = order.indexOf(t.cluster);
    if (explicit !== -1) return [0, explicit, t.cluster];
    if (t.targetedBy.includes("primary")) return [1, 0, t.cluster];
    const listed = targetCluster.indexOf(t.cluster);
    if (listed !== -1) return [2, listed, t.cluster];
    return [3, 0, t.cluster];
  };
  return [...targets].sort((a, b) => {
    const [ga, ia, na] = rank(a);
    const [gb, ib, nb] = rank(b);
    return ga - gb || ia - ib || (na < nb ? -1 : na > nb ? 1 : 0);
  }).map((t) => t.cluster);
}

/**
 * `maxConcurrentClusters` as a count: a number, or a percent of `total` rounded down; at least 1.
 * Throws a RangeError naming the field for anything else (the CRD refuses it already).
 */
export function maxConcurrentOf(value: number | string | undefined, total: number): number {
  if (value === undefined) return 1;
  if (typeof value === "number" && Number.isInteger(value) && value >= 1) return value;
  const percent = typeof value === "string" ? /^([1-9][0-9]?|100)%$/.exec(value) : null;
  if (!percent) {
    throw new RangeError(
      `Invalid spec.rollout.maxConcurrentClusters "${value}": a number of at least 1 or a percent from 1% to 100%`,
    );
  }
  return Math.max(1, Math.floor(total * Number(percent[1]) / 100));
}

/** A target cluster as the rollout sees it. */
export interface ClusterRolloutState {
  name: string;
  /** Revision the cluster runs (undefined: none yet). */
  revision?: string;
  /** Ready on that revision (`lib/readiness.ts`). */
  ready: boolean;
  /** Why not ready, when not. */
  message?: string;
  /** When the cluster started on its revision (ms since the epoch), if known. */
  since?: number;
  /**
   * When the new revision was first given to this cluster, if it was and the cluster does not run it yet
   * (it could not be reached): its deadline counts from then.
   */
  pendingSince?: number;
}

/** What {@linkcode decideRollout} decides from. */
export interface RolloutInput {
  /** Targets in update order ({@linkcode rolloutOrder}). */
  clusters: readonly ClusterRolloutState[];
  /** The revision of the current spec. */
  revision: string;
  rollout?: RolloutSpec;
  /** Now, in ms since the epoch. */
  now: number;
}

/** Phase of a rollout. */
export type RolloutPhase = "Progressing" | "Complete" | "Halted";

/** What {@linkcode decideRollout} decides. */
export interface RolloutDecision {
  /** Cluster -> revision to render there now; a cluster absent here is not to be touched (nothing to keep). */
  assign: Map<string, string>;
  /** Clusters moved to the new revision by this decision. */
  started: string[];
  /** Cluster -> when it started on the new revision (for clusters on it). */
  since: Map<string, number>;
  strategy: "All" | "Progressive";
  phase: RolloutPhase;
  /** Clusters on the new revision. */
  updatedClusters: number;
  totalClusters: number;
  /** Clusters on the new revision and not ready yet. */
  currentClusters: string[];
  haltedCluster?: string;
  message: string;
  /** When to look again for a deadline (ms from now), while clusters are under way. */
  requeueAfterMs?: number;
}

/** Decides which revision each cluster gets now (pure). */
export function decideRollout(input: RolloutInput): RolloutDecision {
  const { clusters, revision, now } = input;
  const rollout = input.rollout ?? {};
  const strategy = rollout.strategy ?? "All";
  const creating = clusters.every((c) => c.revision === undefined);
  const everywhere = strategy === "All" || (creating && rollout.applyOnCreate !== "Progressive");
  const deadlineMs = (rollout.progressDeadlineSeconds ?? DEFAULT_PROGRESS_DEADLINE_SECONDS) * 1000;
  const assign = new Map<string, string>();
  const since = new Map<string, number>();
  const started: string[] = [];
  const pending: ClusterRolloutState[] = [];
  const start = (c: ClusterRolloutState) => {
    assign.set(c.name, revision);
    if (c.revision !== revision) started.push(c.name);
    since.set(c.name, c.revision === revision ? c.since ?? now : c.pendingSince ?? now);
  };
  for (const c of clusters) {
    // A cluster running nothing yet has no old version to keep: it gets the current one (unless a
    // progressive first install queues it). One given the revision before keeps it.
    if (
      everywhere || c.revision === revision || c.pendingSince !== undefined ||
      (c.revision === undefined && !creating)
    ) start(c);
    else pending.push(c);
  }
  const underWay = () => clusters.filter((c) => assign.get(c.name) === revision && !isReady(c));
  const isReady = (c: ClusterRolloutState) => c.revision === revision && c.ready;
  const late = strategy === "Progressive"
    ? underWay().find((c) => now - (since.get(c.name) ?? now) >= deadlineMs)
    : undefined;
  if (!late) {
    const slots = maxConcurrentOf(rollout.maxConcurrentClusters, clusters.length) - underWay().length;
    for (const c of pending.splice(0, Math.max(0, slots))) start(c);
  }
  for (const c of pending) if (c.revision !== undefined) assign.set(c.name, c.revision);
  const current = underWay();
  const updated = clusters.filter((c) => assign.get(c.name) === revision).length;
  const total = clusters.length;
  const phase: RolloutPhase = late
    ? "Halted"
    : updated === total && current.length === 0
    ? "Complete"
    : "Progressing";
  const deadlines = current.map((c) => (since.get(c.name) ?? now) + deadlineMs - now).filter((ms) => ms > 0);
  const decision: RolloutDecision = {
    assign,
    started,
    since,
    strategy,
    phase,
    updatedClusters: updated,
    totalClusters: total,
    currentClusters: current.map((c) => c.name),
    message: "",
  };
  if (late) {
    decision.haltedCluster = late.name;
    decision.message = `Revision ${revision} halted: cluster ${late.name} not ready within ${
      deadlineMs / 1000
    } s${late.revision === revision && late.message ? ` (${late.message})` : ""}; ${pending.length} cluster${
      pending.length === 1 ? "" : "s"
    } kept on the previous revision`;
  } else if (phase === "Complete") {
    decision.message = `Revision ${revision} is ready in ${total} cluster${total === 1 ? "" : "s"}`;
  } else {
    decision.message = `Revision ${revision}: ${updated}/${total} clusters updated${
      current.length > 0 ? `, waiting for ${current.map((c) => c.name).join(", ")}` : ""
    }`;
  }
  if (strategy === "Progressive" && !late && deadlines.length > 0) {
    decision.requeueAfterMs = Math.min(...deadlines);
  }
  return decision;
}
