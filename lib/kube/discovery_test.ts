import assert from "node:assert/strict";
import {
  AGGREGATED_DISCOVERY_ACCEPT,
  discoverResources,
  groupResource,
  parseAggregatedDiscovery,
  type RawClient,
  resourcePath,
} from "./discovery.ts";
import { parseApiVersion, RestMapper } from "./rest_mapper.ts";

/** An `/apis` document as kube-apiserver 1.37 sends it (trimmed), with one stale aggregated group. */
const AGGREGATED_APIS = {
  kind: "APIGroupDiscoveryList",
  apiVersion: "apidiscovery.k8s.io/v2",
  items: [
    {
      metadata: { name: "apps" },
      versions: [{
        version: "v1",
        freshness: "Current",
        resources: [
          {
            resource: "deployments",
            responseKind: { group: "", version: "", kind: "Deployment" },
            scope: "Namespaced",
            verbs: ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"],
            subresources: [{ subresource: "scale" }],
          },
        ],
      }],
    },
    {
      metadata: { name: "example.com" },
      versions: [
        {
          version: "v2",
          freshness: "Current",
          resources: [{
            resource: "widgets",
            responseKind: { kind: "Widget" },
            scope: "Namespaced",
            verbs: ["list", "delete"],
          }],
        },
        {
          version: "v1",
          freshness: "Current",
          resources: [
            { resource: "widgets", responseKind: { kind: "Widget" }, scope: "Namespaced", verbs: ["list"] },
            { resource: "gadgets", responseKind: { kind: "Gadget" }, scope: "Cluster", verbs: ["list"] },
            {
              resource: "widgets/status",
              responseKind: { kind: "Widget" },
              scope: "Namespaced",
              verbs: ["get"],
            },
          ],
        },
      ],
    },
    { metadata: { name: "metrics.k8s.io" }, versions: [{ version: "v1beta1", freshness: "Stale" }] },
  ],
};

const AGGREGATED_CORE = {
  kind: "APIGroupDiscoveryList",
  items: [{
    metadata: {},
    versions: [{
      version: "v1",
      resources: [
        { resource: "pods", responseKind: { kind: "Pod" }, scope: "Namespaced", verbs: ["list", "delete"] },
        { resource: "namespaces", responseKind: { kind: "Namespace" }, scope: "Cluster", verbs: ["list"] },
      ],
    }],
  }],
};

Deno.test("parseAggregatedDiscovery() reads every version, marks the preferred one, and reports stale groups", () => {
  const { resources, failures } = parseAggregatedDiscovery(AGGREGATED_APIS);
  assert.deepEqual(
    resources.map((r) => `${r.group}/${r.version}/${r.resource} ${r.kind} ${r.namespaced} ${r.preferred}`),
    [
      "apps/v1/deployments Deployment true true",
      "example.com/v2/widgets Widget true true",
      "example.com/v1/widgets Widget true false",
      "example.com/v1/gadgets Gadget false true",
    ],
  );
  assert.deepEqual(failures, [{
    groupVersion: "metrics.k8s.io/v1beta1",
    reason: "discovery of metrics.k8s.io/v1beta1 is stale: its API server is unavailable",
  }]);
  assert.throws(
    () => parseAggregatedDiscovery({ kind: "APIGroupList", groups: [] }),
    /Cannot read aggregated discovery: expected kind APIGroupDiscoveryList, got "APIGroupList"/,
  );
});

/** A client answering from a table of paths; records what was asked. */
function fakeClient(answers: Record<string, unknown>, asked: string[] = []): RawClient {
  return {
    raw<T>(_method: string, path: string, options?: { accept?: string }): Promise<T> {
      asked.push(`${path} ${options?.accept ?? "application/json"}`);
      if (!(path in answers)) return Promise.reject(new Error(`Cannot get ${path}: 503 ServiceUnavailable`));
      return Promise.resolve(answers[path] as T);
    },
  };
}

Deno.test("discoverResources() uses aggregated discovery when the server offers it: two requests", async () => {
  const asked: string[] = [];
  const discovery = await discoverResources(
    fakeClient({ "/api": AGGREGATED_CORE, "/apis": AGGREGATED_APIS }, asked),
  );
  assert.equal(discovery.source, "aggregated");
  assert.deepEqual(asked.sort(), [
    `/api ${AGGREGATED_DISCOVERY_ACCEPT}`,
    `/apis ${AGGREGATED_DISCOVERY_ACCEPT}`,
  ]);
  assert.equal(discovery.resources[0]!.group, "");
  assert.equal(discovery.resources[0]!.resource, "pods");
  assert.equal(discovery.failures.length, 1);
});

