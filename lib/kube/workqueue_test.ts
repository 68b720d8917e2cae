import assert from "node:assert/strict";
import FakeTimers from "@sinonjs/fake-timers";
import { Metrics } from "./metrics.ts";
import { backoffDelayMs, type Clock, systemClock, TokenBucket, WorkQueue } from "./workqueue.ts";

interface FakeClock {
  clock: Clock;
  tick(ms: number): void;
  tickAsync(ms: number): Promise<void>;
  timers(): number;
}

function fakeClock(): FakeClock {
  const fake = FakeTimers.createClock(1_767_225_600_000);
  return {
    clock: {
      now: () => fake.now,
      setTimeout: (fn, ms) => fake.setTimeout(fn, ms),
      clearTimeout: (handle) => fake.clearTimeout(handle),
    },
    tick: (ms) => fake.tick(ms),
    tickAsync: async (ms) => {
      await fake.tickAsync(ms);
    },
    timers: () => fake.countTimers(),
  };
}

/** Lets pending promise callbacks run (no timers involved). */
async function flushMicrotasks(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve();
}

async function getAndDone(queue: WorkQueue): Promise<string | undefined> {
  const key = await queue.get();
  if (key !== undefined) queue.done(key);
  return key;
}

Deno.test("WorkQueue hands out keys in the order they were added", async () => {
  const queue = new WorkQueue({ name: "t" });
  for (const key of ["c", "a", "b"]) queue.add(key);
  assert.deepEqual([await getAndDone(queue), await getAndDone(queue), await getAndDone(queue)], [
    "c",
    "a",
    "b",
  ]);
});

Deno.test("WorkQueue does not hold a waiting key twice", async () => {
  const queue = new WorkQueue({ name: "t" });
  queue.add("a");
  queue.add("b");
  queue.add("a");
  assert.equal(queue.len(), 2);
  assert.deepEqual([await getAndDone(queue), await getAndDone(queue)], ["a", "b"]);
  assert.equal(queue.len(), 0);
});

Deno.test("WorkQueue re-queues a key added while it is processed only when it is done", async () => {
  const queue = new WorkQueue({ name: "t" });
  queue.add("a");
  const key = await queue.get();
  assert.equal(key, "a");
  queue.add("a");
  queue.add("a");
  assert.equal(queue.len(), 0, "an in-flight key must not be handed out again");
  queue.done("a");
  assert.equal(queue.len(), 1);
  assert.equal(await getAndDone(queue), "a");
  assert.equal(queue.len(), 0);
});

Deno.test("WorkQueue hands a key straight to a worker already waiting", async () => {
  const queue = new WorkQueue({ name: "t" });
  const waiting = queue.get();
  queue.add("a");
  assert.equal(queue.len(), 0);
  assert.equal(queue.inFlight(), 1);
  assert.equal(await waiting, "a");
});

Deno.test("WorkQueue never hands one key to two of 4 workers hammered by 1000 adds, and processes every last add", async () => {
  const queue = new WorkQueue({ name: "t" });
  const active = new Set<string>();
  let seq = 0;
  let maxParallel = 0;
  let processed = 0;
  const lastAdd = new Map<string, number>();
  const lastStart = new Map<string, number>();
  // A deterministic pseudo-random sequence keeps failures reproducible.
  let seed = 42;
  const random = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };

  const worker = async () => {
    for (;;) {
      const key = await queue.get();
      if (key === undefined) return;
      assert.ok(!active.has(key), `key ${key} was handed to two workers at once`);
      active.add(key);
      maxParallel = Math.max(maxParallel, active.size);
      lastStart.set(key, seq++);
      for (let i = random(4); i > 0; i--) await Promise.resolve();
      active.delete(key);
      processed++;
      queue.done(key);
    }
  };
  const workers = [worker(), worker(), worker(), worker()];

  for (let i = 0; i < 1000; i++) {
    const key = `k${random(10)}`;
    queue.add(key);
    lastAdd.set(key, seq++);
    for (let j = random(3); j > 0; j--) await Promise.resolve();
  }
  queue.shutDown();
  await Promise.all(workers);

  assert.ok(maxParallel > 1, "the workers should have run keys in parallel");
  assert.ok(processed < 1000, "adds of waiting keys should have been merged");
  for (const [key, addedAt] of lastAdd) {
    assert.ok((lastStart.get(key) ?? -1) > addedAt, `the last add of ${key} was never processed`);
  }
});

