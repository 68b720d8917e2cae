import assert from "node:assert/strict";
import {
  deletionPolicyOf,
  isSuspended,
  mayAdoptOrphan,
  ORPHANED_FROM_ANNOTATION,
  releasePatch,
} from "./release.ts";

const OWNED = {
  name: "web",
  namespace: "app",
  resourceVersion: "42",
  labels: {
    "app.kubernetes.io/managed-by": "plumber",
    "plumber.jnytnai0613.github.io/replicator": "rep",
    "plumber.jnytnai0613.github.io/primary": "p-uid",
    "plumber.jnytnai0613.github.io/replicator-uid": "r-uid",
    "app.kubernetes.io/name": "web",
  },
  annotations: { "plumber.jnytnai0613.github.io/intent-hash": "h", "team": "a" },
};

Deno.test("isSuspended: only an explicit true suspends", () => {
  assert.equal(isSuspended(undefined), false);
  assert.equal(isSuspended({}), false);
  assert.equal(isSuspended({ suspend: false }), false);
  assert.equal(isSuspended({ suspend: true }), true);
});

Deno.test("deletionPolicyOf: absent is Delete", () => {
  assert.equal(deletionPolicyOf(undefined), "Delete");
  assert.equal(deletionPolicyOf({}), "Delete");
  assert.equal(deletionPolicyOf({ deletionPolicy: "Delete" }), "Delete");
  assert.equal(deletionPolicyOf({ deletionPolicy: "Orphan" }), "Orphan");
});

Deno.test("releasePatch: nulls plumber's labels and intent hash, keeps others, guards on resourceVersion", () => {
  const patch = releasePatch(OWNED, "p-uid", "rep", "r-uid");
  assert.deepEqual(patch, {
    metadata: {
      resourceVersion: "42",
      labels: {
        "app.kubernetes.io/managed-by": null,
        "plumber.jnytnai0613.github.io/replicator": null,
        "plumber.jnytnai0613.github.io/primary": null,
        "plumber.jnytnai0613.github.io/replicator-uid": null,
      },
      annotations: {
        [ORPHANED_FROM_ANNOTATION]: "p-uid/rep",
        "plumber.jnytnai0613.github.io/intent-hash": null,
      },
    },
  });
});

Deno.test("releasePatch: drops only the Replicator's owner reference", () => {
  const other = { apiVersion: "v1", kind: "ConfigMap", name: "x", uid: "x-uid" };
  const mine = {
    apiVersion: "plumber.jnytnai0613.github.io/v1",
    kind: "Replicator",
    name: "rep",
    uid: "r-uid",
  };
  const both = releasePatch({ ...OWNED, ownerReferences: [mine, other] }, "p-uid", "rep", "r-uid");
  assert.deepEqual((both.metadata as Record<string, unknown>).ownerReferences, [other]);
  const only = releasePatch({ ...OWNED, ownerReferences: [mine] }, "p-uid", "rep", "r-uid");
  assert.equal((only.metadata as Record<string, unknown>).ownerReferences, null);
  const none = releasePatch({ ...OWNED, ownerReferences: [other] }, "p-uid", "rep", "r-uid");
  assert.equal("ownerReferences" in (none.metadata as Record<string, unknown>), false);
});

Deno.test("releasePatch: a namespace plumber created loses its created-by annotation", () => {
  const patch = releasePatch(
    { name: "app", annotations: { "plumber.jnytnai0613.github.io/created-by": "rep" } },
    "p",
    "rep",
    undefined,
  );
  assert.deepEqual((patch.metadata as { annotations: unknown }).annotations, {
    [ORPHANED_FROM_ANNOTATION]: "p/rep",
    "plumber.jnytnai0613.github.io/created-by": null,
  });
});

Deno.test("mayAdoptOrphan: same name and primary only, never an object plumber still manages", () => {
  const orphan = { annotations: { [ORPHANED_FROM_ANNOTATION]: "p-uid/rep" } };
  assert.equal(mayAdoptOrphan(orphan, "p-uid", "rep"), true);
  assert.equal(mayAdoptOrphan(orphan, "other-primary", "rep"), false);
  assert.equal(mayAdoptOrphan(orphan, "p-uid", "rep2"), false);
  assert.equal(mayAdoptOrphan({}, "p-uid", "rep"), false);
  assert.equal(
    mayAdoptOrphan({ ...orphan, labels: { "app.kubernetes.io/managed-by": "plumber" } }, "p-uid", "rep"),
    false,
  );
});
