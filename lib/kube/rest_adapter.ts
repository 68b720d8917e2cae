/**
 * {@linkcode RestClient} over {@linkcode KubeClient}: the generated API clients on plumber's
 * own fetch/TLS transport (timeouts, retries, `Retry-After`, the fence, TLS error messages),
 * built only on `KubeClient`'s public methods: `raw` (JSON, any `Accept`), `getText` and
 * `watchPath`. Paths come from the generated code, so no RESTMapper is consulted.
 *
 * ```ts
 * const core = new CoreV1Api(restClientOf(kube));
 * const configMap = await core.namespace("ns").getConfigMap("name");
 * ```
 *
 * Requests are repeated on connection errors and 5xx as `KubeClient`'s own methods repeat
 * them ({@linkcode retrySafe}); a `text` request must be a GET (`getText`).
 *
 * @module
 */

import type { KubeClient, WatchPathOptions } from "./client.ts";
import type { RestClient, RestRequest, WatchEvent, WatchRequest } from "./rest.ts";

const APPLY_PATCH = "application/apply-patch+yaml";

/**
 * Whether a request is safe to repeat after a connection error or a 5xx, as `KubeClient`
 * decides for its own methods: reads, server-side apply (the same intent twice is the same
 * as once) and deletes; never a create, an update or another patch (it may have been applied).
 *
 * @example
 * ```ts
 * retrySafe({ method: "PATCH", contentType: "application/apply-patch+yaml" }); // true
 * retrySafe({ method: "POST" }); // false
 * ```
 */
export function retrySafe(request: Pick<RestRequest, "method" | "contentType">): boolean {
  if (request.method === "GET" || request.method === "DELETE") return true;
  return request.method === "PATCH" && request.contentType === APPLY_PATCH;
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
    if (request.expect === "text") {
      if (request.method !== "GET") {
        throw new RangeError(
          `Cannot ${request.method} ${request.path} for text: KubeClient reads text with GET only`,
        );
      }
      return await this.#kube.getText(request.path, {
        query: request.query,
        accept: request.accept,
        signal: request.signal,
      });
    }
    const result = await this.#kube.raw<unknown>(request.method, request.path, {
      body: request.body,
      query: request.query,
      contentType: request.contentType,
      accept: request.accept,
      retrySafe: retrySafe(request),
      signal: request.signal,
    });
    return request.expect === "none" ? undefined : result;
  }

  watch<T>(request: WatchRequest): AsyncIterable<WatchEvent<T>> {
    const options: WatchPathOptions = {
      ...(request.query as Omit<WatchPathOptions, "signal">),
      signal: request.signal,
    };
    // ERROR events are thrown by the watch, so only the four other types are yielded.
    return this.#kube.watchPath<T>(request.path, request.kind, options) as AsyncIterable<WatchEvent<T>>;
  }
}

/** The generated clients' transport over `kube` (which stays the caller's to close). */
export function restClientOf(kube: KubeClient): RestClient {
  return new KubeRestClient(kube);
}
