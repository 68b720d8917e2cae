/**
 * What counts when plumber decides whether a namespace it created is empty
 * enough to delete: the pure rules of the namespace census (no I/O; the
 * listing is `lib/kube/census.ts`).
 *
 * A namespace is empty when every object in it is one of:
 *
 * - **plumber's own**: the caller's `isOwn` says so (ownership labels and marks);
 * - **a Kubernetes default**: the `kube-root-ca.crt` ConfigMap (root CA publisher), the `default`
 *   ServiceAccount (ServiceAccount controller) and token Secrets of that account (annotated
 *   `kubernetes.io/service-account.name: default`), which the token controller removes with it;
 * - **a dependent that goes with what goes**: an object with owner references, every one of which
 *   names an object that is itself accounted for, or that no longer exists in the namespace (the
 *   garbage collector deletes such an object whatever the namespace does). This covers the
 *   ReplicaSets of plumber's Deployments and their Pods, the EndpointSlices of plumber's Services,
 *   ControllerRevisions, Jobs of CronJobs, ... without a rule per kind, and keeps anything that a
 *   user's object or a second owner holds on to. An owner of a cluster-scoped or unknown kind keeps
 *   the object (it outlives the namespace);
 * - **Endpoints made by the endpoints controller** (label `endpoints.kubernetes.io/managed-by:
 *   endpoint-controller`, or before Kubernetes 1.33 its `last-change-trigger-time` annotation): they
 *   carry no owner reference but follow the Service of the same name, so they count as that Service
 *   does (and go when it is gone).
 *
 * Not counted at all: Events (`events` and `events.k8s.io/events`): records about objects, expiring
 * after an hour, which kube's own namespace deletion removes like everything else; nothing a user
 * keeps lives in them. Types without a delete verb (read-only views such as `metrics.k8s.io`
 * PodMetrics): namespace deletion cannot remove anything there, so they hold nothing to lose.
 *
 * Everything else is foreign and keeps the namespace, including objects already being deleted
 * (a finalizer may hold them for a reason) and what other platforms put into every namespace
 * (OpenShift's `openshift-service-ca.crt`, its builder/deployer accounts): plumber keeps such a
 * namespace rather than guess.
 *
 * @module
 */

/** A resource type the cluster serves, as discovery reports it. */
export interface CensusType {
  group: string;
  version: string;
  resource: string;
  kind: string;
  namespaced: boolean;
  verbs: string[];
  /** Discovery's preferred version of the group and resource; `false` entries are left out. */
  preferred?: boolean;
}

/** An owner reference, as in `metadata.ownerReferences`. */
export interface CensusOwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
}

/** The metadata the census reads (a `PartialObjectMetadata`). */
export interface CensusMetadata {
  name?: string;
  namespace?: string;
  uid?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: CensusOwnerReference[];
  deletionTimestamp?: string;
}

/** One object found in the namespace, with the type it was listed as. */
export interface CensusObject {
  group: string;
  resource: string;
  kind: string;
  metadata: CensusMetadata;
}

/** Decides which objects are plumber's own (the caller's ownership rule). */
export type IsOwn = (object: CensusObject) => boolean;

/** An object that keeps the namespace. */
export interface ForeignObject {
  kind: string;
  /** API group, `""` for the core group. */
  group: string;
  name: string;
  /** Why it is not accounted for, when there is more to say than "not plumber's". */
  why?: string;
}

/** A type whose objects could not be counted. */
export interface UnknownType {
  /** `roles.rbac.authorization.k8s.io`, `pods`, or a group version for a discovery failure. */
  resource: string;
  reason: string;
}

/** Which types the census lists. */
export interface CensusPlan {
  /** Namespaced, deletable, listable types at their preferred version. */
  list: CensusType[];
  /** Namespaced, deletable types it cannot list: each makes the namespace "not empty". */
  unlistable: UnknownType[];
}

/** `deployments.apps`, `pods`. */
export function groupResourceName(type: { group: string; resource: string }): string {
  return type.group ? `${type.resource}.${type.group}` : type.resource;
}

