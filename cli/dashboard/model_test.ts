import assert from "node:assert/strict";
import { API_VERSION, type Replicator, REPLICATOR_KIND } from "../../lib/api.ts";
import type { ClusterDetector } from "../../lib/generated/plumber_v1.ts";
import { cellState, clusterColumns, nextDriftExpiry, RECENT_DRIFT_MS, replicatorRow } from "./model.ts";

const NOW = new Date("2026-01-01T12:00:00Z");
const ago = (ms: number) => new Date(NOW.getTime() - ms).toISOString();

type Status = NonNullable<Replicator["status"]>;
type ClusterEntry = NonNullable<Status["clusters"]>[number];

function rep(status: Status, targets = ["a", "b"], generation = 1): Replicator {
  return {
    apiVersion: API_VERSION,
    kind: REPLICATOR_KIND,
    metadata: { name: "web", generation },
    spec: { targetCluster: targets, replicationNamespace: "web" },
    status: { observedGeneration: 1, ...status },
  };
}

const applied = (cluster: string, applyStatus = "applied") => [
  { cluster, kind: "ConfigMap", name: "web", applyStatus },
  { cluster, kind: "Deployment", name: "web", applyStatus: "applied" },
];
const ready = (name: string, extra: Partial<ClusterEntry> = {}): ClusterEntry => ({
  name,
  ready: true,
  replicas: 3,
  readyReplicas: 3,
  ...extra,
});

Deno.test("cellState() says synced and ready with the replica counts", () => {
  const cell = cellState(rep({ applied: applied("a"), clusters: [ready("a")] }), "a", NOW);
  assert.deepEqual(cell, { state: "synced", label: "3/3", reason: "synced and ready (3/3 replicas)" });
});

Deno.test("cellState() says not targeted for a cluster no spec or status names", () => {
  assert.equal(cellState(rep({}), "c", NOW).state, "not-targeted");
});

Deno.test("cellState() says applying before the cluster has a status or while the generation is not observed", () => {
  assert.equal(cellState(rep({}), "a", NOW).state, "applying");
  const stale = rep({ applied: applied("a"), clusters: [ready("a")], observedGeneration: 1 }, ["a"], 2);
  assert.equal(cellState(stale, "a", NOW).state, "applying");
});

Deno.test("cellState() says applying while a progressive rollout has not reached the cluster's revision", () => {
  const r = rep({
    applied: applied("a"),
    clusters: [ready("a", { revision: "old" })],
    rollout: { phase: "Progressing", revision: "new" },
  });
  assert.match(cellState(r, "a", NOW).reason, /revision old here, new wanted/);
});

Deno.test("cellState() says not ready with ready/desired and the cluster's message", () => {
  const r = rep({
    applied: applied("a"),
    clusters: [ready("a", { ready: false, readyReplicas: 2, message: "Deployment web: 2/3 ready" })],
  });
  assert.deepEqual(cellState(r, "a", NOW), {
    state: "not-ready",
    label: "2/3",
    reason: "Deployment web: 2/3 ready",
  });
});

Deno.test("cellState() says not ready while fewer Pods are ready than desired, even with everything applied", () => {
  const r = rep({ applied: applied("a"), clusters: [ready("a", { readyReplicas: 0 })] });
  assert.deepEqual(cellState(r, "a", NOW), {
    state: "not-ready",
    label: "0/3",
    reason: "0/3 replicas ready",
  });
});

Deno.test("cellState() reports failed before conflict, and conflict before anything else", () => {
  const both = rep({
    applied: [...applied("a", "conflict: owned by someone else"), {
      cluster: "a",
      kind: "Service",
      name: "web",
      applyStatus: "failed: forbidden",
    }],
    clusters: [ready("a")],
  });
  assert.deepEqual(cellState(both, "a", NOW), {
    state: "failed",
    label: "failed",
    reason: "Service/web: failed: forbidden",
  });
  const conflict = rep({ applied: applied("a", "conflict: owned by someone else"), clusters: [ready("a")] });
  assert.equal(cellState(conflict, "a", NOW).state, "conflict");
  assert.match(cellState(conflict, "a", NOW).reason, /ConfigMap\/web: conflict: owned by someone else/);
});

