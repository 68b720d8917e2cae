/**
 * The manager, after controller-runtime's: it owns the controllers (as
 * {@linkcode Runnable}s), the shared informers, leader election, the probe and
 * metrics HTTP servers and SIGTERM/SIGINT, and turns them into one exit code.
 *
 * One writer: with leader election, every client the controllers use is made
 * with {@linkcode Manager.fence}, which aborts the moment the lease is lost;
 * the process then ends with exit code 1 without waiting for reconciles (the
 * fence stops their requests). The lease itself is renewed by a client of its
 * own, outside the fence.
 *
 * @example
 * ```ts
 * const manager = new Manager({ logger, metrics, leaderElection, healthProbeAddress: { hostname: "0.0.0.0", port: 8081 } });
 * const primary = new KubeClient(connection, { signal: manager.fence });
 * manager.add(new ClusterDetectorController({ primary, informers: manager.informers, ... }));
 * const code = await manager.run(); // until SIGTERM, or 1 when the lease is lost
 * ```
 *
 * @module
 */

import { UsageError } from "../errors.ts";
import type { Logger } from "../log.ts";
import { type HealthServer, startHealthServer } from "./http_server.ts";
import { InformerFactory } from "./informer_factory.ts";
import type { KubeClient, RequestRecord } from "./client.ts";
import { LeaderElectionLostError, type LeaderElectionTimes, LeaderElector } from "./leader.ts";
import type { Metrics } from "./metrics.ts";

/** What the manager starts once it leads: a controller. */
export interface Runnable {
  /** Starts informers and workers; resolves once its caches are synced. */
  start(): Promise<void>;
  /** Stops workers and releases informers. */
  stop(): Promise<void>;
  /** True once its caches are synced (the leader's readiness). */
  readonly synced: boolean;
}

/** What every client of the manager is made with: its request observer and, with leader election, the fence. */
export interface ManagedClientOptions {
  observer: (record: RequestRecord) => void;
  signal?: AbortSignal;
}

/** Leader election settings of {@linkcode Manager}. */
export interface ManagerLeaderElection extends LeaderElectionTimes {
  /**
   * Makes the lease's own client (closed when `run()` ends), given the request observer and no fence,
   * so that the lease is renewed, and its loss observed, whatever the fence does.
   */
  connect: (options: ManagedClientOptions) => KubeClient;
  namespace: string;
  /** Lease name. */
  name: string;
  /** This candidate's identity (default: hostname and a random suffix). */
  identity?: string;
}

/** Options of {@linkcode Manager}. */
export interface ManagerOptions {
  logger: Logger;
  metrics: Metrics;
  /** Run the controllers only while holding this lease; absent: run them at once. */
  leaderElection?: ManagerLeaderElection;
  /** Where to serve /healthz, /livez and /readyz; absent: not served. */
  healthProbeAddress?: { hostname: string; port: number };
  /** Where to serve /metrics; absent: not served. */
  metricsAddress?: { hostname: string; port: number };
  /** Stop on SIGTERM and SIGINT (default true). */
  handleSignals?: boolean;
}

/** Options of {@linkcode Manager.run}. */
export interface RunOptions {
  /** More fields of the "Controllers started" log line. */
  startedFields?: () => Record<string, unknown>;
}

/** Counts every request in the metrics and logs it at debug level. */
export function requestObserver(metrics: Metrics, log: Logger): (record: RequestRecord) => void {
  return (r) => {
    metrics.recordRequest({ method: r.method, code: r.code, host: r.host });
    // The request log: every request with its target (paths name objects, never their content) and
    // when it was sent; the line itself is written when the answer (or failure) came.
    log.debug(r.method === "GET" ? "Read request" : "Write request", {
      method: r.method,
      path: r.path,
      code: r.code,
      host: r.host,
      startedAt: new Date(r.startedAt).toISOString(),
      durationMs: Math.round(r.durationMs),
    });
  };
}

