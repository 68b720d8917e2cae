/**
 * Prometheus metrics with controller-runtime's and client-go's names, so existing
 * dashboards and alerts for Go operators work unchanged.
 *
 * One {@link Metrics} is created per process by the entry point and passed in;
 * nothing here touches prom-client's global default registry.
 *
 * @example
 * ```ts
 * const metrics = new Metrics({ collectDefault: true });
 * const controller = new Controller({ name: "replicator", reconcile, logger, metrics: metrics.controller("replicator") });
 * console.log(await metrics.text());
 * ```
 *
 * @module
 */

import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";

/** The `result` label of `controller_runtime_reconcile_total`. */
export type ReconcileOutcome = "success" | "error" | "requeue" | "requeue_after" | "terminal_error";

export const RECONCILE_OUTCOMES: readonly ReconcileOutcome[] = [
  "success",
  "error",
  "requeue",
  "requeue_after",
  "terminal_error",
];

/** What a controller reports; `undefined` wherever metrics are not wanted (unit tests). */
export interface ControllerMetrics {
  /** Counts one finished reconcile and observes its duration. */
  observeReconcile(outcome: ReconcileOutcome, seconds: number): void;
  /** Changes `controller_runtime_active_workers` by `delta`. */
  addActiveWorkers(delta: number): void;
  setMaxConcurrentReconciles(value: number): void;
  /** Metrics for the controller's own queue, used when the queue options name none. */
  readonly queue?: QueueMetrics;
}

/** Instantaneous view of a queue's in-flight work, read at scrape time. */
export interface UnfinishedWork {
  /** Sum over keys being processed of the time they have been processing. */
  unfinishedSeconds: number;
  /** Time the longest-running key has been processing. */
  longestRunningSeconds: number;
}

/** What a work queue reports; `undefined` wherever metrics are not wanted. */
export interface QueueMetrics {
  /** A key was newly added (not counting adds de-duplicated against a waiting key). */
  added(): void;
  /** The number of keys waiting to be handed out. */
  setDepth(depth: number): void;
  /** A key was added through the rate limiter. */
  retried(): void;
  /** Time a key waited in the queue before a worker took it. */
  observeQueueDuration(seconds: number): void;
  /** Time from get() to done(). */
  observeWorkDuration(seconds: number): void;
  /** Registers a callback read on every scrape; replaces an earlier one. */
  trackUnfinishedWork?(snapshot: () => UnfinishedWork): void;
}

// controller-runtime's reconcile_time_seconds buckets (5 ms .. 60 s, finer below 1 s).
const RECONCILE_BUCKETS = [
  0.005,
  0.01,
  0.025,
  0.05,
  0.1,
  0.15,
  0.2,
  0.25,
  0.3,
  0.35,
  0.4,
  0.45,
  0.5,
  0.6,
  0.7,
  0.8,
  0.9,
  1,
  1.25,
  1.5,
  1.75,
  2,
  2.5,
  3,
  3.5,
  4,
  4.5,
  5,
  6,
  7,
  8,
  9,
  10,
  15,
  20,
  25,
  30,
  40,
  50,
  60,
];

// client-go's workqueue buckets: 10 ns .. 10 s by factors of 10.
const QUEUE_BUCKETS = Array.from({ length: 10 }, (_, i) => Number((1e-8 * 10 ** i).toPrecision(1)));

export interface MetricsOptions {
  /** Also export process_* and nodejs_* metrics (prom-client's default collectors). Default false. */
  collectDefault?: boolean;
  /** Export process_resident_memory_bytes, process_heap_bytes and process_start_time_seconds from Deno's own counters. */
  processMetrics?: boolean;
}

/** A process's metric registry and the series the operator exports. */
export class Metrics {
  readonly registry: Registry;

  readonly #reconcileTotal: Counter<"controller" | "result">;
  readonly #reconcileErrors: Counter<"controller">;
  readonly #terminalErrors: Counter<"controller">;
  readonly #reconcileTime: Histogram<"controller">;
  readonly #activeWorkers: Gauge<"controller">;
  readonly #maxConcurrent: Gauge<"controller">;

  readonly #queueDepth: Gauge<"name">;
  readonly #queueAdds: Counter<"name">;
  readonly #queueRetries: Counter<"name">;
  readonly #queueLatency: Histogram<"name">;
  readonly #workDuration: Histogram<"name">;
  readonly #unfinishedWork: Gauge<"name">;
  readonly #longestRunning: Gauge<"name">;

  readonly #restRequests: Counter<"code" | "method" | "host">;
  readonly #leader: Gauge<"name">;
  readonly #driftCorrections: Counter<"cluster" | "kind">;

