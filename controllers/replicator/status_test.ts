import assert from "node:assert/strict";
import { API_VERSION, findCondition, type Replicator, REPLICATOR_KIND } from "../../lib/api.ts";
import { type ClusterOutcome, emptyOutcome } from "./plan.ts";
import { resolveTargets } from "../../lib/targets.ts";
import {
  AVAILABLE,
  CLUSTERS_SELECTED,
  computeStatus,
  isOwnStatusWrite,
  sameReplicatorStatus,
  selectionCondition,
  SUSPENDED,
} from "./status.ts";

const T0 = new Date("2026-01-01T00:00:00Z");
const T1 = new Date("2026-01-01T01:00:00Z");

function replicator(status?: Replicator["status"], spec: Partial<Replicator["spec"]> = {}): Replicator {
  return {
    apiVersion: API_VERSION,
    kind: REPLICATOR_KIND,
    metadata: { name: "web", uid: "u-1", generation: 3 },
    spec: { replicationNamespace: "ns", ...spec },
    status,
  };
}

function synced(cluster: string): ClusterOutcome {
  return {
    ...emptyOutcome(cluster),
    ok: true,
    applied: [{ cluster, kind: "ConfigMap", name: "cm", applyStatus: "applied" }],
    replicas: 2,
    readyReplicas: 2,
    ready: true,
  };
}

Deno.test("computeStatus() is Ready when every cluster synced", () => {
  const { status, synced: ok, degradedMessage } = computeStatus(
    replicator(),
    [synced("p"), synced("s1")],
    {},
    T0,
  );
  assert.equal(ok, true);
  assert.equal(degradedMessage, "");
  assert.equal(status.synced, "synced");
  assert.equal(status.observedGeneration, 3);
  assert.equal(status.applied?.length, 2);
  assert.deepEqual(status.clusters, [
    { name: "p", ready: true, replicas: 2, readyReplicas: 2 },
    { name: "s1", ready: true, replicas: 2, readyReplicas: 2 },
  ]);
  const ready = findCondition(status.conditions, "Ready")!;
  assert.deepEqual([ready.status, ready.reason, ready.message], [
    "True",
    "Synced",
    "Replicated to 2 clusters",
  ]);
  assert.equal(findCondition(status.conditions, "Degraded")?.status, "False");
  assert.equal(findCondition(status.conditions, "NamespaceKept"), undefined);
});

Deno.test("computeStatus() is Degraded with each cluster's and the extra failure's message", () => {
  const down = { ...emptyOutcome("s1"), message: `cluster "s1" is Unknown` };
  const { status, synced: ok, degradedMessage } = computeStatus(
    replicator(),
    [synced("p"), down],
    { extraFailure: "cannot prune cluster s2: timeout" },
    T0,
  );
  assert.equal(ok, false);
  assert.equal(status.synced, "not synced");
  assert.equal(degradedMessage, `cluster "s1" is Unknown; cannot prune cluster s2: timeout`);
  assert.equal(findCondition(status.conditions, "Ready")?.message, "1 of 2 clusters not synced");
  assert.equal(findCondition(status.conditions, "Degraded")?.message, degradedMessage);
  assert.deepEqual(status.clusters?.[1], { name: "s1", ready: false, message: `cluster "s1" is Unknown` });
});

Deno.test("computeStatus() keeps applied[] while clean-up waits", () => {
  const before = computeStatus(replicator(), [synced("s1")], {}, T0).status;
  const { status } = computeStatus(replicator(before), [], {
    extraFailure: "cannot clean up",
    keepApplied: true,
  }, T1);
  assert.deepEqual(status.applied, before.applied);
  assert.equal(status.synced, "not synced");
});

