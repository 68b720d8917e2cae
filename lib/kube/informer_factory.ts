/**
 * A shared informer factory, as client-go's: one {@linkcode Informer} per
 * (cluster client, apiVersion, kind, namespace, label selector, field selector),
 * handed to every controller that asks for it, so two controllers watching the
 * same objects open one watch and hold one cache.
 *
 * Sharing is reference-counted by the informer itself: each user calls
 * `start()` once and `stop()` once, and the watch ends with the last `stop()`.
 * The factory's owner (the manager) calls `close()` at shutdown, which ends
 * every watch still open.
 *
 * @example
 * ```ts
 * const factory = new InformerFactory({ logger });
 * const a = factory.informer<ClusterDetector>({ client, apiVersion: API_VERSION, kind: "ClusterDetector", namespace });
 * const b = factory.informer<ClusterDetector>({ client, apiVersion: API_VERSION, kind: "ClusterDetector", namespace });
 * // a === b: one list, one watch
 * ```
 *
 * @module
 */

import type { KubeClient, KubeObjectLike } from "./client.ts";
import { Informer, type InformerOptions } from "./informer.ts";
import type { Logger } from "../log.ts";

/** What one shared informer watches. */
export interface InformerSpec {
  client: KubeClient;
  apiVersion: string;
  kind: string;
  /** Only this namespace (default: all). */
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /**
   * The cache transform (default: drop managedFields). Not part of the key: the informer of a spec
   * is shared, so callers of one kind and selector must agree on it; the first one's is used.
   */
  transform?: InformerOptions["transform"];
}

/** Options of {@linkcode InformerFactory}. */
export interface InformerFactoryOptions {
  logger?: Logger;
  /** Backoff and watch timeout of every informer made (tests shorten them). */
  informerDefaults?: Pick<InformerOptions, "minBackoffMs" | "maxBackoffMs" | "watchTimeoutSeconds">;
}

/** The factory's key of a spec; clients are told apart by identity (`clientId`). */
export function informerKey(spec: Omit<InformerSpec, "client">, clientId: number): string {
  return JSON.stringify([
    clientId,
    spec.apiVersion,
    spec.kind,
    spec.namespace ?? "",
    spec.labelSelector ?? "",
    spec.fieldSelector ?? "",
  ]);
}

/** Hands out one informer per (client, resource, namespace, selectors). */
export class InformerFactory {
  #options: InformerFactoryOptions;
  #clientIds = new WeakMap<KubeClient, number>();
  #nextClientId = 1;
  #informers = new Map<string, { spec: InformerSpec; informer: Informer<KubeObjectLike> }>();

  constructor(options: InformerFactoryOptions = {}) {
    this.#options = options;
  }

  /**
   * The shared informer of `spec`, made on first request (and again after it was stopped for good).
   * `T` is the object type the caller expects of the kind, as with `new Informer<T>()`.
   */
  informer<T extends KubeObjectLike = KubeObjectLike>(spec: InformerSpec): Informer<T> {
    const key = informerKey(spec, this.#clientId(spec.client));
    let entry = this.#informers.get(key);
    if (!entry || entry.informer.stopped) {
      const informer = new Informer<KubeObjectLike>({
        ...this.#options.informerDefaults,
        client: spec.client,
        apiVersion: spec.apiVersion,
        kind: spec.kind,
        namespace: spec.namespace,
        labelSelector: spec.labelSelector,
        fieldSelector: spec.fieldSelector,
        logger: this.#options.logger,
        transform: spec.transform,
      });
      entry = { spec, informer };
      this.#informers.set(key, entry);
    }
    // One Informer class serves every kind; its objects are what the server sends for `spec.kind`.
    return entry.informer as unknown as Informer<T>;
  }

  /** Every informer handed out and not stopped, with what it watches. */
  list(): Array<{ spec: InformerSpec; informer: Informer<KubeObjectLike> }> {
    return [...this.#informers.values()].filter((entry) => !entry.informer.stopped);
  }

  /** Watches opened so far by the informers of one kind (what tests count). */
  watches(kind: string): number {
    let total = 0;
    for (const { spec, informer } of this.#informers.values()) {
      if (spec.kind === kind) total += informer.stats.watches;
    }
    return total;
  }

  /** Ends every watch, whoever still uses it; resolves when all loops have ended. */
  async close(): Promise<void> {
    const informers = [...this.#informers.values()].map((entry) => entry.informer);
    this.#informers.clear();
    await Promise.all(informers.map((informer) => informer.close()));
  }

  #clientId(client: KubeClient): number {
    let id = this.#clientIds.get(client);
    if (id === undefined) {
      id = this.#nextClientId++;
      this.#clientIds.set(client, id);
    }
    return id;
  }
}
