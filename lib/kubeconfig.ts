/**
 * Kubeconfig handling for plumber: parse and serialize the kubectl on-disk format,
 * extract, merge and remove contexts, check that a kubeconfig is fit to be stored in
 * the secondaries Secret, resolve what a REST client needs to connect, and redact
 * secrets before anything reaches a log.
 *
 * Everything here is pure except where a `readFile` option (default
 * `Deno.readFileSync`) or the in-cluster environment is consulted.
 *
 * @module
 */

import { LineCounter, parseDocument, stringify } from "yaml";
import { proxyUrlProblem, tlsServerNameProblem } from "./cluster_transport.ts";
import { decodeBase64, encodeBase64 } from "./base64.ts";
import { canonicalJson } from "./json.ts";

// ---------------------------------------------------------------------------
// On-disk shape (kubectl's clientcmd/api/v1, with its dashed key names)
// ---------------------------------------------------------------------------

/** A named extension, kept opaque. */
export interface NamedExtension {
  name: string;
  extension: unknown;
}

/** `clusters[].cluster`: how to reach and trust an API server. */
export interface ClusterEntry {
  server?: string;
  "certificate-authority"?: string;
  /** Base64 of the PEM bundle. */
  "certificate-authority-data"?: string;
  "insecure-skip-tls-verify"?: boolean;
  "tls-server-name"?: string;
  "proxy-url"?: string;
  "disable-compression"?: boolean;
  extensions?: NamedExtension[];
}

/** One `users[].user.exec.env[]` entry. */
export interface ExecEnvVar {
  name: string;
  value: string;
}

/** `users[].user.exec`: a client-go credential plugin (plumber refuses to run them). */
export interface ExecConfig {
  apiVersion?: string;
  command: string;
  args?: string[];
  env?: ExecEnvVar[];
  installHint?: string;
  provideClusterInfo?: boolean;
  interactiveMode?: string;
}

/** `users[].user.auth-provider`: a legacy auth provider (plumber refuses them). */
export interface AuthProviderConfig {
  name: string;
  config?: Record<string, string>;
}

/** `users[].user`: the credentials presented to an API server. */
export interface UserEntry {
  "client-certificate"?: string;
  /** Base64 of the PEM certificate. */
  "client-certificate-data"?: string;
  "client-key"?: string;
  /** Base64 of the PEM private key. */
  "client-key-data"?: string;
  token?: string;
  tokenFile?: string;
  as?: string;
  "as-uid"?: string;
  "as-groups"?: string[];
  "as-user-extra"?: Record<string, string[]>;
  username?: string;
  password?: string;
  "auth-provider"?: AuthProviderConfig;
  exec?: ExecConfig;
  extensions?: NamedExtension[];
}

/** `contexts[].context`: a (cluster, user, namespace) triple. */
export interface ContextEntry {
  cluster: string;
  user: string;
  namespace?: string;
  extensions?: NamedExtension[];
}

/** An entry of `clusters`. */
export interface NamedCluster {
  name: string;
  cluster: ClusterEntry;
}

/** An entry of `users`. */
export interface NamedUser {
  name: string;
  user: UserEntry;
}

/** An entry of `contexts`. */
export interface NamedContext {
  name: string;
  context: ContextEntry;
}

/** A kubeconfig in kubectl's on-disk format (`kind: Config`, `apiVersion: v1`). */
export interface Kubeconfig {
  apiVersion: string;
  kind: string;
  clusters: NamedCluster[];
  users: NamedUser[];
  contexts: NamedContext[];
  "current-context"?: string;
  preferences?: Record<string, unknown>;
  extensions?: NamedExtension[];
}

/** How files referenced by a kubeconfig are found and read. */
export interface FileReadOptions {
  /** Folder that relative paths are resolved against: the kubeconfig file's folder. */
  baseDir?: string;
  /** Reads a file; defaults to `Deno.readFileSync`. */
  readFile?: (path: string) => Uint8Array;
}

