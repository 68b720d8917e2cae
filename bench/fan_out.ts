/**
 * `fan-out`: many Replicators (the sample's shape, each in its own namespace)
 * created at once, timed from the first create request to the last of them
 * synced with every object in all three clusters. Also counts the operator's
 * requests per Replicator at that scale, from its metrics.
 *
 * @module
 */

import { CpuMeter, pidsMentioning } from "./cpu.ts";
import type { BenchOperator } from "./env.ts";
import { CONTEXTS } from "./env.ts";
import { delta } from "./prometheus.ts";
import { cloneSample, createAll } from "./sample.ts";
import { type BenchContext, FULLY_SYNCED, load1, waitQuiet } from "./scenario.ts";
import { single, summarize } from "./stats.ts";

const GOAL_S = 30;

/** Requests per Replicator by cluster and method, from a metrics delta. */
export function perReplicator(
  counts: Map<string, number>,
  hosts: Map<string, string>,
  replicators: number,
): Record<string, Record<string, number>> {
  const out: Record<string, Record<string, number>> = {};
  for (const [key, value] of counts) {
    const [host, method] = key.split(" ") as [string, string];
    const context = hosts.get(host) ?? host;
    (out[context] ??= {})[method] = Math.round((value / replicators) * 100) / 100;
  }
  return out;
}

/** The Replicator controller's reconciles so far, from the operator's metrics text. */
export function reconciles(metrics: string): number {
  let total = 0;
  for (const m of metrics.matchAll(/^controller_runtime_reconcile_total\{([^}]*)\} (\S+)$/gm)) {
    if (m[1]!.includes('controller="replicator"')) total += Number(m[2]);
  }
  return total;
}

/** Runs `fan-out` with an operator serving `set`; returns the names. */
export async function runFanOut(
  ctx: BenchContext,
  operator: BenchOperator,
  set: string,
  count: number,
): Promise<string[]> {
  const load = load1();
  ctx.say(`fan-out: creating ${count} Replicators at once`);
  const replicators = Array.from({ length: count }, (_, i) => cloneSample(ctx.sample, set, i));
  const names = replicators.map((r) => r.metadata.name);
  const before = await operator.requests();
  const reconcilesBefore = reconciles(await operator.metrics());
  const cpu = new CpuMeter({
    operator: () => [operator.pid],
    "API servers + etcd": () => pidsMentioning(ctx.env.cp.dir),
    "benchmark (watches)": () => [Deno.pid],
  }).start();
  const started = performance.now();
  await createAll(ctx.env.primary, replicators, ctx.sizes.parallelCreates, (r, at) => {
    ctx.tracker.markCreated(r.metadata.name, r.spec.replicationNamespace, at);
  });
  const sentS = (performance.now() - started) / 1000;
  const done = await ctx.tracker.waitDone(names, FULLY_SYNCED, 20 * 60_000);
  const doneAt = [...done.values()];
  const totalS = (Math.max(...doneAt) - started) / 1000;
  const cpuSeconds = cpu.stop();
  const latencies = names.map((n) => (done.get(n)! - ctx.tracker.progress(n).createdAt!) / 1000);
  ctx.rows.push({
    scenario: "fan-out",
    metric: `${count} created at once -> all synced`,
    unit: "s",
    summary: single(totalS),
    goal: `< ${GOAL_S} s`,
    pass: totalS < GOAL_S,
    load,
  });
  ctx.rows.push({
    scenario: "fan-out",
    metric: "per Replicator: create -> synced",
    unit: "s",
    summary: summarize(latencies),
    goal: "",
    load,
  });
  for (const group of ["operator", "API servers + etcd", "benchmark (watches)", "other"]) {
    ctx.rows.push({
      scenario: "fan-out",
      metric: `CPU during fan-out: ${group === "other" ? "other processes on the machine" : group}`,
      unit: "s",
      summary: single(cpuSeconds[group] ?? 0),
      goal: "",
      load,
    });
  }
  // Requests of the creation, including the Events and status writes that trail the last sync.
  const trailing = await waitQuiet(operator, 3000, 60_000);
  const requests = delta(before, await operator.requests());
  const reconcilesPer = (reconciles(await operator.metrics()) - reconcilesBefore) / count;
  ctx.rows.push({
    scenario: "fan-out",
    metric: "reconciles per Replicator (metrics)",
    unit: "reconciles",
    summary: single(Math.round(reconcilesPer * 10) / 10),
    goal: "",
    load,
  });
  const per = perReplicator(requests, ctx.env.hosts, count);
  const writes = Object.values(per).reduce(
    (sum, m) => sum + (m.POST ?? 0) + (m.PUT ?? 0) + (m.PATCH ?? 0) + (m.DELETE ?? 0),
    0,
  );
  ctx.rows.push({
    scenario: "fan-out",
    metric: "writes per Replicator, 3 clusters (metrics)",
    unit: "requests",
    summary: single(Math.round(writes * 10) / 10),
    goal: "",
    load,
  });
  ctx.details.fanOut = {
    count,
    createRequestsSentS: sentS,
    totalS,
    cpuSeconds,
    latencies,
    trailingWrites: trailing,
    requestsPerReplicator: per,
    reconcilesPerReplicator: reconcilesPer,
    contexts: CONTEXTS,
  };
  ctx.say(`fan-out: ${count} synced after ${totalS.toFixed(1)} s (creates sent in ${sentS.toFixed(1)} s)`);
  return names;
}
