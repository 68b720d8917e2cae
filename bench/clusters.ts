/**
 * Scale in clusters: the primary and N secondaries (extra kube-apiservers on the shared etcd, each
 * under its own prefix, no controller manager, as the other scenarios) and R Replicators (the
 * seed's sample) targeting every secondary, created at once. For each N: time from the first create
 * to the last Replicator synced with every object in every cluster, the operator's peak and steady
 * RSS, and its requests per cluster and per Replicator. With `--unreachable`, at the largest N the
 * fan-out is repeated with one secondary's kube-apiserver killed under the running operator: the
 * others' time against the all-up run.
 *
 * Standalone (not part of `deno task bench`: it starts up to 11 kube-apiservers):
 *
 * ```sh
 * deno run -A bench/clusters.ts --secondaries 2,5,10 --replicators 50 --unreachable
 * ```
 *
 * With `--rounds N` (and one size), the unreachable case is measured instead in N alternated rounds of
 * an all-up and a down phase on one control plane and one operator (`clusters_rounds.ts`):
 *
 * ```sh
 * deno run -A bench/clusters.ts --secondaries 10 --replicators 50 --rounds 3
 * ```
 *
 * @module
 */

import { parseArgs } from "node:util";
import { ensureControlPlaneBinary } from "../tests/build.ts";
import { type ClusterSpec, ControlPlane, DEFAULT_CLUSTERS } from "../tests/control_plane.ts";
import { adminClient } from "../tests/harness.ts";
import { prepareOperatorNamespace, startOperator } from "../tests/operator.ts";
import type { KubeClient } from "../lib/kube/client.ts";
import { BenchOperator, OPERATOR_NAMESPACE, SET_LABEL } from "./env.ts";
import { RssSampler } from "./memory.ts";
import { delta } from "./prometheus.ts";
import {
  cloneSample,
  createAll,
  loadSample,
  SAMPLE_OBJECTS_PER_CLUSTER,
  sleep,
  waitClustersRunning,
} from "./sample.ts";
import { loadAverage } from "./report.ts";
import { Tracker } from "./tracker.ts";
import { type Phase, renderRounds, runRounds } from "./clusters_rounds.ts";

/** The primary as in every scenario, and `n` secondaries `secondary<i>` (cluster `cluster-<i>`). */
export function clusterSpecs(n: number): ClusterSpec[] {
  const args = ["--service-cluster-ip-range=10.0.0.0/16"];
  const primary = { ...DEFAULT_CLUSTERS[0]!, apiserverArgs: args };
  const secondaries = Array.from({ length: n }, (_, i) => ({
    context: `secondary${i + 1}`,
    cluster: `cluster-${i + 1}`,
    user: `admin-${i + 1}`,
    apiserverArgs: args,
  }));
  return [primary, ...secondaries];
}

/** ClusterDetector name of a spec. */
export function detector(spec: ClusterSpec): string {
  return `${spec.cluster}.${spec.user}`;
}

/** Requests by context and method, per Replicator, from a `host method` delta. */
export function byCluster(
  counts: Map<string, number>,
  hosts: Map<string, string>,
  replicators: number,
): Record<string, { reads: number; writes: number }> {
  const out: Record<string, { reads: number; writes: number }> = {};
  for (const [key, value] of counts) {
    const [host, method] = key.split(" ") as [string, string];
    const entry = out[hosts.get(host) ?? host] ??= { reads: 0, writes: 0 };
    if (method === "GET") entry.reads += value / replicators;
    else entry.writes += value / replicators;
  }
  for (const e of Object.values(out)) {
    e.reads = Math.round(e.reads * 100) / 100;
    e.writes = Math.round(e.writes * 100) / 100;
  }
  return out;
}

interface RoundResult {
  secondaries: number;
  replicators: number;
  unreachable?: string;
  totalS: number;
  p50S: number;
  rssIdleMiB: number;
  peakMiB: number;
  steadyMiB: number;
  requests: Record<string, { reads: number; writes: number }>;
  load: number[];
}

/** The primary and `n` secondaries in a temporary folder (the caller stops them and removes it), with admin clients. */
async function startClusters(n: number, say: (s: string) => void) {
  const specs = clusterSpecs(n);
  const dir = await Deno.makeTempDir({ prefix: "plumber-bench-clusters-" });
  const binary = await ensureControlPlaneBinary({ log: say });
  const cp = await ControlPlane.start({
    binary,
    dir,
    clusters: specs,
    controllerManager: false,
    nodes: false,
    log: say,
  });
  const clients = new Map<string, KubeClient>(
    specs.map((s) => [s.context, adminClient(cp.state, s.context)]),
  );
  return { specs, dir, cp, clients };
}