// ---------------------------------------------------------------------------
// Parse and serialize
// ---------------------------------------------------------------------------

type ScalarKind = "string" | "boolean" | "strings";

const CLUSTER_SCALARS: Readonly<Record<string, ScalarKind>> = {
  server: "string",
  "certificate-authority": "string",
  "certificate-authority-data": "string",
  "insecure-skip-tls-verify": "boolean",
  "tls-server-name": "string",
  "proxy-url": "string",
  "disable-compression": "boolean",
};

const USER_SCALARS: Readonly<Record<string, ScalarKind>> = {
  "client-certificate": "string",
  "client-certificate-data": "string",
  "client-key": "string",
  "client-key-data": "string",
  token: "string",
  tokenFile: "string",
  as: "string",
  "as-uid": "string",
  "as-groups": "strings",
  username: "string",
  password: "string",
};

const EXEC_SCALARS: Readonly<Record<string, ScalarKind>> = {
  apiVersion: "string",
  command: "string",
  args: "strings",
  installHint: "string",
  provideClusterInfo: "boolean",
  interactiveMode: "string",
};

/** Thrown by the shape readers; `parseKubeconfig` prefixes the source. */
class ShapeError extends Error {}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (value instanceof Uint8Array) return "binary data";
  if (typeof value === "object") return "a mapping";
  return `a ${typeof value}`;
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value) &&
    !(value instanceof Uint8Array);
}

function asMapping(value: unknown, path: string): Record<string, unknown> {
  if (value === undefined || value === null) throw new ShapeError(`${path} is missing`);
  if (!isMapping(value)) throw new ShapeError(`${path} must be a mapping, not ${describe(value)}`);
  return value;
}

function asList(value: unknown, path: string): unknown[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new ShapeError(`${path} must be a list, not ${describe(value)}`);
  return value;
}

function requiredString(map: Record<string, unknown>, key: string, path: string): string {
  const value = map[key];
  if (value === undefined || value === null) throw new ShapeError(`${path}.${key} is missing`);
  if (typeof value !== "string") {
    throw new ShapeError(`${path}.${key} must be a string, not ${describe(value)}`);
  }
  if (value === "") throw new ShapeError(`${path}.${key} is empty`);
  return value;
}

/** Copies the known scalar keys of `map` (in spec order), checking their types. */
function copyScalars(
  map: Record<string, unknown>,
  spec: Readonly<Record<string, ScalarKind>>,
  path: string,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, kind] of Object.entries(spec)) {
    const value = map[key];
    if (value === undefined || value === null) continue;
    const field = `${path}.${key}`;
    if (kind === "strings") {
      if (!Array.isArray(value) || value.some((item) => typeof item !== "string")) {
        throw new ShapeError(`${field} must be a list of strings`);
      }
      out[key] = [...value];
    } else if (
      (kind === "string" && typeof value !== "string") || (kind === "boolean" && typeof value !== "boolean")
    ) {
      throw new ShapeError(`${field} must be a ${kind}, not ${describe(value)}`);
    } else {
      out[key] = value;
    }
  }
  return out;
}

function readExtensions(value: unknown, path: string): NamedExtension[] | undefined {
  if (value === undefined || value === null) return undefined;
  return asList(value, path).map((item, i) => {
    const entry = asMapping(item, `${path}[${i}]`);
    return {
      name: requiredString(entry, "name", `${path}[${i}]`),
      extension: structuredClone(entry.extension ?? null),
    };
  });
}

function readExec(value: unknown, path: string): ExecConfig {
  const map = asMapping(value, path);
  requiredString(map, "command", path);
  const exec = copyScalars(map, EXEC_SCALARS, path) as unknown as ExecConfig;
  if (map.env !== undefined && map.env !== null) {
    exec.env = asList(map.env, `${path}.env`).map((item, i) => {
      const entry = asMapping(item, `${path}.env[${i}]`);
      const value = entry.value ?? "";
      if (typeof value !== "string") {
        throw new ShapeError(`${path}.env[${i}].value must be a string, not ${describe(value)}`);
      }
      return { name: requiredString(entry, "name", `${path}.env[${i}]`), value };
    });
  }
  return exec;
}