/** Events: records about objects, never counted (see the module doc). */
export function isIgnoredType(type: { group: string; resource: string }): boolean {
  return type.resource === "events" && (type.group === "" || type.group === "events.k8s.io");
}

/**
 * The types a census lists, after kube-controller-manager's namespace
 * controller: namespaced types at their preferred version that can be deleted
 * (`delete` or `deletecollection`), less Events. One without `list` cannot be
 * counted and is reported.
 *
 * @example
 * ```ts
 * censusPlan(discovery.resources).list.map(groupResourceName); // ["configmaps", "pods", ..., "deployments.apps", ...]
 * ```
 */
export function censusPlan(types: readonly CensusType[]): CensusPlan {
  const list: CensusType[] = [];
  const unlistable: UnknownType[] = [];
  const seen = new Set<string>();
  for (const type of types) {
    if (!type.namespaced || type.preferred === false || isIgnoredType(type)) continue;
    const key = groupResourceName(type);
    if (seen.has(key)) continue;
    if (!type.verbs.includes("delete") && !type.verbs.includes("deletecollection")) continue;
    seen.add(key);
    if (type.verbs.includes("list")) list.push(type);
    else unlistable.push({ resource: key, reason: `the API of ${key} does not offer list` });
  }
  return { list, unlistable };
}

/** The ServiceAccount annotation on a token Secret. */
export const SERVICE_ACCOUNT_NAME_ANNOTATION = "kubernetes.io/service-account.name";

/** True for what Kubernetes itself puts into every namespace. */
export function isKubernetesDefault(object: CensusObject): boolean {
  if (object.group !== "") return false;
  const meta = object.metadata;
  switch (object.resource) {
    case "configmaps":
      return meta.name === "kube-root-ca.crt";
    case "serviceaccounts":
      return meta.name === "default";
    case "secrets":
      // Legacy token Secrets of the default account (auto-created before 1.24); the token
      // controller deletes them with the account.
      return meta.annotations?.[SERVICE_ACCOUNT_NAME_ANNOTATION] === "default";
    default:
      return false;
  }
}

/** True for Endpoints the endpoints controller writes for a Service of the same name. */
export function isControllerEndpoints(object: CensusObject): boolean {
  if (object.group !== "" || object.resource !== "endpoints") return false;
  const meta = object.metadata;
  return meta.labels?.["endpoints.kubernetes.io/managed-by"] === "endpoint-controller" ||
    meta.annotations?.["endpoints.kubernetes.io/last-change-trigger-time"] !== undefined;
}

/** What the tally can tell about an object as soon as it is seen. */
export type FirstVerdict = "accounted" | "foreign" | "pending";

/** Options of {@linkcode CensusTally}. */
export interface CensusTallyOptions {
  /**
   * Whether an owner reference's kind is namespaced and was listed in full, so that an owner not
   * found in the namespace is known to be gone. Anything else (cluster-scoped, unknown, not
   * listed) keeps the dependent.
   */
  ownerTypeCounted: (apiVersion: string, kind: string) => boolean;
}

/** What the tally keeps of an object: no more than its verdict needs (a namespace may hold many). */
interface Entry {
  kind: string;
  group: string;
  name: string;
  verdict: FirstVerdict;
  /** Pending objects only. */
  owners?: CensusOwnerReference[];
  controllerEndpoints?: boolean;
  resolved?: boolean;
  why?: string;
}

/**
 * Counts the objects of one namespace as they are listed. {@linkcode add}
 * answers at once for most objects, so a census can stop at the first
 * foreign one; dependents and controller Endpoints wait for the whole picture
 * ({@linkcode foreign}).
 */
export class CensusTally {
  #isOwn: IsOwn;
  #options: CensusTallyOptions;
  #byUid = new Map<string, Entry>();
  #entries: Entry[] = [];
  #services = new Map<string, Entry>();
  #definiteForeign = 0;

