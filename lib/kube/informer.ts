/**
 * An informer: list, then watch from the list's resourceVersion (with
 * bookmarks), keeping a cache by namespace/name and telling handlers about
 * adds, updates and deletes.
 *
 * Written here rather than taken from `@kubernetes/client-node`, whose
 * informer stops for good on any watch error other than 410 Gone. This one:
 * - resumes from the last seen resourceVersion when the server closes a watch
 *   (no relist);
 * - relists on 410 Gone (the resourceVersion was compacted away) and turns the
 *   difference between cache and list into events, so no change is lost;
 * - retries every other list or watch error with capped exponential backoff,
 *   including an API server that is down or restarting.
 *
 * @module
 */

import type { KubeClient, KubeObjectLike, WatchEvent } from "./client.ts";
import { KubeApiError } from "./client.ts";
import type { EventHandler, EventSource } from "./events_source.ts";
import type { Logger } from "../log.ts";
import { sleep } from "./sleep.ts";

/** Options of {@linkcode Informer}. */
export interface InformerOptions {
  client: KubeClient;
  apiVersion: string;
  kind: string;
  /** Only this namespace (default: all). */
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  logger?: Logger;
  /** First retry delay after an error (default 200 ms), doubled up to `maxBackoffMs` (default 30 s). */
  minBackoffMs?: number;
  maxBackoffMs?: number;
  /** How long the server keeps one watch open (default 300 s); it is then resumed. */
  watchTimeoutSeconds?: number;
  /**
   * Applied to every listed or watched object before it is cached and handed to handlers, as
   * controller-runtime's cache transforms: drop what reconcile never reads so the cache holds less.
   * It returns the object to cache: the one given, changed in place, or a copy. Default
   * {@linkcode stripManagedFields}.
   */
  transform?: (object: KubeObjectLike) => KubeObjectLike;
}

/** Counters that tests and metrics read. */
export interface InformerStats {
  /** Full lists made (the first one included). */
  lists: number;
  /** Watches opened. */
  watches: number;
  /** Lists made because of 410 Gone. */
  relists: number;
  /** List or watch errors other than 410. */
  errors: number;
}

/** `namespace/name`, or `name` for cluster-scoped objects. */
export function objectKey(object: KubeObjectLike): string {
  const ns = object.metadata?.namespace;
  const name = object.metadata?.name ?? "";
  return ns ? `${ns}/${name}` : name;
}

/** The annotation `kubectl apply` (client-side) keeps a full copy of the object in. */
export const LAST_APPLIED_ANNOTATION = "kubectl.kubernetes.io/last-applied-configuration";

/**
 * The default cache transform: drops `metadata.managedFields`, often larger than the object itself
 * and never read by reconcile (what needs them, e.g. naming the manager of a drift, GETs the live
 * object).
 */
export function stripManagedFields<T extends KubeObjectLike>(object: T): T {
  const metadata = object.metadata;
  if (metadata && "managedFields" in metadata) object.metadata = without(metadata, "managedFields");
  return object;
}

/**
 * A copy of `record` without `key`. Not `delete`: deleting a property turns the object into a hash table
 * in V8 ("dictionary mode", measured ~480 bytes of backing store per cached object's metadata against
 * ~100 for a fast-mode copy), and every cached object would keep it.
 */
export function without<R extends Record<string, unknown>>(record: R, key: string): R {
  const out: Record<string, unknown> = {};
  for (const k in record) if (k !== key) out[k] = record[k];
  return out as R;
}

/**
 * {@linkcode stripManagedFields}, and the `last-applied-configuration` annotation (a second copy of
 * the object). Only for caches whose readers never compare annotations against an intent that may
 * carry it: a subset comparison would otherwise see it missing and apply forever.
 */
export function stripManagedFieldsAndLastApplied<T extends KubeObjectLike>(object: T): T {
  stripManagedFields(object);
  const annotations = object.metadata?.annotations as Record<string, string> | undefined;
  if (annotations && LAST_APPLIED_ANNOTATION in annotations) {
    object.metadata!.annotations = without(annotations, LAST_APPLIED_ANNOTATION);
  }
  return object;
}

/** Keeps a cache of one kind in one cluster. Start with `start()`, end with `stop()`. */
export class Informer<T extends KubeObjectLike = KubeObjectLike> implements EventSource<T> {
  readonly stats: InformerStats = { lists: 0, watches: 0, relists: 0, errors: 0 };
  #options: InformerOptions;
  // Not typed with T: a field of type (T) => T would make Informer<T> invariant in T.
  readonly #transform: (object: KubeObjectLike) => KubeObjectLike;
  #cache = new Map<string, T>();
  #handlers = new Set<EventHandler<T>>();
  #abort = new AbortController();
  #running?: Promise<void>;
  #synced = false;
  #syncWaiters: Array<() => void> = [];
  #resourceVersion?: string;
  /** `start()` calls not yet released by `stop()`. */
  #users = 0;

  constructor(options: InformerOptions) {
    this.#options = options;
    this.#transform = options.transform ?? stripManagedFields;
  }

  /** Which kind and cluster, for messages. */
  get description(): string {
    const o = this.#options;
    return `${o.kind} on ${o.client.name}${o.labelSelector ? ` (${o.labelSelector})` : ""}`;
  }

  /** True once the first list is in the cache. */
  get synced(): boolean {
    return this.#synced;
  }

  /** The resourceVersion the next watch would start from. */
  get resourceVersion(): string | undefined {
    return this.#resourceVersion;
  }

