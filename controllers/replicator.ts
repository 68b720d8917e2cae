/**
 * The Replicator controller: server-side applies a Replicator's rendered
 * objects to the primary and every target cluster, reverts drift, prunes what
 * is no longer wanted, and cleans every cluster up before a Replicator goes.
 *
 * Watches (all feeding Replicator names into one queue):
 * - Replicators in the primary;
 * - ClusterDetectors (a target turning Running is retried at once);
 * - in every registered cluster, plumber's own objects (label
 *   `app.kubernetes.io/managed-by=plumber`), mapped back to their Replicator
 *   by the `plumber.jnytnai0613.github.io/replicator` label. These caches are
 *   also what a reconcile compares against, so a steady state writes nothing.
 *
 * Clusters are worked in parallel with bounded concurrency; a failing cluster
 * is reported in status and retried with backoff without holding up the rest.
 *
 * @module
 */

import {
  API_VERSION,
  type AppliedResource,
  CLUSTER_DETECTOR_KIND,
  type ClusterDetector,
  type ClusterReplicationStatus,
  type Condition,
  FIELD_MANAGER,
  FINALIZER,
  type KubeObject,
  LABEL_MANAGED_BY,
  LABEL_REPLICATOR,
  MANAGED_BY_VALUE,
  type Replicator,
  REPLICATOR_KIND,
  type ReplicatorStatus,
  setCondition,
} from "../lib/api.ts";
import { ingressHosts, ingressTlsEnabled, renderReplicator } from "../lib/render.ts";
import { canonicalJson, firstDifference, INTENT_HASH_ANNOTATION, intentHash } from "../lib/diff.ts";
import { isConflict, type KubeClient, type KubeObjectLike } from "../lib/kube/client.ts";
import { Controller, type ReconcileResult } from "../lib/kube/controller.ts";
import type { EventRecorder } from "../lib/kube/events.ts";
import { Informer } from "../lib/kube/informer.ts";
import type { Metrics } from "../lib/kube/metrics.ts";
import { describeFailure } from "../lib/kube/probe.ts";
import type { Logger } from "../lib/log.ts";
import { LABEL_PRIMARY, mayChange, type Owner, ownershipOf, writtenByPrimary } from "../lib/ownership.ts";
import {
  ABANDON_ANNOTATION,
  heldIn,
  holdingClusters,
  isAbandoned,
  unregisteredMessage,
} from "../lib/holdings.ts";
import type { ClusterRegistry, RegisteredCluster } from "./clusters.ts";
import { ClusterCaches, ClusterCacheSets } from "./cluster_caches.ts";
import { describeCensus, type IsOwn, namespaceCensus } from "../lib/kube/census.ts";
import { ensureTls, type StoredTls } from "./tls_material.ts";
import { mapLimit, settleAll } from "../lib/async.ts";

/** Queue key of the namespace clean-up pass ("\0" cannot start a Replicator name). */
const NAMESPACE_JANITOR_KEY = "\u0000namespaces";

/** Annotation on a Namespace that plumber created (and so may delete when it is empty). */
export const CREATED_BY_ANNOTATION = "plumber.jnytnai0613.github.io/created-by";

/** How long a namespace found not empty is not counted again. */
const KEPT_RECHECK_MS = 60_000;

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
  now?: () => Date;
}

/** The outcome of one cluster within a reconcile. */
interface ClusterOutcome {
  cluster: string;
  applied: AppliedResource[];
  ok: boolean;
  /** A failure worth a retry with backoff (as opposed to waiting for the cluster to come back). */
  retry: boolean;
  message?: string;
  replicas?: number;
  readyReplicas?: number;
  wrote: number;
  /** Objects applied because they were new or their intent changed, and objects whose drift was reverted. */
  written: string[];
  corrected: string[];
}

function refOf(o: KubeObjectLike): { apiVersion: string; kind: string; namespace?: string; name: string } {
  return {
    apiVersion: o.apiVersion!,
    kind: o.kind!,
    namespace: o.metadata?.namespace,
    name: o.metadata!.name!,
  };
}

function objectId(o: { kind?: string; metadata?: { namespace?: string; name?: string } }): string {
  return `${o.kind}/${o.metadata?.namespace ?? ""}/${o.metadata?.name}`;
}

/** Status equality ignoring condition transition times. */
export function sameReplicatorStatus(a: ReplicatorStatus | undefined, b: ReplicatorStatus): boolean {
  // Canonical JSON: the API server returns keys in its own order.
  const strip = (s: ReplicatorStatus | undefined) =>
    canonicalJson({
      ...s,
      conditions: (s?.conditions ?? []).map((
        c: Condition,
      ) => [c.type, c.status, c.reason, c.message, c.observedGeneration]),
    });
  return strip(a) === strip(b);
}

