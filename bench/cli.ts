/**
 * `cli`: wall time of `plumberctl view` (`deno run -A cli/plumberctl.ts view`)
 * as a user runs it, warm: after `activate` in a temporary HOME, with Deno's
 * module cache where it already is (a new HOME would otherwise move DENO_DIR
 * and make every run cold).
 *
 * @module
 */

import { detectorName } from "./env.ts";
import { denoDir, timedPlumberctl } from "./plumberctl.ts";
import { sleep, waitClustersRunning } from "./sample.ts";
import { type BenchContext, load1 } from "./scenario.ts";
import { summarize } from "./stats.ts";

const GOAL_MS = 400;
/** Runs `cli`. The ClusterDetectors must exist, so an operator runs meanwhile if none does. */
export async function runCli(ctx: BenchContext): Promise<void> {
  const home = await Deno.makeTempDir({ prefix: "plumber-bench-home-" });
  const operator = await ctx.env.startOperator("cli");
  try {
    await waitClustersRunning(ctx.env.primary, ["primary", "secondary1", "secondary2"].map(detectorName));
    const env = { HOME: home, DENO_DIR: await denoDir() };
    await timedPlumberctl(
      ["activate", "--path", ctx.env.cp.kubeconfigPath, "--activate-context", "primary"],
      env,
    );
    // One unmeasured run: the first after activate may still fill Deno's caches.
    const first = await timedPlumberctl(["view"], env);
    const rows = first.out.trim().split("\n").length - 1;
    if (rows !== 3) throw new Error(`plumberctl view listed ${rows} clusters, expected 3:\n${first.out}`);
    await sleep(200);
    const load = load1();
    ctx.say(`cli: ${ctx.sizes.cliRuns} runs of plumberctl view`);
    const ms: number[] = [];
    for (let i = 0; i < ctx.sizes.cliRuns; i++) ms.push((await timedPlumberctl(["view"], env)).ms);
    const summary = summarize(ms);
    ctx.rows.push({
      scenario: "cli",
      metric: "plumberctl view wall time, warm",
      unit: "ms",
      summary,
      goal: `p50 < ${GOAL_MS} ms`,
      pass: summary.median < GOAL_MS,
      load,
    });
    ctx.details.cli = { ms, firstMs: first.ms };
    ctx.say(`cli: median ${summary.median.toFixed(0)} ms`);
  } finally {
    await ctx.env.stopOperator(operator);
    await Deno.remove(home, { recursive: true }).catch(() => {});
  }
}
