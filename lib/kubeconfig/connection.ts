/**
 * Connecting to a cluster: what a REST client needs for a kubeconfig context or for the
 * pod's own ServiceAccount, a hash of those credentials, and the ClusterDetector name
 * a (cluster, user) pair is registered under.
 *
 * @module
 */

import { redactUrl } from "../redact.ts";
import {
  checkNotBoth,
  decodePem,
  decodeUtf8,
  findContext,
  hasValue,
  knownContexts,
  parseUrl,
  PEM_HEADER,
  type PemKind,
  readReferencedFile,
  resolvePath,
} from "./_util.ts";
import { BASIC_AUTH, IMPERSONATION, IMPERSONATION_KEYS, NO_PLUGINS, transportProblems } from "./storage.ts";
import type { FileReadOptions, Kubeconfig } from "./types.ts";

/** What a REST client needs to talk to one API server. */
export interface ClusterConnection {
  contextName: string;
  cluster: string;
  user: string;
  /** E.g. `https://127.0.0.1:6443`. */
  server: string;
  caPem?: string;
  certPem?: string;
  keyPem?: string;
  token?: string;
  /**
   * A file holding the bearer token, to be re-read by the client (bound ServiceAccount
   * tokens rotate). When a kubeconfig sets both, client-go lets the file win over `token`.
   */
  tokenFile?: string;
  tlsServerName?: string;
  /** `proxy-url` from the cluster entry. */
  proxyUrl?: string;
}

/**
 * Resolves what a REST client needs for `contextName` (default: `current-context`):
 * PEM strings decoded from `*-data` or read from the referenced files; `tokenFile` is
 * passed on (resolved against `baseDir`) rather than read, as the client re-reads it.
 *
 * @example
 * ```ts
 * const conn = resolveConnection(config, "kind-east", { baseDir: "/home/me/.kube" });
 * const client = new KubeClient(conn);
 * ```
 *
 * @throws {Error} For credential plugins (`exec`, `auth-provider`: plumber does not run
 * them), basic auth, impersonation, `insecure-skip-tls-verify`, a certificate without a
 * key, undecodable `*-data`, unreadable files, a `proxy-url` or `tls-server-name` the
 * client cannot honour, or an unknown context. The message names the context and the field.
 */
