/**
 * What `plumberctl add` creates in the target cluster in its default mode, as
 * `kubefedctl join` does: a `plumber` ServiceAccount, a ClusterRole limited to what
 * replication needs with its binding, and a long-lived token Secret for the account;
 * then the self-contained kubeconfig stored for the target, with that token.
 *
 * Why a legacy token Secret (`kubernetes.io/service-account-token`) rather than the
 * TokenRequest API: a TokenRequest token expires (at most the API server's
 * `--service-account-max-token-expiration`, often 24 h or less) and nothing would
 * renew it in the stored kubeconfig, so the cluster would silently turn `Unknown`.
 * A token Secret lives as long as the Secret and its ServiceAccount, is revoked by
 * deleting either (`plumberctl remove --cleanup`), and is explicitly created, so the
 * legacy-token cleaner (which targets auto-generated tokens) leaves it alone.
 *
 * @module
 */

import {
  CREATED_BY_ANNOTATION,
  DEFAULT_NAMESPACE,
  LABEL_MANAGED_BY,
  MANAGED_BY_VALUE,
} from "../../lib/api.ts";
import { decodeBase64 } from "../../lib/base64.ts";
import { formatDuration } from "../../lib/duration.ts";
import { CliError } from "../../lib/errors.ts";
import { isConflict } from "../../lib/kube/client.ts";
import {
  CoreV1Api,
  type Namespace,
  type Secret,
  type ServiceAccount,
} from "../../lib/kube/generated/core_v1.ts";
import type { ObjectMeta } from "../../lib/kube/generated/meta_v1.ts";
import {
  type ClusterRole,
  type ClusterRoleBinding,
  type PolicyRule,
  RbacV1Api,
} from "../../lib/kube/generated/rbac_v1.ts";
import type { Kubeconfig } from "../../lib/kubeconfig/mod.ts";
import { CLI_FIELD_MANAGER, type Cluster, onCluster } from "../connection.ts";
import type { CliContext } from "../context.ts";
import { findObject } from "../reads.ts";

/** ServiceAccount `add` creates in the target. */
export const SERVICE_ACCOUNT = "plumber";
/** Secret of type `kubernetes.io/service-account-token` holding its long-lived token. */
export const TOKEN_SECRET = "plumber-token";
/** ClusterRole with what replication needs in a secondary. */
export const CLUSTER_ROLE = "plumber-replicator";

/**
 * Name of the ClusterRoleBinding: `plumber-replicator` for the default namespace, and
 * `plumber-replicator-<namespace>` otherwise, so that a cluster registered by two plumber
 * installations in different namespaces keeps both bindings (each names its own account).
 */
export function clusterRoleBindingName(namespace: string): string {
  return namespace === DEFAULT_NAMESPACE ? CLUSTER_ROLE : `${CLUSTER_ROLE}-${namespace}`;
}

/** The verbs plumber needs on a replicated kind: apply, read, watch for drift, prune. */
export const REPLICATED_KIND_VERBS = ["get", "list", "watch", "create", "update", "patch", "delete"];

/**
 * The ClusterRole's rules: the kinds the Replicator controller applies, watches and prunes, and `list` on
 * every type for the namespace census.
 */
export const REPLICATION_RULES = [
  {
    apiGroups: [""],
    resources: ["namespaces", "configmaps", "secrets", "services"],
    verbs: REPLICATED_KIND_VERBS,
  },
  { apiGroups: ["apps"], resources: ["deployments"], verbs: REPLICATED_KIND_VERBS },
  { apiGroups: ["networking.k8s.io"], resources: ["ingresses"], verbs: REPLICATED_KIND_VERBS },
  // Before deleting a namespace it created, the operator counts what lives there: every namespaced type
  // the cluster serves, custom resources included (lib/kube/census.ts). It asks for metadata only
  // (PartialObjectMetadataList), so no Secret data is read through this rule; RBAC cannot say so, nor
  // name types that do not exist yet. Without it, plumber keeps the namespaces it created.
  { apiGroups: ["*"], resources: ["*"], verbs: ["list"] },
] satisfies PolicyRule[];

const MANAGED_LABELS = { [LABEL_MANAGED_BY]: MANAGED_BY_VALUE };

export { CREATED_BY_ANNOTATION };
/** Its value on the namespace `add` creates in a target (a space: never a Replicator's name). */
export const CREATED_BY_ADD = "plumberctl add";

/** The namespace `add` creates in a target when it is missing: labelled managed-by plumber, marked as `add`'s. */
export function targetNamespace(namespace: string): Namespace {
  return {
    apiVersion: "v1",
    kind: "Namespace",
    metadata: {
      name: namespace,
      labels: MANAGED_LABELS,
      annotations: { [CREATED_BY_ANNOTATION]: CREATED_BY_ADD },
    },
  };
}

/**
 * Whether `plumberctl add` created this namespace (its label and annotation), so that `remove --cleanup`
 * may delete it once a census finds nothing else in it. A namespace someone else made is never deleted.
 */
export function createdByAdd(namespace: { metadata?: ObjectMeta } | undefined): boolean {
  const meta = namespace?.metadata;
  return meta?.labels?.[LABEL_MANAGED_BY] === MANAGED_BY_VALUE &&
    meta.annotations?.[CREATED_BY_ANNOTATION] === CREATED_BY_ADD;
}

