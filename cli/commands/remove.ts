/**
 * `plumberctl remove`: unregister a secondary cluster (drop its context from the
 * kubeconfig Secret; the operator then deletes its ClusterDetector), and with
 * `--cleanup` delete what `add` created in it.
 *
 * @module
 */

import {
  KUBECONFIG_SECRET_NAME,
  LABEL_MANAGED_BY,
  LABEL_REPLICATOR,
  MANAGED_BY_VALUE,
} from "../../lib/api.ts";
import { CliError } from "../../lib/errors.ts";
import { type CensusObject, describeCensus, namespaceCensus } from "../../lib/kube/census.ts";
import { isNotFound } from "../../lib/kube/client.ts";
import { CoreV1Api } from "../../lib/kube/generated/core_v1.ts";
import type { ObjectMeta } from "../../lib/kube/generated/meta_v1.ts";
import { RbacV1Api } from "../../lib/kube/generated/rbac_v1.ts";
import type { RestClient } from "../../lib/kube/rest.ts";
import { describeRef, type ObjectRef } from "../../lib/kube/resources.ts";
import { clusterDetectorName, removeContext } from "../../lib/kubeconfig/mod.ts";
import { type Cluster, connect, connectPrimary, onCluster } from "../connection.ts";
import type { CliContext } from "../context.ts";
import { booleanFlag, type Command, namespaceFlag, requiredFlag, stringFlag } from "../flags.ts";
import { loadKubeconfig } from "../kubeconfig_file.ts";
import { findObject } from "../reads.ts";
import { readStoredKubeconfig, updateStoredKubeconfig } from "../secret_storage.ts";
import {
  CLUSTER_ROLE,
  clusterRoleBindingName,
  createdByAdd,
  SERVICE_ACCOUNT,
  TOKEN_SECRET,
} from "./add_target.ts";
import { extraRoleName } from "./add_kinds.ts";

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

/** The objects `add` creates in a target, in deletion order (bindings first, account last). */
export function cleanupRefs(namespace: string): ObjectRef[] {
  return [
    { apiVersion: RBAC, kind: "ClusterRoleBinding", name: extraRoleName(namespace) },
    { apiVersion: RBAC, kind: "ClusterRole", name: extraRoleName(namespace) },
    { apiVersion: RBAC, kind: "ClusterRoleBinding", name: clusterRoleBindingName(namespace) },
    { apiVersion: "v1", kind: "Secret", namespace, name: TOKEN_SECRET },
    { apiVersion: "v1", kind: "ServiceAccount", namespace, name: SERVICE_ACCOUNT },
    { apiVersion: RBAC, kind: "ClusterRole", name: CLUSTER_ROLE },
  ];
}

function managedByPlumber(object: { metadata?: ObjectMeta }): boolean {
  return object.metadata?.labels?.[LABEL_MANAGED_BY] === MANAGED_BY_VALUE;
}

/** Typed reads and deletes of one of the objects {@linkcode cleanupRefs} names. */
interface CleanupObject {
  find(): Promise<{ metadata?: ObjectMeta } | undefined>;
  /** Deletes it if it still has `uid`; false when it was already gone. */
  delete(uid: string | undefined): Promise<boolean>;
}

async function deletedUnlessGone(request: Promise<unknown>): Promise<boolean> {
  try {
    await request;
    return true;
  } catch (error) {
    if (isNotFound(error)) return false;
    throw error;
  }
}

function cleanupObject(rest: RestClient, ref: ObjectRef): CleanupObject {
  const core = new CoreV1Api(rest);
  const rbac = new RbacV1Api(rest);
  const { name } = ref;
  const preconditions = (uid: string | undefined) => (uid ? { preconditions: { uid } } : {});
  switch (ref.kind) {
    case "ClusterRoleBinding":
      return {
        find: () => findObject(() => rbac.getClusterRoleBinding(name)),
        delete: (uid) => deletedUnlessGone(rbac.deleteClusterRoleBinding(name, preconditions(uid))),
      };
    case "ClusterRole":
      return {
        find: () => findObject(() => rbac.getClusterRole(name)),
        delete: (uid) => deletedUnlessGone(rbac.deleteClusterRole(name, preconditions(uid))),
      };
    case "Secret": {
      const secrets = core.namespace(ref.namespace ?? "");
      return {
        find: () => findObject(() => secrets.getSecret(name)),
        delete: (uid) => deletedUnlessGone(secrets.deleteSecret(name, preconditions(uid))),
      };
    }
    case "ServiceAccount": {
      const accounts = core.namespace(ref.namespace ?? "");
      return {
        find: () => findObject(() => accounts.getServiceAccount(name)),
        delete: (uid) => deletedUnlessGone(accounts.deleteServiceAccount(name, preconditions(uid))),
      };
    }
  }
  throw new RangeError(`Cannot clean up ${describeRef(ref)}: plumberctl add creates no ${ref.kind}`);
}

