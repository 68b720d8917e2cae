/**
 * `plumberctl add`: register a secondary cluster.
 *
 * By default, like `kubefedctl join`, it creates in the target a `plumber`
 * ServiceAccount with a ClusterRole limited to what replication needs, and stores
 * that account's token (not the caller's credentials) in the kubeconfig Secret of
 * the primary (see `add_target.ts`). `--use-current-credentials` stores the caller's
 * own credentials instead, when they can be stored (no credential plugins, files inlined).
 *
 * @module
 */

import { KUBECONFIG_SECRET_NAME, LABEL_ROLE } from "../../lib/api.ts";
import type { Labels } from "../../lib/cluster_labels.ts";
import { CliError, UsageError } from "../../lib/errors.ts";
import { CoreV1Api } from "../../lib/kube/generated/core_v1.ts";
import { type ClusterDetector, PlumberV1Api } from "../../lib/kube/generated/plumber_v1.ts";
import {
  extractContext,
  type Kubeconfig,
  KubeconfigStorageError,
  validateForStorage,
} from "../../lib/kubeconfig/mod.ts";
import { type Cluster, connect, connectPrimary, onCluster } from "../connection.ts";
import type { CliContext } from "../context.ts";
import {
  booleanFlag,
  type Command,
  listFlag,
  namespaceFlag,
  parseDuration,
  requiredFlag,
  stringFlag,
} from "../flags.ts";
import { contextList, type KubeconfigFile, loadKubeconfig } from "../kubeconfig_file.ts";
import { findObject, serverVersion } from "../reads.ts";
import { readStoredKubeconfig, updateStoredKubeconfig } from "../secret_storage.ts";
import {
  CLUSTER_ROLE,
  clusterRoleBindingName,
  provisionServiceAccount,
  SERVICE_ACCOUNT,
  tokenKubeconfig,
  waitForToken,
} from "./add_target.ts";
import { waitForRunning } from "./add_wait.ts";
import { checkRegistration, parseLabelFlags, registerContext } from "./add_registration.ts";

export { checkRegistration, detectorNameOf, parseLabelFlags, registerContext } from "./add_registration.ts";
import {
  type AllowedKind,
  describeGrant,
  discoverKinds,
  extraRoleName,
  grantKinds,
  parseAllowKinds,
} from "./add_kinds.ts";
import {
  isLoopbackServer,
  loopbackWarning,
  operatorInCluster,
  parseServerOverride,
  type ServerOverride,
  withServer,
} from "./add_server.ts";

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
  /** The cluster's labels (`--label`); undefined keeps those stored before. */
  labels?: Labels;
  /** `--allow-kind`: extra kinds the ServiceAccount may manage; empty or undefined keeps the grant as is. */
  allowKinds?: AllowedKind[];
  /** `--server`, `--tls-server-name`: the address stored instead of the kubeconfig's. */
  server?: ServerOverride;
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
    const list = await new PlumberV1Api(primary.rest).namespace(namespace).listClusterDetectors({
      labelSelector: `${LABEL_ROLE}=primary`,
    });
    return list.items[0]?.metadata?.name;
  } catch {
    return undefined; // CRD missing or not allowed: the operator will still refuse a clash
  }
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
    const allowKinds = options.allowKinds ?? [];
    if (options.useCurrentCredentials && allowKinds.length > 0) {
      throw new UsageError(
        "--allow-kind grants kinds to the ServiceAccount add creates; with --use-current-credentials grant them to your own user",
        "add",
      );
    }
    extracted = withServer(extracted, options.server ?? {});
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
    const operatorNamespace = await findObject(() => new CoreV1Api(primary.rest).getNamespace(namespace))
      .catch(() => ({})); // not allowed to read namespaces: writing the Secret will tell
    if (!operatorNamespace) {
      throw new CliError(
        `Namespace "${namespace}" does not exist in the primary (context "${primary.context}"); deploy the plumber operator there first, or pass --namespace`,
      );
    }
    const stored = await readStoredKubeconfig(primary, namespace);
    const primaryDetector = await primaryDetectorName(primary, namespace);
    const name = checkRegistration(stored.config, identity, primaryDetector);
    const storedServer = extracted.clusters[0]?.cluster.server ?? "";
    if (isLoopbackServer(storedServer) && await operatorInCluster(primary, namespace)) {
      ctx.stderr(loopbackWarning(storedServer, found.name, namespace));
    }

    const connected = connect(file, found.name, ctx);
    target = connected;
    let entry: Kubeconfig;
    if (options.useCurrentCredentials) {
      // Only a warning: the operator probes from the primary's network, which may reach
      // what this workstation cannot (and the other way round); waiting for Running decides.
      await onCluster(connected, () => serverVersion(connected.client)).catch((error) => {
        ctx.stderr(`Warning: cannot check the credentials from here: ${error.message}\n`);
      });
      entry = extracted;
    } else {
      const kinds = allowKinds.length > 0 ? await discoverKinds(connected, allowKinds) : [];
      await provisionServiceAccount(connected, namespace);
      ctx.stderr(
        `Applied ServiceAccount ${namespace}/${SERVICE_ACCOUNT}, ClusterRole ${CLUSTER_ROLE} and ClusterRoleBinding ${
          clusterRoleBindingName(namespace)
        } in context ${found.name}\n`,
      );
      if (kinds.length > 0) {
        await grantKinds(connected, namespace, kinds);
        ctx.stderr(
          `Applied ClusterRole and ClusterRoleBinding ${extraRoleName(namespace)} (${
            describeGrant(kinds)
          }) in context ${found.name}\n`,
        );
      }
      const secret = await waitForToken(connected, namespace, options.timeoutMs, ctx);
      entry = tokenKubeconfig(extracted, secret);
      validateForStorage(entry);
    }

    const detectors = new PlumberV1Api(primary.rest).namespace(namespace);
    const before = await findObject(() => detectors.getClusterDetector(name)).catch(() => undefined);
    const { result: replaced, changed } = await updateStoredKubeconfig(primary, namespace, (current) => {
      const { config, replaced } = registerContext(current, entry, primaryDetector, options.labels);
      return { config, result: replaced };
    });
    const credentials = options.useCurrentCredentials
      ? `the credentials of user ${found.context.user}`
      : `a token of ServiceAccount ${namespace}/${SERVICE_ACCOUNT}`;
    const what = !changed ? "is already stored, unchanged," : replaced ? "updated" : "stored";
    ctx.stderr(
      `Context ${found.name} (${credentials}) ${what} in Secret ${namespace}/${KUBECONFIG_SECRET_NAME} of the primary (context ${primary.context})\n`,
    );
    const result: AddResult = { name, context: found.name, replaced, changed };
    if (!options.wait) {
      ctx.stdout(
        `Cluster ${name} (context ${found.name}) is registered; not waiting for it to be Running (--no-wait)\n`,
      );
      return result;
    }
    const detector = await waitForRunning(primary, {
      namespace,
      name,
      context: found.name,
      before,
      changed,
      timeoutMs: options.timeoutMs,
    }, ctx);
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
plugins (exec, auth-provider) cannot be stored and are refused.

