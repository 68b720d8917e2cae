/**
 * Where the idle operator's memory is: starts the benchmark's control plane and one operator
 * (0 Replicators), waits until it is warm, then prints its RSS split (anonymous / file-backed,
 * from /proc/<pid>/status), V8's heap in use (the operator's `process_heap_bytes`) and the largest
 * anonymous mappings. Diagnostic only (docs/benchmarks.md, Issue 18):
 *
 * ```sh
 * deno run -A bench/idle_probe.ts [--seconds 20] [--floor]
 * ```
 *
 * `--floor` also measures the reference process `bench/runtime_floor_child.ts` with the operator's V8 flags:
 * the same clusters, one TLS client each, the same number of watch streams and an HTTP server, none of
 * plumber's code. Its RSS is what the runtime needs for the idle operator's I/O: the floor under any
 * idle goal for a Deno operator.
 *
 * @module
 */

import { BenchEnv, CONTEXTS } from "./env.ts";
import { OPERATOR_V8_FLAGS } from "../tests/operator.ts";

function statusFields(pid: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of Deno.readTextFileSync(`/proc/${pid}/status`).split("\n")) {
    const m = /^(VmRSS|VmHWM|RssAnon|RssFile|RssShmem|Threads):\s+(\d+)/.exec(line);
    if (m) out[m[1]!] = Number(m[2]);
  }
  return out;
}

/** Starts the reference process on `env`'s clusters, waits until its watches are open and `seconds` more. */
async function floor(
  env: BenchEnv,
  seconds: number,
  perCluster: number,
  mib: (k: number | undefined) => string,
): Promise<void> {
  const clusters = CONTEXTS.map((context) => {
    const c = env.cluster(context);
    return { server: c.server, caPem: c.ca.certPem, certPem: c.admin.certPem, keyPem: c.admin.keyPem };
  });
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      OPERATOR_V8_FLAGS,
      "--allow-net",
      "--allow-read",
      new URL("./runtime_floor_child.ts", import.meta.url).pathname,
      "--watches",
      String(perCluster),
    ],
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(JSON.stringify(clusters)));
  await writer.close();
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let out = "";
  const deadline = Date.now() + 30_000;
  while (!out.includes("ready")) {
    if (Date.now() > deadline) throw new Error("the reference process did not open its watches in 30 s");
    const { value, done } = await lines.read();
    if (done) throw new Error("the reference process exited before its watches were open");
    out += value;
  }
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const s = statusFields(child.pid);
  console.log(
    `reference process (${clusters.length} clusters x ${perCluster} watches, HTTP server, no plumber code): ` +
      `RSS ${mib(s.VmRSS)} MiB (anon ${mib(s.RssAnon)}, file ${mib(s.RssFile)}), threads ${s.Threads}`,
  );
  child.kill("SIGTERM");
  await child.status;
  lines.cancel().catch(() => {});
}

if (import.meta.main) {
  const seconds = Number(Deno.args[Deno.args.indexOf("--seconds") + 1] ?? 20) || 20;
  const dir = await Deno.makeTempDir({ prefix: "plumber-idle-probe-" });
  const env = await BenchEnv.start(dir, (line) => console.error(line));
  try {
    const operator = await env.startOperator("probe");
    await operator.waitWarm();
    await new Promise((r) => setTimeout(r, seconds * 1000));
    const s = statusFields(operator.pid);
    const metrics = await operator.metrics();
    const heap = Number(/^process_heap_bytes (\S+)$/m.exec(metrics)?.[1]) / 1048576;
    const mib = (k: number | undefined) => ((k ?? 0) / 1024).toFixed(1);
    console.log(
      `RSS ${mib(s.VmRSS)} MiB (anon ${mib(s.RssAnon)}, file ${mib(s.RssFile)}), HWM ${mib(s.VmHWM)}, ` +
        `V8 heap used ${heap.toFixed(1)} MiB, threads ${s.Threads}`,
    );
    const smaps = Deno.readTextFileSync(`/proc/${operator.pid}/smaps`);
    const maps: { name: string; rss: number }[] = [];
    let name = "";
    for (const line of smaps.split("\n")) {
      const head = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
      if (head) name = head[1] || "[anon]";
      const rss = /^Rss:\s+(\d+) kB/.exec(line);
      if (rss) maps.push({ name, rss: Number(rss[1]) });
    }
    const byName = new Map<string, number>();
    for (const m of maps) byName.set(m.name, (byName.get(m.name) ?? 0) + m.rss);
    for (const [n, kib] of [...byName].sort((a, b) => b[1] - a[1]).slice(0, 8)) {
      console.log(`  ${mib(kib).padStart(6)} MiB  ${n}`);
    }
    const watches = [...metrics.matchAll(/^plumber_cluster_watches\{[^}]*\} (\S+)$/gm)].reduce(
      (n, m) => n + Number(m[1]),
      0,
    );
    console.log(`watches held: ${watches}`);
    await env.stopOperator(operator);
    if (Deno.args.includes("--floor")) {
      await floor(env, seconds, Math.max(1, Math.round(watches / CONTEXTS.length)), mib);
    }
  } finally {
    await env.close();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}
