/**
 * `restart`: with the fan-out's Replicators synced, the operator is stopped and a new one started; measured
 * from just before the spawn: its readiness (`/readyz` of its health-probe server answering 200), and the
 * moment every Replicator has been reconciled (the replicator controller's
 * `controller_runtime_reconcile_total` without `error` reaching the number of Replicators, and its
 * `workqueue_depth` 0). Its writes over that time are counted (`rest_client_requests_total`): a restart
 * with everything in sync must write nothing.
 *
 * @module
 */

import { parseMetrics } from "./prometheus.ts";
import { sleep } from "./sample.ts";
import { type BenchContext, load1 } from "./scenario.ts";
import { single } from "./stats.ts";

/** Reconciles of the replicator controller that did not fail, and its queue's depth, from a metrics text. */
export function replicatorProgress(text: string): { reconciled: number; depth: number } {
  let reconciled = 0;
  for (const s of parseMetrics(text, "controller_runtime_reconcile_total")) {
    if (s.labels.controller === "replicator" && s.labels.result !== "error") reconciled += s.value;
  }
  const depth = parseMetrics(text, "workqueue_depth").find((s) => s.labels.name === "replicator")?.value ?? 0;
  return { reconciled, depth };
}

/** Runs `restart` against the Replicators of `set` (already synced by the stopped operator). */
export async function runRestart(ctx: BenchContext, set: string, replicators: number): Promise<void> {
  const load = load1();
  ctx.say(`restart: starting a new operator for ${replicators} synced Replicators`);
  const started = performance.now();
  const operator = await ctx.env.startOperator(set);
  let readyS: number | undefined;
  let doneS: number | undefined;
  let writes = 0;
  try {
    const probes = await operator.process.port("health probes");
    const deadline = started + 120_000;
    while (performance.now() < deadline && doneS === undefined) {
      if (readyS === undefined && await isReady(probes)) readyS = (performance.now() - started) / 1000;
      const text = await operator.metrics().catch(() => "");
      const { reconciled, depth } = replicatorProgress(text);
      if (readyS !== undefined && reconciled >= replicators && depth === 0) {
        doneS = (performance.now() - started) / 1000;
      }
      if (doneS === undefined) await sleep(25);
    }
    await sleep(2000);
    writes = await operator.writes();
  } finally {
    await ctx.env.stopOperator(operator);
  }
  if (doneS === undefined) throw new Error(`restart: not every Replicator was reconciled within 120 s`);
  ctx.rows.push({
    scenario: "restart",
    metric: "operator start -> ready",
    unit: "s",
    summary: single(readyS!),
    goal: "",
    load,
  });
  ctx.rows.push({
    scenario: "restart",
    metric: `start -> all ${replicators} reconciled, 0 writes`,
    unit: "s",
    summary: single(doneS),
    goal: "<= 3 s (#18)",
    pass: doneS <= 3 && writes === 0,
    load,
    note: `${writes} writes`,
  });
  ctx.rows.push({
    scenario: "restart",
    metric: "operator writes during the restart",
    unit: "requests",
    summary: single(writes),
    goal: "0",
    pass: writes === 0,
    load,
  });
  ctx.details.restart = { readyS, doneS, writes };
  ctx.say(
    `restart: ready after ${readyS?.toFixed(2)} s, all reconciled after ${
      doneS.toFixed(2)
    } s, ${writes} writes`,
  );
}

async function isReady(port: number): Promise<boolean> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/readyz`);
    await response.body?.cancel();
    return response.ok;
  } catch {
    return false;
  }
}