--label key=value (repeatable) sets the cluster's labels, which Replicators select
clusters by; they are stored with the registration. Re-adding a context keeps its
labels unless --label is given, which replaces them all. Change them later with
plumberctl label.

--allow-kind <group>/<Kind> (repeatable; core kinds as /ServiceAccount or ServiceAccount)
lets the ServiceAccount also manage that namespaced kind (for spec.resources), through a
ClusterRole and binding plumber-replicator-extra[-<namespace>]; kinds are resolved
through the cluster's discovery. Given again, it replaces the kinds granted before;
without it, re-adding keeps them. remove --cleanup deletes them.

--server <url> stores that API server address instead of your kubeconfig's, for an
operator that reaches the cluster differently than you do (an operator in a cluster
cannot use https://127.0.0.1:<port>: that is its own Pod); --tls-server-name <name>
when the server certificate does not name that address.`,
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
    {
      name: "label",
      type: "string",
      value: "<key>=<value>",
      multiple: true,
      description: "A label of the cluster; replaces the labels stored before",
    },
    {
      name: "allow-kind",
      type: "string",
      value: "<group>/<Kind>",
      multiple: true,
      description:
        "Also let the ServiceAccount manage this namespaced kind; replaces the kinds granted before",
    },
    {
      name: "server",
      type: "string",
      value: "<url>",
      default: "the kubeconfig's",
      description: "API server address the operator reaches the cluster at",
    },
    {
      name: "tls-server-name",
      type: "string",
      value: "<name>",
      description: "Name to verify the server certificate against, when it does not name --server's host",
    },
  ],
  examples: [
    "plumberctl add --target-context secondary1",
    "plumberctl add --target-context secondary2 --kubeconfig ~/.kube/other --timeout 2m",
    "plumberctl add --target-context dev --use-current-credentials --no-wait",
    "plumberctl add --target-context secondary1 --label region=east --label tier=big",
    "plumberctl add --target-context secondary1 --allow-kind policy/PodDisruptionBudget --allow-kind /ServiceAccount",
    "plumberctl add --target-context kind-east --server https://east-control-plane:6443",
  ],
  async run(flags, ctx) {
    const labels = parseLabelFlags(listFlag(flags, "label"));
    await add({
      labels,
      allowKinds: parseAllowKinds(listFlag(flags, "allow-kind")),
      server: parseServerOverride(stringFlag(flags, "server"), stringFlag(flags, "tls-server-name")),
      targetContext: requiredFlag(flags, "target-context"),
      kubeconfig: stringFlag(flags, "kubeconfig"),
      useCurrentCredentials: booleanFlag(flags, "use-current-credentials"),
      timeoutMs: parseDuration(stringFlag(flags, "timeout") ?? "60s", "timeout", "add"),
      wait: !booleanFlag(flags, "no-wait"),
      namespace: namespaceFlag(flags),
    }, ctx);
  },
};
