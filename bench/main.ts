/**
 * `deno task bench`: plumber's benchmark suite. Starts a private local
 * three-cluster control plane (primary, secondary1, secondary2), installs the
 * CRDs, runs the operator as a separate process per scenario (`main.ts`, as in
 * the end-to-end tests), measures, prints one table and writes it as JSON to
 * `bench-results/<timestamp>.json`. Every process it starts is stopped at the
 * end, on a failure, and on SIGINT/SIGTERM.
 *
 * Not part of `deno task test`: a full run takes several minutes and its
 * numbers depend on the machine. See docs/benchmarks.md.
 *
 * @example
 * ```sh
 * deno task bench                                   # every scenario, the issue's sizes
 * deno task bench --size small                      # CI-like time
 * deno task bench --scenarios single,drift --samples 50
 * ```
 *
 * @module
 */

import { parseArgs } from "node:util";
import { BenchEnv, CONTEXTS, detectorName } from "./env.ts";
import { runCli } from "./cli.ts";
import { runDrift } from "./drift.ts";
import { runFanOut } from "./fan_out.ts";
import { runIdle } from "./idle.ts";
import { runRestart } from "./restart.ts";
import { memoryRows, RssSampler } from "./memory.ts";
import { runOutage } from "./outage.ts";
import {
  type BenchResult,
  describeMachine,
  loadAverage,
  type Machine,
  renderTable,
  type Row,
} from "./report.ts";
import { runRequests } from "./requests.ts";
import { loadSample, SAMPLE_OBJECTS_PER_CLUSTER, sleep, waitClustersRunning } from "./sample.ts";
import { type BenchContext, SIZES, type Sizes } from "./scenario.ts";
import { createOneByOne, runSingle } from "./single.ts";
import { Tracker } from "./tracker.ts";
import { UsageError } from "../lib/errors.ts";

export { UsageError };

/** Every scenario, in the order they run (outage last: it stops an API server). */
export const SCENARIOS = [
  "fan-out",
  "idle",
  "memory",
  "restart",
  "single",
  "drift",
  "requests",
  "cli",
  "outage",
] as const;
export type Scenario = typeof SCENARIOS[number];

export const HELP = `deno task bench [flags]: plumber's benchmarks against a private local control plane.

Flags:
  --scenarios <list>        comma-separated, default all: ${SCENARIOS.join(",")}
  --size small|large        large (default): the issue's sizes; small: CI-like time
  --replicators <n>         fan-out size, also what idle and memory run with (large 200, small 20)
  --samples <n>             samples of single and of drift (large 20, small 5)
  --idle-seconds <n>        idle window (large 60, small 10)
  --outage-replicators <n>  Replicators per outage run (large 50, small 10)
  --outage-variants <list>  running,restart (default both)
  --outage-rounds <n>       rounds of (no outage, each variant), compared by median (large 3, small 1)
  --cli-runs <n>            plumberctl view runs (large 7, small 5)
  --operator-args "<flags>" extra flags for every operator, e.g. "--concurrency 16" (what-if runs)
  --out <dir>               results folder (default bench-results)
  -h, --help

idle and memory measure the fan-out's operator, so selecting either runs the fan-out too; restart starts
a new operator for the fan-out's synced Replicators (and so runs the fan-out too).
`;

/** Parsed command line. */
export interface BenchOptions {
  scenarios: Set<Scenario>;
  size: "small" | "large";
  sizes: Sizes;
  out: string;
  operatorArgs: string[];
}

function count(flag: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) {
    throw new UsageError(`--${flag}: "${value}" is not a positive whole number`);
  }
  return n;
}

