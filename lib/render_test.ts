import assert from "node:assert/strict";
import { parse, parseAllDocuments, stringify } from "yaml";
import {
  API_VERSION,
  type KubeObject,
  LABEL_MANAGED_BY,
  LABEL_REPLICATOR,
  type Replicator,
  type ReplicatorSpec,
} from "./api.ts";
import {
  CA_SECRET_NAME,
  CLIENT_SECRET_NAME,
  DEFAULT_INGRESS_CLASS,
  ingressHosts,
  ingressTlsEnabled,
  renderReplicator,
  replicatorLabels,
  selectorLabels,
  type TlsMaterial,
} from "./render.ts";
import { LABEL_PRIMARY, LABEL_REPLICATOR_UID } from "./ownership.ts";

// Fixed fake material: golden files must never hold real keys.
const FAKE_TLS: TlsMaterial = {
  caCertPem: "-----BEGIN CERTIFICATE-----\nFAKE-CA\n-----END CERTIFICATE-----\n",
  serverCertPem: "-----BEGIN CERTIFICATE-----\nFAKE-SERVER\n-----END CERTIFICATE-----\n",
  serverKeyPem: "-----BEGIN PRIVATE KEY-----\nFAKE-SERVER-KEY\n-----END PRIVATE KEY-----\n",
  clientCertPem: "-----BEGIN CERTIFICATE-----\nFAKE-CLIENT\n-----END CERTIFICATE-----\n",
  clientKeyPem: "-----BEGIN PRIVATE KEY-----\nFAKE-CLIENT-KEY\n-----END PRIVATE KEY-----\n",
};

const SAMPLE_UID = "6b1f3c2a-0000-4000-8000-000000000001";
const TESTDATA = new URL("./testdata/render/", import.meta.url);

const SAMPLE = new URL("../examples/replicator-sample.yaml", import.meta.url);

/** The seed's sample Replicator, as users copy it from examples/. */
async function loadSample(): Promise<Replicator> {
  return parse(await Deno.readTextFile(SAMPLE)) as Replicator;
}

/**
 * Compares objects with a multi-document YAML golden file, or rewrites the file when
 * `UPDATE_GOLDEN=1`. The comparison is on the parsed documents, not the text: `deno fmt`
 * formats YAML under lib/ and re-indents block scalars, which changes the text only.
 */
async function assertGolden(fileName: string, objects: KubeObject[]): Promise<void> {
  const url = new URL(fileName, TESTDATA);
  if (Deno.env.get("UPDATE_GOLDEN") === "1") {
    const header = "# Written by lib/render_test.ts with UPDATE_GOLDEN=1; do not edit by hand.\n";
    await Deno.writeTextFile(url, header + objects.map((o) => stringify(o, { lineWidth: 0 })).join("---\n"));
    return;
  }
  const documents = parseAllDocuments(await Deno.readTextFile(url));
  const expected = documents.map((document) => {
    const [error] = document.errors;
    if (error) throw new Error(`Cannot parse golden file ${fileName}: ${error.message}`);
    return document.toJS();
  });
  assert.deepStrictEqual(objects, expected, `${fileName} differs; rerun with UPDATE_GOLDEN=1 if intended`);
}

function replicator(name: string, spec: ReplicatorSpec, uid?: string): Replicator {
  return {
    apiVersion: API_VERSION,
    kind: "Replicator",
    metadata: { name, ...(uid ? { uid } : {}) },
    spec,
  };
}

const NGINX_TEMPLATE = { spec: { containers: [{ name: "nginx", image: "nginx:latest" }] } };

