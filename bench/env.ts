/**
 * The world a benchmark runs in: a private three-cluster control plane
 * (primary, secondary1, secondary2, as `DEFAULT_CLUSTERS`), plumber's CRDs and
 * operator namespace, admin clients, and operator processes started and
 * stopped per scenario. `close()` ends every process this module started.
 *
 * @module
 */

import { ensureControlPlaneBinary } from "../tests/build.ts";
import {
  type ClusterInfo,
  ControlPlane,
  type ControlPlaneState,
  DEFAULT_CLUSTERS,
} from "../tests/control_plane.ts";
import { adminClient } from "../tests/harness.ts";
import { type OperatorProcess, prepareOperatorNamespace, startOperator } from "../tests/operator.ts";
import type { KubeClient } from "../lib/kube/client.ts";
import { clientRequests, clientWrites } from "./prometheus.ts";

/** Operator namespace of every benchmark operator. */
export const OPERATOR_NAMESPACE = "plumber-system";
/** Label on every benchmark Replicator; its value names the set, and each operator serves one set. */
export const SET_LABEL = "plumber-bench";
/** Contexts of the three clusters. */
export const CONTEXTS = DEFAULT_CLUSTERS.map((c) => c.context);

/** ClusterDetector name of a context (`<cluster>.<user>`). */
export function detectorName(context: string): string {
  const spec = DEFAULT_CLUSTERS.find((c) => c.context === context);
  if (!spec) throw new RangeError(`Unknown cluster context "${context}"`);
  return `${spec.cluster}.${spec.user}`;
}

/** Progress lines on stderr, with the time since the start. */
export type Say = (line: string) => void;

/** Resident memory of a process from /proc, in KiB. */
export interface Rss {
  rssKiB: number;
  hwmKiB: number;
}

/** Reads VmRSS and VmHWM (peak) of a process. */
export function readRss(pid: number): Rss | undefined {
  try {
    const status = Deno.readTextFileSync(`/proc/${pid}/status`);
    const rss = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1]);
    const hwm = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1]);
    return Number.isFinite(rss) && Number.isFinite(hwm) ? { rssKiB: rss, hwmKiB: hwm } : undefined;
  } catch {
    return undefined;
  }
}

/** A running operator that serves one set of Replicators. */
export class BenchOperator {
  readonly process: OperatorProcess;
  readonly set: string;
  readonly metricsPort: number;

  constructor(process: OperatorProcess, set: string, metricsPort: number) {
    this.process = process;
    this.set = set;
    this.metricsPort = metricsPort;
  }

  /** The deno process running main.ts: the operator itself, no wrapper. */
  get pid(): number {
    return this.process.pid;
  }

  async metrics(): Promise<string> {
    const response = await fetch(`http://127.0.0.1:${this.metricsPort}/metrics`);
    if (!response.ok) throw new Error(`Cannot read the operator's metrics: HTTP ${response.status}`);
    return await response.text();
  }

  /** Write requests so far (POST/PUT/PATCH/DELETE in `rest_client_requests_total`). */
  async writes(): Promise<number> {
    return clientWrites(await this.metrics());
  }

  /** `rest_client_requests_total` keyed `host method`. */
  async requests(): Promise<Map<string, number>> {
    return clientRequests(await this.metrics());
  }

  rss(): Rss | undefined {
    return readRss(this.pid);
  }

  /**
   * Waits until the operator's GET count has not moved for `quietMs`: its informers
   * have listed every cluster and opened their watches, so a measurement that starts
   * now does not include the operator's start (at most `maxMs`).
   */
  async waitWarm(quietMs = 1500, maxMs = 60_000): Promise<void> {
    const gets = async () => {
      let n = 0;
      for (const [key, value] of await this.requests()) if (key.endsWith(" GET")) n += value;
      return n;
    };
    const deadline = performance.now() + maxMs;
    let last = await gets();
    let since = performance.now();
    while (performance.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      const now = await gets();
      if (now !== last) {
        last = now;
        since = performance.now();
      } else if (performance.now() - since >= quietMs) return;
    }
  }
}

/** Options of {@linkcode BenchEnv.startOperator}. */
export interface BenchOperatorOptions {
  /** `info` unless the request log is needed. */
  logLevel?: "debug" | "info";
  /** Cluster probe interval (default 10s, the operator's own default). */
  probeInterval?: string;
  /** Extra operator flags. */
  extraArgs?: string[];
}

