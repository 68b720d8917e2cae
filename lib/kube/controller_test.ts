import assert from "node:assert/strict";
import FakeTimers from "@sinonjs/fake-timers";
import { createLogger } from "../log.ts";
import {
  Controller,
  type ControllerOptions,
  type EventHandler,
  type EventSource,
  type Reconcile,
  type ReconcileContext,
  TerminalError,
} from "./controller.ts";
import { type ControllerMetrics, Metrics, type ReconcileOutcome } from "./metrics.ts";
import type { Clock } from "./workqueue.ts";

/** Resolves waiters once a count reaches what they wait for. */
class Tally {
  count = 0;
  #waiters: { n: number; resolve: () => void }[] = [];

  bump(): void {
    this.count++;
    this.#waiters = this.#waiters.filter((w) => {
      if (this.count < w.n) return true;
      w.resolve();
      return false;
    });
  }

  reach(n: number): Promise<void> {
    if (this.count >= n) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ n, resolve }));
  }
}

/** A ControllerMetrics that records outcomes, so tests can await them. */
class RecordingMetrics implements ControllerMetrics {
  readonly outcomes: ReconcileOutcome[] = [];
  readonly finished = new Tally();
  active = 0;
  maxActive = 0;
  maxConcurrent = 0;

  observeReconcile(outcome: ReconcileOutcome): void {
    this.outcomes.push(outcome);
    this.finished.bump();
  }
  addActiveWorkers(delta: number): void {
    this.active += delta;
    this.maxActive = Math.max(this.maxActive, this.active);
  }
  setMaxConcurrentReconciles(value: number): void {
    this.maxConcurrent = value;
  }
}

