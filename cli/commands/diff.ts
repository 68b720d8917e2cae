/**
 * `plumberctl diff`: what a Replicator would change in every cluster it targets, before it changes it,
 * as `kubectl diff` shows it for one cluster: a server-side dry run of each object the operator would
 * apply, compared with the live object, as unified diffs per cluster and object.
 *
 * @module
 */

import type { Replicator } from "../../lib/api.ts";
import { mapLimit } from "../../lib/async.ts";
import {
  type ClusterDiff,
  diffExitCode,
  type DiffReport,
  diffSummary,
  EXIT_NO_DIFFERENCES,
  formatDiffs,
  formatProblems,
} from "../../lib/diff_report.ts";
import { CliError, UsageError } from "../../lib/errors.ts";
import { isSuspended } from "../../lib/release.ts";
import { resolveTargets, selectedIn, targetNames } from "../../lib/targets.ts";
import type { CliContext } from "../context.ts";
import { diffCluster } from "../diff/cluster_diff.ts";
import { connectDiffClusters, type DiffClusters } from "../diff/clusters.ts";
import { readReplicatorManifest } from "../diff/input.ts";
import { manifestReplicator, storedReplicator, tlsMaterialFor } from "../diff/replicator_source.ts";
import { type Command, namespaceFlag, positionalArgs, stringFlag } from "../flags.ts";
import { toYaml } from "../output.ts";

/** Output formats of `diff`: unified diffs, or the report for scripts. */
export const DIFF_FORMATS = ["diff", "json", "yaml"] as const;
export type DiffFormat = typeof DIFF_FORMATS[number];

/** Options of {@linkcode diff}. */
export interface DiffOptions {
  /** `-f`: a manifest file, `-` for stdin. */
  file?: string;
  /** The stored Replicator's name. */
  name?: string;
  output: DiffFormat;
  namespace: string;
  /** Reads stdin for `-f -` (tests pass text). */
  readStdin?: () => Promise<string>;
  /** Clusters diffed at once (default 8). */
  concurrency?: number;
}

/** Clusters the stored Replicator reports objects in: they are pruned when no longer targeted. */
function previousClusters(replicator: Replicator): string[] {
  const status = replicator.status;
  return [
    ...new Set([
      ...(status?.clusters ?? []).map((c) => c.name),
      ...(status?.applied ?? []).map((a) => a.cluster).filter((c): c is string => typeof c === "string"),
    ]),
  ];
}

async function diffAll(
  env: DiffClusters,
  replicator: Replicator,
  options: DiffOptions,
  ctx: CliContext,
): Promise<ClusterDiff[]> {
  const targeting = resolveTargets(
    replicator.spec,
    env.primaryName,
    env.selectable,
    selectedIn(replicator.status),
  );
  for (const problem of targeting.problems) ctx.stderr(`warning: ${problem}\n`);
  if (isSuspended(replicator.spec)) {
    ctx.stderr(
      `warning: Replicator ${replicator.metadata.name} is suspended (spec.suspend): the operator applies none of this until it is resumed\n`,
    );
  }
  const targets = targetNames(targeting);
  // Only a stored Replicator has objects in clusters it no longer targets.
  const dropped = replicator.metadata.uid
    ? previousClusters(replicator).filter((c) => !targets.includes(c))
    : [];
  const tls = await tlsMaterialFor(env.primary, options.namespace, replicator);
  const extraKinds = (replicator.status?.applied ?? []).flatMap((a) =>
    a.apiVersion && a.kind ? [{ apiVersion: a.apiVersion, kind: a.kind }] : []
  );
  const labels = new Map(env.selectable.map((c) => [c.name, c.labels]));
  const work = [
    ...targets.map((c) => ({ cluster: c, targeted: true })),
    ...dropped.map((c) => ({ cluster: c, targeted: false })),
  ];
  return await mapLimit(
    work,
    options.concurrency ?? 8,
    async ({ cluster, targeted }): Promise<ClusterDiff> => {
      const entry = env.clusters.get(cluster);
      if (!entry?.client) {
        return {
          cluster,
          reachable: false,
          error: entry?.problem ??
            `not registered: no context for it in the kubeconfig Secret ${options.namespace}/plumber-kubeconfig`,
          objects: [],
        };
      }
      return await diffCluster({
        replicator,
        cluster,
        role: entry.role,
        client: entry.client,
        labels: labels.get(cluster),
        primaryId: env.primaryId,
        tls,
        targeted,
        extraKinds,
      });
    },
  );
}

/**
 * Diffs a Replicator (a manifest or the stored one) against every cluster it targets and prints the
 * result; returns the report and the exit code (0 no differences, 1 differences, 2 when some cluster
 * or object could not be diffed). Usage and input errors throw.
 */
