/**
 * The primary cluster: where it is (`--kubeconfig`/`--context`, in-cluster, `$KUBECONFIG`,
 * `~/.kube/config`), what its ClusterDetector is called, and the first request to it.
 *
 * @module
 */

import { UsageError } from "../errors.ts";
import {
  type ClusterConnection,
  inClusterConnection,
  listContexts,
  parseKubeconfig,
  resolveConnection,
} from "../kubeconfig/mod.ts";
import type { Logger } from "../log.ts";
import { KubeClient, type KubeClientOptions } from "./client.ts";
import { describeFailure } from "./probe.ts";

/** The flags that say where the primary is. */
export interface PrimaryFlags {
  kubeconfig?: string;
  context?: string;
  clusterName?: string;
  userName?: string;
}

/** Where the primary is and what its ClusterDetector is called. */
export interface PrimarySource {
  connection: ClusterConnection;
  identity: { context: string; cluster: string; user: string };
}

/** Finds the primary cluster: --kubeconfig, else in-cluster, else $KUBECONFIG / ~/.kube/config. */
export function primarySource(
  flags: PrimaryFlags,
  env: (name: string) => string | undefined,
): PrimarySource {
  const path = flags.kubeconfig ??
    (env("KUBERNETES_SERVICE_HOST")
      ? undefined
      : env("KUBECONFIG")?.split(":")[0] ?? `${env("HOME")}/.kube/config`);
  if (!path) {
    const connection = inClusterConnection();
    return {
      connection,
      identity: {
        context: "in-cluster",
        cluster: flags.clusterName ?? "kubernetes",
        user: flags.userName ?? "plumber",
      },
    };
  }
  let text: string;
  try {
    text = Deno.readTextFileSync(path);
  } catch (error) {
    throw new Error(`Cannot read kubeconfig "${path}": ${(error as Error).message}`);
  }
  const config = parseKubeconfig(text, path);
  const contextName = flags.context ?? config["current-context"];
  if (!contextName) {
    throw new UsageError(`--context: the kubeconfig "${path}" has no current-context; name one`);
  }
  const ctx = listContexts(config).find((c) => c.name === contextName);
  if (!ctx) {
    throw new UsageError(
      `--context: "${contextName}" is not in ${path} (contexts: ${
        listContexts(config).map((c) => c.name).join(", ")
      })`,
    );
  }
  const dir = path.includes("/") ? path.slice(0, path.lastIndexOf("/")) : ".";
  return {
    connection: resolveConnection(config, contextName, { baseDir: dir }),
    identity: {
      context: ctx.name,
      cluster: flags.clusterName ?? ctx.cluster,
      user: flags.userName ?? ctx.user,
    },
  };
}

/**
 * A client of the primary, once `/version` answered (logged); a primary that cannot be reached is an
 * error naming its server and why.
 */
export async function connectPrimary(
  source: PrimarySource,
  options: KubeClientOptions,
  log: Logger,
): Promise<KubeClient> {
  const primary = new KubeClient(source.connection, { name: source.identity.context, ...options });
  try {
    const version: { gitVersion?: string } = JSON.parse(
      await primary.getText("/version", { timeoutMs: 10_000 }),
    );
    log.info("Connected to the primary cluster", {
      server: primary.server,
      context: source.identity.context,
      version: version.gitVersion,
    });
    return primary;
  } catch (error) {
    primary.close();
    throw new Error(`Cannot reach the primary cluster at ${primary.server}: ${describeFailure(error)}`);
  }
}
