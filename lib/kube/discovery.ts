/**
 * API discovery: every resource type a cluster serves, across all groups.
 *
 * Asks for aggregated discovery first (`/api` and `/apis` as
 * `apidiscovery.k8s.io/v2` `APIGroupDiscoveryList`: two requests for the whole
 * cluster), and falls back to the legacy documents (`/api`, `/apis`, then one
 * `APIResourceList` per group version) when the server answers with plain
 * JSON. A group version that cannot be read (an aggregated API server that is
 * down shows as `Stale`; a legacy document that fails) is reported in
 * `failures`, never silently left out: a caller that needs every type (the
 * namespace census) must treat it as "unknown".
 *
 * @module
 */

import type { CensusType } from "../namespace_census.ts";

/** One resource type served by the cluster, in one version (the census' `CensusType`, with `preferred` set). */
export type ApiResource = CensusType & {
  /**
   * True for the version a client should use for this group and resource: the group's preferred
   * version, or when that does not serve the resource, the first version (in the server's order of
   * preference) that does. Exactly one entry per group and resource has it.
   */
  preferred: boolean;
};

/** A group version whose resources could not be read. */
export interface DiscoveryFailure {
  /** `apps/v1`, `v1`, `metrics.k8s.io/v1beta1`. */
  groupVersion: string;
  reason: string;
}

/** What a cluster serves. */
export interface Discovery {
  /** Every resource in every served version (subresources left out). */
  resources: ApiResource[];
  failures: DiscoveryFailure[];
  /** Which protocol answered. */
  source: "aggregated" | "legacy";
}

/** The part of a client discovery needs (`KubeClient` has it). */
export interface RawClient {
  raw<T>(
    method: string,
    path: string,
    options?: {
      accept?: string;
      query?: Record<string, string | number | boolean | undefined>;
      signal?: AbortSignal;
    },
  ): Promise<T>;
}

/** Aggregated discovery first; a server without it answers with the legacy document. */
export const AGGREGATED_DISCOVERY_ACCEPT =
  "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json";

interface AggregatedList {
  kind?: string;
  items?: Array<{
    metadata?: { name?: string };
    versions?: Array<{
      version: string;
      freshness?: string;
      resources?: Array<{
        resource: string;
        responseKind?: { group?: string; version?: string; kind?: string };
        scope?: string;
        verbs?: string[];
      }>;
    }>;
  }>;
}

interface LegacyVersions {
  kind?: string;
  versions?: string[];
}

interface LegacyGroupList {
  groups?: Array<{
    name: string;
    versions?: Array<{ groupVersion: string; version: string }>;
    preferredVersion?: { groupVersion: string; version: string };
  }>;
}

interface LegacyResourceList {
  resources?: Array<{ name: string; kind: string; namespaced: boolean; verbs?: string[] }>;
}

/**
 * Reads the resources of an aggregated discovery document (`/api` or `/apis`),
 * versions in the server's order of preference (the first is preferred).
 *
 * @example
 * ```ts
 * const { resources, failures } = parseAggregatedDiscovery(await client.raw("GET", "/apis", { accept }));
 * ```
 */
export function parseAggregatedDiscovery(doc: unknown): Omit<Discovery, "source"> {
  const list = doc as AggregatedList;
  if (list?.kind !== "APIGroupDiscoveryList" || !Array.isArray(list.items)) {
    throw new TypeError(
      `Cannot read aggregated discovery: expected kind APIGroupDiscoveryList, got ${
        JSON.stringify((doc as { kind?: unknown })?.kind ?? null)
      }`,
    );
  }
  const resources: ApiResource[] = [];
  const failures: DiscoveryFailure[] = [];
  for (const item of list.items) {
    const group = item.metadata?.name ?? "";
    const seen = new Set<string>();
    for (const v of item.versions ?? []) {
      const groupVersion = group ? `${group}/${v.version}` : v.version;
      if (v.freshness === "Stale") {
        // The aggregator could not reach the API server behind this version (kube-aggregator marks it
        // Stale, with the last copy or none): its types exist but cannot be counted.
        failures.push({
          groupVersion,
          reason: `discovery of ${groupVersion} is stale: its API server is unavailable`,
        });
        continue;
      }
      for (const r of v.resources ?? []) {
        if (r.resource.includes("/")) continue;
        const key = r.resource;
        resources.push({
          group,
          version: v.version,
          resource: r.resource,
          kind: r.responseKind?.kind ?? "",
          namespaced: r.scope === "Namespaced",
          verbs: [...(r.verbs ?? [])],
          preferred: !seen.has(key),
        });
        seen.add(key);
      }
    }
  }
  return { resources, failures };
}

