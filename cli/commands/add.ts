/**
 * `plumberctl add`: register a secondary cluster.
 *
 * By default, like `kubefedctl join`, it creates in the target a `plumber`
 * ServiceAccount with a ClusterRole limited to what replication needs, and stores
 * that account's token (not the caller's credentials) in the kubeconfig Secret of
 * the primary. `--use-current-credentials` stores the caller's own credentials
 * instead, when they can be stored (no credential plugins, files inlined).
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
  API_VERSION,
  CLUSTER_DETECTOR_KIND,
  type ClusterDetector,
  DEFAULT_NAMESPACE,
  LABEL_MANAGED_BY,
  LABEL_ROLE,
  MANAGED_BY_VALUE,
} from "../../lib/api.ts";
import { isConflict, type KubeObjectLike } from "../../lib/kube/client.ts";
import {
  clusterDetectorName,
  extractContext,
  type Kubeconfig,
  KubeconfigStorageError,
  mergeKubeconfig,
  removeContext,
  validateForStorage,
} from "../../lib/kubeconfig/mod.ts";
import {
  CLI_FIELD_MANAGER,
  type CliContext,
  CliError,
  type Cluster,
  type Command,
  connect,
  connectPrimary,
  contextList,
  formatDuration,
  KUBECONFIG_SECRET,
  type KubeconfigFile,
  loadKubeconfig,
  onCluster,
  parseDuration,
  readStoredKubeconfig,
  type SecretObject,
  updateStoredKubeconfig,
} from "../common.ts";
import { decodeBase64 } from "../../lib/base64.ts";

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

const VERBS = ["get", "list", "watch", "create", "update", "patch", "delete"];

/**
 * The ClusterRole's rules: the kinds the Replicator controller applies, watches and prunes, and `list` on
 * every type for the namespace census.
 */
export const REPLICATION_RULES = [
  { apiGroups: [""], resources: ["namespaces", "configmaps", "secrets", "services"], verbs: VERBS },
  { apiGroups: ["apps"], resources: ["deployments"], verbs: VERBS },
  { apiGroups: ["networking.k8s.io"], resources: ["ingresses"], verbs: VERBS },
  // Before deleting a namespace it created, the operator counts what lives there: every namespaced type
  // the cluster serves, custom resources included (lib/kube/census.ts). It asks for metadata only
  // (PartialObjectMetadataList), so no Secret data is read through this rule; RBAC cannot say so, nor
  // name types that do not exist yet. Without it, plumber keeps the namespaces it created.
  { apiGroups: ["*"], resources: ["*"], verbs: ["list"] },
];

const MANAGED_LABELS = { [LABEL_MANAGED_BY]: MANAGED_BY_VALUE };

