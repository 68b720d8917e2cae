/**
 * `plumberctl view`: the registered clusters, primary included, from the
 * ClusterDetectors in the primary, as a table or as JSON / YAML for scripts.
 *
 * @module
 */

import { LABEL_ROLE } from "../../lib/api.ts";
import { formatLabels, type Labels, userLabels } from "../../lib/cluster_labels.ts";
import { CliError, UsageError } from "../../lib/errors.ts";
import { formatSelector, type LabelSelector, matchesSelector } from "../../lib/selector.ts";
import { parseLabelSelector } from "../../lib/selector_parse.ts";
import { isNotFound } from "../../lib/kube/client.ts";
import { type ClusterDetector, PlumberV1Api } from "../../lib/kube/generated/plumber_v1.ts";
import { connectPrimary, onCluster } from "../connection.ts";
import type { CliContext } from "../context.ts";
import { booleanFlag, type Command, namespaceFlag, stringFlag } from "../flags.ts";
import { formatAge, formatList, type OutputFormat, parseOutputFormat, renderTable } from "../output.ts";
import { listEvery } from "../reads.ts";

/** One registered cluster, as `-o json` / `-o yaml` print it. */
export interface ClusterRow {
  /** ClusterDetector name, `<cluster>.<user>`. */
  name: string;
  context: string;
  cluster: string;
  user: string;
  /** `primary` or `secondary`. */
  role: string;
  /** `Running`, `Unknown`, or "" before the first probe. */
  status: string;
  reason: string;
  kubernetesVersion: string;
  lastProbeTime: string;
  creationTimestamp: string;
  /** User labels (plumber's own, such as the role, left out). */
  labels: Labels;
}

/** Rows of the ClusterDetectors: primary first, then by context. */
export function clusterRows(detectors: readonly ClusterDetector[]): ClusterRow[] {
  const rows = detectors.map((d): ClusterRow => ({
    name: d.metadata?.name ?? "",
    context: d.spec?.context ?? "",
    cluster: d.spec?.cluster ?? "",
    user: d.spec?.user ?? "",
    role: d.metadata?.labels?.[LABEL_ROLE] ?? "",
    status: d.status?.clusterstatus ?? "",
    reason: d.status?.reason ?? "",
    kubernetesVersion: d.status?.kubernetesVersion ?? "",
    lastProbeTime: d.status?.lastProbeTime ?? "",
    creationTimestamp: d.metadata?.creationTimestamp ?? "",
    labels: userLabels(d.metadata?.labels),
  }));
  const rank = (row: ClusterRow) => (row.role === "primary" ? 0 : 1);
  return rows.sort((a, b) =>
    rank(a) - rank(b) || a.context.localeCompare(b.context) || a.name.localeCompare(b.name)
  );
}

function since(timestamp: string, now: Date): string {
  const time = Date.parse(timestamp);
  return Number.isNaN(time) ? "<unknown>" : formatAge(now.getTime() - time);
}

/** The rows in a format: a kubectl-style table, or a JSON / YAML list. */
export function formatRows(
  rows: readonly ClusterRow[],
  format: OutputFormat,
  now: Date,
  options: { showLabels?: boolean } = {},
): string {
  if (format === "json" || format === "yaml") return formatList(rows, format);
  const none = (value: string) => value || "<none>";
  const headers = ["CONTEXT", "CLUSTER", "USER", "ROLE", "STATUS", "VERSION", "AGE"];
  if (format === "wide") headers.push("REASON", "LAST PROBE");
  if (options.showLabels) headers.push("LABELS");
  return renderTable(
    headers,
    rows.map((row) => {
      const cells = [
        none(row.context),
        none(row.cluster),
        none(row.user),
        none(row.role),
        row.status || "<pending>",
        none(row.kubernetesVersion),
        since(row.creationTimestamp, now),
      ];
      if (format === "wide") {
        cells.push(none(row.reason), row.lastProbeTime ? `${since(row.lastProbeTime, now)} ago` : "<none>");
      }
      if (options.showLabels) cells.push(formatLabels(row.labels));
      return cells;
    }),
  );
}

