/**
 * `spec.suspend` and `spec.deletionPolicy` decisions (pure): whether plumber may write for a Replicator,
 * whether its objects are deleted or orphaned, and the JSON merge patch that releases (orphans) an object.
 *
 * Releasing removes what makes an object plumber's: the managed-by, replicator, primary and replicator-uid
 * labels, the intent-hash annotation and the owner reference to the Replicator (on the primary's copies,
 * which the garbage collector would otherwise delete with it). It is a JSON merge patch, not a server-side
 * apply: plumber's apply intent is the whole object, so applying less would remove the workload's fields.
 * The patch carries the object's `resourceVersion`, so it fails (409) rather than overwrite a change made
 * meanwhile. In their place goes one annotation, {@linkcode ORPHANED_FROM_ANNOTATION}, naming the primary and
 * the Replicator: a Replicator of the same name, of the same primary, adopts the object (applies it as its
 * own); anyone else finds an object that is not plumber's.
 *
 * @module
 */

import { INTENT_HASH_ANNOTATION } from "./diff.ts";
import {
  CREATED_BY_ANNOTATION as CREATED_BY,
  LABEL_MANAGED_BY,
  LABEL_REPLICATOR,
  MANAGED_BY_VALUE,
} from "./api.ts";
import type { ObjectMeta } from "./object_meta.ts";
import { LABEL_PRIMARY, LABEL_REPLICATOR_UID } from "./ownership.ts";

/** Annotation left on an orphaned object: `<primary kube-system uid>/<replicator name>`. */
export const ORPHANED_FROM_ANNOTATION = "plumber.jnytnai0613.github.io/orphaned-from";

/** The labels that make an object plumber's; removed when it is orphaned. */
export const OWNERSHIP_LABELS: readonly string[] = [
  LABEL_MANAGED_BY,
  LABEL_REPLICATOR,
  LABEL_PRIMARY,
  LABEL_REPLICATOR_UID,
];

/** The spec fields these decisions read. */
export interface ReleaseSpec {
  suspend?: boolean;
  deletionPolicy?: "Delete" | "Orphan";
}

/** True while plumber must write nothing for this Replicator (deletion still cleans up or orphans). */
export function isSuspended(spec: ReleaseSpec | undefined): boolean {
  return spec?.suspend === true;
}

/** What happens to the objects when the Replicator goes or a cluster is deselected. */
export function deletionPolicyOf(spec: ReleaseSpec | undefined): "Delete" | "Orphan" {
  return spec?.deletionPolicy === "Orphan" ? "Orphan" : "Delete";
}

/** The value of {@linkcode ORPHANED_FROM_ANNOTATION} for a Replicator of a primary. */
export function orphanedFromValue(primaryId: string, replicator: string): string {
  return `${primaryId}/${replicator}`;
}

/**
 * True when an object that is not plumber's (no managed-by label) was orphaned by a Replicator of this
 * name and primary: it may adopt it.
 */
export function mayAdoptOrphan(meta: ObjectMeta, primaryId: string, replicator: string): boolean {
  if (meta.labels?.[LABEL_MANAGED_BY] === MANAGED_BY_VALUE) return false;
  return meta.annotations?.[ORPHANED_FROM_ANNOTATION] === orphanedFromValue(primaryId, replicator);
}

/**
 * The JSON merge patch that releases an object from a Replicator (`replicatorUid`) of a primary: plumber's
 * labels and annotations set to null, the owner reference to the Replicator dropped (a merge patch replaces
 * the list: the others are kept, or the field removed), and the orphaned-from annotation added. A Namespace
 * plumber created loses its created-by annotation too (it is left in place, never deleted by plumber).
 */
export function releasePatch(
  meta: ObjectMeta,
  primaryId: string,
  replicator: string,
  replicatorUid: string | undefined,
): Record<string, unknown> {
  const labels: Record<string, null> = {};
  for (const key of OWNERSHIP_LABELS) if (meta.labels?.[key] !== undefined) labels[key] = null;
  const annotations: Record<string, string | null> = {
    [ORPHANED_FROM_ANNOTATION]: orphanedFromValue(primaryId, replicator),
  };
  for (const key of [INTENT_HASH_ANNOTATION, CREATED_BY]) {
    if (meta.annotations?.[key] !== undefined) annotations[key] = null;
  }
  const metadata: Record<string, unknown> = { labels, annotations };
  if (meta.resourceVersion) metadata.resourceVersion = meta.resourceVersion;
  const refs = meta.ownerReferences ?? [];
  const kept = refs.filter((r) => replicatorUid === undefined || r.uid !== replicatorUid);
  if (kept.length !== refs.length) metadata.ownerReferences = kept.length > 0 ? kept : null;
  return { metadata };
}
