/**
 * Per-cluster caches of plumber's own objects (one informer per replicated
 * kind, labelled as plumber's) and of the cluster's namespaces. The Replicator
 * controller compares against them, so a steady state makes no requests.
 * {@linkcode ClusterCacheSets} keeps one set per cluster and replaces a set
 * when the cluster's credentials change.
 *
 * @module
 */

import { LABEL_MANAGED_BY, LABEL_REPLICATOR, MANAGED_BY_VALUE } from "../../lib/api.ts";
import type { KubeClient, KubeObjectLike } from "../../lib/kube/client.ts";
import { Informer } from "../../lib/kube/informer.ts";
import type { Logger } from "../../lib/log.ts";
import type { Owner } from "../../lib/ownership.ts";
import type { RegisteredCluster } from "../clusters.ts";
import { ownedObjects } from "./plan.ts";

/** The kinds plumber replicates, besides the Namespace. */
export const REPLICATED_KINDS: ReadonlyArray<{ apiVersion: string; kind: string }> = [
  { apiVersion: "v1", kind: "ConfigMap" },
  { apiVersion: "v1", kind: "Secret" },
  { apiVersion: "apps/v1", kind: "Deployment" },
  { apiVersion: "v1", kind: "Service" },
  { apiVersion: "networking.k8s.io/v1", kind: "Ingress" },
];

/** Per-cluster caches of plumber's objects. */
export class ClusterCaches {
  readonly name: string;
  readonly client: KubeClient;
  readonly objects: Map<string, Informer<KubeObjectLike>>;
  readonly namespaces: Informer<KubeObjectLike>;

  constructor(cluster: RegisteredCluster, client: KubeClient, logger: Logger) {
    this.name = cluster.name;
    this.client = client;
    this.objects = new Map(
      REPLICATED_KINDS.map((k) => [
        k.kind,
        new Informer<KubeObjectLike>({
          client,
          apiVersion: k.apiVersion,
          kind: k.kind,
          labelSelector: `${LABEL_MANAGED_BY}=${MANAGED_BY_VALUE},${LABEL_REPLICATOR}`,
          logger,
        }),
      ]),
    );
    this.namespaces = new Informer({ client, apiVersion: "v1", kind: "Namespace", logger });
  }

  get all(): Informer<KubeObjectLike>[] {
    return [...this.objects.values(), this.namespaces];
  }

  get synced(): boolean {
    return this.all.every((i) => i.synced);
  }

  start(): void {
    for (const i of this.all) i.start();
  }

  /** Resolves true once every cache is synced; false after `timeoutMs`, when `signal` aborts or when stopped. */
  async waitForSync(timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    let onAbort: (() => void) | undefined;
    const timeout = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
      onAbort = () => resolve(false);
      signal?.addEventListener("abort", onAbort, { once: true });
    });
    const synced = Promise.all(this.all.map((i) => i.waitForSync())).then(() => true);
    const result = signal?.aborted ? false : await Promise.race([synced, timeout]);
    clearTimeout(timer);
    if (onAbort) signal?.removeEventListener("abort", onAbort);
    return result && this.synced;
  }

  async stop(): Promise<void> {
    await Promise.all(this.all.map((i) => i.stop()));
  }

  /** Every cached object of the replicated kinds (all labelled as plumber's, of any Replicator or primary). */
  cached(): KubeObjectLike[] {
    return [...this.objects.values()].flatMap((informer) => informer.list());
  }

  /**
   * Cached objects this Replicator may change in this cluster: its own (primary identity and Replicator
   * UID match) and those of release 0.1 it adopts. Another primary's or an earlier incarnation's objects
   * of the same Replicator name are not in the list.
   */
  ownedBy(owner: Owner): KubeObjectLike[] {
    return ownedObjects(this.cached(), owner);
  }
}

/** Options of {@linkcode ClusterCacheSets}. */
export interface ClusterCacheSetsOptions {
  logger: Logger;
  /** How long a new set may take to sync before it replaces the old one anyway (default 10 s). */
  syncTimeoutMs?: number;
  /** Feeds a set's events to the controller; returns what stops that (called when the set goes). */
  subscribe(caches: ClusterCaches): () => void;
}

/** One cluster's replacement under way, and the entry it must end with. */
interface Replacement {
  latest: RegisteredCluster | undefined;
  /** Aborted when a newer entry arrives (or on close): a set still syncing for an older one is dropped. */
  superseded: AbortController;
  done: Promise<void>;
}

