import assert from "node:assert/strict";
import {
  type CensusObject,
  type CensusOwnerReference,
  censusPlan,
  CensusTally,
  type CensusType,
  isIgnoredType,
  isKubernetesDefault,
} from "./namespace_census.ts";

const ALL_VERBS = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"];

function type(group: string, resource: string, kind: string, extra: Partial<CensusType> = {}): CensusType {
  return { group, version: "v1", resource, kind, namespaced: true, verbs: ALL_VERBS, ...extra };
}

let uids = 0;
function obj(
  group: string,
  resource: string,
  kind: string,
  name: string,
  meta: Partial<CensusObject["metadata"]> = {},
): CensusObject {
  return { group, resource, kind, metadata: { name, uid: `uid-${++uids}`, ...meta } };
}

function ownerRef(owner: CensusObject, apiVersion: string): CensusOwnerReference {
  return {
    apiVersion,
    kind: owner.kind,
    name: owner.metadata.name!,
    uid: owner.metadata.uid!,
    controller: true,
  };
}

const PLUMBER = {
  "app.kubernetes.io/managed-by": "plumber",
  "plumber.jnytnai0613.github.io/replicator": "r1",
};
const isOwn = (o: CensusObject) => o.metadata.labels?.["plumber.jnytnai0613.github.io/replicator"] === "r1";
/** Namespaced kinds the tests list; anything else counts as not listed. */
const COUNTED = new Set(["apps/v1/Deployment", "apps/v1/ReplicaSet", "v1/Service", "v1/Endpoints", "v1/Pod"]);
const tally = () =>
  new CensusTally(isOwn, { ownerTypeCounted: (apiVersion, kind) => COUNTED.has(`${apiVersion}/${kind}`) });

Deno.test("censusPlan() lists namespaced, deletable types at their preferred version, without Events", () => {
  const plan = censusPlan([
    type("", "pods", "Pod"),
    type("", "namespaces", "Namespace", { namespaced: false }),
    type("", "events", "Event"),
    type("events.k8s.io", "events", "Event"),
    type("apps", "deployments", "Deployment", { version: "v1" }),
    type("apps", "deployments", "Deployment", { version: "v1beta1", preferred: false }),
    // A read-only view: namespace deletion cannot remove anything there.
    type("metrics.k8s.io", "pods", "PodMetrics", { verbs: ["get", "list"] }),
    type("", "bindings", "Binding", { verbs: ["create"] }),
    // Deletable but not listable: cannot be counted.
    type("example.com", "secrets", "Vault", { verbs: ["create", "delete", "get"] }),
    type("example.com", "widgets", "Widget", { verbs: ["delete", "list"] }),
  ]);
  assert.deepEqual(plan.list.map((t) => `${t.group}/${t.version}/${t.resource}`), [
    "/v1/pods",
    "apps/v1/deployments",
    "example.com/v1/widgets",
  ]);
  assert.deepEqual(plan.unlistable, [{
    resource: "secrets.example.com",
    reason: "the API of secrets.example.com does not offer list",
  }]);
  assert.ok(isIgnoredType({ group: "", resource: "events" }));
  assert.ok(!isIgnoredType({ group: "example.com", resource: "events" }), "a custom 'events' counts");
});

Deno.test("isKubernetesDefault() accepts kube-root-ca.crt, the default ServiceAccount and its tokens only", () => {
  assert.ok(isKubernetesDefault(obj("", "configmaps", "ConfigMap", "kube-root-ca.crt")));
  assert.ok(isKubernetesDefault(obj("", "serviceaccounts", "ServiceAccount", "default")));
  assert.ok(
    isKubernetesDefault(
      obj("", "secrets", "Secret", "default-token-x7k2p", {
        annotations: { "kubernetes.io/service-account.name": "default" },
      }),
    ),
  );
  assert.ok(!isKubernetesDefault(obj("", "configmaps", "ConfigMap", "openshift-service-ca.crt")));
  assert.ok(!isKubernetesDefault(obj("", "serviceaccounts", "ServiceAccount", "builder")));
  assert.ok(
    !isKubernetesDefault(
      obj("", "secrets", "Secret", "robot-token", {
        annotations: { "kubernetes.io/service-account.name": "robot" },
      }),
    ),
  );
  assert.ok(
    !isKubernetesDefault(obj("", "secrets", "Secret", "default-token-abc")),
    "a name alone is not enough",
  );
  assert.ok(!isKubernetesDefault(obj("example.com", "configmaps", "ConfigMap", "kube-root-ca.crt")));
});

