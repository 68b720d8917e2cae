/**
 * Which clusters a Replicator targets, and why (pure, no I/O): the primary, the clusters `targetCluster`
 * names and the secondaries whose ClusterDetector labels `spec.clusterSelector` matches; and which
 * Replicators a ClusterDetector event concerns.
 *
 * @module
 */

import { LABEL_ROLE, type ReplicatorSpec, type ReplicatorStatus } from "./api.ts";
import { matchesSelector, selectorProblems } from "./selector.ts";

/** Why a cluster is targeted, as `status.clusters[].targetedBy` says. */
export type TargetReason = "primary" | "targetCluster" | "clusterSelector";

/** A cluster a Replicator targets, and why. */
export interface Target {
  cluster: string;
  targetedBy: TargetReason[];
}

/** A registered cluster as a selector sees it: its ClusterDetector's name and labels. */
export interface SelectableCluster {
  name: string;
  /**
   * Its ClusterDetector's labels; undefined when they are unknown (registered, but the ClusterDetector is
   * missing, e.g. being recreated): such a cluster stays selected when it was, and is not newly selected.
   */
  labels?: Record<string, string>;
}

/** A Replicator's resolved targets and what its `clusterSelector` made of the registered clusters. */
export interface Targeting {
  /** The primary first, then `targetCluster` in its order, then the selected clusters by name; no duplicates. */
  targets: Target[];
  /** The clusters `clusterSelector` chose, by name (none when it is absent, invalid or matches nothing). */
  selected: string[];
  /**
   * What is wrong with `spec.clusterSelector`. A selector with problems selects no new cluster and keeps
   * those it selected before (still registered), as if the API server had refused the change.
   */
  problems: string[];
}

/**
 * The clusters a Replicator targets: the primary (always), `targetCluster`, and the secondaries whose
 * ClusterDetector labels `clusterSelector` matches (`{}` matches every one; absent matches none).
 * `previouslySelected` (from the status) keeps clusters whose labels cannot be read, or all of them while
 * the selector is invalid.
 *
 * @example
 * ```ts
 * resolveTargets({ targetCluster: ["b"], clusterSelector: { matchLabels: { region: "east" } } }, "p", [
 *   { name: "a", labels: { region: "east" } },
 *   { name: "b", labels: { region: "east" } },
 * ]).targets;
 * // [{ cluster: "p", targetedBy: ["primary"] }, { cluster: "b", targetedBy: ["targetCluster", "clusterSelector"] },
 * //  { cluster: "a", targetedBy: ["clusterSelector"] }]
 * ```
 */
export function resolveTargets(
  spec: Pick<ReplicatorSpec, "targetCluster" | "clusterSelector">,
  primary: string | undefined,
  clusters: readonly SelectableCluster[],
  previouslySelected: readonly string[] = [],
): Targeting {
  const selector = spec.clusterSelector;
  const problems = selector ? selectorProblems(selector, "spec.clusterSelector") : [];
  // Labels that cannot be read are not a reason to prune: what was selected stays until they can be.
  const matches = (c: SelectableCluster) =>
    c.labels === undefined ? previouslySelected.includes(c.name) : matchesSelector(selector!, c.labels);
  // An invalid selector is like one the API server refused: it changes nothing. It selects no new
  // cluster (an invalid key under NotIn would match everything) and prunes none it selected before.
  const chosen = (c: SelectableCluster) =>
    isSecondary(c, primary) && (problems.length > 0 ? previouslySelected.includes(c.name) : matches(c));
  const selected = selector ? [...new Set(clusters.filter(chosen).map((c) => c.name))].sort() : [];
  const reasons = new Map<string, TargetReason[]>();
  const add = (cluster: string, reason: TargetReason) => {
    const list = reasons.get(cluster) ?? [];
    if (!list.includes(reason)) list.push(reason);
    reasons.set(cluster, list);
  };
  if (primary) add(primary, "primary");
  for (const cluster of spec.targetCluster ?? []) add(cluster, "targetCluster");
  for (const cluster of selected) add(cluster, "clusterSelector");
  const targets = [...reasons].map(([cluster, targetedBy]) => ({ cluster, targetedBy }));
  return { targets, selected, problems };
}

/** Selectors choose among secondaries: the primary is targeted anyway. */
function isSecondary(cluster: SelectableCluster, primary: string | undefined): boolean {
  return cluster.name !== primary && cluster.labels?.[LABEL_ROLE] !== "primary";
}

/** The clusters a status says `clusterSelector` chose. */
export function selectedIn(status: ReplicatorStatus | undefined): string[] {
  return (status?.clusters ?? []).filter((c) => c.targetedBy?.includes("clusterSelector")).map((c) => c.name);
}

/** The names of the targets, in order. */
export function targetNames(targeting: Targeting): string[] {
  return targeting.targets.map((t) => t.cluster);
}

/**
 * Whether a Replicator may target a cluster with these ClusterDetector labels: it names it, or its
 * selector matches them. Which Replicators a ClusterDetector event concerns: for a label change, those
 * matching the old labels or the new ones.
 */
export function mayTarget(
  spec: Pick<ReplicatorSpec, "targetCluster" | "clusterSelector">,
  cluster: string,
  labels: Record<string, string> | undefined,
): boolean {
  if ((spec.targetCluster ?? []).includes(cluster)) return true;
  return spec.clusterSelector !== undefined && matchesSelector(spec.clusterSelector, labels);
}
