/**
 * Renders the typed client classes of one group-version from its resources
 * (`openapi_resources.ts`): `<Group><Version>Api` for cluster-scoped kinds and lists across
 * namespaces, and `<Group><Version>NamespacedApi` (from `.namespace(name)`) for namespaced
 * kinds. Each method is one call of a request builder of `lib/kube/rest.ts`.
 *
 * Pure: no I/O.
 *
 * @module
 */

import { pluralName, type ResourceModel, type Verb } from "./openapi_resources.ts";

/** What the class renderer needs from the type renderer: a type name for a component, imported if needed. */
export type TypeReference = (schemaName: string) => string;

/** The names a group-version's client uses. */
export interface ClientNames {
  group: string;
  version: string;
  /** `CoreV1`: classes are `CoreV1Api` and `CoreV1NamespacedApi`. */
  prefix: string;
}

/** The request builders and types of `rest.ts` a rendered client uses (for its import line). */
export const REST_IMPORTS = {
  values: [
    "applyRequest",
    "collectionTarget",
    "createRequest",
    "deleteRequest",
    "getRequest",
    "listRequest",
    "patchRequest",
    "replaceRequest",
    "watchRequest",
  ],
  types: [
    "ApplyOptions",
    "DeleteOptions",
    "GetOptions",
    "ListOptions",
    "PatchOptions",
    "RestClient",
    "Target",
    "WatchEvent",
    "WatchOptions",
    "WriteOptions",
  ],
} as const;

interface MethodContext {
  kind: string;
  type: string;
  listType: string;
  status: string;
  target: string;
}

function objectMethods(verbs: ReadonlySet<Verb>, m: MethodContext, plural: string): string[] {
  const { kind, type, target } = m;
  const out: string[] = [];
  if (verbs.has("get")) {
    out.push(`  /** Reads a ${kind}. */
  get${kind}(name: string, options?: GetOptions): Promise<${type}> {
    return this.#rest.request<${type}>(getRequest(${target}, name, options));
  }`);
  }
  if (verbs.has("list")) {
    out.push(`  /** Lists ${plural} (one page; pass \`continue\` for the next). */
  list${plural}(options?: ListOptions): Promise<${m.listType}> {
    return this.#rest.request<${m.listType}>(listRequest(${target}, options));
  }`);
  }
  if (verbs.has("watch")) {
    out.push(`  /** Watches ${plural}. */
  watch${plural}(options?: WatchOptions): AsyncIterable<WatchEvent<${type}>> {
    return this.#rest.watch<${type}>(watchRequest(${target}, options));
  }`);
  }
  if (verbs.has("create")) {
    out.push(`  /** Creates a ${kind} (\`metadata.generateName\` works). */
  create${kind}(body: ${type}, options?: WriteOptions): Promise<${type}> {
    return this.#rest.request<${type}>(createRequest(${target}, body, options));
  }`);
  }
  if (verbs.has("replace")) {
    out.push(
      `  /** Replaces the ${kind} \`body\` names; 409 when its \`metadata.resourceVersion\` is stale. */
  replace${kind}(body: ${type}, options?: WriteOptions): Promise<${type}> {
    return this.#rest.request<${type}>(replaceRequest(${target}, body, options));
  }`,
    );
  }
  if (verbs.has("patch")) {
    out.push(`  /** Patches a ${kind} (JSON merge patch unless \`options.type\` says otherwise). */
  patch${kind}(name: string, patch: unknown, options?: PatchOptions): Promise<${type}> {
    return this.#rest.request<${type}>(patchRequest(${target}, name, patch, options));
  }`);
  }
  if (verbs.has("apply")) {
    out.push(
      `  /** Server-side applies \`body\`, the field manager's whole intent for the ${kind} it names. */
  apply${kind}(body: ${type}, options: ApplyOptions): Promise<${type}> {
    return this.#rest.request<${type}>(applyRequest(${target}, body, options));
  }`,
    );
  }
  if (verbs.has("delete")) {
    out.push(
      `  /** Deletes a ${kind}: the server answers with a Status, or the object while finalizers hold it. */
  delete${kind}(name: string, options?: DeleteOptions): Promise<${type} | ${m.status}> {
    return this.#rest.request<${type} | ${m.status}>(deleteRequest(${target}, name, options));
  }`,
    );
  }
  return out;
}