/** Options of {@linkcode view}. */
export interface ViewOptions {
  output: OutputFormat;
  namespace: string;
  /** Add a LABELS column to the table. */
  showLabels?: boolean;
  /** Only the clusters whose labels (plumber's own included, as kubectl -l) match. */
  selector?: LabelSelector;
}

/** Reads the `--selector` value. @throws {UsageError} naming the flag and the value. */
export function parseSelectorFlag(text: string): LabelSelector {
  try {
    return parseLabelSelector(text);
  } catch (error) {
    const reason = (error as Error).message.replace(/^Cannot parse label selector "[^"]*": /, "");
    throw new UsageError(`invalid value "${text}" for --selector: ${reason}`, "view");
  }
}

/** Prints the registered clusters; returns their rows. */
export async function view(options: ViewOptions, ctx: CliContext): Promise<ClusterRow[]> {
  const primary = await connectPrimary(ctx);
  try {
    const detectors = new PlumberV1Api(primary.rest).namespace(options.namespace);
    const items = await onCluster(primary, async () => {
      try {
        return await listEvery((page) => detectors.listClusterDetectors(page));
      } catch (error) {
        if (!isNotFound(error)) throw error;
        throw new CliError(
          `The ClusterDetector CRD is not installed in the primary (context "${primary.context}", ${primary.server}); install the plumber operator there`,
        );
      }
    });
    const selector = options.selector;
    const rows = clusterRows(
      selector ? items.filter((d) => matchesSelector(selector, d.metadata?.labels)) : items,
    );
    if (rows.length === 0 && (options.output === "table" || options.output === "wide")) {
      ctx.stderr(
        selector && items.length > 0
          ? `No registered cluster matches the selector ${
            formatSelector(selector)
          } (${items.length} registered)\n`
          : `No clusters registered in namespace ${options.namespace} of the primary (context ${primary.context}); is the plumber operator running?\n`,
      );
      return rows;
    }
    ctx.stdout(formatRows(rows, options.output, ctx.now(), { showLabels: options.showLabels }));
    return rows;
  } finally {
    primary.client.close();
  }
}

/** The `view` command. */
export const viewCommand: Command = {
  name: "view",
  summary: "List the registered clusters and their health",
  usage: "plumberctl view [-o table|wide|json|yaml] [flags]",
  description: `
List the clusters registered with the activated primary, primary included, from the
ClusterDetectors the operator keeps: context, cluster, user, role, status (Running or
Unknown, as last probed by the operator), Kubernetes version and age.

--show-labels adds the clusters' labels; -l selects clusters by label with kubectl's
syntax: key=value, key!=value, key in (a,b), key notin (a), key (exists) and !key
(does not exist), joined by commas (all must match).`,
  flags: [
    {
      name: "output",
      short: "o",
      type: "string",
      value: "<format>",
      default: "table",
      description: "Output format: table, wide (adds REASON and LAST PROBE), json or yaml",
    },
    { name: "show-labels", type: "boolean", description: "Add a LABELS column to the table" },
    {
      name: "selector",
      short: "l",
      type: "string",
      value: "<selector>",
      description: "Only clusters whose labels match, e.g. 'region=east,tier in (big,huge),!legacy'",
    },
  ],
  examples: [
    "plumberctl view",
    "plumberctl view --show-labels",
    "plumberctl view -l 'region in (east,west),tier!=small'",
    "plumberctl view -o json | jq -r '.[] | select(.status != \"Running\") | .context'",
  ],
  async run(flags, ctx) {
    const selector = stringFlag(flags, "selector");
    await view({
      output: parseOutputFormat(stringFlag(flags, "output") ?? "table", "view"),
      namespace: namespaceFlag(flags),
      showLabels: booleanFlag(flags, "show-labels"),
      selector: selector === undefined ? undefined : parseSelectorFlag(selector),
    }, ctx);
  },
};
