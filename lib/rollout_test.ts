import assert from "node:assert/strict";
import {
  type ClusterRolloutState,
  decideRollout,
  maxConcurrentOf,
  revisionOf,
  rolloutOrder,
  type RolloutSpec,
  specAtRevision,
} from "./rollout.ts";
import type { ReplicatorSpec } from "./api.ts";

const PROGRESSIVE: RolloutSpec = { strategy: "Progressive", progressDeadlineSeconds: 60 };
const NOW = 1_000_000;

function clusters(...states: Array<[string, string | undefined, boolean, number?]>): ClusterRolloutState[] {
  return states.map(([name, revision, ready, since]) => ({ name, revision, ready, since }));
}

const assigned = (d: { assign: Map<string, string> }) => Object.fromEntries(d.assign);

Deno.test("rolloutOrder() puts order[] first, then the primary, targetCluster order, then names", () => {
  const targets = [
    { cluster: "z", targetedBy: ["clusterSelector"] },
    { cluster: "b", targetedBy: ["targetCluster"] },
    { cluster: "a", targetedBy: ["clusterSelector"] },
    { cluster: "p", targetedBy: ["primary"] },
    { cluster: "c", targetedBy: ["targetCluster", "clusterSelector"] },
  ];
  assert.deepEqual(rolloutOrder(targets, ["c", "b"]), ["p", "c", "b", "a", "z"]);
  assert.deepEqual(rolloutOrder(targets, ["c", "b"], ["z", "nothere", "b"]), ["z", "b", "p", "c", "a"]);
});

Deno.test("maxConcurrentOf() takes numbers and percents (rounded down, at least 1)", () => {
  assert.equal(maxConcurrentOf(undefined, 5), 1);
  assert.equal(maxConcurrentOf(2, 5), 2);
  assert.equal(maxConcurrentOf("50%", 5), 2);
  assert.equal(maxConcurrentOf("10%", 5), 1);
  assert.equal(maxConcurrentOf("100%", 5), 5);
  assert.throws(() => maxConcurrentOf("0%", 5), /spec\.rollout\.maxConcurrentClusters "0%"/);
  assert.throws(() => maxConcurrentOf(0, 5), /maxConcurrentClusters "0"/);
});

Deno.test("revisionOf() ignores where and how, and specAtRevision() keeps them", async () => {
  const spec = { replicationNamespace: "app", deploymentName: "web", targetCluster: ["a"] } as ReplicatorSpec;
  const moved = { ...spec, targetCluster: ["b"], rollout: { strategy: "Progressive" }, suspend: true };
  assert.equal(await revisionOf(spec), await revisionOf(moved as ReplicatorSpec));
  assert.match(await revisionOf(spec), /^[0-9a-f]{10}$/);
  assert.notEqual(await revisionOf(spec), await revisionOf({ ...spec, deploymentName: "api" }));
  const old = specAtRevision(moved as ReplicatorSpec, { replicationNamespace: "app", deploymentName: "old" });
  assert.deepEqual(old, {
    replicationNamespace: "app",
    deploymentName: "old",
    targetCluster: ["b"],
    rollout: { strategy: "Progressive" },
    suspend: true,
  });
});

Deno.test("decideRollout() with strategy All moves every cluster at once", () => {
  const d = decideRollout({
    clusters: clusters(["p", "r1", true], ["s", "r1", true]),
    revision: "r2",
    now: NOW,
  });
  assert.deepEqual(assigned(d), { p: "r2", s: "r2" });
  assert.deepEqual(d.started, ["p", "s"]);
  assert.equal(d.phase, "Progressing");
  assert.equal(d.requeueAfterMs, undefined);
});

Deno.test("decideRollout() applies a new Replicator everywhere unless applyOnCreate is Progressive", () => {
  const fresh = clusters(["p", undefined, false], ["s1", undefined, false], ["s2", undefined, false]);
  const d = decideRollout({ clusters: fresh, revision: "r1", rollout: PROGRESSIVE, now: NOW });
  assert.deepEqual(assigned(d), { p: "r1", s1: "r1", s2: "r1" });
  const p = decideRollout({
    clusters: fresh,
    revision: "r1",
    rollout: { ...PROGRESSIVE, applyOnCreate: "Progressive" },
    now: NOW,
  });
  assert.deepEqual(assigned(p), { p: "r1" }, "the others get nothing yet");
  assert.equal(p.updatedClusters, 1);
});

