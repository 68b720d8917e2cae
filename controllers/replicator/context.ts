/**
 * What the Replicator controller's steps share: clients, caches, the registry, the logger, the clock
 * and the little state kept between reconciles. `mod.ts` builds one; `act.ts`, `cleanup.ts` and
 * `status.ts` take it as their first argument (no module-level state).
 *
 * @module
 */

import type { ClusterDetector, Replicator } from "../../lib/api.ts";
import { isNotFound, type KubeClient, type KubeObjectLike } from "../../lib/kube/client.ts";
import type { PlumberV1Api, Replicator as StoredReplicator } from "../../lib/kube/generated/plumber_v1.ts";
import type { Informer } from "../../lib/kube/informer.ts";
import type { Logger } from "../../lib/log.ts";
import type { Owner } from "../../lib/ownership.ts";
import type { ClusterRegistry } from "../clusters.ts";
import type { ClusterCaches } from "./cluster_caches.ts";
import { resolveTargets, type SelectableCluster, selectedIn, type Targeting } from "../../lib/targets.ts";
import type { StoredTls, TlsSecret, TlsValidity } from "./tls_material.ts";
import type { DriftLedger } from "./drift.ts";
import type { OwnWrites } from "./own_writes.ts";
import type { IntentHashes } from "./intent_hashes.ts";
import type { RolloutMemory } from "./rollout.ts";

/** A Replicator's TLS material as last ensured, reused until due or until its hosts change. */
export interface CachedTls {
  uid?: string;
  hosts: string;
  material: StoredTls;
  validity: TlsValidity;
  renewAt: Date;
}

/** The shared state of one Replicator controller. */
export interface ReplicatorContext {
  /** The primary cluster, for kind-agnostic calls (TLS Secret apply). */
  readonly primary: KubeClient;
  /** Typed client of plumber's kinds in the primary. */
  readonly api: PlumberV1Api;
  readonly registry: ClusterRegistry;
  /** Operator namespace: ClusterDetectors and TLS material live there. */
  readonly namespace: string;
  readonly logger: Logger;
  readonly replicators: Informer<Replicator & KubeObjectLike>;
  readonly detectors: Informer<ClusterDetector & KubeObjectLike>;
  /** plumber's TLS Secrets in the operator namespace (label `TLS_FOR_LABEL`): read without a GET. */
  readonly tlsSecrets: Informer<TlsSecret & KubeObjectLike>;
  /** One set of caches per cluster with a client (written by `ClusterCacheSets` only). */
  readonly caches: ReadonlyMap<string, ClusterCaches>;
  /** UID of the primary's `kube-system` namespace (given, or read by the controller's start()). */
  primaryId: string;
  readonly clusterConcurrency: number;
  readonly cacheSyncTimeoutMs: number;
  /** Intent hashes reused while a render's inputs are unchanged (`intent_hashes.ts`). */
  readonly intentHashes: IntentHashes;
  /** Versions of objects this controller created and of the status it wrote, whose echo reconciles nothing. */
  readonly ownWrites: OwnWrites;
  /** Replicator name -> its TLS material. */
  readonly tls: Map<string, CachedTls>;
  /** `<cluster>/<namespace>` -> when a census last found it not empty, and why when it could not count it. */
  readonly kept: Map<string, { at: number; uncounted?: string }>;
  /** Drifts reverted since the operator started, per Replicator and cluster (and their metric). */
  readonly drift: DriftLedger;
  /** Replicator name -> what its rollout knows between reconciles (see `rollout.ts`). */
  readonly rollouts: Map<string, RolloutMemory>;
  now(): Date;
  /** Records an Event on the Replicator (when an EventRecorder was given). */
  event(replicator: Replicator, type: "Normal" | "Warning", reason: string, message: string): Promise<void>;
  /** Queues a key for the controller (a Replicator name, or the namespace janitor's key). */
  enqueue(key: string): void;
}

/** The identity an object must carry to be this Replicator's (DESIGN.md section 4). */
export function ownerOf(ctx: ReplicatorContext, replicator: Replicator): Owner {
  return {
    primaryId: ctx.primaryId,
    replicator: replicator.metadata.name,
    replicatorUid: replicator.metadata.uid,
  };
}

/**
 * A Replicator's targets, from the caches (no request): the ClusterDetectors with their labels, and the
 * registered secondaries whose ClusterDetector is missing (labels unknown).
 */
export function targetingOf(ctx: ReplicatorContext, replicator: Replicator): Targeting {
  const clusters: SelectableCluster[] = ctx.detectors.list().map((cd) => ({
    name: cd.metadata.name,
    labels: cd.metadata.labels ?? {},
  }));
  for (const entry of ctx.registry.list()) {
    if (entry.role === "secondary" && !ctx.detectors.get(ctx.namespace, entry.name)) {
      clusters.push({ name: entry.name });
    }
  }
  return resolveTargets(replicator.spec, ctx.registry.primary?.name, clusters, selectedIn(replicator.status));
}

/** Reads a Replicator from the primary, or undefined when there is none of that name. */
export async function findReplicator(
  ctx: ReplicatorContext,
  name: string,
): Promise<StoredReplicator | undefined> {
  try {
    return await ctx.api.getReplicator(name);
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}
