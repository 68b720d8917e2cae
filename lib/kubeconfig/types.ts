/**
 * The kubeconfig on-disk format (kubectl's clientcmd/api/v1, with its dashed key names)
 * as TypeScript types, and the scalar keys of each entry in kubectl's order.
 *
 * @module
 */

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

/** The type each known scalar key of an entry must have. */
export type ScalarKind = "string" | "boolean" | "strings";

export const CLUSTER_SCALARS: Readonly<Record<string, ScalarKind>> = {
  server: "string",
  "certificate-authority": "string",
  "certificate-authority-data": "string",
  "insecure-skip-tls-verify": "boolean",
  "tls-server-name": "string",
  "proxy-url": "string",
  "disable-compression": "boolean",
};

export const USER_SCALARS: Readonly<Record<string, ScalarKind>> = {
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

export const EXEC_SCALARS: Readonly<Record<string, ScalarKind>> = {
  apiVersion: "string",
  command: "string",
  args: "strings",
  installHint: "string",
  provideClusterInfo: "boolean",
  interactiveMode: "string",
};