/** `:8080` / `127.0.0.1:0` / `0` (off) -> listen options; throws a UsageError naming the flag. */
export function parseBindAddress(
  flag: string,
  value: string,
): { hostname: string; port: number } | undefined {
  if (value === "0") return undefined;
  const match = /^(.*):(\d+)$/.exec(value);
  if (!match) throw new UsageError(`--${flag}: "${value}" is not host:port, :port or 0`);
  const port = Number(match[2]);
  if (port > 65535) throw new UsageError(`--${flag}: port ${port} is out of range`);
  return { hostname: match[1] || "0.0.0.0", port };
}

/** How long a fenced (lease lost) manager waits for its HTTP servers to close. */
const FENCED_CLOSE_MS = 1000;

/** Resolves when the signal aborts (at once if it already has). */
function aborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener("abort", () => resolve(), { once: true }));
}

/** Runs controllers under leader election, with probes, metrics and signal handling. */
export class Manager {
  /** The informers every controller shares (closed when the manager stops). */
  readonly informers: InformerFactory;
  #o: ManagerOptions;
  #fence = new AbortController();
  #runnables: Runnable[] = [];
  #leading: boolean;
  #stopping = false;
  #finished!: (code: number) => void;
  #done = new Promise<number>((resolve) => this.#finished = resolve);
  #running = new AbortController();
  #elector?: LeaderElector;
  #servers: HealthServer[] = [];
  #observer: (record: RequestRecord) => void;
  #startedFields?: () => Record<string, unknown>;

  constructor(options: ManagerOptions) {
    this.#o = options;
    this.#observer = requestObserver(options.metrics, options.logger);
    this.#leading = options.leaderElection === undefined;
    this.informers = new InformerFactory({ logger: options.logger });
  }

  /**
   * The signal every controller client must be made with (`KubeClientOptions.signal`): aborted when the
   * lease is lost. Undefined without leader election (nothing to fence).
   */
  get fence(): AbortSignal | undefined {
    return this.#o.leaderElection ? this.#fence.signal : undefined;
  }

