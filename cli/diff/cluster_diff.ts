/**
 * The diff of one cluster: the Replicator rendered for it as the operator renders it (overrides
 * included), each object dry-run applied (server-side, `dryRun=All`, field manager `plumber`, forced as
 * the operator forces) and compared with the live object; plumber's objects of this Replicator that are
 * no longer rendered shown as pruned; someone else's object of a rendered name shown as a conflict.
 *
 * @module
 */

import {
  FIELD_MANAGER,
  type KubeObject,
  LABEL_MANAGED_BY,
  LABEL_REPLICATOR,
  MANAGED_BY_VALUE,
  type Replicator,
} from "../../lib/api.ts";
import { INTENT_HASH_ANNOTATION, intentHash } from "../../lib/diff.ts";
import type { ClusterDiff, ObjectDiff } from "../../lib/diff_report.ts";
import { KubeApiError, type KubeClient, type KubeObjectLike, refOf } from "../../lib/kube/client.ts";
import { isNotFound } from "../../lib/kube/errors.ts";
import { describeFailure } from "../../lib/kube/probe.ts";
import { objectDiff, objectPath } from "../../lib/live_diff.ts";
import { objectMeta } from "../../lib/object_meta.ts";
import { applyOverrides, loadJsonPatch, needsJsonPatch, OverrideError } from "../../lib/overrides.ts";
import { mayChange, namespaceToCreate, type Owner, ownershipOf } from "../../lib/ownership.ts";
import { renderReplicator, type TlsMaterial } from "../../lib/render.ts";
import { SEED_KINDS } from "../../lib/resources.ts";

/** Input of {@linkcode diffCluster}. */
export interface ClusterDiffInput {
  replicator: Replicator;
  cluster: string;
  role: "primary" | "secondary";
  client: KubeClient;
  /** The cluster's ClusterDetector labels, for overrides that select by label. */
  labels?: Record<string, string>;
  primaryId: string;
  tls?: TlsMaterial;
  /** False for a cluster the Replicator no longer targets: everything of it there is pruned. */
  targeted: boolean;
  /** Kinds to look for plumber's objects in besides the rendered ones (e.g. from `status.applied`). */
  extraKinds?: ReadonlyArray<{ apiVersion: string; kind: string }>;
}

/** True for an error that says nothing reached the API server. */
export function isUnreachable(error: unknown): boolean {
  return !(error instanceof KubeApiError) || error.status === 0;
}

/** The owner identity the operator checks objects against (DESIGN.md section 4). */
export function ownerOf(replicator: Replicator, primaryId: string): Owner {
  return { primaryId, replicator: replicator.metadata.name, replicatorUid: replicator.metadata.uid };
}

/** The cluster's objects as the operator would apply them; throws an {@linkcode OverrideError} that holds it back. */
export function desiredObjects(input: Omit<ClusterDiffInput, "client">): KubeObject[] {
  const { replicator, role, tls, primaryId } = input;
  const rendered = renderReplicator({ replicator, role, tls, primaryId });
  return applyOverrides(rendered, replicator.spec.overrides, { name: input.cluster, labels: input.labels });
}

function entry(
  object: KubeObjectLike,
  action: ObjectDiff["action"],
  diff = "",
  message?: string,
): ObjectDiff {
  const meta = objectMeta(object);
  return {
    kind: object.kind ?? "",
    namespace: meta.namespace ?? "",
    name: meta.name ?? "",
    action,
    diff,
    ...(message === undefined ? {} : { message }),
  };
}