Deno.test("CensusTally: plumber's objects and the defaults are accounted for; anything else is foreign at once", () => {
  const t = tally();
  assert.equal(t.add(obj("apps", "deployments", "Deployment", "web", { labels: PLUMBER })), "accounted");
  assert.equal(t.add(obj("", "configmaps", "ConfigMap", "kube-root-ca.crt")), "accounted");
  assert.equal(t.add(obj("", "serviceaccounts", "ServiceAccount", "default")), "accounted");
  assert.deepEqual(t.foreign(), []);
  assert.equal(t.add(obj("", "persistentvolumeclaims", "PersistentVolumeClaim", "data")), "foreign");
  assert.equal(
    t.add(obj("apps", "deployments", "Deployment", "other", {
      labels: { ...PLUMBER, "plumber.jnytnai0613.github.io/replicator": "r2" },
    })),
    "foreign",
    "another Replicator's object is foreign to r1",
  );
  assert.equal(t.definiteForeign, 2);
  assert.deepEqual(t.foreign(), [
    { kind: "PersistentVolumeClaim", group: "", name: "data" },
    { kind: "Deployment", group: "apps", name: "other" },
  ]);
});

Deno.test("CensusTally: ReplicaSets and Pods of plumber's Deployments go with it, present or already deleted", () => {
  const t = tally();
  const deployment = obj("apps", "deployments", "Deployment", "web", { labels: PLUMBER });
  const rs = obj("apps", "replicasets", "ReplicaSet", "web-5d8f", {
    ownerReferences: [ownerRef(deployment, "apps/v1")],
  });
  const pod = obj("", "pods", "Pod", "web-5d8f-abcde", { ownerReferences: [ownerRef(rs, "apps/v1")] });
  // Pods may be listed before their owners: nothing is decided until the end.
  assert.equal(t.add(pod), "pending");
  assert.equal(t.add(rs), "pending");
  assert.equal(t.add(deployment), "accounted");
  assert.deepEqual(t.foreign(), []);

  // The Replicator's cleanup deleted the Deployment a moment ago: the garbage collector takes the rest.
  const afterCleanup = tally();
  afterCleanup.add(pod);
  afterCleanup.add(rs);
  assert.deepEqual(afterCleanup.foreign(), []);
});

Deno.test("CensusTally: dependents of a foreign owner, of two owners, or of a cluster-scoped owner stay", () => {
  const t = tally();
  const userRs = obj("apps", "replicasets", "ReplicaSet", "mine");
  const userPod = obj("", "pods", "Pod", "mine-1", { ownerReferences: [ownerRef(userRs, "apps/v1")] });
  const plumberSvc = obj("", "services", "Service", "web", { labels: PLUMBER });
  const twoOwners = obj("example.com", "widgets", "Widget", "shared", {
    ownerReferences: [ownerRef(plumberSvc, "v1"), ownerRef(userRs, "apps/v1")],
  });
  const clusterOwned = obj("", "configmaps", "ConfigMap", "cluster-owned", {
    ownerReferences: [{ apiVersion: "v1", kind: "Node", name: "node-1", uid: "node-uid" }],
  });
  const unknownOwner = obj("", "configmaps", "ConfigMap", "crd-owned", {
    ownerReferences: [{ apiVersion: "example.com/v1", kind: "Gone", name: "g", uid: "gone-uid" }],
  });
  for (const o of [userPod, userRs, plumberSvc, twoOwners, clusterOwned, unknownOwner]) t.add(o);
  assert.deepEqual(t.foreign(), [
    { kind: "ReplicaSet", group: "apps", name: "mine" },
    { kind: "Pod", group: "", name: "mine-1", why: "owned by ReplicaSet mine, which stays" },
    { kind: "Widget", group: "example.com", name: "shared", why: "owned by ReplicaSet mine, which stays" },
    {
      kind: "ConfigMap",
      group: "",
      name: "cluster-owned",
      why: "owned by Node node-1, which is not in the namespace",
    },
    {
      kind: "ConfigMap",
      group: "",
      name: "crd-owned",
      why: "owned by Gone g, which is not in the namespace",
    },
  ]);
});

