/**
 * Parsing a kubeconfig (YAML or JSON) into checked `Kubeconfig` values.
 *
 * YAML is read with `js-yaml` (its ES module build, YAML 1.2 core schema): the operator parses the
 * kubeconfig Secret, and `js-yaml` costs it 6 MiB of RSS at start-up where the CommonJS `yaml`
 * package costs 15.6 (it loads Deno's Node compatibility layer; `bench/imports.ts`).
 *
 * @module
 */

import { binaryTag, CORE_SCHEMA, loadAll, YAMLException } from "js-yaml";
import { redactText } from "../redact.ts";
import {
  type AuthProviderConfig,
  CLUSTER_SCALARS,
  type ClusterEntry,
  type ContextEntry,
  EXEC_SCALARS,
  type ExecConfig,
  type Kubeconfig,
  type NamedExtension,
  type ScalarKind,
  USER_SCALARS,
  type UserEntry,
} from "./types.ts";

/** YAML 1.2 core, plus `!!binary` so such a value is named in the shape error rather than the tag. */
const SCHEMA = CORE_SCHEMA.withTags(binaryTag);

/** Aliases (`*ref`) allowed in one kubeconfig. */
const MAX_ALIASES = 10;

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
  let documents: unknown[];
  try {
    // js-yaml shares an alias's value instead of copying it, but serializing expands it again: at
    // most 10 aliases keep that expansion small (a "billion laughs" document is refused).
    documents = loadAll(text, { schema: SCHEMA, maxAliases: MAX_ALIASES });
  } catch (error) {
    // js-yaml's full message quotes the source line, which may hold a secret: only reason and position.
    if (error instanceof YAMLException) {
      const at = error.mark ? ` at line ${error.mark.line + 1}, column ${error.mark.column + 1}` : "";
      throw new Error(`${prefix}: invalid YAML${at}: ${redactText(error.reason)}`);
    }
    throw new Error(`${prefix}: ${redactText(error instanceof Error ? error.message : String(error))}`);
  }
  if (documents.length > 1) {
    throw new Error(`${prefix}: invalid YAML: ${documents.length} documents, expected one`);
  }
  const root = documents[0];
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
