/**
 * `plumberctl remove`: unregister a secondary cluster (drop its context from the
 * kubeconfig Secret; the operator then deletes its ClusterDetector), and with
 * `--cleanup` delete what `add` created in it.
 *
 * @module
 */

import { DEFAULT_NAMESPACE, LABEL_MANAGED_BY, MANAGED_BY_VALUE } from "../../lib/api.ts";
import type { KubeClient, KubeObjectLike } from "../../lib/kube/client.ts";
import { describeRef, type ObjectRef } from "../../lib/kube/resources.ts";
import { clusterDetectorName, removeContext } from "../../lib/kubeconfig/mod.ts";
import {
  type CliContext,
  CliError,
  type Cluster,
  type Command,
  connect,
  connectPrimary,
  KUBECONFIG_SECRET,
  loadKubeconfig,
  onCluster,
  readStoredKubeconfig,
  updateStoredKubeconfig,
} from "../common.ts";
import { CLUSTER_ROLE, clusterRoleBindingName, SERVICE_ACCOUNT, TOKEN_SECRET } from "./add.ts";

/** Options of {@linkcode remove}. */
export interface RemoveOptions {
  context: string;
  cleanup?: boolean;
  /** Kubeconfig to reach the target for `cleanup`; default: the activated one. */
  kubeconfig?: string;
  namespace: string;
}

/** What {@linkcode remove} did. */
export interface RemoveResult {
  /** ClusterDetector name of the removed context, when its names are valid. */
  name?: string;
  /** Objects deleted in the target (`Kind ns/name`). */
  deleted: string[];
  /** Objects left in the target, with why. */
  kept: string[];
}

const RBAC = "rbac.authorization.k8s.io/v1";

/** The objects `add` creates in a target, in deletion order (binding first, account last). */
export function cleanupRefs(namespace: string): ObjectRef[] {
  return [
    { apiVersion: RBAC, kind: "ClusterRoleBinding", name: clusterRoleBindingName(namespace) },
    { apiVersion: "v1", kind: "Secret", namespace, name: TOKEN_SECRET },
    { apiVersion: "v1", kind: "ServiceAccount", namespace, name: SERVICE_ACCOUNT },
    { apiVersion: RBAC, kind: "ClusterRole", name: CLUSTER_ROLE },
  ];
}

function managedByPlumber(object: KubeObjectLike): boolean {
  const labels = (object.metadata as { labels?: Record<string, string> } | undefined)?.labels;
  return labels?.[LABEL_MANAGED_BY] === MANAGED_BY_VALUE;
}

/** Deletes what `add` created, only objects labelled managed-by plumber; the ClusterRole only when unbound. */
async function cleanupTarget(
  client: KubeClient,
  namespace: string,
): Promise<Pick<RemoveResult, "deleted" | "kept">> {
  const deleted: string[] = [];
  const kept: string[] = [];
  for (const ref of cleanupRefs(namespace)) {
    const object = await client.find(ref);
    if (!object) continue;
    const label = describeRef(ref);
    if (!managedByPlumber(object)) {
      kept.push(`${label} (not labelled ${LABEL_MANAGED_BY}=${MANAGED_BY_VALUE})`);
      continue;
    }
    if (ref.kind === "ClusterRole") {
      // Another plumber installation (other namespace) may still bind it.
      const bindings = await client.list<KubeObjectLike & { roleRef?: { kind?: string; name?: string } }>(
        RBAC,
        "ClusterRoleBinding",
        { labelSelector: `${LABEL_MANAGED_BY}=${MANAGED_BY_VALUE}` },
      );
      const users = bindings.items.filter((b) =>
        b.roleRef?.kind === "ClusterRole" && b.roleRef.name === ref.name
      );
      if (users.length > 0) {
        kept.push(
          `${label} (still bound by ClusterRoleBinding ${users.map((b) => b.metadata?.name).join(", ")})`,
        );
        continue;
      }
    }
    if (await client.delete(ref, { uid: (object.metadata as { uid?: string } | undefined)?.uid })) {
      deleted.push(label);
    }
  }
  return { deleted, kept };
}

