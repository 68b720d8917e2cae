/**
 * CPU profiles of an operator process through its V8 inspector (Deno has no `--cpu-prof`): attaches to
 * every process that listens on the port in turn (start the operator with `--inspect-wait` so nothing of its
 * start-up is missed), profiles each for the given seconds, writes `<out>-<n>.cpuprofile` (open it in Chrome
 * DevTools) and prints the top functions by self time.
 *
 * ```sh
 * PLUMBER_OPERATOR_V8_FLAGS=--inspect-wait=127.0.0.1:9339 deno task bench --scenarios fan-out,restart &
 * deno run -A bench/cpu_profile.ts --port 9339 --seconds 60,10 --out /tmp/prof
 * deno run -A bench/cpu_profile.ts --summary /tmp/prof-1.cpuprofile   # the table of a profile again
 * ```
 *
 * @module
 */

import { parseArgs } from "node:util";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

/** A `.cpuprofile` (what `Profiler.stop` returns). */
export interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

/** Self time (ms) by function and file, largest first; `(idle)` and `(program)` kept apart. */
export function selfTimes(profile: CpuProfile): { name: string; ms: number }[] {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const totals = new Map<string, number>();
  profile.samples.forEach((id, i) => {
    const frame = byId.get(id)?.callFrame;
    if (!frame) return;
    const file = frame.url.replace(
      /^.*\/(node_modules|npm|jsr\.io|deno\.land|wt-[^/]+|perf4-before)\//,
      "$1/",
    );
    const name = `${frame.functionName || "(anonymous)"} ${file}${file ? `:${frame.lineNumber + 1}` : ""}`;
    totals.set(name, (totals.get(name) ?? 0) + (profile.timeDeltas[i + 1] ?? 0) / 1000);
  });
  return [...totals].map(([name, ms]) => ({ name, ms })).sort((a, b) => b.ms - a.ms);
}

/** Self time (ms) by file (module), largest first. */
export function selfTimesByFile(profile: CpuProfile): { name: string; ms: number }[] {
  const totals = new Map<string, number>();
  for (const { name, ms } of selfTimes(profile)) {
    const file = name.includes(" ") ? name.slice(name.lastIndexOf(" ") + 1).replace(/:\d+$/, "") : name;
    totals.set(file || name, (totals.get(file || name) ?? 0) + ms);
  }
  return [...totals].map(([name, ms]) => ({ name, ms })).sort((a, b) => b.ms - a.ms);
}

function printSummary(profile: CpuProfile, top: number): void {
  const rows = selfTimes(profile);
  const busy = rows.filter((r) => !r.name.startsWith("(idle)")).reduce((n, r) => n + r.ms, 0);
  console.log(
    `busy ${(busy / 1000).toFixed(2)} s of ${((profile.endTime - profile.startTime) / 1e6).toFixed(1)} s`,
  );
  console.log("| self ms | % busy | function |\n| ---: | ---: | --- |");
  for (const r of rows.filter((r) => !r.name.startsWith("(idle)")).slice(0, top)) {
    console.log(`| ${r.ms.toFixed(0)} | ${(100 * r.ms / busy).toFixed(1)} | \`${r.name}\` |`);
  }
  console.log("\n| self ms | file |\n| ---: | --- |");
  for (const r of selfTimesByFile(profile).filter((r) => !r.name.startsWith("(idle)")).slice(0, top)) {
    console.log(`| ${r.ms.toFixed(0)} | \`${r.name}\` |`);
  }
}

/** The WebSocket URL of the first inspector target listening on `port`, polled until `deadline`. */
export async function inspectorUrl(port: number, deadline: number): Promise<string> {
  while (Date.now() < deadline) {
    try {
      const list = await (await fetch(`http://127.0.0.1:${port}/json/list`)).json() as {
        webSocketDebuggerUrl: string;
      }[];
      if (list[0]) return list[0].webSocketDebuggerUrl;
    } catch {
      // Not listening yet.
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`no inspector on port ${port}`);
}

async function profileOnce(url: string, seconds: number): Promise<CpuProfile> {
  const ws = new WebSocket(url);
  await new Promise((resolve, reject) => {
    ws.onopen = resolve;
    ws.onerror = reject;
  });
  let next = 0;
  const pending = new Map<number, (r: unknown) => void>();
  ws.onmessage = (m) => {
    const msg = JSON.parse(m.data as string) as { id?: number; result?: unknown };
    if (msg.id !== undefined) pending.get(msg.id)?.(msg.result);
  };
  const send = (method: string, params: Record<string, unknown> = {}) =>
    new Promise<unknown>((resolve) => {
      const id = ++next;
      pending.set(id, resolve);
      ws.send(JSON.stringify({ id, method, params }));
    });
  await send("Profiler.enable");
  await send("Profiler.setSamplingInterval", { interval: 500 });
  await send("Profiler.start");
  await send("Runtime.runIfWaitingForDebugger");
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const { profile } = await send("Profiler.stop") as { profile: CpuProfile };
  ws.close();
  return profile;
}

if (import.meta.main) {
  const { values } = parseArgs({
    options: {
      port: { type: "string", default: "9339" },
      seconds: { type: "string", default: "60" },
      out: { type: "string", default: "/tmp/plumber-operator" },
      top: { type: "string", default: "15" },
      summary: { type: "string" },
    },
  });
  const top = Number(values.top);
  if (values.summary) {
    printSummary(JSON.parse(await Deno.readTextFile(values.summary)), top);
  } else {
    const durations = values.seconds.split(",").map(Number);
    for (const [i, seconds] of durations.entries()) {
      const url = await inspectorUrl(Number(values.port), Date.now() + 600_000);
      console.log(`profiling ${url} for ${seconds} s`);
      const profile = await profileOnce(url, seconds);
      const path = `${values.out}-${i + 1}.cpuprofile`;
      await Deno.writeTextFile(path, JSON.stringify(profile));
      console.log(`wrote ${path}`);
      printSummary(profile, top);
      // The next process: wait for this one's inspector to go.
      while (await inspectorUrl(Number(values.port), Date.now() + 200).then(() => true, () => false)) {
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  }
}
