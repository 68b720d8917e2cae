/**
 * The drift audit: when plumber is about to revert a drift, what changed and who changed it (one GET of
 * the live object, as the caches hold no managedFields), and once reverted, a DriftCorrected part naming
 * the object and who changed what (one per reverted object, folded with the reconcile's other parts into its
 * one Event, `reconcile_events.ts`), the count and last drift per Replicator and cluster (`status.clusters[]`) and the
 * `plumber_drift_corrections_total` metric. The decisions are `lib/drift_audit.ts`'s.
 *
 * @module
 */

import { FIELD_MANAGER, type KubeObject, type Replicator } from "../../lib/api.ts";
import {
  changedPaths,
  type DriftCause,
  driftMessage,
  type DriftRecord,
  driftRecord,
  type ManagedFieldsEntry,
  managersTouching,
} from "../../lib/drift_audit.ts";
import type { KubeClient } from "../../lib/kube/client.ts";
import type { Metrics } from "../../lib/kube/metrics.ts";
import { describeFailure } from "../../lib/kube/probe.ts";
import type { Logger } from "../../lib/log.ts";

/** Drifts reverted per Replicator and cluster since the operator started. */
export interface DriftTally {
  count: number;
  last?: DriftRecord;
}

/** What changed in a drifted object: its changed paths and their managers, or its deletion. */
export type DriftChange = { fields: string[]; causes: DriftCause[] } | "deleted";

/** Counts reverted drifts per Replicator (by UID) and cluster, and in the metric. */
export class DriftLedger {
  readonly #tallies = new Map<string, DriftTally>();
  readonly #metrics?: Metrics;

  constructor(metrics?: Metrics) {
    this.#metrics = metrics;
  }

  /** Records one reverted drift. */
  record(replicator: Replicator, cluster: string, record: DriftRecord): void {
    const key = `${replicator.metadata.uid ?? replicator.metadata.name}/${cluster}`;
    const tally = this.#tallies.get(key) ?? { count: 0 };
    this.#tallies.set(key, { count: tally.count + 1, last: record });
    this.#metrics?.countDriftCorrection({ cluster, kind: record.kind });
  }

  /** A Replicator's tally in a cluster, if it had drifts since the operator started. */
  of(replicator: Replicator, cluster: string): DriftTally | undefined {
    return this.#tallies.get(`${replicator.metadata.uid ?? replicator.metadata.name}/${cluster}`);
  }
}

/**
 * What changed in a drifted object, read before plumber reverts it: one GET of the live object for its
 * managedFields (the caches drop them). When the GET fails, the cached object still gives the paths.
 */
export async function inspectDrift(
  client: KubeClient,
  intent: KubeObject,
  cached: unknown,
  logger: Logger,
): Promise<DriftChange> {
  const { apiVersion, kind, metadata: { namespace, name } } = intent;
  let live: { metadata?: { managedFields?: ManagedFieldsEntry[] } } | undefined;
  try {
    live = await client.find({ apiVersion, kind, namespace, name });
    if (!live) return "deleted";
  } catch (error) {
    logger.warn("Cannot read a drifted object's managedFields", {
      object: `${kind}/${namespace}/${name}`,
      error: describeFailure(error),
    });
  }
  let fields = live ? changedPaths(intent, live) : [];
  // Already changed back meanwhile: the cache's view is what the reconcile acted on.
  if (fields.length === 0) fields = changedPaths(intent, cached);
  return { fields, causes: managersTouching(live?.metadata?.managedFields, fields, FIELD_MANAGER) };
}

/**
 * Reports a reverted drift: its Event part (paths and managers only, never values), the tally and the
 * metric.
 */
export async function reportDrift(
  ctx: {
    drift: DriftLedger;
    now(): Date;
    event(replicator: Replicator, type: "Normal", reason: string, message: string): Promise<void>;
  },
  replicator: Replicator,
  cluster: string,
  object: KubeObject,
  change: DriftChange,
): Promise<void> {
  const { kind, metadata: { namespace, name } } = object;
  ctx.drift.record(replicator, cluster, driftRecord({ kind, name }, change, ctx.now()));
  await ctx.event(
    replicator,
    "Normal",
    "DriftCorrected",
    driftMessage(cluster, { kind, namespace, name }, change),
  );
}

/** True when the status says `object` was applied in `cluster`: missing now, it was deleted. */
export function wasApplied(replicator: Replicator, cluster: string, object: KubeObject): boolean {
  return (replicator.status?.applied ?? []).some((a) =>
    a.cluster === cluster && a.kind === object.kind && a.name === object.metadata.name &&
    a.applyStatus === "applied"
  );
}
