/**
 * `plumberctl` as a user runs it (`deno run -A cli/plumberctl.ts`, a new process each time), timed, for
 * the `cli` and `diff` benchmarks. Pass `DENO_DIR` from {@linkcode denoDir} in `env` so a temporary
 * HOME keeps Deno's module cache where it already is (runs stay warm).
 *
 * @module
 */

import { denoDir } from "../tests/plumberctl_run.ts";

export { denoDir };

const PLUMBERCTL = new URL("../cli/plumberctl.ts", import.meta.url).pathname;

/** Runs plumberctl with `env`; returns its wall time and stdout, or throws when it exits other than `expectCode`. */
export async function timedPlumberctl(
  args: string[],
  env: Record<string, string>,
  expectCode = 0,
): Promise<{ ms: number; out: string }> {
  const started = performance.now();
  const result = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", PLUMBERCTL, ...args],
    env,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const ms = performance.now() - started;
  if (result.code !== expectCode) {
    throw new Error(
      `plumberctl ${args[0]} exited with ${result.code}, expected ${expectCode}: ${
        new TextDecoder().decode(result.stderr).trim()
      }`,
    );
  }
  return { ms, out: new TextDecoder().decode(result.stdout) };
}
