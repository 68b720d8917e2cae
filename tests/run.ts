/**
 * `deno task test`: builds the local control plane if needed, starts three
 * clusters once for the whole run, runs every test (unit and integration) with
 * them, tears them down, and ends with `tests: N passed, N failed`.
 *
 * Extra arguments go to `deno test` (e.g. `deno task test --filter informer`).
 *
 * @module
 */

import { ensureControlPlaneBinary } from "./build.ts";
import { ensureChromium } from "./chromium.ts";
import { ControlPlane } from "./control_plane.ts";
import { adminClient } from "./harness.ts";
import { LOG_DIR_ENV } from "./operator.ts";
import { formatFinding, scanClusters, scanLogDir, type ScanReport, summarizeScan } from "./secret_scan.ts";

const TEST_ROOTS = ["main_test.ts", "lib/", "controllers/", "cli/", "tests/", "bench/", "tools/"];

function log(line: string): void {
  console.error(`[test] ${line}`);
}

/** Reads `N passed` / `N failed` from deno test's summary line. */
export function parseSummary(output: string): { passed: number; failed: number } | undefined {
  // deno colours the summary; strip ANSI escapes before reading numbers.
  // deno-lint-ignore no-control-regex
  const lines = output.replace(/\x1b\[[0-9;]*m/g, "").split("\n");
  // deno's own result line (`ok | 12 passed (3 steps) | 0 failed (4s)`); any line with both counts else,
  // so that a test printing such words does not count over it.
  const result = lines.filter((l) => /^(?:ok|FAILED) \| \d+ passed\b.*\| \d+ failed\b/.test(l.trim()));
  const last = result.at(-1) ?? lines.filter((l) => /\d+ passed/.test(l) && /\d+ failed/.test(l)).at(-1);
  if (!last) return undefined;
  const passed = Number(/(\d+) passed/.exec(last)?.[1]);
  const failed = Number(/(\d+) failed/.exec(last)?.[1]);
  return { passed, failed };
}

/**
 * The final line: deno test's counts plus the secret scan as one more test. A
 * missing deno summary (a crash) counts as one failure.
 */
export function finalSummary(
  summary: { passed: number; failed: number } | undefined,
  scanPassed: boolean | undefined,
): { passed: number; failed: number; line: string } {
  let passed = summary?.passed ?? 0;
  let failed = summary?.failed ?? 1;
  if (scanPassed === true) passed++;
  if (scanPassed === false) failed++;
  return { passed, failed, line: `tests: ${passed} passed, ${failed} failed` };
}

/**
 * Scans what the run left for secrets: every operator log file, every Event of
 * every cluster, every Replicator and ClusterDetector status. Must run while
 * the control plane is up. Returns whether it passed.
 */
async function secretScan(cp: ControlPlane, logDir: string): Promise<boolean> {
  const clusters = cp.clusters.map((c) => ({ name: c.context, client: adminClient(cp, c.context) }));
  let report: ScanReport;
  try {
    const logs = await scanLogDir(logDir);
    const primary = clusters.find((c) => c.name === "primary")!.client;
    const live = await scanClusters(clusters, primary);
    report = {
      logFiles: logs.logFiles,
      logLines: logs.logLines,
      events: live.events,
      statuses: live.statuses,
      findings: [...logs.findings, ...live.findings],
      errors: live.errors,
    };
  } catch (error) {
    console.log(`secret scan: cannot run: ${(error as Error).message} ... FAILED`);
    return false;
  } finally {
    for (const c of clusters) c.client.close();
  }
  const ok = report.findings.length === 0 && report.errors.length === 0 && report.logLines > 0;
  console.log(`${summarizeScan(report)} (${report.logFiles} log files) ... ${ok ? "ok" : "FAILED"}`);
  for (const finding of report.findings.slice(0, 50)) console.log(`  ${formatFinding(finding)}`);
  if (report.findings.length > 50) console.log(`  ... and ${report.findings.length - 50} more`);
  for (const error of report.errors) console.log(`  incomplete: ${error}`);
  if (report.logLines === 0) console.log(`  no operator log lines in ${logDir}: the wiring is broken`);
  return ok;
}

async function main(args: string[]): Promise<number> {
  const started = performance.now();
  const binary = await ensureControlPlaneBinary({ log });
  await ensureChromium(log);
  const cpStarted = performance.now();
  const cp = await ControlPlane.start({ binary, log });
  log(
    `control plane: 3 clusters ready in ${((performance.now() - cpStarted) / 1000).toFixed(1)} s, ` +
      `${Math.round(await cp.residentBytes() / 1048576)} MiB resident; state ${cp.statePath}`,
  );

  let child: Deno.ChildProcess | undefined;
  const interrupt = async () => {
    log("interrupted: stopping tests and the control plane");
    try {
      child?.kill("SIGTERM");
    } catch {
      // gone
    }
    await cp.stop();
    Deno.exit(130);
  };
  Deno.addSignalListener("SIGINT", interrupt);
  Deno.addSignalListener("SIGTERM", interrupt);

  // Every operator process of the run writes its log here; scanned for secrets at the end.
  const logDir = await Deno.makeTempDir({ prefix: "plumber-test-logs-" });
  let output = "";
  let code = 1;
  let scanPassed: boolean | undefined;
  try {
    child = new Deno.Command(Deno.execPath(), {
      args: ["test", "-A", ...args, ...TEST_ROOTS],
      env: { PLUMBER_TEST_STATE: cp.statePath, [LOG_DIR_ENV]: logDir },
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    const decoder = new TextDecoder();
    for await (const chunk of child.stdout) {
      await Deno.stdout.write(chunk);
      output += decoder.decode(chunk, { stream: true });
      // Keep only the tail: the summary is at the end.
      if (output.length > 1_000_000) output = output.slice(-100_000);
    }
    code = (await child.status).code;
    // Before the control plane goes: its Events and statuses are part of the scan.
    scanPassed = await secretScan(cp, logDir);
  } finally {
    await cp.stop();
  }
  if (scanPassed) await Deno.remove(logDir, { recursive: true }).catch(() => {});
  else log(`operator logs kept in ${logDir}`);
  const summary = parseSummary(output);
  log(`total ${((performance.now() - started) / 1000).toFixed(0)} s`);
  const final = finalSummary(summary, scanPassed);
  console.log(final.line);
  if (!summary) return code === 0 ? 1 : code;
  return code === 0 && final.failed > 0 ? 1 : code;
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
