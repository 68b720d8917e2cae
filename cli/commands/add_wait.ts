/**
 * The end of `plumberctl add`: waiting until the operator reports the new cluster
 * Running, with a progress line on stderr.
 *
 * @module
 */

import { formatDuration } from "../../lib/duration.ts";
import { CliError } from "../../lib/errors.ts";
import { type ClusterDetector, PlumberV1Api } from "../../lib/kube/generated/plumber_v1.ts";
import { type Cluster, onCluster } from "../connection.ts";
import type { CliContext } from "../context.ts";
import { findObject } from "../reads.ts";

/** A progress line on stderr: rewritten in place on a terminal, printed on change otherwise. */
class Progress {
  #ctx: CliContext;
  #last = "";
  #shown = false;

  constructor(ctx: CliContext) {
    this.#ctx = ctx;
  }

  update(state: string, elapsed: string): void {
    if (this.#ctx.stderrIsTerminal) {
      this.#ctx.stderr(`\r\x1b[2K${state} (${elapsed})`);
      this.#shown = true;
    } else if (state !== this.#last) {
      this.#ctx.stderr(`${state}\n`);
    }
    this.#last = state;
  }

  done(): void {
    if (this.#shown) this.#ctx.stderr("\r\x1b[2K");
    this.#shown = false;
  }
}

/** What a ClusterDetector says about its cluster, for progress and timeout messages. */
export function describeDetector(detector: ClusterDetector | undefined): string {
  if (!detector) return "the operator has not created its ClusterDetector yet";
  const status = detector.status?.clusterstatus;
  if (!status) return "the operator has not probed it yet";
  return detector.status?.reason ? `it reports ${status}: ${detector.status.reason}` : `it reports ${status}`;
}

/** Which ClusterDetector {@linkcode waitForRunning} waits for, and what it saw before. */
export interface WaitForRunningOptions {
  namespace: string;
  /** ClusterDetector name. */
  name: string;
  /** Context the user registered, for messages. */
  context: string;
  /** The ClusterDetector before the Secret changed, if it existed. */
  before: ClusterDetector | undefined;
  /** Whether the stored credentials changed. */
  changed: boolean;
  timeoutMs: number;
}

/**
 * Waits until the ClusterDetector reports Running. When it was Running before the
 * Secret changed, the old status says nothing about the new credentials: wait for the
 * operator to touch it (new resourceVersion) or, if it does not within a grace period
 * (it writes status only on change), accept the unchanged Running.
 *
 * @throws {CliError} at the timeout, saying what the ClusterDetector reports.
 */
export async function waitForRunning(
  primary: Cluster,
  options: WaitForRunningOptions,
  ctx: CliContext,
): Promise<ClusterDetector> {
  const { name, context, before, changed, timeoutMs } = options;
  const detectors = new PlumberV1Api(primary.rest).namespace(options.namespace);
  const started = ctx.now().getTime();
  const deadline = started + timeoutMs;
  const grace = Math.min(10_000, timeoutMs / 2);
  const progress = new Progress(ctx);
  let detector: ClusterDetector | undefined;
  try {
    while (true) {
      detector = await onCluster(primary, () => findObject(() => detectors.getClusterDetector(name)));
      const now = ctx.now().getTime();
      if (detector?.status?.clusterstatus === "Running") {
        const stale = changed && before?.status?.clusterstatus === "Running" &&
          before.metadata?.uid === detector.metadata?.uid &&
          before.metadata?.resourceVersion === detector.metadata?.resourceVersion;
        if (!stale || now - started >= grace) return detector;
      }
      if (now >= deadline) break;
      progress.update(
        `Waiting for cluster ${name} (context ${context}) to be Running: ${describeDetector(detector)}`,
        `${formatDuration(now - started)} of ${formatDuration(timeoutMs)}`,
      );
      await ctx.sleep(500);
    }
  } finally {
    progress.done();
  }
  const hint = detector
    ? ""
    : `; is the plumber operator running in the primary (context "${primary.context}")?`;
  throw new CliError(
    `Timed out after ${
      formatDuration(timeoutMs)
    } waiting for cluster ${name} (context ${context}) to be Running: ${describeDetector(detector)}${hint}`,
  );
}
