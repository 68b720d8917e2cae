/**
 * A RESTMapper after client-go's: from a kind to its resource, scope and
 * preferred version, over the resources discovery found
 * (`discoverResources()`). {@linkcode RestMapper} is one immutable snapshot
 * with pure lookups; {@linkcode DiscoveryRestMapper} keeps one per cluster,
 * read on first use and read again, rate-limited, when a kind is missing (a
 * CRD installed since), as controller-runtime's dynamic RESTMapper does.
 *
 * @module
 */

import type { ApiResource, Discovery, DiscoveryFailure } from "./discovery.ts";
import { sleep } from "./sleep.ts";

/** Where a kind lives: a served resource type without discovery's preference flag. */
export type RestMapping = Omit<ApiResource, "preferred">;

/** Splits `apps/v1` into `{group: "apps", version: "v1"}` and `v1` into `{group: "", version: "v1"}`. */
export function parseApiVersion(apiVersion: string): { group: string; version: string } {
  const parts = apiVersion.split("/");
  if (parts.length === 1 && parts[0]) return { group: "", version: parts[0] };
  if (parts.length === 2 && parts[0] && parts[1]) return { group: parts[0], version: parts[1] };
  throw new RangeError(`Invalid apiVersion "${apiVersion}": expected "version" or "group/version"`);
}

/** Kind lookups over discovered resources. */
export class RestMapper {
  /** `group/version/Kind` -> mapping. */
  #exact = new Map<string, RestMapping>();
  /** `group/Kind` -> mapping at the preferred version. */
  #preferred = new Map<string, RestMapping>();

  constructor(resources: readonly ApiResource[]) {
    for (const r of resources) {
      if (!r.kind) continue;
      const mapping: RestMapping = {
        group: r.group,
        version: r.version,
        resource: r.resource,
        kind: r.kind,
        namespaced: r.namespaced,
        verbs: r.verbs,
      };
      // A kind served by two resources of one version (rare: e.g. a legacy alias) maps to the first.
      const exact = `${r.group}/${r.version}/${r.kind}`;
      if (!this.#exact.has(exact)) this.#exact.set(exact, mapping);
      if (r.preferred && !this.#preferred.has(`${r.group}/${r.kind}`)) {
        this.#preferred.set(`${r.group}/${r.kind}`, mapping);
      }
    }
  }

  /**
   * The mapping of a kind in exactly this `apiVersion`, or `undefined` when the cluster does not
   * serve it there.
   *
   * @example
   * ```ts
   * new RestMapper(discovery.resources).mapping("apps/v1", "Deployment")?.resource; // "deployments"
   * ```
   */
  mapping(apiVersion: string, kind: string): RestMapping | undefined {
    const { group, version } = parseApiVersion(apiVersion);
    return this.#exact.get(`${group}/${version}/${kind}`);
  }

  /** The mapping of a kind of a group at the cluster's preferred version, or `undefined`. */
  preferred(group: string, kind: string): RestMapping | undefined {
    return this.#preferred.get(`${group}/${kind}`);
  }

  /**
   * Whether objects of this kind are namespaced: `undefined` when the kind is not served (as an owner
   * reference may name a kind whose API is gone).
   */
  isNamespaced(apiVersion: string, kind: string): boolean | undefined {
    let group: string;
    try {
      group = parseApiVersion(apiVersion).group;
    } catch {
      return undefined;
    }
    return (this.mapping(apiVersion, kind) ?? this.preferred(group, kind))?.namespaced;
  }
}

/** Options of {@linkcode DiscoveryRestMapper}. */
export interface DiscoveryRestMapperOptions {
  /** A discovery result to start from (no request until a kind is missing from it). */
  initial?: Discovery;
  /** The least time between two discoveries (default 1000 ms): a miss within it waits for the rest. */
  minRefreshMs?: number;
  /** The clock (injectable for tests). */
  now?: () => number;
}

/** One discovery result and when it was asked for. */
interface Snapshot {
  mapper: RestMapper;
  failures: DiscoveryFailure[];
}

/**
 * A cluster's RESTMapper, filled from discovery on first use and refreshed on a miss: a
 * kind not in the last result makes it discover again (once for every caller waiting, and
 * at most once per `minRefreshMs`) before the kind is declared unserved.
 *
 * @example
 * ```ts
 * const mapper = new DiscoveryRestMapper((signal) => discoverResources(client, { signal }));
 * const mapping = await mapper.mapping("apps/v1", "Deployment"); // { resource: "deployments", ... }
 * ```
 */
export class DiscoveryRestMapper {
  readonly #discover: (signal?: AbortSignal) => Promise<Discovery>;
  readonly #minRefreshMs: number;
  readonly #now: () => number;
  #current?: Snapshot;
  #inFlight?: Promise<Snapshot>;
  /** When the last discovery was started (-Infinity: never). */
  #lastStart = -Infinity;
  #discoveries = 0;

