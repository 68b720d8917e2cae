/**
 * A Replicator's status: computed from the clusters' outcomes by a pure function (conditions
 * `Ready`, `Degraded`, `NamespaceKept`, `ClustersSelected`, `Suspended`; `applied[]`; `clusters[]` with `targetedBy`), compared with what is stored,
 * and written (server-side apply of the status subresource) only when it differs.
 *
 * @module
 */

import {
  API_VERSION,
  type ClusterReplicationStatus,
  type Condition,
  FIELD_MANAGER,
  findCondition,
  type Replicator,
  REPLICATOR_KIND,
  type ReplicatorStatus,
  setCondition,
} from "../../lib/api.ts";
import { canonicalJson } from "../../lib/json.ts";
import type { ReplicatorContext } from "./context.ts";
import { REPLICATORS } from "./own_writes.ts";
import type { ClusterOutcome } from "./plan.ts";
import type { Targeting } from "../../lib/targets.ts";
import { formatSelector } from "../../lib/selector.ts";
import { isSuspended } from "../../lib/release.ts";
import type { DriftTally } from "./drift.ts";
import type { RolloutReport } from "./rollout.ts";

/** What a status is computed from, besides the clusters' outcomes. */
export interface StatusOptions {
  /** A failure that is no cluster's (TLS material, pruning a cluster no longer targeted, clean-up). */
  extraFailure?: string;
  /** Keep `applied[]` as it is (while clean-up waits: it is the record of what is left, and where). */
  keepApplied?: boolean;
  /** Namespaces kept because something in them could not be counted. */
  kept?: string[];
  /** The resolved targets: `clusters[].targetedBy` and the `ClustersSelected` condition (kept as is when absent). */
  targeting?: Targeting;
  /** Drifts reverted in a cluster since the operator started (`clusters[].driftCorrections`, `lastDrift`). */
  drift?: (cluster: string) => DriftTally | undefined;
  /** The rollout's progress: `status.rollout`, `clusters[].revision` and the `RolloutHalted` condition. */
  rollout?: RolloutReport;
}

/** Condition type saying what `spec.clusterSelector` selects; present only while the spec has one. */
export const CLUSTERS_SELECTED = "ClustersSelected";

/** Condition type: True when the workload is ready in every targeted cluster. */
export const AVAILABLE = "Available";

/** Condition type: True while `spec.suspend` is true. */
export const SUSPENDED = "Suspended";

/** Names listed in a message before "and N more". */
const LISTED = 10;

/** What an invalid selector does (nothing new), and why it is invalid, naming the fields. */
export function invalidSelectorMessage(targeting: Targeting): string {
  const effect = targeting.selected.length > 0
    ? `it selects no new cluster and keeps the ${targeting.selected.length} it selected before: ${
      listed(targeting.selected)
    }`
    : "it selects no cluster";
  return `Invalid spec.clusterSelector (${targeting.problems.join("; ")}); ${effect}`.slice(0, 1000);
}

/** Names, at most {@linkcode LISTED} of them. */
function listed(names: readonly string[]): string {
  return names.slice(0, LISTED).join(", ") +
    (names.length > LISTED ? ` and ${names.length - LISTED} more` : "");
}

/**
 * The `ClustersSelected` condition for a Replicator with a `clusterSelector` (undefined without one):
 * True naming the clusters chosen, False when the selector is invalid (it then changes nothing) or
 * matches no registered secondary. Matching nothing is not a failure: a cluster may be labelled later.
 */
export function selectionCondition(
  replicator: Replicator,
  targeting: Targeting,
): Omit<Condition, "lastTransitionTime"> | undefined {
  const selector = replicator.spec.clusterSelector;
  if (!selector) return undefined;
  const base = { type: CLUSTERS_SELECTED, observedGeneration: replicator.metadata.generation };
  if (targeting.problems.length > 0) {
    return {
      ...base,
      status: "False",
      reason: "InvalidSelector",
      message: invalidSelectorMessage(targeting),
    };
  }
  const described = `clusterSelector "${formatSelector(selector)}"`;
  const selected = targeting.selected;
  if (selected.length === 0) {
    const onlyPrimary = targeting.targets.every((t) => t.targetedBy.includes("primary"));
    return {
      ...base,
      status: "False",
      reason: "NoClusterMatches",
      message: `${described} matches no registered secondary cluster${
        onlyPrimary ? "; only the primary is targeted" : ""
      }`,
    };
  }
  const names = listed(selected);
  return {
    ...base,
    status: "True",
    reason: "Selected",
    message: `${described} selects ${selected.length} cluster${selected.length === 1 ? "" : "s"}: ${names}`,
  };
}

/** A computed status and what the Event about it says. */
export interface ComputedStatus {
  status: ReplicatorStatus;
  synced: boolean;
  /** Why it is not synced ("" when it is). */
  degradedMessage: string;
}

