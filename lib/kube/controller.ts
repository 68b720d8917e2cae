/**
 * A controller after controller-runtime's: events from any number of sources are
 * mapped to keys, de-duplicated in a {@link WorkQueue}, and reconciled by N workers.
 *
 * Every reconcile ends in exactly one outcome:
 * - returns nothing: done, the key's backoff is reset;
 * - returns `{ requeueAfterMs }` (> 0): backoff reset, key re-added after that delay;
 * - throws {@link TerminalError}: done, no retry, logged and counted as terminal;
 * - throws anything else: re-added with per-key exponential backoff (5 ms .. 1000 s).
 *
 * @example
 * ```ts
 * const controller = new Controller({
 *   name: "replicator",
 *   logger,
 *   concurrency: 4,
 *   reconcile: async (key, { log, signal }) => {
 *     log.info("Reconciling");
 *     return { requeueAfterMs: 60_000 };
 *   },
 * });
 * controller.watch(replicatorInformer, (r) => [`${r.metadata.namespace}/${r.metadata.name}`]);
 * controller.start();
 * // on SIGTERM:
 * await controller.stop(25_000);
 * ```
 *
 * @module
 */

import type { Logger } from "../log.ts";
import type { EventHandler, EventSource } from "./events_source.ts";
import type { ControllerMetrics, ReconcileOutcome } from "./metrics.ts";
import { type Clock, systemClock, WorkQueue, type WorkQueueOptions } from "./workqueue.ts";

/** Nothing (done) or a request to reconcile the key again after a delay. */
export type ReconcileResult = void | { requeueAfterMs: number };

/**
 * Thrown by a reconcile when retrying cannot help (invalid spec, missing permission
 * that needs a human). The key is not retried until an event adds it again.
 * Also recognised when it is the `cause` of the thrown error.
 */
export class TerminalError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "TerminalError";
  }
}

/** Whether `error`, or an error in its `cause` chain, is a {@link TerminalError}. */
export function isTerminalError(error: unknown): boolean {
  for (let e = error, depth = 0; e instanceof Error && depth < 10; e = e.cause, depth++) {
    if (e instanceof TerminalError) return true;
  }
  return false;
}

export interface ReconcileContext {
  key: string;
  /** Carries `controller`, `key` and `reconcileID` fields. */
  log: Logger;
  /** Aborted when the controller stops and the reconcile outlives the stop timeout. */
  signal: AbortSignal;
}

export type { EventHandler, EventSource };

export type Reconcile = (key: string, ctx: ReconcileContext) => Promise<ReconcileResult>;

export interface ControllerOptions {
  /** Names the controller in logs and metrics; also the queue's default name. */
  name: string;
  reconcile: Reconcile;
  /** Number of workers, i.e. reconciles of distinct keys at once; default 1. */
  concurrency?: number;
  logger: Logger;
  metrics?: ControllerMetrics;
  clock?: Clock;
  /** Overrides for the queue (backoff, overall rate, metrics). */
  queue?: Partial<WorkQueueOptions>;
}

/** How long stop() waits, after aborting the reconciles' signal, for them to return. */
export const ABORT_GRACE_MS = 1000;

/** Reconciles keys from a de-duplicating queue with a fixed number of workers. */
export class Controller {
  readonly name: string;
  readonly queue: WorkQueue;
  readonly #reconcile: Reconcile;
  readonly #concurrency: number;
  readonly #log: Logger;
  readonly #metrics: ControllerMetrics | undefined;
  readonly #clock: Clock;
  readonly #abort = new AbortController();
  readonly #unsubscribes = new Set<() => void>();
  readonly #workers: Promise<void>[] = [];
  /** Keys being reconciled now. */
  readonly #running = new Set<string>();
  #started = false;
  #stopping = false;
  #stopped: Promise<void> | undefined;