function deferred<T = void>() {
  let resolve!: (value: T) => void;
  let reject!: (reason: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

function fakeClock() {
  const fake = FakeTimers.createClock(1_767_225_600_000);
  const clock: Clock = {
    now: () => fake.now,
    setTimeout: (fn, ms) => fake.setTimeout(fn, ms),
    clearTimeout: (handle) => fake.clearTimeout(handle),
  };
  return { clock, tickAsync: (ms: number) => fake.tickAsync(ms), timers: (): number => fake.countTimers() };
}

function memoryLog() {
  const lines: string[] = [];
  const logger = createLogger({ level: "info", write: (line) => lines.push(line) });
  const records = () => lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  return { logger, records };
}

interface Harness {
  controller: Controller;
  metrics: RecordingMetrics;
  calls: string[];
  called: Tally;
  records: () => Record<string, unknown>[];
  clock: ReturnType<typeof fakeClock>;
}

/** A controller on a fake clock whose reconcile records calls and then runs `behaviour`. */
function harness(
  behaviour: (key: string, call: number, ctx: ReconcileContext) => ReturnType<Reconcile>,
  options: Partial<ControllerOptions> = {},
): Harness {
  const clock = fakeClock();
  const metrics = new RecordingMetrics();
  const { logger, records } = memoryLog();
  const calls: string[] = [];
  const called = new Tally();
  const controller = new Controller({
    name: "test",
    logger,
    metrics,
    clock: clock.clock,
    reconcile: (key, ctx) => {
      calls.push(key);
      called.bump();
      return behaviour(key, calls.length, ctx);
    },
    ...options,
  });
  return { controller, metrics, calls, called, records, clock };
}

/** Every key added to `controller`'s queue, in order (the keys are still added). */
function recordAdds(controller: Controller): string[] {
  const added: string[] = [];
  const add = controller.queue.add.bind(controller.queue);
  controller.queue.add = (key) => {
    added.push(key);
    add(key);
  };
  return added;
}

class FakeSource<T> implements EventSource<T> {
  readonly handlers = new Set<EventHandler<T>>();
  addEventHandler(handler: EventHandler<T>): () => void {
    this.handlers.add(handler);
    return () => this.handlers.delete(handler);
  }
  emitAdd(obj: T): void {
    for (const h of this.handlers) h.add?.(obj);
  }
  emitUpdate(oldObj: T, newObj: T): void {
    for (const h of this.handlers) h.update?.(oldObj, newObj);
  }
  emitDelete(obj: T): void {
    for (const h of this.handlers) h.delete?.(obj);
  }
}

Deno.test("a reconcile that returns nothing resets the key's backoff, leaves nothing queued and counts success", async () => {
  const { controller, metrics, clock } = harness(() => Promise.resolve());
  controller.queue.addRateLimited("ns/a");
  assert.equal(controller.queue.numRequeues("ns/a"), 1);
  controller.start();
  await clock.tickAsync(5);
  await metrics.finished.reach(1);
  assert.deepEqual(metrics.outcomes, ["success"]);
  assert.equal(controller.queue.numRequeues("ns/a"), 0);
  assert.equal(controller.queue.len(), 0);
  assert.equal(clock.timers(), 0);
  await controller.stop();
});

Deno.test("a reconcile that returns requeueAfterMs is reconciled again after exactly that delay", async () => {
  const { controller, metrics, called, clock } = harness((_key, call) =>
    Promise.resolve(call === 1 ? { requeueAfterMs: 30_000 } : undefined)
  );
  controller.enqueue("ns/a");
  controller.start();
  await metrics.finished.reach(1);
  assert.deepEqual(metrics.outcomes, ["requeue_after"]);
  assert.equal(controller.queue.numRequeues("ns/a"), 0);
  await clock.tickAsync(29_999);
  assert.equal(called.count, 1);
  await clock.tickAsync(1);
  await metrics.finished.reach(2);
  assert.deepEqual(metrics.outcomes, ["requeue_after", "success"]);
  await controller.stop();
});

Deno.test("a reconcile that throws is retried with backoff 5 ms then 10 ms, and logged with controller and key", async () => {
  const { controller, metrics, called, records, clock } = harness((_key, call) =>
    call <= 2 ? Promise.reject(new Error(`apply failed ${call}`)) : Promise.resolve()
  );
  controller.enqueue("ns/a");
  controller.start();
  await metrics.finished.reach(1);
  assert.equal(controller.queue.numRequeues("ns/a"), 1);
  await clock.tickAsync(4);
  assert.equal(called.count, 1);
  await clock.tickAsync(1);
  await metrics.finished.reach(2);
  await clock.tickAsync(9);
  assert.equal(called.count, 2);
  await clock.tickAsync(1);
  await metrics.finished.reach(3);
  assert.deepEqual(metrics.outcomes, ["error", "error", "success"]);
  assert.equal(controller.queue.numRequeues("ns/a"), 0, "success must reset the backoff");

  const errors = records().filter((r) => r.level === "error");
  assert.equal(errors.length, 2);
  assert.equal(errors[0]!.controller, "test");
  assert.equal(errors[0]!.key, "ns/a");
  assert.deepEqual(errors[0]!.error, { name: "Error", message: "apply failed 1" });
  await controller.stop();
});

Deno.test("a reconcile that throws a TerminalError is logged, counted as terminal and not retried", async () => {
  const { controller, metrics, called, records, clock } = harness(() =>
    Promise.reject(new TerminalError("spec.targetClusters is empty"))
  );
  controller.queue.addRateLimited("ns/a");
  controller.start();
  await clock.tickAsync(5);
  await metrics.finished.reach(1);
  assert.deepEqual(metrics.outcomes, ["terminal_error"]);
  assert.equal(controller.queue.numRequeues("ns/a"), 0);
  assert.equal(clock.timers(), 0, "nothing may be scheduled for a terminal error");
  await clock.tickAsync(2_000_000);
  assert.equal(called.count, 1);
  const [error] = records().filter((r) => r.level === "error");
  assert.match(String(error?.msg), /terminal/);
  assert.deepEqual(error?.error, { name: "TerminalError", message: "spec.targetClusters is empty" });
  await controller.stop();
});

Deno.test("an error caused by a TerminalError counts as terminal", async () => {
  const { controller, metrics } = harness(() =>
    Promise.reject(new Error("wrapped", { cause: new TerminalError("forbidden") }))
  );
  controller.enqueue("ns/a");
  controller.start();
  await metrics.finished.reach(1);
  assert.deepEqual(metrics.outcomes, ["terminal_error"]);
  await controller.stop();
});

Deno.test("a reconcile that returns requeueAfterMs 0 is requeued through the rate limiter", async () => {
  const { controller, metrics, clock } = harness((_key, call) =>
    Promise.resolve(call === 1 ? { requeueAfterMs: 0 } : undefined)
  );
  controller.enqueue("ns/a");
  controller.start();
  await metrics.finished.reach(1);
  assert.equal(controller.queue.numRequeues("ns/a"), 1);
  await clock.tickAsync(5);
  await metrics.finished.reach(2);
  assert.deepEqual(metrics.outcomes, ["requeue", "success"]);
  await controller.stop();
});

Deno.test("a reconcile that throws synchronously or rejects does not kill its worker", async () => {
  const { controller, metrics, calls } = harness((key) => {
    if (key === "sync") throw new TerminalError("thrown synchronously");
    if (key === "async") return Promise.reject("not even an Error");
    return Promise.resolve();
  });
  controller.enqueue("sync");
  controller.enqueue("async");
  controller.enqueue("good");
  controller.start();
  await metrics.finished.reach(3);
  assert.deepEqual(calls, ["sync", "async", "good"]);
  assert.deepEqual(metrics.outcomes, ["terminal_error", "error", "success"]);
  await controller.stop();
});

Deno.test("each reconcile gets the key, a logger carrying controller and key, and a live signal", async () => {
  let seen: ReconcileContext | undefined;
  const { controller, metrics, records } = harness((_key, _call, ctx) => {
    seen = ctx;
    ctx.log.info("Reconciling");
    return Promise.resolve();
  });
  controller.enqueue("ns/a");
  controller.start();
  await metrics.finished.reach(1);
  assert.equal(seen?.key, "ns/a");
  assert.equal(seen?.signal.aborted, false);
  const line = records().find((r) => r.msg === "Reconciling");
  assert.equal(line?.controller, "test");
  assert.equal(line?.key, "ns/a");
  assert.equal(typeof line?.reconcileID, "string");
  await controller.stop();
});

Deno.test("watch() maps add, update and delete events of a source to keys", () => {
  interface Obj {
    name: string;
    owners: string[];
  }
  const { controller, records } = harness(() => Promise.resolve());
  const source = new FakeSource<Obj>();
  const added = recordAdds(controller);
  controller.watch(source, (obj) => {
    if (obj.name === "bad") throw new Error("cannot map");
    return obj.owners.map((o) => `ns/${o}`);
  });

  source.emitAdd({ name: "x", owners: ["a"] });
  assert.deepEqual(added.splice(0), ["ns/a"]);
  source.emitUpdate({ name: "x", owners: ["a"] }, { name: "x", owners: ["a"] });
  assert.deepEqual(added.splice(0), ["ns/a"], "an update with unchanged keys enqueues once");
  source.emitUpdate({ name: "x", owners: ["a"] }, { name: "x", owners: ["b", "c"] });
  assert.deepEqual(added.splice(0), ["ns/a", "ns/b", "ns/c"], "an update enqueues old and new keys");
  source.emitDelete({ name: "x", owners: ["c"] });
  assert.deepEqual(added.splice(0), ["ns/c"]);
  source.emitAdd({ name: "y", owners: [] });
  assert.deepEqual(added.splice(0), []);
  source.emitAdd({ name: "bad", owners: ["a"] });
  assert.deepEqual(added.splice(0), []);
  assert.ok(records().some((r) => r.level === "error" && r.event === "add"), "a failed mapping is logged");
  assert.equal(controller.queue.len(), 3);
});

Deno.test("watch() feeds events from several sources into one queue and stop() unsubscribes them all", async () => {
  const { controller, metrics, calls } = harness(() => Promise.resolve());
  const east = new FakeSource<string>();
  const west = new FakeSource<string>();
  controller.watch(east, (name) => [`east/${name}`]);
  controller.watch(west, (name) => [`west/${name}`]);
  controller.start();
  east.emitAdd("a");
  west.emitAdd("b");
  await metrics.finished.reach(2);
  assert.deepEqual(calls.sort(), ["east/a", "west/b"]);
  await controller.stop();
  assert.equal(east.handlers.size + west.handlers.size, 0);
});

Deno.test("watch() returns a release that unsubscribes that source only, once, and stop() does not repeat it", async () => {
  const { controller, metrics, calls } = harness(() => Promise.resolve());
  const old = new FakeSource<string>();
  const next = new FakeSource<string>();
  const releaseOld = controller.watch(old, (name) => [`old/${name}`]);
  controller.watch(next, (name) => [`next/${name}`]);
  assert.equal(controller.subscriptions, 2);
  releaseOld();
  releaseOld();
  assert.equal(old.handlers.size, 0);
  assert.equal(next.handlers.size, 1);
  assert.equal(controller.subscriptions, 1);
  controller.start();
  old.emitAdd("a");
  next.emitAdd("b");
  await metrics.finished.reach(1);
  assert.deepEqual(calls, ["next/b"]);
  await controller.stop();
  assert.equal(next.handlers.size, 0);
  assert.equal(controller.subscriptions, 0);
});

Deno.test("concurrency 4 runs 4 reconciles of distinct keys in parallel and never more", async () => {
  const gate = deferred();
  let running = 0;
  let maxRunning = 0;
  const started = new Tally();
  const { controller, metrics } = harness(async () => {
    running++;
    maxRunning = Math.max(maxRunning, running);
    started.bump();
    await gate.promise;
    running--;
  }, { concurrency: 4 });
  for (let i = 0; i < 10; i++) controller.enqueue(`ns/k${i}`);
  controller.start();
  await started.reach(4);
  assert.equal(running, 4);
  assert.equal(metrics.active, 4);
  assert.equal(metrics.maxConcurrent, 4);
  gate.resolve();
  await metrics.finished.reach(10);
  assert.equal(maxRunning, 4);
  assert.equal(metrics.active, 0);
  await controller.stop();
});

Deno.test("a key enqueued while it is reconciled runs again afterwards, never in parallel with itself", async () => {
  const gate = deferred();
  let running = 0;
  const started = new Tally();
  const { controller, metrics } = harness(async (_key, call) => {
    running++;
    assert.equal(running, 1);
    started.bump();
    if (call === 1) await gate.promise;
    running--;
  }, { concurrency: 4 });
  controller.enqueue("ns/a");
  controller.start();
  await started.reach(1);
  controller.enqueue("ns/a");
  controller.enqueue("ns/a");
  gate.resolve();
  await metrics.finished.reach(2);
  assert.deepEqual(metrics.outcomes, ["success", "success"]);
  await controller.stop();
});

Deno.test("stop() waits for running reconciles, starts no waiting key and ignores later enqueues", async () => {
  const gate = deferred();
  const started = new Tally();
  let signal: AbortSignal | undefined;
  const { controller, calls } = harness(async (_key, _call, ctx) => {
    signal = ctx.signal;
    started.bump();
    await gate.promise;
  }, { concurrency: 2 });
  controller.enqueue("a");
  controller.enqueue("b");
  controller.enqueue("waiting");
  controller.start();
  await started.reach(2);
  let stopped = false;
  const stopping = controller.stop().then(() => stopped = true);
  assert.equal(controller.running, false);
  controller.enqueue("late");
  await Promise.resolve();
  assert.equal(stopped, false);
  assert.equal(signal?.aborted, false, "the signal is aborted only after the timeout");
  gate.resolve();
  await stopping;
  assert.deepEqual(calls.sort(), ["a", "b"]);
});

Deno.test("stop() aborts the signal of reconciles still running at its timeout and waits for them", async () => {
  const { controller, metrics, called, records, clock } = harness((_key, _call, ctx) =>
    new Promise((_resolve, reject) => ctx.signal.addEventListener("abort", () => reject(ctx.signal.reason)))
  );
  controller.enqueue("slow");
  controller.start();
  await called.reach(1);
  const stopping = controller.stop(1000);
  await clock.tickAsync(999);
  assert.equal(metrics.finished.count, 0);
  await clock.tickAsync(1);
  await stopping;
  assert.deepEqual(metrics.outcomes, ["error"]);
  assert.ok(records().some((r) => r.level === "warn" && (r.keys as string[])?.includes("slow")));
  assert.equal(clock.timers(), 0);
});

Deno.test("stop() returns after a bounded grace when a reconcile ignores the abort signal", async () => {
  const { controller, called, records, clock } = harness(() => new Promise(() => {}));
  controller.enqueue("stuck");
  controller.start();
  await called.reach(1);
  const stopping = controller.stop(100);
  await clock.tickAsync(100 + 1000);
  await stopping;
  assert.ok(records().some((r) => r.level === "error" && /ignored the abort/.test(String(r.msg))));
  assert.equal(clock.timers(), 0);
});

Deno.test("a controller reports to the process Metrics under controller-runtime names", async () => {
  const processMetrics = new Metrics();
  const { logger } = memoryLog();
  const finished = new Tally();
  const real = processMetrics.controller("replicator");
  const controller = new Controller({
    name: "replicator",
    logger,
    concurrency: 3,
    metrics: {
      ...real,
      observeReconcile(outcome, seconds) {
        real.observeReconcile(outcome, seconds);
        finished.bump();
      },
    },
    reconcile: (key) => key === "bad" ? Promise.reject(new Error("boom")) : Promise.resolve(),
    queue: { baseDelayMs: 60_000, maxDelayMs: 60_000 },
  });
  controller.enqueue("good");
  controller.enqueue("bad");
  controller.start();
  await finished.reach(2);
  await controller.stop();
  const text = await processMetrics.text();
  assert.match(text, /^controller_runtime_reconcile_total\{controller="replicator",result="success"\} 1$/m);
  assert.match(text, /^controller_runtime_reconcile_total\{controller="replicator",result="error"\} 1$/m);
  assert.match(text, /^controller_runtime_reconcile_errors_total\{controller="replicator"\} 1$/m);
  assert.match(text, /^controller_runtime_max_concurrent_reconciles\{controller="replicator"\} 3$/m);
  assert.match(text, /^controller_runtime_active_workers\{controller="replicator"\} 0$/m);
  assert.match(text, /^controller_runtime_reconcile_time_seconds_count\{controller="replicator"\} 2$/m);
  assert.match(text, /^workqueue_adds_total\{name="replicator"\} 2$/m);
  assert.match(text, /^workqueue_retries_total\{name="replicator"\} 1$/m);
});

Deno.test("a controller rejects a concurrency that is not a positive integer", () => {
  const { logger } = memoryLog();
  for (const concurrency of [0, -1, 1.5]) {
    assert.throws(
      () => new Controller({ name: "x", logger, concurrency, reconcile: () => Promise.resolve() }),
      {
        name: "RangeError",
        message: `Cannot create controller "x": concurrency ${concurrency} is not a positive integer`,
      },
    );
  }
});

Deno.test("a controller cannot be started twice", async () => {
  const { controller } = harness(() => Promise.resolve());
  controller.start();
  assert.throws(() => controller.start(), /already started/);
  await controller.stop();
});

Deno.test("watch() with ignore drops the adds and updates it returns true for, never a delete", () => {
  interface Obj {
    name: string;
    rv: string;
  }
  const { controller } = harness(() => Promise.resolve());
  const source = new FakeSource<Obj>();
  const added = recordAdds(controller);
  const own = new Set(["7"]);
  controller.watch(source, (obj) => [`ns/${obj.name}`], { ignore: (obj) => own.has(obj.rv) });
  source.emitAdd({ name: "x", rv: "7" });
  assert.deepEqual(added.splice(0), [], "an add of the ignored object");
  source.emitAdd({ name: "y", rv: "8" });
  assert.deepEqual(added.splice(0), ["ns/y"]);
  source.emitUpdate({ name: "z", rv: "6" }, { name: "z", rv: "7" });
  assert.deepEqual(added.splice(0), [], "an update to the ignored object, whatever the old one");
  source.emitUpdate({ name: "z", rv: "7" }, { name: "z", rv: "9" });
  assert.deepEqual(added.splice(0), ["ns/z"], "an update from the ignored object to another");
  source.emitDelete({ name: "z", rv: "7" });
  assert.deepEqual(added.splice(0), ["ns/z"], "a delete is never ignored");
});
