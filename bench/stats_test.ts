import assert from "node:assert/strict";
import { median, p90, quantile, single, summarize } from "./stats.ts";

Deno.test("median() of an odd count is the middle sample, of an even count the mean of the middle two", () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.equal(median([7]), 7);
});

Deno.test("p90() interpolates between the two closest ranks", () => {
  const ten = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
  assert.equal(p90(ten), 9.1);
  assert.equal(p90([...ten].reverse()), 9.1, "order of the input does not matter");
  assert.equal(p90([5, 5, 5]), 5);
  assert.equal(p90([1, 101]), 91);
});

Deno.test("quantile() at 0 and 1 is the min and the max", () => {
  assert.equal(quantile([9, 2, 5], 0), 2);
  assert.equal(quantile([9, 2, 5], 1), 9);
});

Deno.test("summarize() reports n, min, median, p90, max and mean without changing its input", () => {
  const samples = [0.31, 0.28, 0.45, 0.3];
  const s = summarize(samples);
  assert.equal(s.n, 4);
  assert.equal(s.min, 0.28);
  assert.ok(Math.abs(s.median - 0.305) < 1e-12);
  assert.ok(Math.abs(s.p90 - 0.408) < 1e-12);
  assert.equal(s.max, 0.45);
  assert.ok(Math.abs(s.mean - 0.335) < 1e-12);
  assert.deepEqual(samples, [0.31, 0.28, 0.45, 0.3], "input left unsorted");
});

Deno.test("single() is a summary where median, p90 and max are the value", () => {
  assert.deepEqual(single(12.5), { n: 1, min: 12.5, median: 12.5, p90: 12.5, max: 12.5, mean: 12.5 });
});

Deno.test("summarize() and quantile() refuse empty input, non-finite samples and q outside 0..1", () => {
  assert.throws(() => summarize([]), RangeError);
  assert.throws(() => median([]), /no samples/);
  assert.throws(() => summarize([1, Number.NaN]), /NaN is not a finite number/);
  assert.throws(() => summarize([1, Infinity]), RangeError);
  assert.throws(() => quantile([1, 2], 1.5), /expected a number in 0\.\.1/);
  assert.throws(() => quantile([1, 2], -0.1), RangeError);
});
