import assert from "node:assert/strict";
import { nextClusterStatus, sameStatus } from "./cluster_detector.ts";

const ok = { healthy: true as const, version: "v1.37.2" };
const down = { healthy: false as const, reason: "connection refused" };

Deno.test("nextClusterStatus() keeps a Running cluster Running until the failure threshold", () => {
  assert.deepEqual(nextClusterStatus("Running", down, 1, 3), { clusterstatus: "Running", flipped: false });
  assert.deepEqual(nextClusterStatus("Running", down, 2, 3), { clusterstatus: "Running", flipped: false });
  assert.deepEqual(nextClusterStatus("Running", down, 3, 3), { clusterstatus: "Unknown", flipped: true });
});

Deno.test("nextClusterStatus() reports a never-healthy cluster Unknown at the first failure and Running at the first success", () => {
  assert.deepEqual(nextClusterStatus(undefined, down, 1, 3), { clusterstatus: "Unknown", flipped: true });
  assert.deepEqual(nextClusterStatus("Unknown", down, 7, 3), { clusterstatus: "Unknown", flipped: false });
  assert.deepEqual(nextClusterStatus("Unknown", ok, 0, 3), { clusterstatus: "Running", flipped: true });
  assert.deepEqual(nextClusterStatus("Running", ok, 0, 3), { clusterstatus: "Running", flipped: false });
});

Deno.test("sameStatus() ignores probe and transition times but not what a user sees", () => {
  const base = {
    clusterstatus: "Running" as const,
    reason: "",
    kubernetesVersion: "v1.37.2",
    lastProbeTime: "2026-01-01T00:00:00Z",
    observedGeneration: 1,
    conditions: [{
      type: "Ready",
      status: "True" as const,
      reason: "Reachable",
      message: "readyz ok",
      lastTransitionTime: "2026-01-01T00:00:00Z",
    }],
  };
  assert.ok(sameStatus(base, { ...base, lastProbeTime: "2026-01-01T00:05:00Z" }));
  assert.ok(sameStatus(base, { ...base, conditions: [{ ...base.conditions[0]!, lastTransitionTime: "x" }] }));
  assert.ok(!sameStatus(base, { ...base, clusterstatus: "Unknown" }));
  assert.ok(!sameStatus(base, { ...base, reason: "x509: certificate signed by unknown authority" }));
  assert.ok(!sameStatus(base, { ...base, kubernetesVersion: "v1.38.0" }));
  assert.ok(!sameStatus(undefined, base));
});
