/**
 * Summary statistics of benchmark samples: median, p90 and max (plus min and
 * mean for the JSON), so every scenario reports its numbers the same way.
 *
 * Percentiles interpolate linearly between the two closest ranks (what
 * NumPy's default and most spreadsheets do): the p90 of 10 samples lies
 * between the 9th and the 10th.
 *
 * @example
 * ```ts
 * summarize([0.31, 0.28, 0.45, 0.30]); // { n: 4, min: 0.28, median: 0.305, p90: 0.408, max: 0.45, mean: 0.335 }
 * ```
 *
 * @module
 */

/** What every measured quantity reports. */
export interface Summary {
  n: number;
  min: number;
  median: number;
  p90: number;
  max: number;
  mean: number;
}

/**
 * The `q`-quantile (0..1) of samples, interpolating between the closest ranks.
 *
 * @throws {RangeError} when there are no samples, a sample is not a finite number, or `q` is outside 0..1.
 */
export function quantile(samples: readonly number[], q: number): number {
  if (!(q >= 0 && q <= 1)) throw new RangeError(`Cannot compute quantile ${q}: expected a number in 0..1`);
  const sorted = sortedFinite(samples, "quantile");
  const position = (sorted.length - 1) * q;
  const lower = Math.floor(position);
  const upper = Math.ceil(position);
  const a = sorted[lower]!;
  const b = sorted[upper]!;
  return a + (b - a) * (position - lower);
}

/** The median (0.5-quantile). */
export function median(samples: readonly number[]): number {
  return quantile(samples, 0.5);
}

/** The 90th percentile. */
export function p90(samples: readonly number[]): number {
  return quantile(samples, 0.9);
}

/**
 * n, min, median, p90, max and mean of samples.
 *
 * @throws {RangeError} when there are no samples or one is not a finite number.
 */
export function summarize(samples: readonly number[]): Summary {
  const sorted = sortedFinite(samples, "summarize");
  return {
    n: sorted.length,
    min: sorted[0]!,
    median: quantile(sorted, 0.5),
    p90: quantile(sorted, 0.9),
    max: sorted[sorted.length - 1]!,
    mean: sorted.reduce((sum, x) => sum + x, 0) / sorted.length,
  };
}

/** A single value as a summary (a total measured once: median = p90 = max). */
export function single(value: number): Summary {
  return summarize([value]);
}

function sortedFinite(samples: readonly number[], what: string): number[] {
  if (samples.length === 0) throw new RangeError(`Cannot ${what} no samples`);
  const bad = samples.find((x) => typeof x !== "number" || !Number.isFinite(x));
  if (bad !== undefined) throw new RangeError(`Cannot ${what} samples: ${bad} is not a finite number`);
  return [...samples].sort((a, b) => a - b);
}
