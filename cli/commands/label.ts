/**
 * `plumberctl label`: change the user labels of a registered cluster, as `kubectl label`
 * does (`k=v` sets, `k-` removes, changing a value needs `--overwrite`). The labels are
 * stored with the registration (the context's labels extension in the kubeconfig Secret,
 * which survives the ClusterDetector and the operator) and set on the ClusterDetector at
 * once, so they take effect even while the operator is down.
 *
 * @module
 */

import { LABEL_ROLE } from "../../lib/api.ts";
import {
  applyLabelChanges,
  formatLabels,
  formatSyncedLabels,
  type LabelChange,
  type Labels,
  parseLabelChange,
  sameLabels,
  SYNCED_LABELS_ANNOTATION,
  userLabels,
} from "../../lib/cluster_labels.ts";
import { CliError, UsageError } from "../../lib/errors.ts";
import { isNotFound } from "../../lib/kube/client.ts";
import { type ClusterDetector, PlumberV1Api } from "../../lib/kube/generated/plumber_v1.ts";
import {
  clusterDetectorName,
  type Kubeconfig,
  readContextLabels,
  withContextLabels,
} from "../../lib/kubeconfig/mod.ts";
import { CLI_FIELD_MANAGER, connectPrimary, onCluster, type Primary } from "../connection.ts";
import type { CliContext } from "../context.ts";
import { booleanFlag, type Command, namespaceFlag, positionalArgs } from "../flags.ts";
import { listEvery } from "../reads.ts";
import { readStoredKubeconfig, updateStoredKubeconfig } from "../secret_storage.ts";

/** Options of {@linkcode label}. */
export interface LabelOptions {
  /** ClusterDetector name or context name. */
  cluster: string;
  changes: LabelChange[];
  overwrite?: boolean;
  /** Print the labels instead of changing them. */
  list?: boolean;
  namespace: string;
}

/** What {@linkcode label} found and did. */
export interface LabelResult {
  name: string;
  /** The context in the kubeconfig Secret; undefined for the primary. */
  context?: string;
  labels: Labels;
  changed: boolean;
}

/** A registered cluster found by ClusterDetector or context name. */
interface Target {
  name: string;
  context?: string;
  detector?: ClusterDetector;
}

/** Finds the cluster by ClusterDetector name or context name, in the ClusterDetectors and in the Secret. */
export function findTarget(
  cluster: string,
  detectors: readonly ClusterDetector[],
  stored: Kubeconfig,
): Target {
  const detector = detectors.find((d) => d.metadata?.name === cluster) ??
    detectors.find((d) => d.spec?.context === cluster);
  const primary = detector?.metadata?.labels?.[LABEL_ROLE] === "primary";
  const byContext = stored.contexts.find((c) => c.name === cluster) ??
    stored.contexts.find((c) => {
      try {
        return clusterDetectorName(c.context.cluster, c.context.user) === cluster;
      } catch {
        return false;
      }
    });
  const context = primary ? undefined : detector?.spec?.context ?? byContext?.name;
  if (!detector && !byContext) {
    const known = [
      ...detectors.map((d) => d.metadata?.name ?? ""),
      ...stored.contexts.map((c) => `context ${c.name}`),
    ];
    throw new CliError(
      `No registered cluster "${cluster}" (a ClusterDetector or context name); known: ${
        known.length > 0 ? known.join(", ") : "none"
      }`,
    );
  }
  const name = detector?.metadata?.name ??
    clusterDetectorName(byContext!.context.cluster, byContext!.context.user);
  return { name, ...(context !== undefined ? { context } : {}), ...(detector ? { detector } : {}) };
}

/**
 * Changes (or, with `list`, prints) the user labels of a registered cluster: in the kubeconfig
 * Secret, then on the ClusterDetector. The primary is not in the Secret: its labels live on its
 * ClusterDetector only.
 *
 * @throws {CliError} for an unknown cluster, or a value change without `overwrite` (exit 2).
 */
export async function label(options: LabelOptions, ctx: CliContext): Promise<LabelResult> {
  const primary = await connectPrimary(ctx);
  try {
    const api = new PlumberV1Api(primary.rest).namespace(options.namespace);
    const detectors = await onCluster(primary, async () => {
      try {
        return await listEvery((page) => api.listClusterDetectors(page));
      } catch (error) {
        if (isNotFound(error)) return [];
        throw error;
      }
    });
    const stored = await readStoredKubeconfig(primary, options.namespace);
    const target = findTarget(options.cluster, detectors, stored.config);
    // The object's labels are the current ones (kubectl label may have changed them while the
    // operator was down); without an object, the stored ones.
    const current = target.detector
      ? userLabels(target.detector.metadata?.labels)
      : target.context
      ? readContextLabels(stored.config, target.context).labels ?? {}
      : {};
    if (options.list) {
      for (const [k, v] of Object.entries(current).sort(([a], [b]) => a.localeCompare(b))) {
        ctx.stdout(`${k}=${v}\n`);
      }
      return { name: target.name, context: target.context, labels: current, changed: false };
    }
    let next: Labels;
    try {
      next = applyLabelChanges(current, options.changes, { overwrite: options.overwrite });
    } catch (error) {
      throw new UsageError(`${(error as Error).message}`, "label");
    }
    let changed = false;
    if (target.context !== undefined) {
      const context = target.context;
      const result = await updateStoredKubeconfig(primary, options.namespace, (config) => {
        if (!config.contexts.some((c) => c.name === context)) {
          throw new CliError(
            `Context "${context}" is no longer in the kubeconfig Secret; it was removed meanwhile`,
          );
        }
        return { config: withContextLabels(config, context, next), result: undefined };
      });
      changed = result.changed;
    }
    if (target.detector) {
      changed = (await labelDetector(primary, api, target.detector, next, target)) || changed;
    }
    const where = target.context === undefined
      ? "on its ClusterDetector (the primary's labels are not in the kubeconfig Secret)"
      : target.detector
      ? "in the kubeconfig Secret and on its ClusterDetector"
      : "in the kubeconfig Secret (no ClusterDetector yet: the operator creates it with these labels)";
    ctx.stdout(
      changed
        ? `Cluster ${target.name} labeled ${where}: ${formatLabels(next)}\n`
        : `Cluster ${target.name} not labeled: its labels are already ${formatLabels(next)}\n`,
    );
    return { name: target.name, context: target.context, labels: next, changed };
  } finally {
    primary.client.close();
  }
}

