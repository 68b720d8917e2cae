/**
 * `plumberctl status <replicator>`: a Replicator's state per cluster as a tree (each object's apply
 * state, drifts and last change, the workload's ready/desired replicas) with its conditions and their
 * reasons, or as JSON / YAML; `-w` prints it again on every change until interrupted.
 *
 * @module
 */

import { CliError, UsageError } from "../../lib/errors.ts";
import { isNotFound, KubeApiError } from "../../lib/kube/client.ts";
import { CoreV1Api } from "../../lib/kube/generated/core_v1.ts";
import { PlumberV1Api, type Replicator } from "../../lib/kube/generated/plumber_v1.ts";
import { type Cluster, connectPrimary } from "../connection.ts";
import { explainKubeError } from "../error_text.ts";
import type { CliContext } from "../context.ts";
import { booleanFlag, type Command, positionalArgs, stringFlag } from "../flags.ts";
import { toYaml } from "../output.ts";
import { listEvery } from "../reads.ts";
import { type EventLike, renderStatusTree, type StatusReport, statusReport } from "../status_tree.ts";

/** Output formats of `status`. */
export const STATUS_FORMATS = ["tree", "json", "yaml"] as const;
export type StatusFormat = typeof STATUS_FORMATS[number];

/** Options of {@linkcode status}. */
export interface StatusOptions {
  name: string;
  output: StatusFormat;
  watch?: boolean;
  /** Ends a watch (Ctrl-C ends the process anyway). */
  signal?: AbortSignal;
}

/** Reads an `-o` value. @throws {UsageError} naming the flag and the value. */
export function parseStatusFormat(text: string): StatusFormat {
  if ((STATUS_FORMATS as readonly string[]).includes(text)) return text as StatusFormat;
  if (text === "table") return "tree";
  throw new UsageError(
    `invalid value "${text}" for --output: expected one of ${STATUS_FORMATS.join(", ")}`,
    "status",
  );
}

/** The report in a format. */
export function formatReport(report: StatusReport, format: StatusFormat, now: Date): string {
  if (format === "json") return JSON.stringify(report, null, 2) + "\n";
  if (format === "yaml") return toYaml(report);
  return renderStatusTree(report, now);
}

/** The operator's Events about a Replicator (in `default`: a Replicator has no namespace). */
async function replicatorEvents(primary: Cluster, name: string): Promise<EventLike[]> {
  const core = new CoreV1Api(primary.rest).namespace("default");
  try {
    return await listEvery((page) =>
      core.listEvents({
        ...page,
        fieldSelector: `involvedObject.kind=Replicator,involvedObject.name=${name}`,
      })
    );
  } catch {
    // Events only add per-object history; the status alone still makes the report.
    return [];
  }
}

/** Prints a Replicator's status (and with `watch`, again on each change); returns the last report. */
export async function status(options: StatusOptions, ctx: CliContext): Promise<StatusReport> {
  const primary = await connectPrimary(ctx);
  try {
    const api = new PlumberV1Api(primary.rest);
    const read = async () => {
      try {
        return await api.getReplicator(options.name);
      } catch (error) {
        if (!isNotFound(error)) throw explainKubeError(error, primary);
        throw new CliError(
          `Replicator "${options.name}" not found in the primary (context "${primary.context}", ${primary.server})`,
        );
      }
    };
    let last = "";
    const show = async (replicator: Replicator): Promise<StatusReport> => {
      const report = statusReport(replicator, await replicatorEvents(primary, options.name));
      const text = formatReport(report, options.output, ctx.now());
      if (text !== last) {
        ctx.stdout(options.watch && last && options.output === "yaml" ? `---\n${text}` : text);
      }
      last = text;
      return report;
    };
    let replicator = await read();
    let report = await show(replicator);
    while (options.watch && !options.signal?.aborted) {
      try {
        for await (
          const event of api.watchReplicators({
            fieldSelector: `metadata.name=${options.name}`,
            resourceVersion: replicator.metadata?.resourceVersion,
            allowWatchBookmarks: true,
            timeoutSeconds: 300,
            signal: options.signal,
          })
        ) {
          if (event.type === "BOOKMARK") {
            replicator = { ...replicator, metadata: { ...replicator.metadata, ...event.object.metadata } };
            continue;
          }
          if (event.type === "DELETED") {
            ctx.stdout(`Replicator ${options.name} deleted\n`);
            return report;
          }
          replicator = event.object;
          report = await show(replicator);
        }
      } catch (error) {
        if (options.signal?.aborted) break;
        if (!(error instanceof KubeApiError && error.status === 410)) throw explainKubeError(error, primary);
        replicator = await read(); // 410 Gone: start again from the current state.
        report = await show(replicator);
      }
    }
    return report;
  } finally {
    primary.client.close();
  }
}

/** The `status` command. */
export const statusCommand: Command = {
  name: "status",
  summary: "Show a Replicator's state per cluster: objects, drifts, replicas and conditions",
  usage: "plumberctl status <replicator> [-w] [-o tree|json|yaml]",
  args: "<replicator>",
  description: `
Show a Replicator's state as a tree per cluster: each replicated object with its apply
state (applied, conflict: ... or failed: ...), how many drifts plumber reverted on it and
the last one (which fields, changed by which field manager), or when plumber last changed
it; the workload's ready/desired replicas; and the Replicator's conditions with reasons.
Per-object history comes from the operator's Events, which the API server keeps for an
hour by default; the per-cluster drift count (since the operator started) and the last
drift come from the Replicator's status.

-w prints the state again whenever it changes, until interrupted (Ctrl-C), as kubectl
get -w does. -o json or yaml prints the same report for scripts.`,
  flags: [
    {
      name: "output",
      short: "o",
      type: "string",
      value: "<format>",
      default: "tree",
      description: "Output format: tree, json or yaml",
    },
    {
      name: "watch",
      short: "w",
      type: "boolean",
      description: "Print again on every change until interrupted",
    },
  ],
  examples: [
    "plumberctl status replicator-sample",
    "plumberctl status replicator-sample -w",
    "plumberctl status replicator-sample -o json | jq '.clusters[] | {name, driftCorrections, lastDrift}'",
  ],
  async run(flags, ctx) {
    const [name, extra] = positionalArgs(flags);
    if (name === undefined) throw new UsageError("missing Replicator name", "status");
    if (extra !== undefined) throw new UsageError(`unexpected argument "${extra}"`, "status");
    await status({
      name,
      output: parseStatusFormat(stringFlag(flags, "output") ?? "tree"),
      watch: booleanFlag(flags, "watch"),
    }, ctx);
  },
};