  /** Resolves once synced (or when stopped). */
  waitForSync(): Promise<void> {
    if (this.#synced || this.#abort.signal.aborted) return Promise.resolve();
    return new Promise((resolve) => this.#syncWaiters.push(resolve));
  }

  /**
   * Starts listing and watching in the background. An informer may be shared (see
   * `InformerFactory`): each user calls `start()` once and `stop()` once, and the
   * watch ends with the last `stop()`.
   */
  start(): void {
    this.#users++;
    this.#running ??= this.#run();
  }

  /** Releases one `start()`; the last one stops watching and resolves when the loop has ended. */
  async stop(): Promise<void> {
    if (this.#users > 1) {
      this.#users--;
      return;
    }
    await this.close();
  }

  /** Stops watching whoever still uses the informer; resolves when the loop has ended. */
  async close(): Promise<void> {
    this.#users = 0;
    this.#abort.abort();
    for (const resolve of this.#syncWaiters.splice(0)) resolve();
    await this.#running;
  }

  /** Whether the watch has been stopped for good. */
  get stopped(): boolean {
    return this.#abort.signal.aborted;
  }

  /** One cached object by namespace and name (namespace `""` for cluster-scoped). */
  get(namespace: string | undefined, name: string): T | undefined {
    return this.#cache.get(namespace ? `${namespace}/${name}` : name);
  }

  /** One cached object by `namespace/name` key. */
  getByKey(key: string): T | undefined {
    return this.#cache.get(key);
  }

  /** Every cached object. */
  list(): T[] {
    return [...this.#cache.values()];
  }

  /** Number of cached objects. */
  get size(): number {
    return this.#cache.size;
  }

  /** Adds a handler; it is first told about every object already cached. */
  addEventHandler(handler: EventHandler<T>): () => void {
    this.#handlers.add(handler);
    for (const object of this.#cache.values()) this.#call(() => handler.add?.(object));
    return () => this.#handlers.delete(handler);
  }

  #call(fn: () => void): void {
    try {
      fn();
    } catch (error) {
      this.#options.logger?.error("Informer event handler failed", { informer: this.description, error });
    }
  }

  #emit(type: "add" | "update" | "delete", object: T, old?: T): void {
    for (const handler of this.#handlers) {
      if (type === "add") this.#call(() => handler.add?.(object));
      else if (type === "update") this.#call(() => handler.update?.(old!, object));
      else this.#call(() => handler.delete?.(object));
    }
  }

  async #list(signal: AbortSignal): Promise<void> {
    const o = this.#options;
    const list = await o.client.listAll<T>(o.apiVersion, o.kind, {
      namespace: o.namespace,
      labelSelector: o.labelSelector,
      fieldSelector: o.fieldSelector,
      signal,
    });
    this.stats.lists++;
    const seen = new Set<string>();
    for (const item of list.items) {
      // List items carry no apiVersion/kind; handlers and callers expect them.
      item.apiVersion ??= o.apiVersion;
      item.kind ??= o.kind;
      const object = this.#transform(item) as T;
      const key = objectKey(object);
      seen.add(key);
      const old = this.#cache.get(key);
      this.#cache.set(key, object);
      if (!old) this.#emit("add", object);
      else if (old.metadata?.resourceVersion !== object.metadata?.resourceVersion) {
        this.#emit("update", object, old);
      }
    }
    for (const [key, old] of this.#cache) {
      if (!seen.has(key)) {
        this.#cache.delete(key);
        this.#emit("delete", old);
      }
    }
    this.#resourceVersion = list.metadata.resourceVersion;
    if (!this.#synced) {
      this.#synced = true;
      for (const resolve of this.#syncWaiters.splice(0)) resolve();
    }
  }

  #apply(event: WatchEvent<T>): void {
    const object = this.#transform(event.object) as T;
    const rv = object.metadata?.resourceVersion;
    if (event.type === "BOOKMARK") {
      if (rv) this.#resourceVersion = rv;
      return;
    }
    const key = objectKey(object);
    const old = this.#cache.get(key);
    if (event.type === "DELETED") {
      this.#cache.delete(key);
      this.#emit("delete", object);
    } else {
      this.#cache.set(key, object);
      if (old) this.#emit("update", object, old);
      else this.#emit("add", object);
    }
    if (rv) this.#resourceVersion = rv;
  }

  async #run(): Promise<void> {
    const o = this.#options;
    const signal = this.#abort.signal;
    const minBackoff = o.minBackoffMs ?? 200;
    const maxBackoff = o.maxBackoffMs ?? 30_000;
    let backoff = minBackoff;
    while (!signal.aborted) {
      try {
        if (this.#resourceVersion === undefined) await this.#list(signal);
        this.stats.watches++;
        const events = o.client.watch<T>(o.apiVersion, o.kind, {
          namespace: o.namespace,
          labelSelector: o.labelSelector,
          fieldSelector: o.fieldSelector,
          resourceVersion: this.#resourceVersion,
          allowWatchBookmarks: true,
          timeoutSeconds: o.watchTimeoutSeconds ?? 300,
          signal,
        });
        for await (const event of events) {
          this.#apply(event);
          backoff = minBackoff;
        }
        // The server ended the watch (timeout): resume from the last resourceVersion.
      } catch (error) {
        if (signal.aborted) break;
        if (error instanceof KubeApiError && (error.status === 410 || error.reason === "Expired")) {
          o.logger?.debug("Watch expired (410 Gone); relisting", { informer: this.description });
          this.stats.relists++;
          this.#resourceVersion = undefined;
          continue;
        }
        this.stats.errors++;
        o.logger?.warn("List or watch failed; retrying", {
          informer: this.description,
          retryInMs: backoff,
          error: error instanceof Error ? error.message : String(error),
        });
        await sleep(backoff, signal);
        backoff = Math.min(backoff * 2, maxBackoff);
      }
    }
  }
}