function readAuthProvider(value: unknown, path: string): AuthProviderConfig {
  const map = asMapping(value, path);
  const provider: AuthProviderConfig = { name: requiredString(map, "name", path) };
  if (map.config !== undefined && map.config !== null) {
    const config = asMapping(map.config, `${path}.config`);
    provider.config = {};
    for (const [key, item] of Object.entries(config)) {
      if (typeof item !== "string") {
        throw new ShapeError(`${path}.config.${key} must be a string, not ${describe(item)}`);
      }
      provider.config[key] = item;
    }
  }
  return provider;
}

function readUserExtra(value: unknown, path: string): Record<string, string[]> {
  const map = asMapping(value, path);
  const out: Record<string, string[]> = {};
  for (const [key, item] of Object.entries(map)) {
    if (!Array.isArray(item) || item.some((v) => typeof v !== "string")) {
      throw new ShapeError(`${path}.${key} must be a list of strings`);
    }
    out[key] = [...item];
  }
  return out;
}

function readCluster(value: unknown, path: string): ClusterEntry {
  const map = asMapping(value, path);
  const cluster = copyScalars(map, CLUSTER_SCALARS, path) as ClusterEntry;
  const extensions = readExtensions(map.extensions, `${path}.extensions`);
  if (extensions) cluster.extensions = extensions;
  return cluster;
}

function readUser(value: unknown, path: string): UserEntry {
  // kubectl writes `user: {}` for credential-less users, and sometimes `user: null`.
  const map = value === null || value === undefined ? {} : asMapping(value, path);
  const user = copyScalars(map, USER_SCALARS, path) as UserEntry;
  if (map["as-user-extra"] !== undefined && map["as-user-extra"] !== null) {
    user["as-user-extra"] = readUserExtra(map["as-user-extra"], `${path}.as-user-extra`);
  }
  if (map["auth-provider"] !== undefined && map["auth-provider"] !== null) {
    user["auth-provider"] = readAuthProvider(map["auth-provider"], `${path}.auth-provider`);
  }
  if (map.exec !== undefined && map.exec !== null) user.exec = readExec(map.exec, `${path}.exec`);
  const extensions = readExtensions(map.extensions, `${path}.extensions`);
  if (extensions) user.extensions = extensions;
  return user;
}

function readContext(value: unknown, path: string): ContextEntry {
  const map = asMapping(value, path);
  const context: ContextEntry = {
    cluster: requiredString(map, "cluster", path),
    user: requiredString(map, "user", path),
  };
  Object.assign(context, copyScalars(map, { namespace: "string" }, path));
  const extensions = readExtensions(map.extensions, `${path}.extensions`);
  if (extensions) context.extensions = extensions;
  return context;
}

function readNamed<T>(
  root: Record<string, unknown>,
  listKey: "clusters" | "users" | "contexts",
  entryKey: "cluster" | "user" | "context",
  read: (value: unknown, path: string) => T,
): { name: string; entry: T }[] {
  const seen = new Set<string>();
  return asList(root[listKey], listKey).map((item, i) => {
    const path = `${listKey}[${i}]`;
    const map = asMapping(item, path);
    const name = requiredString(map, "name", path);
    if (seen.has(name)) throw new ShapeError(`${path}.name "${name}" is used by an earlier entry too`);
    seen.add(name);
    return { name, entry: read(map[entryKey], `${path}.${entryKey}`) };
  });
}