/** Runs the Replicator controller. */
export class ReplicatorController {
  readonly controller: Controller;
  readonly replicators: Informer<Replicator & KubeObjectLike>;
  readonly detectors: Informer<ClusterDetector & KubeObjectLike>;
  #o: ReplicatorControllerOptions;
  #caches = new Map<string, ClusterCaches>();
  /** Writes `#caches`: one set per cluster, replaced on credential changes (created by start()). */
  #cacheSets?: ClusterCacheSets;
  #tls = new Map<string, { uid?: string; hosts: string; material: StoredTls; renewAt: Date }>();
  #unsubscribe?: () => void;
  #primaryId: string;
  /** `<cluster>/<namespace>` -> when a census last found it not empty, and why when it could not count it. */
  #kept = new Map<string, { at: number; uncounted?: string }>();

  constructor(options: ReplicatorControllerOptions) {
    this.#o = options;
    this.#primaryId = options.primaryId ?? "";
    this.replicators = new Informer({
      client: options.primary,
      apiVersion: API_VERSION,
      kind: REPLICATOR_KIND,
      labelSelector: options.replicatorSelector,
      logger: options.logger,
    });
    this.detectors = new Informer({
      client: options.primary,
      apiVersion: API_VERSION,
      kind: CLUSTER_DETECTOR_KIND,
      namespace: options.namespace,
      logger: options.logger,
    });
    this.controller = new Controller({
      name: "replicator",
      reconcile: (key) => this.reconcile(key),
      concurrency: options.concurrency ?? 8,
      logger: options.logger,
      metrics: options.metrics?.controller("replicator"),
    });
    this.controller.watch(this.replicators, (r) => [r.metadata.name]);
    this.controller.watch(this.detectors, (cd) => this.#targeting(cd.metadata.name));
  }

  /** Names of the Replicators that target a cluster (the primary is everyone's). */
  #targeting(cluster: string): string[] {
    const isPrimary = this.#o.registry.get(cluster)?.role === "primary";
    return this.replicators.list()
      .filter((r) => isPrimary || (r.spec?.targetCluster ?? []).includes(cluster))
      .map((r) => r.metadata.name);
  }

  /** True once the Replicator and ClusterDetector caches are synced. */
  get synced(): boolean {
    return this.replicators.synced && this.detectors.synced;
  }

