import assert from "node:assert/strict";
import {
  applyRequest,
  collectionTarget,
  createRequest,
  deleteRequest,
  getRequest,
  listRequest,
  patchRequest,
  type PatchType,
  replaceRequest,
  segment,
  watchRequest,
} from "./rest.ts";
import { parseCollectionPath } from "./rest_adapter.ts";

const configMaps = collectionTarget("", "v1", "configmaps", "ConfigMap", "team-a");
const replicators = collectionTarget("plumber.jnytnai0613.github.io", "v1", "replicators", "Replicator");

Deno.test("collectionTarget: core and named groups, namespaced and cluster-wide", () => {
  assert.deepEqual(configMaps, {
    path: "/api/v1/namespaces/team-a/configmaps",
    apiVersion: "v1",
    kind: "ConfigMap",
    namespace: "team-a",
  });
  assert.deepEqual(replicators, {
    path: "/apis/plumber.jnytnai0613.github.io/v1/replicators",
    apiVersion: "plumber.jnytnai0613.github.io/v1",
    kind: "Replicator",
  });
  assert.throws(() => collectionTarget("", "v1", "configmaps", "ConfigMap", ""), /Invalid namespace ""/);
});

Deno.test("segment escapes names and refuses empty, . and ..", () => {
  assert.equal(segment("a b/c", "name"), "a%20b%2Fc");
  for (const bad of ["", ".", ".."]) {
    assert.throws(
      () => segment(bad, "ConfigMap name"),
      new RegExp(`Invalid ConfigMap name "${bad.replace(/\./g, "\\.")}"`),
    );
  }
});

Deno.test("get, list and watch requests carry their query", () => {
  assert.deepEqual(getRequest(configMaps, "cm", { resourceVersion: "0" }), {
    method: "GET",
    path: "/api/v1/namespaces/team-a/configmaps/cm",
    query: { resourceVersion: "0" },
    signal: undefined,
    expect: "json",
    what: "ConfigMap team-a/cm",
  });
  assert.equal(
    getRequest(replicators, "r", {}, "status").path,
    "/apis/plumber.jnytnai0613.github.io/v1/replicators/r/status",
  );
  const signal = new AbortController().signal;
  const list = listRequest(configMaps, { labelSelector: "a=b", limit: 5, signal });
  assert.deepEqual(list.query, { labelSelector: "a=b", limit: 5 });
  assert.equal(list.signal, signal);
  assert.deepEqual(watchRequest(configMaps, { resourceVersion: "7", allowWatchBookmarks: true, signal }), {
    path: "/api/v1/namespaces/team-a/configmaps",
    kind: "ConfigMap",
    query: { resourceVersion: "7", allowWatchBookmarks: true },
    signal,
  });
});

Deno.test("create, replace and apply fill in apiVersion and kind and refuse another kind", () => {
  const created = createRequest(configMaps, { metadata: { name: "cm" } }, {
    dryRun: true,
    fieldManager: "m",
  });
  assert.deepEqual(created.body, { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "cm" } });
  assert.deepEqual(created.query, { fieldManager: "m", dryRun: "All", fieldValidation: undefined });
  assert.equal(created.path, "/api/v1/namespaces/team-a/configmaps");
  const replaced = replaceRequest(configMaps, { metadata: { name: "cm" } });
  assert.equal(replaced.method, "PUT");
  assert.equal(replaced.path, "/api/v1/namespaces/team-a/configmaps/cm");
  assert.throws(
    () => createRequest(configMaps, { apiVersion: "v1", kind: "Secret", metadata: { name: "x" } }),
    /Invalid kind "Secret" for a ConfigMap: expected "ConfigMap"/,
  );
  assert.throws(
    () => replaceRequest(configMaps, { metadata: {} }),
    /Cannot replace ConfigMap: metadata\.name is required \(got undefined\)/,
  );
});

Deno.test("apply is a PATCH with the apply content type, a field manager and force", () => {
  const applied = applyRequest(replicators, { metadata: { name: "r" } }, {
    fieldManager: "plumber",
    force: true,
  }, "status");
  assert.equal(applied.method, "PATCH");
  assert.equal(applied.path, "/apis/plumber.jnytnai0613.github.io/v1/replicators/r/status");
  assert.equal(applied.contentType, "application/apply-patch+yaml");
  assert.deepEqual(applied.query, {
    fieldManager: "plumber",
    force: true,
    dryRun: undefined,
    fieldValidation: undefined,
  });
  assert.deepEqual(applied.body, {
    apiVersion: "plumber.jnytnai0613.github.io/v1",
    kind: "Replicator",
    metadata: { name: "r" },
  });
  assert.equal(applied.what, "status of Replicator r");
  assert.throws(
    () => applyRequest(replicators, { metadata: { name: "" } }, { fieldManager: "p" }),
    /metadata\.name is required \(got ""\)/,
  );
  assert.throws(
    () => applyRequest(replicators, { metadata: { name: "r" } }, { fieldManager: "" }),
    /Cannot apply Replicator "r": fieldManager is required/,
  );
});

Deno.test("patch picks the content type of its patch type and refuses others", () => {
  assert.equal(patchRequest(configMaps, "cm", {}).contentType, "application/merge-patch+json");
  assert.equal(
    patchRequest(configMaps, "cm", {}, { type: "strategic" }).contentType,
    "application/strategic-merge-patch+json",
  );
  assert.equal(
    patchRequest(configMaps, "cm", [], { type: "json" }).contentType,
    "application/json-patch+json",
  );
  assert.throws(
    () => patchRequest(configMaps, "cm", {}, { type: "yaml" as PatchType }),
    /Invalid patch type "yaml"/,
  );
});

Deno.test("delete sends DeleteOptions with preconditions and propagation", () => {
  const request = deleteRequest(configMaps, "cm", {
    propagationPolicy: "Foreground",
    preconditions: { uid: "u-1" },
    gracePeriodSeconds: 0,
    dryRun: true,
  });
  assert.equal(request.method, "DELETE");
  assert.equal(request.path, "/api/v1/namespaces/team-a/configmaps/cm");
  assert.deepEqual(request.body, {
    apiVersion: "v1",
    kind: "DeleteOptions",
    propagationPolicy: "Foreground",
    preconditions: { uid: "u-1" },
    gracePeriodSeconds: 0,
    dryRun: ["All"],
  });
  assert.deepEqual(deleteRequest(configMaps, "cm").body, { apiVersion: "v1", kind: "DeleteOptions" });
});

Deno.test("parseCollectionPath reads the apiVersion and namespace of collection paths only", () => {
  assert.deepEqual(parseCollectionPath("/api/v1/namespaces/a%20b/configmaps"), {
    apiVersion: "v1",
    namespace: "a b",
  });
  assert.deepEqual(parseCollectionPath("/api/v1/namespaces"), { apiVersion: "v1", namespace: undefined });
  assert.deepEqual(parseCollectionPath("/apis/apps/v1/deployments"), {
    apiVersion: "apps/v1",
    namespace: undefined,
  });
  assert.deepEqual(parseCollectionPath("/apis/apps/v1/namespaces/ns/deployments"), {
    apiVersion: "apps/v1",
    namespace: "ns",
  });
  assert.equal(parseCollectionPath("/apis/apps/v1/namespaces/ns/deployments/d"), undefined);
  assert.equal(parseCollectionPath("/version"), undefined);
});