  constructor(options: ControllerOptions) {
    const concurrency = options.concurrency ?? 1;
    if (!Number.isInteger(concurrency) || concurrency < 1) {
      throw new RangeError(
        `Cannot create controller "${options.name}": concurrency ${concurrency} is not a positive integer`,
      );
    }
    this.name = options.name;
    this.#reconcile = options.reconcile;
    this.#concurrency = concurrency;
    this.#log = options.logger.child({ controller: options.name });
    this.#metrics = options.metrics;
    this.#clock = options.clock ?? systemClock;
    this.queue = new WorkQueue({
      ...options.queue,
      name: options.queue?.name ?? options.name,
      clock: options.queue?.clock ?? this.#clock,
      metrics: options.queue?.metrics ?? options.metrics?.queue,
    });
    this.#metrics?.setMaxConcurrentReconciles(concurrency);
  }

  /** True between start() and stop(). */
  get running(): boolean {
    return this.#started && !this.#stopping;
  }

  /** Adds a key to reconcile. Ignored once stopping. */
  enqueue(key: string): void {
    this.queue.add(key);
  }

  /** Adds a key to reconcile after `ms` (the sooner wins if one is pending). */
  enqueueAfter(key: string, ms: number): void {
    this.queue.addAfter(key, ms);
  }