Deno.test("computeStatus() reports a kept namespace, then clears the condition once it is counted", () => {
  const kept =
    computeStatus(replicator(), [synced("p")], { kept: ["Kept namespace ns in s2: 403"] }, T0).status;
  assert.equal(kept.synced, "synced", "keeping a namespace is the safe outcome, not a failure");
  assert.equal(findCondition(kept.conditions, "NamespaceKept")?.status, "True");
  const cleared = computeStatus(replicator(kept), [synced("p")], {}, T1).status;
  assert.equal(findCondition(cleared.conditions, "NamespaceKept")?.status, "False");
});

Deno.test("sameReplicatorStatus() ignores transition times and key order, nothing else", () => {
  const first = computeStatus(replicator(), [synced("p")], {}, T0).status;
  // The same outcome an hour later, conditions flipped and back: only lastTransitionTime differs.
  const flipped = computeStatus(replicator(first), [emptyOutcome("p")], {}, T1).status;
  const back = computeStatus(replicator(flipped), [synced("p")], {}, T1).status;
  assert.notEqual(
    findCondition(back.conditions, "Ready")?.lastTransitionTime,
    findCondition(first.conditions, "Ready")?.lastTransitionTime,
  );
  assert.equal(sameReplicatorStatus(first, back), true);
  // As the API server returns it: keys in another order.
  const reordered = JSON.parse(
    JSON.stringify({ clusters: first.clusters, conditions: first.conditions, ...first }),
  );
  assert.equal(sameReplicatorStatus(reordered, first), true);
  assert.equal(sameReplicatorStatus(first, flipped), false);
  assert.equal(sameReplicatorStatus(undefined, first), false);
  const otherReplicas =
    computeStatus(replicator(first), [{ ...synced("p"), readyReplicas: 1 }], {}, T0).status;
  assert.equal(sameReplicatorStatus(first, otherReplicas), false);
});

Deno.test("computeStatus() of a steady state equals the stored status (no write)", () => {
  const stored = computeStatus(replicator(), [synced("p"), synced("s1")], {}, T0).status;
  const next = computeStatus(replicator(stored), [synced("p"), synced("s1")], {}, T1).status;
  assert.equal(sameReplicatorStatus(stored, next), true);
  assert.deepEqual(next, stored, "a status unchanged keeps its transition times");
});

const fleet = [{ name: "s1", labels: { region: "east" } }, { name: "s2", labels: { region: "west" } }];

Deno.test("computeStatus() says why each cluster is targeted", () => {
  const spec = { targetCluster: ["s2"], clusterSelector: { matchLabels: { region: "east" } } };
  const targeting = resolveTargets(spec, "p", fleet);
  const { status } = computeStatus(
    replicator(undefined, spec),
    [synced("p"), synced("s2"), synced("s1"), emptyOutcome("gone")],
    { targeting },
    T0,
  );
  assert.deepEqual(status.clusters?.map((c) => [c.name, c.targetedBy]), [
    ["p", ["primary"]],
    ["s2", ["targetCluster"]],
    ["s1", ["clusterSelector"]],
    // Not targeted (an unregistered cluster still holding objects): reported, without a reason.
    ["gone", undefined],
  ]);
  const selected = findCondition(status.conditions, CLUSTERS_SELECTED)!;
  assert.deepEqual([selected.status, selected.reason, selected.message], [
    "True",
    "Selected",
    `clusterSelector "region=east" selects 1 cluster: s1`,
  ]);
});

Deno.test("computeStatus() reports an empty selection as a condition, not a failure", () => {
  const spec = { clusterSelector: { matchLabels: { region: "north" } } };
  const { status, synced: ok } = computeStatus(
    replicator(undefined, spec),
    [synced("p")],
    { targeting: resolveTargets(spec, "p", fleet) },
    T0,
  );
  assert.equal(ok, true, "the primary is synced: nothing to retry");
  const selected = findCondition(status.conditions, CLUSTERS_SELECTED)!;
  assert.deepEqual([selected.status, selected.reason, selected.message], [
    "False",
    "NoClusterMatches",
    `clusterSelector "region=north" matches no registered secondary cluster; only the primary is targeted`,
  ]);
  const withNamed = selectionCondition(
    replicator(undefined, { ...spec, targetCluster: ["s2"] }),
    resolveTargets({ ...spec, targetCluster: ["s2"] }, "p", fleet),
  );
  assert.equal(withNamed?.message, `clusterSelector "region=north" matches no registered secondary cluster`);
});

