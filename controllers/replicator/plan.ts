/**
 * The Replicator controller's decisions, as pure functions of observed and desired state (no I/O):
 * which clusters to work on (`lib/targets.ts` resolves them), what to do with each rendered object given the live one (create, apply,
 * adopt, skip or conflict, after the ownership rules of `lib/ownership.ts` and the intent hash of
 * `lib/diff.ts`), which live objects to prune, which namespaces plumber may delete, and which
 * unregistered clusters to report or abandon (`lib/holdings.ts`). `act.ts` and `cleanup.ts` carry the
 * decisions out.
 *
 * @module
 */

import {
  type AppliedResource,
  type ClusterDetectorStatus,
  type KubeObject,
  LABEL_MANAGED_BY,
  MANAGED_BY_VALUE,
  type ReplicationRole,
  type Replicator,
} from "../../lib/api.ts";
import { CREATED_BY_ANNOTATION, LABEL_REPLICATOR } from "../../lib/api.ts";
import { firstDifference, INTENT_HASH_ANNOTATION } from "../../lib/diff.ts";
import { heldIn, holdingClusters, isAbandoned, unregisteredMessage } from "../../lib/holdings.ts";
import { type JsonObjectLike, type ObjectMeta, objectMeta, statusString } from "../../lib/object_meta.ts";
import { LABEL_PRIMARY, mayChange, type Owner, ownershipOf } from "../../lib/ownership.ts";
export { namespaceToCreate } from "../../lib/ownership.ts";
import { isSuspended, mayAdoptOrphan } from "../../lib/release.ts";
import { isNotServed } from "../../lib/resources.ts";

/** How soon a sync is repeated while a cluster does not serve a `spec.resources[]` kind (it may be installed). */
export const NOT_SERVED_REQUEUE_MS = 5_000;

export { CREATED_BY_ANNOTATION };

/** An object of any kind as JSON, as the caches hold it. */
export interface LiveObject extends JsonObjectLike {
  readonly kind?: string;
}

/** The outcome of one cluster within a reconcile. */
export interface ClusterOutcome {
  cluster: string;
  applied: AppliedResource[];
  ok: boolean;
  /** A failure worth a retry with backoff (as opposed to waiting for the cluster to come back). */
  retry: boolean;
  /** The cluster did not answer (connection refused or timed out): not retried with backoff (see UNREACHABLE_RETRY_MS). */
  unreachable?: boolean;
  /** Not worked on until its ClusterDetector says Running (see ClusterGate): requeued only as a safety net. */
  waitsForDetector?: boolean;
  message?: string;
  replicas?: number;
  readyReplicas?: number;
  /** The workload is ready there (`lib/readiness.ts`), and why not (set once everything was tried). */
  ready?: boolean;
  readyMessage?: string;
  wrote: number;
  /** Objects applied because they were new or their intent changed, and objects whose drift was reverted. */
  written: string[];
  corrected: string[];
  /** While suspended: what would have been written (created, applied, reverted or pruned), not written. */
  differs: string[];
  /** The Deployment as this reconcile's apply returned it: its readiness before the cache holds it. */
  appliedDeployment?: KubeObject;
}

/**
 * The Deployment whose status tells readiness: the cached one when it carries the intent, else the one this
 * reconcile's apply returned, if any (just written, the cache may not hold it yet, and its watch event,
 * this write's own echo, reconciles nothing: `own_writes.ts`), else the cached one.
 */
export function deploymentForReadiness<T extends object>(
  cached: T | undefined,
  applied: T | undefined,
  intent: { annotation: string; hash: string } | undefined,
): T | undefined {
  const carriesIntent = cached !== undefined && intent !== undefined &&
    objectMeta(cached as JsonObjectLike).annotations?.[intent.annotation] === intent.hash;
  return carriesIntent || applied === undefined ? cached : applied;
}

/** An outcome with nothing done yet. */
export function emptyOutcome(cluster: string): ClusterOutcome {
  return { cluster, applied: [], ok: false, retry: false, wrote: 0, written: [], corrected: [], differs: [] };
}

/** `Kind/namespace/name`, how logs and Events name an object. */
export function objectId(o: LiveObject): string {
  const meta = objectMeta(o);
  return `${o.kind}/${meta.namespace ?? ""}/${meta.name}`;
}

/** What the registry knows of a cluster. */
export interface ClusterEntry {
  role: ReplicationRole;
  /** Why its credentials cannot be used, if so. */
  problem?: string;
}

