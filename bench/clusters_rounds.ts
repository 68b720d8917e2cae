/**
 * `bench/clusters.ts --rounds N`: the effect of one unreachable secondary on the others, measured on one
 * control plane and one operator, in alternated phases so that the machine's load and the state left by
 * earlier phases fall on both variants alike. Each round runs an `all-up` and a `down` phase (the order
 * alternates: up/down, down/up, ...); a phase creates R Replicators (a new set), waits until every
 * Replicator's objects are in every cluster that is up (the definition of done of the single run: the
 * down secondary is left out), then brings the down secondary back and waits until the set is synced
 * there too. With `--cleanup` the set is then deleted and plumber's clean-up awaited, so every phase
 * starts from the same state (minutes per phase on a loaded machine); without, the sets stay and the
 * alternated order (ABBA) spreads their cost over both variants. In a `down` phase the last secondary's
 * kube-apiserver is killed under the running operator (its caches synced) just before the creates.
 *
 * Per phase: the time to done (last and median Replicator), the load, the operator's and the API
 * servers' CPU, and the operator's own metrics (reconciles, errors, queue adds and retries, requests to
 * the down secondary), so a delay can be traced to what the operator did.
 *
 * @module
 */

import type { KubeClient } from "../lib/kube/client.ts";
import type { ControlPlane } from "../tests/control_plane.ts";
import { CpuMeter, pidsMentioning } from "./cpu.ts";
import { type BenchOperator, SET_LABEL } from "./env.ts";
import { RssSampler } from "./memory.ts";
import { parseMetrics } from "./prometheus.ts";
import { cloneSample, createAll, type loadSample, SAMPLE_OBJECTS_PER_CLUSTER, sleep } from "./sample.ts";
import { median } from "./stats.ts";
import { Tracker } from "./tracker.ts";

export type Variant = "all-up" | "down";

/** The operator's informers in a secondary: the seed's five kinds and namespaces (ClusterCaches). */
const INFORMERS_PER_CLUSTER = 6;

/** The phases of `rounds` rounds: each round one of each variant, the order alternating. */
export function phaseOrder(rounds: number): Array<{ round: number; variant: Variant }> {
  const out: Array<{ round: number; variant: Variant }> = [];
  for (let round = 1; round <= rounds; round++) {
    const pair: Variant[] = round % 2 === 1 ? ["all-up", "down"] : ["down", "all-up"];
    for (const variant of pair) out.push({ round, variant });
  }
  return out;
}

/** What one phase measured. */
export interface Phase {
  round: number;
  variant: Variant;
  /** Until the last Replicator's objects were in every secondary but the last and the primary (s). */
  othersS: number;
  /** The same for the median Replicator (s). */
  othersP50S: number;
  /** All-up only: until the last was synced with its objects in every cluster (s). */
  allS?: number;
  /** 1-minute load before and after the phase. */
  load: [number, number];
  cpu: Record<string, number>;
  peakRssMiB: number;
  /** Deltas of the operator's metrics during the phase (creates until done). */
  metrics: Record<string, number>;
}

/** Per round the down phase's time over the all-up phase's (others only), and their median. */
export function delays(phases: readonly Phase[]): { perRound: number[]; median: number } {
  const rounds = [...new Set(phases.map((p) => p.round))];
  const perRound: number[] = [];
  for (const round of rounds) {
    const up = phases.find((p) => p.round === round && p.variant === "all-up");
    const down = phases.find((p) => p.round === round && p.variant === "down");
    if (up && down && up.othersS > 0) perRound.push(down.othersS / up.othersS);
  }
  return { perRound, median: perRound.length > 0 ? median(perRound) : NaN };
}

/** Sums of the operator's metrics a phase reports, keyed by a short name. */
export function operatorFigures(text: string, downHost: string): Record<string, number> {
  const out: Record<string, number> = {};
  const add = (key: string, value: number) => out[key] = (out[key] ?? 0) + value;
  for (const s of parseMetrics(text)) {
    const controller = s.labels.controller ?? s.labels.name ?? "";
    switch (s.name) {
      case "controller_runtime_reconcile_total":
        add(`reconciles ${controller} ${s.labels.result ?? ""}`.trim(), s.value);
        break;
      case "controller_runtime_reconcile_errors_total":
        add(`reconcile errors ${controller}`, s.value);
        break;
      case "controller_runtime_reconcile_time_seconds_sum":
        add(`reconcile s ${controller}`, s.value);
        break;
      case "workqueue_adds_total":
        add(`queue adds ${controller}`, s.value);
        break;
      case "workqueue_retries_total":
        add(`queue retries ${controller}`, s.value);
        break;
      case "workqueue_queue_duration_seconds_sum":
        add(`queue wait s ${controller}`, s.value);
        break;
      case "rest_client_requests_total":
        add(
          s.labels.host === downHost
            ? `down ${s.labels.method} ${s.labels.code}`
            : `others ${s.labels.method}`,
          s.value,
        );
        break;
    }
  }
  return out;
}

