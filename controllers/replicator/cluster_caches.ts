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
import { StringInterner } from "../../lib/kube/string_interner.ts";
import type { Logger } from "../../lib/log.ts";
import type { Owner } from "../../lib/ownership.ts";
import { groupKind, isSeedKind, type KindRef, SEED_KINDS } from "../../lib/resources.ts";
import type { RegisteredCluster } from "../clusters.ts";
import { replicatorCacheTransform } from "./cache_transform.ts";
import { ownedObjects } from "./plan.ts";

/** The kinds plumber replicates, besides the Namespace (watched in every cluster). */
export const REPLICATED_KINDS: ReadonlyArray<{ apiVersion: string; kind: string }> = SEED_KINDS;

/** The label selector of every cache of plumber's objects. */
const OWN_OBJECTS = `${LABEL_MANAGED_BY}=${MANAGED_BY_VALUE},${LABEL_REPLICATOR}`;

/**
 * The transform of every cache of a cluster: {@linkcode replicatorCacheTransform} (no managedFields, no
 * status reconcile never reads), then one copy of each long string (`interner`, shared by the clusters'
 * caches: the same certificate, script or file in three clusters and many Replicators is held once).
 */
export function cacheTransform(interner: StringInterner): (object: KubeObjectLike) => KubeObjectLike {
  return (object) => interner.internStrings(replicatorCacheTransform(object));
}

/** Feeds an informer's events to the controller; returns what stops that. */
export type Attach = (informer: Informer<KubeObjectLike>) => () => void;

/** Per-cluster caches of plumber's objects. */
export class ClusterCaches {
  readonly name: string;
  readonly client: KubeClient;
  readonly objects: Map<string, Informer<KubeObjectLike>>;
  readonly namespaces: Informer<KubeObjectLike>;
  /** Caches of the `spec.resources[]` kinds in use (`group/Kind` -> informer and its subscription). */
  readonly #extra = new Map<string, { informer: Informer<KubeObjectLike>; release?: () => void }>();
  /** The extra kinds some Replicator uses (`group/Kind` -> kind); set by the controller. */
  #wanted = new Map<string, KindRef>();
  #attach?: Attach;
  #stopped = false;
  readonly #logger: Logger;
  readonly #transform: (object: KubeObjectLike) => KubeObjectLike;
  /** When a request last failed to reach the cluster (connection refused or timed out); cleared on success. */
  unreachableAt?: number;