Deno.test("backoffDelayMs() doubles from the base delay and stops at the cap", () => {
  assert.deepEqual([0, 1, 2, 3, 4].map((n) => backoffDelayMs(n, 5, 1_000_000)), [5, 10, 20, 40, 80]);
  assert.equal(backoffDelayMs(18, 5, 1_000_000), 1_000_000);
  assert.equal(backoffDelayMs(5000, 5, 1_000_000), 1_000_000);
});

Deno.test("WorkQueue.addRateLimited() backs a failing key off 5, 10, 20, ... ms up to 1000 s", async () => {
  const { clock, tick } = fakeClock();
  const queue = new WorkQueue({ name: "t", clock });
  const observed: number[] = [];
  for (let failures = 0; failures < 21; failures++) {
    queue.addRateLimited("a");
    assert.equal(queue.numRequeues("a"), failures + 1);
    const expected = Math.min(5 * 2 ** failures, 1_000_000);
    tick(expected - 1);
    assert.equal(queue.len(), 0, `failure ${failures + 1} came back before ${expected} ms`);
    tick(1);
    assert.equal(queue.len(), 1, `failure ${failures + 1} did not come back after ${expected} ms`);
    observed.push(expected);
    assert.equal(await getAndDone(queue), "a");
  }
  assert.deepEqual(observed.slice(0, 5), [5, 10, 20, 40, 80]);
  assert.deepEqual(observed.slice(-3), [1_000_000, 1_000_000, 1_000_000]);
  queue.shutDown();
});

Deno.test("WorkQueue.forget() resets a key's backoff to the base delay", async () => {
  const { clock, tick } = fakeClock();
  const queue = new WorkQueue({ name: "t", clock });
  for (let i = 0; i < 3; i++) {
    queue.addRateLimited("a");
    tick(1000);
    await getAndDone(queue);
  }
  assert.equal(queue.numRequeues("a"), 3);
  queue.forget("a");
  assert.equal(queue.numRequeues("a"), 0);
  queue.addRateLimited("a");
  tick(5);
  assert.equal(queue.len(), 1);
  queue.shutDown();
});

Deno.test("TokenBucket lets a burst through and then spaces reservations at the rate", () => {
  const { clock, tick } = fakeClock();
  const bucket = new TokenBucket(10, 3, clock);
  assert.deepEqual([bucket.reserve(), bucket.reserve(), bucket.reserve()], [0, 0, 0]);
  assert.deepEqual([bucket.reserve(), bucket.reserve()], [100, 200]);
  tick(1000);
  // 10 tokens refilled, 2 owed: 3 (the burst) are available again.
  assert.deepEqual([bucket.reserve(), bucket.reserve(), bucket.reserve(), bucket.reserve()], [0, 0, 0, 100]);
});

Deno.test("WorkQueue's overall bucket (10 qps, burst 100) spreads a burst of 110 failing keys over a second", () => {
  const { clock, tick } = fakeClock();
  const queue = new WorkQueue({ name: "t", clock });
  for (let i = 0; i < 110; i++) queue.addRateLimited(`k${i}`);
  tick(5);
  assert.equal(queue.len(), 100, "the burst should pass after the per-key 5 ms");
  tick(94);
  assert.equal(queue.len(), 100);
  tick(1);
  assert.equal(queue.len(), 101);
  tick(900);
  assert.equal(queue.len(), 110);
  queue.shutDown();
});

Deno.test("WorkQueue.addAfter() keeps the sooner of two pending delays for a key", async () => {
  const { clock, tick, timers } = fakeClock();
  const queue = new WorkQueue({ name: "t", clock });
  queue.addAfter("a", 100);
  queue.addAfter("a", 50);
  queue.addAfter("b", 50);
  queue.addAfter("b", 100);
  assert.equal(timers(), 2, "a later delay must not add a second timer");
  tick(49);
  assert.equal(queue.len(), 0);
  tick(1);
  assert.equal(queue.len(), 2);
  assert.deepEqual([await getAndDone(queue), await getAndDone(queue)].sort(), ["a", "b"]);
  tick(100);
  assert.equal(queue.len(), 0, "the later delays must have been dropped");
  assert.equal(timers(), 0);
});

Deno.test("WorkQueue.addAfter() with no delay adds at once", () => {
  const queue = new WorkQueue({ name: "t", clock: fakeClock().clock });
  queue.addAfter("a", 0);
  queue.addAfter("b", -5);
  assert.equal(queue.len(), 2);
});

Deno.test("WorkQueue.addAfter() of a waiting key does not add it twice when the delay ends", () => {
  const { clock, tick } = fakeClock();
  const queue = new WorkQueue({ name: "t", clock });
  queue.add("a");
  queue.addAfter("a", 10);
  tick(10);
  assert.equal(queue.len(), 1);
});

