/**
 * Reads the resources of one group-version from the `paths` of its OpenAPI v3 document:
 * scope, verbs and the status subresource come from the paths and their
 * `x-kubernetes-action` / `x-kubernetes-group-version-kind`, not from a table.
 *
 * Path shapes (after `/api/v1` or `/apis/<group>/<version>`):
 * `<plural>`, `<plural>/{name}`, `<plural>/{name}/<sub>` (cluster-wide: cluster-scoped
 * kinds, or the all-namespaces list of namespaced ones) and the same under
 * `namespaces/{namespace}/`. The deprecated `watch/...` paths are read only as a sign
 * that a collection can be watched.
 *
 * Pure: no I/O.
 *
 * @module
 */

import { refName, type Schema } from "./openapi_ts.ts";

/** An OpenAPI operation, as much of it as is read here. */
export interface Operation {
  operationId?: string;
  "x-kubernetes-action"?: string;
  "x-kubernetes-group-version-kind"?: { group: string; version: string; kind: string };
  parameters?: { name: string; in: string }[];
  requestBody?: { content?: Record<string, unknown> };
  responses?: Record<string, { content?: Record<string, { schema?: Schema }> }>;
}

/** An OpenAPI v3 document of one group-version. */
export interface OpenApiDocument {
  paths?: Record<string, Record<string, Operation | { name: string; in: string }[]>>;
  components?: { schemas?: Record<string, Schema> };
}

/** A verb a generated client offers on an object or a subresource. */
export type Verb = "get" | "list" | "watch" | "create" | "replace" | "patch" | "apply" | "delete";

/** One resource of a group-version, as its paths describe it. */
export interface ResourceModel {
  group: string;
  version: string;
  kind: string;
  /** Resource name in paths: lower-case plural (`configmaps`). */
  plural: string;
  namespaced: boolean;
  /** Component name of the kind's schema. */
  schema: string;
  /** Component name of the list's schema, when the collection can be listed. */
  listSchema?: string;
  /** Verbs on the object and its collection (in the namespace, for namespaced kinds). */
  verbs: Set<Verb>;
  /** Verbs across all namespaces (namespaced kinds only): `list` and `watch`. */
  allNamespaces: Set<Verb>;
  /** Verbs on the `status` subresource, when there is one. */
  status?: Set<Verb>;
}

const METHODS = ["get", "put", "post", "patch", "delete"] as const;
const APPLY_CONTENT_TYPE = "application/apply-patch+yaml";

function operations(item: Record<string, unknown>): [string, Operation][] {
  return METHODS.filter((method) => item[method] !== undefined).map((method) => [
    method,
    item[method] as Operation,
  ]);
}

function responseSchema(operation: Operation): string | undefined {
  for (const code of ["200", "201"]) {
    const schema = operation.responses?.[code]?.content?.["application/json"]?.schema;
    if (schema?.$ref) return refName(schema.$ref);
  }
  return undefined;
}

function hasParameter(item: Record<string, unknown>, operation: Operation, name: string): boolean {
  const shared = (item.parameters ?? []) as { name: string }[];
  return [...shared, ...(operation.parameters ?? [])].some((parameter) => parameter.name === name);
}

interface PathShape {
  plural: string;
  namespaced: boolean;
  object: boolean;
  subresource?: string;
  watchPath: boolean;
}

/** Reads one path (without its group-version prefix) into its shape, or `undefined` for others. */
export function pathShape(relative: string): PathShape | undefined {
  let parts = relative.split("/").filter((part) => part !== "");
  let watchPath = false;
  if (parts[0] === "watch") {
    watchPath = true;
    parts = parts.slice(1);
  }
  let namespaced = false;
  if (parts[0] === "namespaces" && parts[1] === "{namespace}" && parts.length >= 3) {
    namespaced = true;
    parts = parts.slice(2);
  }
  const [plural, name, subresource, ...rest] = parts;
  if (!plural || plural.startsWith("{") || rest.length > 0) return undefined;
  if (name !== undefined && name !== "{name}") return undefined;
  if (subresource?.startsWith("{")) return undefined;
  return { plural, namespaced, object: name !== undefined, subresource, watchPath };
}

/** The group-version prefix of the document's paths: `/api/v1` or `/apis/<group>/<version>`. */
export function prefixOf(group: string, version: string): string {
  return group ? `/apis/${group}/${version}` : `/api/${version}`;
}

