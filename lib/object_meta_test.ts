import assert from "node:assert/strict";
import { objectMeta, statusNumber, statusString } from "./object_meta.ts";

Deno.test("objectMeta() reads the identity, labels, annotations and lifecycle fields", () => {
  const meta = objectMeta({
    metadata: {
      name: "web",
      namespace: "ns",
      uid: "u-1",
      resourceVersion: "42",
      labels: { app: "web" },
      annotations: { note: "x" },
      deletionTimestamp: "2026-01-01T00:00:00Z",
      finalizers: ["f"],
      generation: 3,
      managedFields: [{}],
    },
  });
  assert.deepEqual(meta, {
    name: "web",
    namespace: "ns",
    uid: "u-1",
    resourceVersion: "42",
    labels: { app: "web" },
    annotations: { note: "x" },
    deletionTimestamp: "2026-01-01T00:00:00Z",
    finalizers: ["f"],
    generation: 3,
  });
});

Deno.test("objectMeta() reads fields of the wrong type as absent", () => {
  assert.deepEqual(objectMeta({}), {});
  assert.deepEqual(objectMeta({ metadata: "web" }), {});
  assert.deepEqual(objectMeta({ metadata: { name: 7, uid: null, labels: ["a"], generation: "1" } }), {});
  assert.deepEqual(objectMeta({ metadata: { labels: { a: "1", b: 2 } } }), { labels: { a: "1" } });
});

Deno.test("statusString() and statusNumber() read one typed status field", () => {
  assert.equal(statusString({ status: { phase: "Terminating" } }, "phase"), "Terminating");
  assert.equal(statusString({ status: { phase: 1 } }, "phase"), undefined);
  assert.equal(statusString({}, "phase"), undefined);
  assert.equal(statusNumber({ status: { readyReplicas: 2 } }, "readyReplicas"), 2);
  assert.equal(statusNumber({ status: { readyReplicas: "2" } }, "readyReplicas"), undefined);
  assert.equal(statusNumber({ status: null }, "readyReplicas"), undefined);
});