/**
 * Parses a kubeconfig (YAML or JSON) and checks its shape. Keys kubectl does not know
 * are dropped, as kubectl does; an empty document is an empty kubeconfig.
 *
 * Errors name the source and the offending field, never a value that could be secret.
 *
 * @example
 * ```ts
 * const config = parseKubeconfig(await Deno.readTextFile(path), path);
 * console.log(config["current-context"]);
 * ```
 *
 * @param text The kubeconfig text.
 * @param source Where the text came from (a path, or `Secret plumber-system/...`), for errors.
 * @throws {Error} `Cannot parse kubeconfig /x: contexts[2].context.cluster is missing`
 */
export function parseKubeconfig(text: string, source?: string): Kubeconfig {
  const prefix = `Cannot parse kubeconfig${source ? ` ${source}` : ""}`;
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { prettyErrors: false, lineCounter, uniqueKeys: true });
  const yamlError = doc.errors[0];
  if (yamlError) {
    // The yaml library's pretty messages quote the source line, which may hold a secret.
    const { line, col } = lineCounter.linePos(yamlError.pos[0]);
    throw new Error(
      `${prefix}: invalid YAML at line ${line}, column ${col}: ${redactText(yamlError.message)}`,
    );
  }
  let root: unknown;
  try {
    root = doc.toJS({ maxAliasCount: 100 });
  } catch (error) {
    throw new Error(`${prefix}: ${redactText(error instanceof Error ? error.message : String(error))}`);
  }
  try {
    return readKubeconfig(root);
  } catch (error) {
    if (error instanceof ShapeError) throw new Error(`${prefix}: ${error.message}`);
    throw error;
  }
}

function readKubeconfig(root: unknown): Kubeconfig {
  if (root === null || root === undefined) {
    return { apiVersion: "v1", kind: "Config", clusters: [], users: [], contexts: [] };
  }
  if (!isMapping(root)) throw new ShapeError(`the document is ${describe(root)}, not a mapping`);
  const kind = root.kind ?? "Config";
  if (kind !== "Config") {
    throw new ShapeError(
      typeof kind === "string"
        ? `kind is "${kind}", expected "Config"`
        : `kind must be a string, not ${describe(kind)}`,
    );
  }
  const apiVersion = root.apiVersion ?? "v1";
  if (apiVersion !== "v1") {
    throw new ShapeError(
      typeof apiVersion === "string"
        ? `apiVersion is "${apiVersion}", expected "v1"`
        : `apiVersion must be a string, not ${describe(apiVersion)}`,
    );
  }
  const config: Kubeconfig = {
    apiVersion,
    kind,
    clusters: readNamed(root, "clusters", "cluster", readCluster).map(({ name, entry }) => ({
      name,
      cluster: entry,
    })),
    users: readNamed(root, "users", "user", readUser).map(({ name, entry }) => ({ name, user: entry })),
    contexts: readNamed(root, "contexts", "context", readContext).map(({ name, entry }) => ({
      name,
      context: entry,
    })),
  };
  const current = root["current-context"];
  if (current !== undefined && current !== null && current !== "") {
    if (typeof current !== "string") {
      throw new ShapeError(`current-context must be a string, not ${describe(current)}`);
    }
    config["current-context"] = current;
  }
  if (root.preferences !== undefined && root.preferences !== null) {
    config.preferences = structuredClone(asMapping(root.preferences, "preferences"));
  }
  const extensions = readExtensions(root.extensions, "extensions");
  if (extensions) config.extensions = extensions;
  return config;
}

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
  return stringify(withoutUndefined(ordered), {
    version: "1.1",
    lineWidth: 0,
    aliasDuplicateObjects: false,
  });
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

// ---------------------------------------------------------------------------
// Contexts: list, extract, merge, remove
// ---------------------------------------------------------------------------

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

interface ResolvedContext {
  context: NamedContext;
  cluster: NamedCluster;
  user: NamedUser;
}

function knownContexts(config: Kubeconfig): string {
  return config.contexts.length === 0
    ? "the kubeconfig has no contexts"
    : `known contexts: ${config.contexts.map((c) => `"${c.name}"`).join(", ")}`;
}

