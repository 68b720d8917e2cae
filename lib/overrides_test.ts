import assert from "node:assert/strict";
import { parse } from "yaml";
import type { KubeObject, Replicator, ReplicatorSpec } from "./api.ts";
import {
  applyOverrides,
  jsonPatchLoaded,
  loadJsonPatch,
  needsJsonPatch,
  type Override,
  OverrideError,
  overridesFor,
  selectsCluster,
} from "./overrides.ts";
import { renderReplicator, type TlsMaterial } from "./render.ts";

const FAKE_TLS: TlsMaterial = {
  caCertPem: "FAKE-CA",
  serverCertPem: "FAKE-SERVER",
  serverKeyPem: "FAKE-SERVER-KEY",
  clientCertPem: "FAKE-CLIENT",
  clientKeyPem: "FAKE-CLIENT-KEY",
};

const EAST = { name: "east.admin", labels: { region: "east", size: "big" } };
const WEST = { name: "west.admin", labels: { region: "west" } };

function replicator(overrides: Override[], extra: Partial<ReplicatorSpec> = {}): Replicator {
  return {
    apiVersion: "plumber.jnytnai0613.github.io/v1",
    kind: "Replicator",
    metadata: { name: "web-rep", uid: "uid-1" },
    spec: {
      replicationNamespace: "shop",
      configMapName: "web",
      configMapData: { "index.html": "hello", mode: "normal" },
      deploymentName: "web",
      deploymentSpec: {
        replicas: 2,
        template: {
          spec: {
            initContainers: [{ name: "init", image: "busybox:1.36" }],
            containers: [{ name: "web", image: "nginx:1.27" }, { name: "sidecar", image: "envoy:1.30" }],
          },
        },
      },
      serviceName: "web",
      serviceSpec: { ports: [{ port: 80 }] },
      ingressName: "web",
      ingressSpec: { rules: [{ host: "shop.example.com" }] },
      ingressSecureEnabled: true,
      overrides,
      ...extra,
    },
  } as Replicator;
}

function render(overrides: Override[], cluster = EAST, extra: Partial<ReplicatorSpec> = {}): KubeObject[] {
  const r = replicator(overrides, extra);
  const objects = renderReplicator({ replicator: r, role: "secondary", tls: FAKE_TLS, primaryId: "p-1" });
  return applyOverrides(objects, r.spec.overrides, cluster);
}

// deno-lint-ignore no-explicit-any
type Loose = KubeObject & { spec: any; data?: Record<string, string> };

function find(objects: KubeObject[], kind: string, name?: string): Loose {
  const o = objects.find((x) => x.kind === kind && (name === undefined || x.metadata.name === name));
  assert.ok(o, `${kind} ${name ?? ""} rendered`);
  return o as Loose;
}

function refused(overrides: Override[], message: string | RegExp, extra: Partial<ReplicatorSpec> = {}): void {
  assert.throws(() => render(overrides, EAST, extra), (error: unknown) => {
    assert.ok(error instanceof OverrideError, `an OverrideError, not ${error}`);
    if (typeof message === "string") assert.equal(error.message, message);
    else assert.match(error.message, message);
    return true;
  });
}

// First in this file: the JSON-patch library is not loaded until a test asks for it.
Deno.test("patches need loadJsonPatch() first: rfc6902 is loaded once, on demand, not at import", async () => {
  const patched: Override[] = [{
    clusterNames: ["east.admin"],
    patches: [{
      target: { kind: "ConfigMap" },
      patch: [{ op: "add", path: "/data/x", value: "1" as never }],
    }],
  }];
  assert.equal(needsJsonPatch(patched), true);
  assert.equal(needsJsonPatch([{ clusterNames: ["east.admin"], replicas: 3, patches: [] }]), false);
  assert.equal(needsJsonPatch(undefined), false);
  assert.equal(jsonPatchLoaded(), false);
  // Overrides without patches never need it.
  assert.equal(find(render([{ clusterNames: ["east.admin"], replicas: 3 }]), "Deployment").spec.replicas, 3);
  // Forgetting to load is a plain error (retryable), never an OverrideError, and starts the load.
  assert.throws(() => render(patched), (error: unknown) => {
    assert.ok(!(error instanceof OverrideError));
    assert.match(String(error), /still loading \(await loadJsonPatch\(\) before applyOverrides\)/);
    return true;
  });
  assert.strictEqual(loadJsonPatch(), loadJsonPatch());
  await loadJsonPatch();
  assert.equal(jsonPatchLoaded(), true);
  assert.equal(find(render(patched), "ConfigMap").data?.x, "1");
});

