/**
 * Who owns an object plumber finds in a cluster (DESIGN.md section 4).
 *
 * plumber owns an object when it carries `app.kubernetes.io/managed-by: plumber`, the Replicator's name
 * label, the identity of the primary cluster that wrote it (the UID of that cluster's `kube-system`
 * namespace, the cluster-id convention of KEP-2149) and the Replicator's UID. Only owned objects are
 * updated, pruned or deleted; anything else of the same name is a conflict, reported and left alone.
 *
 * Objects written by release 0.1 carry the name labels only. They are adopted: the next apply adds the
 * identity labels. An object that names another primary or another incarnation of the Replicator (same
 * name, new UID) is never adopted.
 *
 * @module
 */

import {
  CREATED_BY_ANNOTATION,
  type KubeObject,
  LABEL_MANAGED_BY,
  LABEL_REPLICATOR,
  MANAGED_BY_VALUE,
} from "./api.ts";

/** Label with the UID of the `kube-system` namespace of the primary cluster whose operator wrote the object. */
export const LABEL_PRIMARY = "plumber.jnytnai0613.github.io/primary";
/** Label with the UID of the Replicator that wrote the object. */
export const LABEL_REPLICATOR_UID = "plumber.jnytnai0613.github.io/replicator-uid";

/** The writer an object must name to be plumber's to change. */
export interface Owner {
  /** UID of the primary cluster's `kube-system` namespace. */
  primaryId: string;
  /** The Replicator's name. */
  replicator: string;
  /** The Replicator's UID; absent only for a Replicator not yet stored (rendering in tests, diffs). */
  replicatorUid?: string;
}

/** What plumber may do with an object it found. */
export type Ownership =
  | { kind: "owned" }
  /** Written by release 0.1 for this Replicator's name, claimed by no other primary: adopt it. */
  | { kind: "adoptable" }
  | { kind: "foreign"; reason: string };

/** The labels that mark an object as `owner`'s, merged into every object plumber applies. */
export function ownerLabels(owner: Owner): Record<string, string> {
  return {
    [LABEL_MANAGED_BY]: MANAGED_BY_VALUE,
    [LABEL_REPLICATOR]: owner.replicator,
    [LABEL_PRIMARY]: owner.primaryId,
    ...(owner.replicatorUid ? { [LABEL_REPLICATOR_UID]: owner.replicatorUid } : {}),
  };
}

/**
 * Decides whether `owner` may change an object with these labels.
 *
 * @example
 * ```ts
 * ownershipOf({ "app.kubernetes.io/managed-by": "helm" }, owner); // { kind: "foreign", reason: "exists and is not managed by plumber" }
 * ```
 */
export function ownershipOf(labels: Record<string, string> | undefined, owner: Owner): Ownership {
  const l = labels ?? {};
  if (l[LABEL_MANAGED_BY] !== MANAGED_BY_VALUE) {
    return { kind: "foreign", reason: "exists and is not managed by plumber" };
  }
  const name = l[LABEL_REPLICATOR];
  if (name !== owner.replicator) {
    return { kind: "foreign", reason: `managed by Replicator ${name ?? "(unknown)"}` };
  }
  const primary = l[LABEL_PRIMARY];
  if (primary !== undefined && primary !== owner.primaryId) {
    return {
      kind: "foreign",
      reason: `managed by Replicator ${name} of another primary cluster (kube-system uid ${primary})`,
    };
  }
  const uid = l[LABEL_REPLICATOR_UID];
  if (uid !== undefined && owner.replicatorUid !== undefined && uid !== owner.replicatorUid) {
    return {
      kind: "foreign",
      reason:
        `managed by an earlier Replicator named ${name} (uid ${uid}), not this one (uid ${owner.replicatorUid})`,
    };
  }
  if (primary === undefined || (uid === undefined && owner.replicatorUid !== undefined)) {
    return { kind: "adoptable" };
  }
  return { kind: "owned" };
}

/** True when `owner` may update, prune or delete the object: owned, or adoptable from release 0.1. */
export function mayChange(labels: Record<string, string> | undefined, owner: Owner): boolean {
  return ownershipOf(labels, owner).kind !== "foreign";
}

/**
 * True when an object was written by any Replicator of the primary `primaryId` (or by release 0.1, which
 * did not record a primary): the objects an operator may consider its own when counting what is in a
 * namespace. Objects of other primaries are someone else's.
 */
export function writtenByPrimary(labels: Record<string, string> | undefined, primaryId: string): boolean {
  const l = labels ?? {};
  if (l[LABEL_MANAGED_BY] !== MANAGED_BY_VALUE || !l[LABEL_REPLICATOR]) return false;
  const primary = l[LABEL_PRIMARY];
  return primary === undefined || primary === primaryId;
}

/**
 * The Namespace plumber creates when missing, marked as created by `replicator` of the primary
 * `primaryId` (the operator never applies the rendered one; `plumberctl diff` shows this one).
 */
export function namespaceToCreate(name: string, replicator: string, primaryId: string): KubeObject {
  return {
    apiVersion: "v1",
    kind: "Namespace",
    metadata: {
      name,
      // The primary's identity: another primary's operator sharing this cluster never deletes it.
      labels: { [LABEL_MANAGED_BY]: MANAGED_BY_VALUE, [LABEL_PRIMARY]: primaryId },
      annotations: { [CREATED_BY_ANNOTATION]: replicator },
    },
  };
}
