/**
 * Prometheus metrics with controller-runtime's and client-go's names, so existing
 * dashboards and alerts for Go operators work unchanged.
 *
 * One {@link Metrics} is created per process by the entry point and passed in. The exposition is
 * plumber's own (`prometheus_text.ts`), not `prom-client`, whose import alone costs ~20 MiB of RSS.
 *
 * @example
 * ```ts
 * const metrics = new Metrics({ processMetrics: true });
 * const controller = new Controller({ name: "replicator", reconcile, logger, metrics: metrics.controller("replicator") });
 * console.log(await metrics.text());
 * ```
 *
 * @module
 */

import { Counter, Gauge, Histogram, Registry } from "./prometheus_text.ts";

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
  /** Export process_resident_memory_bytes, process_heap_bytes and process_start_time_seconds from Deno's own counters. */
  processMetrics?: boolean;
}

/** A process's metric registry and the series the operator exports. */
export class Metrics {
  readonly registry: Registry;

  readonly #reconcileTotal: Counter;
  readonly #reconcileErrors: Counter;
  readonly #terminalErrors: Counter;
  readonly #reconcileTime: Histogram;
  readonly #activeWorkers: Gauge;
  readonly #maxConcurrent: Gauge;

  readonly #queueDepth: Gauge;
  readonly #queueAdds: Counter;
  readonly #queueRetries: Counter;
  readonly #queueLatency: Histogram;
  readonly #workDuration: Histogram;
  readonly #unfinishedWork: Gauge;
  readonly #longestRunning: Gauge;

  readonly #restRequests: Counter;
  readonly #leader: Gauge;
  readonly #driftCorrections: Counter;

  readonly #controllers = new Map<string, ControllerMetrics>();
  readonly #queues = new Map<string, QueueMetrics>();
  readonly #unfinishedSnapshots = new Map<string, () => UnfinishedWork>();

  constructor(options: MetricsOptions = {}) {
    const registry = new Registry();
    this.registry = registry;

    this.#reconcileTotal = registry.register(
      new Counter("controller_runtime_reconcile_total", "Total number of reconciliations per controller", [
        "controller",
        "result",
      ]),
    );
    this.#reconcileErrors = registry.register(
      new Counter(
        "controller_runtime_reconcile_errors_total",
        "Total number of reconciliation errors per controller",
        ["controller"],
      ),
    );
    this.#terminalErrors = registry.register(
      new Counter(
        "controller_runtime_terminal_reconcile_errors_total",
        "Total number of terminal reconciliation errors per controller",
        ["controller"],
      ),
    );
    this.#reconcileTime = registry.register(
      new Histogram(
        "controller_runtime_reconcile_time_seconds",
        "Length of time per reconciliation per controller",
        ["controller"],
        RECONCILE_BUCKETS,
      ),
    );
    this.#activeWorkers = registry.register(
      new Gauge("controller_runtime_active_workers", "Number of currently used workers per controller", [
        "controller",
      ]),
    );
    this.#maxConcurrent = registry.register(
      new Gauge(
        "controller_runtime_max_concurrent_reconciles",
        "Maximum number of concurrent reconciles per controller",
        ["controller"],
      ),
    );

    this.#queueDepth = registry.register(
      new Gauge("workqueue_depth", "Current depth of workqueue", ["name"]),
    );
    this.#queueAdds = registry.register(
      new Counter("workqueue_adds_total", "Total number of adds handled by workqueue", ["name"]),
    );
    this.#queueRetries = registry.register(
      new Counter("workqueue_retries_total", "Total number of retries handled by workqueue", ["name"]),
    );
    this.#queueLatency = registry.register(
      new Histogram(
        "workqueue_queue_duration_seconds",
        "How long in seconds an item stays in workqueue before being requested",
        ["name"],
        QUEUE_BUCKETS,
      ),
    );
    this.#workDuration = registry.register(
      new Histogram(
        "workqueue_work_duration_seconds",
        "How long in seconds processing an item from workqueue takes",
        ["name"],
        QUEUE_BUCKETS,
      ),
    );
    const snapshots = this.#unfinishedSnapshots;
    // Both gauges are computed from the queues at scrape time instead of by a timer loop.
    const readSnapshots = (gauge: Gauge, pick: (w: UnfinishedWork) => number) => {
      for (const [name, snapshot] of snapshots) gauge.set({ name }, pick(snapshot()));
    };
    this.#unfinishedWork = registry.register(
      new Gauge(
        "workqueue_unfinished_work_seconds",
        "How many seconds of work has been done that is in progress and hasn't been observed by " +
          "work_duration. Large values indicate stuck threads.",
        ["name"],
        (gauge) => readSnapshots(gauge, (w) => w.unfinishedSeconds),
      ),
    );
    this.#longestRunning = registry.register(
      new Gauge(
        "workqueue_longest_running_processor_seconds",
        "How many seconds has the longest running processor for workqueue been running.",
        ["name"],
        (gauge) => readSnapshots(gauge, (w) => w.longestRunningSeconds),
      ),
    );

    this.#restRequests = registry.register(
      new Counter(
        "rest_client_requests_total",
        "Number of HTTP requests, partitioned by status code, method, and host.",
        ["code", "method", "host"],
      ),
    );
    this.#leader = registry.register(
      new Gauge(
        "leader_election_master_status",
        "Gauge of if the reporting system is master of the relevant lease, 0 indicates backup, " +
          "1 indicates master. 'name' is the string used to identify the lease.",
        ["name"],
      ),
    );

    this.#driftCorrections = registry.register(
      new Counter(
        "plumber_drift_corrections_total",
        "Drifts plumber reverted (objects changed or deleted outside plumber), per cluster and kind.",
        ["cluster", "kind"],
      ),
    );

    if (options.processMetrics) {
      // Deno.memoryUsage() needs no permission (reading /proc/self would need --allow-read there).
      const started = Date.now() / 1000;
      registry.register(
        new Gauge("process_resident_memory_bytes", "Resident memory size in bytes.", [], (gauge) => {
          gauge.set({}, Deno.memoryUsage().rss);
        }),
      );
      registry.register(
        new Gauge("process_heap_bytes", "V8 heap in use, in bytes.", [], (gauge) => {
          gauge.set({}, Deno.memoryUsage().heapUsed);
        }),
      );
      registry.register(
        new Gauge("process_start_time_seconds", "Start time of the process since the epoch, in seconds."),
      ).set({}, started);
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
    return Promise.resolve(this.registry.metrics());
  }
}