export async function diff(
  options: DiffOptions,
  ctx: CliContext,
): Promise<{ report: DiffReport; code: number }> {
  if ((options.file === undefined) === (options.name === undefined)) {
    throw new UsageError("give either -f <file> or the name of a stored Replicator", "diff");
  }
  const manifest = options.file === undefined
    ? undefined
    : await readReplicatorManifest(options.file, ctx.cwd(), options.readStdin);
  const env = await connectDiffClusters(ctx, options.namespace);
  try {
    const replicator = manifest
      ? await manifestReplicator(env.primary, manifest, options.file === "-" ? "stdin" : options.file!)
      : await storedReplicator(env.primary, options.name!);
    const report: DiffReport = {
      replicator: replicator.metadata.name,
      clusters: await diffAll(env, replicator, options, ctx),
    };
    if (options.output === "json") ctx.stdout(JSON.stringify(report, null, 2) + "\n");
    else if (options.output === "yaml") ctx.stdout(toYaml(report));
    else ctx.stdout(formatDiffs(report));
    ctx.stderr(formatProblems(report));
    return { report, code: diffExitCode(report) };
  } finally {
    env.close();
  }
}

function parseDiffFormat(text: string): DiffFormat {
  const format = DIFF_FORMATS.find((f) => f === text);
  if (!format) {
    throw new UsageError(
      `invalid value "${text}" for --output: expected one of ${DIFF_FORMATS.join(", ")}`,
      "diff",
    );
  }
  return format;
}

/** The `diff` command. */
export const diffCommand: Command = {
  name: "diff",
  summary: "Show what a Replicator would change in every cluster it targets",
  usage: "plumberctl diff (-f <file> | <replicator>) [-o diff|json|yaml] [flags]",
  args: "<replicator>   a stored Replicator (instead of -f): diff its spec against the clusters",
  description: `
Show what applying a Replicator would change, cluster by cluster, before the operator changes it: the
Replicator of -f (a file, or - for stdin; new or a changed spec of an existing one) or the stored one.

For every cluster it would target (the primary, targetCluster, and clusterSelector over the
ClusterDetectors' labels, with spec.overrides applied per cluster), each object is rendered as the
operator renders it and applied in a server-side dry run (dryRun=All, field manager plumber, forced as
the operator does) and compared with the live object, printed as a unified diff:
  --- live <cluster>/<kind>/<namespace>/<name>
  +++ plumber
Objects to be created are shown whole; plumber's objects of this Replicator that are no longer rendered
(and everything of it in a cluster it no longer targets) are shown whole as deleted (pruned). An object
of the same name that plumber does not own is reported as a conflict: the operator leaves it alone.
Managed metadata (resourceVersion, managedFields, generation, uid, timestamps, plumber's intent hash)
and status are left out. Secret values are never shown: as kubectl diff does, they read *** when
unchanged and *** (before) / *** (after) when changed. When the namespace does not exist yet, its
objects cannot be dry-run and are shown as rendered.

Credentials: the primary is reached with the activated context (plumberctl activate); every secondary
with the credentials the operator uses, from the kubeconfig Secret <namespace>/plumber-kubeconfig, so
the dry run sees exactly what plumber's identity may see and do there. Reading that Secret and the
Replicator's TLS Secret needs the corresponding rights in the primary.

An unreachable cluster is reported on stderr (and in -o json) and the others are still diffed.

Exit codes, as kubectl diff: 0 no differences, 1 differences (or conflicts), 2 an error: bad input,
or some cluster or object could not be diffed (the answer is incomplete).`,
  flags: [
    {
      name: "filename",
      short: "f",
      type: "string",
      value: "<file>",
      description: "Replicator manifest to diff (YAML or JSON; - reads stdin)",
    },
    {
      name: "output",
      short: "o",
      type: "string",
      value: "<format>",
      default: "diff",
      description:
        "diff (unified diffs), or json / yaml: {replicator, clusters: [{cluster, reachable, error?, objects: [{kind, namespace, name, action, diff}]}]}",
    },
  ],
  examples: [
    "plumberctl diff -f replicator.yaml",
    "kubectl get rep web -o yaml | sed 's/nginx:1.27/nginx:1.28/' | plumberctl diff -f -",
    "plumberctl diff web",
    "plumberctl diff -f replicator.yaml -o json | jq '.clusters[] | {cluster, reachable, error}'",
  ],
  async run(flags, ctx) {
    const args = positionalArgs(flags);
    if (args.length > 1) throw new UsageError(`expected one Replicator name, got ${args.length}`, "diff");
    const { report, code } = await diff({
      file: stringFlag(flags, "filename"),
      name: args[0],
      output: parseDiffFormat(stringFlag(flags, "output") ?? "diff"),
      namespace: namespaceFlag(flags),
    }, ctx);
    if (code === EXIT_NO_DIFFERENCES) return;
    const failed = report.clusters.filter((c) => c.error !== undefined).length;
    throw new CliError(
      code === 1
        ? `differences found: ${diffSummary(report)}`
        : `the diff is incomplete: ${failed} of ${report.clusters.length} clusters could not be diffed` +
          ` (see above); ${diffSummary(report)}`,
      { exitCode: code },
    );
  },
};