Deno.test("selectsCluster() selects by listed name or by matching labels (the union)", () => {
  assert.ok(selectsCluster({ clusterNames: ["east.admin"] }, EAST));
  assert.ok(!selectsCluster({ clusterNames: ["east.admin"] }, WEST));
  assert.ok(selectsCluster({ clusterSelector: { matchLabels: { region: "west" } } }, WEST));
  assert.ok(!selectsCluster({ clusterSelector: { matchLabels: { region: "west" } } }, EAST));
  const both: Override = { clusterNames: ["west.admin"], clusterSelector: { matchLabels: { size: "big" } } };
  assert.ok(selectsCluster(both, EAST) && selectsCluster(both, WEST));
  assert.ok(!selectsCluster(both, { name: "north.admin", labels: { size: "small" } }));
  assert.ok(
    selectsCluster({ clusterSelector: {} }, { name: "primary" }),
    "an empty selector selects every cluster",
  );
  assert.ok(!selectsCluster({}, EAST), "no selection selects nothing");
});

Deno.test("overridesFor() lists the selecting entries in order and refuses a selector with a bad key", () => {
  const overrides: Override[] = [
    { clusterNames: ["west.admin"] },
    { clusterSelector: { matchExpressions: [{ key: "region", operator: "In", values: ["east", "west"] }] } },
    { clusterNames: ["east.admin"] },
  ];
  assert.deepEqual(overridesFor(overrides, EAST), [1, 2]);
  assert.deepEqual(overridesFor(overrides, WEST), [0, 1]);
  assert.deepEqual(overridesFor(undefined, WEST), []);
  assert.throws(
    () =>
      overridesFor([{ clusterNames: ["x"] }, { clusterSelector: { matchLabels: { "-bad": "x" } } }], WEST),
    { message: 'spec.overrides[1].clusterSelector.matchLabels: "-bad" is not a label key' },
  );
});

Deno.test("applyOverrides() without a selecting entry returns exactly what was rendered, and never changes its input", () => {
  const r = replicator([{ clusterNames: ["west.admin"], replicas: 9, labels: { team: "a" } }]);
  const objects = renderReplicator({ replicator: r, role: "secondary", tls: FAKE_TLS, primaryId: "p-1" });
  const copy = structuredClone(objects);
  assert.deepEqual(applyOverrides(objects, r.spec.overrides, EAST), objects);
  const west = applyOverrides(objects, r.spec.overrides, WEST);
  assert.equal(find(west, "Deployment").spec.replicas, 9);
  assert.deepEqual(objects, copy, "the input is unchanged");
});

Deno.test("replicas, images (containers and init containers) and configMapData land in the selected cluster", () => {
  const out = render([{
    clusterNames: ["east.admin"],
    replicas: 5,
    images: { web: "mirror.local/nginx:1.27", init: "mirror.local/busybox:1.36" },
    configMapData: { mode: "air-gapped", extra: "1" },
  }]);
  const d = find(out, "Deployment");
  assert.equal(d.spec.replicas, 5);
  assert.deepEqual(d.spec.template.spec.containers.map((c: { image: string }) => c.image), [
    "mirror.local/nginx:1.27",
    "envoy:1.30",
  ]);
  assert.equal(d.spec.template.spec.initContainers[0].image, "mirror.local/busybox:1.36");
  assert.deepEqual(find(out, "ConfigMap").data, { "index.html": "hello", mode: "air-gapped", extra: "1" });
});

Deno.test("later entries win over earlier ones, and replicas 0 is applied", () => {
  const out = render([
    { clusterSelector: { matchLabels: { size: "big" } }, replicas: 5, configMapData: { mode: "a" } },
    { clusterNames: ["east.admin"], replicas: 0, configMapData: { mode: "b" } },
  ]);
  assert.equal(find(out, "Deployment").spec.replicas, 0);
  assert.equal(find(out, "ConfigMap").data?.mode, "b");
});