function find(objects: KubeObject[], kind: string, name?: string): KubeObject | undefined {
  return objects.find((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
}

function mustFind(objects: KubeObject[], kind: string, name?: string): KubeObject {
  const object = find(objects, kind, name);
  assert.ok(object, `expected a ${kind}${name ? ` named ${name}` : ""}`);
  return object;
}

// deno-lint-ignore no-explicit-any
type Loose = any;

function deepFreeze<T>(value: T): T {
  if (value && typeof value === "object") {
    for (const member of Object.values(value)) deepFreeze(member);
    Object.freeze(value);
  }
  return value;
}

Deno.test("renderReplicator() renders the seed sample for the primary as in the golden file", async () => {
  const sample = await loadSample();
  sample.metadata.uid = SAMPLE_UID;
  await assertGolden(
    "sample-primary.yaml",
    renderReplicator({ replicator: sample, role: "primary", tls: FAKE_TLS }),
  );
});

Deno.test("renderReplicator() renders the seed sample for a secondary as in the golden file", async () => {
  const sample = await loadSample();
  sample.metadata.uid = SAMPLE_UID;
  await assertGolden(
    "sample-secondary.yaml",
    renderReplicator({ replicator: sample, role: "secondary", tls: FAKE_TLS }),
  );
});

Deno.test("renderReplicator() returns objects in apply order", async () => {
  const objects = renderReplicator({ replicator: await loadSample(), role: "primary", tls: FAKE_TLS });
  assert.deepStrictEqual(
    objects.map((o) => `${o.kind}/${o.metadata.name}`),
    [
      "Namespace/test-ns",
      "ConfigMap/nginx",
      `Secret/${CA_SECRET_NAME}`,
      `Secret/${CLIENT_SECRET_NAME}`,
      "Deployment/nginx",
      "Service/nginx",
      "Ingress/nginx",
    ],
  );
});

Deno.test("renderReplicator() is deterministic", async () => {
  const sample = await loadSample();
  assert.deepStrictEqual(
    renderReplicator({ replicator: sample, role: "primary", tls: FAKE_TLS }),
    renderReplicator({ replicator: sample, role: "primary", tls: FAKE_TLS }),
  );
});

Deno.test("renderReplicator() renders only the Namespace when no resource is named", () => {
  const objects = renderReplicator({
    replicator: replicator("bare", { replicationNamespace: "ns" }),
    role: "primary",
  });
  assert.deepStrictEqual(objects, [{
    apiVersion: "v1",
    kind: "Namespace",
    metadata: { name: "ns", labels: { [LABEL_MANAGED_BY]: "plumber", [LABEL_REPLICATOR]: "bare" } },
  }]);
});

Deno.test("renderReplicator() renders no ConfigMap without configMapName", async () => {
  const sample = await loadSample();
  delete sample.spec.configMapName;
  const objects = renderReplicator({ replicator: sample, role: "primary", tls: FAKE_TLS });
  assert.equal(find(objects, "ConfigMap"), undefined);
  assert.equal(objects.length, 6);
});

Deno.test("renderReplicator() renders a ConfigMap with empty data when configMapData is absent", () => {
  const objects = renderReplicator({
    replicator: replicator("r", { replicationNamespace: "ns", configMapName: "settings" }),
    role: "secondary",
  });
  assert.deepStrictEqual(mustFind(objects, "ConfigMap", "settings").data, {});
});

Deno.test("renderReplicator() renders no Service without serviceName", async () => {
  const sample = await loadSample();
  delete sample.spec.serviceName;
  const objects = renderReplicator({ replicator: sample, role: "primary", tls: FAKE_TLS });
  assert.equal(find(objects, "Service"), undefined);
  assert.equal(objects.length, 6);
});

Deno.test("renderReplicator() renders neither Ingress nor Secrets without ingressName, even with ingressSecureEnabled", async () => {
  const sample = await loadSample();
  delete sample.spec.ingressName;
  assert.equal(sample.spec.ingressSecureEnabled, true);
  assert.equal(ingressTlsEnabled(sample.spec), false);
  // No TLS material needed: there is no Ingress to secure.
  const objects = renderReplicator({ replicator: sample, role: "primary" });
  assert.deepStrictEqual(objects.map((o) => o.kind), ["Namespace", "ConfigMap", "Deployment", "Service"]);
});

Deno.test("renderReplicator() ignores a spec whose name is not set", () => {
  const objects = renderReplicator({
    replicator: replicator("r", {
      replicationNamespace: "ns",
      deploymentSpec: { template: NGINX_TEMPLATE },
      serviceSpec: { ports: [{ port: 80 }] },
      ingressSpec: { rules: [{ host: "a.example.com" }] },
      configMapData: { key: "value" },
    }),
    role: "primary",
  });
  assert.deepStrictEqual(objects.map((o) => o.kind), ["Namespace"]);
});

Deno.test("renderReplicator() with TLS off renders no Secrets and leaves the Ingress as written, class added", async () => {
  const sample = await loadSample();
  sample.spec.ingressSecureEnabled = false;
  sample.spec.ingressSpec!.tls = [{ hosts: ["nginx.example.com"], secretName: "my-own-cert" }];
  const objects = renderReplicator({ replicator: sample, role: "primary" });
  assert.equal(find(objects, "Secret"), undefined);
  const ingress = mustFind(objects, "Ingress", "nginx");
  assert.equal(ingress.metadata.annotations, undefined);
  assert.deepStrictEqual(ingress.spec, { ...sample.spec.ingressSpec, ingressClassName: "nginx" });
});

Deno.test("renderReplicator() defaults the Ingress class to nginx and keeps a class the user sets", () => {
  const spec = (ingressSpec?: ReplicatorSpec["ingressSpec"]): ReplicatorSpec => ({
    replicationNamespace: "shop",
    ingressName: "web",
    ...(ingressSpec ? { ingressSpec } : {}),
  });
  const classOf = (s: ReplicatorSpec) =>
    (mustFind(renderReplicator({ replicator: replicator("r", s), role: "primary" }), "Ingress", "web")
      .spec as Loose)
      .ingressClassName;
  assert.equal(DEFAULT_INGRESS_CLASS, "nginx");
  assert.equal(classOf(spec()), "nginx");
  assert.equal(classOf(spec({ rules: [{ host: "a.example.com" }] })), "nginx");
  assert.equal(classOf(spec({ ingressClassName: "" })), "nginx");
  assert.equal(classOf(spec({ ingressClassName: "traefik" })), "traefik");
  const input = spec({ rules: [{ host: "a.example.com" }] });
  classOf(input);
  assert.equal(input.ingressSpec!.ingressClassName, undefined, "the input is not modified");
});

Deno.test("renderReplicator() with TLS on takes the hosts of two rules and drops a duplicate host", () => {
  const rule = (host: string) => ({
    host,
    http: {
      paths: [{
        path: "/",
        pathType: "Prefix" as const,
        backend: { service: { name: "web", port: { number: 80 } } },
      }],
    },
  });
  const spec: ReplicatorSpec = {
    replicationNamespace: "shop",
    ingressName: "web",
    ingressSpec: {
      rules: [rule("a.example.com"), rule("b.example.com"), rule("a.example.com")],
      tls: [{ hosts: ["stale.example.com"], secretName: "replaced" }],
    },
    ingressSecureEnabled: true,
  };
  assert.deepStrictEqual(ingressHosts(spec), ["a.example.com", "b.example.com"]);
  const objects = renderReplicator({ replicator: replicator("r", spec), role: "secondary", tls: FAKE_TLS });
  const ingress = mustFind(objects, "Ingress", "web");
  const ingressSpec = ingress.spec as Loose;
  assert.deepStrictEqual(ingressSpec.tls, [{
    hosts: ["a.example.com", "b.example.com"],
    secretName: "ca-secret",
  }]);
  assert.equal(ingressSpec.rules.length, 3);
  assert.deepStrictEqual(ingress.metadata.annotations, {
    "nginx.ingress.kubernetes.io/auth-tls-verify-client": "on",
    "nginx.ingress.kubernetes.io/auth-tls-secret": "shop/ca-secret",
    "nginx.ingress.kubernetes.io/rewrite-target": "/",
  });
});

Deno.test("renderReplicator() with TLS on and rules without hosts omits tls hosts", () => {
  const objects = renderReplicator({
    replicator: replicator("r", {
      replicationNamespace: "ns",
      ingressName: "web",
      ingressSpec: { defaultBackend: { service: { name: "web", port: { number: 80 } } } },
      ingressSecureEnabled: true,
    }),
    role: "primary",
    tls: FAKE_TLS,
  });
  assert.deepStrictEqual((mustFind(objects, "Ingress").spec as Loose).tls, [{ secretName: "ca-secret" }]);
});

Deno.test("renderReplicator() puts base64 PEM in Secret data, never stringData", () => {
  const objects = renderReplicator({
    replicator: replicator("r", {
      replicationNamespace: "ns",
      ingressName: "web",
      ingressSecureEnabled: true,
    }),
    role: "primary",
    tls: FAKE_TLS,
  });
  const decode = (data: unknown) =>
    Object.fromEntries(Object.entries(data as Record<string, string>).map(([k, v]) => [k, atob(v)]));
  const ca = mustFind(objects, "Secret", CA_SECRET_NAME);
  const client = mustFind(objects, "Secret", CLIENT_SECRET_NAME);
  assert.equal(ca.type, "Opaque");
  assert.equal(client.type, "Opaque");
  assert.equal(ca.stringData, undefined);
  assert.equal(client.stringData, undefined);
  assert.deepStrictEqual(decode(ca.data), {
    "ca.crt": FAKE_TLS.caCertPem,
    "tls.crt": FAKE_TLS.serverCertPem,
    "tls.key": FAKE_TLS.serverKeyPem,
  });
  assert.deepStrictEqual(decode(client.data), {
    "client.crt": FAKE_TLS.clientCertPem,
    "client.key": FAKE_TLS.clientKeyPem,
  });
});

Deno.test("renderReplicator() throws when ingressSecureEnabled comes without TLS material", async () => {
  const sample = await loadSample();
  assert.throws(
    () => renderReplicator({ replicator: sample, role: "primary" }),
    { name: "Error", message: /replicator-sample.*TLS material is required/ },
  );
});

Deno.test("renderReplicator() replaces a selector the user wrote", () => {
  const objects = renderReplicator({
    replicator: replicator("web", {
      replicationNamespace: "ns",
      deploymentName: "nginx",
      deploymentSpec: {
        selector: { matchLabels: { apps: "nginx" }, matchExpressions: [{ key: "x", operator: "Exists" }] },
        template: { metadata: { labels: { apps: "nginx" } }, ...NGINX_TEMPLATE },
      },
      serviceName: "nginx",
      serviceSpec: { selector: { apps: "nginx" }, ports: [{ port: 80 }] },
    }),
    role: "primary",
  });
  const expected = { "app.kubernetes.io/name": "nginx", "app.kubernetes.io/instance": "web" };
  assert.deepStrictEqual((mustFind(objects, "Deployment").spec as Loose).selector, { matchLabels: expected });
  assert.deepStrictEqual((mustFind(objects, "Service").spec as Loose).selector, expected);
});

Deno.test("renderReplicator() keeps the user's template labels and annotations, with the selector labels winning", () => {
  const objects = renderReplicator({
    replicator: replicator("web", {
      replicationNamespace: "ns",
      deploymentName: "nginx",
      deploymentSpec: {
        replicas: 2,
        template: {
          metadata: {
            labels: { tier: "frontend", "app.kubernetes.io/name": "something-else" },
            annotations: { "prometheus.io/scrape": "true" },
          },
          ...NGINX_TEMPLATE,
        },
      },
    }),
    role: "primary",
  });
  const spec = mustFind(objects, "Deployment").spec as Loose;
  assert.equal(spec.replicas, 2);
  assert.deepStrictEqual(spec.template.metadata, {
    labels: { tier: "frontend", "app.kubernetes.io/name": "nginx", "app.kubernetes.io/instance": "web" },
    annotations: { "prometheus.io/scrape": "true" },
  });
  assert.deepStrictEqual(spec.template.spec, NGINX_TEMPLATE.spec);
});

Deno.test("renderReplicator() gives two Replicators in one namespace disjoint selectors", () => {
  const spec: ReplicatorSpec = {
    replicationNamespace: "shared",
    deploymentName: "nginx",
    deploymentSpec: { template: NGINX_TEMPLATE },
    serviceName: "nginx",
    serviceSpec: { ports: [{ port: 80 }] },
  };
  const [a, b] = ["blue", "green"].map((name) =>
    renderReplicator({ replicator: replicator(name, structuredClone(spec)), role: "primary" })
  );
  const selectorOf = (objects: KubeObject[]) =>
    (mustFind(objects, "Deployment").spec as Loose).selector.matchLabels as Record<string, string>;
  const podLabelsOf = (objects: KubeObject[]) =>
    (mustFind(objects, "Deployment").spec as Loose).template.metadata.labels as Record<string, string>;
  const matches = (selector: Record<string, string>, labels: Record<string, string>) =>
    Object.entries(selector).every(([k, v]) => labels[k] === v);
  assert.ok(a && b);
  assert.notDeepStrictEqual(selectorOf(a), selectorOf(b));
  assert.ok(matches(selectorOf(a), podLabelsOf(a)));
  assert.ok(!matches(selectorOf(a), podLabelsOf(b)));
  assert.ok(!matches(selectorOf(b), podLabelsOf(a)));
  assert.ok(!matches((mustFind(a, "Service").spec as Loose).selector, podLabelsOf(b)));
});

Deno.test("renderReplicator() keeps the user's Service selector when no Deployment is rendered", () => {
  const objects = renderReplicator({
    replicator: replicator("r", {
      replicationNamespace: "ns",
      serviceName: "external",
      serviceSpec: { selector: { app: "legacy" }, ports: [{ port: 443 }] },
    }),
    role: "primary",
  });
  assert.deepStrictEqual((mustFind(objects, "Service").spec as Loose).selector, { app: "legacy" });
});

Deno.test("renderReplicator() does not modify its input", async () => {
  const sample = await loadSample();
  sample.metadata.uid = SAMPLE_UID;
  sample.spec.deploymentSpec!.selector = { matchLabels: { apps: "nginx" } };
  sample.spec.serviceSpec!.selector = { apps: "nginx" };
  const before = structuredClone(sample);
  deepFreeze(sample);
  const objects = renderReplicator({ replicator: sample, role: "primary", tls: FAKE_TLS });
  assert.deepStrictEqual(sample, before);
  // The output shares no objects with the input: changing it leaves the input alone.
  const deployment = mustFind(objects, "Deployment").spec as Loose;
  deployment.template.spec.containers[0].image = "changed";
  deployment.template.metadata.labels.changed = "yes";
  deployment.strategy.rollingUpdate.maxSurge = 1;
  (mustFind(objects, "ConfigMap").data as Loose)["default.conf"] = "changed";
  (mustFind(objects, "Service").spec as Loose).ports[0].port = 1;
  (mustFind(objects, "Ingress").spec as Loose).rules[0].host = "changed.example.com";
  mustFind(objects, "Ingress").metadata.ownerReferences![0]!.name = "changed";
  assert.deepStrictEqual(sample, before);
});

Deno.test("renderReplicator() labels every object with managed-by and its Replicator, not the Replicator's labels", async () => {
  const sample = await loadSample();
  assert.ok(sample.metadata.labels?.["app.kubernetes.io/part-of"]);
  const objects = renderReplicator({ replicator: sample, role: "secondary", tls: FAKE_TLS });
  for (const object of objects) {
    assert.deepStrictEqual(object.metadata.labels, replicatorLabels("replicator-sample"), object.kind);
    assert.equal(object.metadata.namespace, object.kind === "Namespace" ? undefined : "test-ns");
  }
});

Deno.test("renderReplicator() gives namespaced objects an owner reference only on the primary", async () => {
  const sample = await loadSample();
  sample.metadata.uid = SAMPLE_UID;
  const primary = renderReplicator({ replicator: sample, role: "primary", tls: FAKE_TLS });
  for (const object of primary) {
    if (object.kind === "Namespace") {
      assert.equal(object.metadata.ownerReferences, undefined, "the Namespace is never owned");
    } else {
      assert.deepStrictEqual(object.metadata.ownerReferences, [{
        apiVersion: "plumber.jnytnai0613.github.io/v1",
        kind: "Replicator",
        name: "replicator-sample",
        uid: SAMPLE_UID,
        controller: true,
        blockOwnerDeletion: true,
      }], object.kind);
    }
  }
  const secondary = renderReplicator({ replicator: sample, role: "secondary", tls: FAKE_TLS });
  assert.ok(secondary.every((o) => o.metadata.ownerReferences === undefined));
});

Deno.test("renderReplicator() gives no owner reference when the Replicator has no uid", async () => {
  const objects = renderReplicator({ replicator: await loadSample(), role: "primary", tls: FAKE_TLS });
  assert.ok(objects.every((o) => o.metadata.ownerReferences === undefined));
});

Deno.test("renderReplicator() returns plain JSON apply bodies without server-owned fields", async () => {
  const sample = await loadSample();
  Object.assign(sample.metadata, {
    uid: SAMPLE_UID,
    resourceVersion: "42",
    generation: 3,
    creationTimestamp: "2024-01-01T00:00:00Z",
    managedFields: [{ manager: "kubectl", operation: "Apply" }],
  });
  sample.status = { synced: "synced", observedGeneration: 3 };
  const objects = renderReplicator({ replicator: sample, role: "primary", tls: FAKE_TLS });
  assert.deepStrictEqual(JSON.parse(JSON.stringify(objects)), objects);
  for (const object of objects) {
    assert.ok(object.apiVersion && object.kind && object.metadata.name, JSON.stringify(object));
    assert.equal(object.status, undefined);
    for (const field of ["uid", "resourceVersion", "generation", "creationTimestamp", "managedFields"]) {
      assert.equal(object.metadata[field], undefined, `${object.kind} metadata.${field}`);
    }
  }
});

Deno.test("renderReplicator() drops undefined members of a spec built in code", () => {
  const objects = renderReplicator({
    replicator: replicator("r", {
      replicationNamespace: "ns",
      serviceName: "svc",
      serviceSpec: { type: undefined, ports: [{ port: 80, name: undefined }] },
    }),
    role: "primary",
  });
  assert.deepStrictEqual(mustFind(objects, "Service").spec, { ports: [{ port: 80 }] });
});

Deno.test("ingressHosts() returns unique hosts in order and skips rules without one", () => {
  assert.deepStrictEqual(
    ingressHosts({
      replicationNamespace: "ns",
      ingressSpec: {
        rules: [{ host: "b.example.com" }, {}, { host: "a.example.com" }, { host: "b.example.com" }],
      },
    }),
    ["b.example.com", "a.example.com"],
  );
  assert.deepStrictEqual(ingressHosts({ replicationNamespace: "ns" }), []);
});

Deno.test("replicatorLabels() and selectorLabels() derive from the Replicator", () => {
  assert.deepStrictEqual(replicatorLabels("web"), {
    "app.kubernetes.io/managed-by": "plumber",
    "plumber.jnytnai0613.github.io/replicator": "web",
  });
  assert.deepStrictEqual(selectorLabels("web", "nginx"), {
    "app.kubernetes.io/name": "nginx",
    "app.kubernetes.io/instance": "web",
  });
});

Deno.test("renderReplicator() with primaryId labels every object with the primary's and the Replicator's identity", async () => {
  const sample = { ...await loadSample(), metadata: { name: "replicator-sample", uid: "rep-uid-1" } };
  for (const role of ["primary", "secondary"] as const) {
    const objects = renderReplicator({ replicator: sample, role, tls: FAKE_TLS, primaryId: "ks-uid-1" });
    assert.ok(objects.length > 1);
    for (const o of objects) {
      assert.equal(o.metadata.labels?.[LABEL_PRIMARY], "ks-uid-1", `${o.kind} ${o.metadata.name}`);
      assert.equal(o.metadata.labels?.[LABEL_REPLICATOR_UID], "rep-uid-1", `${o.kind} ${o.metadata.name}`);
      assert.equal(o.metadata.labels?.[LABEL_REPLICATOR], "replicator-sample");
    }
  }
});
