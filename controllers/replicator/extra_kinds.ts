/**
 * Per-cluster discovery of the `spec.resources[]` kinds before an object is applied: a kind the cluster does
 * not serve, or serves cluster-scoped, is reported for that object and cluster (the others proceed), and a
 * served kind's cache is started (and waited for, the first time) so drift on it comes back through a watch.
 * A 403 is spelled out with the permission plumber lacks (`lib/resources.ts`).
 *
 * @module
 */

import type { KubeObject } from "../../lib/api.ts";
import { isNoKindMatch, KubeApiError } from "../../lib/kube/client.ts";
import { describeFailure } from "../../lib/kube/probe.ts";
import type { RestMapping } from "../../lib/kube/rest_mapper.ts";
import { clusterScopedReason, forbiddenReason, isSeedKind, notServedReason } from "../../lib/resources.ts";
import type { ClusterCaches } from "./cluster_caches.ts";

/** Where the object's kind lives in this cluster, or why it cannot be applied there (`failed: ...` reason). */
export async function resolveKind(
  caches: ClusterCaches,
  object: KubeObject,
  syncTimeoutMs: number,
): Promise<{ mapping?: RestMapping; refused?: string }> {
  const ref = { apiVersion: object.apiVersion, kind: object.kind };
  if (isSeedKind(ref)) return {};
  let mapping: RestMapping;
  try {
    mapping = await caches.client.mapping(ref.apiVersion, ref.kind);
  } catch (error) {
    return { refused: isNoKindMatch(error) ? notServedReason(ref) : describeFailure(error) };
  }
  if (!mapping.namespaced) return { mapping, refused: clusterScopedReason(ref, mapping.resource) };
  await caches.ensureKinds([ref], syncTimeoutMs);
  return { mapping };
}

/** Why a request about `object` failed: a 403 names the permission plumber lacks, anything else as usual. */
export function requestFailure(
  caches: ClusterCaches,
  object: KubeObject,
  verb: string,
  mapping: RestMapping | undefined,
  error: unknown,
): string {
  if (!(error instanceof KubeApiError) || error.status !== 403 || !mapping) return describeFailure(error);
  return forbiddenReason(caches.name, verb, object, mapping.resource, object.metadata.namespace ?? "");
}
