/**
 * What the dashboard page shows, derived from the primary's objects by pure functions: one column per
 * registered cluster with its health, one row per Replicator, and in each cell the state of that
 * Replicator in that cluster with the reason shown on hover. The page only ever receives these values,
 * never an object read with the user's credentials as is.
 *
 * @module
 */

import { LABEL_ROLE, type Replicator } from "../../lib/api.ts";
import { userLabels } from "../../lib/cluster_labels.ts";
import type { ClusterDetector } from "../../lib/generated/plumber_v1.ts";

/** The state of one Replicator in one cluster, from the best to the worst news. */
export type CellState =
  | "synced"
  | "applying"
  | "not-ready"
  | "drift"
  | "halted"
  | "conflict"
  | "failed"
  | "not-targeted";

/** One cell: its state, the short text shown in it and the reason shown on hover. */
export interface Cell {
  state: CellState;
  label: string;
  reason: string;
}

/** One column: a registered cluster and its health. */
export interface ClusterColumn {
  /** ClusterDetector name, `<cluster>.<user>`, as Replicators name clusters. */
  name: string;
  context: string;
  role: string;
  /** `Running`, `Unknown`, `Pending` before the first probe, `Unregistered` when only a status names it. */
  status: string;
  reason: string;
  kubernetesVersion: string;
  labels: Record<string, string>;
}

/** One row: a Replicator and its cells by cluster name. */
export interface ReplicatorRow {
  name: string;
  /** A one-line summary of the Replicator (synced, conditions that are not well). */
  summary: string;
  cells: Record<string, Cell>;
}

/** How long a corrected drift colours its cell. */
export const RECENT_DRIFT_MS = 5 * 60_000;

/** The column of a ClusterDetector. */
export function clusterColumn(detector: ClusterDetector): ClusterColumn {
  const status = detector.status;
  return {
    name: detector.metadata?.name ?? "",
    context: detector.spec?.context ?? "",
    role: detector.metadata?.labels?.[LABEL_ROLE] ?? "",
    status: status?.clusterstatus ?? "Pending",
    reason: status?.reason ?? (status?.clusterstatus ? "" : "not probed yet"),
    kubernetesVersion: status?.kubernetesVersion ?? "",
    labels: userLabels(detector.metadata?.labels),
  };
}

/**
 * The columns: every ClusterDetector (primary first, then by context), then any cluster a Replicator's
 * status names that has no ClusterDetector (for example one that was removed while holding objects).
 */
export function clusterColumns(
  detectors: readonly ClusterDetector[],
  replicators: readonly Replicator[],
): ClusterColumn[] {
  const rank = (c: ClusterColumn) => (c.role === "primary" ? 0 : 1);
  const columns = detectors.map(clusterColumn).sort((a, b) =>
    rank(a) - rank(b) || a.context.localeCompare(b.context) || a.name.localeCompare(b.name)
  );
  const known = new Set(columns.map((c) => c.name));
  const extra = new Set<string>();
  for (const rep of replicators) {
    for (const name of namedClusters(rep)) if (!known.has(name)) extra.add(name);
  }
  for (const name of [...extra].sort()) {
    columns.push({
      name,
      context: "",
      role: "",
      status: "Unregistered",
      reason: "no ClusterDetector; a Replicator's status names it",
      kubernetesVersion: "",
      labels: {},
    });
  }
  return columns;
}

function namedClusters(rep: Replicator): string[] {
  return [
    ...(rep.spec?.targetCluster ?? []),
    ...(rep.status?.clusters ?? []).map((c) => c.name),
    ...(rep.status?.applied ?? []).map((a) => a.cluster),
  ];
}

function age(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  return s < 120 ? `${s}s` : `${Math.round(s / 60)}m`;
}