/**
 * Removes a context from the kubeconfig Secret of the primary and, with `cleanup`,
 * deletes the ServiceAccount, token Secret and RBAC `add` created in the target.
 *
 * @throws {CliError} when the context is not registered (listing those that are).
 */
export async function remove(options: RemoveOptions, ctx: CliContext): Promise<RemoveResult> {
  const { namespace } = options;
  const primary = await connectPrimary(ctx);
  let target: Cluster | undefined;
  try {
    const stored = await readStoredKubeconfig(primary, namespace);
    const registered = stored.config.contexts.find((c) => c.name === options.context);
    if (!registered) {
      const names = stored.config.contexts.map((c) => c.name);
      throw new CliError(
        `Context "${options.context}" is not registered in Secret ${namespace}/${KUBECONFIG_SECRET} of the primary; ${
          names.length === 0 ? "no clusters are registered" : `registered contexts: ${names.join(", ")}`
        }`,
      );
    }
    if (options.cleanup) {
      // Connect before changing anything, so a missing context fails without a half-done removal.
      const file = options.kubeconfig === undefined
        ? primary.file
        : await loadKubeconfig(options.kubeconfig, ctx);
      target = connect(file, options.context, ctx);
    }
    let name: string | undefined;
    try {
      name = clusterDetectorName(registered.context.cluster, registered.context.user);
    } catch {
      name = undefined;
    }
    await updateStoredKubeconfig(primary, namespace, (current) => ({
      config: current.contexts.some((c) => c.name === options.context)
        ? removeContext(current, options.context)
        : current,
      result: undefined,
    }));
    ctx.stdout(
      `Removed context ${options.context}${
        name ? ` (cluster ${name})` : ""
      } from Secret ${namespace}/${KUBECONFIG_SECRET} of the primary; the operator deletes its ClusterDetector\n`,
    );
    const result: RemoveResult = { deleted: [], kept: [] };
    if (name) result.name = name;
    if (target) {
      const cleaned = await onCluster(target, (client) => cleanupTarget(client, namespace)).catch((error) => {
        throw new CliError(
          `The context was removed, but cleaning up context ${options.context} failed: ${error.message}`,
        );
      });
      Object.assign(result, cleaned);
      ctx.stdout(
        cleaned.deleted.length > 0
          ? `Deleted in context ${options.context}: ${cleaned.deleted.join(", ")}\n`
          : `Nothing to delete in context ${options.context}\n`,
      );
      if (cleaned.kept.length > 0) {
        ctx.stderr(`Kept in context ${options.context}: ${cleaned.kept.join(", ")}\n`);
      }
    }
    return result;
  } finally {
    primary.client.close();
    target?.client.close();
  }
}

/** The `remove` command. */
export const removeCommand: Command = {
  name: "remove",
  summary: "Unregister a secondary cluster",
  usage: "plumberctl remove --context <context> [--cleanup] [flags]",
  description: `
Unregister a secondary cluster: remove its context from the kubeconfig Secret of the
primary; the operator then deletes its ClusterDetector. With --cleanup, also delete
what "plumberctl add" created in the cluster (ServiceAccount, token Secret, ClusterRole
and ClusterRoleBinding, only objects labelled app.kubernetes.io/managed-by=plumber),
reaching it through the same context of your kubeconfig; this revokes the stored token.`,
  flags: [
    {
      name: "context",
      type: "string",
      value: "<context>",
      description: "Registered context to remove",
      required: true,
    },
    {
      name: "cleanup",
      type: "boolean",
      description: "Also delete the ServiceAccount, token and RBAC that add created in the cluster",
    },
    {
      name: "kubeconfig",
      type: "string",
      value: "<path>",
      default: "the activated kubeconfig",
      description: "Kubeconfig to reach the cluster with --cleanup",
    },
  ],
  examples: [
    "plumberctl remove --context secondary1",
    "plumberctl remove --context secondary2 --cleanup",
  ],
  async run(flags, ctx) {
    await remove({
      context: flags.context as string,
      cleanup: flags.cleanup === true,
      kubeconfig: flags.kubeconfig as string | undefined,
      namespace: (flags.namespace as string | undefined) ?? DEFAULT_NAMESPACE,
    }, ctx);
  },
};