  constructor(isOwn: IsOwn, options: CensusTallyOptions) {
    this.#isOwn = isOwn;
    this.#options = options;
  }

  /** How many objects were seen to be foreign without waiting for the rest. */
  get definiteForeign(): number {
    return this.#definiteForeign;
  }

  /** Records one object; a `foreign` answer is final. */
  add(object: CensusObject): FirstVerdict {
    const uid = object.metadata.uid;
    if (uid && this.#byUid.has(uid)) return this.#byUid.get(uid)!.verdict;
    const meta = object.metadata;
    const entry: Entry = {
      kind: object.kind,
      group: object.group,
      name: meta.name ?? "",
      verdict: this.#first(object),
    };
    if (entry.verdict === "pending") {
      entry.owners = meta.ownerReferences ?? [];
      entry.controllerEndpoints = isControllerEndpoints(object);
    }
    if (entry.verdict === "foreign") {
      this.#definiteForeign++;
      if (meta.deletionTimestamp) entry.why = "being deleted, not yet gone";
    }
    this.#entries.push(entry);
    if (uid) this.#byUid.set(uid, entry);
    if (object.group === "" && object.resource === "services" && object.metadata.name) {
      this.#services.set(object.metadata.name, entry);
    }
    return entry.verdict;
  }

  #first(object: CensusObject): FirstVerdict {
    if (this.#isOwn(object) || isKubernetesDefault(object)) return "accounted";
    // A dependent being deleted (foreground deletion of its owner) is judged by its owners like any other.
    if ((object.metadata.ownerReferences ?? []).length > 0 || isControllerEndpoints(object)) return "pending";
    return "foreign";
  }

  /**
   * Every foreign object, in the order seen (those found foreign at once first), after resolving
   * the dependents against everything added. With `resolve: false`, only those found foreign at
   * once (for a census that stopped early: its picture is too partial to resolve dependents).
   */
  foreign(options: { resolve?: boolean } = {}): ForeignObject[] {
    const out: ForeignObject[] = [];
    const later: ForeignObject[] = [];
    for (const entry of this.#entries) {
      if (options.resolve === false && entry.verdict !== "foreign") continue;
      if (this.#accounted(entry)) continue;
      const item: ForeignObject = { kind: entry.kind, group: entry.group, name: entry.name };
      if (entry.why) item.why = entry.why;
      (entry.verdict === "foreign" ? out : later).push(item);
    }
    return [...out, ...later];
  }

  #accounted(entry: Entry, path = new Set<Entry>()): boolean {
    if (entry.verdict !== "pending") return entry.verdict === "accounted";
    if (entry.resolved !== undefined) return entry.resolved;
    // An ownership cycle cannot be resolved to "goes with plumber's": keep it.
    if (path.has(entry)) return false;
    path.add(entry);
    const result = this.#resolve(entry, path);
    path.delete(entry);
    entry.resolved = result.accounted;
    if (!result.accounted) entry.why = result.why;
    return result.accounted;
  }

  #resolve(entry: Entry, path: Set<Entry>): { accounted: boolean; why?: string } {
    const owners = entry.owners ?? [];
    if (entry.controllerEndpoints && owners.length === 0) {
      const service = this.#services.get(entry.name);
      if (!service) return { accounted: true }; // its Service is gone: the controller deletes it
      return this.#accounted(service, path)
        ? { accounted: true }
        : { accounted: false, why: `endpoints of Service ${entry.name}, which stays` };
    }
    for (const ref of owners) {
      const owner = this.#byUid.get(ref.uid);
      if (owner) {
        if (!this.#accounted(owner, path)) {
          return { accounted: false, why: `owned by ${ref.kind} ${ref.name}, which stays` };
        }
        continue;
      }
      if (!this.#options.ownerTypeCounted(ref.apiVersion, ref.kind)) {
        return { accounted: false, why: `owned by ${ref.kind} ${ref.name}, which is not in the namespace` };
      }
      // A namespaced owner that is gone: the garbage collector deletes this object.
    }
    return { accounted: true };
  }
}
