/**
 * What a Replicator may still hold in clusters plumber can no longer reach through a registration, and
 * the user's explicit decision to abandon it (DESIGN.md section 4: nothing is silently forgotten).
 *
 * The record is the Replicator's own `status.applied[]`: an entry `applied` for a cluster means plumber
 * put that object there. While the cluster is not registered, those entries are carried forward from one
 * status to the next, so a removal from the kubeconfig Secret keeps being reported, and deletion keeps
 * the finalizer, until the cluster is registered again (and cleaned up) or the user abandons it.
 *
 * @module
 */

import type { AppliedResource, ReplicatorStatus } from "./api.ts";

/**
 * Annotation on a Replicator naming clusters (comma-separated ClusterDetector names, or `*` for all)
 * whose objects plumber may leave behind when it cannot clean them up: a cluster removed from the
 * kubeconfig Secret, or one that stays unreachable while the Replicator is being deleted.
 */
export const ABANDON_ANNOTATION = "plumber.jnytnai0613.github.io/abandon-clusters";

/** True when the Replicator's annotations abandon `cluster`. */
export function isAbandoned(annotations: Record<string, string> | undefined, cluster: string): boolean {
  const value = annotations?.[ABANDON_ANNOTATION];
  if (value === undefined) return false;
  const names = value.split(",").map((n) => n.trim()).filter((n) => n !== "");
  return names.includes("*") || names.includes(cluster);
}

/** The objects the status says plumber applied in `cluster` (what it may still hold there). */
export function heldIn(status: ReplicatorStatus | undefined, cluster: string): AppliedResource[] {
  return (status?.applied ?? []).filter((a) => a.cluster === cluster && a.applyStatus === "applied");
}

/** The clusters in which the status says plumber applied objects, in order of first mention. */
export function holdingClusters(status: ReplicatorStatus | undefined): string[] {
  const names = (status?.applied ?? []).filter((a) => a.applyStatus === "applied").map((a) => a.cluster);
  return [...new Set(names)];
}

/** The message for a cluster that holds objects but is not registered any more. */
export function unregisteredMessage(cluster: string, held: number): string {
  return `cluster "${cluster}" is not registered any more (not in the kubeconfig Secret) and still holds ${held} ` +
    `object${held === 1 ? "" : "s"} of this Replicator: register it again (plumberctl add) so plumber can ` +
    `clean up, or leave the objects there with the annotation ${ABANDON_ANNOTATION}=${cluster}`;
}