  constructor(
    discover: (signal?: AbortSignal) => Promise<Discovery>,
    options: DiscoveryRestMapperOptions = {},
  ) {
    this.#discover = discover;
    this.#minRefreshMs = options.minRefreshMs ?? 1000;
    this.#now = options.now ?? (() => performance.now());
    if (options.initial) this.#current = snapshotOf(options.initial);
  }

  /** How many discoveries this mapper has started (for tests and measurements). */
  get discoveries(): number {
    return this.#discoveries;
  }

  /**
   * The mapping of a kind in exactly this `apiVersion`, discovering first when there is no
   * result yet, and again when the kind is missing from it; `undefined` when the cluster does
   * not serve it. Throws a RangeError for an invalid apiVersion, and what discovery throws.
   */
  async mapping(apiVersion: string, kind: string, signal?: AbortSignal): Promise<RestMapping | undefined> {
    parseApiVersion(apiVersion);
    const seen = this.#current;
    const known = seen?.mapper.mapping(apiVersion, kind);
    if (known) return known;
    if (signal?.aborted) throw signal.reason;
    if (!seen) return (await this.#join(signal)).mapper.mapping(apiVersion, kind);
    return (await this.#refreshAfter(seen, signal)).mapper.mapping(apiVersion, kind);
  }

  /** The mapping of a kind in the last result, without discovering; `undefined` when not there (or invalid). */
  known(apiVersion: string, kind: string): RestMapping | undefined {
    try {
      return this.#current?.mapper.mapping(apiVersion, kind);
    } catch {
      return undefined;
    }
  }

  /** Why the last discovery could not read `groupVersion` (`apps/v1`), when it could not. */
  failure(groupVersion: string): DiscoveryFailure | undefined {
    return this.#current?.failures.find((f) => f.groupVersion === groupVersion);
  }

  /** The discovery in flight, or a new one. */
  #join(signal?: AbortSignal): Promise<Snapshot> {
    if (!this.#inFlight) {
      this.#lastStart = this.#now();
      this.#discoveries++;
      // Shared by every caller waiting: no caller's signal may cut it short for the others.
      this.#inFlight = this.#discover().then((discovery) => {
        const snapshot = snapshotOf(discovery);
        this.#current = snapshot;
        return snapshot;
      }).finally(() => this.#inFlight = undefined);
      // Each caller gets the failure through its own chain; a caller that stopped waiting does not.
      this.#inFlight.catch(() => {});
    }
    return abortable(this.#inFlight, signal);
  }

  /** A result newer than `missed`: one already there, the one in flight, or a new one once the rate limit allows. */
  async #refreshAfter(missed: Snapshot, signal?: AbortSignal): Promise<Snapshot> {
    while (true) {
      if (this.#current && this.#current !== missed) return this.#current;
      if (this.#inFlight) return await this.#join(signal);
      const wait = this.#lastStart + this.#minRefreshMs - this.#now();
      if (wait <= 0) return await this.#join(signal);
      await sleep(wait, signal);
      if (signal?.aborted) throw signal.reason;
    }
  }
}

function snapshotOf(discovery: Discovery): Snapshot {
  return { mapper: new RestMapper(discovery.resources), failures: discovery.failures };
}

/** `promise`, or the signal's reason as soon as it aborts. */
function abortable<T>(promise: Promise<T>, signal?: AbortSignal): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}
