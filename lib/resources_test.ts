import assert from "node:assert/strict";
import {
  API_VERSION,
  LABEL_MANAGED_BY,
  LABEL_REPLICATOR,
  type Replicator,
  type ReplicatorSpec,
} from "./api.ts";
import { parse } from "yaml";
import { applyOverrides, loadJsonPatch } from "./overrides.ts";
import { LABEL_PRIMARY } from "./ownership.ts";
import { renderReplicator } from "./render.ts";
import {
  allowKindArgument,
  clashApplied,
  clusterScopedReason,
  extraKinds,
  forbiddenReason,
  groupKind,
  isNotServed,
  isSeedKind,
  notServedReason,
  renderResource,
  resolveResources,
} from "./resources.ts";

const SA = { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "web" } };
const PDB = {
  apiVersion: "policy/v1",
  kind: "PodDisruptionBudget",
  metadata: { name: "web", labels: { team: "a" } },
  spec: { minAvailable: 1 },
};

function replicator(spec: Partial<ReplicatorSpec>): Replicator {
  return {
    apiVersion: API_VERSION,
    kind: "Replicator",
    metadata: { name: "r", uid: "u-1" },
    spec: { replicationNamespace: "apps", ...spec },
  } as Replicator;
}

Deno.test("renderResource places the entry into the namespace, merges plumber's labels, drops server metadata and status", () => {
  const entry = {
    ...PDB,
    metadata: {
      ...PDB.metadata,
      namespace: "apps",
      uid: "x",
      resourceVersion: "7",
      managedFields: [{}],
      creationTimestamp: "2020-01-01T00:00:00Z",
      annotations: { note: "kept" },
      ownerReferences: [{ apiVersion: "v1", kind: "Pod", name: "p", uid: "1" }],
      labels: { team: "a", [LABEL_MANAGED_BY]: "helm" },
    },
    status: { currentHealthy: 1 },
  };
  const out = renderResource(entry, { namespace: "apps", labels: { [LABEL_MANAGED_BY]: "plumber" } });
  assert.deepEqual(out, {
    apiVersion: "policy/v1",
    kind: "PodDisruptionBudget",
    metadata: {
      name: "web",
      namespace: "apps",
      annotations: { note: "kept" },
      labels: { team: "a", [LABEL_MANAGED_BY]: "plumber" },
    },
    spec: { minAvailable: 1 },
  });
  // The input is not modified.
  assert.equal(entry.metadata.uid, "x");
});

Deno.test("renderReplicator renders resources[] after the seed's objects with the ownership labels", () => {
  const r = replicator({ configMapName: "cm", resources: [SA, PDB] });
  const objects = renderReplicator({ replicator: r, role: "primary", primaryId: "p-1" });
  assert.deepEqual(objects.map((o) => `${o.kind}/${o.metadata.name}`), [
    "Namespace/apps",
    "ConfigMap/cm",
    "ServiceAccount/web",
    "PodDisruptionBudget/web",
  ]);
  const pdb = objects[3]!;
  assert.equal(pdb.metadata.namespace, "apps");
  assert.equal(pdb.metadata.labels?.[LABEL_REPLICATOR], "r");
  assert.equal(pdb.metadata.labels?.[LABEL_PRIMARY], "p-1");
  assert.equal(pdb.metadata.labels?.team, "a");
  assert.equal(pdb.metadata.ownerReferences?.[0]?.uid, "u-1");
  const secondary = renderReplicator({ replicator: r, role: "secondary", primaryId: "p-1" });
  assert.equal(secondary[3]!.metadata.ownerReferences, undefined);
});

Deno.test("overrides' patches target a resources[] entry by kind and name", async () => {
  await loadJsonPatch();
  const r = replicator({ resources: [SA, PDB] });
  const objects = renderReplicator({ replicator: r, role: "secondary", primaryId: "p" });
  const out = applyOverrides(objects, [{
    clusterNames: ["east"],
    patches: [{
      target: { kind: "PodDisruptionBudget", name: "web" },
      patch: [{ op: "replace", path: "/spec/minAvailable", value: 2 as unknown as Record<string, unknown> }],
    }],
  }], { name: "east" });
  assert.deepEqual(out.find((o) => o.kind === "PodDisruptionBudget")?.spec, { minAvailable: 2 });
  assert.throws(
    () =>
      applyOverrides(objects, [{
        clusterNames: ["east"],
        patches: [{ target: { kind: "CronJob" }, patch: [{ op: "remove", path: "/spec" }] }],
      }], { name: "east" }),
    /no CronJob is rendered/,
  );
});