function statusMethods(verbs: ReadonlySet<Verb>, m: MethodContext): string[] {
  const { kind, type, target } = m;
  const out: string[] = [];
  if (verbs.has("get")) {
    out.push(`  /** Reads a ${kind} through its status subresource. */
  get${kind}Status(name: string, options?: GetOptions): Promise<${type}> {
    return this.#rest.request<${type}>(getRequest(${target}, name, options, "status"));
  }`);
  }
  if (verbs.has("replace")) {
    out.push(`  /** Replaces the status of the ${kind} \`body\` names. */
  replace${kind}Status(body: ${type}, options?: WriteOptions): Promise<${type}> {
    return this.#rest.request<${type}>(replaceRequest(${target}, body, options, "status"));
  }`);
  }
  if (verbs.has("patch")) {
    out.push(`  /** Patches the status of a ${kind}. */
  patch${kind}Status(name: string, patch: unknown, options?: PatchOptions): Promise<${type}> {
    return this.#rest.request<${type}>(patchRequest(${target}, name, patch, options, "status"));
  }`);
  }
  if (verbs.has("apply")) {
    out.push(
      `  /** Server-side applies \`body\` (its \`metadata.name\` and \`status\` count) to the status of the ${kind} it names. */
  apply${kind}Status(body: Partial<${type}>, options: ApplyOptions): Promise<${type}> {
    return this.#rest.request<${type}>(applyRequest(${target}, body, options, "status"));
  }`,
    );
  }
  return out;
}

function allNamespacesMethods(verbs: ReadonlySet<Verb>, m: MethodContext, plural: string): string[] {
  const out: string[] = [];
  if (verbs.has("list")) {
    out.push(`  /** Lists ${plural} in every namespace (one page; pass \`continue\` for the next). */
  list${plural}ForAllNamespaces(options?: ListOptions): Promise<${m.listType}> {
    return this.#rest.request<${m.listType}>(listRequest(${m.target}, options));
  }`);
  }
  if (verbs.has("watch")) {
    out.push(`  /** Watches ${plural} in every namespace. */
  watch${plural}ForAllNamespaces(options?: WatchOptions): AsyncIterable<WatchEvent<${m.type}>> {
    return this.#rest.watch<${m.type}>(watchRequest(${m.target}, options));
  }`);
  }
  return out;
}

function context(resource: ResourceModel, typeOf: TypeReference, status: string): MethodContext {
  return {
    kind: resource.kind,
    type: typeOf(resource.schema),
    listType: resource.listSchema ? typeOf(resource.listSchema) : "unknown",
    status,
    target: `this.#at(${JSON.stringify(resource.plural)}, ${JSON.stringify(resource.kind)})`,
  };
}

/**
 * The client classes of a group-version. `statusType` is the type name of `meta/v1` Status
 * (what deletes answer). Resources come sorted; so do the methods.
 */
export function renderClient(
  names: ClientNames,
  resources: readonly ResourceModel[],
  typeOf: TypeReference,
  statusType: string,
): string {
  const apiVersion = `${names.group || "core"}/${names.version}`;
  const cluster: string[] = [];
  const namespaced: string[] = [];
  for (const resource of resources) {
    const m = context(resource, typeOf, statusType);
    const plural = pluralName(resource.kind, resource.plural);
    const methods = [
      ...objectMethods(resource.verbs, m, plural),
      ...statusMethods(resource.status ?? new Set(), m),
    ];
    if (resource.namespaced) {
      namespaced.push(...methods);
      cluster.push(...allNamespacesMethods(resource.allNamespaces, m, plural));
    } else {
      cluster.push(...methods);
    }
  }
  const constants = `const GROUP = ${JSON.stringify(names.group)};\nconst VERSION = ${
    JSON.stringify(names.version)
  };\n`;
  const namespacedClass = `${names.prefix}NamespacedApi`;
  const namespaceMethod = namespaced.length === 0 ? [] : [
    `  /** The namespaced resources of ${apiVersion} in \`namespace\`. */
  namespace(namespace: string): ${namespacedClass} {
    return new ${namespacedClass}(this.#rest, namespace);
  }`,
  ];
  let out = `${constants}
/** Typed client of ${apiVersion}${
    namespaced.length > 0
      ? ": cluster-scoped kinds and lists across namespaces; `.namespace(ns)` for the rest"
      : ""
  }. */
export class ${names.prefix}Api {
  readonly #rest: RestClient;

  constructor(rest: RestClient) {
    this.#rest = rest;
  }

  #at(resource: string, kind: string): Target {
    return collectionTarget(GROUP, VERSION, resource, kind);
  }

${[...namespaceMethod, ...cluster].join("\n\n")}
}
`;
  if (namespaced.length > 0) {
    out += `
/** Typed client of the namespaced kinds of ${apiVersion} in one namespace. */
export class ${namespacedClass} {
  readonly #rest: RestClient;
  readonly namespace: string;

  constructor(rest: RestClient, namespace: string) {
    this.#rest = rest;
    this.namespace = namespace;
  }

  #at(resource: string, kind: string): Target {
    return collectionTarget(GROUP, VERSION, resource, kind, this.namespace);
  }

${namespaced.join("\n\n")}
}
`;
  }
  return out;
}