Deno.test("typed fields that need an object which is not rendered are refused, naming the field", () => {
  refused(
    [{ clusterNames: ["east.admin"], replicas: 3 }],
    "spec.overrides[0].replicas: no Deployment is rendered (spec.deploymentName is not set)",
    { deploymentName: undefined },
  );
  refused(
    [{ clusterNames: ["east.admin"], configMapData: { a: "b" } }],
    "spec.overrides[0].configMapData: no ConfigMap is rendered (spec.configMapName is not set)",
    { configMapName: undefined },
  );
  refused(
    [{ clusterNames: ["east.admin"], images: { nginx: "x:1" } }],
    'spec.overrides[0].images[nginx]: no container or init container named "nginx" in Deployment web ' +
      "(it has: web, sidecar, init)",
  );
});

Deno.test("labels and annotations go on every replicated object but the Namespace", () => {
  const out = render([{
    clusterNames: ["east.admin"],
    labels: { team: "shop", "example.com/tier": "front" },
    annotations: { "example.com/owner": "ops@example.com" },
  }]);
  for (const o of out) {
    if (o.kind === "Namespace") {
      assert.equal(o.metadata.labels?.team, undefined);
      assert.equal(o.metadata.annotations, undefined);
      continue;
    }
    assert.equal(o.metadata.labels?.team, "shop", `${o.kind} ${o.metadata.name}`);
    assert.equal(o.metadata.labels?.["example.com/tier"], "front");
    assert.equal(o.metadata.labels?.["app.kubernetes.io/managed-by"], "plumber", "plumber's labels stay");
    assert.equal(o.metadata.annotations?.["example.com/owner"], "ops@example.com");
  }
  assert.equal(out.filter((o) => o.metadata.labels?.team === "shop").length, 6);
  // The Ingress keeps plumber's mTLS annotations.
  assert.equal(
    find(out, "Ingress").metadata.annotations?.["nginx.ingress.kubernetes.io/auth-tls-verify-client"],
    "on",
  );
});

Deno.test("plumber's own labels and annotations, selector label keys and bad keys or values are refused", () => {
  const on = (
    o: Partial<Override>,
  ): Override[] => [{ clusterNames: ["east.admin"] }, { clusterNames: ["east.admin"], ...o }];
  refused(
    on({ labels: { "app.kubernetes.io/managed-by": "helm" } }),
    "spec.overrides[1].labels[app.kubernetes.io/managed-by]: app.kubernetes.io/managed-by is plumber's own label",
  );
  refused(
    on({ labels: { "plumber.jnytnai0613.github.io/replicator": "other" } }),
    /^spec\.overrides\[1\]\.labels\[plumber\.jnytnai0613\.github\.io\/replicator\]: .* is plumber's own label$/,
  );
  refused(
    on({ labels: { "app.kubernetes.io/instance": "x" } }),
    "spec.overrides[1].labels[app.kubernetes.io/instance]: app.kubernetes.io/instance is a selector label " +
      "plumber sets on the Deployment's pods",
  );
  refused(
    on({ labels: { "bad key!": "x" } }),
    'spec.overrides[1].labels[bad key!]: "bad key!" is not a valid label key',
  );
  refused(
    on({ labels: { team: "not ok" } }),
    /^spec\.overrides\[1\]\.labels\[team\]: "not ok" is not a label value/,
  );
  refused(
    on({ annotations: { "plumber.jnytnai0613.github.io/intent-hash": "x" } }),
    /^spec\.overrides\[1\]\.annotations\[plumber\.jnytnai0613\.github\.io\/intent-hash\]: .* is plumber's own annotation$/,
  );
  refused(
    on({ annotations: { "nginx.ingress.kubernetes.io/auth-tls-verify-client": "off" } }),
    "spec.overrides[1].annotations[nginx.ingress.kubernetes.io/auth-tls-verify-client]: plumber sets " +
      "nginx.ingress.kubernetes.io/auth-tls-verify-client on Ingress web",
  );
});

