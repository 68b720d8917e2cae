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
import { restClientOf, retrySafe } from "./rest_adapter.ts";
import { KubeClient } from "./client.ts";

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

Deno.test("retrySafe() repeats what KubeClient repeats: reads, server-side apply and deletes", () => {
  assert.equal(retrySafe({ method: "GET" }), true);
  assert.equal(retrySafe({ method: "DELETE" }), true);
  assert.equal(retrySafe({ method: "PATCH", contentType: "application/apply-patch+yaml" }), true);
  assert.equal(retrySafe({ method: "PATCH", contentType: "application/merge-patch+json" }), false);
  assert.equal(retrySafe({ method: "POST" }), false);
  assert.equal(retrySafe({ method: "PUT" }), false);
});

/** What the server saw of one request. */
interface Seen {
  method: string;
  path: string;
  query: string;
  accept: string | null;
}

/**
 * The adapter over a KubeClient of a plain-http server answering `respond(n, request)` to its
 * n-th request. No discovery document is served: the adapter must not need one.
 */
async function withAdapter(
  respond: (n: number, request: Request) => Response,
  body: (rest: ReturnType<typeof restClientOf>, seen: Seen[]) => Promise<void>,
): Promise<void> {
  const seen: Seen[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (request) => {
    const url = new URL(request.url);
    const n = seen.push({
      method: request.method,
      path: url.pathname,
      query: url.search,
      accept: request.headers.get("Accept"),
    });
    return respond(n - 1, request);
  });
  const kube = new KubeClient({
    contextName: "local",
    cluster: "local",
    user: "local",
    server: `http://127.0.0.1:${server.addr.port}`,
  });
  try {
    await body(restClientOf(kube), seen);
  } finally {
    kube.close();
    await server.shutdown();
  }
}

const unavailable = () =>
  new Response(JSON.stringify({ kind: "Status", code: 503, reason: "ServiceUnavailable" }), { status: 503 });

Deno.test("restClientOf() repeats an apply after a 503 as KubeClient.apply does, but not a create", async () => {
  const configMap = { metadata: { name: "cm" }, data: { a: "1" } };
  await withAdapter((n) => n === 0 ? unavailable() : Response.json(configMap), async (rest, seen) => {
    const applied = await rest.request(applyRequest(configMaps, configMap, { fieldManager: "m" }));
    assert.deepEqual(applied, configMap);
    assert.deepEqual(seen.map((r) => `${r.method} ${r.path}`), [
      "PATCH /api/v1/namespaces/team-a/configmaps/cm",
      "PATCH /api/v1/namespaces/team-a/configmaps/cm",
    ]);
  });
  await withAdapter(unavailable, async (rest, seen) => {
    await assert.rejects(rest.request(createRequest(configMaps, configMap)), /503/);
    assert.equal(seen.length, 1, "a create is not repeated: it may have been stored");
  });
});

Deno.test("restClientOf() sends the Accept it is given, for JSON and for text", async () => {
  const table = { kind: "Table", rows: [] };
  await withAdapter(
    (_n, request) =>
      request.headers.get("Accept")!.includes("as=Table")
        ? Response.json(table)
        : new Response("plain", { headers: { "Content-Type": "text/plain" } }),
    async (rest, seen) => {
      const accept = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json";
      const got = await rest.request({ ...listRequest(configMaps), accept });
      assert.deepEqual(got, table);
      const text = await rest.request({
        method: "GET",
        path: "/logs",
        query: { tail: 3 },
        accept: "text/plain",
        expect: "text",
      });
      assert.equal(text, "plain");
      assert.deepEqual(seen.map((r) => [r.path, r.query, r.accept]), [
        ["/api/v1/namespaces/team-a/configmaps", "", accept],
        ["/logs", "?tail=3", "text/plain"],
      ]);
    },
  );
});

Deno.test("restClientOf() watches by path, for a kind no discovery was asked about", async () => {
  const event = { type: "ADDED", object: { kind: "Widget", metadata: { name: "w" } } };
  await withAdapter(() => new Response(JSON.stringify(event) + "\n"), async (rest, seen) => {
    const widgets = collectionTarget("example.com", "v1", "widgets", "Widget", "ns");
    const events = [];
    for await (const e of rest.watch(watchRequest(widgets, { resourceVersion: "5" }))) events.push(e);
    assert.deepEqual(events, [event]);
    assert.equal(seen.length, 1, "one request: the watch, no discovery");
    assert.equal(seen[0]!.path, "/apis/example.com/v1/namespaces/ns/widgets");
    const query = new URLSearchParams(seen[0]!.query);
    assert.equal(query.get("watch"), "true");
    assert.equal(query.get("resourceVersion"), "5");
  });
});
