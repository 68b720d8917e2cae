/**
 * The ClusterDetector controller: one ClusterDetector per known cluster (the
 * primary, and every context of the kubeconfig Secret), each probed for
 * health on an interval.
 *
 * Keys: `secret` (the kubeconfig Secret changed: refresh the registry) and
 * `cluster/<name>` (one ClusterDetector: its object, its probe, its status).
 * Status is written only when something a user sees changes, so
 * `lastProbeTime` is the time of the probe that changed it, not of the last probe.
 *
 * @module
 */

import {
  API_VERSION,
  CLUSTER_DETECTOR_KIND,
  type ClusterDetector,
  type ClusterDetectorStatus,
  FIELD_MANAGER,
  kubeTime,
  LABEL_MANAGED_BY,
  LABEL_ROLE,
  MANAGED_BY_VALUE,
} from "../lib/api.ts";
import { isNotFound, type KubeClient } from "../lib/kube/client.ts";
import { Controller, type ReconcileResult } from "../lib/kube/controller.ts";
import type { EventRecorder } from "../lib/kube/events.ts";
import { CoreV1Api, type Secret } from "../lib/kube/generated/core_v1.ts";
import {
  type ClusterDetector as ClusterDetectorObject,
  PlumberV1Api,
} from "../lib/kube/generated/plumber_v1.ts";
import type { Informer } from "../lib/kube/informer.ts";
import { InformerFactory } from "../lib/kube/informer_factory.ts";
import type { Metrics } from "../lib/kube/metrics.ts";
import { probeCluster } from "../lib/kube/probe.ts";
import { restClientOf } from "../lib/kube/rest_adapter.ts";
import type { Logger } from "../lib/log.ts";
import { type Kubeconfig, readContextLabels } from "../lib/kubeconfig/mod.ts";
import { sameLabels, SYNCED_LABELS_ANNOTATION, userLabels } from "../lib/cluster_labels.ts";
import { type DesiredLabels, keptLabels, type LabelSyncDeps, syncLabels } from "./cluster_detector_labels.ts";

/** Field manager of the user labels plumber copies from the kubeconfig Secret onto a ClusterDetector. */
const LABELS_FIELD_MANAGER = "plumber-labels";
import type { ClusterRegistry, RegisteredCluster } from "./clusters.ts";
import {
  detectorStatus,
  explainProbeFailure,
  initialProbeState,
  type ProbeState,
  recordProbe,
  sameStatus,
} from "./cluster_detector_status.ts";
import { KUBECONFIG_SECRET_NAME, readKubeconfigSecret, type SecretProblem } from "./kubeconfig_secret.ts";

export { KUBECONFIG_SECRET_KEY, KUBECONFIG_SECRET_NAME } from "./kubeconfig_secret.ts";
export { nextClusterStatus, sameStatus } from "./cluster_detector_status.ts";

const SECRET_KEY = "secret";
const CLUSTER_PREFIX = "cluster/";

/** Options of {@linkcode ClusterDetectorController}. */
export interface ClusterDetectorOptions {
  /** Client of the operator's own (primary) cluster. */
  primary: KubeClient;
  /** The primary's kubeconfig names (or in-cluster defaults). */
  primaryIdentity: { context: string; cluster: string; user: string };
  registry: ClusterRegistry;
  /** Operator namespace (ClusterDetectors and the Secret live there). */
  namespace: string;
  secretName?: string;
  /** Where the ClusterDetector and Secret informers come from (shared with other controllers); default: its own. */
  informers?: InformerFactory;
  logger: Logger;
  events?: EventRecorder;
  metrics?: Metrics;
  /** Probe interval (default 10 s), probe timeout (3 s), failures before Running turns Unknown (3). */
  probeIntervalMs?: number;
  probeTimeoutMs?: number;
  failureThreshold?: number;
  /** Parallel reconciles (default 4: one slow cluster must not hold up the others). */
  concurrency?: number;
  now?: () => Date;
  /** Called on each write of the kubeconfig Secret (label mirroring) and of a ClusterDetector's metadata. */
  onWrite?: (what: "secret" | "detector") => void;
}

/** The ClusterDetector informer of `namespace` in `primary`, as every controller shares it. */
export function clusterDetectorInformer(
  informers: InformerFactory,
  primary: KubeClient,
  namespace: string,
): Informer<ClusterDetector> {
  return informers.informer<ClusterDetector>({
    client: primary,
    apiVersion: API_VERSION,
    kind: CLUSTER_DETECTOR_KIND,
    namespace,
  });
}