/** Reads one legacy `APIResourceList` of a group version (subresources left out). */
export function parseResourceList(
  group: string,
  version: string,
  doc: unknown,
  preferred: (resource: string) => boolean,
): ApiResource[] {
  const list = doc as LegacyResourceList;
  if (!Array.isArray(list?.resources)) {
    throw new TypeError(`Cannot read discovery of ${group ? `${group}/` : ""}${version}: no resources[]`);
  }
  return list.resources.filter((r) => !r.name.includes("/")).map((r) => ({
    group,
    version,
    resource: r.name,
    kind: r.kind,
    namespaced: r.namespaced === true,
    verbs: [...(r.verbs ?? [])],
    preferred: preferred(r.name),
  }));
}

/**
 * Discovers every resource type the cluster serves. Never throws for one
 * group version that fails (see `failures`); throws when the root documents
 * (`/api`, `/apis`) cannot be read at all.
 */
export async function discoverResources(
  client: RawClient,
  options: {
    signal?: AbortSignal; /** Ask for aggregated discovery (default true). */
    aggregated?: boolean;
  } = {},
): Promise<Discovery> {
  const { signal } = options;
  const accept = options.aggregated === false ? "application/json" : AGGREGATED_DISCOVERY_ACCEPT;
  const [core, groups] = await Promise.all([
    client.raw<unknown>("GET", "/api", { accept, signal }),
    client.raw<unknown>("GET", "/apis", { accept, signal }),
  ]);
  const isAggregated = (doc: unknown) => (doc as { kind?: string })?.kind === "APIGroupDiscoveryList";
  if (isAggregated(core) && isAggregated(groups)) {
    const a = parseAggregatedDiscovery(core);
    const b = parseAggregatedDiscovery(groups);
    return {
      resources: [...a.resources, ...b.resources],
      failures: [...a.failures, ...b.failures],
      source: "aggregated",
    };
  }
  return await legacyDiscovery(client, core as LegacyVersions, groups as LegacyGroupList, signal);
}

async function legacyDiscovery(
  client: RawClient,
  core: LegacyVersions,
  groups: LegacyGroupList,
  signal?: AbortSignal,
): Promise<Discovery> {
  // One root document may have come back aggregated and the other not (a server mid-upgrade):
  // read a root again, as plain JSON, unless it already has the legacy shape.
  const coreVersions = core?.kind === "APIVersions" && Array.isArray(core.versions)
    ? core
    : await client.raw<LegacyVersions>("GET", "/api", { signal });
  const groupList = (groups as { kind?: string })?.kind === "APIGroupList" && Array.isArray(groups.groups)
    ? groups
    : await client.raw<LegacyGroupList>("GET", "/apis", { signal });
  const wanted: Array<{ group: string; versions: string[] }> = [
    { group: "", versions: coreVersions.versions ?? [] },
  ];
  for (const g of groupList.groups ?? []) {
    const versions = (g.versions ?? []).map((v) => v.version);
    const preferred = g.preferredVersion?.version;
    // The preferred version first, then the rest in the server's order.
    if (preferred && versions.includes(preferred)) {
      versions.splice(versions.indexOf(preferred), 1);
      versions.unshift(preferred);
    }
    wanted.push({ group: g.name, versions });
  }
  const resources: ApiResource[] = [];
  const failures: DiscoveryFailure[] = [];
  await Promise.all(wanted.map(async ({ group, versions }) => {
    const docs = await Promise.all(versions.map(async (version) => {
      const groupVersion = group ? `${group}/${version}` : version;
      const path = group ? `/apis/${group}/${version}` : `/api/${version}`;
      try {
        return { version, doc: await client.raw<unknown>("GET", path, { signal }) };
      } catch (error) {
        failures.push({ groupVersion, reason: (error as Error).message });
        return undefined;
      }
    }));
    const seen = new Set<string>();
    for (const entry of docs) {
      if (!entry) continue;
      try {
        for (const r of parseResourceList(group, entry.version, entry.doc, (name) => !seen.has(name))) {
          resources.push(r);
          seen.add(r.resource);
        }
      } catch (error) {
        failures.push({
          groupVersion: group ? `${group}/${entry.version}` : entry.version,
          reason: String(error),
        });
      }
    }
  }));
  return { resources, failures, source: "legacy" };
}

/** The REST path of a resource's collection, in a namespace when given. */
export function resourcePath(
  resource: Pick<ApiResource, "group" | "version" | "resource">,
  namespace?: string,
): string {
  const prefix = resource.group ? `/apis/${resource.group}/${resource.version}` : `/api/${resource.version}`;
  const ns = namespace === undefined ? "" : `/namespaces/${encodeURIComponent(namespace)}`;
  return `${prefix}${ns}/${resource.resource}`;
}

/** `deployments.apps`, `pods`: how kubectl and RBAC messages name a resource. */
export function groupResource(resource: Pick<ApiResource, "group" | "resource">): string {
  return resource.group ? `${resource.resource}.${resource.group}` : resource.resource;
}
