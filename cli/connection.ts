/**
 * Connections to clusters from the user's kubeconfig: one context's credentials turned
 * into a client (refusing what plumberctl cannot use, such as credential plugins), the
 * activated primary, and requests whose errors say what went wrong.
 *
 * A {@linkcode Cluster} carries the transport (`client`, to close) and the
 * {@linkcode RestClient} over it that the generated typed clients take: a command builds
 * only the API groups it uses (`new CoreV1Api(cluster.rest)`), so it loads no others.
 *
 * @module
 */

import { KubeClient } from "../lib/kube/client.ts";
import type { RestClient } from "../lib/kube/rest.ts";
import { restClientOf } from "../lib/kube/rest_adapter.ts";
import { type ClusterConnection, resolveConnection } from "../lib/kubeconfig/mod.ts";
import { CliError } from "../lib/errors.ts";
import { type PlumberConfig, readConfig } from "./config.ts";
import type { CliContext } from "./context.ts";
import { explainKubeError } from "./error_text.ts";
import { contextList, type KubeconfigFile, loadKubeconfig } from "./kubeconfig_file.ts";

/** Field manager of everything plumberctl applies. */
export const CLI_FIELD_MANAGER = "plumberctl";

/** A connected cluster: its kubeconfig names, server and a client. Close `client` when done. */
export interface Cluster {
  context: string;
  cluster: string;
  user: string;
  server: string;
  /** The transport; `close()` it when done. */
  client: KubeClient;
  /** The generated typed clients' transport over `client`. */
  rest: RestClient;
}

/**
 * Connects to a context of a kubeconfig file with its own credentials.
 *
 * @throws {CliError} when the context is unknown (listing the known ones) or its
 * credentials cannot be used by plumberctl (credential plugins, files that cannot be read).
 */
export function connect(
  file: KubeconfigFile,
  context: string,
  ctx: Pick<CliContext, "clientOptions">,
): Cluster {
  const entry = file.config.contexts.find((c) => c.name === context);
  if (!entry) {
    throw new CliError(`Context "${context}" is not in kubeconfig ${file.path}; ${contextList(file.config)}`);
  }
  // The library's own message advises `plumberctl add`, which is what is running here.
  const user = file.config.users.find((u) => u.name === entry.context.user)?.user;
  const plugin = user?.exec
    ? `exec is a credential plugin (command "${user.exec.command}")`
    : user?.["auth-provider"]
    ? `auth-provider is a credential plugin ("${user["auth-provider"].name}")`
    : undefined;
  if (plugin) {
    throw new CliError(
      `Cannot connect with context "${context}": users[${entry.context.user}].user.${plugin}, which plumberctl does not run; use a context with a client certificate or token for this cluster`,
    );
  }
  let connection: ClusterConnection;
  try {
    connection = resolveConnection(file.config, context, { baseDir: file.baseDir });
  } catch (error) {
    throw new CliError(error instanceof Error ? error.message : String(error), { cause: error });
  }
  const client = new KubeClient(connection, { ...ctx.clientOptions, name: context });
  return {
    context,
    cluster: connection.cluster,
    user: connection.user,
    server: connection.server,
    client,
    rest: restClientOf(client),
  };
}

/** Runs `fn` against a cluster, explaining any API error it throws. */
export async function onCluster<T>(cluster: Cluster, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    throw explainKubeError(error, cluster);
  }
}

/** The activated primary: its config, its kubeconfig file and a connection. */
export interface Primary extends Cluster {
  config: PlumberConfig;
  file: KubeconfigFile;
}

/** Connects to the activated primary. @throws {CliError} `NOT_ACTIVATED` when not activated. */
export async function connectPrimary(ctx: CliContext): Promise<Primary> {
  const config = await readConfig(ctx);
  let file: KubeconfigFile;
  try {
    file = await loadKubeconfig(config.path, ctx);
  } catch (error) {
    throw new CliError(
      `${
        error instanceof Error ? error.message : String(error)
      }; it is the activated kubeconfig of the primary: run plumberctl activate again`,
    );
  }
  return { ...connect(file, config.cluster, ctx), config, file };
}