/** The resources of the group-version `group`/`version` described by `document`, sorted by plural. */
export function resourcesOf(document: OpenApiDocument, group: string, version: string): ResourceModel[] {
  const prefix = prefixOf(group, version);
  const byPlural = new Map<string, ResourceModel>();
  const resource = (plural: string, kind: string, schema: string) => {
    let model = byPlural.get(plural);
    if (!model) {
      model = {
        group,
        version,
        kind,
        plural,
        namespaced: false,
        schema,
        verbs: new Set(),
        allNamespaces: new Set(),
      };
      byPlural.set(plural, model);
    }
    return model;
  };
  // Object paths first: they name the kind and its schema; collections and subresources refer to them.
  const entries = Object.entries(document.paths ?? {})
    .filter(([path]) => path.startsWith(`${prefix}/`))
    .map(([path, item]) => ({
      shape: pathShape(path.slice(prefix.length)),
      item: item as Record<string, unknown>,
    }))
    .filter((entry): entry is { shape: PathShape; item: Record<string, unknown> } =>
      entry.shape !== undefined
    )
    .sort((a, b) =>
      Number(b.shape.object && !b.shape.subresource) - Number(a.shape.object && !a.shape.subresource)
    );
  for (const { shape, item } of entries) {
    for (const [method, operation] of operations(item)) {
      const action = operation["x-kubernetes-action"];
      const gvk = operation["x-kubernetes-group-version-kind"];
      if (!action || !gvk) continue;
      if (shape.object && !shape.subresource && !shape.watchPath) {
        if (method !== "get") continue;
        const schema = responseSchema(operation);
        if (!schema) continue;
        const model = resource(shape.plural, gvk.kind, schema);
        model.namespaced ||= shape.namespaced;
      }
    }
  }
  for (const { shape, item } of entries) {
    const model = byPlural.get(shape.plural);
    if (!model) continue;
    for (const [method, operation] of operations(item)) {
      const action = operation["x-kubernetes-action"];
      if (!action) continue;
      if (shape.watchPath) {
        if (action !== "watchlist") continue;
        if (shape.namespaced === model.namespaced) model.verbs.add("watch");
        else model.allNamespaces.add("watch");
        continue;
      }
      if (shape.subresource) {
        if (shape.subresource !== "status" || shape.namespaced !== model.namespaced) continue;
        const verbs = model.status ??= new Set();
        addObjectVerb(verbs, method, action, operation);
        continue;
      }
      if (shape.object) {
        if (shape.namespaced === model.namespaced) addObjectVerb(model.verbs, method, action, operation);
        continue;
      }
      const sameScope = shape.namespaced === model.namespaced;
      const verbs = sameScope ? model.verbs : model.allNamespaces;
      if (!sameScope && shape.namespaced) continue;
      if (action === "list") {
        verbs.add("list");
        if (sameScope) model.listSchema ??= responseSchema(operation);
        if (hasParameter(item, operation, "watch")) verbs.add("watch");
      } else if (action === "post" && sameScope) {
        verbs.add("create");
      }
    }
  }
  return [...byPlural.values()].sort((a, b) => a.plural.localeCompare(b.plural));
}

function addObjectVerb(verbs: Set<Verb>, method: string, action: string, operation: Operation): void {
  if (method === "get" && action === "get") verbs.add("get");
  else if (method === "put" && action === "put") verbs.add("replace");
  else if (method === "delete" && action === "delete") verbs.add("delete");
  else if (method === "patch" && action === "patch") {
    verbs.add("patch");
    if (operation.requestBody?.content?.[APPLY_CONTENT_TYPE] !== undefined) verbs.add("apply");
  }
}

/**
 * The plural used in method names (`listConfigMaps`, `listIngresses`, `listEndpoints`):
 * the kind with the ending that makes it the resource's plural, else the resource
 * name capitalized.
 */
export function pluralName(kind: string, plural: string): string {
  const lower = kind.toLowerCase();
  if (plural === lower) return kind;
  if (plural.startsWith(lower)) return kind + plural.slice(lower.length);
  if (lower.endsWith("y") && plural === `${lower.slice(0, -1)}ies`) return `${kind.slice(0, -1)}ies`;
  return plural.charAt(0).toUpperCase() + plural.slice(1);
}