Deno.test("computeStatus() reports an invalid selector as Degraded, naming the field and the key", () => {
  const spec = { clusterSelector: { matchLabels: { "-bad": "x" } } };
  const { status, synced: ok, degradedMessage } = computeStatus(
    replicator(undefined, spec),
    [synced("p")],
    { targeting: resolveTargets(spec, "p", fleet) },
    T0,
  );
  assert.equal(ok, false);
  const expected =
    `Invalid spec.clusterSelector (spec.clusterSelector.matchLabels: "-bad" is not a label key); it selects no cluster`;
  assert.equal(degradedMessage, expected);
  const selected = findCondition(status.conditions, CLUSTERS_SELECTED)!;
  assert.deepEqual([selected.status, selected.reason, selected.message], [
    "False",
    "InvalidSelector",
    expected,
  ]);
});

Deno.test("computeStatus() drops the selection condition once the selector is removed, keeps it without targeting", () => {
  const spec = { clusterSelector: {} };
  const first = computeStatus(replicator(undefined, spec), [synced("p")], {
    targeting: resolveTargets(spec, "p", fleet),
  }, T0).status;
  assert.equal(
    findCondition(first.conditions, CLUSTERS_SELECTED)?.message,
    `clusterSelector "(everything)" selects 2 clusters: s1, s2`,
  );
  const untouched =
    computeStatus(replicator(first, spec), [], { extraFailure: "x", keepApplied: true }, T1).status;
  assert.ok(findCondition(untouched.conditions, CLUSTERS_SELECTED));
  const removed =
    computeStatus(replicator(first), [synced("p")], { targeting: resolveTargets({}, "p", fleet) }, T1)
      .status;
  assert.equal(findCondition(removed.conditions, CLUSTERS_SELECTED), undefined);
});

Deno.test("selectionCondition() lists at most ten clusters", () => {
  const many = Array.from({ length: 12 }, (_, i) => ({ name: `c${String(i).padStart(2, "0")}`, labels: {} }));
  const message = selectionCondition(
    replicator(undefined, { clusterSelector: {} }),
    resolveTargets({ clusterSelector: {} }, "p", many),
  )
    ?.message;
  assert.equal(
    message,
    `clusterSelector "(everything)" selects 12 clusters: c00, c01, c02, c03, c04, c05, c06, c07, c08, c09 and 2 more`,
  );
});

Deno.test("invalidSelectorMessage() names the clusters an invalid selector keeps", () => {
  const spec = { clusterSelector: { matchLabels: { "-bad": "x" } } };
  const { status } = computeStatus(replicator(undefined, spec), [synced("p"), synced("s1")], {
    targeting: resolveTargets(spec, "p", fleet, ["s1"]),
  }, T0);
  assert.equal(
    findCondition(status.conditions, CLUSTERS_SELECTED)?.message,
    `Invalid spec.clusterSelector (spec.clusterSelector.matchLabels: "-bad" is not a label key); ` +
      "it selects no new cluster and keeps the 1 it selected before: s1",
  );
});

Deno.test("computeStatus() has no Suspended condition until suspended, True while, False (Resumed) after", () => {
  const never = computeStatus(replicator(), [synced("p")], {}, T0).status;
  assert.equal(findCondition(never.conditions, SUSPENDED), undefined);
  const paused = computeStatus(replicator(undefined, { suspend: true }), [synced("p")], {}, T0).status;
  const on = findCondition(paused.conditions, SUSPENDED);
  assert.equal(on?.status, "True");
  assert.equal(on?.reason, "Suspended");
  const resumed = computeStatus(replicator(paused, { suspend: false }), [synced("p")], {}, T1).status;
  const off = findCondition(resumed.conditions, SUSPENDED);
  assert.equal(off?.status, "False");
  assert.equal(off?.reason, "Resumed");
});

