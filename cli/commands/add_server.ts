/**
 * `plumberctl add --server <url> [--tls-server-name <name>]`: the address the operator reaches a
 * secondary at, when it differs from the one in the user's kubeconfig (an operator running in a
 * cluster cannot reach `https://127.0.0.1:<port>` of a kind cluster on the user's machine: inside
 * the Pod that is the Pod itself).
 *
 * In-cluster detection for the loopback warning: the primary holds the Deployment `plumber` in the
 * operator namespace (what `deploy/` installs). Chosen over the leader Lease's holder because the
 * Deployment exists before the first leader election and without `--leader-elect`; a user who may
 * not read Deployments gets no warning (the ClusterDetector's reason still says what to do).
 *
 * @module
 */

import { UsageError } from "../../lib/errors.ts";
import { AppsV1Api } from "../../lib/kube/generated/apps_v1.ts";
import type { Kubeconfig } from "../../lib/kubeconfig/mod.ts";
export { isLoopbackServer } from "../../lib/loopback.ts";
import type { Cluster } from "../connection.ts";
import { findObject } from "../reads.ts";

/** The Deployment `deploy/` installs the operator as. */
export const OPERATOR_DEPLOYMENT = "plumber";

/** What `--server` and `--tls-server-name` ask for. */
export interface ServerOverride {
  server?: string;
  tlsServerName?: string;
}

const DNS_NAME = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/i;

/**
 * Checks `--server` and `--tls-server-name`.
 *
 * @throws {UsageError} naming the flag and the value.
 */
export function parseServerOverride(server?: string, tlsServerName?: string): ServerOverride {
  const override: ServerOverride = {};
  if (server !== undefined) {
    let url: URL;
    try {
      url = new URL(server);
    } catch {
      throw new UsageError(
        `invalid value "${server}" for --server: not a URL (e.g. https://10.0.0.5:6443)`,
        "add",
      );
    }
    if (url.protocol !== "https:") {
      throw new UsageError(
        `invalid value "${server}" for --server: the API server address must use https`,
        "add",
      );
    }
    if (url.username || url.password || url.search || url.hash) {
      throw new UsageError(
        `invalid value "${server}" for --server: give scheme, host, port and path only (no credentials, query or fragment)`,
        "add",
      );
    }
    override.server = server.replace(/\/+$/, "");
  }
  if (tlsServerName !== undefined) {
    if (!DNS_NAME.test(tlsServerName)) {
      throw new UsageError(
        `invalid value "${tlsServerName}" for --tls-server-name: not a DNS name the server certificate can name`,
        "add",
      );
    }
    override.tlsServerName = tlsServerName;
  }
  return override;
}

/**
 * The one-context kubeconfig with the override applied. A new `--server` drops the kubeconfig's
 * `tls-server-name` (it named the certificate as seen at the old address) unless
 * `--tls-server-name` gives one.
 */
export function withServer(config: Kubeconfig, override: ServerOverride): Kubeconfig {
  if (override.server === undefined && override.tlsServerName === undefined) return config;
  return {
    ...config,
    clusters: config.clusters.map((c) => {
      const cluster = { ...c.cluster };
      if (override.server !== undefined) {
        cluster.server = override.server;
        delete cluster["tls-server-name"];
      }
      if (override.tlsServerName !== undefined) cluster["tls-server-name"] = override.tlsServerName;
      return { ...c, cluster };
    }),
  };
}

/** The warning `add` prints when the stored address is loopback and the operator runs in a cluster. */
export function loopbackWarning(server: string, context: string, namespace: string): string {
  return `Warning: the address stored for context ${context}, ${server}, is a loopback address, and the operator runs in the primary (Deployment ${namespace}/${OPERATOR_DEPLOYMENT}): inside its Pod that address is the Pod itself. Re-run with --server <address reachable from the Pod> (and --tls-server-name <name in the certificate> if the certificate does not name that address)\n`;
}

/** Whether the operator runs in the primary (its Deployment exists there); false when unknown. */
export async function operatorInCluster(primary: Cluster, namespace: string): Promise<boolean> {
  const deployments = new AppsV1Api(primary.rest).namespace(namespace);
  const found = await findObject(() => deployments.getDeployment(OPERATOR_DEPLOYMENT)).catch(() => undefined);
  return found !== undefined;
}