/** Whether a targeted cluster can be worked on now, from its registration and its ClusterDetector. */
/**
 * `waitsForDetector`: the secondary's ClusterDetector is not Running; its turning Running reconciles every
 * Replicator targeting it (`mod.ts`), so no timer is needed beyond a safety net (see requeueAfter).
 */
export type ClusterGate =
  | { kind: "sync"; role: ReplicationRole }
  | { kind: "unreachable"; message: string; waitsForDetector?: boolean };

/** Decides whether a targeted cluster can be worked on (a secondary only once its ClusterDetector says Running). */
export function gateCluster(
  cluster: string,
  entry: ClusterEntry | undefined,
  detector: ClusterDetectorStatus | undefined,
): ClusterGate {
  if (!entry) {
    return {
      kind: "unreachable",
      message: `cluster "${cluster}" is not registered (no ClusterDetector of that name)`,
    };
  }
  if (entry.problem) {
    return {
      kind: "unreachable",
      message: `cluster "${cluster}" has an invalid kubeconfig context: ${entry.problem}`,
    };
  }
  if (entry.role === "secondary" && detector?.clusterstatus !== "Running") {
    return {
      kind: "unreachable",
      waitsForDetector: true,
      message: `cluster "${cluster}" is ${detector?.clusterstatus ?? "not probed yet"}${
        detector?.reason ? `: ${detector.reason}` : ""
      }`,
    };
  }
  return { kind: "sync", role: entry.role };
}

/**
 * The outcome of a cluster plumber could not work on: what the last status says it applied there is
 * kept (it is still there as far as plumber knows), unless the user abandoned the cluster.
 */
export function unreachableOutcome(
  replicator: Replicator,
  cluster: string,
  message: string,
  registered: boolean,
): ClusterOutcome {
  const held = isAbandoned(replicator.metadata.annotations, cluster)
    ? []
    : heldIn(replicator.status, cluster);
  return {
    ...emptyOutcome(cluster),
    applied: held,
    message: !registered && held.length > 0 ? unregisteredMessage(cluster, held.length) : message,
  };
}

/**
 * Clusters no longer targeted, no longer cached and no longer registered that the status says still
 * hold this Replicator's objects: reported (never silently forgotten) until registered again or abandoned.
 */
export function unregisteredHoldings(
  replicator: Replicator,
  targets: readonly string[],
  known: (cluster: string) => boolean,
): string[] {
  return holdingClusters(replicator.status).filter((cluster) =>
    !targets.includes(cluster) && !known(cluster) && !isAbandoned(replicator.metadata.annotations, cluster)
  );
}

/** `object` with the hash of its intent in an annotation (what the next reconcile compares with). */
export function withIntentHash(object: KubeObject, hash: string): KubeObject {
  return {
    ...object,
    metadata: {
      ...object.metadata,
      annotations: { ...object.metadata.annotations, [INTENT_HASH_ANNOTATION]: hash },
    },
  };
}

/** What to do with one rendered object in one cluster. */
export type ObjectAction =
  /** Nothing of that name there: apply it. */
  | { action: "create" }
  /** Written by release 0.1 for this Replicator: apply, which adds the identity labels. */
  | { action: "adopt"; drift: boolean }
  /** Plumber's, but the intent changed (`drift: false`) or someone changed `difference` (`drift: true`). */
  | { action: "apply"; difference: string; drift: boolean }
  /** In sync: no request. */
  | { action: "skip" }
  /** Someone else's: left unchanged, reported. */
  | { action: "conflict"; reason: string };

/**
 * Decides what to do with `intent` (a rendered object carrying its intent hash `hash`) given the live
 * object of the same name (from the cache, or read), if any.
 */
export function planObject(
  intent: KubeObject,
  hash: string,
  live: LiveObject | undefined,
  owner: Owner,
): ObjectAction {
  if (!live) return { action: "create" };
  const meta = objectMeta(live);
  // Left in place by a Replicator of this name and primary under deletionPolicy Orphan: applied as our own.
  if (mayAdoptOrphan(meta, owner.primaryId, owner.replicator)) return { action: "adopt", drift: false };
  const ownership = ownershipOf(meta.labels, owner);
  if (ownership.kind === "foreign") return { action: "conflict", reason: ownership.reason };
  const sameIntent = meta.annotations?.[INTENT_HASH_ANNOTATION] === hash;
  if (ownership.kind === "adoptable") return { action: "adopt", drift: sameIntent };
  if (!sameIntent) return { action: "apply", difference: "intent changed", drift: false };
  const difference = firstDifference(intent, live);
  return difference === undefined ? { action: "skip" } : { action: "apply", difference, drift: true };
}