Deno.test("computeStatus() is Available only when every cluster is ready, naming those that are not", () => {
  const { status } = computeStatus(replicator(), [synced("p"), synced("s1")], {}, T0);
  const available = findCondition(status.conditions, AVAILABLE)!;
  assert.deepEqual([available.status, available.message], ["True", "Ready in 2 clusters"]);
  const slow = { ...synced("s1"), ready: false, readyMessage: "2/3 ready" };
  const down = { ...emptyOutcome("s2"), message: `cluster "s2" is Unknown` };
  const next = computeStatus(replicator(status), [synced("p"), slow, down], {}, T1).status;
  const notAvailable = findCondition(next.conditions, AVAILABLE)!;
  assert.deepEqual([notAvailable.status, notAvailable.reason, notAvailable.message], [
    "False",
    "ClustersNotReady",
    `s1: 2/3 ready; s2: cluster "s2" is Unknown`,
  ]);
  assert.deepEqual(next.clusters?.map((c) => [c.name, c.ready, c.message]), [
    ["p", true, undefined],
    ["s1", false, "2/3 ready"],
    ["s2", false, `cluster "s2" is Unknown`],
  ]);
  // Ready (everything applied) stays apart from Available.
  assert.equal(
    findCondition(computeStatus(replicator(), [synced("p"), slow], {}, T1).status.conditions, "Ready")
      ?.status,
    "True",
  );
});

Deno.test("computeStatus() reports the rollout: status.rollout, clusters[].revision and RolloutHalted", () => {
  const { status } = computeStatus(replicator(), [synced("p"), synced("s1")], {
    rollout: {
      status: {
        revision: "r2",
        strategy: "Progressive",
        phase: "Halted",
        haltedCluster: "s1",
        message: "halted",
      },
      halted: {
        type: "RolloutHalted",
        status: "True",
        reason: "ProgressDeadlineExceeded",
        message: "halted",
      },
      revisions: new Map([["p", "r2"], ["s1", "r1"]]),
    },
  }, T0);
  assert.deepEqual(status.rollout?.phase, "Halted");
  assert.deepEqual(status.clusters?.map((c) => c.revision), ["r2", "r1"]);
  assert.equal(findCondition(status.conditions, "RolloutHalted")?.status, "True");
});

Deno.test("isOwnStatusWrite(): only a new version of the reconciled generation, not deleting, holding the status written", () => {
  const status: NonNullable<Replicator["status"]> = { synced: "synced", applied: [] };
  const reconciled = { ...replicator(), metadata: { ...replicator().metadata, resourceVersion: "10" } };
  const written = (meta: Record<string, unknown>, s: unknown = status) => ({
    metadata: { ...reconciled.metadata, resourceVersion: "11", ...meta },
    status: s,
  });
  assert.equal(isOwnStatusWrite(reconciled, written({}), status), true);
  assert.equal(
    isOwnStatusWrite(reconciled, written({ resourceVersion: "10" }), status),
    false,
    "nothing changed",
  );
  assert.equal(isOwnStatusWrite(reconciled, written({ generation: 4 }), status), false, "someone's new spec");
  assert.equal(
    isOwnStatusWrite(reconciled, written({ deletionTimestamp: "2026-01-01T00:00:00Z" }), status),
    false,
    "being deleted",
  );
  assert.equal(
    isOwnStatusWrite(reconciled, written({}, { synced: "not synced" }), status),
    false,
    "another status",
  );
  assert.equal(isOwnStatusWrite(reconciled, undefined, status), false);
});
