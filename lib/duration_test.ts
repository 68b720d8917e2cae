import assert from "node:assert/strict";
import { formatDuration, parseDuration } from "./duration.ts";

Deno.test("parseDuration() reads single and compound Go-style durations", () => {
  assert.equal(parseDuration("500ms"), 500);
  assert.equal(parseDuration("10s"), 10_000);
  assert.equal(parseDuration("1.5s"), 1500);
  assert.equal(parseDuration("1m30s"), 90_000);
  assert.equal(parseDuration(" 2h "), 7_200_000);
});

Deno.test("parseDuration() refuses what is not a positive duration", () => {
  for (const text of ["", "10", "s", "-1s", "0s", "1d", "ten seconds", "1s 2s"]) {
    assert.equal(parseDuration(text), undefined, text);
  }
});

Deno.test("formatDuration() writes what parseDuration() reads", () => {
  for (const ms of [250, 1000, 60_000, 90_000, 3_600_000, 3_661_000]) {
    assert.equal(parseDuration(formatDuration(ms)), ms);
  }
});
