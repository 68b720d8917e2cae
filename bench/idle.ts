/**
 * `idle`: with every fan-out Replicator synced, the operator's write requests
 * over a window, counted twice: on the client side (the operator's
 * `rest_client_requests_total`) and on the server side (every kube-apiserver's
 * own `apiserver_request_total`, before and after, with nothing else writing:
 * the benchmark's control plane runs no controller manager, and the only
 * writes of the API servers themselves are their identity Lease renewals,
 * reported apart).
 *
 * @module
 */

import type { BenchOperator } from "./env.ts";
import { CONTEXTS } from "./env.ts";
import { apiserverWrites, delta, total, WRITE_METHODS } from "./prometheus.ts";
import { sleep } from "./sample.ts";
import { type BenchContext, load1, waitQuiet } from "./scenario.ts";
import { single } from "./stats.ts";

async function serverWrites(ctx: BenchContext): Promise<Map<string, Map<string, number>>> {
  const out = new Map<string, Map<string, number>>();
  await Promise.all(CONTEXTS.map(async (context) => {
    out.set(context, apiserverWrites(await ctx.env.client(context).getText("/metrics")));
  }));
  return out;
}

/** Runs `idle` for `seconds` with the fan-out operator. */
export async function runIdle(ctx: BenchContext, operator: BenchOperator, seconds: number): Promise<void> {
  const settleStarted = performance.now();
  const settleWrites = await waitQuiet(operator, 5000, 60_000);
  const settleS = (performance.now() - settleStarted) / 1000;
  const load = load1();
  ctx.say(
    `idle: ${seconds} s window (settled after ${settleS.toFixed(1)} s, ${settleWrites} writes meanwhile)`,
  );
  const clientBefore = await operator.requests();
  const serverBefore = await serverWrites(ctx);
  await sleep(seconds * 1000);
  const clientAfter = await operator.requests();
  const serverAfter = await serverWrites(ctx);

  const client = delta(clientBefore, clientAfter);
  let clientWrites = 0;
  let clientReads = 0;
  for (const [key, value] of client) {
    if (WRITE_METHODS.has(key.split(" ")[1]!)) clientWrites += value;
    else clientReads += value;
  }
  const server: Record<string, Record<string, number>> = {};
  let serverOperatorWrites = 0;
  let leaseWrites = 0;
  for (const context of CONTEXTS) {
    const d = delta(serverBefore.get(context)!, serverAfter.get(context)!);
    server[context] = Object.fromEntries(d);
    for (const [key, value] of d) {
      // The API servers renew their own identity Leases every 10 s; the operator (no --leader-elect) writes none.
      if (key.endsWith(" leases")) leaseWrites += value;
      else serverOperatorWrites += value;
    }
  }
  ctx.rows.push({
    scenario: "idle",
    metric: `operator writes in ${seconds} s (client metrics)`,
    unit: "requests",
    summary: single(clientWrites),
    goal: "0",
    pass: clientWrites === 0,
    load,
  });
  ctx.rows.push({
    scenario: "idle",
    metric: `API server writes in ${seconds} s, w/o own Leases`,
    unit: "requests",
    summary: single(serverOperatorWrites),
    goal: "0",
    pass: serverOperatorWrites === 0,
    load,
    note: `${leaseWrites} Lease renewals by the API servers themselves`,
  });
  ctx.rows.push({
    scenario: "idle",
    metric: `operator reads in ${seconds} s (client metrics)`,
    unit: "requests",
    summary: single(clientReads),
    goal: "",
    load,
  });
  ctx.details.idle = {
    seconds,
    settleS,
    settleWrites,
    client: Object.fromEntries(client),
    clientTotal: total(client),
    server,
    leaseWrites,
  };
  ctx.say(
    `idle: ${clientWrites} writes (client), ${serverOperatorWrites} (servers, + ${leaseWrites} Leases)`,
  );
}