/** Parses flags (pure; throws UsageError). */
export function parseBenchArgs(args: string[]): BenchOptions | "help" {
  let values;
  try {
    values = parseArgs({
      args,
      strict: true,
      allowPositionals: false,
      options: {
        scenarios: { type: "string" },
        size: { type: "string", default: "large" },
        replicators: { type: "string" },
        samples: { type: "string" },
        "idle-seconds": { type: "string" },
        "outage-replicators": { type: "string" },
        "outage-variants": { type: "string" },
        "outage-rounds": { type: "string" },
        "cli-runs": { type: "string" },
        "operator-args": { type: "string" },
        out: { type: "string", default: "bench-results" },
        help: { type: "boolean", short: "h", default: false },
      },
    }).values;
  } catch (error) {
    throw new UsageError((error as Error).message.split("\n")[0]!);
  }
  if (values.help) return "help";
  const size = values.size as string;
  if (size !== "small" && size !== "large") throw new UsageError(`--size: "${size}" is not small or large`);
  const scenarios = new Set<Scenario>();
  for (
    const name of (values.scenarios ?? SCENARIOS.join(",")).split(",").map((s) => s.trim()).filter(Boolean)
  ) {
    if (!(SCENARIOS as readonly string[]).includes(name)) {
      throw new UsageError(`--scenarios: unknown scenario "${name}" (known: ${SCENARIOS.join(", ")})`);
    }
    scenarios.add(name as Scenario);
  }
  if (scenarios.size === 0) throw new UsageError("--scenarios: name at least one scenario");
  const base = SIZES[size];
  let variants = base.outageVariants;
  if (values["outage-variants"] !== undefined) {
    variants = values["outage-variants"].split(",").map((v) => v.trim()) as Sizes["outageVariants"];
    for (const v of variants) {
      if (v !== "running" && v !== "restart") {
        throw new UsageError(`--outage-variants: "${v}" is not running or restart`);
      }
    }
  }
  return {
    scenarios,
    size,
    out: values.out!,
    operatorArgs: (values["operator-args"] ?? "").split(/\s+/).filter(Boolean),
    sizes: {
      ...base,
      replicators: count("replicators", values.replicators, base.replicators),
      samples: count("samples", values.samples, base.samples),
      idleSeconds: count("idle-seconds", values["idle-seconds"], base.idleSeconds),
      outageReplicators: count("outage-replicators", values["outage-replicators"], base.outageReplicators),
      outageVariants: variants,
      outageRounds: count("outage-rounds", values["outage-rounds"], base.outageRounds),
      cliRuns: count("cli-runs", values["cli-runs"], base.cliRuns),
    },
  };
}

const started = performance.now();
function say(line: string): void {
  console.error(`[bench ${((performance.now() - started) / 1000).toFixed(1).padStart(6)} s] ${line}`);
}

async function writeResult(dir: string, result: BenchResult): Promise<string> {
  await Deno.mkdir(dir, { recursive: true });
  const path = `${dir}/${result.startedAt.replace(/[:.]/g, "-")}.json`;
  await Deno.writeTextFile(path, JSON.stringify(result, null, 2) + "\n");
  return path;
}

/** Runs one scenario; a failure is recorded and the run goes on. */
type Attempt = (scenario: string, fn: () => Promise<void>) => Promise<void>;

/** Scenarios that share one control plane. */
interface Group {
  name: string;
  run: (ctx: BenchContext, attempt: Attempt) => Promise<void>;
}

/**
 * The groups to run. Each gets a fresh control plane, so one group's objects
 * do not slow another's operators down (an operator lists all of plumber's
 * objects in every cluster when it starts), and `outage` may stop an API server.
 */
function groups(options: BenchOptions): Group[] {
  const s = options.scenarios;
  const all = CONTEXTS.map(detectorName);
  const out: Group[] = [];
  if (s.has("fan-out") || s.has("idle") || s.has("memory") || s.has("restart")) {
    out.push({
      name: "fan-out, idle, memory",
      run: (ctx, attempt) =>
        attempt("fan-out", async () => {
          const operator = await ctx.env.startOperator("fanout");
          try {
            await waitClustersRunning(ctx.env.primary, all);
            await operator.waitWarm();
            const before = new RssSampler(operator.pid, 250).start();
            await sleep(3000);
            before.stop();
            const during = new RssSampler(operator.pid, 100).start();
            await runFanOut(ctx, operator, "fanout", options.sizes.replicators);
            during.stop();
            const after = new RssSampler(operator.pid, 500).start();
            if (s.has("idle")) await attempt("idle", () => runIdle(ctx, operator, options.sizes.idleSeconds));
            else await sleep(20_000);
            after.stop();
            if (s.has("memory")) memoryRows(ctx, options.sizes.replicators, before, during, after);
          } finally {
            await ctx.env.stopOperator(operator);
          }
          if (s.has("restart")) {
            await attempt("restart", () => runRestart(ctx, "fanout", options.sizes.replicators));
          }
        }),
    });
  }
  if (s.has("single") || s.has("drift") || s.has("requests") || s.has("cli")) {
    out.push({
      name: "single, drift, requests, cli",
      run: async (ctx, attempt) => {
        if (s.has("single") || s.has("drift")) {
          await attempt(s.has("single") ? "single" : "drift", async () => {
            const operator = await ctx.env.startOperator("single");
            try {
              await waitClustersRunning(ctx.env.primary, all);
              await operator.waitWarm();
              const names = s.has("single")
                ? await runSingle(ctx, operator, "single")
                : (await createOneByOne(ctx, "single", options.sizes.samples)).names;
              if (s.has("drift")) await attempt("drift", () => runDrift(ctx, names));
            } finally {
              await ctx.env.stopOperator(operator);
            }
          });
        }
        if (s.has("requests")) await attempt("requests", () => runRequests(ctx));
        if (s.has("cli")) await attempt("cli", () => runCli(ctx));
      },
    });
  }
  if (s.has("outage")) {
    out.push({ name: "outage", run: (ctx, attempt) => attempt("outage", () => runOutage(ctx)) });
  }
  return out;
}

