/**
 * Where the idle operator's memory is: starts the benchmark's control plane and one operator
 * (0 Replicators), waits until it is warm, then prints its RSS split (anonymous / file-backed,
 * from /proc/<pid>/status), V8's heap in use (the operator's `process_heap_bytes`) and the largest
 * anonymous mappings. Diagnostic only (docs/benchmarks.md, Issue 18):
 *
 * ```sh
 * deno run -A bench/idle_probe.ts [--seconds 20]
 * ```
 *
 * @module
 */

import { BenchEnv } from "./env.ts";

function statusFields(pid: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of Deno.readTextFileSync(`/proc/${pid}/status`).split("\n")) {
    const m = /^(VmRSS|VmHWM|RssAnon|RssFile|RssShmem|Threads):\s+(\d+)/.exec(line);
    if (m) out[m[1]!] = Number(m[2]);
  }
  return out;
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
    await env.stopOperator(operator);
  } finally {
    await env.close();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}
