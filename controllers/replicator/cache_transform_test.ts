import assert from "node:assert/strict";
import type { KubeObjectLike } from "../../lib/kube/client.ts";
import type { Owner } from "../../lib/ownership.ts";
import { replicatorCacheTransform } from "./cache_transform.ts";
import { planObject } from "./plan.ts";
import { clusterReadiness, type DeploymentLike } from "../../lib/readiness.ts";

const DEPLOYMENT = () => ({
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: {
    name: "web",
    namespace: "shop",
    uid: "u-1",
    resourceVersion: "7",
    generation: 2,
    labels: {
      "app.kubernetes.io/managed-by": "plumber",
      "plumber.jnytnai0613.github.io/replicator": "web-rep",
      "plumber.jnytnai0613.github.io/primary": "p-1",
      "plumber.jnytnai0613.github.io/replicator-uid": "r-1",
    },
    annotations: { "plumber.jnytnai0613.github.io/intent-hash": "abc" },
    managedFields: [{ manager: "plumber", operation: "Apply", fieldsV1: { "f:spec": {} } }],
  },
  spec: { replicas: 2, template: { spec: { containers: [{ name: "web", image: "nginx" }] } } },
  status: {
    observedGeneration: 2,
    replicas: 2,
    updatedReplicas: 2,
    readyReplicas: 1,
    availableReplicas: 1,
    conditions: [{
      type: "Available",
      status: "False",
      reason: "MinimumReplicasUnavailable",
      message: "Deployment does not have minimum availability.",
      lastUpdateTime: "2026-12-02T10:00:00Z",
      lastTransitionTime: "2026-12-02T10:00:00Z",
    }],
  },
});

Deno.test("replicatorCacheTransform() keeps metadata, spec, the Deployment's replica counts and conditions; drops managedFields and timestamps", () => {
  const object = DEPLOYMENT() as unknown as KubeObjectLike;
  const out = replicatorCacheTransform(object);
  assert.strictEqual(out, object, "in place");
  const expected = DEPLOYMENT() as Record<string, unknown> & { metadata: Record<string, unknown> };
  delete expected.metadata.managedFields;
  expected.status = {
    observedGeneration: 2,
    replicas: 2,
    updatedReplicas: 2,
    readyReplicas: 1,
    availableReplicas: 1,
    conditions: [{
      type: "Available",
      status: "False",
      reason: "MinimumReplicasUnavailable",
      message: "Deployment does not have minimum availability.",
    }],
  };
  assert.deepEqual(out, expected);
});

Deno.test("a transformed Deployment gives the same readiness as the live one (lib/readiness.ts reads its conditions)", () => {
  const cases = [
    DEPLOYMENT(),
    (() => {
      const d = DEPLOYMENT();
      d.status = { ...d.status, readyReplicas: 2, availableReplicas: 2 };
      d.status.conditions = [{
        ...d.status.conditions[0]!,
        status: "True",
        reason: "MinimumReplicasAvailable",
      }];
      return d;
    })(),
    (() => {
      const d = DEPLOYMENT();
      d.status.conditions = [{
        ...d.status.conditions[0]!,
        type: "Progressing",
        reason: "ProgressDeadlineExceeded",
      }];
      return d;
    })(),
  ];
  for (const d of cases) {
    const input = { applied: true, hasDeployment: true, desiredReplicas: 2 };
    const live = clusterReadiness({ ...input, deployment: d as DeploymentLike });
    const cached = clusterReadiness({
      ...input,
      deployment: replicatorCacheTransform(d as unknown as KubeObjectLike) as DeploymentLike,
    });
    assert.deepEqual(cached, live);
  }
  assert.equal(
    clusterReadiness({
      applied: true,
      hasDeployment: true,
      desiredReplicas: 2,
      deployment: cases[1] as DeploymentLike,
    }).ready,
    true,
  );
});

Deno.test("replicatorCacheTransform() keeps a Namespace's phase and drops other kinds' status", () => {
  const ns = replicatorCacheTransform({
    apiVersion: "v1",
    kind: "Namespace",
    metadata: { name: "shop" },
    status: { phase: "Terminating", conditions: [{ type: "NamespaceDeletionContentFailure" }] },
  } as unknown as KubeObjectLike) as { status?: unknown };
  assert.deepEqual(ns.status, { phase: "Terminating" });
  const svc = replicatorCacheTransform({
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: "web" },
    spec: { ports: [{ port: 80 }] },
    status: { loadBalancer: { ingress: [{ ip: "10.0.0.1" }] } },
  } as unknown as KubeObjectLike) as { status?: unknown; spec?: unknown };
  assert.equal("status" in svc, false);
  assert.deepEqual(svc.spec, { ports: [{ port: 80 }] });
  const cm = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "c" }, data: { a: "1" } };
  assert.deepEqual(replicatorCacheTransform(structuredClone(cm) as unknown as KubeObjectLike), cm);
});

Deno.test("a transformed object plans as the original does: the intent is compared field by field", () => {
  const owner: Owner = { primaryId: "p-1", replicator: "web-rep", replicatorUid: "r-1" };
  const intent = {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "web", namespace: "shop" },
    spec: { replicas: 2, template: { spec: { containers: [{ name: "web", image: "nginx" }] } } },
  };
  const drifted = DEPLOYMENT();
  drifted.spec.replicas = 5;
  const plans = [DEPLOYMENT(), drifted].map((live) => {
    const before = planObject(intent, "abc", structuredClone(live) as never, owner);
    const after = planObject(intent, "abc", replicatorCacheTransform(structuredClone(live) as never), owner);
    assert.deepEqual(after, before);
    return after;
  });
  assert.deepEqual(plans, [{ action: "skip" }, {
    action: "apply",
    difference: "spec.replicas",
    drift: true,
  }]);
});
