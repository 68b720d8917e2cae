/**
 * The contract between the generated API clients (`lib/kube/generated/`) and a transport:
 * a {@linkcode RestClient} sends one request or opens one watch; the request builders
 * below turn a generated method's arguments into that request, so that the generated code
 * stays one line per method and the rules (query names, content types, path escaping,
 * what a name must be) live here once.
 *
 * A transport implements two methods; `restClientOf()` in `rest_adapter.ts` implements
 * them over {@linkcode KubeClient}'s fetch/TLS transport.
 *
 * @module
 */

/** A query parameter value; `undefined` and `""` are left out. */
export type QueryValue = string | number | boolean | undefined;

/** HTTP methods the API clients use. */
export type RestMethod = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

/** One request. `expect` says what the caller wants back. */
export interface RestRequest {
  method: RestMethod;
  /** Absolute API path, already escaped, without the query: `/api/v1/namespaces/ns/configmaps/x`. */
  path: string;
  query?: Record<string, QueryValue>;
  /** JSON body (sent as JSON whatever the content type: apply accepts JSON as YAML). */
  body?: unknown;
  /** Content type of the body; `application/json` when there is a body and none is given. */
  contentType?: string;
  /** Accept header; `application/json` when none is given. */
  accept?: string;
  signal?: AbortSignal;
  /** `json`: parse the response; `text`: return it as text; `none`: discard it. */
  expect: "json" | "text" | "none";
  /** The kind and object the request is about, for error messages only: `ConfigMap ns/name`. */
  what?: string;
}

/** One watch: the collection path and the query (`watch=true` is the transport's to add). */
export interface WatchRequest {
  /** Collection path: `/api/v1/namespaces/ns/configmaps` or `/api/v1/configmaps`. */
  path: string;
  /** Kind watched, for messages and transports that address kinds rather than paths. */
  kind: string;
  query?: Record<string, QueryValue>;
  signal?: AbortSignal;
}

/** What a `BOOKMARK` event carries: only the resourceVersion (and annotations). */
export interface WatchBookmark {
  apiVersion?: string;
  kind?: string;
  metadata: { resourceVersion?: string; annotations?: Record<string, string> };
}

/**
 * One watch event. `ERROR` events are not yielded: the transport throws them as errors
 * (status 410 when the resourceVersion is too old).
 */
export type WatchEvent<T> =
  | { type: "ADDED" | "MODIFIED" | "DELETED"; object: T }
  | { type: "BOOKMARK"; object: WatchBookmark };

/** A transport for the generated API clients. */
export interface RestClient {
  request<T>(request: RestRequest & { expect: "json" }): Promise<T>;
  request(request: RestRequest & { expect: "text" }): Promise<string>;
  request(request: RestRequest & { expect: "none" }): Promise<void>;
  /**
   * Watches a collection. Yields events until the server ends the watch (the iterator
   * then finishes), the signal aborts, or an error (thrown).
   */
  watch<T>(request: WatchRequest): AsyncIterable<WatchEvent<T>>;
}

/** Options every method takes. */
export interface RequestOptions {
  signal?: AbortSignal;
}

/** Options of `get*`. */
export interface GetOptions extends RequestOptions {
  /** `"0"` reads from the API server's cache. */
  resourceVersion?: string;
}

/** Options of `list*` (one page; pass `continue` for the next). */
export interface ListOptions extends RequestOptions {
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
  resourceVersion?: string;
  resourceVersionMatch?: "Exact" | "NotOlderThan";
  timeoutSeconds?: number;
}

/** Options of `watch*`. */
export interface WatchOptions extends RequestOptions {
  labelSelector?: string;
  fieldSelector?: string;
  resourceVersion?: string;
  allowWatchBookmarks?: boolean;
  sendInitialEvents?: boolean;
  /** Server-side watch timeout: the server ends the watch after it. */
  timeoutSeconds?: number;
}

/** Options of `create*`, `replace*` and `patch*`. */
export interface WriteOptions extends RequestOptions {
  fieldManager?: string;
  /** Validate and return the result without storing it. */
  dryRun?: boolean;
  fieldValidation?: "Ignore" | "Warn" | "Strict";
}

/** The patch formats: JSON merge patch (RFC 7386), strategic merge patch, JSON patch (RFC 6902). */
export type PatchType = "merge" | "strategic" | "json";

/** Options of `patch*`. */
export interface PatchOptions extends WriteOptions {
  /** Default `"merge"`. Custom resources do not accept `"strategic"`. */
  type?: PatchType;
}

