import assert from "node:assert/strict";
import { sleep } from "./sleep.ts";

Deno.test("sleep() resolves after the delay", async () => {
  const started = performance.now();
  await sleep(30);
  assert.ok(performance.now() - started >= 25);
});

Deno.test("sleep() resolves at once when the signal aborts, and clears its timer", async () => {
  const abort = new AbortController();
  const started = performance.now();
  const waiting = sleep(60_000, abort.signal);
  abort.abort();
  await waiting;
  assert.ok(performance.now() - started < 1000);
  await sleep(60_000, abort.signal); // already aborted: no wait
});
