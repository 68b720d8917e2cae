import assert from "node:assert/strict";
import { LAST_APPLIED_ANNOTATION, stripManagedFields, stripManagedFieldsAndLastApplied } from "./informer.ts";

function deployment() {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: {
      name: "web",
      namespace: "app",
      managedFields: [{ manager: "kubectl", operation: "Update" }],
      annotations: { [LAST_APPLIED_ANNOTATION]: '{"big":"copy"}', "plumber/intent-hash": "abc" },
    },
    spec: { replicas: 2 },
    status: { readyReplicas: 2 },
  };
}

Deno.test("stripManagedFields drops managedFields only, in place", () => {
  const o = deployment();
  assert.equal(stripManagedFields(o), o);
  assert.equal("managedFields" in o.metadata, false);
  assert.equal(o.metadata.annotations[LAST_APPLIED_ANNOTATION], '{"big":"copy"}');
  assert.deepEqual(o.status, { readyReplicas: 2 });
});

Deno.test("stripManagedFieldsAndLastApplied also drops the last-applied annotation and keeps the others", () => {
  const o = stripManagedFieldsAndLastApplied(deployment());
  assert.equal("managedFields" in o.metadata, false);
  assert.deepEqual(o.metadata.annotations, { "plumber/intent-hash": "abc" });
  assert.deepEqual(o.spec, { replicas: 2 });
  // Objects without metadata or annotations pass through.
  assert.deepEqual(stripManagedFieldsAndLastApplied({ kind: "X" } as never), { kind: "X" });
});
