/**
 * The side panel of one cell: the objects of a Replicator in one cluster with their apply state, the last
 * drift plumber reverted there (who changed what) and the Replicator's recent Events, derived by pure
 * functions from the cached objects.
 *
 * @module
 */

import type { Replicator } from "../../lib/api.ts";
import type { DriftRecord } from "../../lib/drift_audit.ts";
import type { Event } from "../../lib/generated/core_v1.ts";
import { type Cell, cellState } from "./model.ts";

/** One Event about a Replicator, as the panel lists it. */
export interface EventLine {
  time: string;
  type: string;
  reason: string;
  message: string;
  count: number;
}

/** What the panel shows for one cell. */
export interface CellDetail {
  replicator: string;
  cluster: string;
  cell: Cell;
  objects: { apiVersion: string; kind: string; name: string; applyStatus: string }[];
  /** Ready replicas, desired replicas, revision and the drift corrections count, where known. */
  readiness: {
    ready?: boolean;
    replicas?: number;
    readyReplicas?: number;
    revision?: string;
    message?: string;
  };
  driftCorrections?: number;
  /** The last drift plumber reverted in the cluster. */
  lastDrift?: DriftRecord;
  conditions: { type: string; status: string; reason: string; message: string }[];
  events: EventLine[];
}

/** How many Events the panel lists, newest first. */
export const EVENT_LIMIT = 20;

function eventTime(event: Event): string {
  return event.lastTimestamp ?? event.eventTime ?? event.firstTimestamp ??
    event.metadata?.creationTimestamp ?? "";
}

/** The Events whose involvedObject is the Replicator `name`, newest first. */
export function replicatorEvents(events: readonly Event[], name: string, limit = EVENT_LIMIT): EventLine[] {
  return events
    .filter((e) => e.involvedObject?.kind === "Replicator" && e.involvedObject.name === name)
    .map((e) => ({
      time: eventTime(e),
      type: e.type ?? "",
      reason: e.reason ?? "",
      message: e.message ?? "",
      count: e.count ?? 1,
    }))
    .sort((a, b) => b.time.localeCompare(a.time))
    .slice(0, limit);
}

/** The panel of `rep` in `cluster`. */
export function cellDetail(
  rep: Replicator,
  cluster: string,
  events: readonly Event[],
  now: Date,
): CellDetail {
  const entry = rep.status?.clusters?.find((c) => c.name === cluster);
  const drift = entry?.lastDrift;
  return {
    replicator: rep.metadata.name,
    cluster,
    cell: cellState(rep, cluster, now),
    objects: (rep.status?.applied ?? []).filter((a) => a.cluster === cluster).map((a) => ({
      apiVersion: a.apiVersion ?? "",
      kind: a.kind,
      name: a.name,
      applyStatus: a.applyStatus,
    })),
    readiness: {
      ready: entry?.ready,
      replicas: entry?.replicas,
      readyReplicas: entry?.readyReplicas,
      revision: entry?.revision,
      message: entry?.message,
    },
    driftCorrections: entry?.driftCorrections,
    lastDrift: drift && {
      time: drift.time,
      kind: drift.kind,
      name: drift.name,
      fields: drift.fields ?? [],
      deleted: drift.deleted ?? false,
      manager: drift.manager,
      operation: drift.operation,
      changedAt: drift.changedAt,
    },
    conditions: (rep.status?.conditions ?? []).map((c) => ({
      type: c.type,
      status: c.status,
      reason: c.reason,
      message: c.message,
    })),
    events: replicatorEvents(events, rep.metadata.name),
  };
}