/** Status equality ignoring condition transition times. */
export function sameReplicatorStatus(a: ReplicatorStatus | undefined, b: ReplicatorStatus): boolean {
  // Canonical JSON: the API server returns keys in its own order.
  const strip = (s: ReplicatorStatus | undefined) =>
    canonicalJson({
      ...s,
      conditions: (s?.conditions ?? []).map((
        c: Condition,
      ) => [c.type, c.status, c.reason, c.message, c.observedGeneration]),
    });
  return strip(a) === strip(b);
}

/** The status a Replicator should have after a reconcile with these outcomes (pure). */
export function computeStatus(
  replicator: Replicator,
  outcomes: readonly ClusterOutcome[],
  options: StatusOptions,
  now: Date,
): ComputedStatus {
  const targeting = options.targeting;
  const selectorFailure = targeting && targeting.problems.length > 0
    ? invalidSelectorMessage(targeting)
    : undefined;
  const extraFailure = [options.extraFailure, selectorFailure].filter((f) => f).join("; ") || undefined;
  const failed = outcomes.filter((c) => !c.ok);
  const synced = failed.length === 0 && !extraFailure && outcomes.length > 0;
  const generation = replicator.metadata.generation;
  const degradedMessage = [
    ...failed.map((c) => c.message ?? `cluster ${c.cluster} failed`),
    ...(extraFailure ? [extraFailure] : []),
  ].join("; ");
  let conditions = setCondition(replicator.status?.conditions, {
    type: "Ready",
    status: synced ? "True" : "False",
    reason: synced ? "Synced" : "NotSynced",
    message: synced
      ? `Replicated to ${outcomes.length} cluster${outcomes.length === 1 ? "" : "s"}`
      : `${failed.length} of ${outcomes.length} clusters not synced`,
    observedGeneration: generation,
  }, now);
  conditions = setCondition(conditions, {
    type: "Degraded",
    status: synced ? "False" : "True",
    reason: synced ? "AsExpected" : "ClusterFailed",
    message: synced ? "" : degradedMessage.slice(0, 1000),
    observedGeneration: generation,
  }, now);
  // A namespace kept because something in it could not be counted: informational, it does not make the
  // Replicator unsynced (keeping is the safe outcome), and it stays until a census can count it.
  const kept = options.kept ?? [];
  const hadKept = replicator.status?.conditions?.some((c) => c.type === "NamespaceKept");
  if (kept.length > 0 || hadKept) {
    conditions = setCondition(conditions, {
      type: "NamespaceKept",
      status: kept.length > 0 ? "True" : "False",
      reason: kept.length > 0 ? "CannotCount" : "AsExpected",
      message: kept.join("; ").slice(0, 1000),
      observedGeneration: generation,
    }, now);
  }
  // True while suspended; once resumed False (reason Resumed), absent on a Replicator never suspended.
  const suspended = isSuspended(replicator.spec);
  if (suspended || findCondition(conditions, SUSPENDED)) {
    conditions = setCondition(conditions, {
      type: SUSPENDED,
      status: suspended ? "True" : "False",
      reason: suspended ? "Suspended" : "Resumed",
      message: suspended ? "spec.suspend is true: nothing is applied, reverted or pruned" : "",
      observedGeneration: generation,
    }, now);
  }
  if (targeting) {
    const selection = selectionCondition(replicator, targeting);
    conditions = selection
      ? setCondition(conditions, selection, now)
      : conditions.filter((c) => c.type !== CLUSTERS_SELECTED);
  }
  conditions = setCondition(conditions, availableCondition(outcomes, generation), now);
  if (options.rollout?.halted) {
    conditions = setCondition(conditions, { ...options.rollout.halted, observedGeneration: generation }, now);
  }
  const targetedBy = new Map(targeting?.targets.map((t) => [t.cluster, t.targetedBy]));
  const clusters: ClusterReplicationStatus[] = outcomes.map((c) => {
    const s: ClusterReplicationStatus = { name: c.cluster, ready: c.ready ?? false };
    const why = targetedBy.get(c.cluster);
    if (why) s.targetedBy = why;
    if (c.replicas !== undefined) s.replicas = c.replicas;
    if (c.readyReplicas !== undefined) s.readyReplicas = c.readyReplicas;
    const message = c.readyMessage ?? c.message;
    if (message) s.message = message.slice(0, 500);
    const revision = options.rollout?.revisions.get(c.cluster);
    if (revision) s.revision = revision;
    // Drift audit: the count since the operator started, and the last drift (kept across restarts).
    const drift = options.drift?.(c.cluster);
    if (drift?.count) s.driftCorrections = drift.count;
    const lastDrift = drift?.last ??
      replicator.status?.clusters?.find((p) => p.name === c.cluster)?.lastDrift;
    if (lastDrift) s.lastDrift = lastDrift;
    return s;
  });
  const status: ReplicatorStatus = {
    applied: options.keepApplied ? replicator.status?.applied ?? [] : outcomes.flatMap((c) => c.applied),
    synced: synced ? "synced" : "not synced",
    observedGeneration: generation,
    conditions,
    clusters,
  };
  if (options.rollout) status.rollout = options.rollout.status;
  return { status, synced, degradedMessage };
}

