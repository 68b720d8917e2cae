import assert from "node:assert/strict";
import {
  changedPaths,
  driftMessage,
  driftRecord,
  fieldsV1Paths,
  formatPath,
  type ManagedFieldsEntry,
  managersTouching,
  parsePath,
  pathsOverlap,
} from "./drift_audit.ts";
import { SCALE_DRIFT } from "./testdata/drift.ts";

const deployment = (replicas: number, image: string) => ({
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name: "web", namespace: "ns", labels: { "app.kubernetes.io/name": "web" } },
  spec: {
    replicas,
    template: {
      spec: {
        containers: [{ name: "sidecar", image: "busybox" }, {
          name: "web",
          image,
          ports: [{ containerPort: 80 }],
        }],
      },
    },
  },
});

Deno.test("changedPaths() names every changed field plumber sets, list elements by name", () => {
  const live = deployment(7, "nginx:edited");
  // Defaulted and foreign fields are not drift.
  (live.spec as Record<string, unknown>).strategy = { type: "RollingUpdate" };
  live.spec.template.spec.containers.reverse();
  assert.deepEqual(changedPaths(deployment(2, "nginx:1.27"), live), [
    "spec.replicas",
    "spec.template.spec.containers[name=web].image",
  ]);
  assert.deepEqual(changedPaths(deployment(2, "nginx"), deployment(2, "nginx")), []);
});

Deno.test("changedPaths() names a missing list element, a label with dots and a list of scalars", () => {
  const live = deployment(2, "nginx");
  live.spec.template.spec.containers.pop();
  live.metadata.labels["app.kubernetes.io/name"] = "other";
  assert.deepEqual(changedPaths(deployment(2, "nginx"), live), [
    'metadata.labels["app.kubernetes.io/name"]',
    "spec.template.spec.containers[name=web]",
  ]);
  assert.deepEqual(changedPaths({ args: ["a", "b"] }, { args: ["a", "c"] }), ["args[1]"]);
  assert.deepEqual(changedPaths({ args: ["a", "b"] }, { args: ["a"] }), ["args"]);
  assert.deepEqual(changedPaths({ data: {} }, {}), [], "an empty map the server dropped is no drift");
});

Deno.test("changedPaths() of a Secret gives key paths, never the values", () => {
  const paths = changedPaths(
    { kind: "Secret", data: { "tls.key": "c2VjcmV0LWtleQ==", "ca.crt": "Y2E=" } },
    { kind: "Secret", data: { "tls.key": "aGFja2Vk", "ca.crt": "Y2E=" } },
  );
  assert.deepEqual(paths, ['data["tls.key"]']);
  assert.ok(!paths.join().includes("c2Vj") && !paths.join().includes("aGFj"));
});

Deno.test("fieldsV1Paths() reads fields, keys, values and whole elements", () => {
  const paths = fieldsV1Paths({
    "f:metadata": { "f:finalizers": { 'v:"x"': {} } },
    "f:spec": {
      "f:replicas": {},
      "f:template": {
        "f:spec": { "f:containers": { 'k:{"name":"web"}': { ".": {}, "f:image": {} } } },
      },
    },
  }).map(formatPath);
  assert.deepEqual(paths, [
    'metadata.finalizers[="x"]',
    "spec.replicas",
    "spec.template.spec.containers[name=web]",
    "spec.template.spec.containers[name=web].image",
  ]);
});

Deno.test("parsePath() reads what formatPath() writes", () => {
  for (
    const p of [
      "spec.replicas",
      "spec.template.spec.containers[name=web].image",
      'metadata.labels["app.kubernetes.io/name"]',
      "spec.ports[0].port",
      'data["tls.crt"]',
    ]
  ) {
    assert.equal(formatPath(parsePath(p)), p);
  }
});

Deno.test("pathsOverlap() matches a parent, a child and an index against a merge key", () => {
  const p = parsePath;
  assert.ok(pathsOverlap(p("spec"), p("spec.replicas")));
  assert.ok(
    pathsOverlap(
      p("spec.template.spec.containers[name=web].image"),
      p("spec.template.spec.containers[name=web]"),
    ),
  );
  assert.ok(
    !pathsOverlap(
      p("spec.template.spec.containers[name=side].image"),
      p("spec.template.spec.containers[name=web].image"),
    ),
  );
  assert.ok(
    pathsOverlap(
      p("spec.ports[0].port"),
      fieldsV1Paths({ "f:spec": { "f:ports": { 'k:{"port":80,"protocol":"TCP"}': { "f:port": {} } } } })[0]!,
    ),
  );
  assert.ok(!pathsOverlap(p("spec.replicas"), p("spec.paused")));
});

