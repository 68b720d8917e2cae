/**
 * Editing kubeconfigs: listing contexts, extracting one context into a self-contained
 * kubeconfig, merging two kubeconfigs and removing a context.
 *
 * @module
 */

import { encodeBase64 } from "../base64.ts";
import { canonicalJson } from "../json.ts";
import {
  checkNotBoth,
  CLIENT_FILE_FIELDS,
  findContext,
  hasValue,
  knownContexts,
  readReferencedFile,
} from "./_util.ts";
import type { FileReadOptions, Kubeconfig } from "./types.ts";

/** One row of `listContexts`. */
export interface ContextSummary {
  name: string;
  cluster: string;
  user: string;
  namespace?: string;
  /** The cluster's server, when the cluster is defined. */
  server?: string;
}

/**
 * Lists the contexts in file order, with each one's server.
 *
 * @example
 * ```ts
 * for (const c of listContexts(config)) console.log(c.name, c.server);
 * ```
 */
export function listContexts(config: Kubeconfig): ContextSummary[] {
  return config.contexts.map(({ name, context }) => {
    const summary: ContextSummary = { name, cluster: context.cluster, user: context.user };
    if (context.namespace !== undefined) summary.namespace = context.namespace;
    const server = config.clusters.find((c) => c.name === context.cluster)?.cluster.server;
    if (server !== undefined) summary.server = server;
    return summary;
  });
}

/**
 * Returns a minimal kubeconfig holding only `contextName`, its cluster and its user,
 * with `current-context` set to it. File references are inlined: `certificate-authority`,
 * `client-certificate` and `client-key` become their `*-data` (base64) and `tokenFile`
 * becomes `token`, so the result is self-contained. Relative paths are resolved against
 * `baseDir`, the folder of the kubeconfig they came from.
 *
 * @example
 * ```ts
 * const one = extractContext(config, "kind-east", { baseDir: "/home/me/.kube" });
 * validateForStorage(one);
 * ```
 *
 * @throws {Error} When the context is unknown (the message lists the known ones), when
 * its cluster or user is missing, or when a referenced file cannot be read.
 */
export function extractContext(
  config: Kubeconfig,
  contextName: string,
  options: FileReadOptions = {},
): Kubeconfig {
  const action = `extract context "${contextName}"`;
  const found = findContext(config, contextName, action);
  const cluster = structuredClone(found.cluster);
  const user = structuredClone(found.user);
  const clusterPrefix = `clusters[${cluster.name}].cluster`;
  const userPrefix = `users[${user.name}].user`;

  checkNotBoth(
    cluster.cluster as Record<string, unknown>,
    "certificate-authority",
    "certificate-authority-data",
    clusterPrefix,
    action,
  );
  const caPath = cluster.cluster["certificate-authority"];
  if (hasValue(caPath)) {
    const { bytes } = readReferencedFile(caPath, `${clusterPrefix}.certificate-authority`, action, options);
    cluster.cluster["certificate-authority-data"] = encodeBase64(bytes);
  }
  delete cluster.cluster["certificate-authority"];

  for (const [pathKey, dataKey] of CLIENT_FILE_FIELDS) {
    checkNotBoth(user.user as Record<string, unknown>, pathKey, dataKey, userPrefix, action);
    const path = user.user[pathKey];
    if (hasValue(path)) {
      const { bytes } = readReferencedFile(path, `${userPrefix}.${pathKey}`, action, options);
      user.user[dataKey] = encodeBase64(bytes);
    }
    delete user.user[pathKey];
  }

  const tokenFile = user.user.tokenFile;
  if (hasValue(tokenFile)) {
    // client-go prefers the file's (fresher) content over an inline token too.
    const { bytes } = readReferencedFile(tokenFile, `${userPrefix}.tokenFile`, action, options);
    user.user.token = new TextDecoder().decode(bytes).trim();
  }
  delete user.user.tokenFile;

  return {
    apiVersion: "v1",
    kind: "Config",
    clusters: [cluster],
    users: [user],
    contexts: [structuredClone(found.context)],
    "current-context": contextName,
  };
}

/**
 * Merges `from` into a copy of `into` (neither is modified). An entry whose name is new
 * is appended; one identical to an existing entry is skipped; one that differs is an
 * error unless `replace` is set, in which case it replaces the existing entry in place.
 * `into`'s `current-context` wins; `from`'s is used only when `into` has none.
 *
 * @example
 * ```ts
 * const secret = mergeKubeconfig(stored, extractContext(local, "kind-east"));
 * ```
 *
 * @throws {Error} `Cannot merge kubeconfig: cluster "east" already exists with different content; ...`
 */
export function mergeKubeconfig(
  into: Kubeconfig,
  from: Kubeconfig,
  options: { replace?: boolean } = {},
): Kubeconfig {
  const merged = structuredClone(into);
  const conflicts: string[] = [];
  const mergeList = <T extends { name: string }>(target: T[], source: T[], kind: string) => {
    for (const entry of source) {
      const index = target.findIndex((t) => t.name === entry.name);
      if (index === -1) {
        target.push(structuredClone(entry));
      } else if (canonicalJson(target[index]) !== canonicalJson(entry)) {
        if (options.replace) target[index] = structuredClone(entry);
        else conflicts.push(`${kind} "${entry.name}"`);
      }
    }
  };
  mergeList(merged.clusters, from.clusters, "cluster");
  mergeList(merged.users, from.users, "user");
  mergeList(merged.contexts, from.contexts, "context");
  if (conflicts.length > 0) {
    const one = conflicts.length === 1;
    throw new Error(
      `Cannot merge kubeconfig: ${conflicts.join(", ")} already ${
        one ? "exists" : "exist"
      } with different content; pass replace: true to overwrite ${one ? "it" : "them"}`,
    );
  }
  if (merged["current-context"] === undefined && from["current-context"] !== undefined) {
    merged["current-context"] = from["current-context"];
  }
  return merged;
}

/**
 * Returns a copy of `config` without `contextName`, and without its cluster and user
 * unless another context still uses them. Clears `current-context` if it was this one.
 *
 * @throws {Error} When the context is unknown (the message lists the known ones).
 */
export function removeContext(config: Kubeconfig, contextName: string): Kubeconfig {
  const removed = config.contexts.find((c) => c.name === contextName);
  if (!removed) {
    throw new Error(
      `Cannot remove context: context "${contextName}" is not in the kubeconfig; ${knownContexts(config)}`,
    );
  }
  const result = structuredClone(config);
  result.contexts = result.contexts.filter((c) => c.name !== contextName);
  const clusterInUse = result.contexts.some((c) => c.context.cluster === removed.context.cluster);
  const userInUse = result.contexts.some((c) => c.context.user === removed.context.user);
  if (!clusterInUse) result.clusters = result.clusters.filter((c) => c.name !== removed.context.cluster);
  if (!userInUse) result.users = result.users.filter((u) => u.name !== removed.context.user);
  if (result["current-context"] === contextName) delete result["current-context"];
  return result;
}