Deno.test("CensusTally: an ownership cycle among foreign objects is foreign", () => {
  const t = tally();
  const a = obj("", "pods", "Pod", "a");
  const b = obj("", "pods", "Pod", "b", { ownerReferences: [ownerRef(a, "v1")] });
  a.metadata.ownerReferences = [ownerRef(b, "v1")];
  t.add(a);
  t.add(b);
  assert.deepEqual(t.foreign().map((f) => f.name), ["a", "b"]);
});

Deno.test("CensusTally: controller Endpoints follow their Service; hand-made Endpoints are foreign", () => {
  const controller = { "endpoints.kubernetes.io/managed-by": "endpoint-controller" };
  const t = tally();
  t.add(obj("", "services", "Service", "web", { labels: PLUMBER }));
  assert.equal(t.add(obj("", "endpoints", "Endpoints", "web", { labels: controller })), "pending");
  // Before 1.33 the controller left only its trigger-time annotation; the Service is gone (deleted by plumber).
  t.add(obj("", "endpoints", "Endpoints", "gone", {
    annotations: { "endpoints.kubernetes.io/last-change-trigger-time": "2026-01-01T00:00:00Z" },
  }));
  assert.deepEqual(t.foreign(), []);

  const kept = tally();
  kept.add(obj("", "services", "Service", "db"));
  kept.add(obj("", "endpoints", "Endpoints", "db", { labels: controller }));
  assert.equal(kept.add(obj("", "endpoints", "Endpoints", "manual")), "foreign");
  assert.deepEqual(kept.foreign(), [
    { kind: "Service", group: "", name: "db" },
    { kind: "Endpoints", group: "", name: "manual" },
    { kind: "Endpoints", group: "", name: "db", why: "endpoints of Service db, which stays" },
  ]);
});

Deno.test("CensusTally: a foreign object being deleted still counts; a uid seen twice counts once", () => {
  const t = tally();
  const pvc = obj("", "persistentvolumeclaims", "PersistentVolumeClaim", "data", {
    deletionTimestamp: "2026-01-01T00:00:00Z",
  });
  assert.equal(t.add(pvc), "foreign");
  assert.equal(t.add(pvc), "foreign");
  assert.equal(t.definiteForeign, 1);
  assert.deepEqual(t.foreign(), [{
    kind: "PersistentVolumeClaim",
    group: "",
    name: "data",
    why: "being deleted, not yet gone",
  }]);
});

Deno.test("CensusTally.foreign({ resolve: false }) gives only what was foreign at once", () => {
  const t = tally();
  const rs = obj("apps", "replicasets", "ReplicaSet", "web");
  t.add(obj("", "pods", "Pod", "web-1", { ownerReferences: [ownerRef(rs, "apps/v1")] }));
  t.add(obj("", "configmaps", "ConfigMap", "settings"));
  assert.deepEqual(t.foreign({ resolve: false }).map((f) => f.name), ["settings"]);
  // Resolved against what was seen, the ReplicaSet looks deleted: the Pod goes with it.
  assert.deepEqual(t.foreign().map((f) => f.name), ["settings"]);
});
