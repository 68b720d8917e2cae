/**
 * REST paths of objects, built from a {@linkcode RestMapping} (what the cluster's
 * discovery says of a kind: its resource and scope), and how messages name an object.
 * The mapping comes from the client's RESTMapper (`rest_mapper.ts`), never from a table.
 *
 * @module
 */

import type { RestMapping } from "./rest_mapper.ts";

/** A reference to one object. */
export interface ObjectRef {
  apiVersion: string;
  kind: string;
  name: string;
  namespace?: string;
}

/**
 * The collection path of a mapped kind (`/apis/apps/v1/namespaces/ns/deployments`). A
 * namespaced kind without a namespace gives the all-namespaces path; a cluster-scoped kind
 * ignores the namespace.
 *
 * @example
 * ```ts
 * collectionPath({ group: "apps", version: "v1", resource: "deployments", namespaced: true }, "ns");
 * // "/apis/apps/v1/namespaces/ns/deployments"
 * ```
 */
export function collectionPath(
  mapping: Pick<RestMapping, "group" | "version" | "resource" | "namespaced">,
  namespace?: string,
): string {
  const prefix = mapping.group ? `/apis/${mapping.group}/${mapping.version}` : `/api/${mapping.version}`;
  if (mapping.namespaced && namespace) {
    return `${prefix}/namespaces/${encodeURIComponent(namespace)}/${mapping.resource}`;
  }
  return `${prefix}/${mapping.resource}`;
}

/** The path of one object of a mapped kind; a namespaced kind needs a namespace. */
export function objectPath(
  mapping: Pick<RestMapping, "group" | "version" | "resource" | "namespaced">,
  ref: ObjectRef,
): string {
  if (mapping.namespaced && !ref.namespace) {
    throw new RangeError(`Cannot address ${ref.kind} "${ref.name}": metadata.namespace is required`);
  }
  return `${collectionPath(mapping, ref.namespace)}/${encodeURIComponent(ref.name)}`;
}

/** `Deployment test-ns/nginx` or `Namespace test-ns`: how errors and logs name an object. */
export function describeRef(ref: ObjectRef): string {
  return ref.namespace ? `${ref.kind} ${ref.namespace}/${ref.name}` : `${ref.kind} ${ref.name}`;
}