/** Deletes what `add` created, only objects labelled managed-by plumber; the ClusterRole only when unbound. */
async function cleanupTarget(
  rest: RestClient,
  namespace: string,
): Promise<Pick<RemoveResult, "deleted" | "kept">> {
  const deleted: string[] = [];
  const kept: string[] = [];
  for (const ref of cleanupRefs(namespace)) {
    const target = cleanupObject(rest, ref);
    const object = await target.find();
    if (!object) continue;
    const label = describeRef(ref);
    if (!managedByPlumber(object)) {
      kept.push(`${label} (not labelled ${LABEL_MANAGED_BY}=${MANAGED_BY_VALUE})`);
      continue;
    }
    if (ref.kind === "ClusterRole") {
      // Another plumber installation (other namespace) may still bind it.
      const bindings = await new RbacV1Api(rest).listClusterRoleBindings({
        labelSelector: `${LABEL_MANAGED_BY}=${MANAGED_BY_VALUE}`,
      });
      const users = bindings.items.filter((b) =>
        b.roleRef.kind === "ClusterRole" && b.roleRef.name === ref.name
      );
      if (users.length > 0) {
        kept.push(
          `${label} (still bound by ClusterRoleBinding ${users.map((b) => b.metadata?.name).join(", ")})`,
        );
        continue;
      }
    }
    if (await target.delete(object.metadata?.uid)) deleted.push(label);
  }
  return { deleted, kept };
}

/**
 * What the census of the namespace `add` created counts as plumber's own: objects labelled managed-by
 * plumber that belong to no Replicator (a replicated workload is a workload like any other: it keeps
 * the namespace).
 */
export function isAddsOwn(object: CensusObject): boolean {
  const labels = object.metadata.labels;
  return labels?.[LABEL_MANAGED_BY] === MANAGED_BY_VALUE && labels[LABEL_REPLICATOR] === undefined;
}

/**
 * Deletes the namespace when `add` created it ({@linkcode createdByAdd}) and a census finds nothing else
 * in it (DESIGN.md section 4: every namespaced type, Kubernetes' defaults aside); a namespace someone else
 * made is not touched.
 */
async function cleanupNamespace(
  target: Cluster,
  namespace: string,
): Promise<Pick<RemoveResult, "deleted" | "kept">> {
  const core = new CoreV1Api(target.rest);
  const live = await findObject(() => core.getNamespace(namespace));
  if (!live || live.metadata?.deletionTimestamp || !createdByAdd(live)) return { deleted: [], kept: [] };
  const label = `Namespace ${namespace}`;
  const census = await namespaceCensus(target.client, namespace, isAddsOwn);
  if (!census.empty) return { deleted: [], kept: [`${label} (${describeCensus(census)})`] };
  const uid = live.metadata?.uid;
  const gone = await deletedUnlessGone(
    core.deleteNamespace(namespace, uid ? { preconditions: { uid } } : {}),
  );
  return { deleted: gone ? [label] : [], kept: [] };
}

/**
 * Removes a context from the kubeconfig Secret of the primary and, with `cleanup`,
 * deletes the ServiceAccount, token Secret and RBAC `add` created in the target, and the namespace when
 * `add` created it and nothing else is in it.
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
        `Context "${options.context}" is not registered in Secret ${namespace}/${KUBECONFIG_SECRET_NAME} of the primary; ${
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
      } from Secret ${namespace}/${KUBECONFIG_SECRET_NAME} of the primary; the operator deletes its ClusterDetector\n`,
    );
    const result: RemoveResult = { deleted: [], kept: [] };
    if (name) result.name = name;
    if (target) {
      const rest = target.rest;
      const cluster = target;
      const cleaned = await onCluster(target, async () => {
        const objects = await cleanupTarget(rest, namespace);
        const ns = await cleanupNamespace(cluster, namespace);
        return { deleted: [...objects.deleted, ...ns.deleted], kept: [...objects.kept, ...ns.kept] };
      }).catch((error) => {
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
what "plumberctl add" created in the cluster (ServiceAccount, token Secret, ClusterRoles
and ClusterRoleBindings, --allow-kind's included, only objects labelled app.kubernetes.io/managed-by=plumber),
reaching it through the same context of your kubeconfig; this revokes the stored token.
The namespace goes too when "add" created it and a census of every type finds nothing
else in it; otherwise it is kept and the reason printed.`,
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
      description: "Also delete the ServiceAccount, token, RBAC and (if empty) namespace that add created",
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
      context: requiredFlag(flags, "context"),
      cleanup: booleanFlag(flags, "cleanup"),
      kubeconfig: stringFlag(flags, "kubeconfig"),
      namespace: namespaceFlag(flags),
    }, ctx);
  },
};