function findContext(config: Kubeconfig, contextName: string, action: string): ResolvedContext {
  const context = config.contexts.find((c) => c.name === contextName);
  if (!context) {
    throw new Error(
      `Cannot ${action}: context "${contextName}" is not in the kubeconfig; ${knownContexts(config)}`,
    );
  }
  const cluster = config.clusters.find((c) => c.name === context.context.cluster);
  if (!cluster) {
    throw new Error(
      `Cannot ${action}: contexts[${contextName}].context.cluster names cluster "${context.context.cluster}", which is not in the kubeconfig`,
    );
  }
  const user = config.users.find((u) => u.name === context.context.user);
  if (!user) {
    throw new Error(
      `Cannot ${action}: contexts[${contextName}].context.user names user "${context.context.user}", which is not in the kubeconfig`,
    );
  }
  return { context, cluster, user };
}

function isAbsolutePath(path: string): boolean {
  return path.startsWith("/") || path.startsWith("\\\\") || /^[A-Za-z]:[\\/]/.test(path);
}

function resolvePath(path: string, field: string, action: string, baseDir: string | undefined): string {
  if (isAbsolutePath(path)) return path;
  if (baseDir === undefined) {
    throw new Error(
      `Cannot ${action}: ${field} "${path}" is a relative path and no baseDir (the kubeconfig's folder) was given`,
    );
  }
  return `${baseDir.replace(/[\\/]+$/, "")}/${path.replace(/^\.\//, "")}`;
}

function readReferencedFile(
  path: string,
  field: string,
  action: string,
  options: FileReadOptions,
): { path: string; bytes: Uint8Array } {
  const resolved = resolvePath(path, field, action, options.baseDir);
  const readFile = options.readFile ?? Deno.readFileSync;
  try {
    return { path: resolved, bytes: readFile(resolved) };
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`Cannot ${action}: cannot read ${field} "${resolved}": ${reason}`);
  }
}

/** The user's file references and the `*-data` keys that inline them. */
const CLIENT_FILE_FIELDS = [
  ["client-certificate", "client-certificate-data"],
  ["client-key", "client-key-data"],
] as const;

function hasValue(value: string | undefined): value is string {
  return value !== undefined && value !== "";
}

