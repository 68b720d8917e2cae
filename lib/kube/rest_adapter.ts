/**
 * {@linkcode RestClient} over {@linkcode KubeClient}: the generated API clients on plumber's
 * own fetch/TLS transport (timeouts, retries, `Retry-After`, TLS error messages), built
 * only on `KubeClient`'s public methods.
 *
 * ```ts
 * const core = new CoreV1Api(restClientOf(kube));
 * const configMap = await core.namespace("ns").getConfigMap("name");
 * ```
 *
 * Limits of the public methods it is built on, until `KubeClient` grows them:
 * - `accept` other than JSON is refused (`raw` always asks for JSON);
 * - a `text` request must be a GET (`getText`);
 * - only GETs are retried (`raw` retries GET only; `KubeClient.apply` also retries apply);
 * - a watch is addressed by kind (`KubeClient.watch`), so the kind must be one
 *   `lib/kube/resources.ts` knows and the path must be the one it gives.
 *
 * @module
 */

import type { KubeClient, WatchOptions as KubeWatchOptions } from "./client.ts";
import type { RestClient, RestRequest, WatchEvent, WatchRequest } from "./rest.ts";
import { collectionPath } from "./resources.ts";

const JSON_TYPE = "application/json";

/** Reads a collection path into its apiVersion and namespace, or `undefined` when it is not one. */
export function parseCollectionPath(path: string): { apiVersion: string; namespace?: string } | undefined {
  const core = /^\/api\/([^/]+)(?:\/namespaces\/([^/]+))?\/[^/]+$/.exec(path);
  if (core) {
    return {
      apiVersion: core[1]!,
      namespace: core[2] === undefined ? undefined : decodeURIComponent(core[2]),
    };
  }
  const named = /^\/apis\/([^/]+)\/([^/]+)(?:\/namespaces\/([^/]+))?\/[^/]+$/.exec(path);
  if (named) {
    return {
      apiVersion: `${named[1]}/${named[2]}`,
      namespace: named[3] === undefined ? undefined : decodeURIComponent(named[3]),
    };
  }
  return undefined;
}

function withQuery(path: string, query: RestRequest["query"]): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value !== undefined && value !== "") params.set(key, String(value));
  }
  const text = params.toString();
  return text ? `${path}?${text}` : path;
}

class KubeRestClient implements RestClient {
  readonly #kube: KubeClient;

  constructor(kube: KubeClient) {
    this.#kube = kube;
  }

  request<T>(request: RestRequest & { expect: "json" }): Promise<T>;
  request(request: RestRequest & { expect: "text" }): Promise<string>;
  request(request: RestRequest & { expect: "none" }): Promise<void>;
  async request(request: RestRequest): Promise<unknown> {
    if (request.accept !== undefined && request.accept !== JSON_TYPE && request.expect !== "text") {
      throw new RangeError(
        `Cannot request ${request.path} as ${request.accept}: KubeClient asks for JSON only`,
      );
    }
    if (request.expect === "text") {
      if (request.method !== "GET") {
        throw new RangeError(
          `Cannot ${request.method} ${request.path} for text: KubeClient reads text with GET only`,
        );
      }
      return await this.#kube.getText(withQuery(request.path, request.query), { signal: request.signal });
    }
    const result = await this.#kube.raw<unknown>(request.method, request.path, {
      body: request.body,
      query: request.query,
      contentType: request.contentType,
      signal: request.signal,
    });
    return request.expect === "none" ? undefined : result;
  }

  watch<T>(request: WatchRequest): AsyncIterable<WatchEvent<T>> {
    const parsed = parseCollectionPath(request.path);
    if (!parsed) throw new RangeError(`Cannot watch ${request.path}: not a collection path`);
    // KubeClient.watch addresses kinds: make sure it reaches the same path.
    const path = collectionPath(parsed.apiVersion, request.kind, parsed.namespace);
    if (path !== request.path) {
      throw new RangeError(`Cannot watch ${request.kind} at ${request.path}: KubeClient would watch ${path}`);
    }
    const options: KubeWatchOptions = {
      ...(request.query as Omit<KubeWatchOptions, "namespace" | "signal">),
      namespace: parsed.namespace,
      signal: request.signal,
    };
    // ERROR events are thrown by KubeClient.watch, so only the four other types are yielded.
    return this.#kube.watch<T>(parsed.apiVersion, request.kind, options) as AsyncIterable<WatchEvent<T>>;
  }
}

/** The generated clients' transport over `kube` (which stays the caller's to close). */
export function restClientOf(kube: KubeClient): RestClient {
  return new KubeRestClient(kube);
}