/** What `add` applies in the target, in order: ServiceAccount, ClusterRole, binding, token Secret. */
export function targetManifests(
  namespace: string,
): [ServiceAccount, ClusterRole, ClusterRoleBinding, Secret] {
  return [
    {
      apiVersion: "v1",
      kind: "ServiceAccount",
      metadata: { name: SERVICE_ACCOUNT, namespace, labels: MANAGED_LABELS },
    },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRole",
      metadata: { name: CLUSTER_ROLE, labels: MANAGED_LABELS },
      rules: REPLICATION_RULES,
    },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRoleBinding",
      metadata: { name: clusterRoleBindingName(namespace), labels: MANAGED_LABELS },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: CLUSTER_ROLE },
      subjects: [{ kind: "ServiceAccount", name: SERVICE_ACCOUNT, namespace }],
    },
    {
      apiVersion: "v1",
      kind: "Secret",
      metadata: {
        name: TOKEN_SECRET,
        namespace,
        labels: MANAGED_LABELS,
        annotations: { "kubernetes.io/service-account.name": SERVICE_ACCOUNT },
      },
      type: "kubernetes.io/service-account-token",
    },
  ];
}

/** Creates the namespace when missing and applies the ServiceAccount, RBAC and token Secret. */
export async function provisionServiceAccount(target: Cluster, namespace: string): Promise<void> {
  const core = new CoreV1Api(target.rest);
  const rbac = new RbacV1Api(target.rest);
  const inNamespace = core.namespace(namespace);
  await onCluster(target, async () => {
    // Created only when missing, so plumberctl never claims a namespace someone else made.
    if (!await findObject(() => core.getNamespace(namespace))) {
      try {
        await core.createNamespace(targetNamespace(namespace));
      } catch (error) {
        if (!isConflict(error)) throw error;
      }
    }
    const [serviceAccount, clusterRole, binding, tokenSecret] = targetManifests(namespace);
    const options = { fieldManager: CLI_FIELD_MANAGER, force: true };
    await inNamespace.applyServiceAccount(serviceAccount, options);
    await rbac.applyClusterRole(clusterRole, options);
    await rbac.applyClusterRoleBinding(binding, options);
    await inNamespace.applySecret(tokenSecret, options);
  });
}

/** Waits until the token controller has filled the token Secret (token and `ca.crt`). */
export async function waitForToken(
  target: Cluster,
  namespace: string,
  timeoutMs: number,
  ctx: CliContext,
): Promise<Secret> {
  const secrets = new CoreV1Api(target.rest).namespace(namespace);
  const deadline = ctx.now().getTime() + timeoutMs;
  while (true) {
    const secret = await onCluster(target, () => findObject(() => secrets.getSecret(TOKEN_SECRET)));
    if (secret?.data?.token && secret.data["ca.crt"]) return secret;
    if (ctx.now().getTime() >= deadline) {
      throw new CliError(
        `Timed out after ${
          formatDuration(timeoutMs)
        } waiting for the token controller to fill Secret ${namespace}/${TOKEN_SECRET} in context "${target.context}"; is kube-controller-manager running in that cluster?`,
      );
    }
    await ctx.sleep(200);
  }
}

/**
 * The self-contained kubeconfig stored for a target in the default mode: the caller's
 * context, cluster and user NAMES (so the ClusterDetector is `<cluster>.<user>` as the
 * user knows it), the caller's server, TLS server name, proxy and CA (inlined), and the
 * ServiceAccount token as the user's only credential. Without a CA in the caller's
 * kubeconfig (a publicly trusted server), the cluster's own `ca.crt` from the token
 * Secret is used.
 *
 * @param caller The caller's context as `extractContext` returns it (files inlined).
 * @param tokenSecret The filled `kubernetes.io/service-account-token` Secret.
 * @throws {CliError} when the Secret has no token.
 */
export function tokenKubeconfig(
  caller: Kubeconfig,
  tokenSecret: Pick<Secret, "data" | "metadata">,
): Kubeconfig {
  const context = caller.contexts[0];
  const cluster = caller.clusters[0];
  const user = caller.users[0];
  if (!context || !cluster || !user) {
    throw new RangeError("tokenKubeconfig() needs a kubeconfig with one context");
  }
  const token = tokenSecret.data?.token;
  if (!token) {
    throw new CliError(
      `Secret ${tokenSecret.metadata?.namespace}/${tokenSecret.metadata?.name} holds no token yet`,
    );
  }
  const entry: Kubeconfig["clusters"][number]["cluster"] = { server: cluster.cluster.server };
  const ca = cluster.cluster["certificate-authority-data"] || tokenSecret.data?.["ca.crt"];
  if (ca) entry["certificate-authority-data"] = ca;
  if (cluster.cluster["tls-server-name"]) entry["tls-server-name"] = cluster.cluster["tls-server-name"];
  if (cluster.cluster["proxy-url"]) entry["proxy-url"] = cluster.cluster["proxy-url"];
  return {
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name: cluster.name, cluster: entry }],
    users: [{ name: user.name, user: { token: new TextDecoder().decode(decodeBase64(token)).trim() } }],
    contexts: [{ name: context.name, context: { cluster: cluster.name, user: user.name } }],
  };
}