/** `after - before` per key, rounded, zeros left out. */
export function figureDelta(
  before: Record<string, number>,
  after: Record<string, number>,
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [key, value] of Object.entries(after)) {
    const d = Math.round((value - (before[key] ?? 0)) * 100) / 100;
    if (d !== 0) out[key] = d;
  }
  return out;
}

function load1(): number {
  return Number(Deno.readTextFileSync("/proc/loadavg").split(" ")[0]);
}

/** What the rounds need of the running scenario. */
export interface RoundsEnv {
  cp: ControlPlane;
  operator: BenchOperator;
  clients: ReadonlyMap<string, KubeClient>;
  /** The context whose kube-apiserver is killed in a down phase. */
  down: string;
  downHost: string;
  sample: Awaited<ReturnType<typeof loadSample>>;
  replicators: number;
  /**
   * Delete each phase's Replicators and wait for plumber's clean-up before the next (slow on a loaded
   * machine); otherwise they stay, synced, and the alternated order spreads what they cost over both
   * variants alike.
   */
  cleanup?: boolean;
  /** Waits until every ClusterDetector is Running and the operator's lists are done. */
  settle: () => Promise<void>;
  say: (s: string) => void;
}

/** Runs the alternated phases; returns what each measured. */
export async function runRounds(env: RoundsEnv, rounds: number): Promise<Phase[]> {
  const phases: Phase[] = [];
  const primary = env.clients.get("primary")!;
  for (const { round, variant } of phaseOrder(rounds)) {
    const set = `r${round}-${variant === "all-up" ? "a" : "d"}`;
    await env.settle();
    const down = variant === "down" ? env.down : undefined;
    const up = [...env.clients.keys()].filter((c) => c !== env.down);
    const tracker = new Tracker(
      new Map([...env.clients].filter(([context]) => context !== down)),
      SAMPLE_OBJECTS_PER_CLUSTER,
    );
    await tracker.start();
    const names: string[] = [];
    try {
      const loadBefore = load1();
      if (down) {
        await env.cp.stopApiServer(down);
        env.say(`rounds: ${down}'s kube-apiserver stopped`);
      }
      const before = operatorFigures(await env.operator.metrics(), env.downHost);
      const cpu = new CpuMeter({
        operator: () => [env.operator.pid],
        "API servers + etcd": () => pidsMentioning(env.cp.dir),
      }).start();
      const rss = new RssSampler(env.operator.pid).start();
      const items = Array.from({ length: env.replicators }, (_, i) => cloneSample(env.sample, set, i));
      names.push(...items.map((r) => r.metadata.name));
      env.say(`rounds: round ${round}, ${variant}: creating ${env.replicators} Replicators`);
      const started = performance.now();
      await createAll(primary, items, 16, (r, at) => {
        tracker.markCreated(r.metadata.name, r.spec.replicationNamespace, at);
      });
      const done = await tracker.waitDone(names, { objectsIn: up }, 30 * 60_000);
      const ends = [...done.values()].map((t) => (t - started) / 1000).sort((a, b) => a - b);
      const after = operatorFigures(await env.operator.metrics(), env.downHost);
      const cpuSeconds = cpu.stop();
      let allS: number | undefined;
      if (!down) {
        const all = await tracker.waitDone(
          names,
          { objectsIn: [...env.clients.keys()], synced: true },
          30 * 60_000,
        );
        allS = Math.max(...[...all.values()].map((t) => (t - started) / 1000));
      }
      rss.stop();
      const phase: Phase = {
        round,
        variant,
        othersS: round2(ends.at(-1)!),
        othersP50S: round2(ends[Math.floor(ends.length / 2)]!),
        allS: allS === undefined ? undefined : round2(allS),
        load: [loadBefore, load1()],
        cpu: cpuSeconds,
        peakRssMiB: round2(Math.max(...rss.rssMiB)),
        metrics: figureDelta(before, after),
      };
      phases.push(phase);
      env.say(`rounds: ${JSON.stringify(phase)}`);
    } finally {
      await tracker.stop();
      if (down) {
        const gets = async () =>
          operatorFigures(await env.operator.metrics(), env.downHost)["down GET 200"] ?? 0;
        const before = await gets();
        await env.cp.startApiServer(down);
        // The operator's informers of it back (each lists again after its backoff, up to 30 s): the next
        // phase starts with its caches of every cluster watching.
        const deadline = performance.now() + 60_000;
        while (await gets() < before + INFORMERS_PER_CLUSTER && performance.now() < deadline) {
          await sleep(500);
        }
      }
    }
    await env.settle();
    if (env.cleanup) await deleteSet(primary, set, names, env.say);
    else if (down) await waitSetSynced(primary, set, env.say);
  }
  return phases;
}

