import assert from "node:assert/strict";
import { LABEL_ROLE } from "./api.ts";
import { mayTarget, resolveTargets, selectedIn, targetNames } from "./targets.ts";

const east = { region: "east", [LABEL_ROLE]: "secondary" };
const west = { region: "west", [LABEL_ROLE]: "secondary" };
const fleet = [
  { name: "p", labels: { region: "east", [LABEL_ROLE]: "primary" } },
  { name: "s3", labels: east },
  { name: "s1", labels: east },
  { name: "s2", labels: west },
];

Deno.test("resolveTargets() puts the primary first, then targetCluster in order, without duplicates", () => {
  const t = resolveTargets({ targetCluster: ["s2", "p", "s2", "s1"] }, "p", fleet);
  assert.deepEqual(t.targets, [
    { cluster: "p", targetedBy: ["primary", "targetCluster"] },
    { cluster: "s2", targetedBy: ["targetCluster"] },
    { cluster: "s1", targetedBy: ["targetCluster"] },
  ]);
  assert.deepEqual(targetNames(t), ["p", "s2", "s1"]);
  assert.deepEqual(t.selected, []);
  assert.deepEqual(targetNames(resolveTargets({ targetCluster: ["s1"] }, undefined, fleet)), ["s1"]);
});

Deno.test("resolveTargets() adds the secondaries a selector matches, by name, after targetCluster", () => {
  const t = resolveTargets(
    { targetCluster: ["s2", "s3"], clusterSelector: { matchLabels: { region: "east" } } },
    "p",
    fleet,
  );
  assert.deepEqual(t.targets, [
    { cluster: "p", targetedBy: ["primary"] },
    { cluster: "s2", targetedBy: ["targetCluster"] },
    { cluster: "s3", targetedBy: ["targetCluster", "clusterSelector"] },
    { cluster: "s1", targetedBy: ["clusterSelector"] },
  ]);
  // The primary matches region=east too, but a selector chooses among secondaries.
  assert.deepEqual(t.selected, ["s1", "s3"]);
  assert.deepEqual(t.problems, []);
});

Deno.test("resolveTargets() selects every secondary with {} and none without a selector", () => {
  assert.deepEqual(resolveTargets({ clusterSelector: {} }, "p", fleet).selected, ["s1", "s2", "s3"]);
  assert.deepEqual(targetNames(resolveTargets({}, "p", fleet)), ["p"]);
  // Without a known primary, a ClusterDetector labelled as the primary's is still not selected.
  assert.deepEqual(resolveTargets({ clusterSelector: {} }, undefined, fleet).selected, ["s1", "s2", "s3"]);
});

Deno.test("resolveTargets() evaluates matchExpressions", () => {
  const notEast = resolveTargets(
    {
      clusterSelector: { matchExpressions: [{ key: "region", operator: "NotIn", values: ["east"] }] },
    },
    "p",
    [...fleet, { name: "s4", labels: {} }],
  );
  assert.deepEqual(notEast.selected, ["s2", "s4"]);
  const both = resolveTargets(
    {
      clusterSelector: {
        matchLabels: { [LABEL_ROLE]: "secondary" },
        matchExpressions: [{ key: "region", operator: "In", values: ["east", "west"] }],
      },
    },
    "p",
    [...fleet, { name: "s4", labels: {} }],
  );
  assert.deepEqual(both.selected, ["s1", "s2", "s3"]);
});

Deno.test("resolveTargets() selects nothing with an invalid selector, and says why naming the field", () => {
  const t = resolveTargets(
    {
      targetCluster: ["s2"],
      clusterSelector: { matchExpressions: [{ key: "bad key!", operator: "DoesNotExist" }] },
    },
    "p",
    fleet,
  );
  assert.deepEqual(targetNames(t), ["p", "s2"]);
  assert.deepEqual(t.selected, []);
  assert.deepEqual(t.problems, [
    'spec.clusterSelector.matchExpressions[0].key: "bad key!" is not a label key',
  ]);
});

Deno.test("resolveTargets() keeps what an invalid selector selected before, and selects nothing new", () => {
  const invalid = { clusterSelector: { matchLabels: { region: "east", "bad key!": "x" } } };
  // s9 was selected but is registered no more: not kept.
  const t = resolveTargets(invalid, "p", fleet, ["s2", "s9"]);
  assert.deepEqual(t.selected, ["s2"]);
  assert.deepEqual(targetNames(t), ["p", "s2"]);
  assert.equal(t.problems.length, 1);
});

Deno.test("resolveTargets() keeps a cluster whose labels are unknown selected only if it was", () => {
  const clusters = [{ name: "s1" }, { name: "s2" }, { name: "s3", labels: west }];
  const t = resolveTargets({ clusterSelector: { matchLabels: { region: "east" } } }, "p", clusters, [
    "s1",
    "s3",
  ]);
  // s1: unknown labels, selected before: kept; s2: unknown, not selected before; s3: known, no longer matches.
  assert.deepEqual(t.selected, ["s1"]);
});

Deno.test("selectedIn() reads the clusters a status says the selector chose", () => {
  assert.deepEqual(
    selectedIn({
      clusters: [
        { name: "p", ready: true, targetedBy: ["primary"] },
        { name: "s1", ready: true, targetedBy: ["targetCluster", "clusterSelector"] },
        { name: "s2", ready: false },
      ],
    }),
    ["s1"],
  );
  assert.deepEqual(selectedIn(undefined), []);
});

Deno.test("mayTarget() is true for a named cluster or labels the selector matches", () => {
  const spec = { targetCluster: ["s9"], clusterSelector: { matchLabels: { region: "east" } } };
  assert.equal(mayTarget(spec, "s9", {}), true);
  assert.equal(mayTarget(spec, "s1", east), true);
  assert.equal(mayTarget(spec, "s2", west), false);
  assert.equal(mayTarget({ targetCluster: ["s9"] }, "s1", east), false);
  assert.equal(mayTarget({ clusterSelector: {} }, "s1", undefined), true);
});