/** The state of a Replicator in one cluster at `now`. */
export function cellState(rep: Replicator, cluster: string, now: Date): Cell {
  const status = rep.status ?? {};
  const entry = status.clusters?.find((c) => c.name === cluster);
  const applied = (status.applied ?? []).filter((a) => a.cluster === cluster);
  const targeted = entry !== undefined || applied.length > 0 ||
    (rep.spec?.targetCluster ?? []).includes(cluster);
  if (!targeted) return { state: "not-targeted", label: "", reason: "not targeted" };
  const objects = (kinds: typeof applied) =>
    kinds.map((a) => `${a.kind}/${a.name}: ${a.applyStatus}`).join("; ");
  const failed = applied.filter((a) => a.applyStatus.startsWith("failed"));
  if (failed.length > 0) return { state: "failed", label: "failed", reason: objects(failed) };
  const conflicts = applied.filter((a) => a.applyStatus.startsWith("conflict"));
  if (conflicts.length > 0) return { state: "conflict", label: "conflict", reason: objects(conflicts) };
  const rollout = status.rollout;
  if (rollout?.haltedCluster === cluster) {
    return {
      state: "halted",
      label: "halted",
      reason: `rollout halted here${rollout.message ? `: ${rollout.message}` : ""}`,
    };
  }
  const drift = entry?.lastDrift;
  const driftAt = drift ? Date.parse(drift.time) : NaN;
  if (drift && now.getTime() - driftAt < RECENT_DRIFT_MS) {
    const what = drift.deleted ? "deleted" : `changed ${(drift.fields ?? []).join(", ") || "fields"}`;
    const who = drift.manager ? ` by ${drift.manager}${drift.operation ? ` (${drift.operation})` : ""}` : "";
    return {
      state: "drift",
      label: "drift",
      reason: `${drift.kind}/${drift.name} ${what}${who}; reverted ${age(now.getTime() - driftAt)} ago`,
    };
  }
  const generation = rep.metadata.generation;
  if (
    !entry || applied.length === 0 || (generation !== undefined && status.observedGeneration !== generation)
  ) {
    return {
      state: "applying",
      label: "applying",
      reason: entry?.message ?? "not applied to this cluster yet",
    };
  }
  if (
    rollout?.phase === "Progressing" && rollout.revision && entry.revision &&
    entry.revision !== rollout.revision
  ) {
    return {
      state: "applying",
      label: "applying",
      reason: `rollout in progress: revision ${entry.revision} here, ${rollout.revision} wanted`,
    };
  }
  // `ready` says everything is applied; the workload is ready when its Pods are too.
  const podsShort = entry.replicas !== undefined && (entry.readyReplicas ?? 0) < entry.replicas;
  if (!entry.ready || podsShort) {
    const counts = entry.replicas !== undefined
      ? `${entry.readyReplicas ?? 0}/${entry.replicas}`
      : "not ready";
    return { state: "not-ready", label: counts, reason: entry.message ?? `${counts} replicas ready` };
  }
  const pods = entry.replicas !== undefined ? `${entry.readyReplicas ?? 0}/${entry.replicas}` : "";
  return {
    state: "synced",
    label: pods || "ok",
    reason: `synced and ready${pods ? ` (${pods} replicas)` : ""}`,
  };
}

/** A Replicator's row over the given clusters. */
export function replicatorRow(rep: Replicator, clusters: readonly string[], now: Date): ReplicatorRow {
  const cells: Record<string, Cell> = {};
  for (const cluster of clusters) cells[cluster] = cellState(rep, cluster, now);
  const bad = (rep.status?.conditions ?? []).filter((c) =>
    (c.type === "Degraded" || c.type === "RolloutHalted" || c.type === "Suspended") && c.status === "True"
  );
  const summary = [rep.status?.synced ?? "no status yet", ...bad.map((c) => `${c.type}: ${c.message}`)].join(
    "; ",
  );
  return { name: rep.metadata.name, summary, cells };
}

/**
 * When the first recent drift of these Replicators stops being recent (so its cell must be derived
 * again), or undefined when none is recent.
 */
export function nextDriftExpiry(replicators: readonly Replicator[], now: Date): number | undefined {
  let next: number | undefined;
  for (const rep of replicators) {
    for (const entry of rep.status?.clusters ?? []) {
      const time = entry.lastDrift ? Date.parse(entry.lastDrift.time) + RECENT_DRIFT_MS : NaN;
      if (time > now.getTime() && (next === undefined || time < next)) next = time;
    }
  }
  return next;
}