/** Options of `apply*` (server-side apply). */
export interface ApplyOptions extends RequestOptions {
  fieldManager: string;
  /** Take over fields other managers own instead of failing with a conflict. */
  force?: boolean;
  dryRun?: boolean;
  fieldValidation?: "Ignore" | "Warn" | "Strict";
}

/** Options of `delete*`. */
export interface DeleteOptions extends RequestOptions {
  propagationPolicy?: "Foreground" | "Background" | "Orphan";
  /** Delete only if the object still has this uid / resourceVersion (409 otherwise). */
  preconditions?: { uid?: string; resourceVersion?: string };
  gracePeriodSeconds?: number;
  dryRun?: boolean;
}

const PATCH_CONTENT_TYPES: Record<PatchType, string> = {
  merge: "application/merge-patch+json",
  strategic: "application/strategic-merge-patch+json",
  json: "application/json-patch+json",
};

/**
 * One path segment, escaped; throws naming the argument when it is empty or `.`/`..`
 * (which would address another path).
 */
export function segment(value: string, what: string): string {
  if (typeof value !== "string" || value === "" || value === "." || value === "..") {
    throw new RangeError(`Invalid ${what} ${JSON.stringify(value)}: a non-empty name is required`);
  }
  return encodeURIComponent(value);
}

function withSubresource(path: string, subresource: string | undefined): string {
  return subresource ? `${path}/${subresource}` : path;
}

function dryRun(value: boolean | undefined): string | undefined {
  return value ? "All" : undefined;
}

function describe(kind: string, namespace: string | undefined, name: string, subresource?: string): string {
  const object = namespace ? `${kind} ${namespace}/${name}` : `${kind} ${name}`;
  return subresource ? `${subresource} of ${object}` : object;
}

/** Where a generated method's resource lives: its collection path, kind and namespace. */
export interface Target {
  /** Collection path: `/apis/apps/v1/namespaces/ns/deployments`. */
  path: string;
  /** `v1`, `apps/v1`, ...: filled into bodies that leave it out. */
  apiVersion: string;
  kind: string;
  namespace?: string;
}

/** A body that names its object: what create, replace and apply send. */
export interface KindedBody {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string };
}

/** `metadata.name` of a body; throws naming the kind and the action when it is missing. */
function nameOf(target: Target, body: KindedBody, action: string): string {
  const name = body?.metadata?.name;
  if (typeof name !== "string" || name === "") {
    throw new RangeError(
      `Cannot ${action} ${target.kind}: metadata.name is required (got ${JSON.stringify(name)})`,
    );
  }
  return name;
}

/**
 * The body with `apiVersion` and `kind` filled in when left out; throws when they name
 * another kind (the server would refuse it less clearly).
 */
function withKind(target: Target, body: KindedBody): KindedBody {
  if (body === null || typeof body !== "object") {
    throw new RangeError(`Invalid ${target.kind} body ${JSON.stringify(body)}: an object is required`);
  }
  for (const [field, expected] of [["apiVersion", target.apiVersion], ["kind", target.kind]] as const) {
    const value = body[field];
    if (value !== undefined && value !== expected) {
      throw new RangeError(
        `Invalid ${field} ${JSON.stringify(value)} for a ${target.kind}: expected "${expected}"`,
      );
    }
  }
  return { apiVersion: target.apiVersion, kind: target.kind, ...body };
}

/** `GET` one object (or its subresource). */
export function getRequest(
  target: Target,
  name: string,
  options: GetOptions = {},
  subresource?: string,
): RestRequest & { expect: "json" } {
  return {
    method: "GET",
    path: withSubresource(`${target.path}/${segment(name, `${target.kind} name`)}`, subresource),
    query: { resourceVersion: options.resourceVersion },
    signal: options.signal,
    expect: "json",
    what: describe(target.kind, target.namespace, name, subresource),
  };
}

/** `GET` one page of a collection. */
export function listRequest(target: Target, options: ListOptions = {}): RestRequest & { expect: "json" } {
  const { signal, ...query } = options;
  return { method: "GET", path: target.path, query: { ...query }, signal, expect: "json", what: target.kind };
}

/** A watch of a collection. */
export function watchRequest(target: Target, options: WatchOptions = {}): WatchRequest {
  const { signal, ...query } = options;
  return { path: target.path, kind: target.kind, query: { ...query }, signal };
}

function writeQuery(options: WriteOptions): Record<string, QueryValue> {
  return {
    fieldManager: options.fieldManager,
    dryRun: dryRun(options.dryRun),
    fieldValidation: options.fieldValidation,
  };
}