  /** What every controller client must be made with (`new KubeClient(connection, { ...manager.clientOptions })`). */
  get clientOptions(): ManagedClientOptions {
    return { observer: this.#observer, signal: this.fence };
  }

  /** True while the controllers may run: always without leader election, else while leading. */
  get leading(): boolean {
    return this.#leading;
  }

  /** The bound address of the probe and metrics servers, in the order probes, metrics (when served). */
  get addresses(): Array<{ hostname: string; port: number }> {
    return this.#servers.map((server) => ({ hostname: server.hostname, port: server.port }));
  }

  /** Adds a controller; controllers start in the order added, once leading, and stop together. */
  add(runnable: Runnable): void {
    this.#runnables.push(runnable);
  }

  /** Whether every controller's caches are synced (a standby counts as ready: it serves probes). */
  ready(): boolean {
    return !this.#leading || this.#runnables.every((runnable) => runnable.synced);
  }

  /** Stops the manager as SIGTERM does: controllers stop, a held lease is released, `run()` returns 0. */
  async stop(reason = "stop"): Promise<void> {
    if (this.#stopping) return;
    this.#stopping = true;
    this.#o.logger.info("Shutting down", { signal: reason });
    if (this.#elector) {
      this.#elector.stop();
      return;
    }
    this.#running.abort();
    await this.#stopRunnables();
    this.#finished(0);
  }

  /**
   * Serves probes and metrics, campaigns for the lease (or starts at once), and runs until stopped or
   * the lease is lost. Returns the exit code: 0 after a stop, 1 after a lost lease or a failed start.
   */
  async run(options: RunOptions = {}): Promise<number> {
    const o = this.#o;
    this.#startedFields = options.startedFields;
    const log = o.logger;
    const onTerm = () => void this.stop("SIGTERM");
    const onInt = () => void this.stop("SIGINT");
    if (o.handleSignals !== false) {
      Deno.addSignalListener("SIGTERM", onTerm);
      Deno.addSignalListener("SIGINT", onInt);
    }
    this.#serve();
    const lease = o.leaderElection;
    const leaseClient = lease?.connect({ observer: this.#observer });
    if (lease && leaseClient) this.#campaign(lease, leaseClient);
    else {
      this.#startRunnables(this.#running.signal).catch((error) => {
        log.error("Cannot start the controllers", { error: (error as Error).message });
        this.#finished(1);
      });
    }
    const code = await this.#done;
    if (o.handleSignals !== false) {
      Deno.removeSignalListener("SIGTERM", onTerm);
      Deno.removeSignalListener("SIGINT", onInt);
    }
    const closing = Promise.all(this.#servers.map((server) => server.close()));
    if (this.#fence.signal.aborted) {
      // Leadership lost: a bounded, best-effort close; the process exits whatever is still running.
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([closing, new Promise((resolve) => timer = setTimeout(resolve, FENCED_CLOSE_MS))]);
      clearTimeout(timer);
    } else {
      await closing;
      await this.informers.close();
    }
    leaseClient?.close();
    return code;
  }

  #serve(): void {
    const o = this.#o;
    if (o.healthProbeAddress) {
      const server = startHealthServer({
        ...o.healthProbeAddress,
        serveMetrics: false,
        logger: o.logger,
        // A standby replica is ready (it serves probes); the leader once its caches are in.
        readyChecks: { informers: () => this.ready() },
      });
      this.#servers.push(server);
      o.logger.info("Serving health probes", { address: `${server.hostname}:${server.port}` });
    }
    if (o.metricsAddress) {
      const server = startHealthServer({
        ...o.metricsAddress,
        metrics: o.metrics,
        serveProbes: false,
        logger: o.logger,
      });
      this.#servers.push(server);
      o.logger.info("Serving metrics", { address: `${server.hostname}:${server.port}` });
    }
  }

  #campaign(lease: ManagerLeaderElection, client: KubeClient): void {
    const o = this.#o;
    const log = o.logger;
    const elector = new LeaderElector({
      client,
      leaseDurationMs: lease.leaseDurationMs,
      renewDeadlineMs: lease.renewDeadlineMs,
      retryPeriodMs: lease.retryPeriodMs,
      namespace: lease.namespace,
      name: lease.name,
      identity: lease.identity,
      logger: log,
      onChange: (isLeader) => {
        this.#leading = isLeader;
        o.metrics.setLeader(lease.name, isLeader);
      },
    });
    this.#elector = elector;
    // A stop() that came before run() still ends the campaign.
    if (this.#stopping) elector.stop();
    o.metrics.setLeader(lease.name, false);
    log.info("Waiting to become the leader", { lease: `${lease.namespace}/${lease.name}` });
    elector.run(async (signal) => {
      // As controller-runtime: a lost lease ends the process; reconciles are not waited for, the fence
      // stops their requests. This listener runs inside the elector's abort, before it logs the loss.
      const onLost = () => {
        if (!(signal.reason instanceof LeaderElectionLostError)) return;
        this.#fence.abort(new Error("leadership lost: no further requests"));
        log.error("Leadership lost: every request stopped, exiting", { reason: signal.reason.message });
        this.#finished(1);
      };
      if (signal.aborted) onLost();
      else signal.addEventListener("abort", onLost, { once: true });
      await this.#startRunnables(signal);
      await aborted(signal);
      if (this.#fence.signal.aborted) return;
      await this.#stopRunnables();
    }).then(({ lost }) => this.#finished(lost ? 1 : 0));
  }

  // Starting can take long (caches that cannot sync, e.g. while access is denied): it stops at the next
  // step once `signal` aborts, so a shutdown or a lost lease never waits for it.
  async #startRunnables(signal: AbortSignal): Promise<void> {
    for (const runnable of this.#runnables) {
      await Promise.race([runnable.start(), aborted(signal)]);
      if (signal.aborted) return;
    }
    this.#o.logger.info("Controllers started", this.#startedFields?.() ?? {});
  }

  async #stopRunnables(): Promise<void> {
    await Promise.all(this.#runnables.map((runnable) => runnable.stop()));
  }
}