Deno.test("WorkQueue.shutDown() releases waiting workers with undefined and ignores later adds", async () => {
  const queue = new WorkQueue({ name: "t" });
  const waiting = [queue.get(), queue.get()];
  queue.shutDown();
  assert.deepEqual(await Promise.all(waiting), [undefined, undefined]);
  assert.equal(queue.shuttingDown, true);
  queue.add("a");
  queue.addAfter("b", 10);
  queue.addRateLimited("c");
  assert.equal(queue.len(), 0);
  assert.equal(await queue.get(), undefined);
});

Deno.test("WorkQueue hands out keys still waiting at shutdown, then undefined", async () => {
  const queue = new WorkQueue({ name: "t" });
  queue.add("a");
  queue.shutDown();
  assert.equal(await getAndDone(queue), "a");
  assert.equal(await queue.get(), undefined);
});

Deno.test("WorkQueue.shutDown() cancels delayed adds so they cannot keep the process alive", () => {
  // The real timers, counted: Deno's test runner does not report a leaked timer itself.
  const live = new Set<unknown>();
  const clock: Clock = {
    now: systemClock.now,
    setTimeout: (fn, ms) => {
      const handle = systemClock.setTimeout(() => {
        live.delete(handle);
        fn();
      }, ms);
      live.add(handle);
      return handle;
    },
    clearTimeout: (handle) => {
      live.delete(handle);
      systemClock.clearTimeout(handle);
    },
  };
  const queue = new WorkQueue({ name: "t", clock });
  queue.addAfter("a", 60_000);
  queue.addRateLimited("b");
  assert.equal(live.size, 2);
  queue.shutDown();
  assert.equal(live.size, 0);
});

Deno.test("WorkQueue.shutDownWithDrain() waits for in-flight keys to be done", async () => {
  const queue = new WorkQueue({ name: "t" });
  queue.add("a");
  queue.add("b");
  const a = (await queue.get())!;
  const b = (await queue.get())!;
  let drained = false;
  const drain = queue.shutDownWithDrain().then((result) => {
    drained = true;
    return result;
  });
  queue.done(a);
  await flushMicrotasks();
  assert.equal(drained, false);
  queue.done(b);
  assert.equal(await drain, true);
});

Deno.test("WorkQueue.shutDownWithDrain() gives up after its timeout and leaves no timer", async () => {
  const { clock, tickAsync, timers } = fakeClock();
  const queue = new WorkQueue({ name: "t", clock });
  queue.add("stuck");
  await queue.get();
  const drain = queue.shutDownWithDrain(1000);
  await tickAsync(999);
  assert.equal(timers(), 1);
  await tickAsync(1);
  assert.equal(await drain, false);
  assert.equal(timers(), 0);
});

Deno.test("WorkQueue.shutDownWithDrain() resolves at once when nothing is in flight", async () => {
  const queue = new WorkQueue({ name: "t" });
  queue.add("waiting-but-not-in-flight");
  assert.equal(await queue.shutDownWithDrain(10), true);
});

Deno.test("WorkQueue reports depth, adds, retries and durations to its metrics", async () => {
  const { clock, tick } = fakeClock();
  const metrics = new Metrics();
  const queue = new WorkQueue({ name: "q", clock, metrics: metrics.queue("q") });
  queue.add("a");
  queue.add("a");
  queue.add("b");
  let text = await metrics.text();
  assert.match(text, /^workqueue_depth\{name="q"\} 2$/m);
  assert.match(text, /^workqueue_adds_total\{name="q"\} 2$/m);
  tick(250);
  const key = (await queue.get())!;
  tick(2000);
  text = await metrics.text();
  assert.match(text, /^workqueue_depth\{name="q"\} 1$/m);
  assert.match(text, /^workqueue_queue_duration_seconds_sum\{name="q"\} 0.25$/m);
  assert.match(text, /^workqueue_longest_running_processor_seconds\{name="q"\} 2$/m);
  queue.done(key);
  queue.addRateLimited("c");
  text = await metrics.text();
  assert.match(text, /^workqueue_work_duration_seconds_sum\{name="q"\} 2$/m);
  assert.match(text, /^workqueue_retries_total\{name="q"\} 1$/m);
  assert.match(text, /^workqueue_unfinished_work_seconds\{name="q"\} 0$/m);
  queue.shutDown();
});

Deno.test("WorkQueue rejects a max delay below the base delay", () => {
  assert.throws(() => new WorkQueue({ name: "t", baseDelayMs: 10, maxDelayMs: 5 }), RangeError);
});
