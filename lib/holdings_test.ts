import assert from "node:assert/strict";
import type { ReplicatorStatus } from "./api.ts";
import { ABANDON_ANNOTATION, heldIn, holdingClusters, isAbandoned, unregisteredMessage } from "./holdings.ts";

const status: ReplicatorStatus = {
  applied: [
    { cluster: "a.admin", kind: "ConfigMap", name: "cm", applyStatus: "applied" },
    {
      cluster: "b.admin",
      kind: "ConfigMap",
      name: "cm",
      applyStatus: "conflict: exists and is not managed by plumber",
    },
    { cluster: "a.admin", kind: "Service", name: "svc", applyStatus: "applied" },
    { cluster: "c.admin", kind: "Service", name: "svc", applyStatus: "applied" },
  ],
};

Deno.test("isAbandoned() reads a comma-separated list of clusters, or * for all", () => {
  assert.equal(isAbandoned(undefined, "a"), false);
  assert.equal(isAbandoned({ [ABANDON_ANNOTATION]: "a, b" }, "b"), true);
  assert.equal(isAbandoned({ [ABANDON_ANNOTATION]: "a,b" }, "c"), false);
  assert.equal(isAbandoned({ [ABANDON_ANNOTATION]: "*" }, "c"), true);
  assert.equal(isAbandoned({ [ABANDON_ANNOTATION]: "" }, "a"), false);
  assert.equal(isAbandoned({ other: "a" }, "a"), false);
});

Deno.test("heldIn() lists only what was applied in that cluster, not conflicts", () => {
  assert.deepEqual(heldIn(status, "a.admin").map((a) => a.name), ["cm", "svc"]);
  assert.deepEqual(heldIn(status, "b.admin"), []);
  assert.deepEqual(heldIn(undefined, "a.admin"), []);
});

Deno.test("holdingClusters() names each cluster with applied objects once", () => {
  assert.deepEqual(holdingClusters(status), ["a.admin", "c.admin"]);
});

Deno.test("unregisteredMessage() says how many objects remain and both ways out", () => {
  const message = unregisteredMessage("c.admin", 2);
  assert.match(message, /still holds 2 objects/);
  assert.match(message, /plumberctl add/);
  assert.match(message, new RegExp(`${ABANDON_ANNOTATION}=c\\.admin`));
});