async function round(
  n: number,
  replicators: number,
  variants: Array<"all-up" | "unreachable">,
  say: (s: string) => void,
): Promise<RoundResult[]> {
  const { specs, dir, cp, clients } = await startClusters(n, say);
  const results: RoundResult[] = [];
  try {
    const secondaries = specs.slice(1);
    await prepareOperatorNamespace(cp.state, OPERATOR_NAMESPACE, secondaries.map((s) => s.context));
    const sample = await loadSample();
    (sample.spec as { targetCluster?: string[] }).targetCluster = secondaries.map(detector);
    const hosts = new Map(specs.map((s) => [new URL(cp.cluster(s.context).server).host, s.context]));
    for (const variant of variants) {
      const set = `c${n}-${variant === "all-up" ? "a" : "u"}`;
      const process = await startOperator(cp.state, {
        namespace: OPERATOR_NAMESPACE,
        replicatorSelector: `${SET_LABEL}=${set}`,
        probeInterval: "10s",
        extraArgs: ["--log-level", "info"],
      });
      const operator = new BenchOperator(process, set, await process.port("metrics"));
      let tracker: Tracker | undefined;
      try {
        await waitClustersRunning(clients.get("primary")!, specs.map(detector), 180_000);
        await operator.waitWarm();
        let down: string | undefined;
        if (variant === "unreachable") {
          down = secondaries.at(-1)!.context;
          await cp.stopApiServer(down);
          say(`clusters: ${down}'s kube-apiserver stopped`);
        }
        // The tracker watches the clusters that are up (a down one's informers never sync).
        tracker = new Tracker(
          new Map([...clients].filter(([context]) => context !== down)),
          SAMPLE_OBJECTS_PER_CLUSTER,
        );
        await tracker.start();
        const rssIdle = (operator.rss()?.rssKiB ?? 0) / 1024;
        const sampler = new RssSampler(operator.pid);
        sampler.start();
        const load = loadAverage();
        const before = await operator.requests();
        const items = Array.from({ length: replicators }, (_, i) => cloneSample(sample, set, i));
        const names = items.map((r) => r.metadata.name);
        say(`clusters: ${n} secondaries, ${variant}: creating ${replicators} Replicators`);
        const started = performance.now();
        await createAll(clients.get("primary")!, items, 16, (r, at) => {
          tracker!.markCreated(r.metadata.name, r.spec.replicationNamespace, at);
        });
        const up = specs.map((s) => s.context).filter((c) => c !== down);
        const done = await tracker.waitDone(
          names,
          { objectsIn: up, synced: down === undefined },
          30 * 60_000,
        );
        const ends = [...done.values()].map((t) => (t - started) / 1000).sort((a, b) => a - b);
        const totalS = ends.at(-1)!;
        await sleep(5000);
        const requests = byCluster(delta(before, await operator.requests()), hosts, replicators);
        await sleep(10_000);
        sampler.stop();
        const rss = sampler.rssMiB;
        const steady = rss.slice(Math.floor(rss.length * 0.8));
        results.push({
          secondaries: n,
          replicators,
          unreachable: down,
          totalS,
          p50S: ends[Math.floor(ends.length / 2)]!,
          rssIdleMiB: Math.round(rssIdle * 10) / 10,
          peakMiB: Math.round(sampler.peakMiB * 10) / 10,
          steadyMiB: Math.round((steady.reduce((a, b) => a + b, 0) / steady.length) * 10) / 10,
          requests,
          load,
        });
        say(`clusters: ${n} secondaries, ${variant}: all synced after ${totalS.toFixed(1)} s`);
      } finally {
        await tracker?.stop();
        await process.stop("SIGTERM");
      }
    }
  } finally {
    for (const c of clients.values()) c.close();
    await cp.stop();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
  return results;
}

/** `--rounds`: alternated all-up and down phases at `n` secondaries on one control plane and operator. */
async function rounds(
  n: number,
  replicators: number,
  count: number,
  cleanup: boolean,
  say: (s: string) => void,
): Promise<Phase[]> {
  const { specs, dir, cp, clients } = await startClusters(n, say);
  try {
    const secondaries = specs.slice(1);
    await prepareOperatorNamespace(cp.state, OPERATOR_NAMESPACE, secondaries.map((s) => s.context));
    const sample = await loadSample();
    (sample.spec as { targetCluster?: string[] }).targetCluster = secondaries.map(detector);
    const process = await startOperator(cp.state, {
      namespace: OPERATOR_NAMESPACE,
      replicatorSelector: SET_LABEL,
      probeInterval: "10s",
      extraArgs: ["--log-level", "info"],
    });
    const operator = new BenchOperator(process, "rounds", await process.port("metrics"));
    const down = secondaries.at(-1)!.context;
    try {
      return await runRounds({
        cp,
        operator,
        clients,
        down,
        downHost: new URL(cp.cluster(down).server).host,
        sample,
        replicators,
        cleanup,
        settle: async () => {
          await waitClustersRunning(clients.get("primary")!, specs.map(detector), 180_000);
          await operator.waitWarm();
        },
        say,
      }, count);
    } finally {
      await process.stop("SIGTERM");
    }
  } finally {
    for (const c of clients.values()) c.close();
    await cp.stop();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      secondaries: { type: "string", default: "2,5,10" },
      replicators: { type: "string", default: "50" },
      unreachable: { type: "boolean", default: false },
      rounds: { type: "string" },
      cleanup: { type: "boolean", default: false },
      out: { type: "string", default: "bench-results" },
    },
  });
  const sizes = values.secondaries.split(",").map(Number);
  const replicators = Number(values.replicators);
  const t0 = performance.now();
  const say = (s: string) =>
    console.error(`[clusters ${((performance.now() - t0) / 1000).toFixed(1)} s] ${s}`);
  if (values.rounds !== undefined) {
    if (sizes.length !== 1) {
      throw new Error(`--rounds takes one size in --secondaries, not "${values.secondaries}"`);
    }
    const phases = await rounds(sizes[0]!, replicators, Number(values.rounds), values.cleanup, say);
    console.log(renderRounds(phases));
    await Deno.mkdir(values.out, { recursive: true });
    const file = `${values.out}/clusters-rounds-${new Date().toISOString().replace(/[:.]/g, "-")}.json`;
    await Deno.writeTextFile(file, JSON.stringify(phases, null, 2));
    console.log(`results: ${file}`);
    Deno.exit(0);
  }
  const all: RoundResult[] = [];
  const largest = Math.max(...sizes);
  for (const n of sizes) {
    const variants: Array<"all-up" | "unreachable"> = n === largest && values.unreachable
      ? ["all-up", "unreachable"]
      : ["all-up"];
    all.push(...await round(n, replicators, variants, say));
  }
  console.log(
    "| secondaries | down | R | all synced (s) | p50 (s) | s per cluster×R (ms) | RSS idle | peak | steady (MiB) | writes/R | reads/R | load |",
  );
  console.log("| --: | --- | --: | --: | --: | --: | --: | --: | --: | --: | --: | --- |");
  for (const r of all) {
    const w = Object.values(r.requests).reduce((s, e) => s + e.writes, 0);
    const g = Object.values(r.requests).reduce((s, e) => s + e.reads, 0);
    const perCell = (r.totalS * 1000) / ((r.secondaries + 1) * r.replicators);
    console.log(
      `| ${r.secondaries} | ${r.unreachable ?? "-"} | ${r.replicators} | ${r.totalS.toFixed(1)} | ${
        r.p50S.toFixed(1)
      } | ${perCell.toFixed(0)} | ${r.rssIdleMiB} | ${r.peakMiB} | ${r.steadyMiB} | ${w.toFixed(1)} | ${
        g.toFixed(1)
      } | ${r.load.map((l) => l.toFixed(2)).join(" ")} |`,
    );
  }
  for (const r of all) {
    console.log(
      `${r.secondaries}${r.unreachable ? " (down " + r.unreachable + ")" : ""}: ${
        JSON.stringify(r.requests)
      }`,
    );
  }
  await Deno.mkdir(values.out, { recursive: true });
  const file = `${values.out}/clusters-${new Date().toISOString().replace(/[:.]/g, "-")}.json`;
  await Deno.writeTextFile(file, JSON.stringify(all, null, 2));
  console.log(`results: ${file}`);
}
