import assert from "node:assert/strict";
import {
  detectorStatus,
  explainProbeFailure,
  initialProbeState,
  recordProbe,
} from "./cluster_detector_status.ts";

const t0 = new Date("2026-01-01T00:00:00Z");
const t1 = new Date("2026-01-01T00:00:10Z");
const secret = { namespace: "plumber-system", name: "plumber-kubeconfig" };

Deno.test("recordProbe() moves lastProbeTime only when what a user sees changes", () => {
  const state = initialProbeState({ clusterstatus: "Running", reason: "", kubernetesVersion: "v1.37.2" }, t0);
  recordProbe(state, { healthy: true, version: "v1.37.2" }, { now: t1, nowMs: 10_000 }, 3, "");
  assert.equal(state.lastProbeTime, "2026-01-01T00:00:00Z", "Running stays Running: no move");
  assert.equal(state.lastProbeAt, 10_000);
  recordProbe(state, { healthy: false, reason: "connection refused" }, { now: t1, nowMs: 20_000 }, 1, "");
  assert.equal(state.clusterstatus, "Unknown");
  assert.equal(state.reason, "connection refused");
  assert.equal(state.lastProbeTime, "2026-01-01T00:00:10Z");
});

Deno.test("recordProbe() keeps a Running cluster's reason empty until the failure threshold", () => {
  const state = initialProbeState({ clusterstatus: "Running", reason: "" }, t0);
  recordProbe(state, { healthy: false, reason: "timeout" }, { now: t1, nowMs: 1 }, 3, "");
  assert.equal(state.clusterstatus, "Running");
  assert.equal(state.failures, 1);
  assert.equal(state.reason, "");
});

Deno.test("detectorStatus() reports a secondary without credentials as not ready, naming the Secret's problem", () => {
  const state = initialProbeState(undefined, t0);
  state.clusterstatus = "Unknown";
  state.reason = "No credentials for this cluster: Secret plumber-system/plumber-kubeconfig does not exist";
  const status = detectorStatus({
    state,
    role: "secondary",
    context: "secondary1",
    hasClient: false,
    secretProblem: { reason: "KubeconfigSecretMissing", message: "Secret does not exist" },
    secret,
    generation: 2,
    now: t1,
  });
  assert.equal(status.clusterstatus, "Unknown");
  assert.equal(status.observedGeneration, 2);
  const ready = status.conditions?.find((c) => c.type === "Ready");
  assert.equal(ready?.status, "False");
  assert.equal(ready?.reason, "KubeconfigSecretMissing");
  assert.equal(status.conditions?.length, 2, "a secondary also gets its credentials condition");
});

Deno.test("detectorStatus() reports a reachable primary Ready with its version, and no credentials condition", () => {
  const state = initialProbeState(undefined, t0);
  recordProbe(state, { healthy: true, version: "v1.37.2" }, { now: t1, nowMs: 1 }, 3, undefined);
  const status = detectorStatus({
    state,
    role: "primary",
    context: "primary",
    hasClient: true,
    secret,
    now: t1,
  });
  assert.equal(status.clusterstatus, "Running");
  assert.equal(status.kubernetesVersion, "v1.37.2");
  assert.equal(status.reason, "");
  assert.deepEqual(status.conditions?.map((c) => [c.type, c.status, c.reason]), [[
    "Ready",
    "True",
    "Reachable",
  ]]);
});

Deno.test("explainProbeFailure() says what to do when a loopback address cannot be reached, and nothing else", () => {
  assert.deepEqual(
    explainProbeFailure(
      { healthy: false, reason: "connection refused" },
      "https://127.0.0.1:40123",
      "kind-east",
    ),
    {
      healthy: false,
      reason:
        "connection refused; 127.0.0.1 is the operator's own Pod when plumber runs in a cluster: re-register with plumberctl add --target-context kind-east --server <address reachable from the Pod>",
    },
  );
  assert.match(
    (explainProbeFailure({ healthy: false, reason: "timed out" }, "https://localhost:6443", "c") as {
      reason: string;
    })
      .reason,
    /^timed out; localhost is the operator's own Pod/,
  );
  const answered = { healthy: false as const, reason: "401 Unauthorized: the credentials were rejected" };
  assert.equal(explainProbeFailure(answered, "https://127.0.0.1:1", "c"), answered, "the server answered");
  const remote = { healthy: false as const, reason: "connection refused" };
  assert.equal(explainProbeFailure(remote, "https://10.0.0.5:6443", "c"), remote, "not loopback");
  const healthy = { healthy: true as const, version: "v1.37.2" };
  assert.equal(explainProbeFailure(healthy, "https://127.0.0.1:1", "c"), healthy);
});
