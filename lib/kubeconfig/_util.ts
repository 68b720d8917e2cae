/**
 * Helpers shared by the kubeconfig modules: finding a context's entries, reading the
 * files a kubeconfig references, and decoding PEM. Not part of the public API.
 *
 * @module
 */

import { decodeBase64 } from "../base64.ts";
import type { FileReadOptions, Kubeconfig, NamedCluster, NamedContext, NamedUser } from "./types.ts";

/** A context with the cluster and user entries it names. */
export interface ResolvedContext {
  context: NamedContext;
  cluster: NamedCluster;
  user: NamedUser;
}

/** The end of an unknown-context error: the contexts the kubeconfig does have. */
export function knownContexts(config: Kubeconfig): string {
  return config.contexts.length === 0
    ? "the kubeconfig has no contexts"
    : `known contexts: ${config.contexts.map((c) => `"${c.name}"`).join(", ")}`;
}

/**
 * The context named `contextName` and its entries.
 *
 * @throws {Error} `Cannot ${action}: ...` naming the missing context, cluster or user.
 */
export function findContext(config: Kubeconfig, contextName: string, action: string): ResolvedContext {
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

/** `path` resolved against `baseDir`. @throws {Error} For a relative path without `baseDir`. */
export function resolvePath(
  path: string,
  field: string,
  action: string,
  baseDir: string | undefined,
): string {
  if (isAbsolutePath(path)) return path;
  if (baseDir === undefined) {
    throw new Error(
      `Cannot ${action}: ${field} "${path}" is a relative path and no baseDir (the kubeconfig's folder) was given`,
    );
  }
  return `${baseDir.replace(/[\\/]+$/, "")}/${path.replace(/^\.\//, "")}`;
}

/** Reads a file a kubeconfig references. @throws {Error} Naming the field and the resolved path. */
export function readReferencedFile(
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
export const CLIENT_FILE_FIELDS = [
  ["client-certificate", "client-certificate-data"],
  ["client-key", "client-key-data"],
] as const;

/** Whether a string setting is set and not empty. */
export function hasValue(value: string | undefined): value is string {
  return value !== undefined && value !== "";
}

/** @throws {Error} When both a file path key and its `*-data` key are set. */
export function checkNotBoth(
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

/** The PEM blocks a kubeconfig holds. */
export type PemKind = "certificate" | "key";

/** The header line of each kind of PEM block. */
export const PEM_HEADER: Readonly<Record<PemKind, RegExp>> = {
  certificate: /-----BEGIN CERTIFICATE-----/,
  key: /-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----/,
};

/** `raw` as a URL, or undefined when it is not one. */
export function parseUrl(raw: string): URL | undefined {
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

/** `bytes` as UTF-8 text, or undefined when they are not UTF-8. */
export function decodeUtf8(bytes: Uint8Array): string | undefined {
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
}

/** Decodes base64 `*-data` to PEM text, or undefined when it is not PEM of that kind. */
export function decodePem(data: string, kind: PemKind): string | undefined {
  const bytes = decodeBase64OrUndefined(data);
  const text = bytes && decodeUtf8(bytes);
  return text !== undefined && PEM_HEADER[kind].test(text) ? text : undefined;
}
