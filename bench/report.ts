/**
 * The result table every scenario adds rows to, printed once at the end and
 * written as JSON under `bench-results/`.
 *
 * @module
 */

import type { Summary } from "./stats.ts";

/** One measured quantity. */
export interface Row {
  scenario: string;
  metric: string;
  /** `s`, `ms`, `MiB`, `requests`, ... */
  unit: string;
  summary: Summary;
  /** The goal as text, e.g. `p50 < 0.5 s`; empty for figures reported without a goal. */
  goal: string;
  /** Whether the goal was met; undefined without a goal. */
  pass?: boolean;
  /** Load average (1 min) when the scenario started, from /proc/loadavg. */
  load?: number;
  note?: string;
}

/** What a run writes to `bench-results/<timestamp>.json`. */
export interface BenchResult {
  startedAt: string;
  finishedAt: string;
  command: string;
  options: Record<string, unknown>;
  machine: Machine;
  rows: Row[];
  /** Scenario-specific detail (request breakdowns, raw samples). */
  details: Record<string, unknown>;
  errors: { scenario: string; message: string }[];
}

/** The machine and versions the figures come from. */
export interface Machine {
  cores: number;
  memTotalMiB: number;
  loadStart: number[];
  loadEnd?: number[];
  deno: string;
  v8: string;
  typescript: string;
  kubernetes: string;
  os: string;
  /** The commit measured and the files that differed from it (uncommitted changes are measured too). */
  code?: { commit: string; changed: string[] };
}

function format(value: number, unit: string): string {
  if (unit === "requests" || unit === "count") {
    return Number.isInteger(value) ? String(value) : value.toFixed(1);
  }
  if (unit === "s") return value.toFixed(3);
  if (unit === "ms" || unit === "%") return value.toFixed(0);
  if (unit === "MiB") return value.toFixed(1);
  return String(value);
}

/** The table as text: scenario, metric, median, p90, max, goal, pass/fail. */
export function renderTable(rows: readonly Row[]): string {
  const header = ["scenario", "metric", "n", "median", "p90", "max", "goal", "result", "load"];
  const lines = rows.map((r) => [
    r.scenario,
    `${r.metric} (${r.unit})`,
    String(r.summary.n),
    format(r.summary.median, r.unit),
    format(r.summary.p90, r.unit),
    format(r.summary.max, r.unit),
    r.goal || "-",
    r.pass === undefined ? "info" : r.pass ? "PASS" : "FAIL",
    r.load === undefined ? "" : r.load.toFixed(2),
  ]);
  const all = [header, ...lines];
  const widths = header.map((_, i) => Math.max(...all.map((l) => l[i]!.length)));
  const numeric = new Set([2, 3, 4, 5, 8]);
  const render = (l: string[]) =>
    l.map((c, i) => numeric.has(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)).join("  ").trimEnd();
  return [render(header), widths.map((w) => "-".repeat(w)).join("  "), ...lines.map(render)].join("\n");
}

/** The table as Markdown, for docs/benchmarks.md. */
export function renderMarkdown(rows: readonly Row[]): string {
  const out = [
    "| scenario | metric | n | median | p90 | max | goal | result | load 1m |",
    "| --- | --- | ---: | ---: | ---: | ---: | --- | --- | ---: |",
  ];
  for (const r of rows) {
    out.push(
      `| ${r.scenario} | ${r.metric} (${r.unit}) | ${r.summary.n} | ${format(r.summary.median, r.unit)} | ${
        format(r.summary.p90, r.unit)
      } | ${format(r.summary.max, r.unit)} | ${r.goal || "-"} | ${
        r.pass === undefined ? "info" : r.pass ? "PASS" : "**FAIL**"
      } | ${r.load === undefined ? "" : r.load.toFixed(2)} |`,
    );
  }
  return out.join("\n");
}

/** 1, 5 and 15 minute load averages. */
export function loadAverage(): number[] {
  try {
    return Deno.readTextFileSync("/proc/loadavg").split(" ").slice(0, 3).map(Number);
  } catch {
    return Deno.loadavg();
  }
}

/** The checkout's commit and its changed files (`git status --porcelain`), or undefined outside git. */
export function describeCode(): { commit: string; changed: string[] } | undefined {
  const git = (args: string[]) => {
    const out = new Deno.Command("git", { args, stdout: "piped", stderr: "null" }).outputSync();
    return out.success ? new TextDecoder().decode(out.stdout) : undefined;
  };
  try {
    const commit = git(["rev-parse", "--short", "HEAD"])?.trim();
    const status = git(["status", "--porcelain", "--untracked-files=no"]);
    if (!commit || status === undefined) return undefined;
    return { commit, changed: status.split("\n").filter(Boolean).map((l) => l.slice(3)) };
  } catch {
    return undefined;
  }
}

/** Cores, memory and versions; `kubernetes` comes from the primary's /version. */
export function describeMachine(kubernetes: string): Machine {
  let memTotalMiB = 0;
  try {
    const kb = Number(/MemTotal:\s+(\d+)/.exec(Deno.readTextFileSync("/proc/meminfo"))?.[1]);
    memTotalMiB = Math.round(kb / 1024);
  } catch {
    // not Linux
  }
  return {
    cores: navigator.hardwareConcurrency,
    memTotalMiB,
    loadStart: loadAverage(),
    deno: Deno.version.deno,
    v8: Deno.version.v8,
    typescript: Deno.version.typescript,
    kubernetes,
    os: `${Deno.build.os} ${Deno.build.arch} ${Deno.osRelease()}`,
    code: describeCode(),
  };
}