/** The live objects `owner` may change: its own, and those of release 0.1 it adopts. */
export function ownedObjects<T extends LiveObject>(live: Iterable<T>, owner: Owner): T[] {
  const out: T[] = [];
  for (const o of live) {
    // Another Replicator's object is never ours: skipped before the full check, which reads the whole
    // metadata (this runs over every cached object of a cluster in each reconcile).
    const labels = (o as { metadata?: { labels?: Record<string, unknown> } }).metadata?.labels;
    if (labels?.[LABEL_REPLICATOR] !== owner.replicator) continue;
    if (mayChange(objectMeta(o).labels, owner)) out.push(o);
  }
  return out;
}

/** The live objects to delete: `owner`'s (never anyone else's) that are not among the desired objects. */
export function planPrune<T extends LiveObject>(
  desired: readonly KubeObject[],
  live: Iterable<T>,
  owner: Owner,
): T[] {
  const wanted = new Set(desired.map(objectId));
  return ownedObjects(live, owner).filter((o) => !wanted.has(objectId(o)));
}

/** What to do about the namespace objects go into. */
export type NamespaceAction = "create" | "exists" | "terminating";

/** Creates a missing namespace; waits for one being deleted; leaves any other as it is (never relabels it). */
export function planNamespace(live: LiveObject | undefined): NamespaceAction {
  if (!live) return "create";
  return isTerminating(live) ? "terminating" : "exists";
}

/** True when a namespace is being deleted. */
export function isTerminating(namespace: LiveObject): boolean {
  return statusString(namespace, "phase") === "Terminating";
}

/**
 * The Replicator that created a namespace, when the plumber of the primary `primaryId` created it (its
 * `created-by` annotation and managed-by label, and no other primary's identity); otherwise undefined:
 * not ours to delete.
 */
export function createdBy(meta: ObjectMeta, primaryId: string): string | undefined {
  const creator = meta.annotations?.[CREATED_BY_ANNOTATION];
  if (creator === undefined || meta.labels?.[LABEL_MANAGED_BY] !== MANAGED_BY_VALUE) return undefined;
  const primary = meta.labels?.[LABEL_PRIMARY];
  if (primary !== undefined && primary !== primaryId) return undefined;
  return creator;
}

/**
 * The clusters to clean up before a Replicator goes: its targets, clusters without caches (to report
 * them) and those the status names, and of the other clusters with caches those that may hold its objects.
 */
export function cleanupClusters(
  replicator: Replicator,
  targets: readonly string[],
  cached: readonly string[],
  mayHold: (cluster: string) => boolean,
): string[] {
  return [...new Set([...targets, ...cached, ...holdingClusters(replicator.status)])]
    .filter((c) => targets.includes(c) || !cached.includes(c) || mayHold(c));
}

/**
 * Why a cluster without caches cannot be cleaned up, or undefined when it cannot hold anything of
 * this Replicator (a target that was never registered).
 */
export function uncachedFailure(
  replicator: Replicator,
  cluster: string,
  entry: ClusterEntry | undefined,
): string | undefined {
  if (entry) return `cluster ${cluster}: no client (${entry.problem ?? "credentials missing"})`;
  const held = heldIn(replicator.status, cluster).length;
  return held > 0 ? unregisteredMessage(cluster, held) : undefined;
}

/** Splits clean-up failures into those that keep the finalizer and clusters the user abandoned. */
export function judgeCleanup(
  replicator: Replicator,
  failures: ReadonlyArray<{ cluster: string; message: string }>,
): { failures: string[]; abandoned: string[] } {
  const annotations = replicator.metadata.annotations;
  return {
    failures: failures.filter((f) => !isAbandoned(annotations, f.cluster)).map((f) => f.message),
    abandoned: failures.filter((f) => isAbandoned(annotations, f.cluster)).map((f) => f.cluster),
  };
}

/**
 * When to reconcile again after a sync: soon while a cluster is waiting (a safety net: a
 * ClusterDetector change retries it at once), within seconds while a cluster does not serve a
 * `spec.resources[]` kind (discovery is read again then: a CRD installed meanwhile is used at once), and
 * before the TLS material is due.
 */
/**
 * How long a cluster that did not answer is skipped by every Replicator (no request is sent to it). Such a
 * cluster is not retried with backoff: the Replicator is requeued like any not-ready one (30 s), and at once
 * when the cluster's ClusterDetector turns Running again. Otherwise every Replicator would send its requests
 * to the dead cluster and retry from a 5 ms backoff, taking workers and CPU from the clusters that are up
 * (measured: one requeue round of 50 Replicators x 11 clusters every 10 s lengthened a fan-out by 10-40 %).
 */