Deno.test("resolveResources: a seed field wins over an entry, an earlier entry over a later one", () => {
  const spec = {
    replicationNamespace: "apps",
    configMapName: "cm",
    ingressName: "ing",
    ingressSecureEnabled: true,
    resources: [
      { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "cm" } },
      { apiVersion: "v1", kind: "Secret", metadata: { name: "ca-secret" } },
      SA,
      { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "web" } },
      // Another group's kind of the same name is another object.
      { apiVersion: "example.com/v1", kind: "ConfigMap", metadata: { name: "cm" } },
      // Same group in another version: the same object.
      { apiVersion: "networking.k8s.io/v1beta1", kind: "Ingress", metadata: { name: "ing" } },
    ],
  } as ReplicatorSpec;
  const { rendered, clashes } = resolveResources(spec);
  assert.deepEqual(rendered.map((e) => `${e.apiVersion} ${e.kind}`), [
    "v1 ServiceAccount",
    "example.com/v1 ConfigMap",
  ]);
  assert.deepEqual(clashes.map((c) => [c.index, c.winner]), [
    [0, "configMapName"],
    [1, "ingressSecureEnabled"],
    [3, "resources[2]"],
    [5, "ingressName"],
  ]);
  assert.deepEqual(clashApplied("east", clashes[0]!), {
    cluster: "east",
    apiVersion: "v1",
    kind: "ConfigMap",
    name: "cm",
    applyStatus: "conflict: spec.resources[0] is not applied: also named by configMapName",
  });
  // Without mTLS the Secrets are not the seed's: an entry may name them.
  const plain = resolveResources({ ...spec, ingressSecureEnabled: false });
  assert.ok(plain.rendered.some((e) => e.kind === "Secret"));
});

Deno.test("extraKinds: kinds of the rendered entries and of what the status still holds, never the seed's", () => {
  const spec = {
    replicationNamespace: "apps",
    resources: [SA, PDB, { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "x" } }, {
      apiVersion: "v1",
      kind: "ServiceAccount",
      metadata: { name: "other" },
    }],
  } as ReplicatorSpec;
  const kinds = extraKinds(spec, [
    { cluster: "a", apiVersion: "batch/v1", kind: "CronJob", name: "c", applyStatus: "applied" },
    { cluster: "a", apiVersion: "example.com/v1", kind: "Widget", name: "w", applyStatus: "failed: x" },
    { cluster: "a", kind: "Deployment", name: "d", applyStatus: "applied" },
  ]);
  assert.deepEqual(kinds.map(groupKind), ["/ServiceAccount", "policy/PodDisruptionBudget", "batch/CronJob"]);
  assert.equal(extraKinds({ replicationNamespace: "apps" }).length, 0);
  assert.ok(isSeedKind({ apiVersion: "apps/v1", kind: "Deployment" }));
  assert.ok(!isSeedKind({ apiVersion: "example.com/v1", kind: "Deployment" }));
});

Deno.test("discovery and permission reasons name the kind and the missing permission", () => {
  const widget = { apiVersion: "example.com/v1", kind: "Widget" };
  assert.equal(notServedReason(widget), "kind example.com/v1 Widget is not served by this cluster");
  assert.ok(
    isNotServed({
      cluster: "a",
      kind: "Widget",
      name: "w",
      applyStatus: `failed: ${notServedReason(widget)}`,
    }),
  );
  assert.ok(!isNotServed({ cluster: "a", kind: "Widget", name: "w", applyStatus: "failed: boom" }));
  assert.equal(
    clusterScopedReason({ apiVersion: "example.com/v1", kind: "Gadget" }, "gadgets"),
    "kind Gadget (gadgets.example.com) is cluster-scoped in this cluster: resources[] takes namespaced kinds only",
  );
  assert.equal(allowKindArgument({ apiVersion: "v1", kind: "ServiceAccount" }), "ServiceAccount");
  assert.equal(
    forbiddenReason(
      "east",
      "patch",
      { apiVersion: "policy/v1", kind: "PodDisruptionBudget" },
      "poddisruptionbudgets",
      "apps",
    ),
    "forbidden: plumber's ServiceAccount in east may not patch poddisruptionbudgets.policy in apps: grant it with " +
      "plumberctl add --allow-kind policy/PodDisruptionBudget",
  );
});

Deno.test("examples/replicator-extra-kinds.yaml: ServiceAccount, PodDisruptionBudget and HPA in every cluster, 4 replicas at most in the air-gapped one", async () => {
  const example = parse(
    await Deno.readTextFile(new URL("../examples/replicator-extra-kinds.yaml", import.meta.url)),
  ) as Replicator;
  const objects = renderReplicator({ replicator: example, role: "secondary", primaryId: "p" });
  assert.deepEqual(objects.map((o) => `${o.kind}/${o.metadata.namespace ?? ""}/${o.metadata.name}`), [
    "Namespace//web-extra",
    "Deployment/web-extra/web",
    "Service/web-extra/web",
    "ServiceAccount/web-extra/web",
    "PodDisruptionBudget/web-extra/web",
    "HorizontalPodAutoscaler/web-extra/web",
  ]);
  const hpa = (cluster: string) =>
    applyOverrides(objects, example.spec.overrides, { name: cluster }).find((o) =>
      o.kind === "HorizontalPodAutoscaler"
    )?.spec as { maxReplicas: number };
  assert.equal(hpa("v1262-cluster.kubernetes-admin2").maxReplicas, 10);
  assert.equal(hpa("v1252-cluster.kubernetes-admin3").maxReplicas, 4);
  // The PodDisruptionBudget selects the Deployment's pods.
  const deployment = objects.find((o) => o.kind === "Deployment")!;
  const pdb = objects.find((o) => o.kind === "PodDisruptionBudget")!;
  assert.deepEqual(
    (pdb.spec as { selector: unknown }).selector,
    (deployment.spec as { selector: unknown }).selector,
  );
});
