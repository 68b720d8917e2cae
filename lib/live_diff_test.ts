import assert from "node:assert/strict";
import { INTENT_HASH_ANNOTATION } from "./diff.ts";
import { LAST_APPLIED_ANNOTATION, maskSecrets, objectDiff, objectPath, stripManaged } from "./live_diff.ts";

const secret = (data: Record<string, string>, extra: Record<string, unknown> = {}) => ({
  apiVersion: "v1",
  kind: "Secret",
  metadata: { name: "s", namespace: "ns" },
  data,
  ...extra,
});

Deno.test("stripManaged() leaves out managed metadata, plumber's intent hash and status, not the user's fields", () => {
  const live = {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: {
      name: "a",
      namespace: "ns",
      uid: "u",
      resourceVersion: "5",
      generation: 2,
      creationTimestamp: "2026-01-01T00:00:00Z",
      managedFields: [{ manager: "plumber" }],
      labels: { app: "x" },
      annotations: { [INTENT_HASH_ANNOTATION]: "abc", note: "kept" },
    },
    data: { k: "v" },
    status: { x: 1 },
  };
  assert.deepEqual(stripManaged(live), {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: "a", namespace: "ns", labels: { app: "x" }, annotations: { note: "kept" } },
    data: { k: "v" },
  });
  assert.equal(live.metadata.uid, "u", "the input is not modified");
});

Deno.test("stripManaged() drops annotations left empty by the intent hash", () => {
  const stripped = stripManaged({ metadata: { name: "a", annotations: { [INTENT_HASH_ANNOTATION]: "h" } } });
  assert.deepEqual(stripped, { metadata: { name: "a" } });
});

Deno.test("maskSecrets() masks equal, changed, added and removed values as kubectl diff does", () => {
  const [before, after] = maskSecrets(
    secret({ same: "c2FtZQ==", changed: "b2xk", removed: "Z29uZQ==" }),
    secret({ same: "c2FtZQ==", changed: "bmV3", added: "bmV3ZXI=" }),
  );
  assert.deepEqual(before.data, { same: "***", changed: "*** (before)", removed: "***" });
  assert.deepEqual(after.data, { same: "***", changed: "*** (after)", added: "***" });
});

Deno.test("maskSecrets() masks one side alone, stringData and kubectl's last-applied copy", () => {
  const [before, after] = maskSecrets<Record<string, unknown> | undefined>(undefined, {
    ...secret({ a: "YQ==" }, { stringData: { b: "plain" } }),
    metadata: { name: "s", annotations: { [LAST_APPLIED_ANNOTATION]: '{"data":{"a":"YQ=="}}' } },
  });
  assert.equal(before, undefined);
  assert.deepEqual(after?.data, { a: "***" });
  assert.deepEqual(after?.stringData, { b: "***" });
  assert.equal(
    (after?.metadata as { annotations: Record<string, string> }).annotations[LAST_APPLIED_ANNOTATION],
    "***",
  );
});

Deno.test("maskSecrets() leaves other kinds alone", () => {
  const cm = { apiVersion: "v1", kind: "ConfigMap", data: { a: "1" } };
  const [before, after] = maskSecrets(cm, cm);
  assert.equal(before, cm);
  assert.equal(after, cm);
});

Deno.test("objectDiff() is empty when only managed metadata differs", () => {
  const a = {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: "a", resourceVersion: "1" },
    data: { k: "v" },
  };
  const b = { ...a, metadata: { name: "a", resourceVersion: "2", managedFields: [] } };
  assert.equal(objectDiff("c/ConfigMap/ns/a", a, b), "");
});

Deno.test("objectDiff() shows only the changed line between kubectl-style headers", () => {
  const live = {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: "a" },
    data: { k: "old", other: "same" },
  };
  const desired = { ...live, data: { k: "new", other: "same" } };
  const text = objectDiff("c1/ConfigMap/ns/a", live, desired);
  assert.match(text, /^--- live c1\/ConfigMap\/ns\/a\n\+\+\+ plumber\n@@ /);
  const changed = text.split("\n").filter((l) => /^[-+][^-+]/.test(l));
  assert.deepEqual(changed, ["-  k: old", "+  k: new"]);
});

Deno.test("objectDiff() shows an object to create or to delete whole", () => {
  const cm = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "a" }, data: { k: "v" } };
  const created = objectDiff("c/ConfigMap/ns/a", undefined, cm);
  assert.match(created, /@@ -0,0 \+1,\d+ @@/);
  assert.ok(created.includes("+kind: ConfigMap\n"));
  const deleted = objectDiff("c/ConfigMap/ns/a", cm, undefined);
  assert.match(deleted, /@@ -1,\d+ \+0,0 @@/);
  assert.ok(deleted.includes("-kind: ConfigMap\n"));
});

Deno.test("objectDiff() of a Secret shows a changed value as changed and no value", () => {
  const text = objectDiff("c/Secret/ns/s", secret({ k: "c2VjcmV0MQ==" }), secret({ k: "c2VjcmV0Mg==" }));
  assert.ok(text.includes('-  k: "*** (before)"'), text);
  assert.ok(text.includes('+  k: "*** (after)"'), text);
  assert.ok(!text.includes("c2VjcmV0"), text);
});

Deno.test("objectPath() leaves the namespace out for cluster-scoped objects", () => {
  assert.equal(objectPath("c", "Deployment", "ns", "web"), "c/Deployment/ns/web");
  assert.equal(objectPath("c", "Namespace", undefined, "ns"), "c/Namespace/ns");
});