export const UNREACHABLE_RETRY_MS = 10_000;

/** True while a cluster that failed to answer at `unreachableAt` is skipped (see UNREACHABLE_RETRY_MS). */
export function skipUnreachable(unreachableAt: number | undefined, now: number): boolean {
  return unreachableAt !== undefined && now - unreachableAt < UNREACHABLE_RETRY_MS;
}

/** The status message of a cluster that did not answer (see {@linkcode notAnsweringOutcome}). */
export function notAnsweringMessage(cluster: string): string {
  return `cluster "${cluster}" did not answer (connection refused or timed out); tried again shortly`;
}

/**
 * The outcome of a cluster that did not answer: the same whether this reconcile's request failed or the
 * cluster was skipped (skipUnreachable), and on every retry until it answers. A status that changed with
 * each retry (the failure's message and its failed objects, then "skipped" with none) was written again
 * and again, and each write is a watch event that reconciles the Replicator in every cluster once more:
 * CPU taken from the clusters that are up. `appliedNow` are what this reconcile did apply there before
 * the cluster stopped answering: they are kept (plumber holds them), failures are not listed.
 */
export function notAnsweringOutcome(
  replicator: Replicator,
  cluster: string,
  appliedNow: readonly AppliedResource[] = [],
): ClusterOutcome {
  const outcome = unreachableOutcome(replicator, cluster, notAnsweringMessage(cluster), true);
  const key = (a: AppliedResource) => `${a.kind}/${a.name}`;
  const held = new Set(outcome.applied.map(key));
  const added = appliedNow.filter((a) => a.applyStatus === "applied" && !held.has(key(a)));
  return { ...outcome, applied: [...outcome.applied, ...added], unreachable: true };
}

/**
 * The requeue of a Replicator whose only clusters not done wait for their ClusterDetector to turn Running
 * (which reconciles it at once): a safety net, not a poll. Polling every 30 s made every Replicator
 * targeting a dead cluster reconcile all its clusters every 30 s (measured: 2.4x the reconciles of a
 * fan-out of 50 to 10 secondaries with one down, taking workers from the clusters that are up).
 */
export const DETECTOR_WAIT_REQUEUE_MS = 300_000;

export function requeueAfter(
  outcomes: readonly ClusterOutcome[],
  renewInMs: number | undefined,
): number | undefined {
  const waiting = outcomes.some((c) => !c.ok && !c.waitsForDetector);
  const detector = outcomes.some((c) => !c.ok && c.waitsForDetector);
  const notServed = outcomes.some((c) => c.applied.some(isNotServed));
  const requeue = Math.min(
    notServed ? NOT_SERVED_REQUEUE_MS : Infinity,
    waiting ? 30_000 : Infinity,
    detector ? DETECTOR_WAIT_REQUEUE_MS : Infinity,
    renewInMs ?? Infinity,
  );
  return Number.isFinite(requeue) ? requeue : undefined;
}

/**
 * A cluster's verdict while the Replicator is suspended: in sync when nothing differs, otherwise not
 * ready, naming what differs (nothing was written). Undefined when not suspended.
 */
export function suspendedVerdict(
  replicator: Replicator,
  differs: readonly string[],
): { ok: boolean; message: string } | undefined {
  if (!isSuspended(replicator.spec)) return undefined;
  if (differs.length === 0) return { ok: true, message: "suspended; in sync" };
  const listed = differs.slice(0, 5).join(", ") +
    (differs.length > 5 ? ` and ${differs.length - 5} more` : "");
  return {
    ok: false,
    message: `suspended; ${differs.length} object${differs.length === 1 ? "" : "s"} differ${
      differs.length === 1 ? "s" : ""
    }: ${listed}`,
  };
}

/**
 * A resourceVersion no stored object has (etcd's first write is revision 2). An apply carrying it creates
 * the object when absent (as a server-side apply, so plumber's fields are managed by `Apply`) and fails
 * with 409 Conflict when any object of that name exists, whoever made it: creation without taking over.
 */
const NO_OBJECT_HAS_THIS_VERSION = "1";

/** `intent` as a create-only server-side apply (see {@linkcode NO_OBJECT_HAS_THIS_VERSION}). */
export function createOnlyIntent(intent: KubeObject): KubeObject {
  return { ...intent, metadata: { ...intent.metadata, resourceVersion: NO_OBJECT_HAS_THIS_VERSION } };
}
