/**
 * The run context of a `plumberctl` command: what it takes from its surroundings
 * (environment, working directory, output, clock, client options), injectable so
 * that tests can call commands as functions.
 *
 * @module
 */

import type { KubeClientOptions } from "../lib/kube/client.ts";

/** Everything a command takes from its surroundings, injectable for tests. */
export interface CliContext {
  /** Reads an environment variable (HOME, KUBECONFIG). */
  env(name: string): string | undefined;
  /** The working directory, for relative paths. */
  cwd(): string;
  /** Writes to standard output (text is written as is; add the newline). */
  stdout(text: string): void;
  /** Writes to standard error. */
  stderr(text: string): void;
  /** Whether standard error is a terminal (progress lines are rewritten in place then). */
  stderrIsTerminal: boolean;
  now(): Date;
  sleep(ms: number): Promise<void>;
  /** Options for every `KubeClient` the command makes. */
  clientOptions: KubeClientOptions;
}

function writeAll(file: { writeSync(p: Uint8Array): number }, text: string): void {
  const bytes = new TextEncoder().encode(text);
  let written = 0;
  while (written < bytes.length) written += file.writeSync(bytes.subarray(written));
}

/** The context of a real run: process environment, stdout/stderr, wall clock. */
export function processContext(): CliContext {
  return {
    env: (name) => Deno.env.get(name),
    cwd: () => Deno.cwd(),
    stdout: (text) => writeAll(Deno.stdout, text),
    stderr: (text) => writeAll(Deno.stderr, text),
    stderrIsTerminal: Deno.stderr.isTerminal(),
    now: () => new Date(),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    clientOptions: { timeoutMs: 15_000, maxRetries: 2, userAgent: "plumberctl" },
  };
}
