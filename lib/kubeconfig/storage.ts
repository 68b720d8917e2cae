/**
 * What may be stored in the secondaries Secret: a kubeconfig there must be
 * self-contained, verify TLS, and use credentials plumber can present itself (no
 * credential plugins, basic auth or impersonation).
 *
 * @module
 */

import { proxyUrlProblem, tlsServerNameProblem } from "../cluster_transport.ts";
import { redactText, redactUrl } from "../redact.ts";
import { CLIENT_FILE_FIELDS, decodePem, hasValue, parseUrl } from "./_util.ts";
import { readContextLabels } from "./labels.ts";
import type { ClusterEntry, Kubeconfig, NamedCluster, NamedUser } from "./types.ts";

/**
 * One reason a kubeconfig cannot be stored. `message` describes what is wrong with
 * `field` and reads as `${field}: ${message}`; it never holds a secret value.
 */
export interface StorageProblem {
  /** The context affected; "" for an entry no context uses. */
  context: string;
  /** E.g. `users[kubernetes-admin2].user.exec`. */
  field: string;
  /** E.g. `a credential plugin (command "aws"); plumber does not run credential plugins; ...`. */
  message: string;
  /**
   * True for a problem of the context's labels extension (see `labels.ts`): it makes the
   * registration unfit to store, but the operator still uses the context's credentials.
   */
  labels?: true;
}

/** Options for `storageProblems` and `validateForStorage`. */
export interface StorageOptions {
  /**
   * Accept clusters without `certificate-authority-data`; their server certificate must
   * then be trusted by the system roots (a public CA).
   */
  allowMissingCA?: boolean;
}

const SELF_CONTAINED = "stored kubeconfigs must be self-contained";
// The policy's reasons, shared with connection.ts, which refuses the same settings.
export const NO_PLUGINS =
  "plumber does not run credential plugins; store a ServiceAccount token (plumberctl add creates one) or a client certificate and key instead";
export const BASIC_AUTH =
  "basic authentication, which Kubernetes removed in 1.19; use a token or a client certificate";
export const IMPERSONATION = "impersonation, which plumber does not support";
export const IMPERSONATION_KEYS = ["as", "as-uid", "as-groups", "as-user-extra"] as const;

/** A problem as [field, message]. */
export type FieldProblem = [field: string, message: string];

/** What is wrong with a cluster's `proxy-url` and `tls-server-name`, as [key, message]. */
export function transportProblems(cluster: ClusterEntry): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const proxyUrl = cluster["proxy-url"];
  const proxyProblem = hasValue(proxyUrl) ? proxyUrlProblem(proxyUrl) : undefined;
  if (proxyProblem !== undefined) problems.push(["proxy-url", proxyProblem]);
  const serverName = cluster["tls-server-name"];
  const nameProblem = hasValue(serverName) ? tlsServerNameProblem(serverName, proxyUrl) : undefined;
  if (nameProblem !== undefined) problems.push(["tls-server-name", nameProblem]);
  return problems;
}

function clusterProblems(named: NamedCluster, options: StorageOptions): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const cluster = named.cluster;
  const add = (key: string, message: string) =>
    problems.push([`clusters[${named.name}].cluster.${key}`, message]);

  const server = cluster.server;
  if (!hasValue(server)) {
    add("server", "missing");
  } else {
    const url = parseUrl(server);
    if (!url) add("server", `"${redactText(server)}" is not a URL`);
    else if (url.protocol !== "https:") {
      add("server", `"${redactUrl(server)}" does not use https; stored clusters must be reached over TLS`);
    }
  }
  const caPath = cluster["certificate-authority"];
  if (hasValue(caPath)) {
    add(
      "certificate-authority",
      `a file path ("${caPath}"); ${SELF_CONTAINED}: inline it as certificate-authority-data`,
    );
  }
  if (cluster["insecure-skip-tls-verify"] === true) {
    add(
      "insecure-skip-tls-verify",
      "true; plumber always verifies the server certificate: set certificate-authority-data instead",
    );
  }
  for (const [key, problem] of transportProblems(cluster)) add(key, problem);
  const caData = cluster["certificate-authority-data"];
  if (hasValue(caData)) {
    if (decodePem(caData, "certificate") === undefined) {
      add("certificate-authority-data", "not a base64-encoded PEM certificate");
    }
  } else if (!options.allowMissingCA && !hasValue(caPath)) {
    add(
      "certificate-authority-data",
      "missing, so the server certificate cannot be verified; allow this only for a server whose certificate a public CA signed",
    );
  }
  return problems;
}

