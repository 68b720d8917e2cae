import assert from "node:assert/strict";
import { mapLimit, settleAll } from "./async.ts";

Deno.test("mapLimit() keeps the order and never runs more than the limit at once", async () => {
  let running = 0;
  let most = 0;
  const out = await mapLimit([5, 1, 4, 2, 3], 2, async (n) => {
    running++;
    most = Math.max(most, running);
    await new Promise((resolve) => setTimeout(resolve, n));
    running--;
    return n * 10;
  });
  assert.deepEqual(out, [50, 10, 40, 20, 30]);
  assert.equal(most, 2);
});

Deno.test("settleAll() waits for every promise, then throws the first error", async () => {
  let finished = false;
  const slow = new Promise<number>((resolve) => setTimeout(() => (finished = true, resolve(1)), 20));
  await assert.rejects(settleAll([Promise.reject(new Error("first")), slow]), /first/);
  assert.equal(finished, true);
});
