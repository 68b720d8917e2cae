/**
 * The Replicator controller: server-side applies a Replicator's rendered objects to the primary and
 * every target cluster, reverts drift, prunes what is no longer wanted, and cleans every cluster up
 * before a Replicator goes.
 *
 * This module is the wiring (as cert-manager's `controller.go`): informers, watches, the queue,
 * start and stop. The steps of a reconcile live beside it: `plan.ts` decides (pure), `act.ts` applies
 * and prunes, `cleanup.ts` finalizes and deletes namespaces, `status.ts` computes and writes status.
 *
 * Watches (all feeding Replicator names into one queue):
 * - Replicators in the primary;
 * - ClusterDetectors (a target turning Running is retried at once; a label change re-targets the
 *   Replicators whose `clusterSelector` matched the old labels or matches the new ones), shared with
 *   the ClusterDetector controller when the caller passes its informer;
 * - in every registered cluster, plumber's own objects (label `app.kubernetes.io/managed-by=plumber`),
 *   mapped back to their Replicator by the `plumber.jnytnai0613.github.io/replicator` label. These
 *   caches are also what a reconcile compares against, so a steady state writes nothing.
 * - the same for the `spec.resources[]` kinds: one watch per (cluster, kind) while some Replicator uses the
 *   kind (or still holds objects of it), none otherwise; gauge `plumber_cluster_watches`.
 *
 * @module
 */

import {
  API_VERSION,
  CLUSTER_DETECTOR_KIND,
  type ClusterDetector,
  FINALIZER,
  LABEL_REPLICATOR,
  type Replicator,
  REPLICATOR_KIND,
} from "../../lib/api.ts";
import type { KubeClient, KubeObjectLike } from "../../lib/kube/client.ts";
import { Controller, type ReconcileResult } from "../../lib/kube/controller.ts";
import type { EventRecorder } from "../../lib/kube/events.ts";
import { CoreV1Api } from "../../lib/kube/generated/core_v1.ts";
import { PlumberV1Api } from "../../lib/kube/generated/plumber_v1.ts";
import { Informer } from "../../lib/kube/informer.ts";
import type { Metrics } from "../../lib/kube/metrics.ts";
import { restClientOf } from "../../lib/kube/rest_adapter.ts";
import type { Logger } from "../../lib/log.ts";
import { objectMeta } from "../../lib/object_meta.ts";
import { writtenByPrimary } from "../../lib/ownership.ts";
import type { ClusterRegistry } from "../clusters.ts";
import { syncReplicator } from "./act.ts";
import { collectNamespaces, finalizeReplicator, NAMESPACE_JANITOR_KEY } from "./cleanup.ts";
import { type ClusterCaches, ClusterCacheSets } from "./cluster_caches.ts";
import type { CachedTls, ReplicatorContext } from "./context.ts";
import { DriftLedger } from "./drift.ts";
import { IntentHashes } from "./intent_hashes.ts";
import { OwnWrites, REPLICATORS } from "./own_writes.ts";
import { ReconcileEvents } from "./reconcile_events.ts";
import { TLS_FOR_LABEL, type TlsSecret } from "./tls_material.ts";
import { mayTarget } from "../../lib/targets.ts";
import { extraKinds, groupKind, type KindRef } from "../../lib/resources.ts";
import { Gauge } from "../../lib/kube/prometheus_text.ts";

export { CREATED_BY_ANNOTATION } from "./plan.ts";
export { sameReplicatorStatus } from "./status.ts";

/** Options of {@linkcode ReplicatorController}. */
export interface ReplicatorControllerOptions {
  primary: KubeClient;
  registry: ClusterRegistry;
  /** Operator namespace: ClusterDetectors and TLS material live there. */
  namespace: string;
  logger: Logger;
  events?: EventRecorder;
  metrics?: Metrics;
  /** Parallel Replicator reconciles (default 8). */
  concurrency?: number;
  /** Parallel clusters within one reconcile (default 8). */
  clusterConcurrency?: number;
  /** Serve only Replicators matching this label selector. */
  replicatorSelector?: string;
  /** How long a reconcile waits for a new cluster's caches (default 10 s). */
  cacheSyncTimeoutMs?: number;
  /**
   * The primary cluster's identity (UID of its `kube-system` namespace), written on every object; read
   * from the primary at start when not given.
   */
  primaryId?: string;
  /**
   * A shared informer of the ClusterDetectors in `namespace` (of the primary). When given it is used
   * instead of one of this controller's own, started if it is not yet, and left running by stop():
   * it is its owner's to stop.
   */
  detectors?: Informer<ClusterDetector & KubeObjectLike>;
  now?: () => Date;
}

