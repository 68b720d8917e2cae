/**
 * `outage`: a fan-out with secondary2's kube-apiserver stopped, timed until
 * primary and secondary1 are fully synced for every Replicator (their objects
 * there, and `status.clusters[].ready` for both), against the same fan-out
 * with every cluster up. Two ways to lose a cluster:
 * - `running`: secondary2 dies under an operator whose caches of it are synced;
 * - `restart`: the operator starts while secondary2 is already down.
 *
 * On a shared machine one run says little (other people's load moves it by
 * more than 20 %), so rounds of (no outage, running, restart) are interleaved
 * and medians compared.
 *
 * @module
 */

import { CpuMeter, pidsMentioning } from "./cpu.ts";
import { detectorName } from "./env.ts";
import { cloneSample, createAll, waitClustersRunning } from "./sample.ts";
import { type BenchContext, load1 } from "./scenario.ts";
import { summarize } from "./stats.ts";
import type { DoneWhen } from "./tracker.ts";

/** Allowed slowdown against the run without an outage. */
const GOAL_RATIO = 1.2;

const HEALTHY_SIDE: DoneWhen = {
  objectsIn: ["primary", "secondary1"],
  readyClusters: [detectorName("primary"), detectorName("secondary1")],
};

interface OutageRun {
  /** Until the objects of every Replicator were in primary and secondary1. */
  objectsS: number;
  /** Until every status said primary and secondary1 were ready. */
  statusS: number;
  latencies: number[];
  cpuSeconds: Record<string, number>;
  load: number;
}

type Kill = "none" | "running" | "restart";

async function fanOut(ctx: BenchContext, set: string, kill: Kill): Promise<OutageRun> {
  const count = ctx.sizes.outageReplicators;
  const all = ["primary", "secondary1", "secondary2"].map(detectorName);
  const load = load1();
  if (kill === "restart") await ctx.env.cp.stopApiServer("secondary2");
  const operator = await ctx.env.startOperator(set);
  try {
    await waitClustersRunning(ctx.env.primary, kill === "restart" ? all.slice(0, 2) : all);
    await operator.waitWarm();
    if (kill === "running") await ctx.env.cp.stopApiServer("secondary2");
    const replicators = Array.from({ length: count }, (_, i) => cloneSample(ctx.sample, set, i));
    const names = replicators.map((r) => r.metadata.name);
    const cpu = new CpuMeter({
      operator: () => [operator.pid],
      "API servers + etcd": () => pidsMentioning(ctx.env.cp.dir),
    }).start();
    const started = performance.now();
    await createAll(ctx.env.primary, replicators, ctx.sizes.parallelCreates, (r, at) => {
      ctx.tracker.markCreated(r.metadata.name, r.spec.replicationNamespace, at);
    });
    const done = await ctx.tracker.waitDone(names, HEALTHY_SIDE, 15 * 60_000);
    const cpuSeconds = cpu.stop();
    const objects = names.map((n) => ctx.tracker.doneAt(n, { objectsIn: HEALTHY_SIDE.objectsIn })!);
    const status = names.map((n) =>
      ctx.tracker.doneAt(n, { objectsIn: [], readyClusters: HEALTHY_SIDE.readyClusters })!
    );
    return {
      objectsS: (Math.max(...objects) - started) / 1000,
      statusS: (Math.max(...status) - started) / 1000,
      latencies: names.map((n) => (done.get(n)! - ctx.tracker.progress(n).createdAt!) / 1000),
      cpuSeconds,
      load,
    };
  } finally {
    await ctx.env.stopOperator(operator);
    if (kill !== "none") await ctx.env.cp.startApiServer("secondary2");
  }
}

/** Runs rounds of the baseline and each outage variant. */
export async function runOutage(ctx: BenchContext): Promise<void> {
  const count = ctx.sizes.outageReplicators;
  const kinds: Kill[] = ["none", ...ctx.sizes.outageVariants];
  const runs = new Map<Kill, OutageRun[]>(kinds.map((k) => [k, []]));
  for (let round = 1; round <= ctx.sizes.outageRounds; round++) {
    for (const kill of kinds) {
      const what = {
        none: "every cluster up",
        running: "secondary2 dies under the operator",
        restart: "operator starts, secondary2 down",
      }[kill];
      ctx.say(`outage round ${round}/${ctx.sizes.outageRounds}: fan-out of ${count}, ${what}`);
      const run = await fanOut(ctx, `outage-${kill === "none" ? "base" : kill}-${round}`, kill);
      ctx.say(`outage (${kill}): objects ${run.objectsS.toFixed(1)} s, status ${run.statusS.toFixed(1)} s`);
      runs.get(kill)!.push(run);
    }
  }
  const base = runs.get("none")!;
  const baseObjects = summarize(base.map((r) => r.objectsS));
  const baseStatus = summarize(base.map((r) => r.statusS));
  const loadOf = (rs: OutageRun[]) => summarize(rs.map((r) => r.load)).median;
  ctx.rows.push({
    scenario: "outage",
    metric: `no outage: ${count} -> objects in primary+secondary1`,
    unit: "s",
    summary: baseObjects,
    goal: "",
    load: loadOf(base),
  });
  ctx.rows.push({
    scenario: "outage",
    metric: `no outage: ${count} -> status ready primary+secondary1`,
    unit: "s",
    summary: baseStatus,
    goal: "",
    load: loadOf(base),
  });
  for (const variant of ctx.sizes.outageVariants) {
    const rs = runs.get(variant)!;
    for (
      const [metric, summary, baseline] of [
        ["objects in primary+secondary1", summarize(rs.map((r) => r.objectsS)), baseObjects],
        ["status ready primary+secondary1", summarize(rs.map((r) => r.statusS)), baseStatus],
      ] as const
    ) {
      ctx.rows.push({
        scenario: `outage (${variant})`,
        metric: `${count} -> ${metric}`,
        unit: "s",
        summary,
        goal: `p50 <= ${GOAL_RATIO} x ${baseline.median.toFixed(1)} s`,
        pass: summary.median <= baseline.median * GOAL_RATIO,
        load: loadOf(rs),
        note: `${Math.round((summary.median / baseline.median - 1) * 100)} % vs no outage`,
      });
    }
  }
  ctx.details.outage = Object.fromEntries(
    [...runs].map(([kill, rs]) => [kill, rs.map((r) => ({ ...r, latencies: summarize(r.latencies) }))]),
  );
}
