/**
 * A cache of one kind in the primary kept by list + watch, which also says whether it is connected: the
 * dashboard shows "disconnected, retrying" while a list or watch fails. Unlike `lib/kube/informer.ts`,
 * which resumes a broken watch silently, this one lists again after any error, so a successful list is
 * the moment it is known to be connected again (a dashboard can afford the extra list; an operator's
 * informer should not pay it).
 *
 * @module
 */

import { KubeApiError, type KubeClient, type KubeObjectLike } from "../../lib/kube/client.ts";
import { objectKey } from "../../lib/kube/informer.ts";
import { sleep } from "../../lib/kube/sleep.ts";

/** Options of {@linkcode WatchCache}. */
export interface WatchCacheOptions {
  client: KubeClient;
  apiVersion: string;
  kind: string;
  namespace?: string;
  fieldSelector?: string;
  /** Called after every change of the cache or of the connection. */
  onChange(): void;
  minBackoffMs?: number;
  maxBackoffMs?: number;
}

/** The connection of one watch: connected, or the last error while it retries. */
export interface WatchHealth {
  kind: string;
  connected: boolean;
  error?: string;
}

/** One kind's objects, listed then watched until `stop()`. */
export class WatchCache<T extends KubeObjectLike> {
  #options: WatchCacheOptions;
  #items = new Map<string, T>();
  #abort = new AbortController();
  #running?: Promise<void>;
  #health: WatchHealth;

  constructor(options: WatchCacheOptions) {
    this.#options = options;
    this.#health = { kind: options.kind, connected: false, error: "connecting" };
  }

  get health(): WatchHealth {
    return this.#health;
  }

  list(): T[] {
    return [...this.#items.values()];
  }

  get(key: string): T | undefined {
    return this.#items.get(key);
  }

  start(): void {
    this.#running ??= this.#run();
  }

  async stop(): Promise<void> {
    this.#abort.abort();
    await this.#running;
  }

  #set(health: WatchHealth): void {
    this.#health = health;
    this.#options.onChange();
  }

  async #run(): Promise<void> {
    const o = this.#options;
    const signal = this.#abort.signal;
    const min = o.minBackoffMs ?? 250;
    let backoff = min;
    while (!signal.aborted) {
      try {
        const list = await o.client.listAll<T>(o.apiVersion, o.kind, {
          namespace: o.namespace,
          fieldSelector: o.fieldSelector,
          signal,
        });
        this.#items = new Map(list.items.map((item) => [objectKey(item), item]));
        this.#set({ kind: o.kind, connected: true });
        let resourceVersion = list.metadata.resourceVersion;
        // Resume watches the server ends (timeouts) while it answers; any error goes back to the list.
        while (!signal.aborted) {
          const events = o.client.watch<T>(o.apiVersion, o.kind, {
            namespace: o.namespace,
            fieldSelector: o.fieldSelector,
            resourceVersion,
            allowWatchBookmarks: true,
            timeoutSeconds: 300,
            signal,
          });
          for await (const event of events) {
            resourceVersion = event.object.metadata?.resourceVersion ?? resourceVersion;
            if (event.type === "BOOKMARK") continue;
            const key = objectKey(event.object);
            if (event.type === "DELETED") this.#items.delete(key);
            else this.#items.set(key, event.object);
            backoff = min;
            o.onChange();
          }
        }
      } catch (error) {
        if (signal.aborted) break;
        // 410 Gone: the resourceVersion was compacted away; list again at once, still connected.
        if (error instanceof KubeApiError && (error.status === 410 || error.reason === "Expired")) continue;
        this.#set({
          kind: o.kind,
          connected: false,
          error: error instanceof Error ? error.message : String(error),
        });
        await sleep(backoff, signal);
        backoff = Math.min(backoff * 2, o.maxBackoffMs ?? 10_000);
      }
    }
  }
}