/** Runs the Replicator controller. */
export class ReplicatorController {
  readonly controller: Controller;
  readonly replicators: Informer<Replicator & KubeObjectLike>;
  readonly detectors: Informer<ClusterDetector & KubeObjectLike>;
  /** plumber's TLS Secrets in the operator namespace: a Replicator's first reconcile reads its own here. */
  readonly tlsSecrets: Informer<TlsSecret & KubeObjectLike>;
  readonly #o: ReplicatorControllerOptions;
  #detectorsStarted = false;
  readonly #caches = new Map<string, ClusterCaches>();
  /** Own writes whose watch events (echoes) reconcile nothing (`own_writes.ts`). */
  readonly #ownWrites = new OwnWrites();
  /** Writes `#caches`: one set per cluster, replaced on credential changes (created by start()). */
  #cacheSets?: ClusterCacheSets;
  #unsubscribe?: () => void;
  readonly #ctx: ReplicatorContext;
  /** The `spec.resources[]` kinds some Replicator uses (or still holds): watched in every cluster. */
  #wantedKinds: KindRef[] = [];
  /** The extra kinds of each Replicator that has any (a fan-out's events then cost O(1), not O(Replicators)). */
  readonly #kindsOf = new Map<string, KindRef[]>();

  constructor(options: ReplicatorControllerOptions) {
    this.#o = options;
    this.replicators = new Informer({
      client: options.primary,
      apiVersion: API_VERSION,
      kind: REPLICATOR_KIND,
      labelSelector: options.replicatorSelector,
      logger: options.logger,
    });
    this.detectors = options.detectors ?? new Informer({
      client: options.primary,
      apiVersion: API_VERSION,
      kind: CLUSTER_DETECTOR_KIND,
      namespace: options.namespace,
      logger: options.logger,
    });
    this.tlsSecrets = new Informer({
      client: options.primary,
      apiVersion: "v1",
      kind: "Secret",
      namespace: options.namespace,
      labelSelector: TLS_FOR_LABEL,
      logger: options.logger,
    });
    this.controller = new Controller({
      name: "replicator",
      reconcile: (key) => this.reconcile(key),
      concurrency: options.concurrency ?? 8,
      logger: options.logger,
      metrics: options.metrics?.controller("replicator"),
    });
    // The echo of a finalizer or status write reconciles nothing: the reconcile that wrote it acted on it.
    this.controller.watch(this.replicators, (r) => [r.metadata.name], {
      ignore: (r) => this.#ownWrites.isEcho(REPLICATORS, r),
    });
    // The extra kinds' watches follow the Replicators that use them.
    this.replicators.addEventHandler({
      add: (r) => this.#noteKinds(r.metadata.name, extraKinds(r.spec ?? {}, r.status?.applied)),
      update: (_, r) => this.#noteKinds(r.metadata.name, extraKinds(r.spec ?? {}, r.status?.applied)),
      delete: (r) => this.#noteKinds(r.metadata.name, []),
    });
    // An update maps the old object and the new one: a label change reaches the Replicators that selected
    // the cluster and those that select it now.
    this.controller.watch(
      this.detectors,
      (cd) => this.#targeting(cd.metadata.name, cd.metadata.labels ?? {}),
    );
    this.#ctx = this.#context();
    if (options.metrics) {
      const stats = () => this.cacheStats;
      options.metrics.registry.register(
        new Gauge(
          "plumber_cluster_watches",
          "Watches the Replicator controller holds in the registered clusters, by what they are for: " +
            "seed (the seed's kinds and namespaces) or resources (the spec.resources[] kinds in use)",
          ["for"],
          (gauge) => {
            const { watches, extraWatches } = stats();
            gauge.set({ for: "seed" }, watches - extraWatches);
            gauge.set({ for: "resources" }, extraWatches);
          },
        ),
      );
    }
  }

