/**
 * `plumberctl activate`: choose the primary cluster (where the plumber operator runs)
 * and remember it in `~/.plumber/config.toml`, after checking that the kubeconfig
 * parses, the context exists, the cluster answers and plumber's CRDs are installed.
 *
 * @module
 */

import { API_GROUP, DEFAULT_NAMESPACE } from "../../lib/api.ts";
import { CliError } from "../../lib/errors.ts";
import { ApiextensionsV1Api } from "../../lib/kube/generated/apiextensions_v1.ts";
import { CoreV1Api } from "../../lib/kube/generated/core_v1.ts";
import { type PlumberConfig, writeConfig } from "../config.ts";
import { connect, onCluster } from "../connection.ts";
import type { CliContext } from "../context.ts";
import { type Command, requiredFlag, stringFlag } from "../flags.ts";
import { absolutePath, loadKubeconfig } from "../kubeconfig_file.ts";
import { findObject, serverVersion } from "../reads.ts";

/** The CRDs `activate` requires in the primary. */
export const REQUIRED_CRDS: readonly string[] = [
  `replicators.${API_GROUP}`,
  `clusterdetectors.${API_GROUP}`,
];

/** Options of {@linkcode activate}. */
export interface ActivateOptions {
  /** Kubeconfig path; default: the first of $KUBECONFIG holding the context, else ~/.kube/config. */
  path?: string;
  /** Context of the primary. */
  context: string;
  namespace?: string;
}

/** What {@linkcode activate} did. */
export interface ActivateResult {
  config: PlumberConfig;
  configPath: string;
  server: string;
  kubernetesVersion: string;
}

/** The kubeconfig paths to consider when `--path` is not given, as kubectl finds them. */
export function defaultKubeconfigPaths(ctx: Pick<CliContext, "env">): string[] {
  const fromEnv = (ctx.env("KUBECONFIG") ?? "").split(":").filter((p) => p !== "");
  if (fromEnv.length > 0) return fromEnv;
  const home = ctx.env("HOME");
  return home ? [`${home}/.kube/config`] : [];
}

async function pickKubeconfig(options: ActivateOptions, ctx: CliContext) {
  if (options.path !== undefined) return await loadKubeconfig(options.path, ctx);
  const candidates = defaultKubeconfigPaths(ctx);
  if (candidates.length === 0) {
    throw new CliError("Cannot find a kubeconfig: pass --path (neither KUBECONFIG nor HOME is set)");
  }
  // With several files in KUBECONFIG, take the first that defines the context, as kubectl's merge would.
  let first;
  for (const candidate of candidates) {
    try {
      const file = await loadKubeconfig(candidate, ctx);
      if (file.config.contexts.some((c) => c.name === options.context)) return file;
      first ??= file;
    } catch (error) {
      if (candidates.length === 1) throw error;
    }
  }
  if (first) return first;
  throw new CliError(
    `Cannot find a kubeconfig among ${candidates.map((c) => absolutePath(c, ctx)).join(", ")}; pass --path`,
  );
}

/**
 * Checks the primary and writes `~/.plumber/config.toml`.
 *
 * @throws {CliError} when the kubeconfig or context is unusable, the cluster does not
 * answer, or plumber's CRDs are not installed there.
 */
export async function activate(options: ActivateOptions, ctx: CliContext): Promise<ActivateResult> {
  const file = await pickKubeconfig(options, ctx);
  const cluster = connect(file, options.context, ctx);
  try {
    const version = await onCluster(cluster, () => serverVersion(cluster.client));
    const crds = new ApiextensionsV1Api(cluster.rest);
    const missing: string[] = [];
    for (const crd of REQUIRED_CRDS) {
      const found = await onCluster(cluster, () => findObject(() => crds.getCustomResourceDefinition(crd)));
      if (!found) missing.push(crd);
    }
    if (missing.length > 0) {
      throw new CliError(
        `plumber's CRDs are not installed in context "${cluster.context}" (${cluster.server}): ${
          missing.join(", ")
        } missing; install the operator there first (kubectl apply -f crds/), or activate the cluster where it runs`,
      );
    }
    const namespace = options.namespace ?? DEFAULT_NAMESPACE;
    // Only a hint: a user may be allowed to read CRDs but not namespaces.
    const core = new CoreV1Api(cluster.rest);
    const namespaceExists = await findObject(() => core.getNamespace(namespace))
      .then((found) => found !== undefined, () => true);
    const config: PlumberConfig = { cluster: options.context, path: file.path };
    const configPath = await writeConfig(ctx, config);
    const kubernetesVersion = version ?? "unknown";
    ctx.stdout(
      `Activated context ${config.cluster} (${cluster.server}, Kubernetes ${kubernetesVersion}) of ${file.path} as the primary cluster; wrote ${configPath}\n`,
    );
    if (!namespaceExists) {
      ctx.stderr(
        `Warning: namespace "${namespace}" does not exist yet in context ${config.cluster}; deploy the plumber operator before adding clusters\n`,
      );
    }
    return { config, configPath, server: cluster.server, kubernetesVersion };
  } finally {
    cluster.client.close();
  }
}

/** The `activate` command. */
export const activateCommand: Command = {
  name: "activate",
  summary: "Choose the primary cluster (where the plumber operator runs)",
  usage: "plumberctl activate --activate-context <context> [--path <kubeconfig>] [flags]",
  description: `
Choose the primary cluster: the one where the plumber operator runs and keeps the
kubeconfig Secret and the ClusterDetectors. Checks that the kubeconfig parses, that
the context exists, that the cluster answers and that plumber's CRDs are installed,
then writes ~/.plumber/config.toml (mode 0600), which every other command reads.`,
  flags: [
    {
      name: "activate-context",
      type: "string",
      value: "<context>",
      description: "Context of the primary cluster in the kubeconfig",
      required: true,
    },
    {
      name: "path",
      type: "string",
      value: "<kubeconfig>",
      default: "the first file of $KUBECONFIG with the context, else ~/.kube/config",
      description: "Kubeconfig holding the context",
    },
  ],
  examples: [
    "plumberctl activate --path ~/.kube/config --activate-context primary",
  ],
  async run(flags, ctx) {
    await activate({
      path: stringFlag(flags, "path"),
      context: requiredFlag(flags, "activate-context"),
      namespace: stringFlag(flags, "namespace"),
    }, ctx);
  },
};
