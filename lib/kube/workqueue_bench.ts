/**
 * Throughput of the controller machinery with a no-op reconcile:
 * `deno bench lib/kube/workqueue_bench.ts`; keys/second = KEYS / (time per iteration).
 */

import { createLogger } from "../log.ts";
import { Controller } from "./controller.ts";
import type { ControllerMetrics } from "./metrics.ts";
import { WorkQueue } from "./workqueue.ts";

const KEYS = 10_000;
const keys = Array.from({ length: KEYS }, (_, i) => `namespace-${i % 50}/object-${i}`);

async function reconcileAll(concurrency: number): Promise<void> {
  let finished = 0;
  let allDone!: () => void;
  const done = new Promise<void>((resolve) => allDone = resolve);
  const metrics: ControllerMetrics = {
    observeReconcile() {
      if (++finished === KEYS) allDone();
    },
    addActiveWorkers() {},
    setMaxConcurrentReconciles() {},
  };
  const controller = new Controller({
    name: "bench",
    concurrency,
    logger: createLogger({ write: () => {} }),
    metrics,
    reconcile: () => Promise.resolve(),
  });
  for (const key of keys) controller.enqueue(key);
  controller.start();
  await done;
  await controller.stop();
}

Deno.bench(
  `Controller reconciles ${KEYS} keys with a no-op reconcile, 1 worker`,
  { group: "controller" },
  async () => {
    await reconcileAll(1);
  },
);

Deno.bench(
  `Controller reconciles ${KEYS} keys with a no-op reconcile, 4 workers`,
  { group: "controller" },
  async () => {
    await reconcileAll(4);
  },
);

Deno.bench(`WorkQueue add, get and done of ${KEYS} keys`, { group: "queue" }, async () => {
  const queue = new WorkQueue({ name: "bench" });
  for (const key of keys) queue.add(key);
  for (let i = 0; i < KEYS; i++) queue.done((await queue.get())!);
});
