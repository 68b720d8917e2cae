/**
 * A rate-limiting, delaying work queue after client-go's `workqueue`.
 *
 * Guarantees, as in client-go:
 * - a key waiting in the queue is held once, however often it is added;
 * - a key is never handed to two workers at once: a key added while it is being
 *   processed is marked dirty and re-queued when the worker calls {@link WorkQueue.done};
 * - keys are handed out in the order they became ready.
 *
 * @example
 * ```ts
 * const queue = new WorkQueue({ name: "replicator" });
 * queue.add("default/app");
 * const key = await queue.get();
 * try { await work(key); queue.forget(key); } catch { queue.addRateLimited(key); } finally { queue.done(key); }
 * ```
 *
 * @module
 */

import type { QueueMetrics } from "./metrics.ts";

/** Time source and timers; inject a fake one to move time in tests. */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** The real clock: `Date.now()` and the global timers. */
export const systemClock: Clock = Object.freeze({
  now: () => Date.now(),
  setTimeout: (fn: () => void, ms: number): unknown => setTimeout(fn, ms),
  clearTimeout: (handle: unknown) => clearTimeout(handle as number),
});

export interface WorkQueueOptions {
  /** Names the queue in metrics and messages. */
  name: string;
  /** First per-key retry delay; default 5 ms. */
  baseDelayMs?: number;
  /** Cap of the per-key retry delay; default 1 000 000 ms (1000 s). */
  maxDelayMs?: number;
  /** Overall retry rate across all keys; default 10 a second. */
  qps?: number;
  /** Retries allowed at once before the overall rate applies; default 100. */
  burst?: number;
  clock?: Clock;
  metrics?: QueueMetrics;
}

// setTimeout fires at once for delays above a signed 32-bit millisecond count.
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * The per-key exponential backoff: `baseDelayMs * 2^failures`, capped at `maxDelayMs`.
 *
 * @example
 * ```ts
 * backoffDelayMs(0, 5, 1_000_000); // 5
 * backoffDelayMs(3, 5, 1_000_000); // 40
 * ```
 */
export function backoffDelayMs(failures: number, baseDelayMs: number, maxDelayMs: number): number {
  const delay = baseDelayMs * 2 ** failures;
  return Number.isFinite(delay) ? Math.min(delay, maxDelayMs) : maxDelayMs;
}

/**
 * A token bucket holding up to `burst` tokens, refilled at `qps` a second.
 * Like Go's `rate.Limiter.Reserve()`, taking a token always succeeds and returns
 * how long the caller must wait for it; the bucket goes into debt meanwhile.
 */
export class TokenBucket {
  readonly #qps: number;
  readonly #burst: number;
  readonly #clock: Clock;
  #tokens: number;
  #last: number;

  constructor(qps: number, burst: number, clock: Clock = systemClock) {
    if (!(qps > 0)) throw new RangeError(`Invalid token bucket rate ${qps}: expected a positive number`);
    if (!(burst >= 1)) throw new RangeError(`Invalid token bucket burst ${burst}: expected at least 1`);
    this.#qps = qps;
    this.#burst = burst;
    this.#clock = clock;
    this.#tokens = burst;
    this.#last = clock.now();
  }

  /** Takes one token; returns the wait in milliseconds before it may be used (0 if available). */
  reserve(): number {
    const now = this.#clock.now();
    // A wall clock stepping backwards must not add tokens.
    const elapsed = Math.max(0, now - this.#last);
    this.#last = Math.max(this.#last, now);
    this.#tokens = Math.min(this.#burst, this.#tokens + (elapsed * this.#qps) / 1000);
    this.#tokens -= 1;
    return this.#tokens >= 0 ? 0 : (-this.#tokens / this.#qps) * 1000;
  }
}

// A FIFO with O(1) push and shift; compacts its backing array as the head moves.
class Fifo {
  #items: string[] = [];
  #head = 0;

  get length(): number {
    return this.#items.length - this.#head;
  }

  push(item: string): void {
    this.#items.push(item);
  }

