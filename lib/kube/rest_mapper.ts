/**
 * A RESTMapper after client-go's: from a kind to its resource, scope and
 * preferred version, over the resources discovery found
 * ({@linkcode discoverResources}). Pure lookups; build a new one when
 * discovery is read again.
 *
 * @module
 */

import type { ApiResource } from "./discovery.ts";

/** Where a kind lives. */
export interface RestMapping {
  group: string;
  version: string;
  resource: string;
  kind: string;
  namespaced: boolean;
  verbs: string[];
}

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