/**
 * Writes the status computed from `outcomes` when it differs from the stored one (a steady state
 * writes nothing), with an Event when the Replicator turns synced or not synced.
 */
export async function writeStatus(
  ctx: ReplicatorContext,
  replicator: Replicator,
  outcomes: readonly ClusterOutcome[],
  options: StatusOptions = {},
): Promise<void> {
  const { status, synced, degradedMessage } = computeStatus(
    replicator,
    outcomes,
    { drift: (cluster) => ctx.drift.of(replicator, cluster), ...options },
    ctx.now(),
  );
  if (sameReplicatorStatus(replicator.status, status)) return;
  const body = {
    apiVersion: API_VERSION as typeof API_VERSION,
    kind: REPLICATOR_KIND as typeof REPLICATOR_KIND,
    metadata: { name: replicator.metadata.name },
  };
  // The echo of this write reconciles nothing (`own_writes.ts`); anything else that arrives meanwhile does.
  await ctx.ownWrites.write(
    REPLICATORS,
    body,
    () => ctx.api.applyReplicatorStatus({ ...body, status }, { fieldManager: FIELD_MANAGER, force: true }),
    (written) => isOwnStatusWrite(replicator, written, status),
    () => ctx.enqueue(replicator.metadata.name),
  );
  await reportSelection(ctx, replicator, status);
  if (replicator.status?.synced !== status.synced) {
    await ctx.event(
      replicator,
      synced ? "Normal" : "Warning",
      synced ? "Synced" : "NotSynced",
      synced ? `Replicated to ${outcomes.map((c) => c.cluster).join(", ")}` : degradedMessage,
    );
  }
}

/**
 * Whether the Replicator a status write returned is that write's own version, whose watch event needs no
 * reconcile: a new version of the generation that was reconciled, not being deleted, holding the status
 * written. A write that changed nothing returns whatever version is stored, perhaps someone's newer spec
 * or deletion (a new generation), whose event must reconcile.
 */
export function isOwnStatusWrite(
  reconciled: Replicator,
  written: {
    metadata?: { resourceVersion?: string; generation?: number; deletionTimestamp?: unknown };
    status?: unknown;
  } | undefined,
  status: ReplicatorStatus,
): boolean {
  const meta = written?.metadata;
  return meta !== undefined && meta.resourceVersion !== undefined &&
    meta.resourceVersion !== reconciled.metadata.resourceVersion &&
    meta.generation === reconciled.metadata.generation && !meta.deletionTimestamp &&
    sameReplicatorStatus(written!.status as ReplicatorStatus | undefined, status);
}

/** An Event when what the selector selects changes (a Warning when it selects nothing). */
async function reportSelection(
  ctx: ReplicatorContext,
  replicator: Replicator,
  status: ReplicatorStatus,
): Promise<void> {
  const before = findCondition(replicator.status?.conditions, CLUSTERS_SELECTED);
  const after = findCondition(status.conditions, CLUSTERS_SELECTED);
  if (!after || (before?.status === after.status && before.message === after.message)) return;
  const reason = after.status === "True"
    ? "ClustersSelected"
    : after.reason === "InvalidSelector"
    ? "InvalidClusterSelector"
    : "NoClustersSelected";
  await ctx.event(replicator, after.status === "True" ? "Normal" : "Warning", reason, after.message);
}

/** `Available`: True when the workload is ready in every targeted cluster, else the clusters that are not. */
export function availableCondition(
  outcomes: readonly ClusterOutcome[],
  generation: number | undefined,
): Omit<Condition, "lastTransitionTime"> {
  const notReady = outcomes.filter((c) => !c.ready);
  const available = outcomes.length > 0 && notReady.length === 0;
  return {
    type: AVAILABLE,
    status: available ? "True" : "False",
    reason: available ? "AllClustersReady" : outcomes.length === 0 ? "NoClusters" : "ClustersNotReady",
    message: available
      ? `Ready in ${outcomes.length} cluster${outcomes.length === 1 ? "" : "s"}`
      : notReady.slice(0, LISTED).map((c) => `${c.cluster}: ${c.readyMessage ?? c.message ?? "not ready"}`)
        .join("; ").slice(0, 1000) || "no targeted cluster",
    observedGeneration: generation,
  };
}
