import assert from "node:assert/strict";
import type { AppliedResource, KubeObject } from "../../lib/api.ts";
import {
  allFailed,
  failedApplyStatus,
  failureSummary,
  isFailed,
  MAX_REASON_LENGTH,
} from "./apply_failure.ts";

const NODE_PORT_422 = 'Service "web" is invalid: spec.ports[0].nodePort: Invalid value: 5: ' +
  "provided port is not in the valid range. The range of valid ports is 30000-32767";

Deno.test("failedApplyStatus() keeps the API server's message on one line", () => {
  assert.equal(failedApplyStatus(NODE_PORT_422), `failed: ${NODE_PORT_422}`);
  assert.equal(failedApplyStatus("first\n  second\tthird "), "failed: first second third");
  assert.equal(failedApplyStatus("  "), "failed: unknown error");
});

Deno.test("failedApplyStatus() redacts secret values and bounds the length", () => {
  const status = failedApplyStatus("cannot apply: token: s3cr3t-value and Bearer abcdefghijklmnop");
  assert.ok(!status.includes("s3cr3t-value"), status);
  assert.ok(!status.includes("abcdefghijklmnop"), status);
  const long = failedApplyStatus("x".repeat(1000));
  assert.equal(long.length, "failed: ".length + MAX_REASON_LENGTH);
  assert.ok(long.endsWith("…"));
});

Deno.test("failureSummary() names only the failed objects; isFailed() tells failures from conflicts", () => {
  const applied: AppliedResource[] = [
    { cluster: "c1", kind: "ConfigMap", name: "cm", applyStatus: "applied" },
    { cluster: "c1", kind: "Deployment", name: "d", applyStatus: "conflict: not plumber's" },
    { cluster: "c1", kind: "Service", name: "web", applyStatus: failedApplyStatus(NODE_PORT_422) },
  ];
  assert.deepStrictEqual(applied.map(isFailed), [false, false, true]);
  assert.equal(failureSummary(applied), `Service web: failed: ${NODE_PORT_422}`);
  assert.equal(failureSummary(applied.slice(0, 2)), undefined);
});

Deno.test("allFailed() lists every object with the same reason", () => {
  const objects = [
    { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "cm", namespace: "n" } },
    { apiVersion: "v1", kind: "Service", metadata: { name: "web", namespace: "n" } },
  ] as KubeObject[];
  assert.deepStrictEqual(allFailed("c2", objects, "namespace n: forbidden"), [
    { cluster: "c2", kind: "ConfigMap", name: "cm", applyStatus: "failed: namespace n: forbidden" },
    { cluster: "c2", kind: "Service", name: "web", applyStatus: "failed: namespace n: forbidden" },
  ]);
});