const MANAGED: ManagedFieldsEntry[] = [
  {
    manager: "plumber",
    operation: "Apply",
    time: "2026-12-02T10:40:00Z",
    fieldsType: "FieldsV1",
    fieldsV1: {
      "f:spec": { "f:template": { "f:spec": { "f:containers": { 'k:{"name":"web"}': { "f:image": {} } } } } },
    },
  },
  {
    manager: "kube-controller-manager",
    operation: "Update",
    time: "2026-12-02T10:42:30Z",
    subresource: "status",
    fieldsV1: { "f:status": { "f:replicas": {} } },
  },
  {
    manager: "kubectl-scale",
    operation: "Update",
    time: "2026-12-02T10:42:07Z",
    subresource: "scale",
    fieldsV1: { "f:spec": { "f:replicas": {} } },
  },
  {
    manager: "kubectl-edit",
    operation: "Update",
    time: "2026-12-02T10:41:00Z",
    fieldsV1: {
      "f:spec": { "f:template": { "f:spec": { "f:containers": { 'k:{"name":"web"}': { "f:image": {} } } } } },
    },
  },
];

Deno.test("managersTouching() names the managers of the changed paths other than plumber, the latest first", () => {
  const causes = managersTouching(
    MANAGED,
    ["spec.replicas", "spec.template.spec.containers[name=web].image"],
    "plumber",
  );
  assert.deepEqual(causes, [
    {
      manager: "kubectl-scale",
      operation: "Update",
      time: "2026-12-02T10:42:07Z",
      subresource: "scale",
      paths: ["spec.replicas"],
    },
    {
      manager: "kubectl-edit",
      operation: "Update",
      time: "2026-12-02T10:41:00Z",
      paths: ["spec.template.spec.containers[name=web].image"],
    },
  ]);
  assert.deepEqual(managersTouching(MANAGED, ["spec.paused"], "plumber"), []);
  assert.deepEqual(managersTouching(undefined, ["spec.replicas"], "plumber"), []);
});

Deno.test("driftRecord() and driftMessage() name the cluster, object, paths and the manager; a deletion says deleted", () => {
  const fields = ["spec.replicas"];
  const causes = managersTouching(MANAGED, fields, "plumber");
  const now = new Date("2026-12-02T10:42:08.123Z");
  assert.deepEqual(driftRecord({ kind: "Deployment", name: "nginx" }, { fields, causes }, now), SCALE_DRIFT);
  assert.equal(
    driftMessage("primary", { kind: "Deployment", namespace: "web", name: "nginx" }, { fields, causes }),
    "cluster primary: Deployment web/nginx: spec.replicas changed by kubectl-scale (Update of scale at " +
      "2026-12-02T10:42:07Z); reverted",
  );
  assert.equal(
    driftMessage("c2", { kind: "Secret", namespace: "ns", name: "s" }, { fields: ['data["k"]'], causes: [] }),
    'cluster c2: Secret ns/s: data["k"] changed by an unknown manager; reverted',
  );
  assert.deepEqual(driftRecord({ kind: "ConfigMap", name: "web" }, "deleted", now), {
    time: "2026-12-02T10:42:08Z",
    kind: "ConfigMap",
    name: "web",
    fields: [],
    deleted: true,
  });
  assert.equal(
    driftMessage("c1", { kind: "ConfigMap", namespace: "ns", name: "web" }, "deleted"),
    "cluster c1: ConfigMap ns/web: deleted; re-created",
  );
});

Deno.test("driftRecord() keeps at most 32 paths", () => {
  const fields = Array.from({ length: 40 }, (_, i) => `data.k${i}`);
  assert.equal(
    driftRecord({ kind: "ConfigMap", name: "x" }, { fields, causes: [] }, new Date()).fields.length,
    32,
  );
});
