/**
 * `plumberctl add --allow-kind <group/Kind>`: what the account `add` creates may do on kinds
 * beyond the default ClusterRole's (`spec.resources[]` can name any namespaced kind).
 *
 * The default ClusterRole `plumber-replicator` stays narrow and unchanged. The extra kinds go
 * into a ClusterRole of their own, `plumber-replicator-extra[-<namespace>]`, bound to the same
 * ServiceAccount by a ClusterRoleBinding of the same name, both labelled managed-by plumber, so
 * that `remove --cleanup` deletes them with the rest. Its name carries the namespace like the
 * binding's does, so two plumber installations registering one cluster keep their own grants.
 * Kinds are resolved through the target's discovery to their plural resource names.
 *
 * @module
 */

import { API_GROUP, DEFAULT_NAMESPACE, LABEL_MANAGED_BY, MANAGED_BY_VALUE } from "../../lib/api.ts";
import { CliError, UsageError } from "../../lib/errors.ts";
import { type ApiResource, discoverResources } from "../../lib/kube/discovery.ts";
import {
  type ClusterRole,
  type ClusterRoleBinding,
  type PolicyRule,
  RbacV1Api,
} from "../../lib/kube/generated/rbac_v1.ts";
import { CLI_FIELD_MANAGER, type Cluster, onCluster } from "../connection.ts";
import { CLUSTER_ROLE, REPLICATED_KIND_VERBS, SERVICE_ACCOUNT } from "./add_target.ts";

/** A `--allow-kind` value: an API group (`""` for the core group) and a kind. */
export interface AllowedKind {
  group: string;
  kind: string;
}

/** A kind resolved through discovery: its plural resource name. */
export interface ResolvedKind extends AllowedKind {
  resource: string;
}

/** The verbs plumber needs on an extra kind: the same as on the seed's kinds. */
export const EXTRA_KIND_VERBS = REPLICATED_KIND_VERBS;

/** Name of the extra ClusterRole and of its binding (`plumber-replicator-extra[-<namespace>]`). */
export function extraRoleName(namespace: string): string {
  const base = `${CLUSTER_ROLE}-extra`;
  return namespace === DEFAULT_NAMESPACE ? base : `${base}-${namespace}`;
}

const KIND = /^[A-Z][A-Za-z0-9]*$/;
const GROUP = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/**
 * Reads one `--allow-kind` value: `policy/PodDisruptionBudget`, `/ServiceAccount` or
 * `ServiceAccount` (core group), `example.com/Widget`.
 *
 * @throws {UsageError} naming the flag and the value.
 */
export function parseAllowKind(value: string): AllowedKind {
  const bad = (why: string) => new UsageError(`invalid value "${value}" for --allow-kind: ${why}`, "add");
  const slash = value.lastIndexOf("/");
  const group = slash < 0 ? "" : value.slice(0, slash);
  const kind = slash < 0 ? value : value.slice(slash + 1);
  if (!KIND.test(kind)) {
    throw bad(`"${kind}" is not a kind (expected <group>/<Kind>, e.g. policy/PodDisruptionBudget)`);
  }
  if (group !== "" && !GROUP.test(group)) throw bad(`"${group}" is not an API group`);
  if (group === "core" || group === "v1") throw bad(`the core group is written "/${kind}" or "${kind}"`);
  if (group === API_GROUP) throw bad(`plumber never replicates its own kinds`);
  return { group, kind };
}

/** Reads every `--allow-kind` value, dropping repeats. */
export function parseAllowKinds(values: readonly string[]): AllowedKind[] {
  const kinds: AllowedKind[] = [];
  for (const value of values) {
    const kind = parseAllowKind(value);
    if (!kinds.some((k) => k.group === kind.group && k.kind === kind.kind)) kinds.push(kind);
  }
  return kinds;
}

function label(kind: AllowedKind): string {
  return `${kind.group}/${kind.kind}`;
}

