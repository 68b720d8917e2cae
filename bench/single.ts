/**
 * `single`: one Replicator (the seed's sample under a new name and namespace)
 * created while the operator is idle, timed from the create request to
 * `status.synced` with every object present in primary, secondary1 and
 * secondary2. Repeated with distinct names, one at a time.
 *
 * @module
 */

import { CpuMeter } from "./cpu.ts";
import type { BenchOperator } from "./env.ts";
import { cloneSample, sleep } from "./sample.ts";
import { type BenchContext, FULLY_SYNCED, load1 } from "./scenario.ts";
import { summarize } from "./stats.ts";

/** Creates `count` clones one at a time, each after the previous is done; returns names and seconds each took. */
export async function createOneByOne(
  ctx: BenchContext,
  set: string,
  count: number,
  afterEach?: (name: string, index: number) => Promise<void>,
): Promise<{ names: string[]; seconds: number[] }> {
  const names: string[] = [];
  const seconds: number[] = [];
  for (let i = 0; i < count; i++) {
    const replicator = cloneSample(ctx.sample, set, i);
    const name = replicator.metadata.name;
    const started = performance.now();
    ctx.tracker.markCreated(name, replicator.spec.replicationNamespace, started);
    await ctx.env.primary.create(replicator);
    const done = await ctx.tracker.waitDone([name], FULLY_SYNCED, 60_000);
    seconds.push((done.get(name)! - started) / 1000);
    names.push(name);
    await afterEach?.(name, i);
    // Let the last Events and status write of this one finish before the next starts.
    await sleep(300);
  }
  return { names, seconds };
}

/** Runs `single` with an operator serving `set`; returns the names (drift edits their Deployments). */
export async function runSingle(ctx: BenchContext, operator: BenchOperator, set: string): Promise<string[]> {
  const load = load1();
  ctx.say(`single: ${ctx.sizes.samples} Replicators, one at a time`);
  const cpu = new CpuMeter({ operator: () => [operator.pid] }).start();
  const { names, seconds } = await createOneByOne(ctx, set, ctx.sizes.samples);
  const cpuSeconds = cpu.stop();
  const summary = summarize(seconds);
  ctx.rows.push({
    scenario: "single",
    metric: "create -> synced, objects in 3 clusters",
    unit: "s",
    summary,
    goal: "p50 < 0.5 s",
    pass: summary.median < 0.5,
    load,
  });
  ctx.details.single = {
    seconds,
    cpuSeconds,
    operatorCpuMsPerReplicator: Math.round((cpuSeconds.operator! / seconds.length) * 1000),
  };
  ctx.say(`single: median ${summary.median.toFixed(3)} s, p90 ${summary.p90.toFixed(3)} s`);
  return names;
}