  /** `interner`: shared with the other clusters' caches (default: one of this set's own). */
  constructor(
    cluster: RegisteredCluster,
    client: KubeClient,
    logger: Logger,
    interner: StringInterner = new StringInterner(),
  ) {
    this.name = cluster.name;
    this.client = client;
    this.#logger = logger;
    const transform = cacheTransform(interner);
    this.#transform = transform;
    this.objects = new Map(
      REPLICATED_KINDS.map((k) => [
        k.kind,
        new Informer<KubeObjectLike>({
          client,
          apiVersion: k.apiVersion,
          kind: k.kind,
          labelSelector: OWN_OBJECTS,
          logger,
          transform,
        }),
      ]),
    );
    this.namespaces = new Informer({ client, apiVersion: "v1", kind: "Namespace", logger, transform });
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
    this.#stopped = true;
    const extra = [...this.#extra.values()];
    this.#extra.clear();
    for (const e of extra) e.release?.();
    await Promise.all([...this.all, ...extra.map((e) => e.informer)].map((i) => i.stop()));
  }

  /** Watches running in this cluster: the seed's kinds, namespaces, and the extra kinds in use. */
  get watches(): number {
    return this.all.length + this.#extra.size;
  }

  /** The extra kinds watched now (`group/Kind`). */
  get extraKinds(): string[] {
    return [...this.#extra.keys()];
  }

  /** The cache of a kind: a seed kind's, or an extra kind's once started. */
  informerFor(ref: KindRef): Informer<KubeObjectLike> | undefined {
    return isSeedKind(ref) ? this.objects.get(ref.kind) : this.#extra.get(groupKind(ref))?.informer;
  }

  /**
   * Feeds every extra informer's events (those running and those started later) to the controller;
   * returns what stops that.
   */
  attach(attach: Attach): () => void {
    this.#attach = attach;
    for (const e of this.#extra.values()) e.release ??= attach(e.informer);
    return () => {
      if (this.#attach === attach) this.#attach = undefined;
      for (const e of this.#extra.values()) {
        e.release?.();
        e.release = undefined;
      }
    };
  }

  /**
   * The extra kinds some Replicator uses: caches of kinds no longer in the list stop (no watch on kinds
   * nobody replicates); those of new kinds start once discovery says this cluster serves them namespaced
   * (a kind it does not serve is started by {@linkcode ensureKinds} when it appears).
   */
  async setWantedKinds(kinds: readonly KindRef[]): Promise<void> {
    this.#wanted = new Map(kinds.filter((k) => !isSeedKind(k)).map((k) => [groupKind(k), k]));
    const gone = [...this.#extra.entries()].filter(([key]) => !this.#wanted.has(key));
    for (const [key, e] of gone) {
      this.#extra.delete(key);
      e.release?.();
      this.#logger.info("Stopped watching a kind no Replicator uses", { kind: key });
    }
    await Promise.all(gone.map(([, e]) => e.informer.stop()));
    await this.ensureKinds([...this.#wanted.values()], 0);
  }

  /**
   * Starts the caches of these extra kinds where this cluster serves them namespaced (discovery, read
   * again on a miss at most once a second), and waits up to `timeoutMs` for them to sync (not for a cache
   * whose list already failed, e.g. a 403: the objects are then read one by one). Returns the kinds whose
   * cache is synced.
   */
  async ensureKinds(kinds: readonly KindRef[], timeoutMs: number): Promise<KindRef[]> {
    const started: Informer<KubeObjectLike>[] = [];
    const ready: KindRef[] = [];
    for (const ref of kinds) {
      if (isSeedKind(ref) || this.#stopped) continue;
      const key = groupKind(ref);
      let entry = this.#extra.get(key);
      if (!entry) {
        try {
          const mapping = await this.client.mapping(ref.apiVersion, ref.kind);
          if (!mapping.namespaced) continue;
        } catch {
          continue; // Not served (yet): reported per object by the sync, which retries.
        }
        entry = this.#extra.get(key);
        // No longer wanted while discovery answered (the last Replicator using it went): not started.
        if (!entry && !this.#stopped && this.#wanted.has(key)) {
          const informer = new Informer<KubeObjectLike>({
            client: this.client,
            apiVersion: ref.apiVersion,
            kind: ref.kind,
            labelSelector: OWN_OBJECTS,
            logger: this.#logger,
            transform: this.#transform,
          });
          entry = { informer, release: this.#attach?.(informer) };
          this.#extra.set(key, entry);
          informer.start();
          this.#logger.info("Watching a kind of spec.resources[]", { kind: key });
        }
      }
      if (entry) {
        started.push(entry.informer);
        ready.push(ref);
      }
    }
    const waiting = started.filter((i) => !i.synced && i.stats.errors === 0);
    if (timeoutMs > 0 && waiting.length > 0) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        Promise.all(waiting.map((i) => i.waitForSync())),
        new Promise((resolve) => timer = setTimeout(resolve, timeoutMs)),
      ]);
      clearTimeout(timer);
    }
    return ready.filter((ref) => this.#extra.get(groupKind(ref))?.informer.synced);
  }

  /** Every cached object of the replicated kinds (all labelled as plumber's, of any Replicator or primary). */
  cached(): KubeObjectLike[] {
    return [...this.objects.values(), ...[...this.#extra.values()].map((e) => e.informer)]
      .flatMap((informer) => informer.list());
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
  /** One copy of each long string among every cluster's caches. */
  readonly #interner = new StringInterner();
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
    const caches = new ClusterCaches(
      cluster,
      client,
      this.#o.logger.child({ cluster: cluster.name }),
      this.#interner,
    );
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
