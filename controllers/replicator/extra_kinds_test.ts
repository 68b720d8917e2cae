import assert from "node:assert/strict";
import type { KubeObject } from "../../lib/api.ts";
import { KubeApiError } from "../../lib/kube/client.ts";
import type { ClusterCaches } from "./cluster_caches.ts";
import { requestFailure } from "./extra_kinds.ts";

const PDB: KubeObject = {
  apiVersion: "policy/v1",
  kind: "PodDisruptionBudget",
  metadata: { name: "web", namespace: "apps" },
};
const MAPPING = {
  group: "policy",
  version: "v1",
  resource: "poddisruptionbudgets",
  kind: "PodDisruptionBudget",
  namespaced: true,
  verbs: [],
};
const caches = { name: "east" } as ClusterCaches;

Deno.test("requestFailure() spells out a 403 with the missing permission and how to grant it", () => {
  const forbidden = new KubeApiError("Cannot apply ...: forbidden", 403, "Forbidden");
  assert.equal(
    requestFailure(caches, PDB, "patch", MAPPING, forbidden),
    "forbidden: plumber's ServiceAccount in east may not patch poddisruptionbudgets.policy in apps: grant it " +
      "with plumberctl add --allow-kind policy/PodDisruptionBudget",
  );
  // Other failures, and a seed kind (no mapping looked up), are worded as before.
  const conflict = new KubeApiError(
    "Cannot apply PodDisruptionBudget apps/web on east: 409 Conflict",
    409,
    "Conflict",
  );
  assert.match(requestFailure(caches, PDB, "patch", MAPPING, conflict), /409 Conflict/);
  assert.match(requestFailure(caches, PDB, "patch", undefined, forbidden), /forbidden$/);
});