/** Runs the ClusterDetector controller: informers, watches and reconcile. */
export class ClusterDetectorController {
  readonly controller: Controller;
  readonly detectors: Informer<ClusterDetector>;
  readonly secrets: Informer<Secret>;
  #o: ClusterDetectorOptions;
  #api: PlumberV1Api;
  #probes = new Map<string, ProbeState>();
  #interval: number;
  #unsubscribe?: () => void;
  /** Why the kubeconfig Secret cannot be read now; undefined while it can. */
  #secretProblem?: SecretProblem;
  /** The kubeconfig last read from the Secret (labels of each context). */
  #config?: Kubeconfig;
  #labelSync: LabelSyncDeps;

  constructor(options: ClusterDetectorOptions) {
    this.#o = options;
    this.#api = new PlumberV1Api(restClientOf(options.primary));
    this.#interval = options.probeIntervalMs ?? 10_000;
    this.#labelSync = {
      secrets: new CoreV1Api(restClientOf(options.primary)).namespace(options.namespace),
      secretName: options.secretName ?? KUBECONFIG_SECRET_NAME,
      namespace: options.namespace,
      logger: options.logger,
      onSecretWrite: () => options.onWrite?.("secret"),
      written: new Map(),
    };
    const informers = options.informers ?? new InformerFactory({ logger: options.logger });
    this.detectors = clusterDetectorInformer(informers, options.primary, options.namespace);
    this.secrets = informers.informer<Secret>({
      client: options.primary,
      apiVersion: "v1",
      kind: "Secret",
      namespace: options.namespace,
      fieldSelector: `metadata.name=${options.secretName ?? KUBECONFIG_SECRET_NAME}`,
    });
    this.controller = new Controller({
      name: "clusterdetector",
      reconcile: (key) => this.reconcile(key),
      concurrency: options.concurrency ?? 4,
      logger: options.logger,
      metrics: options.metrics?.controller("clusterdetector"),
    });
    this.controller.watch(this.secrets, () => [SECRET_KEY]);
    this.controller.watch(this.detectors, (cd) => [CLUSTER_PREFIX + cd.metadata.name]);
  }

  /** Registers the primary, starts informers and workers; resolves once caches are synced. */
  async start(): Promise<void> {
    const o = this.#o;
    const primary = o.registry.setPrimary(o.primaryIdentity, o.primary);
    this.#unsubscribe = o.registry.onChange((name) => this.controller.enqueue(CLUSTER_PREFIX + name));
    this.detectors.start();
    this.secrets.start();
    await Promise.all([this.detectors.waitForSync(), this.secrets.waitForSync()]);
    // The registry must know the Secret's clusters before any ClusterDetector is reconciled:
    // otherwise existing ones look unregistered and would be deleted on every restart.
    await this.#reconcileSecret();
    this.controller.enqueue(CLUSTER_PREFIX + primary.name);
    this.controller.start();
  }

  /** True once both caches are synced. */
  get synced(): boolean {
    return this.detectors.synced && this.secrets.synced;
  }

  /** Stops workers and releases the informers (a shared one keeps watching for its other users). */
  async stop(): Promise<void> {
    this.#unsubscribe?.();
    await this.controller.stop();
    await Promise.all([this.detectors.stop(), this.secrets.stop()]);
  }

  /** One reconcile: `secret` or `cluster/<name>`. */
  reconcile(key: string): Promise<ReconcileResult> {
    if (key === SECRET_KEY) return this.#reconcileSecret();
    if (key.startsWith(CLUSTER_PREFIX)) return this.#reconcileCluster(key.slice(CLUSTER_PREFIX.length));
    return Promise.resolve();
  }

  async #reconcileSecret(): Promise<ReconcileResult> {
    const o = this.#o;
    const where = { namespace: o.namespace, name: o.secretName ?? KUBECONFIG_SECRET_NAME };
    const secret = this.secrets.get(where.namespace, where.name);
    const subject = { apiVersion: "v1", kind: "Secret", ...where, uid: secret?.metadata?.uid };
    const reading = readKubeconfigSecret(secret, where);
    if (reading.problem) {
      // No change, not "no clusters": everything registered stays, with the credentials read before.
      this.#secretProblem = reading.problem;
      const kept = o.registry.keepUnavailable(
        this.detectors.list().flatMap((cd) => {
          const secondary = cd.metadata.labels?.[LABEL_ROLE] === "secondary" &&
            cd.metadata.labels?.[LABEL_MANAGED_BY] === MANAGED_BY_VALUE && cd.spec?.context;
          return secondary ? [{ name: cd.metadata.name, ...cd.spec }] : [];
        }),
        `no credentials: ${reading.problem.message}`,
      );
      const secondaries = o.registry.list().filter((c) => c.role === "secondary").length;
      const message = `${reading.problem.message}; keeping the ${secondaries} clusters registered before, ` +
        `with their last known credentials${
          kept.length > 0
            ? ` (${kept.length} known only from their ClusterDetectors, without credentials)`
            : ""
        }`;
      o.logger.error("Cannot read the kubeconfig Secret", { secret: where.name, error: message });
      await o.events?.record(subject, "Warning", reading.problem.reason, message);
    } else {
      this.#secretProblem = undefined;
      this.#config = reading.config;
      for (const { name: context } of reading.config.contexts) {
        for (const problem of readContextLabels(reading.config, context).problems) {
          const message = `Context "${context}" of Secret ${where.namespace}/${where.name}: ${problem}; ` +
            "the ClusterDetector gets its other labels";
          o.logger.warn("Ignoring an invalid label of a context", { context, error: message });
          await o.events?.record(subject, "Warning", "InvalidLabel", message);
        }
      }
      const change = await o.registry.setSecondaries(reading.config);
      for (const rejected of change.rejected) {
        o.logger.warn("Cannot register a context", { context: rejected.context, error: rejected.message });
        await o.events?.record(subject, "Warning", "InvalidContext", rejected.message);
      }
      if (change.added.length + change.removed.length + change.changed.length > 0) {
        o.logger.info("Kubeconfig Secret applied", {
          added: change.added,
          removed: change.removed,
          changed: change.changed,
        });
      }
    }
    for (const cd of this.detectors.list()) this.controller.enqueue(CLUSTER_PREFIX + cd.metadata.name);
    for (const c of o.registry.list()) this.controller.enqueue(CLUSTER_PREFIX + c.name);
  }

  async #reconcileCluster(name: string): Promise<ReconcileResult> {
    const o = this.#o;
    const entry = o.registry.get(name);
    const existing = this.detectors.get(o.namespace, name);
    const detectors = this.#api.namespace(o.namespace);
    if (!entry) {
      this.#probes.delete(name);
      // Only a readable Secret that no longer names the cluster unregisters it.
      if (this.#secretProblem) return;
      if (existing && existing.metadata.labels?.[LABEL_MANAGED_BY] === MANAGED_BY_VALUE) {
        try {
          await detectors.deleteClusterDetector(name, { preconditions: { uid: existing.metadata.uid } });
        } catch (error) {
          if (!isNotFound(error)) throw error;
        }
        o.logger.info("Removed ClusterDetector of a context gone from the Secret", { cluster: name });
      }
      return;
    }
    const current = await this.#ensureObject(entry, existing);
    const status = await this.#status(entry, current);
    if (!sameStatus(current.status, status)) {
      await detectors.applyClusterDetectorStatus({
        apiVersion: API_VERSION,
        kind: CLUSTER_DETECTOR_KIND,
        metadata: { name, namespace: o.namespace },
        status,
      }, { fieldManager: FIELD_MANAGER, force: true });
      if (current.status?.clusterstatus !== status.clusterstatus) {
        o.logger.info("Cluster status changed", {
          cluster: name,
          status: status.clusterstatus,
          reason: status.reason,
        });
        await o.events?.record(
          {
            apiVersion: API_VERSION,
            kind: CLUSTER_DETECTOR_KIND,
            name,
            namespace: o.namespace,
            uid: current.metadata?.uid,
          },
          status.clusterstatus === "Running" ? "Normal" : "Warning",
          status.clusterstatus === "Running" ? "ClusterRunning" : "ClusterUnknown",
          status.clusterstatus === "Running"
            ? `Cluster is reachable (${status.kubernetesVersion})`
            : `Cluster is not usable: ${status.reason}`,
        );
      }
    }
    const state = this.#probes.get(name);
    const wait = state ? Math.max(state.lastProbeAt + this.#interval - Date.now(), 50) : this.#interval;
    return { requeueAfterMs: wait };
  }

  /**
   * Creates or corrects the ClusterDetector object: spec, plumber's labels, and a secondary's user
   * labels in step with the kubeconfig Secret (see `cluster_detector_labels.ts`). Writes only on a
   * difference; user labels with plumber's reserved keys are never touched.
   */
  async #ensureObject(
    entry: RegisteredCluster,
    existing: ClusterDetector | undefined,
  ): Promise<ClusterDetectorObject> {
    const o = this.#o;
    const detectors = this.#api.namespace(o.namespace);
    const spec = { context: entry.context, cluster: entry.cluster, user: entry.user };
    const desired: DesiredLabels = entry.role === "secondary" && !this.#secretProblem && this.#config
      ? await syncLabels(this.#labelSync, entry.context, this.#config, existing)
      : keptLabels(existing);
    // plumber's own labels and the spec are applied. The user labels and the synced-labels annotation are
    // never in the apply (a stale apply would put back a label the user just removed); they change together
    // in one merge patch of their own field manager, so no reader ever sees one without the other.
    const labels = { [LABEL_ROLE]: entry.role, [LABEL_MANAGED_BY]: MANAGED_BY_VALUE };
    const ownUpToDate = existing &&
      existing.spec?.context === spec.context &&
      existing.spec?.cluster === spec.cluster &&
      existing.spec?.user === spec.user &&
      existing.metadata.labels?.[LABEL_ROLE] === entry.role &&
      existing.metadata.labels?.[LABEL_MANAGED_BY] === MANAGED_BY_VALUE;
    let current: ClusterDetectorObject | undefined = existing;
    if (!ownUpToDate) {
      current = await detectors.applyClusterDetector({
        apiVersion: API_VERSION,
        kind: CLUSTER_DETECTOR_KIND,
        metadata: { name: entry.name, namespace: o.namespace, labels },
        spec,
      }, { fieldManager: FIELD_MANAGER, force: true });
      o.onWrite?.("detector");
    }
    const now = userLabels(current!.metadata?.labels);
    const setLabels = desired.set === true && !sameLabels(now, desired.labels);
    const setSynced = desired.synced !== undefined &&
      current!.metadata?.annotations?.[SYNCED_LABELS_ANNOTATION] !== desired.synced;
    if (setLabels || setSynced) {
      const patch: Record<string, unknown> = {
        resourceVersion: current!.metadata?.resourceVersion,
        annotations: { [SYNCED_LABELS_ANNOTATION]: desired.synced },
      };
      if (setLabels) {
        const userPatch: Record<string, string | null> = { ...desired.labels };
        for (const key of Object.keys(now)) if (!(key in desired.labels)) userPatch[key] = null;
        patch.labels = userPatch;
      }
      // The resourceVersion read: a user's edit meanwhile makes this a 409, and the next reconcile decides again.
      current = await detectors.patchClusterDetector(entry.name, { metadata: patch }, {
        fieldManager: LABELS_FIELD_MANAGER,
      });
      o.onWrite?.("detector");
    }
    return current!;
  }

  /** Probes the cluster when its interval is up and computes the status to store. */
  async #status(entry: RegisteredCluster, current: ClusterDetectorObject): Promise<ClusterDetectorStatus> {
    const o = this.#o;
    const now = o.now?.() ?? new Date();
    let state = this.#probes.get(entry.name);
    if (!state) {
      state = initialProbeState(current.status, now);
      this.#probes.set(entry.name, state);
    }
    if (entry.problem || !entry.client) {
      state.clusterstatus = "Unknown";
      state.reason = this.#secretProblem
        ? `No credentials for this cluster: ${this.#secretProblem.message}`
        : `Invalid kubeconfig context "${entry.context}": ${entry.problem ?? "no client"}`;
      state.lastProbeAt = Date.now();
      state.lastProbeTime = kubeTime(now);
    } else if (Date.now() - state.lastProbeAt >= this.#interval - 50) {
      const probed = await probeCluster(entry.client, o.probeTimeoutMs ?? 3000);
      const result = explainProbeFailure(probed, entry.client.server, entry.context);
      recordProbe(state, result, { now, nowMs: Date.now() }, o.failureThreshold ?? 3, current.status?.reason);
    }
    return detectorStatus({
      state,
      role: entry.role,
      context: entry.context,
      problem: entry.problem,
      hasClient: entry.client !== undefined,
      secretProblem: this.#secretProblem,
      secret: { namespace: o.namespace, name: o.secretName ?? KUBECONFIG_SECRET_NAME },
      storedConditions: current.status?.conditions,
      generation: current.metadata?.generation,
      now,
    });
  }
}