function checkNotBoth(
  entry: Record<string, unknown>,
  pathKey: string,
  dataKey: string,
  prefix: string,
  action: string,
): void {
  if (hasValue(entry[pathKey] as string | undefined) && hasValue(entry[dataKey] as string | undefined)) {
    throw new Error(`Cannot ${action}: ${prefix}.${pathKey} and ${prefix}.${dataKey} are both set; keep one`);
  }
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

// ---------------------------------------------------------------------------
// Fitness for storage in the secondaries Secret
// ---------------------------------------------------------------------------

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
const NO_PLUGINS =
  "plumber does not run credential plugins; store a ServiceAccount token (plumberctl add creates one) or a client certificate and key instead";
const BASIC_AUTH =
  "basic authentication, which Kubernetes removed in 1.19; use a token or a client certificate";
const IMPERSONATION = "impersonation, which plumber does not support";
const IMPERSONATION_KEYS = ["as", "as-uid", "as-groups", "as-user-extra"] as const;

type FieldProblem = [field: string, message: string];

/** What is wrong with a cluster's `proxy-url` and `tls-server-name`, as [key, message]. */
function transportProblems(cluster: ClusterEntry): FieldProblem[] {
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
 * clusters or users no context uses (reported with context ""). Problems come per
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

// ---------------------------------------------------------------------------
// Connections
// ---------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------
// Names
// ---------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------
// Redaction
// ---------------------------------------------------------------------------

/** What secret values are replaced with. */
export const REDACTED = "REDACTED";

/**
 * A copy of `config` safe to print: every `*-data`, `token`, `password` and `client-key`
 * becomes `REDACTED`, as do exec env values, auth-provider config values and passwords
 * in server or proxy URLs; exec args go through `redactText`.
 *
 * @example
 * ```ts
 * console.log(serializeKubeconfig(redactKubeconfig(config)));
 * ```
 */
export function redactKubeconfig(config: Kubeconfig): Kubeconfig {
  const copy = structuredClone(config);
  for (const { cluster } of copy.clusters) {
    if (hasValue(cluster["certificate-authority-data"])) cluster["certificate-authority-data"] = REDACTED;
    if (hasValue(cluster.server)) cluster.server = redactUrl(cluster.server);
    if (hasValue(cluster["proxy-url"])) cluster["proxy-url"] = redactUrl(cluster["proxy-url"]);
  }
  for (const { user } of copy.users) {
    for (
      const key of ["client-certificate-data", "client-key-data", "client-key", "token", "password"] as const
    ) {
      if (hasValue(user[key])) user[key] = REDACTED;
    }
    if (user.exec) {
      for (const variable of user.exec.env ?? []) variable.value = REDACTED;
      if (user.exec.args) {
        // `--token X` as two args: the value has nothing that marks it as a secret.
        user.exec.args = user.exec.args.map((arg, i, args) =>
          SECRET_FLAG_ALONE.test(args[i - 1] ?? "") ? REDACTED : redactText(arg)
        );
      }
    }
    const providerConfig = user["auth-provider"]?.config;
    if (providerConfig) { for (const key of Object.keys(providerConfig)) providerConfig[key] = REDACTED; }
  }
  return copy;
}

const SECRET_KEYS = [
  "token",
  "id-token",
  "refresh-token",
  "access-token",
  "client-secret",
  "client-key-data",
  "client-certificate-data",
  "certificate-authority-data",
  "password",
  "bearerToken",
  "keyData",
  "certData",
  "caData",
].join("|");

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?(?:-----END \1-----|$)/g;
// "-----BEGIN" in base64, at any of the three alignments it can appear in inside *-data.
const BASE64_PEM = /(?:LS0tLS1CRUdJT|0tLS0tQkVHSU|tLS0tLUJFR0lO)[A-Za-z0-9+/=]*/g;
const BEARER = /\b(Bearer)\s+[A-Za-z0-9\-._~+/]+=*/gi;
const BASIC = /(\bauthorization["']?\s*[:=]\s*["']?Basic)\s+[A-Za-z0-9+/]+=*/gi;
const JWT = /\beyJ[A-Za-z0-9_-]*\.eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*/g;
const SECRET_FLAG_ALONE = new RegExp(`^--?(?:${SECRET_KEYS})$`, "i");
const FLAG = new RegExp(`(--(?:${SECRET_KEYS})(?:=|[ \\t]+))(?!${REDACTED})[^\\s"',]+`, "gi");
// A secret flag and its value as neighbouring items of a YAML or JSON list of args.
const FLAG_LIST_ITEM = new RegExp(
  `((?:\\\\?["'])?--(?:${SECRET_KEYS})(?:\\\\?["'])?(?:[ \\t]*,\\s*|[ \\t]*\\r?\\n[ \\t]*-[ \\t]+))` +
    `(\\\\"(?:(?!\\\\")[^\\n])*\\\\"|"(?:[^"\\\\\\n]|\\\\.)*"|'[^'\\n]*'|[^\\s,\\]"']+)`,
  "gi",
);
// The password in `scheme://user:password@host`.
const URL_PASSWORD = /(\b[a-z][a-z0-9+.-]*:\/\/[^\s:/@"']+:)[^\s@/"']+(?=@)/gi;
const YAML_BLOCK_HEADER = new RegExp(
  `^(\\s*(?:-\\s+)?["']?(?:${SECRET_KEYS})["']?\\s*:\\s*)[|>][-+0-9]*\\s*$`,
  "i",
);
// `kubeconfig` too: a dumped kubeconfig Secret holds the whole file (base64) under it.
const KEY_VALUE = new RegExp(
  `(?<![\\w-])((?:\\\\?["'])?(?:${SECRET_KEYS}|kubeconfig)(?:\\\\?["'])?\\s*[:=]\\s*)` +
    `(\\\\"(?:(?!\\\\")[\\s\\S])*\\\\"|"(?:[^"\\\\]|\\\\.)*"|'(?:[^']|'')*'|[^\\s,;&()}\\]"'|>][^\\s,;&()}\\]"']*)`,
  "gi",
);

/**
 * Removes secrets from free text before it reaches a log, an event or a status:
 * PEM blocks (also base64-encoded ones), `Bearer` and `Basic` credentials, JWTs, the
 * values of keys such as `token`, `password` and `client-key-data` in YAML, JSON or
 * `key=value` form, and `--token=` style flags.
 *
 * @example
 * ```ts
 * logger.error(redactText(String(error)));
 * ```
 */
export function redactText(text: string): string {
  return redactYamlBlocks(text)
    .replace(PEM_BLOCK, `-----BEGIN $1-----${REDACTED}-----END $1-----`)
    .replace(BASE64_PEM, REDACTED)
    .replace(BEARER, `$1 ${REDACTED}`)
    .replace(BASIC, `$1 ${REDACTED}`)
    .replace(JWT, REDACTED)
    .replace(FLAG, `$1${REDACTED}`)
    .replace(FLAG_LIST_ITEM, (_match, head: string, value: string) => `${head}${quoteLike(value)}`)
    .replace(URL_PASSWORD, `$1${REDACTED}`)
    .replace(KEY_VALUE, (_match, key: string, value: string) => `${key}${quoteLike(value)}`);
}

/** REDACTED, quoted the way `value` was. */
function quoteLike(value: string): string {
  if (value.startsWith('\\"')) return `\\"${REDACTED}\\"`;
  if (value.startsWith('"')) return `"${REDACTED}"`;
  if (value.startsWith("'")) return `'${REDACTED}'`;
  return REDACTED;
}

/** Replaces YAML block scalars (`token: |` and its more-indented lines) under secret keys. */
function redactYamlBlocks(text: string): string {
  const lines = text.split("\n");
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? "";
    const header = YAML_BLOCK_HEADER.exec(line);
    if (!header) {
      out.push(line);
      continue;
    }
    out.push(`${header[1]}${REDACTED}`);
    const indent = line.length - line.trimStart().length;
    while (i + 1 < lines.length) {
      const next = lines[i + 1] ?? "";
      if (next.trim() !== "" && next.length - next.trimStart().length <= indent) break;
      i++;
    }
  }
  return out.join("\n");
}

function redactUrl(raw: string): string {
  const url = parseUrl(raw);
  if (!url || url.password === "") return raw;
  url.password = REDACTED;
  return url.href;
}

// ---------------------------------------------------------------------------
// Encoding helpers
// ---------------------------------------------------------------------------

type PemKind = "certificate" | "key";

const PEM_HEADER: Readonly<Record<PemKind, RegExp>> = {
  certificate: /-----BEGIN CERTIFICATE-----/,
  key: /-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----/,
};

function parseUrl(raw: string): URL | undefined {
  try {
    return new URL(raw);
  } catch {
    return undefined;
  }
}

function decodeBase64OrUndefined(text: string): Uint8Array | undefined {
  try {
    return decodeBase64(text);
  } catch {
    return undefined;
  }
}

function decodeUtf8(bytes: Uint8Array): string | undefined {
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
}

/** Decodes base64 `*-data` to PEM text, or undefined when it is not PEM of that kind. */
function decodePem(data: string, kind: PemKind): string | undefined {
  const bytes = decodeBase64OrUndefined(data);
  const text = bytes && decodeUtf8(bytes);
  return text !== undefined && PEM_HEADER[kind].test(text) ? text : undefined;
}
