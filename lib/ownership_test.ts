import assert from "node:assert/strict";
import { LABEL_MANAGED_BY, LABEL_REPLICATOR, MANAGED_BY_VALUE } from "./api.ts";
import {
  LABEL_PRIMARY,
  LABEL_REPLICATOR_UID,
  mayChange,
  type Owner,
  ownerLabels,
  ownershipOf,
  writtenByPrimary,
} from "./ownership.ts";

const owner: Owner = { primaryId: "p-1", replicator: "web", replicatorUid: "u-1" };
const marks = (extra: Record<string, string> = {}) => ({
  [LABEL_MANAGED_BY]: MANAGED_BY_VALUE,
  [LABEL_REPLICATOR]: "web",
  ...extra,
});

Deno.test("ownershipOf() owns an object carrying every mark of this primary and Replicator", () => {
  assert.deepEqual(ownershipOf(ownerLabels(owner), owner), { kind: "owned" });
});

Deno.test("ownershipOf() refuses an object without plumber's managed-by label", () => {
  assert.deepEqual(ownershipOf({ [LABEL_MANAGED_BY]: "helm", [LABEL_REPLICATOR]: "web" }, owner), {
    kind: "foreign",
    reason: "exists and is not managed by plumber",
  });
  assert.equal(ownershipOf(undefined, owner).kind, "foreign");
});

Deno.test("ownershipOf() refuses another Replicator's object", () => {
  const result = ownershipOf(marks({ [LABEL_REPLICATOR]: "api" }), owner);
  assert.deepEqual(result, { kind: "foreign", reason: "managed by Replicator api" });
});

Deno.test("ownershipOf() refuses the same Replicator name of another primary cluster", () => {
  const result = ownershipOf(marks({ [LABEL_PRIMARY]: "p-2", [LABEL_REPLICATOR_UID]: "u-9" }), owner);
  assert.equal(result.kind, "foreign");
  assert.match((result as { reason: string }).reason, /another primary cluster \(kube-system uid p-2\)/);
});

Deno.test("ownershipOf() refuses an earlier Replicator of the same name (re-created: new uid)", () => {
  const result = ownershipOf(marks({ [LABEL_PRIMARY]: "p-1", [LABEL_REPLICATOR_UID]: "u-0" }), owner);
  assert.equal(result.kind, "foreign");
  assert.match((result as { reason: string }).reason, /earlier Replicator named web \(uid u-0\)/);
  assert.equal(mayChange(marks({ [LABEL_PRIMARY]: "p-1", [LABEL_REPLICATOR_UID]: "u-0" }), owner), false);
});

Deno.test("ownershipOf() adopts an object of release 0.1 (name labels only)", () => {
  assert.deepEqual(ownershipOf(marks(), owner), { kind: "adoptable" });
  assert.equal(mayChange(marks(), owner), true);
});

Deno.test("ownershipOf() adopts an object of this primary that lacks only the Replicator uid", () => {
  assert.deepEqual(ownershipOf(marks({ [LABEL_PRIMARY]: "p-1" }), owner), { kind: "adoptable" });
});

Deno.test("ownershipOf() never adopts an object naming another primary, even without a uid", () => {
  assert.equal(ownershipOf(marks({ [LABEL_PRIMARY]: "p-2" }), owner).kind, "foreign");
});

Deno.test("ownerLabels() leaves the uid out for a Replicator that has none yet", () => {
  assert.deepEqual(ownerLabels({ primaryId: "p-1", replicator: "web" }), {
    [LABEL_MANAGED_BY]: MANAGED_BY_VALUE,
    [LABEL_REPLICATOR]: "web",
    [LABEL_PRIMARY]: "p-1",
  });
});

Deno.test("writtenByPrimary() counts this primary's and release 0.1's objects, not another primary's", () => {
  assert.equal(writtenByPrimary(marks({ [LABEL_PRIMARY]: "p-1" }), "p-1"), true);
  assert.equal(writtenByPrimary(marks(), "p-1"), true);
  assert.equal(writtenByPrimary(marks({ [LABEL_PRIMARY]: "p-2" }), "p-1"), false);
  assert.equal(writtenByPrimary({ [LABEL_MANAGED_BY]: MANAGED_BY_VALUE }, "p-1"), false);
  assert.equal(writtenByPrimary(undefined, "p-1"), false);
});
