import assert from "node:assert/strict";
import { clusterReadiness, type DeploymentLike } from "./readiness.ts";

const INTENT = { annotation: "plumber/intent-hash", hash: "abc" };

function deployment(
  status: NonNullable<DeploymentLike["status"]>,
  generation = 2,
  hash = "abc",
): DeploymentLike {
  return { metadata: { generation, annotations: { [INTENT.annotation]: hash } }, status };
}

const ROLLED_OUT = {
  observedGeneration: 2,
  replicas: 3,
  updatedReplicas: 3,
  readyReplicas: 3,
  availableReplicas: 3,
  conditions: [{ type: "Available", status: "True" }, { type: "Progressing", status: "True" }],
};

const base = { applied: true, hasDeployment: true, desiredReplicas: 3, intent: INTENT };

Deno.test("clusterReadiness() is ready when the Deployment is rolled out and Available", () => {
  assert.deepEqual(clusterReadiness({ ...base, deployment: deployment(ROLLED_OUT) }), {
    ready: true,
    readyReplicas: 3,
  });
});

Deno.test("clusterReadiness() says what was not applied", () => {
  const r = clusterReadiness({
    ...base,
    applied: false,
    appliedMessage: "conflict",
    deployment: deployment(ROLLED_OUT),
  });
  assert.equal(r.ready, false);
  assert.equal(r.message, "not applied: conflict");
});

Deno.test("clusterReadiness() without a Deployment is ready once applied", () => {
  assert.equal(clusterReadiness({ ...base, hasDeployment: false }).ready, true);
  assert.equal(clusterReadiness({ ...base, hasDeployment: false, applied: false }).ready, false);
});

Deno.test("clusterReadiness() waits for the Deployment to appear and to carry the current intent", () => {
  assert.equal(clusterReadiness(base).message, "waiting for the Deployment to appear");
  const stale = clusterReadiness({ ...base, deployment: deployment(ROLLED_OUT, 2, "old") });
  assert.deepEqual([stale.ready, stale.message], [false, "waiting for the Deployment to be updated"]);
});

Deno.test("clusterReadiness() waits for the current generation to be observed", () => {
  const r = clusterReadiness({ ...base, deployment: deployment(ROLLED_OUT, 4) });
  assert.deepEqual([r.ready, r.message], [false, "waiting for the Deployment to observe generation 4"]);
});

Deno.test("clusterReadiness() reports a missed progress deadline", () => {
  const r = clusterReadiness({
    ...base,
    deployment: deployment({
      ...ROLLED_OUT,
      readyReplicas: 1,
      conditions: [{ type: "Progressing", status: "False", reason: "ProgressDeadlineExceeded" }],
    }),
  });
  assert.deepEqual([r.ready, r.message], [false, "progress deadline exceeded (1/3 ready)"]);
});

Deno.test("clusterReadiness() counts updated, old, ready and available replicas", () => {
  const message = (status: Partial<typeof ROLLED_OUT>) =>
    clusterReadiness({ ...base, deployment: deployment({ ...ROLLED_OUT, ...status }) }).message;
  assert.equal(message({ updatedReplicas: 1, readyReplicas: 3, replicas: 4 }), "1/3 updated, 3/3 ready");
  assert.equal(message({ replicas: 4 }), "1 old replicas pending termination");
  assert.equal(message({ readyReplicas: 2 }), "2/3 ready");
  assert.equal(message({ availableReplicas: 2 }), "2/3 available");
  assert.equal(
    message({ conditions: [{ type: "Available", status: "False" }] }),
    "Deployment not Available",
  );
});

Deno.test("clusterReadiness() follows a scale down: ready only with the desired count", () => {
  const scaled = deployment({ ...ROLLED_OUT, replicas: 5, updatedReplicas: 5, readyReplicas: 5 });
  assert.equal(
    clusterReadiness({ ...base, deployment: scaled }).message,
    "2 old replicas pending termination",
  );
  const zero = clusterReadiness({
    ...base,
    desiredReplicas: 0,
    deployment: deployment({ observedGeneration: 2, conditions: [{ type: "Available", status: "True" }] }),
  });
  assert.equal(zero.ready, true);
});
