/**
 * What every scenario gets: the environment, the tracker, the sample, the
 * sizes, and the result table to add rows to.
 *
 * @module
 */

import type { BenchEnv, BenchOperator, Say } from "./env.ts";
import { CONTEXTS } from "./env.ts";
import type { Row } from "./report.ts";
import { loadAverage } from "./report.ts";
import type { loadSample } from "./sample.ts";
import { sleep } from "./sample.ts";
import type { DoneWhen, Tracker } from "./tracker.ts";

/** How big each scenario is. */
export interface Sizes {
  /** Samples of `single` and of `drift`. */
  samples: number;
  /** Replicators created at once by `fan-out` (also what `idle` and `memory` run with). */
  replicators: number;
  /** Length of the `idle` window. */
  idleSeconds: number;
  /** Replicators per `outage` run. */
  outageReplicators: number;
  /** `running`: secondary2 dies under a running operator; `restart`: the operator starts while it is down. */
  outageVariants: Array<"running" | "restart">;
  /** Rounds of (no outage, each variant), compared by median. */
  outageRounds: number;
  /** `plumberctl view` runs. */
  cliRuns: number;
  /** Replicators created one by one with the request log on. */
  requestSamples: number;
  /** Create requests the benchmark sends at once. */
  parallelCreates: number;
}

/** Sizes of `--size large` (the default, the sizes) and `--size small` (CI-like time). */
export const SIZES: Record<"small" | "large", Sizes> = {
  large: {
    samples: 20,
    replicators: 200,
    idleSeconds: 60,
    outageReplicators: 50,
    outageVariants: ["running", "restart"],
    outageRounds: 3,
    cliRuns: 7,
    requestSamples: 3,
    parallelCreates: 16,
  },
  small: {
    samples: 5,
    replicators: 20,
    idleSeconds: 10,
    outageReplicators: 10,
    outageVariants: ["running", "restart"],
    outageRounds: 1,
    cliRuns: 5,
    requestSamples: 2,
    parallelCreates: 16,
  },
};

/** Shared by every scenario. */
export interface BenchContext {
  env: BenchEnv;
  tracker: Tracker;
  sample: Awaited<ReturnType<typeof loadSample>>;
  sizes: Sizes;
  say: Say;
  rows: Row[];
  details: Record<string, unknown>;
}

/** Done = every object in all three clusters and `status.synced` for the current generation. */
export const FULLY_SYNCED: DoneWhen = { objectsIn: [...CONTEXTS], synced: true };

/** The 1-minute load average now. */
export function load1(): number {
  return loadAverage()[0]!;
}

/**
 * Waits until the operator's write counter has not moved for `quietMs` (at most
 * `maxMs`); returns the writes seen meanwhile. In-flight Events and status
 * writes of the last reconciles end before an idle window starts.
 */
export async function waitQuiet(operator: BenchOperator, quietMs: number, maxMs: number): Promise<number> {
  const first = await operator.writes();
  let last = first;
  let since = performance.now();
  const deadline = performance.now() + maxMs;
  while (performance.now() < deadline) {
    await sleep(250);
    const now = await operator.writes();
    if (now !== last) {
      last = now;
      since = performance.now();
    } else if (performance.now() - since >= quietMs) break;
  }
  return last - first;
}