/** The control plane, clients and operators of one benchmark run. */
export class BenchEnv {
  readonly cp: ControlPlane;
  readonly state: ControlPlaneState;
  readonly clients: ReadonlyMap<string, KubeClient>;
  readonly #dir: string;
  readonly #say: Say;
  readonly #operators = new Set<BenchOperator>();
  readonly #operatorArgs: string[];
  #closed = false;

  private constructor(cp: ControlPlane, dir: string, say: Say, operatorArgs: string[]) {
    this.cp = cp;
    this.#dir = dir;
    this.#say = say;
    this.#operatorArgs = operatorArgs;
    this.state = { dir: cp.dir, kubeconfigPath: cp.kubeconfigPath, clusters: cp.clusters };
    this.clients = new Map(CONTEXTS.map((context) => [context, adminClient(this.state, context)]));
  }

  /**
   * Starts the control plane in `dir` (which the caller creates and, on an
   * interrupted start, removes), installs the CRDs and the operator namespace
   * with a kubeconfig Secret registering both secondaries. `operatorArgs` go to every operator.
   */
  static async start(dir: string, say: Say, operatorArgs: string[] = []): Promise<BenchEnv> {
    const binary = await ensureControlPlaneBinary({ log: say });
    // No kube-controller-manager: nothing else writes to the API servers (the idle
    // cross-check needs that), and no Pods pile up behind 200 Deployments.
    // A /16 of Service IPs: the default /24 holds 254 ClusterIPs, fewer than the Services of a full run.
    const clusters = DEFAULT_CLUSTERS.map((c) => ({
      ...c,
      apiserverArgs: ["--service-cluster-ip-range=10.0.0.0/16"],
    }));
    // No controller manager, so no scheduler or KWOK either: plumber's cost alone is measured
    // (Deployments it applies are never rolled out to Pods). See docs/benchmarks.md.
    const cp = await ControlPlane.start({
      binary,
      dir,
      clusters,
      controllerManager: false,
      nodes: false,
      log: say,
    });
    const env = new BenchEnv(cp, dir, say, operatorArgs);
    try {
      await prepareOperatorNamespace(env.state, OPERATOR_NAMESPACE);
    } catch (error) {
      await env.close();
      throw error;
    }
    return env;
  }

  get primary(): KubeClient {
    return this.client("primary");
  }

  client(context: string): KubeClient {
    const client = this.clients.get(context);
    if (!client) throw new RangeError(`Unknown cluster context "${context}"`);
    return client;
  }

  cluster(context: string): ClusterInfo {
    return this.cp.cluster(context);
  }

  /** `127.0.0.1:<port>` of each context, as the operator's metrics and request log name hosts. */
  get hosts(): Map<string, string> {
    return new Map(CONTEXTS.map((c) => [new URL(this.cluster(c).server).host, c]));
  }

  /** Starts an operator serving the Replicators labelled `plumber-bench=<set>`. */
  async startOperator(set: string, options: BenchOperatorOptions = {}): Promise<BenchOperator> {
    const process = await startOperator(this.state, {
      namespace: OPERATOR_NAMESPACE,
      replicatorSelector: `${SET_LABEL}=${set}`,
      probeInterval: options.probeInterval ?? "10s",
      // startOperator passes --log-level debug first; the later flag wins.
      extraArgs: [
        "--log-level",
        options.logLevel ?? "info",
        ...this.#operatorArgs,
        ...(options.extraArgs ?? []),
      ],
    });
    let operator: BenchOperator;
    try {
      operator = new BenchOperator(process, set, await process.port("metrics"));
    } catch (error) {
      await process.stop("SIGKILL");
      throw error;
    }
    this.#operators.add(operator);
    return operator;
  }

  /** SIGTERM, and SIGKILL if it has not exited after 15 s. */
  async stopOperator(operator: BenchOperator): Promise<void> {
    this.#operators.delete(operator);
    const timer = setTimeout(() => void operator.process.stop("SIGKILL"), 15_000);
    try {
      await operator.process.stop("SIGTERM");
    } finally {
      clearTimeout(timer);
    }
  }

  /** Stops every operator, closes clients, stops the control plane and removes its folder. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.all([...this.#operators].map((o) => this.stopOperator(o).catch(() => {})));
    for (const client of this.clients.values()) client.close();
    this.#say("stopping the control plane");
    await this.cp.stop();
    await Deno.remove(this.#dir, { recursive: true }).catch(() => {});
  }
}