Deno.test("discoverResources() falls back to legacy discovery and reports a group version that fails", async () => {
  const discovery = await discoverResources(fakeClient({
    "/api": { kind: "APIVersions", versions: ["v1"] },
    "/apis": {
      kind: "APIGroupList",
      groups: [
        {
          name: "example.com",
          versions: [{ groupVersion: "example.com/v1", version: "v1" }, {
            groupVersion: "example.com/v2",
            version: "v2",
          }],
          preferredVersion: { groupVersion: "example.com/v2", version: "v2" },
        },
        {
          name: "metrics.k8s.io",
          versions: [{ groupVersion: "metrics.k8s.io/v1beta1", version: "v1beta1" }],
          preferredVersion: { groupVersion: "metrics.k8s.io/v1beta1", version: "v1beta1" },
        },
      ],
    },
    "/api/v1": {
      resources: [
        { name: "pods", kind: "Pod", namespaced: true, verbs: ["list"] },
        { name: "pods/log", kind: "Pod", namespaced: true, verbs: ["get"] },
      ],
    },
    "/apis/example.com/v1": {
      resources: [
        { name: "widgets", kind: "Widget", namespaced: true, verbs: ["list"] },
        { name: "gizmos", kind: "Gizmo", namespaced: true, verbs: ["list"] },
      ],
    },
    "/apis/example.com/v2": {
      resources: [{ name: "widgets", kind: "Widget", namespaced: true, verbs: ["list"] }],
    },
  }));
  assert.equal(discovery.source, "legacy");
  assert.deepEqual(
    discovery.resources.map((r) => `${r.group}/${r.version}/${r.resource} ${r.preferred}`),
    [
      "/v1/pods true",
      "example.com/v2/widgets true",
      "example.com/v1/widgets false",
      "example.com/v1/gizmos true",
    ],
  );
  assert.deepEqual(discovery.failures, [{
    groupVersion: "metrics.k8s.io/v1beta1",
    reason: "Cannot get /apis/metrics.k8s.io/v1beta1: 503 ServiceUnavailable",
  }]);
});

Deno.test("RestMapper maps a kind to its resource, scope and preferred version", () => {
  const core = parseAggregatedDiscovery(AGGREGATED_CORE).resources;
  const mapper = new RestMapper([...core, ...parseAggregatedDiscovery(AGGREGATED_APIS).resources]);
  assert.equal(mapper.mapping("apps/v1", "Deployment")?.resource, "deployments");
  assert.equal(mapper.mapping("v1", "Pod")?.namespaced, true);
  assert.equal(mapper.mapping("example.com/v1", "Widget")?.version, "v1");
  assert.equal(mapper.preferred("example.com", "Widget")?.version, "v2");
  assert.equal(mapper.preferred("example.com", "Gadget")?.namespaced, false);
  assert.equal(mapper.mapping("apps/v2", "Deployment"), undefined);
  assert.equal(
    mapper.isNamespaced("example.com/v9", "Widget"),
    true,
    "an unserved version: the preferred one says",
  );
  assert.equal(mapper.isNamespaced("v1", "Namespace"), false);
  assert.equal(mapper.isNamespaced("nope.io/v1", "Thing"), undefined);
  assert.equal(mapper.isNamespaced("a/b/c", "Thing"), undefined);
  assert.deepEqual(parseApiVersion("apps/v1"), { group: "apps", version: "v1" });
  assert.throws(() => parseApiVersion("/v1"), /Invalid apiVersion "\/v1"/);
});

Deno.test("resourcePath() and groupResource() name core and group resources", () => {
  assert.equal(
    resourcePath({ group: "", version: "v1", resource: "pods" }, "ns"),
    "/api/v1/namespaces/ns/pods",
  );
  assert.equal(
    resourcePath({ group: "apps", version: "v1", resource: "deployments" }),
    "/apis/apps/v1/deployments",
  );
  assert.equal(
    groupResource({ group: "rbac.authorization.k8s.io", resource: "roles" }),
    "roles.rbac.authorization.k8s.io",
  );
  assert.equal(groupResource({ group: "", resource: "pods" }), "pods");
});