/**
 * Resolves each kind to its resource through the target's discovery (`resources`).
 *
 * @throws {CliError} for a kind the cluster does not serve, or a cluster-scoped kind, naming the
 * flag, the value and the context.
 */
export function resolveKinds(
  kinds: readonly AllowedKind[],
  resources: readonly Pick<ApiResource, "group" | "kind" | "resource" | "namespaced">[],
  context: string,
): ResolvedKind[] {
  return kinds.map((kind) => {
    const found = resources.find((r) => r.group === kind.group && r.kind === kind.kind);
    if (!found) {
      const sameKind = resources.filter((r) => r.kind === kind.kind).map((r) => `${r.group}/${r.kind}`);
      const hint = sameKind.length > 0 ? `; did you mean ${[...new Set(sameKind)].join(" or ")}?` : "";
      throw new CliError(
        `invalid value "${
          label(kind)
        }" for --allow-kind: context "${context}" serves no kind ${kind.kind} in ${
          kind.group === "" ? "the core group" : `group ${kind.group}`
        }${hint}`,
      );
    }
    if (!found.namespaced) {
      throw new CliError(
        `invalid value "${
          label(kind)
        }" for --allow-kind: ${kind.kind} is cluster-scoped in context "${context}"; plumber replicates namespaced kinds only`,
      );
    }
    return { ...kind, resource: found.resource };
  });
}

/** The extra ClusterRole's rules: one per group, its resources sorted. */
export function extraRules(kinds: readonly ResolvedKind[]): PolicyRule[] {
  const byGroup = new Map<string, Set<string>>();
  for (const k of kinds) byGroup.set(k.group, (byGroup.get(k.group) ?? new Set()).add(k.resource));
  return [...byGroup.keys()].sort().map((group) => ({
    apiGroups: [group],
    resources: [...byGroup.get(group)!].sort(),
    verbs: EXTRA_KIND_VERBS,
  }));
}

/** The extra ClusterRole and its binding to the ServiceAccount `add` creates in `namespace`. */
export function extraManifests(
  namespace: string,
  kinds: readonly ResolvedKind[],
): [ClusterRole, ClusterRoleBinding] {
  const name = extraRoleName(namespace);
  const labels = { [LABEL_MANAGED_BY]: MANAGED_BY_VALUE };
  return [
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRole",
      metadata: { name, labels },
      rules: extraRules(kinds),
    },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRoleBinding",
      metadata: { name, labels },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name },
      subjects: [{ kind: "ServiceAccount", name: SERVICE_ACCOUNT, namespace }],
    },
  ];
}

/** `policy/poddisruptionbudgets, serviceaccounts`: what the grant names, for messages. */
export function describeGrant(kinds: readonly ResolvedKind[]): string {
  return kinds.map((k) => (k.group === "" ? k.resource : `${k.resource}.${k.group}`)).join(", ");
}

/**
 * Resolves `kinds` through the target's discovery (before anything is written).
 *
 * @throws {CliError} as {@linkcode resolveKinds} does.
 */
export async function discoverKinds(target: Cluster, kinds: readonly AllowedKind[]): Promise<ResolvedKind[]> {
  const discovery = await onCluster(target, () => discoverResources(target.client));
  return resolveKinds(kinds, discovery.resources.filter((r) => r.preferred), target.context);
}

/** Applies the extra ClusterRole (replacing the kinds granted before) and its binding. */
export async function grantKinds(
  target: Cluster,
  namespace: string,
  kinds: readonly ResolvedKind[],
): Promise<void> {
  const rbac = new RbacV1Api(target.rest);
  const [role, binding] = extraManifests(namespace, kinds);
  const options = { fieldManager: CLI_FIELD_MANAGER, force: true };
  await onCluster(target, async () => {
    await rbac.applyClusterRole(role, options);
    await rbac.applyClusterRoleBinding(binding, options);
  });
}