Deno.test("decideRollout() starts one cluster at a time, the next once it is ready", () => {
  const input = (states: ClusterRolloutState[]) =>
    decideRollout({ clusters: states, revision: "r2", rollout: PROGRESSIVE, now: NOW });
  let d = input(clusters(["p", "r1", true], ["s1", "r1", true], ["s2", "r1", true]));
  assert.deepEqual(assigned(d), { p: "r2", s1: "r1", s2: "r1" });
  assert.deepEqual(d.started, ["p"]);
  assert.deepEqual(d.currentClusters, ["p"]);
  assert.equal(d.requeueAfterMs, 60_000);
  assert.equal(d.phase, "Progressing");
  assert.equal(d.message, "Revision r2: 1/3 clusters updated, waiting for p");
  // Still not ready: nothing new starts; the deadline counts from the start.
  d = input(clusters(["p", "r2", false, NOW - 20_000], ["s1", "r1", true], ["s2", "r1", true]));
  assert.deepEqual(assigned(d), { p: "r2", s1: "r1", s2: "r1" });
  assert.deepEqual(d.started, []);
  assert.equal(d.requeueAfterMs, 40_000);
  // Ready: the next one starts.
  d = input(clusters(["p", "r2", true, NOW - 20_000], ["s1", "r1", true], ["s2", "r1", true]));
  assert.deepEqual(assigned(d), { p: "r2", s1: "r2", s2: "r1" });
  assert.deepEqual(d.started, ["s1"]);
  d = input(clusters(["p", "r2", true], ["s1", "r2", true], ["s2", "r2", true]));
  assert.equal(d.phase, "Complete");
  assert.equal(d.message, "Revision r2 is ready in 3 clusters");
  assert.equal(d.requeueAfterMs, undefined);
});

Deno.test("decideRollout() honours maxConcurrentClusters", () => {
  const d = decideRollout({
    clusters: clusters(["a", "r1", true], ["b", "r1", true], ["c", "r1", true], ["d", "r1", true]),
    revision: "r2",
    rollout: { ...PROGRESSIVE, maxConcurrentClusters: "50%" },
    now: NOW,
  });
  assert.deepEqual(assigned(d), { a: "r2", b: "r2", c: "r1", d: "r1" });
});

Deno.test("decideRollout() halts at a cluster past its deadline and keeps the rest on their revision", () => {
  const states = clusters(["p", "r2", true], ["s1", "r2", false, NOW - 60_000], ["s2", "r1", true]);
  states[1]!.message = "0/3 ready";
  const d = decideRollout({ clusters: states, revision: "r2", rollout: PROGRESSIVE, now: NOW });
  assert.equal(d.phase, "Halted");
  assert.equal(d.haltedCluster, "s1");
  assert.deepEqual(assigned(d), { p: "r2", s1: "r2", s2: "r1" });
  assert.equal(
    d.message,
    "Revision r2 halted: cluster s1 not ready within 60 s (0/3 ready); 1 cluster kept on the previous revision",
  );
  assert.equal(d.requeueAfterMs, undefined);
  // It becomes ready after all: the rollout goes on.
  const after = decideRollout({
    clusters: clusters(["p", "r2", true], ["s1", "r2", true, NOW - 90_000], ["s2", "r1", true]),
    revision: "r2",
    rollout: PROGRESSIVE,
    now: NOW,
  });
  assert.deepEqual([after.phase, after.started], ["Progressing", ["s2"]]);
});

Deno.test("decideRollout() restarts from the first cluster when a new revision replaces a halted one", () => {
  const d = decideRollout({
    clusters: clusters(["p", "r2", true], ["s1", "r2", false, NOW - 600_000], ["s2", "r1", true]),
    revision: "r3",
    rollout: PROGRESSIVE,
    now: NOW,
  });
  assert.equal(d.phase, "Progressing");
  assert.deepEqual(assigned(d), { p: "r3", s1: "r2", s2: "r1" });
  assert.equal(d.since.get("p"), NOW);
});

Deno.test("decideRollout() gives a newly targeted cluster the current revision at once", () => {
  const d = decideRollout({
    clusters: clusters(["p", "r1", true], ["new", undefined, false]),
    revision: "r1",
    rollout: PROGRESSIVE,
    now: NOW,
  });
  assert.deepEqual(assigned(d), { p: "r1", new: "r1" });
  assert.deepEqual(d.started, ["new"]);
});

Deno.test("decideRollout() counts the deadline of a cluster that never got its revision from when it was given", () => {
  const states = clusters(["p", "r2", true], ["s1", "r1", false], ["s2", "r1", true]);
  states[1]!.pendingSince = NOW - 60_000;
  const d = decideRollout({ clusters: states, revision: "r2", rollout: PROGRESSIVE, now: NOW });
  assert.deepEqual([d.phase, d.haltedCluster], ["Halted", "s1"]);
  assert.deepEqual(assigned(d), { p: "r2", s1: "r2", s2: "r1" });
});