  shift(): string | undefined {
    if (this.#head >= this.#items.length) return undefined;
    const item = this.#items[this.#head++];
    if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return item;
  }
}

interface DelayedAdd {
  readyAt: number;
  handle: unknown;
}

/** A de-duplicating, rate-limiting, delaying work queue of string keys. */
export class WorkQueue {
  readonly name: string;
  readonly #baseDelayMs: number;
  readonly #maxDelayMs: number;
  readonly #clock: Clock;
  readonly #metrics: QueueMetrics | undefined;
  readonly #bucket: TokenBucket;

  readonly #queue = new Fifo();
  /** Keys that need processing: waiting in #queue, or to be re-queued when done. */
  readonly #dirty = new Set<string>();
  /** Keys handed to a worker and not yet done, with the time they were handed out. */
  readonly #processing = new Map<string, number>();
  /** When each waiting key entered #queue, for the queue-duration metric. */
  readonly #enqueuedAt = new Map<string, number>();
  readonly #waiters: ((key: string | undefined) => void)[] = [];
  readonly #delayed = new Map<string, DelayedAdd>();
  readonly #failures = new Map<string, number>();
  #shuttingDown = false;
  readonly #drainListeners = new Set<() => void>();

  constructor(options: WorkQueueOptions) {
    this.name = options.name;
    this.#baseDelayMs = options.baseDelayMs ?? 5;
    this.#maxDelayMs = options.maxDelayMs ?? 1_000_000;
    if (!(this.#baseDelayMs >= 0) || !(this.#maxDelayMs >= this.#baseDelayMs)) {
      throw new RangeError(
        `Invalid backoff for queue "${options.name}": baseDelayMs ${this.#baseDelayMs} and maxDelayMs ` +
          `${this.#maxDelayMs} must satisfy 0 <= baseDelayMs <= maxDelayMs`,
      );
    }
    this.#clock = options.clock ?? systemClock;
    this.#metrics = options.metrics;
    this.#bucket = new TokenBucket(options.qps ?? 10, options.burst ?? 100, this.#clock);
    this.#metrics?.trackUnfinishedWork?.(() => this.#unfinishedWork());
  }

  /** True once {@link shutDown} was called. */
  get shuttingDown(): boolean {
    return this.#shuttingDown;
  }

  /** Keys waiting to be handed out (not counting delayed or in-flight keys). */
  len(): number {
    return this.#queue.length;
  }

  /** Keys handed to workers and not yet done. */
  inFlight(): number {
    return this.#processing.size;
  }

  /** Adds a key. A waiting key is not added twice; an in-flight key is re-queued when done. Ignored after shutdown. */
  add(key: string): void {
    if (this.#shuttingDown || this.#dirty.has(key)) return;
    this.#metrics?.added();
    this.#dirty.add(key);
    if (this.#processing.has(key)) return;
    this.#push(key);
  }

  /**
   * Adds a key after `delayMs`. While a delayed add of the key is pending, the sooner
   * of the two wins. A delay of 0 or less adds at once.
   */
  addAfter(key: string, delayMs: number): void {
    if (this.#shuttingDown) return;
    if (!(delayMs > 0)) {
      this.add(key);
      return;
    }
    const readyAt = this.#clock.now() + delayMs;
    const pending = this.#delayed.get(key);
    if (pending) {
      if (pending.readyAt <= readyAt) return;
      this.#clock.clearTimeout(pending.handle);
    }
    this.#arm(key, readyAt);
  }

  /**
   * Adds a key after the larger of its exponential backoff (baseDelay * 2^failures,
   * capped at maxDelay) and the overall token bucket's wait, and counts a failure.
   */
  addRateLimited(key: string): void {
    if (this.#shuttingDown) return;
    const failures = this.#failures.get(key) ?? 0;
    this.#failures.set(key, failures + 1);
    const delay = Math.max(
      backoffDelayMs(failures, this.#baseDelayMs, this.#maxDelayMs),
      this.#bucket.reserve(),
    );
    this.#metrics?.retried();
    this.addAfter(key, delay);
  }

  /** Resets the key's failure count, so its next backoff starts at baseDelay again. */
  forget(key: string): void {
    this.#failures.delete(key);
  }

  /** How many times the key was added through the rate limiter since it was last forgotten. */
  numRequeues(key: string): number {
    return this.#failures.get(key) ?? 0;
  }

  /**
   * Waits for a key and marks it in flight; the caller must call {@link done} with it.
   * After shutdown, keys still waiting are handed out, then `undefined`.
   */
  get(): Promise<string | undefined> {
    if (this.#queue.length > 0) return Promise.resolve(this.#take());
    if (this.#shuttingDown) return Promise.resolve(undefined);
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /** Marks a key as no longer in flight; re-queues it if it was added meanwhile. */
  done(key: string): void {
    const startedAt = this.#processing.get(key);
    if (startedAt === undefined) return;
    this.#processing.delete(key);
    this.#metrics?.observeWorkDuration((this.#clock.now() - startedAt) / 1000);
    if (this.#dirty.has(key)) this.#push(key);
    if (this.#processing.size === 0 && this.#drainListeners.size > 0) {
      const listeners = [...this.#drainListeners];
      this.#drainListeners.clear();
      for (const listener of listeners) listener();
    }
  }

  /** Stops accepting keys, cancels delayed adds and releases every waiting get() with `undefined`. */
  shutDown(): void {
    if (this.#shuttingDown) return;
    this.#shuttingDown = true;
    for (const { handle } of this.#delayed.values()) this.#clock.clearTimeout(handle);
    this.#delayed.clear();
    for (const resolve of this.#waiters.splice(0)) resolve(undefined);
  }

  /**
   * Shuts down and waits until every in-flight key is done, or `timeoutMs` passes.
   * Resolves `true` when drained, `false` on timeout.
   */
  shutDownWithDrain(timeoutMs: number = Infinity): Promise<boolean> {
    this.shutDown();
    if (this.#processing.size === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      let timer: unknown;
      const onDrained = () => {
        if (timer !== undefined) this.#clock.clearTimeout(timer);
        resolve(true);
      };
      this.#drainListeners.add(onDrained);
      if (Number.isFinite(timeoutMs)) {
        timer = this.#clock.setTimeout(() => {
          this.#drainListeners.delete(onDrained);
          resolve(false);
        }, Math.max(0, timeoutMs));
      }
    });
  }

  #arm(key: string, readyAt: number): void {
    const wait = Math.min(MAX_TIMER_MS, Math.max(0, readyAt - this.#clock.now()));
    const handle = this.#clock.setTimeout(() => {
      if (this.#delayed.get(key)?.handle !== handle) return;
      // Long delays are split into timer-sized steps.
      if (this.#clock.now() < readyAt) {
        this.#arm(key, readyAt);
        return;
      }
      this.#delayed.delete(key);
      this.add(key);
    }, wait);
    this.#delayed.set(key, { readyAt, handle });
  }

  #push(key: string): void {
    const waiter = this.#waiters.shift();
    if (waiter) {
      this.#metrics?.observeQueueDuration(0);
      this.#markProcessing(key);
      waiter(key);
      return;
    }
    this.#queue.push(key);
    this.#enqueuedAt.set(key, this.#clock.now());
    this.#metrics?.setDepth(this.#queue.length);
  }

  #take(): string {
    const key = this.#queue.shift()!;
    const enqueuedAt = this.#enqueuedAt.get(key);
    this.#enqueuedAt.delete(key);
    if (this.#metrics) {
      this.#metrics.setDepth(this.#queue.length);
      if (enqueuedAt !== undefined) {
        this.#metrics.observeQueueDuration((this.#clock.now() - enqueuedAt) / 1000);
      }
    }
    this.#markProcessing(key);
    return key;
  }

  #markProcessing(key: string): void {
    this.#dirty.delete(key);
    this.#processing.set(key, this.#clock.now());
  }

  #unfinishedWork(): { unfinishedSeconds: number; longestRunningSeconds: number } {
    const now = this.#clock.now();
    let total = 0;
    let longest = 0;
    for (const startedAt of this.#processing.values()) {
      const ms = Math.max(0, now - startedAt);
      total += ms;
      longest = Math.max(longest, ms);
    }
    return { unfinishedSeconds: total / 1000, longestRunningSeconds: longest / 1000 };
  }
}