  /**
   * Maps events of a source (any cluster) to keys of this controller. `mapFn` returns
   * zero or more keys; an update enqueues the union of the old and new object's keys,
   * each once. A throwing `mapFn` drops that event and logs an error. May be called
   * before or after start(); handlers are removed by stop(), or earlier by calling the
   * returned function (idempotent), e.g. when the source is replaced.
   *
   * `options.ignore` drops an add or update whose new object it returns true for (e.g. the echo of this
   * controller's own write, which the reconcile that wrote it has already accounted for); deletes are
   * never dropped.
   */
  watch<T>(
    source: EventSource<T>,
    mapFn: (obj: T) => string[],
    options: { ignore?: (obj: T) => boolean } = {},
  ): () => void {
    if (this.#stopping) {
      throw new Error(`Cannot watch a source: controller "${this.name}" is stopping`);
    }
    const keysOf = (obj: T, event: string): readonly string[] => {
      try {
        return mapFn(obj);
      } catch (error) {
        this.#log.error("Mapping an event to keys failed; event dropped", { event, error });
        return [];
      }
    };
    const enqueueAll = (keys: Iterable<string>) => {
      for (const key of keys) this.queue.add(key);
    };
    const ignore = options.ignore;
    const unsubscribe = source.addEventHandler({
      add: (obj) => {
        if (!ignore?.(obj)) enqueueAll(keysOf(obj, "add"));
      },
      update: (oldObj, newObj) => {
        if (ignore?.(newObj)) return;
        enqueueAll(new Set([...keysOf(oldObj, "update"), ...keysOf(newObj, "update")]));
      },
      delete: (obj) => enqueueAll(keysOf(obj, "delete")),
    });
    const release = () => {
      if (this.#unsubscribes.delete(release)) unsubscribe();
    };
    this.#unsubscribes.add(release);
    return release;
  }

  /** Number of sources watched now (released ones and those removed by stop() do not count). */
  get subscriptions(): number {
    return this.#unsubscribes.size;
  }

  /** Starts the workers. */
  start(): void {
    if (this.#started) throw new Error(`Cannot start controller "${this.name}": it was already started`);
    this.#started = true;
    this.#metrics?.setMaxConcurrentReconciles(this.#concurrency);
    for (let i = 0; i < this.#concurrency; i++) this.#workers.push(this.#work());
    this.#log.info("Started workers", { workers: this.#concurrency });
  }

  /**
   * Stops taking work and unregisters event handlers, then waits up to `timeoutMs`
   * for running reconciles; if some still run, aborts their signal and waits at most
   * {@link ABORT_GRACE_MS} more. Keys still waiting are dropped. Idempotent.
   */
  stop(timeoutMs: number = 30_000): Promise<void> {
    this.#stopped ??= this.#stop(timeoutMs);
    return this.#stopped;
  }

  async #stop(timeoutMs: number): Promise<void> {
    this.#stopping = true;
    for (const unsubscribe of [...this.#unsubscribes]) {
      try {
        unsubscribe();
      } catch (error) {
        this.#log.warn("Unregistering an event handler failed", { error });
      }
    }
    this.queue.shutDown();
    const workersDone = Promise.all(this.#workers);
    if (!await this.#within(workersDone, timeoutMs)) {
      this.#log.warn("Reconciles still running at the stop timeout; aborting them", {
        keys: [...this.#running],
        timeoutMs,
      });
      this.#abort.abort(new DOMException(`Controller "${this.name}" is stopping`, "AbortError"));
      if (!await this.#within(workersDone, ABORT_GRACE_MS)) {
        this.#log.error("Reconciles ignored the abort signal; leaving them behind", {
          keys: [...this.#running],
        });
      }
    }
    if (!this.#abort.signal.aborted) {
      this.#abort.abort(new DOMException(`Controller "${this.name}" stopped`, "AbortError"));
    }
    if (this.#started) this.#log.info("Stopped");
  }

  /** Resolves true if `promise` settles within `ms`, false otherwise; leaves no timer behind. */
  async #within(promise: Promise<unknown>, ms: number): Promise<boolean> {
    if (!Number.isFinite(ms)) {
      await promise;
      return true;
    }
    let timer: unknown;
    const timeout = new Promise<false>((resolve) => {
      timer = this.#clock.setTimeout(() => resolve(false), Math.max(0, ms));
    });
    try {
      return await Promise.race([promise.then(() => true as const), timeout]);
    } finally {
      this.#clock.clearTimeout(timer);
    }
  }

  async #work(): Promise<void> {
    for (;;) {
      const key = await this.queue.get();
      if (key === undefined) return;
      if (this.#stopping) {
        // Stop means no new reconciles, even for keys that were already waiting.
        this.queue.done(key);
        continue;
      }
      try {
        await this.#process(key);
      } catch (error) {
        // Only a throwing logger or metrics sink gets here; the worker must survive it.
        try {
          this.#log.error("Worker failed outside reconcile", { key, error });
        } catch {
          // Nothing left to report to.
        }
      }
    }
  }

  async #process(key: string): Promise<void> {
    const log = this.#log.child({ key, reconcileID: crypto.randomUUID() });
    const startedAt = this.#clock.now();
    let outcome: ReconcileOutcome = "error";
    this.#running.add(key);
    this.#metrics?.addActiveWorkers(1);
    try {
      const result = await this.#reconcile(key, { key, log, signal: this.#abort.signal });
      const requeueAfterMs = result?.requeueAfterMs;
      if (requeueAfterMs === undefined) {
        this.queue.forget(key);
        outcome = "success";
      } else if (requeueAfterMs > 0) {
        this.queue.forget(key);
        this.queue.addAfter(key, requeueAfterMs);
        outcome = "requeue_after";
      } else {
        // As controller-runtime's Requeue without RequeueAfter: retry, but rate-limited.
        this.queue.addRateLimited(key);
        outcome = "requeue";
      }
    } catch (error) {
      if (isTerminalError(error)) {
        this.queue.forget(key);
        outcome = "terminal_error";
        log.error("Reconcile failed with a terminal error; not retrying", { error });
      } else if (this.#abort.signal.aborted) {
        outcome = "error";
        log.warn("Reconcile interrupted by controller stop", { error });
      } else {
        this.queue.addRateLimited(key);
        outcome = "error";
        log.error("Reconcile failed; retrying with backoff", { error, retries: this.queue.numRequeues(key) });
      }
    } finally {
      this.#running.delete(key);
      this.queue.done(key);
      this.#metrics?.addActiveWorkers(-1);
      this.#metrics?.observeReconcile(outcome, (this.#clock.now() - startedAt) / 1000);
    }
  }
}