/** Waits until every Replicator of a set says synced (a down phase's, once its cluster is back). */
async function waitSetSynced(primary: KubeClient, set: string, say: (s: string) => void) {
  const started = performance.now();
  const deadline = started + 10 * 60_000;
  while (performance.now() < deadline) {
    const list = await primary.list<{ metadata: { generation?: number }; status?: Record<string, unknown> }>(
      "plumber.jnytnai0613.github.io/v1",
      "Replicator",
      { labelSelector: `${SET_LABEL}=${set}` },
    );
    const synced = list.items.filter((r) =>
      r.status?.synced === "synced" && r.status?.observedGeneration === r.metadata.generation
    );
    if (synced.length === list.items.length) {
      say(
        `rounds: ${set} synced everywhere ${
          ((performance.now() - started) / 1000).toFixed(1)
        } s after the return`,
      );
      return;
    }
    await sleep(500);
  }
  throw new Error(`Replicators of set ${set} not synced 10 min after their cluster returned`);
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}

/** Deletes a set's Replicators and waits until plumber has cleaned up and removed its finalizers. */
async function deleteSet(primary: KubeClient, set: string, names: string[], say: (s: string) => void) {
  const started = performance.now();
  await Promise.all(
    names.map((name) =>
      primary.delete({ apiVersion: "plumber.jnytnai0613.github.io/v1", kind: "Replicator", name })
    ),
  );
  const deadline = performance.now() + 10 * 60_000;
  while (performance.now() < deadline) {
    const left = await primary.list("plumber.jnytnai0613.github.io/v1", "Replicator", {
      labelSelector: `${SET_LABEL}=${set}`,
    });
    if (left.items.length === 0) {
      say(`rounds: ${set} cleaned up in ${((performance.now() - started) / 1000).toFixed(1)} s`);
      return;
    }
    await sleep(500);
  }
  throw new Error(`Replicators of set ${set} still there 10 min after their deletion`);
}

/** The rounds as a Markdown table, with the per-round ratio and its median. */
export function renderRounds(phases: readonly Phase[]): string {
  const lines = [
    "| round | variant | others done (s) | p50 (s) | all synced (s) | operator CPU (s) | servers CPU (s) | machine (s) | peak RSS | Replicator reconciles | PATCH others | retries | to down | load 1m |",
    "| --: | --- | --: | --: | --: | --: | --: | --: | --: | --: | --: | --: | --: | --- |",
  ];
  for (const p of phases) {
    const sum = (prefix: string) =>
      Object.entries(p.metrics).filter(([k]) => k.startsWith(prefix)).reduce((s, [, v]) => s + v, 0);
    lines.push(
      `| ${p.round} | ${p.variant} | ${p.othersS.toFixed(1)} | ${p.othersP50S.toFixed(1)} | ${
        p.allS?.toFixed(1) ?? "-"
      } | ${p.cpu.operator} | ${p.cpu["API servers + etcd"]} | ${p.cpu.machine} | ${
        p.peakRssMiB.toFixed(1)
      } | ${sum("reconciles replicator")} | ${sum("others PATCH")} | ${sum("queue retries")} | ${
        sum("down ")
      } | ${p.load[0].toFixed(1)}-${p.load[1].toFixed(1)} |`,
    );
  }
  const d = delays(phases);
  lines.push(
    "",
    `down / all-up (others done) per round: ${d.perRound.map((r) => r.toFixed(2)).join(", ")}; median ${
      d.median.toFixed(2)
    } (${((d.median - 1) * 100).toFixed(0)} %)`,
  );
  return lines.join("\n");
}
