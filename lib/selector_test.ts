import assert from "node:assert/strict";
import { formatSelector, isLabelKey, matchesSelector, selectorProblems } from "./selector.ts";

Deno.test("matchesSelector() needs every matchLabels entry", () => {
  assert.equal(matchesSelector({ matchLabels: { region: "east" } }, { region: "east", tier: "big" }), true);
  assert.equal(matchesSelector({ matchLabels: { region: "east" } }, { region: "west" }), false);
  assert.equal(matchesSelector({ matchLabels: { region: "east", tier: "big" } }, { region: "east" }), false);
  assert.equal(matchesSelector({ matchLabels: { region: "east" } }, undefined), false);
});

Deno.test("matchesSelector() evaluates In, NotIn, Exists and DoesNotExist as Kubernetes does", () => {
  const l = { region: "east" };
  assert.equal(
    matchesSelector({ matchExpressions: [{ key: "region", operator: "In", values: ["east", "west"] }] }, l),
    true,
  );
  assert.equal(
    matchesSelector({ matchExpressions: [{ key: "region", operator: "In", values: ["west"] }] }, l),
    false,
  );
  assert.equal(
    matchesSelector({ matchExpressions: [{ key: "zone", operator: "In", values: ["a"] }] }, l),
    false,
  );
  assert.equal(
    matchesSelector({ matchExpressions: [{ key: "region", operator: "NotIn", values: ["east"] }] }, l),
    false,
  );
  // NotIn matches objects without the label, as in Kubernetes.
  assert.equal(
    matchesSelector({ matchExpressions: [{ key: "zone", operator: "NotIn", values: ["a"] }] }, l),
    true,
  );
  assert.equal(matchesSelector({ matchExpressions: [{ key: "region", operator: "Exists" }] }, l), true);
  assert.equal(
    matchesSelector({ matchExpressions: [{ key: "region", operator: "DoesNotExist" }] }, l),
    false,
  );
  assert.equal(matchesSelector({ matchExpressions: [{ key: "region", operator: "Bogus" }] }, l), false);
});

Deno.test("matchesSelector() with an empty selector matches everything", () => {
  assert.equal(matchesSelector({}, {}), true);
  assert.equal(matchesSelector({ matchLabels: {}, matchExpressions: [] }, { a: "b" }), true);
});

Deno.test("isLabelKey() accepts [prefix/]name keys and refuses the rest", () => {
  for (const key of ["region", "topology.kubernetes.io/region", "a", "a_b.c-d", "example.com/x"]) {
    assert.equal(isLabelKey(key), true, key);
  }
  for (const key of ["", "-a", "a-", "Example.com/x", "a/b/c", "x".repeat(64), "/name", "pre fix/name"]) {
    assert.equal(isLabelKey(key), false, key);
  }
});

Deno.test("selectorProblems() names the field and the value", () => {
  assert.deepEqual(selectorProblems({ matchLabels: { region: "east" } }, "spec.clusterSelector"), []);
  assert.deepEqual(
    selectorProblems({
      matchLabels: { "bad key": "x" },
      matchExpressions: [
        { key: "zone", operator: "In" },
        { key: "tier", operator: "Exists", values: ["a"] },
        { key: "x", operator: "Near", values: ["a"] },
      ],
    }, "spec.overrides[1].clusterSelector"),
    [
      'spec.overrides[1].clusterSelector.matchLabels: "bad key" is not a label key',
      "spec.overrides[1].clusterSelector.matchExpressions[0].values: In needs at least one value",
      "spec.overrides[1].clusterSelector.matchExpressions[1].values: Exists takes no values",
      'spec.overrides[1].clusterSelector.matchExpressions[2].operator: "Near" is not In, NotIn, Exists or DoesNotExist',
    ],
  );
});

Deno.test("formatSelector() writes kubectl's -l syntax", () => {
  assert.equal(
    formatSelector({
      matchLabels: { region: "east" },
      matchExpressions: [
        { key: "tier", operator: "In", values: ["big", "huge"] },
        { key: "gpu", operator: "Exists" },
        { key: "old", operator: "DoesNotExist" },
      ],
    }),
    "region=east,tier in (big,huge),gpu,!old",
  );
  assert.equal(formatSelector({}), "(everything)");
});