  readonly #controllers = new Map<string, ControllerMetrics>();
  readonly #queues = new Map<string, QueueMetrics>();
  readonly #unfinishedSnapshots = new Map<string, () => UnfinishedWork>();

  constructor(options: MetricsOptions = {}) {
    const registry = new Registry();
    this.registry = registry;
    const registers = [registry];

    this.#reconcileTotal = new Counter({
      name: "controller_runtime_reconcile_total",
      help: "Total number of reconciliations per controller",
      labelNames: ["controller", "result"],
      registers,
    });
    this.#reconcileErrors = new Counter({
      name: "controller_runtime_reconcile_errors_total",
      help: "Total number of reconciliation errors per controller",
      labelNames: ["controller"],
      registers,
    });
    this.#terminalErrors = new Counter({
      name: "controller_runtime_terminal_reconcile_errors_total",
      help: "Total number of terminal reconciliation errors per controller",
      labelNames: ["controller"],
      registers,
    });
    this.#reconcileTime = new Histogram({
      name: "controller_runtime_reconcile_time_seconds",
      help: "Length of time per reconciliation per controller",
      labelNames: ["controller"],
      buckets: RECONCILE_BUCKETS,
      registers,
    });
    this.#activeWorkers = new Gauge({
      name: "controller_runtime_active_workers",
      help: "Number of currently used workers per controller",
      labelNames: ["controller"],
      registers,
    });
    this.#maxConcurrent = new Gauge({
      name: "controller_runtime_max_concurrent_reconciles",
      help: "Maximum number of concurrent reconciles per controller",
      labelNames: ["controller"],
      registers,
    });

    this.#queueDepth = new Gauge({
      name: "workqueue_depth",
      help: "Current depth of workqueue",
      labelNames: ["name"],
      registers,
    });
    this.#queueAdds = new Counter({
      name: "workqueue_adds_total",
      help: "Total number of adds handled by workqueue",
      labelNames: ["name"],
      registers,
    });
    this.#queueRetries = new Counter({
      name: "workqueue_retries_total",
      help: "Total number of retries handled by workqueue",
      labelNames: ["name"],
      registers,
    });
    this.#queueLatency = new Histogram({
      name: "workqueue_queue_duration_seconds",
      help: "How long in seconds an item stays in workqueue before being requested",
      labelNames: ["name"],
      buckets: QUEUE_BUCKETS,
      registers,
    });
    this.#workDuration = new Histogram({
      name: "workqueue_work_duration_seconds",
      help: "How long in seconds processing an item from workqueue takes",
      labelNames: ["name"],
      buckets: QUEUE_BUCKETS,
      registers,
    });
    const snapshots = this.#unfinishedSnapshots;
    // Both gauges are computed from the queues at scrape time instead of by a timer loop.
    const readSnapshots = (gauge: Gauge<"name">, pick: (w: UnfinishedWork) => number) => {
      for (const [name, snapshot] of snapshots) gauge.set({ name }, pick(snapshot()));
    };
    this.#unfinishedWork = new Gauge({
      name: "workqueue_unfinished_work_seconds",
      help: "How many seconds of work has been done that is in progress and hasn't been observed by " +
        "work_duration. Large values indicate stuck threads.",
      labelNames: ["name"],
      registers,
      collect() {
        readSnapshots(this, (w) => w.unfinishedSeconds);
      },
    });
    this.#longestRunning = new Gauge({
      name: "workqueue_longest_running_processor_seconds",
      help: "How many seconds has the longest running processor for workqueue been running.",
      labelNames: ["name"],
      registers,
      collect() {
        readSnapshots(this, (w) => w.longestRunningSeconds);
      },
    });

    this.#restRequests = new Counter({
      name: "rest_client_requests_total",
      help: "Number of HTTP requests, partitioned by status code, method, and host.",
      labelNames: ["code", "method", "host"],
      registers,
    });
    this.#leader = new Gauge({
      name: "leader_election_master_status",
      help: "Gauge of if the reporting system is master of the relevant lease, 0 indicates backup, " +
        "1 indicates master. 'name' is the string used to identify the lease.",
      labelNames: ["name"],
      registers,
    });

    this.#driftCorrections = new Counter({
      name: "plumber_drift_corrections_total",
      help: "Drifts plumber reverted (objects changed or deleted outside plumber), per cluster and kind.",
      labelNames: ["cluster", "kind"],
      registers,
    });

    if (options.collectDefault) collectDefaultMetrics({ register: registry });
    if (options.processMetrics) {
      // prom-client's process_* collectors read /proc/self, which Deno allows only with -A
      // (they read 0 under the operator's permissions); Deno.memoryUsage() needs no permission.
      const started = Date.now() / 1000;
      new Gauge({
        name: "process_resident_memory_bytes",
        help: "Resident memory size in bytes.",
        registers,
        collect() {
          this.set(Deno.memoryUsage().rss);
        },
      });
      new Gauge({
        name: "process_heap_bytes",
        help: "V8 heap in use, in bytes.",
        registers,
        collect() {
          this.set(Deno.memoryUsage().heapUsed);
        },
      });
      new Gauge({
        name: "process_start_time_seconds",
        help: "Start time of the process since the epoch, in seconds.",
        registers,
      })
        .set(started);
    }
  }

  /** The controller_runtime_* series of one controller (the same object for the same name). */
  controller(name: string): ControllerMetrics {
    const existing = this.#controllers.get(name);
    if (existing) return existing;
    const labels = { controller: name };
    // Zero-initialise so rate() and absent() alerts see the series before the first event.
    for (const result of RECONCILE_OUTCOMES) this.#reconcileTotal.inc({ controller: name, result }, 0);
    this.#reconcileErrors.inc(labels, 0);
    this.#terminalErrors.inc(labels, 0);
    this.#activeWorkers.set(labels, 0);
    this.#maxConcurrent.set(labels, 0);
    this.#reconcileTime.zero(labels);

    const reconcileTotal = this.#reconcileTotal;
    const reconcileErrors = this.#reconcileErrors;
    const terminalErrors = this.#terminalErrors;
    const reconcileTime = this.#reconcileTime;
    const activeWorkers = this.#activeWorkers;
    const maxConcurrent = this.#maxConcurrent;
    const metrics: ControllerMetrics = {
      observeReconcile(outcome, seconds) {
        reconcileTotal.inc({ controller: name, result: outcome });
        // As in controller-runtime, errors_total counts every failed reconcile, terminal or not.
        if (outcome === "error" || outcome === "terminal_error") reconcileErrors.inc(labels);
        if (outcome === "terminal_error") terminalErrors.inc(labels);
        reconcileTime.observe(labels, Math.max(0, seconds));
      },
      addActiveWorkers(delta) {
        activeWorkers.inc(labels, delta);
      },
      setMaxConcurrentReconciles(value) {
        maxConcurrent.set(labels, value);
      },
      queue: this.queue(name),
    };
    this.#controllers.set(name, metrics);
    return metrics;
  }

  /** The workqueue_* series of one queue (the same object for the same name). */
  queue(name: string): QueueMetrics {
    const existing = this.#queues.get(name);
    if (existing) return existing;
    const labels = { name };
    this.#queueDepth.set(labels, 0);
    this.#queueAdds.inc(labels, 0);
    this.#queueRetries.inc(labels, 0);
    this.#queueLatency.zero(labels);
    this.#workDuration.zero(labels);

    const depth = this.#queueDepth;
    const adds = this.#queueAdds;
    const retries = this.#queueRetries;
    const latency = this.#queueLatency;
    const work = this.#workDuration;
    const snapshots = this.#unfinishedSnapshots;
    const metrics: QueueMetrics = {
      added: () => adds.inc(labels),
      setDepth: (value) => depth.set(labels, value),
      retried: () => retries.inc(labels),
      observeQueueDuration: (seconds) => latency.observe(labels, Math.max(0, seconds)),
      observeWorkDuration: (seconds) => work.observe(labels, Math.max(0, seconds)),
      trackUnfinishedWork: (snapshot) => {
        snapshots.set(name, snapshot);
      },
    };
    this.#queues.set(name, metrics);
    return metrics;
  }

  /** Counts one API server request (`rest_client_requests_total`). */
  recordRequest(labels: { code: string; method: string; host: string }): void {
    this.#restRequests.inc(labels);
  }

  /** Sets `leader_election_master_status{name}` to 1 or 0. */
  setLeader(name: string, isLeader: boolean): void {
    this.#leader.set({ name }, isLeader ? 1 : 0);
  }

  /** Counts one reverted drift (`plumber_drift_corrections_total`). */
  countDriftCorrection(labels: { cluster: string; kind: string }): void {
    this.#driftCorrections.inc(labels);
  }

  /** The value of the Content-Type header for {@link text}. */
  get contentType(): string {
    return this.registry.contentType;
  }

  /** All metrics in the Prometheus text exposition format (version 0.0.4). */
  text(): Promise<string> {
    return this.registry.metrics();
  }
}