async function main(args: string[]): Promise<number> {
  let options: BenchOptions | "help";
  try {
    options = parseBenchArgs(args);
  } catch (error) {
    console.error(`bench: ${(error as Error).message}\nRun deno task bench --help for usage.`);
    return 2;
  }
  if (options === "help") {
    console.log(HELP);
    return 0;
  }
  const result: BenchResult = {
    startedAt: new Date().toISOString(),
    finishedAt: "",
    command: `deno task bench ${args.join(" ")}`.trim(),
    options: { ...options, scenarios: [...options.scenarios] },
    machine: describeMachine("unknown"),
    rows: [] as Row[],
    details: {},
    errors: [],
  };

  // What runs now, for cleanup on the way out and in the signal handler.
  let dir: string | undefined;
  let env: BenchEnv | undefined;
  let tracker: Tracker | undefined;
  const cleanup = async () => {
    const [d, e, t] = [dir, env, tracker];
    dir = env = tracker = undefined;
    await t?.stop().catch(() => {});
    await e?.close().catch((error) => say(`cleanup: ${(error as Error).message}`));
    if (d) await Deno.remove(d, { recursive: true }).catch(() => {});
  };
  const finish = async (): Promise<string> => {
    result.finishedAt = new Date().toISOString();
    result.machine.loadEnd = loadAverage();
    return await writeResult(options.out, result);
  };
  let interrupted = false;
  const onSignal = (signal: Deno.Signal) => async () => {
    if (interrupted) return;
    interrupted = true;
    say(`${signal}: stopping the operators and the control plane`);
    result.errors.push({ scenario: "all", message: `interrupted by ${signal}` });
    await cleanup();
    say(`partial results in ${await finish()}`);
    Deno.exit(130);
  };
  const onInt = onSignal("SIGINT");
  const onTerm = onSignal("SIGTERM");
  Deno.addSignalListener("SIGINT", onInt);
  Deno.addSignalListener("SIGTERM", onTerm);

  const attempt: Attempt = async (scenario, fn) => {
    try {
      await fn();
    } catch (error) {
      const message = (error as Error).message;
      result.errors.push({ scenario, message });
      say(`${scenario} FAILED: ${message}`);
    }
  };
  try {
    const sample = await loadSample();
    for (const group of groups(options)) {
      await attempt(group.name, async () => {
        try {
          dir = await Deno.makeTempDir({ prefix: "plumber-bench-cp-" });
          say(`${group.name}: starting a private control plane in ${dir}`);
          env = await BenchEnv.start(dir, say, options.operatorArgs);
          if (result.machine.kubernetes === "unknown") {
            const version = JSON.parse(await env.primary.getText("/version")) as { gitVersion?: string };
            result.machine = {
              ...describeMachine(version.gitVersion ?? "unknown"),
              loadStart: result.machine.loadStart,
            };
          }
          tracker = new Tracker(env.clients, SAMPLE_OBJECTS_PER_CLUSTER);
          await tracker.start();
          const ctx: BenchContext = {
            env,
            tracker,
            sample,
            sizes: options.sizes,
            say,
            rows: result.rows,
            details: result.details,
          };
          await group.run(ctx, attempt);
        } finally {
          await cleanup();
        }
      });
    }
  } finally {
    Deno.removeSignalListener("SIGINT", onInt);
    Deno.removeSignalListener("SIGTERM", onTerm);
  }
  const path = await finish();
  console.log(renderTable(result.rows));
  console.log(machineLine(result.machine));
  for (const e of result.errors) console.log(`ERROR in ${e.scenario}: ${e.message}`);
  console.log(`results: ${path}`);
  return result.errors.length > 0 ? 1 : 0;
}

function machineLine(m: Machine): string {
  const load = (l?: number[]) => l?.map((x) => x.toFixed(2)).join(" ") ?? "?";
  const code = m.code
    ? `; code ${m.code.commit}${m.code.changed.length ? ` + uncommitted ${m.code.changed.join(", ")}` : ""}`
    : "";
  return `machine: ${m.cores} cores, ${m.memTotalMiB} MiB, ${m.os}; deno ${m.deno}, kubernetes ${m.kubernetes}; ` +
    `load ${load(m.loadStart)} at start, ${load(m.loadEnd)} at end${code}`;
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
