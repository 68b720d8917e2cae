import assert from "node:assert/strict";
import { renderClient } from "./openapi_client.ts";
import {
  type OpenApiDocument,
  type Operation,
  pathShape,
  pluralName,
  resourcesOf,
} from "./openapi_resources.ts";

const gvk = (kind: string) => ({ group: "g.io", version: "v1", kind });
const returns = (schema: string) => ({
  "200": { content: { "application/json": { schema: { $ref: `#/components/schemas/${schema}` } } } },
});
const op = (action: string, kind: string, extra: Partial<Operation> = {}): Operation => ({
  "x-kubernetes-action": action,
  "x-kubernetes-group-version-kind": gvk(kind),
  ...extra,
});
const applyBody = { content: { "application/apply-patch+yaml": {}, "application/merge-patch+json": {} } };
const watchParameter = { parameters: [{ name: "watch", in: "query" }] };

/** A document shaped as a kube-apiserver serves a CRD group: one namespaced kind with status, one cluster-scoped. */
const DOCUMENT: OpenApiDocument = {
  paths: {
    "/apis/g.io/v1/widgets": {
      get: op("list", "Widget", { ...watchParameter, responses: returns("g.v1.WidgetList") }),
    },
    "/apis/g.io/v1/namespaces/{namespace}/widgets": {
      get: op("list", "Widget", { ...watchParameter, responses: returns("g.v1.WidgetList") }),
      post: op("post", "Widget"),
      delete: op("deletecollection", "Widget"),
    },
    "/apis/g.io/v1/namespaces/{namespace}/widgets/{name}": {
      get: op("get", "Widget", { responses: returns("g.v1.Widget") }),
      put: op("put", "Widget"),
      patch: op("patch", "Widget", { requestBody: applyBody }),
      delete: op("delete", "Widget"),
    },
    "/apis/g.io/v1/namespaces/{namespace}/widgets/{name}/status": {
      get: op("get", "Widget", { responses: returns("g.v1.Widget") }),
      patch: op("patch", "Widget", { requestBody: applyBody }),
    },
    "/apis/g.io/v1/namespaces/{namespace}/widgets/{name}/scale": {
      get: op("get", "Scale", { responses: returns("g.v1.Scale") }),
    },
    "/apis/g.io/v1/policies": {
      get: op("list", "Policy", { responses: returns("g.v1.PolicyList") }),
      post: op("post", "Policy"),
    },
    "/apis/g.io/v1/policies/{name}": {
      get: op("get", "Policy", { responses: returns("g.v1.Policy") }),
      patch: op("patch", "Policy", { requestBody: { content: { "application/merge-patch+json": {} } } }),
    },
    "/apis/g.io/v1/watch/policies": { get: op("watchlist", "Policy") },
    "/apis/g.io/v1/namespaces/{namespace}/widgets/{name}/proxy/{path}": { get: op("connect", "Widget") },
    "/apis/other.io/v1/things/{name}": { get: op("get", "Thing", { responses: returns("o.v1.Thing") }) },
  },
};

Deno.test("pathShape reads collection, object and subresource paths in both scopes", () => {
  assert.deepEqual(pathShape("/widgets"), {
    plural: "widgets",
    namespaced: false,
    object: false,
    subresource: undefined,
    watchPath: false,
  });
  assert.deepEqual(pathShape("/namespaces/{namespace}/widgets/{name}/status"), {
    plural: "widgets",
    namespaced: true,
    object: true,
    subresource: "status",
    watchPath: false,
  });
  // The Namespace kind itself: `namespaces/{name}` is an object path, not a namespace prefix.
  assert.deepEqual(pathShape("/namespaces/{name}"), {
    plural: "namespaces",
    namespaced: false,
    object: true,
    subresource: undefined,
    watchPath: false,
  });
  assert.equal(pathShape("/watch/policies")?.watchPath, true);
  assert.equal(pathShape("/namespaces/{namespace}/pods/{name}/proxy/{path}"), undefined);
  assert.equal(pathShape("/"), undefined);
});

