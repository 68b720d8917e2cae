/**
 * The REST paths of the kinds plumber touches. A static table instead of
 * discovery: plumber works with a fixed set of kinds, and a lookup that needs
 * no request keeps every client call a single round trip.
 *
 * @module
 */

/** Where a kind lives in the REST API. */
export interface ResourceInfo {
  apiVersion: string;
  kind: string;
  /** Lower-case plural, e.g. `deployments`. */
  plural: string;
  namespaced: boolean;
}

/** A reference to one object. */
export interface ObjectRef {
  apiVersion: string;
  kind: string;
  name: string;
  namespace?: string;
}

const TABLE: ResourceInfo[] = [
  { apiVersion: "v1", kind: "Namespace", plural: "namespaces", namespaced: false },
  { apiVersion: "v1", kind: "ConfigMap", plural: "configmaps", namespaced: true },
  { apiVersion: "v1", kind: "Secret", plural: "secrets", namespaced: true },
  { apiVersion: "v1", kind: "Service", plural: "services", namespaced: true },
  { apiVersion: "v1", kind: "ServiceAccount", plural: "serviceaccounts", namespaced: true },
  { apiVersion: "v1", kind: "Event", plural: "events", namespaced: true },
  { apiVersion: "v1", kind: "Pod", plural: "pods", namespaced: true },
  { apiVersion: "v1", kind: "Node", plural: "nodes", namespaced: false },
  { apiVersion: "apps/v1", kind: "Deployment", plural: "deployments", namespaced: true },
  { apiVersion: "apps/v1", kind: "ReplicaSet", plural: "replicasets", namespaced: true },
  { apiVersion: "networking.k8s.io/v1", kind: "Ingress", plural: "ingresses", namespaced: true },
  { apiVersion: "coordination.k8s.io/v1", kind: "Lease", plural: "leases", namespaced: true },
  { apiVersion: "events.k8s.io/v1", kind: "Event", plural: "events", namespaced: true },
  {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "ClusterRole",
    plural: "clusterroles",
    namespaced: false,
  },
  {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "ClusterRoleBinding",
    plural: "clusterrolebindings",
    namespaced: false,
  },
  { apiVersion: "rbac.authorization.k8s.io/v1", kind: "Role", plural: "roles", namespaced: true },
  {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "RoleBinding",
    plural: "rolebindings",
    namespaced: true,
  },
  {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    plural: "customresourcedefinitions",
    namespaced: false,
  },
  {
    apiVersion: "plumber.jnytnai0613.github.io/v1",
    kind: "Replicator",
    plural: "replicators",
    namespaced: false,
  },
  {
    apiVersion: "plumber.jnytnai0613.github.io/v1",
    kind: "ClusterDetector",
    plural: "clusterdetectors",
    namespaced: true,
  },
];

const BY_KIND = new Map(TABLE.map((r) => [`${r.apiVersion}/${r.kind}`, r]));

/** Looks a kind up; throws a RangeError naming it when plumber does not know it. */
export function resourceFor(apiVersion: string, kind: string): ResourceInfo {
  const info = BY_KIND.get(`${apiVersion}/${kind}`);
  if (!info) throw new RangeError(`Unknown resource kind "${kind}" in "${apiVersion}"`);
  return info;
}

/**
 * The collection path of a kind (`/apis/apps/v1/namespaces/ns/deployments`).
 * A namespaced kind without a namespace gives the all-namespaces path.
 */
export function collectionPath(apiVersion: string, kind: string, namespace?: string): string {
  const info = resourceFor(apiVersion, kind);
  const prefix = apiVersion.includes("/") ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
  if (info.namespaced && namespace) {
    return `${prefix}/namespaces/${encodeURIComponent(namespace)}/${info.plural}`;
  }
  return `${prefix}/${info.plural}`;
}

/** The path of one object; a namespaced kind needs a namespace. */
export function objectPath(ref: ObjectRef): string {
  const info = resourceFor(ref.apiVersion, ref.kind);
  if (info.namespaced && !ref.namespace) {
    throw new RangeError(`Cannot address ${ref.kind} "${ref.name}": metadata.namespace is required`);
  }
  return `${collectionPath(ref.apiVersion, ref.kind, info.namespaced ? ref.namespace : undefined)}/${
    encodeURIComponent(ref.name)
  }`;
}

/** `Deployment test-ns/nginx` or `Namespace test-ns`: how errors and logs name an object. */
export function describeRef(ref: ObjectRef): string {
  return ref.namespace ? `${ref.kind} ${ref.namespace}/${ref.name}` : `${ref.kind} ${ref.name}`;
}