/** What `add` applies in the target, in order: ServiceAccount, ClusterRole, binding, token Secret. */
export function targetManifests(namespace: string): KubeObjectLike[] {
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
  tokenSecret: Pick<SecretObject, "data" | "metadata">,
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
      `Secret ${tokenSecret.metadata.namespace}/${tokenSecret.metadata.name} holds no token yet`,
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
 * Adds the one-context kubeconfig `entry` to the stored one. A context of the same name
 * is replaced ("re-adding updates it"), with the cluster and user only it used; entries
 * shared with other contexts must be identical.
 */
export function registerContext(
  stored: Kubeconfig,
  entry: Kubeconfig,
  primaryDetector?: string,
): { config: Kubeconfig; replaced: boolean } {
  const context = entry.contexts[0];
  if (!context || entry.contexts.length !== 1) throw new RangeError("registerContext() needs one context");
  checkRegistration(stored, { name: context.name, ...context.context }, primaryDetector);
  const replaced = stored.contexts.some((c) => c.name === context.name);
  const base = replaced ? removeContext(stored, context.name) : stored;
  const addition = structuredClone(entry);
  delete addition["current-context"];
  try {
    return { config: mergeKubeconfig(base, addition), replaced };
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

/** Options of {@linkcode add}. */
export interface AddOptions {
  targetContext: string;
  /** Kubeconfig holding the target context; default: the activated one. */
  kubeconfig?: string;
  useCurrentCredentials?: boolean;
  /** Bounds each wait: the token, then Running. */
  timeoutMs: number;
  wait: boolean;
  namespace: string;
}

/** What {@linkcode add} did. */
export interface AddResult {
  /** ClusterDetector name. */
  name: string;
  context: string;
  /** The context was registered before and has been updated. */
  replaced: boolean;
  /** The Secret changed (false: registered already with the same credentials). */
  changed: boolean;
  /** The ClusterDetector as last seen when waiting. */
  detector?: ClusterDetector;
}

function sameServer(a: string, b: string): boolean {
  try {
    return new URL(a).origin === new URL(b).origin;
  } catch {
    return a === b;
  }
}

async function primaryDetectorName(primary: Cluster, namespace: string): Promise<string | undefined> {
  try {
    const list = await primary.client.list<ClusterDetector>(API_VERSION, CLUSTER_DETECTOR_KIND, {
      namespace,
      labelSelector: `${LABEL_ROLE}=primary`,
    });
    return list.items[0]?.metadata.name;
  } catch {
    return undefined; // CRD missing or not allowed: the operator will still refuse a clash
  }
}

/** Creates the namespace when missing and applies the ServiceAccount, RBAC and token Secret. */
async function provisionServiceAccount(target: Cluster, namespace: string): Promise<void> {
  await onCluster(target, async (client) => {
    // Created only when missing, so plumberctl never claims a namespace someone else made.
    if (!await client.find({ apiVersion: "v1", kind: "Namespace", name: namespace })) {
      try {
        await client.create({
          apiVersion: "v1",
          kind: "Namespace",
          metadata: { name: namespace, labels: MANAGED_LABELS },
        });
      } catch (error) {
        if (!isConflict(error)) throw error;
      }
    }
    for (const manifest of targetManifests(namespace)) {
      await client.apply(manifest, { fieldManager: CLI_FIELD_MANAGER, force: true });
    }
  });
}

async function waitForToken(
  target: Cluster,
  namespace: string,
  timeoutMs: number,
  ctx: CliContext,
): Promise<SecretObject> {
  const deadline = ctx.now().getTime() + timeoutMs;
  while (true) {
    const secret = await onCluster(
      target,
      (client) =>
        client.find<SecretObject>({ apiVersion: "v1", kind: "Secret", namespace, name: TOKEN_SECRET }),
    );
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

/** A progress line on stderr: rewritten in place on a terminal, printed on change otherwise. */
class Progress {
  #ctx: CliContext;
  #last = "";
  #shown = false;

  constructor(ctx: CliContext) {
    this.#ctx = ctx;
  }

  update(state: string, elapsed: string): void {
    if (this.#ctx.stderrIsTerminal) {
      this.#ctx.stderr(`\r\x1b[2K${state} (${elapsed})`);
      this.#shown = true;
    } else if (state !== this.#last) {
      this.#ctx.stderr(`${state}\n`);
    }
    this.#last = state;
  }

  done(): void {
    if (this.#shown) this.#ctx.stderr("\r\x1b[2K");
    this.#shown = false;
  }
}

function describeDetector(detector: ClusterDetector | undefined): string {
  if (!detector) return "the operator has not created its ClusterDetector yet";
  const status = detector.status?.clusterstatus;
  if (!status) return "the operator has not probed it yet";
  return detector.status?.reason ? `it reports ${status}: ${detector.status.reason}` : `it reports ${status}`;
}

/**
 * Waits until the ClusterDetector reports Running. When it was Running before the
 * Secret changed, the old status says nothing about the new credentials: wait for the
 * operator to touch it (new resourceVersion) or, if it does not within a grace period
 * (it writes status only on change), accept the unchanged Running.
 */
async function waitForRunning(
  primary: Cluster,
  namespace: string,
  name: string,
  context: string,
  before: ClusterDetector | undefined,
  changed: boolean,
  timeoutMs: number,
  ctx: CliContext,
): Promise<ClusterDetector> {
  const started = ctx.now().getTime();
  const deadline = started + timeoutMs;
  const grace = Math.min(10_000, timeoutMs / 2);
  const progress = new Progress(ctx);
  const ref = { apiVersion: API_VERSION, kind: CLUSTER_DETECTOR_KIND, namespace, name };
  let detector: ClusterDetector | undefined;
  try {
    while (true) {
      detector = await onCluster(primary, (client) => client.find<ClusterDetector>(ref));
      const now = ctx.now().getTime();
      if (detector?.status?.clusterstatus === "Running") {
        const stale = changed && before?.status?.clusterstatus === "Running" &&
          before.metadata.uid === detector.metadata.uid &&
          before.metadata.resourceVersion === detector.metadata.resourceVersion;
        if (!stale || now - started >= grace) return detector;
      }
      if (now >= deadline) break;
      progress.update(
        `Waiting for cluster ${name} (context ${context}) to be Running: ${describeDetector(detector)}`,
        `${formatDuration(now - started)} of ${formatDuration(timeoutMs)}`,
      );
      await ctx.sleep(500);
    }
  } finally {
    progress.done();
  }
  const hint = detector
    ? ""
    : `; is the plumber operator running in the primary (context "${primary.context}")?`;
  throw new CliError(
    `Timed out after ${
      formatDuration(timeoutMs)
    } waiting for cluster ${name} (context ${context}) to be Running: ${describeDetector(detector)}${hint}`,
  );
}

/**
 * Registers a secondary cluster in the activated primary and, unless `wait` is false,
 * waits for the operator to report it Running.
 *
 * @throws {CliError} for an unknown context, credentials that cannot be stored,
 * unreachable clusters, missing permissions, or a timeout.
 */
export async function add(options: AddOptions, ctx: CliContext): Promise<AddResult> {
  const namespace = options.namespace;
  const primary = await connectPrimary(ctx);
  let target: Cluster | undefined;
  try {
    const file: KubeconfigFile = options.kubeconfig === undefined
      ? primary.file
      : await loadKubeconfig(options.kubeconfig, ctx);
    const found = file.config.contexts.find((c) => c.name === options.targetContext);
    if (!found) {
      throw new CliError(
        `Context "${options.targetContext}" is not in kubeconfig ${file.path}; ${contextList(file.config)}`,
      );
    }
    const identity = { name: found.name, cluster: found.context.cluster, user: found.context.user };
    let extracted: Kubeconfig;
    try {
      extracted = extractContext(file.config, found.name, { baseDir: file.baseDir });
    } catch (error) {
      throw new CliError(error instanceof Error ? error.message : String(error));
    }
    delete extracted["current-context"];
    const server = extracted.clusters[0]?.cluster.server ?? "";
    if (sameServer(server, primary.server)) {
      throw new CliError(
        `Context "${found.name}" points at the primary's API server (${primary.server}); the primary is registered automatically, add secondary clusters only`,
      );
    }
    if (options.useCurrentCredentials) {
      try {
        validateForStorage(extracted);
      } catch (error) {
        if (!(error instanceof KubeconfigStorageError)) throw error;
        throw new CliError(
          `Cannot add context "${found.name}" with --use-current-credentials: its credentials cannot be stored in the primary: ${
            error.problems.map((p) => `${p.field}: ${p.message}`).join("; ")
          }; or omit --use-current-credentials to let plumberctl create a ServiceAccount token`,
        );
      }
    }

    // Fail before touching the target when the primary cannot take the registration.
    const operatorNamespace = await primary.client.find({
      apiVersion: "v1",
      kind: "Namespace",
      name: namespace,
    })
      .catch(() => ({})); // not allowed to read namespaces: writing the Secret will tell
    if (!operatorNamespace) {
      throw new CliError(
        `Namespace "${namespace}" does not exist in the primary (context "${primary.context}"); deploy the plumber operator there first, or pass --namespace`,
      );
    }
    const stored = await readStoredKubeconfig(primary, namespace);
    const primaryDetector = await primaryDetectorName(primary, namespace);
    const name = checkRegistration(stored.config, identity, primaryDetector);

    target = connect(file, found.name, ctx);
    let entry: Kubeconfig;
    if (options.useCurrentCredentials) {
      // Only a warning: the operator probes from the primary's network, which may reach
      // what this workstation cannot (and the other way round); waiting for Running decides.
      await onCluster(target, (client) => client.raw("GET", "/version")).catch((error) => {
        ctx.stderr(`Warning: cannot check the credentials from here: ${error.message}\n`);
      });
      entry = extracted;
    } else {
      await provisionServiceAccount(target, namespace);
      ctx.stderr(
        `Applied ServiceAccount ${namespace}/${SERVICE_ACCOUNT}, ClusterRole ${CLUSTER_ROLE} and ClusterRoleBinding ${
          clusterRoleBindingName(namespace)
        } in context ${found.name}\n`,
      );
      const secret = await waitForToken(target, namespace, options.timeoutMs, ctx);
      entry = tokenKubeconfig(extracted, secret);
      validateForStorage(entry);
    }

    const detectorRef = { apiVersion: API_VERSION, kind: CLUSTER_DETECTOR_KIND, namespace, name };
    const before = await primary.client.find<ClusterDetector>(detectorRef).catch(() => undefined);
    const { result: replaced, changed } = await updateStoredKubeconfig(primary, namespace, (current) => {
      const { config, replaced } = registerContext(current, entry, primaryDetector);
      return { config, result: replaced };
    });
    const credentials = options.useCurrentCredentials
      ? `the credentials of user ${found.context.user}`
      : `a token of ServiceAccount ${namespace}/${SERVICE_ACCOUNT}`;
    const what = !changed ? "is already stored, unchanged," : replaced ? "updated" : "stored";
    ctx.stderr(
      `Context ${found.name} (${credentials}) ${what} in Secret ${namespace}/${KUBECONFIG_SECRET} of the primary (context ${primary.context})\n`,
    );
    const result: AddResult = { name, context: found.name, replaced, changed };
    if (!options.wait) {
      ctx.stdout(
        `Cluster ${name} (context ${found.name}) is registered; not waiting for it to be Running (--no-wait)\n`,
      );
      return result;
    }
    const detector = await waitForRunning(
      primary,
      namespace,
      name,
      found.name,
      before,
      changed,
      options.timeoutMs,
      ctx,
    );
    const version = detector.status?.kubernetesVersion;
    ctx.stdout(
      `Cluster ${name} (context ${found.name}) is registered and Running${
        version ? `, Kubernetes ${version}` : ""
      }\n`,
    );
    return { ...result, detector };
  } finally {
    primary.client.close();
    target?.client.close();
  }
}

/** The `add` command. */
export const addCommand: Command = {
  name: "add",
  summary: "Register a secondary cluster and wait until the operator reports it Running",
  usage: "plumberctl add --target-context <context> [flags]",
  description: `
Register a secondary cluster with the activated primary.

By default plumberctl connects to the target with your kubeconfig context and creates
there a ServiceAccount "plumber" (in --namespace), a ClusterRole "plumber-replicator"
limited to what replication needs (namespaces, configmaps, secrets, services,
deployments, ingresses; and list, metadata only, on every type, to check that a
namespace plumber created is empty before deleting it) with its binding, and a
long-lived token for the account. It
stores a self-contained context with that token (and your context, cluster and user
names, so the cluster is registered as <cluster>.<user>) in the kubeconfig Secret of
the primary, then waits until the operator reports the cluster Running.
Re-adding a context updates it.

With --use-current-credentials your own credentials are stored instead; credential
plugins (exec, auth-provider) cannot be stored and are refused.`,
  flags: [
    {
      name: "target-context",
      type: "string",
      value: "<context>",
      description: "Context of the cluster to register",
      required: true,
    },
    {
      name: "kubeconfig",
      type: "string",
      value: "<path>",
      default: "the activated kubeconfig",
      description: "Kubeconfig holding the target context",
    },
    {
      name: "use-current-credentials",
      type: "boolean",
      description: "Store your own credentials instead of creating a ServiceAccount token",
    },
    {
      name: "timeout",
      type: "string",
      value: "<duration>",
      default: "60s",
      description: "How long to wait for the token, then for the cluster to be Running",
    },
    { name: "no-wait", type: "boolean", description: "Do not wait for the cluster to be Running" },
  ],
  examples: [
    "plumberctl add --target-context secondary1",
    "plumberctl add --target-context secondary2 --kubeconfig ~/.kube/other --timeout 2m",
    "plumberctl add --target-context dev --use-current-credentials --no-wait",
  ],
  async run(flags, ctx) {
    await add({
      targetContext: flags["target-context"] as string,
      kubeconfig: flags.kubeconfig as string | undefined,
      useCurrentCredentials: flags["use-current-credentials"] === true,
      timeoutMs: parseDuration((flags.timeout as string | undefined) ?? "60s", "timeout", "add"),
      wait: flags["no-wait"] !== true,
      namespace: (flags.namespace as string | undefined) ?? DEFAULT_NAMESPACE,
    }, ctx);
  },
};