/** Diffs one cluster. Never throws: what cannot be diffed is in the result's `error`. */
export async function diffCluster(input: ClusterDiffInput): Promise<ClusterDiff> {
  const { replicator, cluster, client } = input;
  const result: ClusterDiff = { cluster, reachable: true, objects: [] };
  let desired: KubeObject[] = [];
  if (input.targeted) {
    try {
      if (needsJsonPatch(replicator.spec.overrides)) await loadJsonPatch();
      desired = desiredObjects(input);
    } catch (error) {
      const held = error instanceof OverrideError;
      result.error = held
        ? `an override cannot be applied (the operator holds this cluster back): ${error.message}`
        : `cannot render: ${(error as Error).message}`;
      return result;
    }
  }
  const namespaceName = replicator.spec.replicationNamespace;
  let namespace: KubeObjectLike | undefined;
  try {
    namespace = await client.find({ apiVersion: "v1", kind: "Namespace", name: namespaceName });
  } catch (error) {
    result.reachable = !isUnreachable(error);
    result.error = describeFailure(error);
    return result;
  }
  const path = (o: KubeObjectLike) =>
    objectPath(cluster, o.kind ?? "", objectMeta(o).namespace, objectMeta(o).name ?? "");
  const [, ...objects] = desired;
  if (!namespace) {
    if (!input.targeted) return result;
    const created = namespaceToCreate(namespaceName, replicator.metadata.name, input.primaryId);
    result.objects.push(entry(created, "create", objectDiff(path(created), undefined, created)));
    // The dry run of a namespaced object fails without its namespace: show what would be applied.
    const note = "its namespace does not exist yet: shown as rendered, without the API server's defaults";
    result.objects.push(...objects.map((o) => entry(o, "create", objectDiff(path(o), undefined, o), note)));
    return result;
  }
  if ((namespace.status as { phase?: string } | undefined)?.phase === "Terminating") {
    result.error = `namespace ${namespaceName} is being deleted; the operator waits for it to go`;
    return result;
  }
  const owner = ownerOf(replicator, input.primaryId);
  result.objects.push(...await Promise.all(objects.map((o) => diffObject(client, o, owner, path(o)))));
  try {
    const prunable = await ownedElsewhere(client, input, owner, objects);
    result.objects.push(
      ...prunable.map((live) => entry(live, "prune", objectDiff(path(live), live, undefined))),
    );
  } catch (error) {
    result.error = `cannot list plumber's objects to prune: ${describeFailure(error)}`;
  }
  return result;
}

async function diffObject(
  client: KubeClient,
  object: KubeObject,
  owner: Owner,
  path: string,
): Promise<ObjectDiff> {
  // What the operator applies: the object with the hash of its intent.
  const intent: KubeObject = {
    ...object,
    metadata: {
      ...object.metadata,
      annotations: { ...object.metadata.annotations, [INTENT_HASH_ANNOTATION]: await intentHash(object) },
    },
  };
  try {
    const live = await client.find<KubeObjectLike>(refOf(object));
    if (live) {
      const ownership = ownershipOf(objectMeta(live).labels, owner);
      if (ownership.kind === "foreign") return entry(object, "conflict", "", ownership.reason);
    }
    const applied = await client.apply<KubeObjectLike>(intent, {
      fieldManager: FIELD_MANAGER,
      force: true,
      dryRun: true,
    });
    const diff = objectDiff(path, live, applied);
    return entry(object, live ? (diff ? "update" : "unchanged") : "create", diff);
  } catch (error) {
    return entry(object, "error", "", describeFailure(error));
  }
}

/** The live objects of this Replicator in the cluster (owned or adoptable) that are not rendered. */
async function ownedElsewhere(
  client: KubeClient,
  input: ClusterDiffInput,
  owner: Owner,
  rendered: readonly KubeObject[],
): Promise<KubeObjectLike[]> {
  const kinds = new Map<string, { apiVersion: string; kind: string }>();
  for (const k of [...SEED_KINDS, ...rendered, ...(input.extraKinds ?? [])]) {
    kinds.set(`${k.apiVersion}/${k.kind}`, { apiVersion: k.apiVersion, kind: k.kind });
  }
  const wanted = new Set(rendered.map((o) => `${o.kind}/${o.metadata.name}`));
  const labelSelector = `${LABEL_MANAGED_BY}=${MANAGED_BY_VALUE},${LABEL_REPLICATOR}=${owner.replicator}`;
  const lists = await Promise.all([...kinds.values()].map(async ({ apiVersion, kind }) => {
    try {
      const list = await client.listAll<KubeObjectLike>(apiVersion, kind, {
        namespace: input.replicator.spec.replicationNamespace,
        labelSelector,
      });
      return list.items.map((item) => ({ apiVersion, kind, ...item }));
    } catch (error) {
      if (isNotFound(error)) return []; // A kind this cluster does not serve holds nothing.
      throw error;
    }
  }));
  return lists.flat().filter((live) =>
    mayChange(objectMeta(live).labels, owner) && !wanted.has(`${live.kind}/${objectMeta(live).name}`)
  );
}