export function resolveConnection(
  config: Kubeconfig,
  contextName?: string,
  options: FileReadOptions = {},
): ClusterConnection {
  const name = contextName ?? config["current-context"];
  if (name === undefined || name === "") {
    throw new Error(
      `Cannot resolve a connection: no context was given and current-context is not set; ${
        knownContexts(config)
      }`,
    );
  }
  const action = `connect with context "${name}"`;
  const { cluster, user } = findContext(config, name, action);
  const c = cluster.cluster;
  const u = user.user;
  const clusterPrefix = `clusters[${cluster.name}].cluster`;
  const userPrefix = `users[${user.name}].user`;
  const refuse = (message: string): never => {
    throw new Error(`Cannot ${action}: ${message}`);
  };

  if (u.exec) {
    refuse(`${userPrefix}.exec is a credential plugin (command "${u.exec.command}"); ${NO_PLUGINS}`);
  }
  if (u["auth-provider"]) {
    refuse(
      `${userPrefix}.auth-provider is a credential plugin ("${u["auth-provider"].name}"); ${NO_PLUGINS}`,
    );
  }
  if (hasValue(u.username) || hasValue(u.password)) {
    refuse(
      `${userPrefix}.${hasValue(u.username) ? "username" : "password"} is ${BASIC_AUTH}`,
    );
  }
  for (const key of IMPERSONATION_KEYS) {
    if (u[key] !== undefined) refuse(`${userPrefix}.${key} is ${IMPERSONATION}`);
  }
  if (c["insecure-skip-tls-verify"] === true) {
    refuse(
      `${clusterPrefix}.insecure-skip-tls-verify is true; plumber always verifies the server certificate: set certificate-authority-data instead`,
    );
  }
  const server = c.server;
  if (!hasValue(server)) return refuse(`${clusterPrefix}.server is missing`);
  const url = parseUrl(server);
  if (!url || (url.protocol !== "https:" && url.protocol !== "http:")) {
    refuse(`${clusterPrefix}.server "${redactUrl(server)}" is not an http(s) URL`);
  }
  for (const [key, problem] of transportProblems(c)) refuse(`${clusterPrefix}.${key} ${problem}`);
  if (hasValue(c["tls-server-name"]) && url!.protocol !== "https:") {
    refuse(
      `${clusterPrefix}.tls-server-name is set but server "${redactUrl(server)}" does not use https`,
    );
  }

  const pem = (
    entry: Record<string, unknown>,
    prefix: string,
    pathKey: string,
    dataKey: string,
    kind: PemKind,
  ): string | undefined => {
    checkNotBoth(entry, pathKey, dataKey, prefix, action);
    const data = entry[dataKey] as string | undefined;
    if (hasValue(data)) {
      return decodePem(data, kind) ??
        refuse(`${prefix}.${dataKey} is not a base64-encoded PEM ${kind === "key" ? "private key" : kind}`);
    }
    const path = entry[pathKey] as string | undefined;
    if (!hasValue(path)) return undefined;
    const file = readReferencedFile(path, `${prefix}.${pathKey}`, action, options);
    const text = decodeUtf8(file.bytes);
    if (text === undefined || !PEM_HEADER[kind].test(text)) {
      refuse(`${prefix}.${pathKey} "${file.path}" is not a PEM ${kind === "key" ? "private key" : kind}`);
    }
    return text;
  };

  const connection: ClusterConnection = { contextName: name, cluster: cluster.name, user: user.name, server };
  const caPem = pem(
    c as Record<string, unknown>,
    clusterPrefix,
    "certificate-authority",
    "certificate-authority-data",
    "certificate",
  );
  const certPem = pem(
    u as Record<string, unknown>,
    userPrefix,
    "client-certificate",
    "client-certificate-data",
    "certificate",
  );
  const keyPem = pem(u as Record<string, unknown>, userPrefix, "client-key", "client-key-data", "key");
  if (certPem !== undefined && keyPem === undefined) {
    refuse(`${userPrefix} has a client certificate but no client-key-data or client-key`);
  }
  if (keyPem !== undefined && certPem === undefined) {
    refuse(`${userPrefix} has a client key but no client-certificate-data or client-certificate`);
  }
  if (caPem !== undefined) connection.caPem = caPem;
  if (certPem !== undefined) connection.certPem = certPem;
  if (keyPem !== undefined) connection.keyPem = keyPem;
  if (hasValue(u.token)) connection.token = u.token;
  if (hasValue(u.tokenFile)) {
    connection.tokenFile = resolvePath(u.tokenFile, `${userPrefix}.tokenFile`, action, options.baseDir);
  }
  if (hasValue(c["tls-server-name"])) connection.tlsServerName = c["tls-server-name"];
  if (hasValue(c["proxy-url"])) connection.proxyUrl = c["proxy-url"];
  return connection;
}

/** Options for `inClusterConnection`. */
export interface InClusterOptions {
  /** Defaults to the process environment (`KUBERNETES_SERVICE_HOST`/`PORT` only). */
  env?: Record<string, string | undefined>;
  /** Reads a file; defaults to `Deno.readFileSync`. */
  readFile?: (path: string) => Uint8Array;
  /** Defaults to `/var/run/secrets/kubernetes.io/serviceaccount`. */
  saDir?: string;
}

/**
 * The connection of a pod to its own cluster through its ServiceAccount, as client-go's
 * `rest.InClusterConfig`: the server from `KUBERNETES_SERVICE_HOST`/`PORT`, the CA read
 * from `ca.crt`, and the token left in its file (`tokenFile`) because bound tokens rotate
 * and the client must re-read it.
 *
 * @example
 * ```ts
 * const primary = inClusterConnection(); // { contextName: "in-cluster", server: "https://10.96.0.1:443", ... }
 * ```
 *
 * @throws {Error} When not running in a pod (the variables are unset) or `ca.crt` is unreadable.
 */
