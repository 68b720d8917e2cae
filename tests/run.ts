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
import { ControlPlane } from "./control_plane.ts";

const TEST_ROOTS = ["main_test.ts", "lib/", "controllers/", "cli/", "tests/"];

function log(line: string): void {
  console.error(`[test] ${line}`);
}

/** Reads `N passed` / `N failed` from deno test's summary line. */
export function parseSummary(output: string): { passed: number; failed: number } | undefined {
  const lines = output.split("\n").filter((l) => /\d+ passed/.test(l) && /\d+ failed/.test(l));
  const last = lines.at(-1);
  if (!last) return undefined;
  // deno colours the summary; strip ANSI escapes before reading numbers.
  // deno-lint-ignore no-control-regex
  const plain = last.replace(/\x1b\[[0-9;]*m/g, "");
  const passed = Number(/(\d+) passed/.exec(plain)?.[1]);
  const failed = Number(/(\d+) failed/.exec(plain)?.[1]);
  return { passed, failed };
}

async function main(args: string[]): Promise<number> {
  const started = performance.now();
  const binary = await ensureControlPlaneBinary({ log });
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

  let output = "";
  let code = 1;
  try {
    child = new Deno.Command(Deno.execPath(), {
      args: ["test", "-A", ...args, ...TEST_ROOTS],
      env: { PLUMBER_TEST_STATE: cp.statePath },
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
  } finally {
    await cp.stop();
  }
  const summary = parseSummary(output);
  log(`total ${((performance.now() - started) / 1000).toFixed(0)} s`);
  if (!summary) {
    console.log("tests: 0 passed, 1 failed");
    return code === 0 ? 1 : code;
  }
  console.log(`tests: ${summary.passed} passed, ${summary.failed} failed`);
  return code;
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
