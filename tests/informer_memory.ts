/**
 * Measures what informers cost: three clusters with 1000 ConfigMaps each
 * (about 200 bytes of data apiece), one all-namespaces ConfigMap informer per
 * cluster, in a process of their own. Prints the time from start to all
 * synced and the resident memory after sync and after garbage collection.
 * The goal (controller machinery issue): under 100 MiB RSS when idle.
 *
 * ```sh
 * deno run -A tests/informer_memory.ts [--count 1000] [--concurrency 20]
 * ```
 *
 * A measurement, not a test: it starts a private control plane (no
 * controller manager), fills it, then runs the informers in a child Deno
 * process (`--child <state.json>`, with `--v8-flags=--expose-gc`) so the
 * figures are the informer process alone, not the control plane's clients.
 *
 * @module
 */

// Only what the informer process needs is imported statically; the control plane
// (yaml, @peculiar/x509) is imported by the parent alone, to keep it out of the figures.
import { KubeClient } from "../lib/kube/client.ts";
import { Informer } from "../lib/kube/informer.ts";
import type { ControlPlaneState } from "./control_plane.ts";
import { adminConnection } from "./admin_connection.ts";

const MiB = 1024 * 1024;
const NAMESPACE = "informer-memory";

interface ChildResult {
  objects: number[];
  syncMs: number[];
  allSyncedMs: number;
  rssStart: number;
  rssSynced: number;
  rssAfterGc: number;
  heapUsedAfterGc: number;
}

function option(name: string, fallback: number): number {
  const index = Deno.args.indexOf(`--${name}`);
  if (index < 0) return fallback;
  const value = Number(Deno.args[index + 1]);
  if (!Number.isInteger(value) || value <= 0) {
    console.error(`--${name} must be a positive integer, got "${Deno.args[index + 1]}"`);
    Deno.exit(2);
  }
  return value;
}

function randomHex(length: number): string {
  const bytes = crypto.getRandomValues(new Uint8Array(Math.ceil(length / 2)));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("").slice(0, length);
}

/** Runs `task` over `items` with at most `limit` at a time. */
async function inParallel<T>(items: T[], limit: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await task(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

function gc(): void {
  const collect = (globalThis as { gc?: () => void }).gc;
  if (!collect) throw new Error("Cannot collect garbage: run with --v8-flags=--expose-gc");
  collect();
}

/** The informer process: three informers, timed to sync, then memory after sync and after GC. */
async function child(statePath: string): Promise<void> {
  const state = JSON.parse(await Deno.readTextFile(statePath)) as ControlPlaneState;
  gc();
  const rssStart = Deno.memoryUsage().rss;
  const clients = state.clusters.map((cluster) => new KubeClient(adminConnection(cluster)));
  const informers = clients.map((client) => new Informer({ client, apiVersion: "v1", kind: "ConfigMap" }));
  const started = performance.now();
  const syncMs: number[] = [];
  for (const informer of informers) informer.start();
  await Promise.all(informers.map(async (informer, i) => {
    await informer.waitForSync();
    syncMs[i] = Math.round(performance.now() - started);
  }));
  const allSyncedMs = Math.round(performance.now() - started);
  const rssSynced = Deno.memoryUsage().rss;
  // Settle: let the watches open and the list responses be released, then collect twice.
  for (let i = 0; i < 3; i++) {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    gc();
  }
  const after = Deno.memoryUsage();
  const result: ChildResult = {
    objects: informers.map((i) => i.size),
    syncMs,
    allSyncedMs,
    rssStart,
    rssSynced,
    rssAfterGc: after.rss,
    heapUsedAfterGc: after.heapUsed,
  };
  await Promise.all(informers.map((i) => i.stop()));
  for (const client of clients) client.close();
  console.log(JSON.stringify(result));
}

async function parent(): Promise<void> {
  const count = option("count", 1000);
  const concurrency = option("concurrency", 20);
  const log = (line: string) => console.error(`[informer_memory] ${line}`);
  const t0 = performance.now();
  const { privateControlPlane } = await import("./harness.ts");
  const cp = await privateControlPlane([
    { context: "primary", cluster: "kubernetes", user: "kubernetes-admin" },
    { context: "secondary1", cluster: "v1262-cluster", user: "kubernetes-admin2" },
    { context: "secondary2", cluster: "v1252-cluster", user: "kubernetes-admin3" },
  ], { controllerManager: false });
  let informerProcess: Deno.ChildProcess | undefined;
  try {
    log(`control plane up in ${Math.round(performance.now() - t0)} ms`);
    const clients = cp.clusters.map((cluster) => new KubeClient(adminConnection(cluster)));
    try {
      const t1 = performance.now();
      for (const client of clients) {
        await client.create({ apiVersion: "v1", kind: "Namespace", metadata: { name: NAMESPACE } });
      }
      const jobs = clients.flatMap((client) => Array.from({ length: count }, (_, i) => ({ client, i })));
      await inParallel(jobs, concurrency, async ({ client, i }) => {
        await client.create({
          apiVersion: "v1",
          kind: "ConfigMap",
          metadata: {
            name: `cm-${String(i).padStart(5, "0")}`,
            namespace: NAMESPACE,
            labels: { app: "memory" },
          },
          data: { payload: randomHex(200) },
        });
      });
      const createMs = performance.now() - t1;
      log(`${jobs.length} ConfigMaps created in ${Math.round(createMs)} ms (${concurrency} at a time)`);
    } finally {
      for (const client of clients) client.close();
    }

    informerProcess = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        "--v8-flags=--expose-gc",
        new URL(import.meta.url).pathname,
        "--child",
        cp.statePath,
      ],
      stdin: "null",
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    const output = await informerProcess.output();
    if (!output.success) throw new Error(`The informer process failed with exit code ${output.code}`);
    const lines = new TextDecoder().decode(output.stdout).trim().split("\n");
    const result = JSON.parse(lines.at(-1)!) as ChildResult;
    const mib = (bytes: number) => `${(bytes / MiB).toFixed(1)} MiB`;
    const rows: Array<[string, string]> = [
      ["clusters x ConfigMaps created", `${cp.clusters.length} x ${count} (~200 B data each)`],
      ["objects cached per informer", result.objects.join(" / ")],
      ["start -> synced, per cluster", result.syncMs.map((ms) => `${ms} ms`).join(" / ")],
      ["start -> all synced", `${result.allSyncedMs} ms`],
      ["RSS before informers", mib(result.rssStart)],
      ["RSS after sync", mib(result.rssSynced)],
      ["RSS after GC settle (idle)", mib(result.rssAfterGc)],
      ["V8 heap used after GC", mib(result.heapUsedAfterGc)],
      ["goal: idle RSS < 100 MiB", result.rssAfterGc < 100 * MiB ? "met" : "NOT met"],
    ];
    const width = Math.max(...rows.map(([k]) => k.length));
    console.log(`Deno ${Deno.version.deno}, ${navigator.hardwareConcurrency} CPUs`);
    for (const [key, value] of rows) console.log(`${key.padEnd(width)}  ${value}`);
  } finally {
    try {
      informerProcess?.kill("SIGKILL");
    } catch {
      // already exited
    }
    await cp.stop();
  }
}

if (Deno.args[0] === "--child") await child(Deno.args[1]!);
else await parent();
