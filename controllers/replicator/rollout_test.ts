import assert from "node:assert/strict";
import type { Replicator } from "../../lib/api.ts";
import { ownsRevision } from "./rollout.ts";

const REP = {
  apiVersion: "plumber.jnytnai0613.github.io/v1",
  kind: "Replicator",
  metadata: { name: "web", uid: "uid-web" },
  spec: { replicationNamespace: "web" },
} as Replicator;

Deno.test("ownsRevision() takes only a ControllerRevision owned by the Replicator's UID", () => {
  const revision = (ownerReferences?: Array<{ kind?: string; uid?: string }>) => ({
    metadata: {
      name: "web-abc",
      labels: { "plumber.jnytnai0613.github.io/replicator": "web" },
      ownerReferences,
    },
  });
  assert.equal(ownsRevision(revision([{ kind: "Replicator", uid: "uid-web" }]), REP), true);
  // Same name and label, but no owner, another Replicator's UID, or another kind's: someone else's.
  assert.equal(ownsRevision(revision(), REP), false);
  assert.equal(ownsRevision(revision([{ kind: "Replicator", uid: "uid-other" }]), REP), false);
  assert.equal(ownsRevision(revision([{ kind: "StatefulSet", uid: "uid-web" }]), REP), false);
  // A Replicator without a UID (not stored yet) owns nothing.
  const unsaved = { ...REP, metadata: { name: "web" } } as Replicator;
  assert.equal(ownsRevision(revision([{ kind: "Replicator", uid: "uid-web" }]), unsaved), false);
});
