/**
 * Kubeconfig handling for plumber: parse and serialize the kubectl on-disk format
 * (`parse.ts`, `serialize.ts`, `types.ts`), list, extract, merge and remove contexts
 * (`edit.ts`), check that a kubeconfig is fit to be stored in the secondaries Secret
 * (`storage.ts`), read and write a context's user labels (`labels.ts`), resolve what a REST client needs to connect (`connection.ts`), and
 * print one without its secrets (`redact.ts`).
 *
 * Everything here is pure except where a `readFile` option (default
 * `Deno.readFileSync`) or the in-cluster environment is consulted.
 *
 * @example
 * ```ts
 * import { parseKubeconfig, resolveConnection } from "./lib/kubeconfig/mod.ts";
 * const config = parseKubeconfig(await Deno.readTextFile(path), path);
 * const connection = resolveConnection(config, "kind-east", { baseDir: dirname(path) });
 * ```
 *
 * @module
 */

export type {
  AuthProviderConfig,
  ClusterEntry,
  ContextEntry,
  ExecConfig,
  ExecEnvVar,
  FileReadOptions,
  Kubeconfig,
  NamedCluster,
  NamedContext,
  NamedExtension,
  NamedUser,
  UserEntry,
} from "./types.ts";
export { parseKubeconfig } from "./parse.ts";
export { serializeKubeconfig } from "./serialize.ts";
export { type ContextSummary, extractContext, listContexts, mergeKubeconfig, removeContext } from "./edit.ts";
export {
  KubeconfigStorageError,
  type StorageOptions,
  type StorageProblem,
  storageProblems,
  validateForStorage,
} from "./storage.ts";
export {
  type ClusterConnection,
  clusterDetectorName,
  inClusterConnection,
  type InClusterOptions,
  isRfc1123Subdomain,
  kubeconfigHash,
  resolveConnection,
} from "./connection.ts";
export { redactKubeconfig } from "./redact.ts";
export {
  LABELS_EXTENSION,
  labelsField,
  readContextLabels,
  type StoredLabels,
  withContextLabels,
} from "./labels.ts";
