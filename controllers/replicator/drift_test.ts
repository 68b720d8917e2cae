import assert from "node:assert/strict";
import { API_VERSION, type Replicator, REPLICATOR_KIND } from "../../lib/api.ts";
import { Metrics } from "../../lib/kube/metrics.ts";
import { DriftLedger, wasApplied } from "./drift.ts";
import { emptyOutcome } from "./plan.ts";
import { computeStatus, sameReplicatorStatus } from "./status.ts";

const T0 = new Date("2026-12-02T10:42:08Z");

function replicator(status?: Replicator["status"]): Replicator {
  return {
    apiVersion: API_VERSION,
    kind: REPLICATOR_KIND,
    metadata: { name: "web", uid: "u-1", generation: 1 },
    spec: { replicationNamespace: "ns" },
    status,
  };
}

const LAST = {
  time: "2026-12-02T10:42:08Z",
  kind: "Deployment",
  name: "web",
  fields: ["spec.replicas"],
  deleted: false,
  manager: "kubectl-scale",
  operation: "Update",
  changedAt: "2026-12-02T10:42:07Z",
};

Deno.test("DriftLedger counts drifts per Replicator and cluster and in plumber_drift_corrections_total", async () => {
  const metrics = new Metrics();
  const ledger = new DriftLedger(metrics);
  const rep = replicator();
  ledger.record(rep, "c1", LAST);
  ledger.record(rep, "c1", { ...LAST, kind: "ConfigMap", fields: [], deleted: true });
  assert.equal(ledger.of(rep, "c1")?.count, 2);
  assert.equal(ledger.of(rep, "c1")?.last?.kind, "ConfigMap");
  assert.equal(ledger.of(rep, "c2"), undefined);
  const text = await metrics.text();
  assert.match(text, /plumber_drift_corrections_total\{cluster="c1",kind="Deployment"\} 1/);
  assert.match(text, /plumber_drift_corrections_total\{cluster="c1",kind="ConfigMap"\} 1/);
});

Deno.test("computeStatus() writes driftCorrections and lastDrift into the cluster's entry, and keeps lastDrift", () => {
  const outcome = { ...emptyOutcome("c1"), ok: true, ready: true };
  const { status } = computeStatus(replicator(), [outcome], {
    drift: (c) => c === "c1" ? { count: 2, last: LAST } : undefined,
  }, T0);
  assert.deepEqual(status.clusters, [{ name: "c1", ready: true, driftCorrections: 2, lastDrift: LAST }]);
  // After a restart (no tally yet) the last drift stays and the count is gone (it counts since the start).
  const after = computeStatus(replicator(status), [outcome], {}, T0).status;
  assert.deepEqual(after.clusters, [{ name: "c1", ready: true, lastDrift: LAST }]);
  // A steady state computes the same status: nothing to write.
  const again = computeStatus(replicator(status), [outcome], { drift: () => ({ count: 2, last: LAST }) }, T0);
  assert.ok(sameReplicatorStatus(status, again.status));
});

Deno.test("wasApplied() tells a deleted object from a new one by the status", () => {
  const object = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "web", namespace: "ns" } };
  const rep = replicator({
    applied: [{ cluster: "c1", kind: "ConfigMap", name: "web", applyStatus: "applied" }],
  });
  assert.equal(wasApplied(rep, "c1", object), true);
  assert.equal(wasApplied(rep, "c2", object), false);
  assert.equal(wasApplied(replicator(), "c1", object), false);
});