Deno.test("patches apply RFC 6902 to the target, named or the only one of its kind", () => {
  const out = render([{
    clusterNames: ["east.admin"],
    patches: [
      {
        target: { kind: "Deployment" },
        patch: [
          { op: "add", path: "/spec/template/spec/priorityClassName", value: "high" as never },
          { op: "copy", from: "/spec/replicas", path: "/spec/revisionHistoryLimit" },
          { op: "test", path: "/spec/replicas", value: 2 as never },
        ],
      },
      {
        target: { kind: "Secret", name: "cli-secret" },
        patch: [{ op: "add", path: "/metadata/annotations", value: { note: "x" } }],
      },
      {
        target: { kind: "Service" },
        patch: [{ op: "replace", path: "/spec/ports/0/port", value: 8080 as never }],
      },
      { target: { kind: "ConfigMap" }, patch: [{ op: "move", from: "/data/mode", path: "/data/renamed" }] },
    ],
  }]);
  const d = find(out, "Deployment");
  assert.equal(d.spec.template.spec.priorityClassName, "high");
  assert.equal(d.spec.revisionHistoryLimit, 2);
  assert.deepEqual(find(out, "Secret", "cli-secret").metadata.annotations, { note: "x" });
  assert.equal(find(out, "Secret", "ca-secret").metadata.annotations, undefined);
  assert.equal(find(out, "Service").spec.ports[0].port, 8080);
  assert.deepEqual(find(out, "ConfigMap").data, { "index.html": "hello", renamed: "normal" });
});

Deno.test("a patch that cannot apply names the override, patch, operation, path and object", () => {
  const patch = (
    target: { kind: "Deployment" | "Secret" | "Namespace" | "Ingress"; name?: string },
    ops: unknown[],
  ) => [
    { clusterNames: ["west.admin"] },
    {
      clusterNames: ["east.admin"],
      patches: [{
        target: { kind: "Service" as const },
        patch: [{ op: "add" as const, path: "/metadata/labels/x", value: "y" as never }],
      }, { target, patch: ops as never }],
    },
  ];
  refused(
    patch({ kind: "Deployment" }, [{ op: "remove", path: "/spec/foo" }]),
    "spec.overrides[1].patches[1].patch[0]: path /spec/foo does not exist in Deployment web",
  );
  refused(
    patch({ kind: "Deployment" }, [{ op: "add", path: "/spec/a/b", value: 1 }]),
    "spec.overrides[1].patches[1].patch[0]: the parent of path /spec/a/b does not exist in Deployment web",
  );
  refused(
    patch({ kind: "Deployment" }, [{ op: "replace", path: "/spec/replicas", value: 3 }, {
      op: "move",
      from: "/spec/nope",
      path: "/spec/x",
    }]),
    "spec.overrides[1].patches[1].patch[1]: from /spec/nope does not exist in Deployment web",
  );
  refused(
    patch({ kind: "Secret", name: "ca-secret" }, [{ op: "test", path: "/data/tls.key", value: "guess" }]),
    "spec.overrides[1].patches[1].patch[0]: test at path /data/tls.key failed in Secret ca-secret",
  );
  refused(
    patch({ kind: "Secret" }, [{ op: "remove", path: "/type" }]),
    "spec.overrides[1].patches[1].target.name: 2 Secret objects are rendered (ca-secret, cli-secret): name the one to patch",
  );
  refused(
    patch({ kind: "Deployment", name: "api" }, [{ op: "remove", path: "/spec/replicas" }]),
    'spec.overrides[1].patches[1].target: no Deployment named "api" is rendered (rendered: web)',
  );
  refused(
    patch({ kind: "Namespace" }, [{ op: "remove", path: "/metadata/labels" }]),
    "spec.overrides[1].patches[1].target.kind: plumber creates the Namespace once and never changes it, so it " +
      "cannot be patched",
  );
  refused(
    [{
      clusterNames: ["east.admin"],
      patches: [{ target: { kind: "Ingress" }, patch: [{ op: "remove", path: "/spec" }] }],
    }],
    "spec.overrides[0].patches[0].target: no Ingress is rendered",
    { ingressName: undefined, ingressSecureEnabled: false },
  );
});

