/**
 * The pure rules of registering a context with `plumberctl add`: its ClusterDetector name,
 * clashes with other registrations, `--label` values, and merging it into the stored kubeconfig.
 *
 * @module
 */

import { type Labels, parseLabelChange } from "../../lib/cluster_labels.ts";
import { CliError, UsageError } from "../../lib/errors.ts";
import {
  clusterDetectorName,
  type Kubeconfig,
  mergeKubeconfig,
  readContextLabels,
  removeContext,
  withContextLabels,
} from "../../lib/kubeconfig/mod.ts";

/** The ClusterDetector name of a context, as a CliError when the names are not valid. */
export function detectorNameOf(cluster: string, user: string): string {
  try {
    return clusterDetectorName(cluster, user);
  } catch (error) {
    throw new CliError(error instanceof Error ? error.message : String(error));
  }
}

/**
 * Checks that registering `context` (cluster and user names) does not collide with
 * another registered context or the primary's ClusterDetector name.
 */
export function checkRegistration(
  stored: Kubeconfig,
  context: { name: string; cluster: string; user: string },
  primaryDetector?: string,
): string {
  const name = detectorNameOf(context.cluster, context.user);
  if (primaryDetector !== undefined && name === primaryDetector) {
    throw new CliError(
      `Cannot register context "${context.name}": its ClusterDetector name "${name}" is the primary's; the primary is registered automatically (if this is another cluster, rename its cluster or user in the kubeconfig)`,
    );
  }
  const clash = stored.contexts.find((c) =>
    c.name !== context.name && c.context.cluster === context.cluster && c.context.user === context.user
  );
  if (clash) {
    throw new CliError(
      `Cannot register context "${context.name}": context "${clash.name}" is already registered with the same cluster and user names (ClusterDetector "${name}"); remove it first, or rename the cluster or user in your kubeconfig`,
    );
  }
  return name;
}

/**
 * Reads the `--label` values (`key=value`).
 *
 * @throws {UsageError} naming the flag and the value: `invalid value "Bad Key=x" for --label: ...`
 */
export function parseLabelFlags(values: readonly string[]): Labels | undefined {
  if (values.length === 0) return undefined;
  const labels: Labels = {};
  for (const value of values) {
    let change;
    try {
      change = parseLabelChange(value);
    } catch (error) {
      const reason = (error as Error).message.replace(/^"[^"]*": /, "");
      throw new UsageError(`invalid value "${value}" for --label: ${reason}`, "add");
    }
    if ("value" in change) {
      if (change.key in labels && labels[change.key] !== change.value) {
        throw new UsageError(
          `invalid value "${value}" for --label: label "${change.key}" is given twice`,
          "add",
        );
      }
      labels[change.key] = change.value;
    }
  }
  return labels;
}

/**
 * Adds the one-context kubeconfig `entry` to the stored one. A context of the same name
 * is replaced ("re-adding updates it"), with the cluster and user only it used; entries
 * shared with other contexts must be identical. The context's labels are `labels` when
 * given, else the ones stored before (a re-added context keeps its labels); labels the
 * entry brought from the local kubeconfig are ignored.
 */
export function registerContext(
  stored: Kubeconfig,
  entry: Kubeconfig,
  primaryDetector?: string,
  labels?: Labels,
): { config: Kubeconfig; replaced: boolean } {
  const context = entry.contexts[0];
  if (!context || entry.contexts.length !== 1) throw new RangeError("registerContext() needs one context");
  checkRegistration(stored, { name: context.name, ...context.context }, primaryDetector);
  const replaced = stored.contexts.some((c) => c.name === context.name);
  const kept = replaced ? readContextLabels(stored, context.name).labels ?? {} : {};
  const base = replaced ? removeContext(stored, context.name) : stored;
  const addition = withContextLabels(entry, context.name, {});
  delete addition["current-context"];
  try {
    return {
      config: withContextLabels(mergeKubeconfig(base, addition), context.name, labels ?? kept),
      replaced,
    };
  } catch {
    const users = (kind: "cluster" | "user", name: string) =>
      base.contexts.filter((c) => c.context[kind] === name).map((c) => c.name).join(", ");
    const sharedCluster = base.clusters.some((c) => c.name === context.context.cluster);
    const kind = sharedCluster ? "cluster" : "user";
    const name = sharedCluster ? context.context.cluster : context.context.user;
    throw new CliError(
      `Cannot register context "${context.name}": ${kind} "${name}" is already stored for context ${
        users(kind, name)
      } with different settings; rename the ${kind} in your kubeconfig, or remove that context first`,
    );
  }
}