Deno.test("resourcesOf derives scope, verbs, status and list types from the paths", () => {
  const resources = resourcesOf(DOCUMENT, "g.io", "v1");
  assert.deepEqual(resources.map((r) => r.plural), ["policies", "widgets"]);
  const [policies, widgets] = resources;
  assert.equal(widgets!.namespaced, true);
  assert.equal(widgets!.kind, "Widget");
  assert.equal(widgets!.schema, "g.v1.Widget");
  assert.equal(widgets!.listSchema, "g.v1.WidgetList");
  assert.deepEqual([...widgets!.verbs].sort(), [
    "apply",
    "create",
    "delete",
    "get",
    "list",
    "patch",
    "replace",
    "watch",
  ]);
  assert.deepEqual([...widgets!.allNamespaces].sort(), ["list", "watch"]);
  assert.deepEqual([...widgets!.status!].sort(), ["apply", "get", "patch"]);
  assert.equal(policies!.namespaced, false);
  // Watch from the deprecated watch path; no apply without the apply content type.
  assert.deepEqual([...policies!.verbs].sort(), ["create", "get", "list", "patch", "watch"]);
  assert.equal(policies!.status, undefined);
  assert.equal(resourcesOf(DOCUMENT, "other.io", "v2").length, 0);
});

Deno.test("pluralName follows the resource name", () => {
  assert.equal(pluralName("ConfigMap", "configmaps"), "ConfigMaps");
  assert.equal(pluralName("Ingress", "ingresses"), "Ingresses");
  assert.equal(pluralName("Endpoints", "endpoints"), "Endpoints");
  assert.equal(pluralName("NetworkPolicy", "networkpolicies"), "NetworkPolicies");
  assert.equal(pluralName("Person", "people"), "People");
});

Deno.test("renderClient: cluster-scoped methods on the root class, namespaced ones behind namespace()", () => {
  const imported: string[] = [];
  const typeOf = (schema: string) => {
    imported.push(schema);
    return schema.slice(schema.lastIndexOf(".") + 1);
  };
  const text = renderClient(
    { group: "g.io", version: "v1", prefix: "GV1" },
    resourcesOf(DOCUMENT, "g.io", "v1"),
    typeOf,
    "Status",
  );
  const root = text.slice(text.indexOf("export class GV1Api"), text.indexOf("export class GV1NamespacedApi"));
  const namespaced = text.slice(text.indexOf("export class GV1NamespacedApi"));
  assert.match(root, /namespace\(namespace: string\): GV1NamespacedApi \{/);
  assert.match(root, /getPolicy\(name: string, options\?: GetOptions\): Promise<Policy> \{/);
  assert.match(root, /watchPolicies\(options\?: WatchOptions\): AsyncIterable<WatchEvent<Policy>> \{/);
  assert.match(root, /listWidgetsForAllNamespaces\(options\?: ListOptions\): Promise<WidgetList> \{/);
  assert.doesNotMatch(root, /applyPolicy|deletePolicy|getWidget\(/);
  assert.match(namespaced, /applyWidget\(body: Widget, options: ApplyOptions\): Promise<Widget> \{/);
  assert.match(
    namespaced,
    /deleteWidget\(name: string, options\?: DeleteOptions\): Promise<Widget \| Status> \{/,
  );
  assert.match(
    namespaced,
    /applyWidgetStatus\(body: Partial<Widget>, options: ApplyOptions\)[\s\S]*applyRequest\(this\.#at\("widgets", "Widget"\), body, options, "status"\)/,
  );
  assert.doesNotMatch(namespaced, /replaceWidgetStatus|Scale/);
  assert.match(text, /const GROUP = "g\.io";\nconst VERSION = "v1";/);
  assert.ok(imported.includes("g.v1.WidgetList"));
});

Deno.test("renderClient: no namespaced class for a group without namespaced kinds", () => {
  const policies = resourcesOf(DOCUMENT, "g.io", "v1").filter((r) => !r.namespaced);
  const text = renderClient({ group: "g.io", version: "v1", prefix: "GV1" }, policies, (s) => s, "Status");
  assert.doesNotMatch(text, /NamespacedApi/);
});