/**
 * One set of caches per cluster, in a map the controller reads. A credential change replaces a
 * cluster's set without a gap and without two sets serving: the new set starts and syncs (or
 * times out) while the old one still serves; then the map switches to it, the old set's
 * subscriptions are released and it stops. Replacements of one cluster run one at a time;
 * changes arriving meanwhile are coalesced into one round with the latest entry, and a new set
 * that is outdated before it has synced is stopped without ever serving.
 */
export class ClusterCacheSets {
  readonly #sets: Map<string, ClusterCaches>;
  readonly #o: ClusterCacheSetsOptions;
  /** Sets started and not stopped yet (serving or syncing), with their subscription's release. */
  readonly #live = new Map<ClusterCaches, (() => void) | undefined>();
  readonly #replacing = new Map<string, Replacement>();
  #closed = false;

  /** `sets` is the map the controller reads; only this class writes it. */
  constructor(sets: Map<string, ClusterCaches>, options: ClusterCacheSetsOptions) {
    this.#sets = sets;
    this.#o = options;
  }

  /** Sets started and not stopped: one per cluster with a client, plus any new set still syncing. */
  get liveSets(): number {
    return this.#live.size;
  }

  /** Clusters whose set is being replaced now. */
  get replacing(): number {
    return this.#replacing.size;
  }

  /** Starts and subscribes the first set of a cluster (at start, before any replacement). */
  start(cluster: RegisteredCluster): void {
    if (this.#closed || !cluster.client || this.#sets.has(cluster.name)) return;
    const caches = this.#create(cluster, cluster.client);
    this.#live.set(caches, this.#o.subscribe(caches));
    this.#sets.set(cluster.name, caches);
  }

  /**
   * Replaces a cluster's set after a change of its entry (`undefined`: removed). Resolves once
   * no set of this cluster uses a client older than the latest entry's any more (the old one
   * may then be closed).
   */
  replace(name: string, cluster: RegisteredCluster | undefined): Promise<void> {
    const running = this.#replacing.get(name);
    if (running) {
      running.latest = cluster;
      running.superseded.abort();
      return running.done;
    }
    const replacement: Replacement = {
      latest: cluster,
      superseded: new AbortController(),
      done: Promise.resolve(),
    };
    this.#replacing.set(name, replacement);
    replacement.done = this.#drain(name, replacement);
    return replacement.done;
  }

  /**
   * Refuses further replacements and ends those under way (a new set not in the map yet is
   * stopped). The sets in the map stay: the caller stops them with the rest.
   */
  async close(): Promise<void> {
    this.#closed = true;
    const pending = [...this.#replacing.values()];
    for (const r of pending) r.superseded.abort();
    await Promise.all(pending.map((r) => r.done));
  }

  async #drain(name: string, replacement: Replacement): Promise<void> {
    try {
      while (!this.#closed) {
        replacement.superseded = new AbortController();
        const cluster = replacement.latest;
        try {
          await this.#switch(name, cluster, replacement.superseded.signal);
        } catch (error) {
          this.#o.logger.error("Cannot replace the caches of a cluster", { cluster: name, error });
        }
        if (replacement.latest === cluster) break;
      }
    } finally {
      this.#replacing.delete(name);
    }
  }

  async #switch(
    name: string,
    cluster: RegisteredCluster | undefined,
    superseded: AbortSignal,
  ): Promise<void> {
    const old = this.#sets.get(name);
    const client = cluster?.client;
    if (old && old.client === client) return;
    let fresh: ClusterCaches | undefined;
    if (cluster && client) {
      fresh = this.#create(cluster, client);
      const timeoutMs = this.#o.syncTimeoutMs ?? 10_000;
      const synced = await fresh.waitForSync(timeoutMs, superseded);
      if (superseded.aborted || this.#closed) {
        await this.#stop(fresh);
        return;
      }
      if (!synced) {
        this.#o.logger.warn("New caches of a cluster did not sync in time; switching to them anyway", {
          cluster: name,
          timeoutMs,
        });
      }
      let release: () => void;
      try {
        release = this.#o.subscribe(fresh);
      } catch (error) {
        await this.#stop(fresh);
        throw error;
      }
      this.#live.set(fresh, release);
      this.#sets.set(name, fresh);
    } else {
      this.#sets.delete(name);
    }
    if (old) await this.#stop(old);
  }

  #create(cluster: RegisteredCluster, client: KubeClient): ClusterCaches {
    const caches = new ClusterCaches(cluster, client, this.#o.logger.child({ cluster: cluster.name }));
    this.#live.set(caches, undefined);
    caches.start();
    return caches;
  }

  async #stop(caches: ClusterCaches): Promise<void> {
    if (!this.#live.has(caches)) return;
    const release = this.#live.get(caches);
    this.#live.delete(caches);
    release?.();
    await caches.stop();
  }
}
