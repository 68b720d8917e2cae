/**
 * The namespace census: lists every namespaced type the cluster serves in one
 * namespace and says whether anything but plumber's own objects and
 * Kubernetes' defaults lives there. What counts is decided by the pure rules
 * of `lib/namespace_census.ts`; this module only enumerates.
 *
 * Like kube-controller-manager's namespace controller: types from API
 * discovery over all groups (custom resources and aggregated APIs included),
 * each listed with `limit`/`continue` pages. Lists ask for metadata only
 * (`PartialObjectMetadataList`), so no Secret's data ever reaches this
 * process. Anything that cannot be counted (discovery failure, a stale
 * aggregated API, a type without `list`, a 403 or any other error) makes the
 * namespace "not empty" and is reported with its reason.
 *
 * @module
 */

import {
  type CensusObject,
  type CensusOwnerReference,
  censusPlan,
  CensusTally,
  type CensusType,
  type ForeignObject,
  groupResourceName,
  type IsOwn,
  type UnknownType,
} from "../namespace_census.ts";
import { discoverResources, type Discovery, type RawClient, resourcePath } from "./discovery.ts";
import { RestMapper } from "./rest_mapper.ts";

/** Metadata only, as client-go's metadata client asks; plain JSON from a server that cannot. */
export const METADATA_LIST_ACCEPT =
  "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json";

/** Options of {@linkcode namespaceCensus}. */
export interface CensusOptions {
  /** Objects per list request (default 50). */
  pageSize?: number;
  /**
   * Stop listing once this many objects are known to be foreign (default 5): the verdict is "not
   * empty" either way. Types not listed by then are not examined (`complete: false`).
   */
  maxForeign?: number;
  /** Parallel list requests (default 4). */
  concurrency?: number;
  /** A discovery result to reuse (default: discover now). */
  discovery?: Discovery;
  signal?: AbortSignal;
}

/** What a census found. */
export interface NamespaceCensus {
  /** True only when every type was counted and nothing foreign was found. */
  empty: boolean;
  /** Foreign objects, the first `maxForeign` of them. */
  foreign: ForeignObject[];
  /** Types that could not be counted, with the reason. */
  unknown: UnknownType[];
  /** False when the census stopped early at `maxForeign` foreign objects. */
  complete: boolean;
  /** Types listed and list requests made. */
  typesListed: number;
  requests: number;
}

interface MetadataList {
  metadata?: { continue?: string };
  items?: Array<{ metadata?: CensusObject["metadata"] }>;
}

/**
 * Counts what lives in `namespace`. `isOwn` says which objects are plumber's
 * (the caller's ownership rule); Kubernetes defaults and dependents are
 * decided by `lib/namespace_census.ts`.
 *
 * @example
 * ```ts
 * const census = await namespaceCensus(client, "test-ns", (o) => o.metadata.labels?.[LABEL_REPLICATOR] === name);
 * if (!census.empty) console.log(describeCensus(census));
 * ```
 */
export async function namespaceCensus(
  client: RawClient,
  namespace: string,
  isOwn: IsOwn,
  options: CensusOptions = {},
): Promise<NamespaceCensus> {
  const { signal } = options;
  const pageSize = options.pageSize ?? 50;
  const maxForeign = options.maxForeign ?? 5;
  const unknown: UnknownType[] = [];
  let discovery = options.discovery;
  if (!discovery) {
    try {
      discovery = await discoverResources(client, { signal });
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      const reason = `API discovery failed: ${(error as Error).message}`;
      return {
        empty: false,
        foreign: [],
        unknown: [{ resource: "*", reason }],
        complete: false,
        typesListed: 0,
        requests: 0,
      };
    }
  }
  for (const failure of discovery.failures) {
    unknown.push({ resource: failure.groupVersion, reason: failure.reason });
  }
  const plan = censusPlan(discovery.resources);
  unknown.push(...plan.unlistable);
  const mapper = new RestMapper(discovery.resources);
  const failed = new Set<string>();
  const counted = new Set(plan.list.map((t) => groupResourceName(t)));
  const tally = new CensusTally(isOwn, {
    ownerTypeCounted: (apiVersion, kind) => ownerTypeCounted(mapper, counted, failed, apiVersion, kind),
  });

  let stopped = false;
  let requests = 0;
  let typesListed = 0;
  const listType = async (type: CensusType) => {
    let next: string | undefined;
    while (true) {
      if (stopped) return;
      let page: MetadataList;
      try {
        requests++;
        page = await client.raw<MetadataList>("GET", resourcePath(type, namespace), {
          accept: METADATA_LIST_ACCEPT,
          query: { limit: pageSize, continue: next },
          signal,
        });
      } catch (error) {
        if (signal?.aborted) throw signal.reason;
        // Any failure, an expired continue token (410) included, leaves this type uncounted: the namespace
        // is "not empty" this time, and the next census starts afresh.
        failed.add(groupResourceName(type));
        unknown.push({ resource: groupResourceName(type), reason: (error as Error).message });
        return;
      }
      for (const item of page.items ?? []) {
        if (!item.metadata) continue;
        tally.add({ group: type.group, resource: type.resource, kind: type.kind, metadata: item.metadata });
      }
      if (tally.definiteForeign >= maxForeign) stopped = true;
      next = page.metadata?.continue || undefined;
      if (!next) break;
    }
    typesListed++;
  };

  const queue = [...plan.list];
  const workers = Array.from({ length: Math.min(options.concurrency ?? 4, queue.length) }, async () => {
    while (queue.length > 0 && !stopped) await listType(queue.shift()!);
  });
  await Promise.all(workers);
  const complete = !stopped;
  // Dependents are resolved only against a complete picture; a stopped census already has its answer.
  const foreign = tally.foreign({ resolve: complete }).slice(0, maxForeign);
  return {
    empty: complete && foreign.length === 0 && unknown.length === 0,
    foreign,
    unknown,
    complete,
    typesListed,
    requests,
  };
}

function ownerTypeCounted(
  mapper: RestMapper,
  counted: Set<string>,
  failed: Set<string>,
  apiVersion: string,
  kind: string,
): boolean {
  if (!mapper.isNamespaced(apiVersion, kind)) return false;
  const group = apiVersion.includes("/") ? apiVersion.split("/")[0]! : "";
  const mapping = mapper.preferred(group, kind);
  if (!mapping) return false;
  const name = groupResourceName(mapping);
  return counted.has(name) && !failed.has(name);
}

/** One line for status, Events and logs: why a namespace is kept. */
export function describeCensus(census: NamespaceCensus, shown = 3): string {
  if (census.empty) return "nothing but plumber's objects and Kubernetes defaults";
  const parts: string[] = [];
  if (census.foreign.length > 0) {
    const names = census.foreign.slice(0, shown).map((f) => `${f.kind} ${f.name}`);
    const more = census.foreign.length > shown || !census.complete ? " and more" : "";
    parts.push(`holds ${names.join(", ")}${more}`);
  }
  if (census.unknown.length > 0) {
    const first = census.unknown[0]!;
    const more = census.unknown.length > 1 ? ` (and ${census.unknown.length - 1} more)` : "";
    parts.push(`cannot count ${first.resource}: ${first.reason}${more}`);
  }
  return parts.join("; ");
}

export type { CensusObject, CensusOwnerReference, ForeignObject, IsOwn, UnknownType };