Deno.test("cellState() shows a drift corrected within 5 minutes with who changed what, then synced again", () => {
  const drift = {
    time: ago(30_000),
    kind: "Deployment",
    name: "web",
    fields: [".spec.replicas"],
    manager: "kubectl-scale",
    operation: "Update",
  };
  const recent = rep({
    applied: applied("b"),
    clusters: [ready("b", { lastDrift: drift, driftCorrections: 1 })],
  });
  assert.deepEqual(cellState(recent, "b", NOW), {
    state: "drift",
    label: "drift",
    reason: "Deployment/web changed .spec.replicas by kubectl-scale (Update); reverted 30s ago",
  });
  assert.equal(cellState(recent, "a", NOW).state, "applying", "the other cluster is unaffected");
  const old = rep({
    applied: applied("b"),
    clusters: [ready("b", { lastDrift: { ...drift, time: ago(RECENT_DRIFT_MS + 1) } })],
  });
  assert.equal(cellState(old, "b", NOW).state, "synced");
});

Deno.test("cellState() says halted in the cluster a progressive rollout halted on", () => {
  const r = rep({
    applied: [...applied("a"), ...applied("b")],
    clusters: [ready("a"), ready("b", { ready: false, readyReplicas: 0 })],
    rollout: { phase: "Halted", haltedCluster: "b", message: "b missed its 600s deadline" },
  });
  assert.equal(cellState(r, "b", NOW).state, "halted");
  assert.match(cellState(r, "b", NOW).reason, /missed its 600s deadline/);
  assert.equal(cellState(r, "a", NOW).state, "synced");
});

Deno.test("replicatorRow() has a cell for every column and summarises bad conditions", () => {
  const r = rep({
    synced: "not synced",
    conditions: [{
      type: "Degraded",
      status: "True",
      reason: "ApplyFailed",
      message: "b: forbidden",
      lastTransitionTime: NOW.toISOString(),
    }],
  });
  const row = replicatorRow(r, ["a", "b", "c"], NOW);
  assert.deepEqual(Object.keys(row.cells), ["a", "b", "c"]);
  assert.equal(row.summary, "not synced; Degraded: b: forbidden");
});

Deno.test("clusterColumns() puts the primary first and adds clusters only a status names as Unregistered", () => {
  const detector = (name: string, context: string, role: string, status?: ClusterDetector["status"]) =>
    ({
      apiVersion: API_VERSION,
      kind: "ClusterDetector",
      metadata: { name, labels: { "app.kubernetes.io/role": role, region: "east" } },
      spec: { context, cluster: name.split(".")[0]!, user: name.split(".")[1]! },
      status,
    }) as ClusterDetector;
  const columns = clusterColumns([
    detector("s.u2", "secondary", "secondary", { clusterstatus: "Unknown", reason: "connection refused" }),
    detector("p.u", "primary", "primary", { clusterstatus: "Running", kubernetesVersion: "v1.37.2" }),
  ], [rep({}, ["gone.u3"])]);
  assert.deepEqual(columns.map((c) => [c.name, c.status, c.reason]), [
    ["p.u", "Running", ""],
    ["s.u2", "Unknown", "connection refused"],
    ["gone.u3", "Unregistered", "no ClusterDetector; a Replicator's status names it"],
  ]);
  assert.deepEqual(columns[0]!.labels, { region: "east" });
});

Deno.test("nextDriftExpiry() is when the earliest recent drift stops being recent", () => {
  const at = (ms: number) => ({ time: ago(ms), kind: "ConfigMap", name: "web" });
  const r = rep({
    clusters: [ready("a", { lastDrift: at(60_000) }), ready("b", { lastDrift: at(120_000) })],
  });
  assert.equal(nextDriftExpiry([r], NOW), NOW.getTime() - 120_000 + RECENT_DRIFT_MS);
  assert.equal(nextDriftExpiry([rep({})], NOW), undefined);
});
