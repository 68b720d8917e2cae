/**
 * `memory`: the operator's resident memory, from `/proc/<pid>/status` of the
 * operator process (the deno process running main.ts): VmHWM, the peak since
 * it started, at the end of `fan-out`, and VmRSS sampled before the fan-out
 * and while it sits idle afterwards (steady: the second half of that window,
 * once V8 has collected the fan-out's garbage).
 *
 * @module
 */

import { readRss } from "./env.ts";
import { type BenchContext, load1 } from "./scenario.ts";
import { summarize } from "./stats.ts";

const GOAL_MIB = 128;

/** Samples VmRSS/VmHWM of a process on an interval. */
export class RssSampler {
  readonly samples: { at: number; rssKiB: number; hwmKiB: number }[] = [];
  #timer?: ReturnType<typeof setInterval>;

  constructor(readonly pid: number, readonly intervalMs = 250) {}

  start(): this {
    this.#sample();
    this.#timer = setInterval(() => this.#sample(), this.intervalMs);
    return this;
  }

  stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    this.#sample();
  }

  /** VmRSS samples in MiB. */
  get rssMiB(): number[] {
    return this.samples.map((s) => s.rssKiB / 1024);
  }

  /** The last VmHWM (peak since the process started), in MiB. */
  get peakMiB(): number {
    return (this.samples.at(-1)?.hwmKiB ?? 0) / 1024;
  }

  #sample(): void {
    const rss = readRss(this.pid);
    if (rss) this.samples.push({ at: performance.now(), ...rss });
  }
}

/** Adds the memory rows from samplers taken before, during and after the fan-out. */
export function memoryRows(
  ctx: BenchContext,
  replicators: number,
  before: RssSampler,
  during: RssSampler,
  after: RssSampler,
): void {
  const load = load1();
  const beforeMiB = summarize(before.rssMiB);
  ctx.rows.push({
    scenario: "memory",
    metric: "RSS idle before fan-out, 0 Replicators",
    unit: "MiB",
    summary: beforeMiB,
    goal: "",
    load,
  });
  const peak = Math.max(during.peakMiB, after.peakMiB);
  ctx.rows.push({
    scenario: "memory",
    metric: `peak RSS (VmHWM) through fan-out of ${replicators}`,
    unit: "MiB",
    summary: summarize([peak]),
    goal: `< ${GOAL_MIB} MiB`,
    pass: peak < GOAL_MIB,
    load,
  });
  // Right after the fan-out the heap still holds its garbage until V8 collects and shrinks it;
  // steady is the second half of the window after it.
  const settled = after.rssMiB.slice(Math.floor(after.rssMiB.length / 2));
  const steady = summarize(settled);
  const belowGoalAt = after.samples.find((s) => s.rssKiB / 1024 < GOAL_MIB)?.at;
  ctx.rows.push({
    scenario: "memory",
    metric: `steady RSS after fan-out, ${replicators} synced`,
    unit: "MiB",
    summary: steady,
    goal: `< ${GOAL_MIB} MiB`,
    pass: steady.max < GOAL_MIB,
    load,
  });
  ctx.details.memory = {
    beforeMiB,
    duringMiB: summarize(during.rssMiB),
    peakMiB: peak,
    steadyMiB: steady,
    afterMiB: summarize(after.rssMiB),
    belowGoalAfterS: belowGoalAt === undefined ? null : (belowGoalAt - after.samples[0]!.at) / 1000,
    afterSeries: after.samples.map((s) => [Math.round(s.at), s.rssKiB]),
    duringSeries: during.samples.map((s) => [Math.round(s.at), s.rssKiB]),
  };
  ctx.say(`memory: peak ${peak.toFixed(1)} MiB, steady median ${steady.median.toFixed(1)} MiB`);
}