export function inClusterConnection(options: InClusterOptions = {}): ClusterConnection {
  const env = options.env ?? {
    KUBERNETES_SERVICE_HOST: Deno.env.get("KUBERNETES_SERVICE_HOST"),
    KUBERNETES_SERVICE_PORT: Deno.env.get("KUBERNETES_SERVICE_PORT"),
  };
  const saDir = (options.saDir ?? "/var/run/secrets/kubernetes.io/serviceaccount").replace(/\/+$/, "");
  const readFile = options.readFile ?? Deno.readFileSync;
  const host = env.KUBERNETES_SERVICE_HOST;
  const port = env.KUBERNETES_SERVICE_PORT;
  if (!host || !port) {
    throw new Error(
      "Cannot load in-cluster configuration: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set, so plumber is not running in a pod; use a kubeconfig instead",
    );
  }
  if (!/^\d{1,5}$/.test(port) || Number(port) < 1 || Number(port) > 65535) {
    throw new Error(
      `Cannot load in-cluster configuration: KUBERNETES_SERVICE_PORT "${port}" is not a port number`,
    );
  }
  const hostPart = host.includes(":") && !host.startsWith("[") ? `[${host}]` : host;
  const caPath = `${saDir}/ca.crt`;
  let caBytes: Uint8Array;
  try {
    caBytes = readFile(caPath);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(
      `Cannot load in-cluster configuration: cannot read the ServiceAccount CA "${caPath}": ${reason}`,
    );
  }
  const caPem = decodeUtf8(caBytes);
  if (caPem === undefined || !PEM_HEADER.certificate.test(caPem)) {
    throw new Error(`Cannot load in-cluster configuration: "${caPath}" is not a PEM certificate`);
  }
  return {
    contextName: "in-cluster",
    cluster: "kubernetes",
    user: "plumber",
    server: `https://${hostPart}:${port}`,
    caPem,
    tokenFile: `${saDir}/token`,
  };
}

/**
 * SHA-256 (hex) of the credentials `resolveConnection` yields for `contextName`: server,
 * CA, client certificate and key, token, token file, TLS server name and proxy. The
 * context's namespace and the entries' names do not count, so a client is rebuilt only
 * when what it connects with changed.
 *
 * @example
 * ```ts
 * if (await kubeconfigHash(config, ctx) !== cached.hash) cached = newClient(resolveConnection(config, ctx));
 * ```
 */
export async function kubeconfigHash(
  config: Kubeconfig,
  contextName: string,
  options: FileReadOptions = {},
): Promise<string> {
  const c = resolveConnection(config, contextName, options);
  const material = JSON.stringify([
    c.server,
    c.caPem ?? null,
    c.certPem ?? null,
    c.keyPem ?? null,
    c.token ?? null,
    c.tokenFile ?? null,
    c.tlsServerName ?? null,
    c.proxyUrl ?? null,
  ]);
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(material));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

const RFC1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/**
 * Whether `name` is an RFC 1123 subdomain as Kubernetes defines it for object names: at
 * most 253 characters, dot-separated labels of lower-case letters, digits and '-' that
 * start and end with a letter or digit.
 */
export function isRfc1123Subdomain(name: string): boolean {
  return name.length <= 253 && RFC1123_SUBDOMAIN.test(name);
}

/**
 * The ClusterDetector name for a context's cluster and user: `<cluster>.<user>`. Names are
 * not lower-cased (that could make two clusters collide); invalid ones are refused.
 *
 * @example
 * ```ts
 * clusterDetectorName("v1262-cluster", "kubernetes-admin2"); // "v1262-cluster.kubernetes-admin2"
 * ```
 *
 * @throws {RangeError} When the name is not an RFC 1123 subdomain.
 */
export function clusterDetectorName(cluster: string, user: string): string {
  const name = `${cluster}.${user}`;
  if (!isRfc1123Subdomain(name)) {
    const length = name.length > 253 ? ` (it has ${name.length} characters; at most 253 are allowed)` : "";
    throw new RangeError(
      `Cannot register cluster: name "${name}" is not an RFC 1123 subdomain${length}; rename the cluster or user in the kubeconfig (e.g. kubectl config rename-context / set-cluster / set-credentials) to lower-case letters, digits, '-' and '.'`,
    );
  }
  return name;
}