  /** Starts informers (one set per registered cluster) and workers. */
  async start(): Promise<void> {
    if (!this.#primaryId) {
      const kubeSystem = await this.#o.primary.get({
        apiVersion: "v1",
        kind: "Namespace",
        name: "kube-system",
      });
      const uid = kubeSystem.metadata?.uid;
      if (typeof uid !== "string" || !uid) {
        throw new Error("Cannot identify the primary cluster: namespace kube-system has no uid");
      }
      this.#primaryId = uid;
    }
    const registry = this.#o.registry;
    this.#cacheSets = new ClusterCacheSets(this.#caches, {
      logger: this.#o.logger,
      syncTimeoutMs: this.#o.cacheSyncTimeoutMs ?? 10_000,
      subscribe: (caches) => {
        const releases = [...caches.objects.values()].map((informer) =>
          this.controller.watch(informer, (o) => {
            const labels = (o.metadata as KubeObject["metadata"])?.labels;
            // Another primary's objects (a secondary shared by two operators) are never this operator's concern.
            if (!writtenByPrimary(labels, this.#primaryId)) return [];
            return [labels![LABEL_REPLICATOR]!];
          })
        );
        return () => releases.forEach((release) => release());
      },
    });
    for (const cluster of registry.list()) this.#startCaches(cluster);
    this.#unsubscribe = registry.onChange((name, cluster) => {
      for (const r of this.#targeting(name)) this.controller.enqueue(r);
      // The registry closes the previous client once this has settled: the old caches no longer use it.
      return this.#restartCaches(name, cluster);
    });
    this.replicators.start();
    this.detectors.start();
    await Promise.all([this.replicators.waitForSync(), this.detectors.waitForSync()]);
    this.controller.start();
  }

  /** Stops workers and every informer. */
  async stop(): Promise<void> {
    this.#unsubscribe?.();
    await this.#cacheSets?.close();
    await this.controller.stop();
    await Promise.all([
      this.replicators.stop(),
      this.detectors.stop(),
      ...[...this.#caches.values()].map((c) => c.stop()),
    ]);
  }

  #startCaches(cluster: RegisteredCluster): void {
    this.#cacheSets?.start(cluster);
  }

  /** Replaces a cluster's caches after its credentials changed (serialized per cluster, see ClusterCacheSets). */
  #restartCaches(name: string, cluster: RegisteredCluster | undefined): Promise<void> {
    return this.#cacheSets?.replace(name, cluster) ?? Promise.resolve();
  }

  /** Cache sets running now and the controller's subscriptions (tests read them to find leaks). */
  get cacheStats(): { liveSets: number; clusters: number; replacing: number; subscriptions: number } {
    return {
      liveSets: this.#cacheSets?.liveSets ?? 0,
      clusters: this.#caches.size,
      replacing: this.#cacheSets?.replacing ?? 0,
      subscriptions: this.controller.subscriptions,
    };
  }

  /** The identity an object must carry to be this Replicator's (DESIGN.md section 4). */
  #owner(replicator: Replicator): Owner {
    return {
      primaryId: this.#primaryId,
      replicator: replicator.metadata.name,
      replicatorUid: replicator.metadata.uid,
    };
  }

  /** One reconcile of the Replicator `name`. */
  async reconcile(name: string): Promise<ReconcileResult> {
    if (name === NAMESPACE_JANITOR_KEY) return await this.#collectNamespaces();
    const replicator = this.replicators.get(undefined, name);
    if (!replicator) {
      this.#tls.delete(name);
      return;
    }
    if (replicator.metadata.deletionTimestamp) return await this.#finalize(replicator);
    if (!replicator.metadata.finalizers?.includes(FINALIZER)) {
      await this.#o.primary.update({
        ...replicator,
        metadata: {
          ...replicator.metadata,
          finalizers: [...(replicator.metadata.finalizers ?? []), FINALIZER],
        },
      });
      // The update comes back through the watch and triggers the next reconcile.
      return;
    }
    return await this.#sync(replicator);
  }

  async #tlsFor(replicator: Replicator): Promise<{ material: StoredTls; renewAt: Date } | undefined> {
    if (!ingressTlsEnabled(replicator.spec)) return undefined;
    const hosts = ingressHosts(replicator.spec);
    const key = hosts.join(",");
    const now = this.#o.now?.() ?? new Date();
    const cached = this.#tls.get(replicator.metadata.name);
    if (cached && cached.uid === replicator.metadata.uid && cached.hosts === key && cached.renewAt > now) {
      return cached;
    }
    const result = await ensureTls(this.#o.primary, this.#o.namespace, replicator, hosts, now);
    this.#tls.set(replicator.metadata.name, { uid: replicator.metadata.uid, hosts: key, ...result });
    if (result.issued) {
      const what = Object.entries(result.issued).filter(([, v]) => v).map(([k]) => k).join(", ");
      this.#o.logger.info("Issued TLS certificates", { replicator: replicator.metadata.name, issued: what });
      await this.#event(replicator, "Normal", "CertificatesIssued", `Issued certificates: ${what}`);
    }
    return result;
  }

  #event(replicator: Replicator, type: "Normal" | "Warning", reason: string, message: string): Promise<void> {
    return this.#o.events?.record(
      {
        apiVersion: API_VERSION,
        kind: REPLICATOR_KIND,
        name: replicator.metadata.name,
        uid: replicator.metadata.uid,
      },
      type,
      reason,
      message,
    ) ?? Promise.resolve();
  }

  /** The clusters a Replicator targets: the primary first, then `targetCluster` without duplicates. */
  #targets(replicator: Replicator): string[] {
    const primary = this.#o.registry.primary?.name;
    const names = [...(primary ? [primary] : []), ...(replicator.spec.targetCluster ?? [])];
    return [...new Set(names)];
  }

  async #sync(replicator: Replicator): Promise<ReconcileResult> {
    const o = this.#o;
    const name = replicator.metadata.name;
    let tls: { material: StoredTls; renewAt: Date } | undefined;
    try {
      tls = await this.#tlsFor(replicator);
    } catch (error) {
      await this.#writeStatus(replicator, [], `Cannot prepare TLS certificates: ${describeFailure(error)}`);
      throw error;
    }
    const targets = this.#targets(replicator);
    const outcomes = await mapLimit(
      targets,
      o.clusterConcurrency ?? 8,
      (cluster) => this.#syncCluster(replicator, cluster, tls?.material),
    );
    // Clusters no longer targeted that plumber cannot reach through a registration any more: reported
    // with what they still hold (never silently forgotten) until registered again or abandoned.
    for (const cluster of holdingClusters(replicator.status)) {
      if (targets.includes(cluster) || this.#caches.has(cluster) || this.#o.registry.get(cluster)) continue;
      if (isAbandoned(replicator.metadata.annotations, cluster)) continue;
      outcomes.push(this.#unreachableOutcome(replicator, cluster, ""));
    }
    // Clusters no longer targeted: remove what plumber made there.
    const pruneElsewhere = [...this.#caches.keys()].filter((c) =>
      !targets.includes(c) && this.#mayHoldObjects(replicator, c)
    );
    const pruneResults = await mapLimit(pruneElsewhere, o.clusterConcurrency ?? 8, async (cluster) => {
      try {
        await this.#cleanupCluster(replicator, cluster);
        return undefined;
      } catch (error) {
        return `cannot prune cluster ${cluster}: ${describeFailure(error)}`;
      }
    });
    const pruneFailures = pruneResults.filter((r): r is string => typeof r === "string");
    await this.#writeStatus(replicator, outcomes, pruneFailures.join("; ") || undefined, {
      kept: this.#keptMessages(replicator, targets),
    });

    const retry = outcomes.find((c) => c.retry);
    if (retry || pruneFailures.length > 0) {
      throw new Error(`Replicator ${name} is not synced: ${retry?.message ?? pruneFailures[0]}`);
    }
    const waiting = outcomes.some((c) => !c.ok);
    const renewIn = tls ? Math.max(tls.renewAt.getTime() - Date.now(), 1000) : undefined;
    // A cluster that is Unknown or not registered is retried when its ClusterDetector changes;
    // the requeue is a safety net.
    const requeue = Math.min(waiting ? 30_000 : Infinity, renewIn ?? Infinity);
    return Number.isFinite(requeue) ? { requeueAfterMs: requeue } : undefined;
  }

  /**
   * The outcome of a cluster plumber could not work on: what the last status says it applied there is
   * kept (it is still there as far as plumber knows), unless the user abandoned the cluster.
   */
  #unreachableOutcome(replicator: Replicator, cluster: string, message: string): ClusterOutcome {
    const held = isAbandoned(replicator.metadata.annotations, cluster)
      ? []
      : heldIn(replicator.status, cluster);
    const registered = this.#o.registry.get(cluster) !== undefined;
    return {
      cluster,
      applied: held,
      ok: false,
      retry: false,
      message: !registered && held.length > 0 ? unregisteredMessage(cluster, held.length) : message,
      wrote: 0,
      written: [],
      corrected: [],
    };
  }

  async #cachesFor(cluster: string): Promise<ClusterCaches | string> {
    const caches = this.#caches.get(cluster);
    if (!caches) return "no client for this cluster";
    // A cluster whose first list already failed is down: waiting would hold a worker for the whole timeout.
    const failing = caches.all.some((i) => !i.synced && i.stats.errors > 0);
    if (!caches.synced && (failing || !(await caches.waitForSync(this.#o.cacheSyncTimeoutMs ?? 10_000)))) {
      return "cannot list objects in this cluster yet";
    }
    return caches;
  }

  async #syncCluster(
    replicator: Replicator,
    cluster: string,
    tls: StoredTls | undefined,
  ): Promise<ClusterOutcome> {
    const o = this.#o;
    const outcome: ClusterOutcome = {
      cluster,
      applied: [],
      ok: false,
      retry: false,
      wrote: 0,
      written: [],
      corrected: [],
    };
    const entry = o.registry.get(cluster);
    if (!entry) {
      return this.#unreachableOutcome(
        replicator,
        cluster,
        `cluster "${cluster}" is not registered (no ClusterDetector of that name)`,
      );
    }
    if (entry.problem) {
      return this.#unreachableOutcome(
        replicator,
        cluster,
        `cluster "${cluster}" has an invalid kubeconfig context: ${entry.problem}`,
      );
    }
    const detector = this.detectors.get(o.namespace, cluster);
    if (entry.role === "secondary" && detector?.status?.clusterstatus !== "Running") {
      return this.#unreachableOutcome(
        replicator,
        cluster,
        `cluster "${cluster}" is ${detector?.status?.clusterstatus ?? "not probed yet"}${
          detector?.status?.reason ? `: ${detector.status.reason}` : ""
        }`,
      );
    }
    const caches = await this.#cachesFor(cluster);
    if (typeof caches === "string") {
      return {
        ...this.#unreachableOutcome(replicator, cluster, `cluster "${cluster}": ${caches}`),
        retry: true,
      };
    }
    const role = entry.role;
    let desired: KubeObject[];
    try {
      desired = renderReplicator({ replicator, role, tls, primaryId: this.#primaryId });
    } catch (error) {
      outcome.message = `cannot render: ${(error as Error).message}`;
      return outcome;
    }
    const [namespace, ...objects] = desired;
    try {
      await this.#ensureNamespace(replicator, caches, namespace!, outcome);
      // The objects of a namespace do not depend on each other: apply them at once, one round trip instead of six.
      outcome.applied.push(
        ...await settleAll(objects.map((object) => this.#applyObject(replicator, caches, object, outcome))),
      );
      const wanted = new Set(objects.map(objectId));
      const unwanted = caches.ownedBy(this.#owner(replicator)).filter((live) => !wanted.has(objectId(live)));
      await settleAll(unwanted.map(async (live) => {
        if (!await caches.client.delete(refOf(live), { uid: live.metadata?.uid as string | undefined })) {
          return;
        }
        outcome.wrote++;
        o.logger.info("Pruned", { replicator: replicator.metadata.name, cluster, object: objectId(live) });
        await this.#event(
          replicator,
          "Normal",
          "Pruned",
          `Deleted ${objectId(live)} in ${cluster}: no longer in the spec`,
        );
      }));
    } catch (error) {
      await this.#reportWrites(replicator, cluster, outcome);
      outcome.message = `cluster "${cluster}": ${describeFailure(error)}`;
      outcome.retry = true;
      o.logger.warn("Cannot replicate to a cluster", {
        replicator: replicator.metadata.name,
        cluster,
        error: outcome.message,
      });
      await this.#event(replicator, "Warning", "ApplyFailed", outcome.message);
      return outcome;
    }
    await this.#reportWrites(replicator, cluster, outcome);
    const deploymentName = replicator.spec.deploymentName;
    if (deploymentName) {
      const deployment = caches.objects.get("Deployment")?.get(
        replicator.spec.replicationNamespace,
        deploymentName,
      ) as
        | { status?: { readyReplicas?: number } }
        | undefined;
      // Desired replicas from the Replicator (Kubernetes' default is 1), not from the cached object,
      // which may still show a hand edit that is being reverted.
      outcome.replicas = replicator.spec.deploymentSpec?.replicas ?? 1;
      outcome.readyReplicas = deployment?.status?.readyReplicas ?? 0;
    }
    const conflicts = outcome.applied.filter((a) => a.applyStatus !== "applied");
    outcome.ok = conflicts.length === 0;
    if (!outcome.ok) {
      outcome.message = conflicts.map((c) => `${c.kind} ${c.name}: ${c.applyStatus}`).join("; ");
    }
    return outcome;
  }

  async #reportWrites(replicator: Replicator, cluster: string, outcome: ClusterOutcome): Promise<void> {
    if (outcome.written.length > 0) {
      await this.#event(
        replicator,
        "Normal",
        "Applied",
        `Applied ${outcome.written.join(", ")} in ${cluster}`,
      );
    }
    if (outcome.corrected.length > 0) {
      await this.#event(
        replicator,
        "Normal",
        "DriftCorrected",
        `Reverted changes made outside plumber to ${outcome.corrected.join(", ")} in ${cluster}`,
      );
    }
  }

  /** Creates the namespace when missing (marked as plumber's); never relabels a namespace plumber did not create. */
  async #ensureNamespace(
    replicator: Replicator,
    caches: ClusterCaches,
    namespace: KubeObject,
    outcome: ClusterOutcome,
  ): Promise<void> {
    const name = namespace.metadata.name;
    const live = caches.namespaces.get(undefined, name) as
      | { status?: { phase?: string } }
      | undefined;
    if (live) {
      if (live.status?.phase === "Terminating") {
        throw new Error(`namespace ${name} is being deleted; waiting for it to go`);
      }
      return;
    }
    try {
      await caches.client.create({
        apiVersion: "v1",
        kind: "Namespace",
        metadata: {
          name,
          // The primary's identity: another primary's operator sharing this cluster never deletes it.
          labels: { [LABEL_MANAGED_BY]: MANAGED_BY_VALUE, [LABEL_PRIMARY]: this.#primaryId },
          annotations: { [CREATED_BY_ANNOTATION]: replicator.metadata.name },
        },
      });
      outcome.written.push(`Namespace ${name}`);
    } catch (error) {
      // Created meanwhile, or not in the cache yet: it exists, and is left as it is.
      if (!isConflict(error)) throw error;
    }
  }

  async #applyObject(
    replicator: Replicator,
    caches: ClusterCaches,
    object: KubeObject,
    outcome: ClusterOutcome,
  ): Promise<AppliedResource> {
    const hash = await intentHash(object);
    const intent = {
      ...object,
      metadata: {
        ...object.metadata,
        annotations: { ...object.metadata.annotations, [INTENT_HASH_ANNOTATION]: hash },
      },
    };
    const result: AppliedResource = {
      cluster: caches.name,
      kind: object.kind,
      name: object.metadata.name,
      applyStatus: "applied",
    };
    const owner = this.#owner(replicator);
    const cached = caches.objects.get(object.kind)?.get(object.metadata.namespace, object.metadata.name);
    // Not in plumber's cache (which holds only objects labelled as plumber's): an object of the same name
    // may still be there, and must not be taken over.
    const live = cached ?? await caches.client.find<KubeObjectLike>({
      apiVersion: object.apiVersion,
      kind: object.kind,
      namespace: object.metadata.namespace,
      name: object.metadata.name,
    });
    const ownership = live
      ? ownershipOf((live.metadata as KubeObject["metadata"]).labels, owner)
      : { kind: "owned" as const };
    if (ownership.kind === "foreign") {
      result.applyStatus = `conflict: ${ownership.reason}`;
      await this.#event(
        replicator,
        "Warning",
        "Conflict",
        `${object.kind} ${object.metadata.namespace}/${object.metadata.name} in ${caches.name} ${ownership.reason}; left unchanged`,
      );
      return result;
    }
    let difference: string | undefined;
    if (live) {
      const liveHash = (live.metadata as KubeObject["metadata"]).annotations?.[INTENT_HASH_ANNOTATION];
      difference = ownership.kind === "adoptable"
        ? "adopted (written by an earlier release)"
        : liveHash === hash
        ? firstDifference(intent, live)
        : "intent changed";
      if (difference === undefined) return result;
    }
    await caches.client.apply(intent, { fieldManager: FIELD_MANAGER, force: true });
    outcome.wrote++;
    const drift = live &&
      (live.metadata as KubeObject["metadata"]).annotations?.[INTENT_HASH_ANNOTATION] === hash;
    this.#o.logger.info(drift ? "Reverted drift" : "Applied", {
      replicator: replicator.metadata.name,
      cluster: caches.name,
      object: objectId(object),
      difference: difference ?? "new object",
    });
    // One Event per cluster and reconcile, not one per object: a fan-out would otherwise write as many Events as objects.
    (drift ? outcome.corrected : outcome.written).push(
      `${object.kind} ${object.metadata.namespace}/${object.metadata.name}`,
    );
    return result;
  }

  /** Deletes a Replicator's objects in one cluster, then its namespace if plumber created it and it is empty. */
  async #cleanupCluster(replicator: Replicator, cluster: string): Promise<number> {
    const caches = this.#caches.get(cluster);
    if (!caches) return 0;
    if (!caches.synced && !(await caches.waitForSync(this.#o.cacheSyncTimeoutMs ?? 10_000))) {
      throw new Error(`cannot list objects in cluster ${cluster}`);
    }
    const name = replicator.metadata.name;
    const owner = this.#owner(replicator);
    let deleted = 0;
    for (const live of caches.ownedBy(owner)) {
      if (await caches.client.delete(refOf(live), { uid: live.metadata?.uid as string | undefined })) {
        deleted++;
        await this.#event(replicator, "Normal", "Pruned", `Deleted ${objectId(live)} in ${cluster}`);
      }
    }
    // Namespaces plumber created that this Replicator used (or created): deleted once nothing else is in them,
    // whichever Replicator created them (the creator may be gone while another still used the namespace).
    for (const ns of caches.namespaces.list()) {
      const meta = ns.metadata as KubeObject["metadata"];
      const createdBy = this.#createdBy(meta);
      if (createdBy === undefined) continue;
      // A namespace another live Replicator created is that one's to delete (it may be about to fill it);
      // one whose creator is gone passes to the Replicators that used it.
      if (createdBy !== name) {
        if (meta.name !== replicator.spec.replicationNamespace || !(await this.#replicatorGone(createdBy))) {
          continue;
        }
      }
      if ((ns as { status?: { phase?: string } }).status?.phase === "Terminating") continue;
      // Everything else (what goes with plumber's objects, Kubernetes' defaults) is the census' to judge.
      const verdict = await this.#namespaceVerdict(
        caches,
        meta.name,
        (o) => mayChange(o.metadata.labels, owner),
      );
      if (!verdict.empty) {
        const message = `Kept namespace ${meta.name} in ${cluster}: ${verdict.reason}`;
        await this.#event(replicator, verdict.uncounted ? "Warning" : "Normal", "NamespaceKept", message);
        continue;
      }
      await caches.client.delete({ apiVersion: "v1", kind: "Namespace", name: meta.name }, {
        uid: meta.uid as string | undefined,
      });
      deleted++;
      await this.#event(
        replicator,
        "Normal",
        "NamespaceDeleted",
        `Deleted namespace ${meta.name} in ${cluster}`,
      );
    }
    return deleted;
  }

  /**
   * The Replicator that created a namespace, when this primary's plumber created it (its `created-by`
   * annotation and managed-by label, and no other primary's identity); otherwise undefined: not ours to delete.
   */
  #createdBy(meta: KubeObject["metadata"]): string | undefined {
    const createdBy = meta.annotations?.[CREATED_BY_ANNOTATION];
    if (createdBy === undefined || meta.labels?.[LABEL_MANAGED_BY] !== MANAGED_BY_VALUE) return undefined;
    const primary = meta.labels?.[LABEL_PRIMARY];
    if (primary !== undefined && primary !== this.#primaryId) return undefined;
    return createdBy;
  }

  /**
   * Whether a cluster the Replicator does not target may still hold its objects: when the cluster's
   * caches are synced they say so; otherwise only a cluster named in its status may. A cluster whose
   * caches never sync (a wrong CA, say) must not hold up Replicators that never used it.
   */
  #mayHoldObjects(replicator: Replicator, cluster: string): boolean {
    const caches = this.#caches.get(cluster);
    if (!caches) return false;
    const name = replicator.metadata.name;
    if (!caches.synced) {
      return (replicator.status?.clusters ?? []).some((c) => c.name === cluster) ||
        heldIn(replicator.status, cluster).length > 0;
    }
    return caches.ownedBy(this.#owner(replicator)).length > 0 ||
      caches.namespaces.list().some((ns) => {
        const meta = ns.metadata as KubeObject["metadata"];
        return this.#createdBy(meta) === name && !this.#recentlyKept(caches.name, meta.name);
      });
  }

  /**
   * Deletes namespaces plumber created whose creator is gone and that hold nothing at all any more
   * (no object of any Replicator, nothing of anyone else), in every cluster with synced caches.
   */
  async #collectNamespaces(): Promise<ReconcileResult> {
    for (const caches of this.#caches.values()) {
      if (!caches.synced) continue;
      for (const ns of caches.namespaces.list()) {
        const meta = ns.metadata as KubeObject["metadata"];
        const createdBy = this.#createdBy(meta);
        if (!createdBy) continue;
        if ((ns as { status?: { phase?: string } }).status?.phase === "Terminating") continue;
        if (!(await this.#replicatorGone(createdBy))) continue;
        // Every Replicator's objects count as "something else here"; what goes with deleted ones does not.
        const verdict = await this.#namespaceVerdict(caches, meta.name, () => false);
        if (!verdict.empty) continue;
        await caches.client.delete({ apiVersion: "v1", kind: "Namespace", name: meta.name }, {
          uid: meta.uid as string | undefined,
        });
        this.#o.logger.info("Deleted a namespace plumber created once nothing was left in it", {
          cluster: caches.name,
          namespace: meta.name,
        });
      }
    }
  }

  /** True when no Replicator of that name exists (the cache may hold only this operator's shard: ask). */
  async #replicatorGone(name: string): Promise<boolean> {
    if (this.replicators.get(undefined, name)) return false;
    return !(await this.#o.primary.find({ apiVersion: API_VERSION, kind: REPLICATOR_KIND, name }));
  }

  /** A namespace found not empty within the last minute is not counted again (a census lists every type). */
  #recentlyKept(cluster: string, namespace: string): boolean {
    const at = this.#kept.get(`${cluster}/${namespace}`)?.at;
    return at !== undefined && Date.now() - at < KEPT_RECHECK_MS;
  }

  /** Namespaces this Replicator created in clusters it no longer targets, kept because a census could not count them. */
  #keptMessages(replicator: Replicator, targets: string[]): string[] {
    const messages: string[] = [];
    for (const caches of this.#caches.values()) {
      if (targets.includes(caches.name)) continue;
      for (const ns of caches.namespaces.list()) {
        const meta = ns.metadata as KubeObject["metadata"];
        if (this.#createdBy(meta) !== replicator.metadata.name) continue;
        const why = this.#kept.get(`${caches.name}/${meta.name}`)?.uncounted;
        if (why) messages.push(`Kept namespace ${meta.name} in ${caches.name}: ${why}`);
      }
    }
    return messages;
  }

  /**
   * Counts what is in a namespace before plumber deletes it (DESIGN.md section 4): empty only when a
   * census of every namespaced type finds nothing but `isOwn` objects, what goes with them and what
   * Kubernetes puts into every namespace; anything that cannot be counted keeps it (`uncounted`).
   */
  async #namespaceVerdict(
    caches: ClusterCaches,
    namespace: string,
    isOwn: IsOwn,
  ): Promise<{ empty: boolean; reason?: string; uncounted?: boolean }> {
    let result: { empty: boolean; reason?: string; uncounted?: boolean };
    try {
      const census = await namespaceCensus(caches.client, namespace, isOwn);
      result = census.empty
        ? { empty: true }
        : { empty: false, reason: describeCensus(census), uncounted: census.unknown.length > 0 };
    } catch (error) {
      result = {
        empty: false,
        reason: `cannot count what is in it: ${describeFailure(error)}`,
        uncounted: true,
      };
    }
    if (result.empty) this.#kept.delete(`${caches.name}/${namespace}`);
    else {
      this.#kept.set(`${caches.name}/${namespace}`, {
        at: Date.now(),
        ...(result.uncounted ? { uncounted: result.reason } : {}),
      });
    }
    this.#o.logger.info(result.empty ? "Namespace holds nothing else" : "Kept a namespace plumber created", {
      cluster: caches.name,
      namespace,
      ...(result.reason ? { reason: result.reason } : {}),
    });
    return result;
  }

  async #finalize(replicator: Replicator): Promise<ReconcileResult> {
    if (!replicator.metadata.finalizers?.includes(FINALIZER)) return;
    const targets = this.#targets(replicator);
    const annotations = replicator.metadata.annotations;
    const clusters = [...new Set([...targets, ...this.#caches.keys(), ...holdingClusters(replicator.status)])]
      .filter((c) => targets.includes(c) || !this.#caches.has(c) || this.#mayHoldObjects(replicator, c));
    const failures: string[] = [];
    const abandoned: string[] = [];
    await mapLimit(clusters, this.#o.clusterConcurrency ?? 8, async (cluster) => {
      let failure: string | undefined;
      if (!this.#caches.has(cluster)) {
        const entry = this.#o.registry.get(cluster);
        const held = heldIn(replicator.status, cluster).length;
        if (entry) failure = `cluster ${cluster}: no client (${entry.problem ?? "credentials missing"})`;
        else if (held > 0) failure = unregisteredMessage(cluster, held);
        // Otherwise a target that was never registered: it cannot hold anything of ours.
      } else {
        try {
          await this.#cleanupCluster(replicator, cluster);
        } catch (error) {
          failure = `cluster ${cluster}: ${describeFailure(error)}`;
        }
      }
      if (failure === undefined) return;
      if (isAbandoned(annotations, cluster)) abandoned.push(cluster);
      else failures.push(failure);
    });
    if (failures.length > 0) {
      const message = `Cannot clean up before deletion, keeping the finalizer: ${failures.join("; ")}`;
      await this.#writeStatus(replicator, [], message, { keepApplied: true });
      await this.#event(replicator, "Warning", "CleanupFailed", message);
      throw new Error(message);
    }
    if (abandoned.length > 0) {
      await this.#event(
        replicator,
        "Warning",
        "Abandoned",
        `Left this Replicator's objects in ${
          abandoned.join(", ")
        } as the ${ABANDON_ANNOTATION} annotation asks`,
      );
    }
    const fresh = await this.#o.primary.find<Replicator & KubeObjectLike>({
      apiVersion: API_VERSION,
      kind: REPLICATOR_KIND,
      name: replicator.metadata.name,
    });
    if (!fresh || !fresh.metadata.finalizers?.includes(FINALIZER)) return;
    await this.#o.primary.update({
      ...fresh,
      metadata: { ...fresh.metadata, finalizers: fresh.metadata.finalizers.filter((f) => f !== FINALIZER) },
    });
    this.#tls.delete(replicator.metadata.name);
    // Replicators sharing a namespace and deleted together each see the others' objects and keep it;
    // a pass after every release deletes what none of them could.
    this.controller.enqueue(NAMESPACE_JANITOR_KEY);
    this.#o.logger.info("Cleaned up every cluster and released the Replicator", {
      replicator: replicator.metadata.name,
    });
  }

  async #writeStatus(
    replicator: Replicator,
    outcomes: ClusterOutcome[],
    extraFailure?: string,
    options: { keepApplied?: boolean; kept?: string[] } = {},
  ): Promise<void> {
    const now = this.#o.now?.() ?? new Date();
    const failed = outcomes.filter((c) => !c.ok);
    const synced = failed.length === 0 && !extraFailure && outcomes.length > 0;
    const generation = replicator.metadata.generation;
    const degradedMessage = [
      ...failed.map((c) => c.message ?? `cluster ${c.cluster} failed`),
      ...(extraFailure ? [extraFailure] : []),
    ].join("; ");
    let conditions = setCondition(replicator.status?.conditions, {
      type: "Ready",
      status: synced ? "True" : "False",
      reason: synced ? "Synced" : "NotSynced",
      message: synced
        ? `Replicated to ${outcomes.length} cluster${outcomes.length === 1 ? "" : "s"}`
        : `${failed.length} of ${outcomes.length} clusters not synced`,
      observedGeneration: generation,
    }, now);
    conditions = setCondition(conditions, {
      type: "Degraded",
      status: synced ? "False" : "True",
      reason: synced ? "AsExpected" : "ClusterFailed",
      message: synced ? "" : degradedMessage.slice(0, 1000),
      observedGeneration: generation,
    }, now);
    // A namespace kept because something in it could not be counted: informational, it does not make the
    // Replicator unsynced (keeping is the safe outcome), and it stays until a census can count it.
    const kept = options.kept ?? [];
    const hadKept = replicator.status?.conditions?.some((c) => c.type === "NamespaceKept");
    if (kept.length > 0 || hadKept) {
      conditions = setCondition(conditions, {
        type: "NamespaceKept",
        status: kept.length > 0 ? "True" : "False",
        reason: kept.length > 0 ? "CannotCount" : "AsExpected",
        message: kept.join("; ").slice(0, 1000),
        observedGeneration: generation,
      }, now);
    }
    const clusters: ClusterReplicationStatus[] = outcomes.map((c) => {
      const s: ClusterReplicationStatus = { name: c.cluster, ready: c.ok };
      if (c.replicas !== undefined) s.replicas = c.replicas;
      if (c.readyReplicas !== undefined) s.readyReplicas = c.readyReplicas;
      if (c.message) s.message = c.message.slice(0, 500);
      return s;
    });
    const status: ReplicatorStatus = {
      // Kept while cleanup waits: it is the record of what plumber still has to remove, and where.
      applied: options.keepApplied ? replicator.status?.applied ?? [] : outcomes.flatMap((c) => c.applied),
      synced: synced ? "synced" : "not synced",
      observedGeneration: generation,
      conditions,
      clusters,
    };
    if (sameReplicatorStatus(replicator.status, status)) return;
    await this.#o.primary.applyStatus({
      apiVersion: API_VERSION,
      kind: REPLICATOR_KIND,
      metadata: { name: replicator.metadata.name },
      status,
    }, { fieldManager: FIELD_MANAGER, force: true });
    if (replicator.status?.synced !== status.synced) {
      await this.#event(
        replicator,
        synced ? "Normal" : "Warning",
        synced ? "Synced" : "NotSynced",
        synced ? `Replicated to ${outcomes.map((c) => c.cluster).join(", ")}` : degradedMessage,
      );
    }
  }
}