/** `POST` a new object to a collection (`metadata.generateName` works). */
export function createRequest(
  target: Target,
  body: KindedBody,
  options: WriteOptions = {},
): RestRequest & { expect: "json" } {
  return {
    method: "POST",
    path: target.path,
    query: writeQuery(options),
    body: withKind(target, body),
    contentType: "application/json",
    signal: options.signal,
    expect: "json",
    what: target.kind,
  };
}

/**
 * `PUT` the object `body` names (or its subresource); fails with 409 when
 * `metadata.resourceVersion` is stale.
 */
export function replaceRequest(
  target: Target,
  body: KindedBody,
  options: WriteOptions = {},
  subresource?: string,
): RestRequest & { expect: "json" } {
  const name = nameOf(target, body, "replace");
  return {
    method: "PUT",
    path: withSubresource(`${target.path}/${segment(name, `${target.kind} name`)}`, subresource),
    query: writeQuery(options),
    body: withKind(target, body),
    contentType: "application/json",
    signal: options.signal,
    expect: "json",
    what: describe(target.kind, target.namespace, name, subresource),
  };
}

/** `PATCH` an object (or its subresource) with a merge, strategic or JSON patch. */
export function patchRequest(
  target: Target,
  name: string,
  patch: unknown,
  options: PatchOptions = {},
  subresource?: string,
): RestRequest & { expect: "json" } {
  const type = options.type ?? "merge";
  const contentType = PATCH_CONTENT_TYPES[type];
  if (!contentType) {
    throw new RangeError(`Invalid patch type ${JSON.stringify(type)}: use merge, strategic or json`);
  }
  return {
    method: "PATCH",
    path: withSubresource(`${target.path}/${segment(name, `${target.kind} name`)}`, subresource),
    query: writeQuery(options),
    body: patch,
    contentType,
    signal: options.signal,
    expect: "json",
    what: describe(target.kind, target.namespace, name, subresource),
  };
}

/**
 * Server-side apply of `body` (the field manager's whole intent) to the object it names
 * (`metadata.name`), or to its subresource.
 */
export function applyRequest(
  target: Target,
  body: KindedBody,
  options: ApplyOptions,
  subresource?: string,
): RestRequest & { expect: "json" } {
  const name = nameOf(target, body, "apply");
  if (!options?.fieldManager) {
    throw new RangeError(`Cannot apply ${target.kind} "${name}": fieldManager is required`);
  }
  return {
    method: "PATCH",
    path: withSubresource(`${target.path}/${segment(name, `${target.kind} name`)}`, subresource),
    query: {
      fieldManager: options.fieldManager,
      force: options.force ? true : undefined,
      dryRun: dryRun(options.dryRun),
      fieldValidation: options.fieldValidation,
    },
    body: withKind(target, body),
    contentType: "application/apply-patch+yaml",
    signal: options.signal,
    expect: "json",
    what: describe(target.kind, target.namespace, name, subresource),
  };
}

/** `DELETE` one object, with a `DeleteOptions` body. */
export function deleteRequest(
  target: Target,
  name: string,
  options: DeleteOptions = {},
): RestRequest & { expect: "json" } {
  const body: Record<string, unknown> = { apiVersion: "v1", kind: "DeleteOptions" };
  if (options.propagationPolicy) body.propagationPolicy = options.propagationPolicy;
  if (options.preconditions) body.preconditions = options.preconditions;
  if (options.gracePeriodSeconds !== undefined) body.gracePeriodSeconds = options.gracePeriodSeconds;
  if (options.dryRun) body.dryRun = ["All"];
  return {
    method: "DELETE",
    path: `${target.path}/${segment(name, `${target.kind} name`)}`,
    body,
    contentType: "application/json",
    signal: options.signal,
    expect: "json",
    what: describe(target.kind, target.namespace, name),
  };
}

/** The path prefix of a group-version: `/api/v1` for core, `/apis/<group>/<version>` otherwise. */
export function groupVersionPath(group: string, version: string): string {
  return group ? `/apis/${group}/${version}` : `/api/${version}`;
}

/** The collection path of a resource, in a namespace or cluster-wide. */
export function collectionTarget(
  group: string,
  version: string,
  resource: string,
  kind: string,
  namespace?: string,
): Target {
  const prefix = groupVersionPath(group, version);
  const apiVersion = group ? `${group}/${version}` : version;
  if (namespace === undefined) return { path: `${prefix}/${resource}`, apiVersion, kind };
  return {
    path: `${prefix}/namespaces/${segment(namespace, "namespace")}/${resource}`,
    apiVersion,
    kind,
    namespace,
  };
}
