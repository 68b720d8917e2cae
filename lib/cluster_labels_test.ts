import assert from "node:assert/strict";
import {
  applyLabelChanges,
  decideLabelSync,
  formatLabels,
  formatSyncedLabels,
  isLabelValue,
  isReservedLabel,
  labelProblems,
  parseLabelChange,
  parseSyncedLabels,
  userLabels,
} from "./cluster_labels.ts";

Deno.test("isLabelValue() follows the Kubernetes label value rule", () => {
  for (const ok of ["", "east", "a.b_c-d", "A1", "x".repeat(63)]) assert.equal(isLabelValue(ok), true, ok);
  for (const bad of ["-a", "a-", "a b", "a/b", "x".repeat(64), "é"]) {
    assert.equal(isLabelValue(bad), false, bad);
  }
});

Deno.test("plumber's own labels are reserved, and userLabels() leaves them out", () => {
  assert.equal(isReservedLabel("app.kubernetes.io/role"), true);
  assert.equal(isReservedLabel("app.kubernetes.io/managed-by"), true);
  assert.equal(isReservedLabel("plumber.jnytnai0613.github.io/anything"), true);
  assert.equal(isReservedLabel("app.kubernetes.io/name"), false);
  assert.deepEqual(
    userLabels({
      "app.kubernetes.io/role": "secondary",
      region: "east",
      "plumber.jnytnai0613.github.io/x": "1",
    }),
    { region: "east" },
  );
});

Deno.test("parseLabelChange() reads k=v and k-, and names the argument and the problem", () => {
  assert.deepEqual(parseLabelChange("region=east"), { key: "region", value: "east" });
  assert.deepEqual(parseLabelChange("example.com/tier="), { key: "example.com/tier", value: "" });
  assert.deepEqual(parseLabelChange("region-", { allowRemove: true }), { key: "region", remove: true });
  const cases: [string, RegExp][] = [
    ["region", /^"region" is not a label: expected key=value$/],
    ["Bad Key=x", /^"Bad Key=x": "Bad Key" is not a valid label key/],
    ["region=we st", /^"region=we st": value "we st" of label "region" is not a valid label value/],
    ["app.kubernetes.io/role=x", /^"app.kubernetes.io\/role=x": "app.kubernetes.io\/role" is reserved/],
    ["plumber.jnytnai0613.github.io/x=y", /is reserved: plumber sets/],
    ["region-", /is not a label: expected key=value$/],
  ];
  for (const [text, message] of cases) {
    assert.throws(
      () => parseLabelChange(text),
      (e: unknown) => e instanceof RangeError && message.test(e.message),
    );
  }
  assert.throws(
    () => parseLabelChange("app.kubernetes.io/managed-by-", { allowRemove: true }),
    /is reserved/,
  );
});

Deno.test("labelProblems() lists every bad key and value", () => {
  assert.deepEqual(labelProblems({ region: "east" }), []);
  assert.equal(labelProblems({ "bad key": "x", ok: "-bad", "app.kubernetes.io/role": "x" }).length, 3);
});

Deno.test("applyLabelChanges() adds, removes, and changes a value only with overwrite", () => {
  const labels = { region: "east", tier: "big" };
  assert.deepEqual(
    applyLabelChanges(labels, [{ key: "zone", value: "a" }, { key: "tier", remove: true }]),
    { region: "east", zone: "a" },
  );
  assert.deepEqual(applyLabelChanges(labels, [{ key: "region", value: "east" }]), labels);
  assert.throws(
    () => applyLabelChanges(labels, [{ key: "region", value: "west" }]),
    /label "region" already has the value "east"; pass --overwrite to change it to "west"/,
  );
  assert.deepEqual(applyLabelChanges(labels, [{ key: "region", value: "west" }], { overwrite: true }), {
    region: "west",
    tier: "big",
  });
  assert.deepEqual(labels, { region: "east", tier: "big" }, "the input is not modified");
});

Deno.test("decideLabelSync(): the side that changed since the base wins; the Secret wins when both did", () => {
  const east = { region: "east" };
  const west = { region: "west" };
  // In step.
  assert.deepEqual(decideLabelSync({ secret: east, object: east, base: east }), { action: "none" });
  assert.deepEqual(decideLabelSync({ object: {}, base: {} }), { action: "none" });
  // In step, base missing or stale: record it only.
  assert.deepEqual(decideLabelSync({ secret: east, object: east }), { action: "base", labels: east });
  assert.deepEqual(decideLabelSync({ secret: east, object: east, base: west }), {
    action: "base",
    labels: east,
  });
  // No object yet: it gets the Secret's labels.
  assert.deepEqual(decideLabelSync({ secret: east }), { action: "object", labels: east });
  assert.deepEqual(decideLabelSync({}), { action: "object", labels: {} });
  // Object changed (kubectl label): mirrored into the Secret.
  assert.deepEqual(decideLabelSync({ secret: east, object: west, base: east }), {
    action: "secret",
    labels: west,
  });
  assert.deepEqual(decideLabelSync({ object: east, base: {} }), { action: "secret", labels: east });
  // Secret changed: the object follows.
  assert.deepEqual(decideLabelSync({ secret: west, object: east, base: east }), {
    action: "object",
    labels: west,
  });
  assert.deepEqual(decideLabelSync({ secret: {}, object: east, base: east }), {
    action: "object",
    labels: {},
  });
  // Both changed: the Secret wins.
  assert.deepEqual(
    decideLabelSync({ secret: west, object: { region: "north" }, base: east }),
    { action: "object", labels: west },
  );
  // Never synced: a Secret with labels wins; without them, the object's labels are kept and stored.
  assert.deepEqual(decideLabelSync({ secret: east, object: west }), { action: "object", labels: east });
  assert.deepEqual(decideLabelSync({ object: west }), { action: "secret", labels: west });
});

Deno.test("the synced-labels annotation round-trips, and anything else reads as absent", () => {
  assert.deepEqual(parseSyncedLabels(formatSyncedLabels({ b: "2", a: "1" })), { a: "1", b: "2" });
  assert.equal(formatSyncedLabels({ b: "2", a: "1" }), '{"a":"1","b":"2"}');
  for (const bad of [undefined, "", "x", "[]", "null", '{"a":1}']) {
    assert.equal(parseSyncedLabels(bad), undefined);
  }
});

Deno.test("formatLabels() sorts by key", () => {
  assert.equal(formatLabels({ z: "1", a: "" }), "a=,z=1");
  assert.equal(formatLabels({}), "<none>");
});
