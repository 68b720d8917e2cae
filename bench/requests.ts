/**
 * `requests`: API requests one Replicator (the sample) costs, per cluster,
 * during its creation and at steady state. Writes come from the operator's
 * request log (`--log-level debug`: one "Write request" line with method and
 * path per write), so each is attributed to what it is; reads from the
 * operator's `rest_client_requests_total` (cluster probes are switched off
 * with `--probe-interval 1h`, after the first, so every GET counted is the
 * Replicator's). Replicators are created one at a time, each window closed
 * when the operator has been quiet for 1.5 s.
 *
 * The physical floor per Replicator: one apply per object per cluster (6 for
 * the sample) and one namespace create per cluster; in the primary also one
 * status write, one finalizer update and one TLS Secret apply.
 *
 * @module
 */

import type { BenchOperator } from "./env.ts";
import { CONTEXTS } from "./env.ts";
import { delta } from "./prometheus.ts";
import { SAMPLE_OBJECTS_PER_CLUSTER, sleep } from "./sample.ts";
import { type BenchContext, load1 } from "./scenario.ts";
import { createOneByOne } from "./single.ts";
import { summarize } from "./stats.ts";

/** What a write was for, from its method and path. */
export function classifyWrite(method: string, path: string): string {
  if (path.endsWith("/events")) return "event";
  if (/\/replicators\/[^/]+\/status$/.test(path)) return "status";
  if (/\/replicators\/[^/]+$/.test(path) && method === "PUT") return "finalizer";
  if (/\/secrets\/plumber-tls-[^/]+$/.test(path)) return "tls-secret";
  if (method === "POST" && path === "/api/v1/namespaces") return "namespace";
  if (method === "PATCH") return "apply";
  if (method === "DELETE") return "delete";
  return `${method} other`;
}

/** The floor per cluster: namespace + one apply per object; the primary adds status, finalizer, TLS Secret. */
export function writeFloor(context: string): number {
  return 1 + SAMPLE_OBJECTS_PER_CLUSTER + (context === "primary" ? 3 : 0);
}

interface WriteLine {
  method: string;
  path: string;
  host: string;
}

function writeLines(lines: readonly string[]): WriteLine[] {
  const out: WriteLine[] = [];
  for (const line of lines) {
    if (!line.includes('"Write request"')) continue;
    try {
      const entry = JSON.parse(line) as { msg?: string; method?: string; path?: string; host?: string };
      if (entry.msg === "Write request") {
        out.push({ method: entry.method ?? "", path: entry.path ?? "", host: entry.host ?? "" });
      }
    } catch {
      // not a log line
    }
  }
  return out;
}

/** Waits until no write line was logged for `quietMs` (at most `maxMs`). */
async function waitLogQuiet(operator: BenchOperator, quietMs: number, maxMs: number): Promise<void> {
  const deadline = performance.now() + maxMs;
  let count = writeLines(operator.process.lines).length;
  let since = performance.now();
  while (performance.now() < deadline) {
    await sleep(100);
    const now = writeLines(operator.process.lines).length;
    if (now !== count) {
      count = now;
      since = performance.now();
    } else if (performance.now() - since >= quietMs) return;
  }
}

/** Runs `requests` with an operator at debug level serving `requests`. */
export async function runRequests(ctx: BenchContext): Promise<void> {
  const operator = await ctx.env.startOperator("requests", { logLevel: "debug", probeInterval: "1h" });
  const hosts = ctx.env.hosts;
  const context = (host: string) => hosts.get(host) ?? host;
  try {
    await operator.waitWarm();
    const load = load1();
    ctx.say(`requests: ${ctx.sizes.requestSamples} Replicators one at a time, request log on`);
    // per sample: context -> category -> count
    const writes: Record<string, Record<string, number>>[] = [];
    const reads: Record<string, number>[] = [];
    let lineStart = operator.process.lines.length;
    let before = await operator.requests();
    await createOneByOne(ctx, "requests", ctx.sizes.requestSamples, async () => {
      await waitLogQuiet(operator, 1500, 30_000);
      const lines = operator.process.lines.slice(lineStart);
      lineStart += lines.length;
      const after = await operator.requests();
      const w: Record<string, Record<string, number>> = {};
      for (const line of writeLines(lines)) {
        const byKind = w[context(line.host)] ??= {};
        const category = classifyWrite(line.method, line.path);
        byKind[category] = (byKind[category] ?? 0) + 1;
      }
      const r: Record<string, number> = {};
      for (const [key, value] of delta(before, after)) {
        const [host, method] = key.split(" ") as [string, string];
        if (method === "GET") r[context(host)] = (r[context(host)] ?? 0) + value;
      }
      writes.push(w);
      reads.push(r);
      before = after;
    });
    for (const c of CONTEXTS) {
      const counts = writes.map((w) => Object.values(w[c] ?? {}).reduce((a, b) => a + b, 0));
      const floor = writeFloor(c);
      ctx.rows.push({
        scenario: "requests",
        metric: `writes per Replicator, creation, ${c}`,
        unit: "requests",
        summary: summarize(counts),
        goal: `floor ${floor}${c === "primary" ? " + events" : ""}`,
        load,
      });
    }
    for (const c of CONTEXTS) {
      ctx.rows.push({
        scenario: "requests",
        metric: `reads per Replicator, creation, ${c}`,
        unit: "requests",
        summary: summarize(reads.map((r) => r[c] ?? 0)),
        goal: "",
        load,
      });
    }
    // Steady state: the Replicators synced, probes off; nothing should be sent at all.
    const steadyS = 15;
    const steadyBefore = await operator.requests();
    const steadyLines = operator.process.lines.length;
    await sleep(steadyS * 1000);
    const steady = delta(steadyBefore, await operator.requests());
    const steadyWrites = writeLines(operator.process.lines.slice(steadyLines)).length;
    const steadyTotal = [...steady.values()].reduce((a, b) => a + b, 0);
    ctx.rows.push({
      scenario: "requests",
      metric: `requests in ${steadyS} s at steady state, probes off`,
      unit: "requests",
      summary: summarize([steadyTotal]),
      goal: "0",
      pass: steadyTotal === 0,
      load,
      note: `${steadyWrites} writes in the request log`,
    });
    ctx.details.requests = {
      writesPerReplicator: writes,
      readsPerReplicator: reads,
      floor: Object.fromEntries(CONTEXTS.map((c) => [c, writeFloor(c)])),
      steady: Object.fromEntries(steady),
    };
    ctx.say(`requests: writes ${JSON.stringify(writes[0])}, reads ${JSON.stringify(reads[0])}`);
  } finally {
    await ctx.env.stopOperator(operator);
  }
}