  #context(): ReplicatorContext {
    const o = this.#o;
    return {
      primary: o.primary,
      api: new PlumberV1Api(restClientOf(o.primary)),
      registry: o.registry,
      namespace: o.namespace,
      logger: o.logger,
      replicators: this.replicators,
      detectors: this.detectors,
      tlsSecrets: this.tlsSecrets,
      caches: this.#caches,
      primaryId: o.primaryId ?? "",
      clusterConcurrency: o.clusterConcurrency ?? 8,
      cacheSyncTimeoutMs: o.cacheSyncTimeoutMs ?? 10_000,
      intentHashes: new IntentHashes(),
      ownWrites: this.#ownWrites,
      tls: new Map<string, CachedTls>(),
      kept: new Map(),
      drift: new DriftLedger(o.metrics),
      rollouts: new Map(),
      now: () => o.now?.() ?? new Date(),
      event: (replicator, type, reason, message) =>
        o.events?.record(
          {
            apiVersion: API_VERSION,
            kind: REPLICATOR_KIND,
            name: replicator.metadata.name,
            uid: replicator.metadata.uid,
          },
          type,
          reason,
          message,
        ) ?? Promise.resolve(),
      enqueue: (key) => this.controller.enqueue(key),
    };
  }

  /** Records one Replicator's extra kinds; the kinds in use are recomputed only when they changed. */
  #noteKinds(name: string, kinds: KindRef[]): void {
    const before = this.#kindsOf.get(name) ?? [];
    if (kinds.length === 0) this.#kindsOf.delete(name);
    else this.#kindsOf.set(name, kinds);
    if (before.map(groupKind).join(",") !== kinds.map(groupKind).join(",")) this.#updateWantedKinds();
  }

  /** Recomputes the extra kinds in use; starts and stops their watches in every cluster when they change. */
  #updateWantedKinds(): void {
    const kinds = new Map<string, KindRef>();
    for (const refs of this.#kindsOf.values()) for (const k of refs) kinds.set(groupKind(k), k);
    const before = this.#wantedKinds.map(groupKind).sort().join(",");
    this.#wantedKinds = [...kinds.values()];
    if ([...kinds.keys()].sort().join(",") === before) return;
    for (const caches of this.#caches.values()) void this.#setWantedKinds(caches);
  }

  async #setWantedKinds(caches: ClusterCaches): Promise<void> {
    try {
      await caches.setWantedKinds(this.#wantedKinds);
    } catch (error) {
      this.#o.logger.warn("Cannot update the watches of spec.resources[] kinds", {
        cluster: caches.name,
        error,
      });
    }
  }

  /**
   * Names of the Replicators that may target a cluster with these ClusterDetector labels (by default its
   * ClusterDetector's): the primary is everyone's; a secondary is named or selected.
   */
  #targeting(cluster: string, labels?: Record<string, string>): string[] {
    const isPrimary = this.#o.registry.get(cluster)?.role === "primary";
    const known = labels ?? this.detectors.get(this.#o.namespace, cluster)?.metadata.labels ?? {};
    return this.replicators.list()
      .filter((r) => isPrimary || mayTarget(r.spec ?? {}, cluster, known))
      .map((r) => r.metadata.name);
  }

  /** True once the Replicator, ClusterDetector and TLS Secret caches are synced. */
  get synced(): boolean {
    return this.replicators.synced && this.detectors.synced && this.tlsSecrets.synced;
  }

  /** Starts informers (one set per registered cluster) and workers. */
  async start(): Promise<void> {
    if (!this.#ctx.primaryId) {
      const kubeSystem = await new CoreV1Api(restClientOf(this.#o.primary)).getNamespace("kube-system");
      const uid = kubeSystem.metadata?.uid;
      if (typeof uid !== "string" || !uid) {
        throw new Error("Cannot identify the primary cluster: namespace kube-system has no uid");
      }
      this.#ctx.primaryId = uid;
    }
    const registry = this.#o.registry;
    this.#cacheSets = new ClusterCacheSets(this.#caches, {
      logger: this.#o.logger,
      syncTimeoutMs: this.#o.cacheSyncTimeoutMs ?? 10_000,
      subscribe: (caches) => {
        const attach = (informer: Informer<KubeObjectLike>) =>
          this.controller.watch(informer, (o) => {
            const labels = objectMeta(o).labels;
            const replicator = labels?.[LABEL_REPLICATOR];
            // Another primary's objects (a secondary shared by two operators) are never this operator's concern.
            return replicator && writtenByPrimary(labels, this.#ctx.primaryId) ? [replicator] : [];
          }, { ignore: (o) => this.#ownWrites.isEcho(caches.name, o) });
        const releases = [...caches.objects.values()].map(attach);
        releases.push(caches.attach(attach));
        void this.#setWantedKinds(caches);
        return () => releases.forEach((release) => release());
      },
    });
    for (const cluster of registry.list()) this.#cacheSets.start(cluster);
    this.#unsubscribe = registry.onChange((name, cluster) => {
      for (const r of this.#targeting(name)) this.controller.enqueue(r);
      // The registry closes the previous client once this has settled: the old caches no longer use it.
      // Replacements are serialized per cluster (see ClusterCacheSets).
      return this.#cacheSets?.replace(name, cluster) ?? Promise.resolve();
    });
    this.replicators.start();
    this.tlsSecrets.start();
    // A shared informer counts its users: this start is matched by the stop in stop().
    this.detectors.start();
    this.#detectorsStarted = true;
    await Promise.all([
      this.replicators.waitForSync(),
      this.detectors.waitForSync(),
      this.tlsSecrets.waitForSync(),
    ]);
    this.controller.start();
  }

  /**
   * Stops workers and every informer. A shared ClusterDetector informer counts its users, so stopping it
   * here only ends this controller's use (the watch ends with its last user).
   */
  async stop(): Promise<void> {
    this.#unsubscribe?.();
    const detectorsStarted = this.#detectorsStarted;
    this.#detectorsStarted = false;
    await this.#cacheSets?.close();
    await this.controller.stop();
    await Promise.all([
      this.replicators.stop(),
      this.tlsSecrets.stop(),
      ...(detectorsStarted ? [this.detectors.stop()] : []),
      ...[...this.#caches.values()].map((c) => c.stop()),
    ]);
  }

  /**
   * Cache sets running now and the controller's subscriptions (tests read them to find leaks), and the
   * watches held in the clusters (`watches`, of which `extraWatches` for `spec.resources[]` kinds).
   */
  get cacheStats(): {
    liveSets: number;
    clusters: number;
    replacing: number;
    subscriptions: number;
    watches: number;
    extraWatches: number;
  } {
    const sets = [...this.#caches.values()];
    return {
      liveSets: this.#cacheSets?.liveSets ?? 0,
      clusters: this.#caches.size,
      replacing: this.#cacheSets?.replacing ?? 0,
      subscriptions: this.controller.subscriptions,
      watches: sets.reduce((n, c) => n + c.watches, 0),
      extraWatches: sets.reduce((n, c) => n + c.extraKinds.length, 0),
    };
  }

  /**
   * One reconcile of the Replicator `name` (or of the namespace janitor's key). The Events its steps
   * record are folded into one per Replicator, written when it ends however it ends
   * (`reconcile_events.ts`); the queue never runs one key on two workers, and each reconcile has its own
   * collector, so two Replicators' Events are never mixed.
   */
  async reconcile(name: string): Promise<ReconcileResult> {
    if (name === NAMESPACE_JANITOR_KEY) return await collectNamespaces(this.#ctx);
    const events = new ReconcileEvents();
    const write = this.#ctx.event;
    const ctx: ReplicatorContext = {
      ...this.#ctx,
      // A step still running after the reconcile ended (none should) writes its Event on its own.
      event: (replicator, type, reason, message) =>
        events.add(replicator, type, reason, message)
          ? Promise.resolve()
          : write(replicator, type, reason, message),
    };
    try {
      return await this.#reconcileReplicator(ctx, name);
    } finally {
      await Promise.all(
        events.close().map(({ replicator, event }) =>
          write(replicator, event.type, event.reason, event.message)
        ),
      );
    }
  }

  async #reconcileReplicator(ctx: ReplicatorContext, name: string): Promise<ReconcileResult> {
    let replicator = this.replicators.get(undefined, name);
    if (!replicator) {
      ctx.tls.delete(name);
      ctx.rollouts.delete(name);
      ctx.intentHashes.forget(name);
      return;
    }
    if (replicator.metadata.deletionTimestamp) return await finalizeReplicator(ctx, replicator);
    if (!replicator.metadata.finalizers?.includes(FINALIZER)) {
      // Before anything is created, so a delete can clean up. The replace carries the resourceVersion read
      // (someone else's write in between fails it with a conflict), so the version it returns is this
      // write's: its echo reconciles nothing, and the sync goes on with it.
      const withFinalizer: Replicator = {
        ...replicator,
        metadata: {
          ...replicator.metadata,
          finalizers: [...(replicator.metadata.finalizers ?? []), FINALIZER],
        },
      };
      const body = { apiVersion: API_VERSION, kind: REPLICATOR_KIND, metadata: { name } };
      const updated = await ctx.ownWrites.write(
        REPLICATORS,
        body,
        () => ctx.api.replaceReplicator(withFinalizer),
        () => true,
        () => ctx.enqueue(name),
      );
      replicator = {
        ...withFinalizer,
        metadata: { ...withFinalizer.metadata, resourceVersion: updated.metadata?.resourceVersion },
      };
    }
    return await syncReplicator(ctx, replicator);
  }
}