function userProblems(named: NamedUser): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const user = named.user;
  const at = (key: string) => `users[${named.name}].user${key ? `.${key}` : ""}`;
  const add = (key: string, message: string) => problems.push([at(key), message]);

  if (user.exec) add("exec", `a credential plugin (command "${user.exec.command}"); ${NO_PLUGINS}`);
  if (user["auth-provider"]) {
    add("auth-provider", `a credential plugin ("${user["auth-provider"].name}"); ${NO_PLUGINS}`);
  }
  for (const [key, dataKey] of [...CLIENT_FILE_FIELDS, ["tokenFile", "token"] as const]) {
    const path = user[key];
    if (hasValue(path)) add(key, `a file path ("${path}"); ${SELF_CONTAINED}: inline it as ${dataKey}`);
  }
  if (hasValue(user.username) || hasValue(user.password)) {
    add(hasValue(user.username) ? "username" : "password", BASIC_AUTH);
  }
  for (const key of IMPERSONATION_KEYS) if (user[key] !== undefined) add(key, IMPERSONATION);
  const hasCert = hasValue(user["client-certificate-data"]) || hasValue(user["client-certificate"]);
  const hasKey = hasValue(user["client-key-data"]) || hasValue(user["client-key"]);
  if (hasCert && !hasKey) add("client-key-data", "missing while a client certificate is set");
  if (hasKey && !hasCert) add("client-certificate-data", "missing while a client key is set");
  const certData = user["client-certificate-data"];
  if (hasValue(certData) && !decodePem(certData, "certificate")) {
    add("client-certificate-data", "not a base64-encoded PEM certificate");
  }
  const keyData = user["client-key-data"];
  if (hasValue(keyData) && !decodePem(keyData, "key")) {
    add("client-key-data", "not a base64-encoded PEM private key");
  }
  if (hasValue(user.token) && /\s/.test(user.token)) add("token", "contains whitespace or a line break");
  const anyCredential = hasCert || hasKey || hasValue(user.token) || hasValue(user.tokenFile) ||
    user.exec !== undefined || user["auth-provider"] !== undefined || hasValue(user.username) ||
    hasValue(user.password);
  if (!anyCredential) add("", "no credential; store a token or a client certificate and key");
  return problems;
}

/**
 * Lists every reason `config` is unfit for the secondaries Secret: credential plugins
 * (`exec`, `auth-provider`), file paths, `insecure-skip-tls-verify`, a missing CA (unless
 * `allowMissingCA`), a non-https server, a `proxy-url` or `tls-server-name` the client
 * cannot honour (see `cluster_transport.ts`), users without credentials, a client certificate
 * without its key or the reverse, basic auth, impersonation, undecodable `*-data`, and
 * clusters or users no context uses (reported with context ""), and a context's labels
 * extension (`plumber.jnytnai0613.github.io/labels`, see `labels.ts`) with a bad or reserved
 * key or value (marked `labels: true`; other extensions are opaque and kept). Problems come per
 * context, in file order; a cluster or user shared by two contexts is reported for each.
 *
 * @example
 * ```ts
 * for (const p of storageProblems(config)) console.error(`${p.context}: ${p.field}: ${p.message}`);
 * // kind-east: users[kind-east].user.exec: a credential plugin (command "aws"); plumber does not run ...
 * ```
 */
export function storageProblems(config: Kubeconfig, options: StorageOptions = {}): StorageProblem[] {
  const problems: StorageProblem[] = [];
  for (const { name, context } of config.contexts) {
    const found: FieldProblem[] = [];
    const cluster = config.clusters.find((c) => c.name === context.cluster);
    if (cluster) found.push(...clusterProblems(cluster, options));
    else {found.push([
        `contexts[${name}].context.cluster`,
        `names cluster "${context.cluster}", which is not defined`,
      ]);}
    const user = config.users.find((u) => u.name === context.user);
    if (user) found.push(...userProblems(user));
    else found.push([`contexts[${name}].context.user`, `names user "${context.user}", which is not defined`]);
    for (const [field, message] of found) problems.push({ context: name, field, message });
    for (const problem of readContextLabels(config, name).problems) {
      const split = problem.indexOf(": ");
      problems.push({
        context: name,
        field: problem.slice(0, split),
        message: problem.slice(split + 2),
        labels: true,
      });
    }
  }
  for (const { name } of config.clusters) {
    if (!config.contexts.some((c) => c.context.cluster === name)) {
      problems.push({
        context: "",
        field: `clusters[${name}]`,
        message: "not used by any context; remove it",
      });
    }
  }
  for (const { name } of config.users) {
    if (!config.contexts.some((c) => c.context.user === name)) {
      problems.push({ context: "", field: `users[${name}]`, message: "not used by any context; remove it" });
    }
  }
  return problems;
}

/** Thrown by `validateForStorage`; `problems` holds every problem found. */
export class KubeconfigStorageError extends Error {
  readonly problems: StorageProblem[];

  constructor(problems: StorageProblem[]) {
    const lines = problems.map((p) =>
      `  - ${p.field}${p.context ? ` (context "${p.context}")` : ""}: ${p.message}`
    );
    const count = `${problems.length} problem${problems.length === 1 ? "" : "s"}`;
    super(`Cannot store kubeconfig: ${count}:\n${lines.join("\n")}`);
    this.name = "KubeconfigStorageError";
    this.problems = problems;
  }
}

/**
 * Throws one `KubeconfigStorageError` listing every problem `storageProblems` finds.
 *
 * @example
 * ```ts
 * validateForStorage(extractContext(local, "kind-east", { baseDir }));
 * ```
 */
export function validateForStorage(config: Kubeconfig, options: StorageOptions = {}): void {
  const problems = storageProblems(config, options);
  if (problems.length > 0) throw new KubeconfigStorageError(problems);
}
