/**
 * Serializing a `Kubeconfig` as YAML that kubectl reads back unchanged.
 *
 * @module
 */

import { dump } from "js-yaml";
import {
  CLUSTER_SCALARS,
  type ClusterEntry,
  EXEC_SCALARS,
  type ExecConfig,
  type Kubeconfig,
  USER_SCALARS,
  type UserEntry,
} from "./types.ts";

/**
 * Serializes a kubeconfig as YAML in kubectl's key order. Strings that YAML 1.1 readers
 * (kubectl's) would take for booleans or numbers, such as `on` or `0777`, are quoted.
 *
 * @example
 * ```ts
 * await Deno.writeTextFile(path, serializeKubeconfig(config), { mode: 0o600 });
 * ```
 */
export function serializeKubeconfig(config: Kubeconfig): string {
  const ordered: Record<string, unknown> = {
    apiVersion: config.apiVersion,
    kind: config.kind,
    clusters: config.clusters.map(({ name, cluster }) => ({ name, cluster: orderedCluster(cluster) })),
    contexts: config.contexts.map(({ name, context }) => ({
      name,
      context: withoutUndefined({
        cluster: context.cluster,
        user: context.user,
        namespace: context.namespace,
        extensions: context.extensions,
      }),
    })),
    "current-context": config["current-context"],
    preferences: config.preferences ?? {},
    users: config.users.map(({ name, user }) => ({ name, user: orderedUser(user) })),
    extensions: config.extensions,
  };
  // js-yaml's default DUMP_SCHEMA quotes what YAML 1.1 or 1.2 would read as another type (`on`, `0777`).
  return dump(withoutUndefined(ordered), { lineWidth: -1, noRefs: true, quoteStyle: "double" });
}

function orderedCluster(cluster: ClusterEntry): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(CLUSTER_SCALARS)) out[key] = cluster[key as keyof ClusterEntry];
  out.extensions = cluster.extensions;
  return withoutUndefined(out);
}

function orderedUser(user: UserEntry): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(USER_SCALARS)) out[key] = user[key as keyof UserEntry];
  out["as-user-extra"] = user["as-user-extra"];
  out["auth-provider"] = user["auth-provider"];
  if (user.exec) {
    const exec: Record<string, unknown> = {};
    for (const key of Object.keys(EXEC_SCALARS)) exec[key] = user.exec[key as keyof ExecConfig];
    exec.env = user.exec.env;
    out.exec = withoutUndefined(exec);
  }
  out.extensions = user.extensions;
  return withoutUndefined(out);
}

function withoutUndefined(map: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(map).filter(([, value]) => value !== undefined));
}