Deno.test("a patch that removes or changes what plumber needs is refused", () => {
  const patching = (kind: "Deployment" | "ConfigMap", ops: unknown[]): Override[] => [
    { clusterNames: ["east.admin"], patches: [{ target: { kind }, patch: ops as never }] },
  ];
  const cases: Array<[Override[], string]> = [
    [
      patching("Deployment", [{ op: "remove", path: "/metadata/labels" }]),
      "removes or changes the label app.kubernetes.io/managed-by of Deployment web",
    ],
    [
      patching("ConfigMap", [{
        op: "replace",
        path: "/metadata/labels/plumber.jnytnai0613.github.io~1replicator",
        value: "x",
      }]),
      "removes or changes the label plumber.jnytnai0613.github.io/replicator of ConfigMap web",
    ],
    [
      patching("Deployment", [{ op: "add", path: "/spec/selector/matchLabels/extra", value: "1" }]),
      "changes spec.selector of Deployment web",
    ],
    [
      patching("Deployment", [{
        op: "remove",
        path: "/spec/template/metadata/labels/app.kubernetes.io~1name",
      }]),
      "removes or changes the pod template label app.kubernetes.io/name of Deployment web",
    ],
    [
      patching("ConfigMap", [{ op: "replace", path: "/metadata/name", value: "other" }]),
      "changes metadata.name of ConfigMap web",
    ],
    [
      patching("ConfigMap", [{ op: "replace", path: "/metadata/namespace", value: "kube-system" }]),
      "changes metadata.namespace of ConfigMap web",
    ],
    [
      patching("ConfigMap", [{ op: "replace", path: "/kind", value: "Secret" }]),
      "changes the kind of ConfigMap web",
    ],
    [
      patching("ConfigMap", [{ op: "replace", path: "/apiVersion", value: "v2" }]),
      "changes the apiVersion of ConfigMap web",
    ],
  ];
  for (const [overrides, reason] of cases) {
    refused(overrides, `spec.overrides[0].patches[0]: ${reason}, which plumber needs`);
  }
  // Adding template labels or changing the pod spec is fine.
  const out = render(
    patching("Deployment", [{ op: "add", path: "/spec/template/metadata/labels/canary", value: "yes" }]),
  );
  assert.equal(find(out, "Deployment").spec.template.metadata.labels.canary, "yes");
});

Deno.test("on the primary, a patch may not drop the owner reference to the Replicator", () => {
  const r = replicator([{
    clusterNames: ["primary.admin"],
    patches: [{ target: { kind: "Service" }, patch: [{ op: "remove", path: "/metadata/ownerReferences" }] }],
  }]);
  const objects = renderReplicator({ replicator: r, role: "primary", tls: FAKE_TLS, primaryId: "p-1" });
  assert.throws(() => applyOverrides(objects, r.spec.overrides, { name: "primary.admin" }), {
    message:
      "spec.overrides[0].patches[0]: changes metadata.ownerReferences of Service web, which plumber needs",
  });
});

Deno.test("examples/replicator-overrides.yaml: 6 replicas in region east, mirror images and a pull Secret in the air-gapped cluster", async () => {
  const text = await Deno.readTextFile(new URL("../examples/replicator-overrides.yaml", import.meta.url));
  const example = { ...parse(text) as Replicator };
  example.metadata = { ...example.metadata, uid: "uid-1" };
  const objects = renderReplicator({ replicator: example, role: "secondary", primaryId: "p-1" });
  const overrides = example.spec.overrides;
  const images = (o: KubeObject[]) => {
    const pod = find(o, "Deployment").spec.template.spec;
    return [...pod.containers, ...pod.initContainers].map((c: { image: string }) => c.image);
  };

  const east = applyOverrides(objects, overrides, {
    name: "v1262-cluster.kubernetes-admin2",
    labels: { region: "east" },
  });
  assert.equal(find(east, "Deployment").spec.replicas, 6);
  assert.deepEqual(images(east), ["ghcr.io/example/shop:2.4.1", "ghcr.io/example/shop-migrate:2.4.1"]);

  const airGapped = applyOverrides(objects, overrides, {
    name: "v1252-cluster.kubernetes-admin3",
    labels: { region: "west" },
  });
  const d = find(airGapped, "Deployment");
  assert.equal(d.spec.replicas, 2);
  assert.deepEqual(images(airGapped), [
    "registry.airgap.internal/example/shop:2.4.1",
    "registry.airgap.internal/example/shop-migrate:2.4.1",
  ]);
  assert.deepEqual(d.spec.template.spec.imagePullSecrets, [{ name: "airgap-registry" }]);
  assert.equal(find(airGapped, "ConfigMap").data?.UPSTREAM_URL, "http://api.airgap.internal");
  assert.equal(find(airGapped, "Service").metadata.labels?.["example.com/network"], "air-gapped");

  assert.deepEqual(
    applyOverrides(objects, overrides, { name: "primary.admin" }),
    objects,
    "the primary: none",
  );
});