/** Sets the user labels (and, for a secondary, the synced-labels record) on the ClusterDetector. */
async function labelDetector(
  primary: Primary,
  api: ReturnType<PlumberV1Api["namespace"]>,
  detector: ClusterDetector,
  next: Labels,
  target: Target,
): Promise<boolean> {
  const have = userLabels(detector.metadata?.labels);
  const synced = target.context === undefined ? undefined : formatSyncedLabels(next);
  if (sameLabels(have, next) && detector.metadata?.annotations?.[SYNCED_LABELS_ANNOTATION] === synced) {
    return false;
  }
  const labels: Record<string, string | null> = { ...next };
  for (const key of Object.keys(have)) if (!(key in next)) labels[key] = null;
  await onCluster(primary, () =>
    api.patchClusterDetector(target.name, {
      metadata: {
        labels,
        ...(synced !== undefined ? { annotations: { [SYNCED_LABELS_ANNOTATION]: synced } } : {}),
      },
    }, { fieldManager: CLI_FIELD_MANAGER }));
  return !sameLabels(have, next);
}

/** Reads the positional arguments of `plumberctl label`. @throws {UsageError} naming the argument. */
export function labelArguments(
  args: readonly string[],
  list: boolean,
): { cluster: string; changes: LabelChange[] } {
  const [cluster, ...rest] = args;
  if (cluster === undefined) {
    throw new UsageError("missing the cluster (a ClusterDetector or context name)", "label");
  }
  if (list && rest.length > 0) throw new UsageError("--list takes no label changes", "label");
  if (!list && rest.length === 0) {
    throw new UsageError(
      "no label changes given: pass key=value to set or key- to remove, or --list",
      "label",
    );
  }
  const changes = rest.map((arg) => {
    try {
      return parseLabelChange(arg, { allowRemove: true });
    } catch (error) {
      throw new UsageError(`invalid label argument ${(error as Error).message}`, "label");
    }
  });
  const keys = changes.map((c) => c.key);
  const twice = keys.find((k, i) => keys.indexOf(k) !== i);
  if (twice !== undefined) throw new UsageError(`label "${twice}" is given more than once`, "label");
  return { cluster, changes };
}

/** The `label` command. */
export const labelCommand: Command = {
  name: "label",
  summary: "Set, change, remove or list the labels of a registered cluster",
  usage:
    "plumberctl label <cluster> <key>=<value>... <key>-... [--overwrite] | plumberctl label <cluster> --list",
  args:
    "<cluster> is a ClusterDetector name (<cluster>.<user>) or a context name; key=value sets a label, key- removes it",
  description: `
Change the labels of a registered cluster, as kubectl label does. Replicators select
clusters by these labels (spec.clusterSelector, spec.overrides[].clusterSelector).

The labels are stored with the registration, in the cluster's context of the kubeconfig
Secret (extension plumber.jnytnai0613.github.io/labels), and set on its ClusterDetector at
once, so they take effect even while the operator is down, and survive operator restarts,
re-adding the context and the ClusterDetector being recreated. kubectl label clusterdetector
works too: the operator stores such changes in the Secret.

Changing the value of an existing label needs --overwrite. Keys plumber sets itself
(app.kubernetes.io/role, app.kubernetes.io/managed-by, plumber.jnytnai0613.github.io/*)
cannot be set.`,
  flags: [
    { name: "overwrite", type: "boolean", description: "Allow changing the value of an existing label" },
    { name: "list", type: "boolean", description: "Print the cluster's labels, one key=value a line" },
  ],
  examples: [
    "plumberctl label secondary1 region=east tier=big",
    "plumberctl label secondary1 region=west --overwrite",
    "plumberctl label v1262-cluster.kubernetes-admin2 tier-",
    "plumberctl label secondary1 --list",
  ],
  async run(flags, ctx) {
    const list = booleanFlag(flags, "list");
    const { cluster, changes } = labelArguments(positionalArgs(flags), list);
    await label({
      cluster,
      changes,
      list,
      overwrite: booleanFlag(flags, "overwrite"),
      namespace: namespaceFlag(flags),
    }, ctx);
  },
};
