/**
 * The namespace census against a real API server: foreign objects of every
 * kind (built-in, RBAC, custom resources, more Pods than one page) keep a
 * namespace; plumber's objects with what Kubernetes generates for them do
 * not; a type the client may not list, or an aggregated API that is down,
 * makes the answer "not empty" with the reason.
 *
 * @module
 */

import assert from "node:assert/strict";
import { KubeClient, type RequestRecord } from "../lib/kube/client.ts";
import { METADATA_LIST_ACCEPT, type NamespaceCensus, namespaceCensus } from "../lib/kube/census.ts";
import { type ApiResource, discoverResources } from "../lib/kube/discovery.ts";
import type { CensusObject } from "../lib/namespace_census.ts";
import { issueClientCertificate } from "../lib/pki/mod.ts";
import { adminClient, adminConnection, eventually, sharedControlPlane, uniqueName } from "./harness.ts";
import { installWidgetCrd, plantForeignObjects, rulesWithout } from "./foreign_objects.ts";

const CLUSTER = "secondary2";
const REPLICATOR_LABEL = "plumber.jnytnai0613.github.io/replicator";
const PLUMBER_LABELS = { "app.kubernetes.io/managed-by": "plumber", [REPLICATOR_LABEL]: "census" };
/** The ownership rule of these tests: plumber's labels with this test's Replicator name. */
const isOwn = (o: CensusObject) => o.metadata.labels?.[REPLICATOR_LABEL] === "census";

async function withNamespace<T>(client: KubeClient, fn: (namespace: string) => Promise<T>): Promise<T> {
  const namespace = uniqueName("census");
  await client.create({ apiVersion: "v1", kind: "Namespace", metadata: { name: namespace } });
  try {
    return await fn(namespace);
  } finally {
    await client.delete({ apiVersion: "v1", kind: "Namespace", name: namespace });
  }
}

/** `Kind name` of each foreign object. */
function foreignNames(census: NamespaceCensus): string[] {
  return census.foreign.map((f) => `${f.kind} ${f.name}`);
}

/** Whether the observer saw a paged list of `resource` in `namespace` carry a continue token. */
function sentContinue(records: RequestRecord[], namespace: string, resource: string): boolean {
  return records.some((r) =>
    r.path.endsWith(`/namespaces/${namespace}/${resource}`) && /(^|&)continue=[^&]+/.test(r.query ?? "")
  );
}

Deno.test("namespaceCensus() names a PVC, a Role, a custom resource and 60 foreign Pods, paging through them", async () => {
  const records: RequestRecord[] = [];
  const client = adminClient(await sharedControlPlane(), CLUSTER, (r) => records.push(r));
  const crd = await installWidgetCrd(client);
  try {
    await withNamespace(client, async (namespace) => {
      const base = `/api/v1/namespaces/${namespace}`;
      await plantForeignObjects(client, namespace, crd.group, 60);
      const pods = Array.from({ length: 60 }, (_, i) => `foreign-${String(i).padStart(2, "0")}`);
      // plumber's own objects alongside are not named.
      await client.create({
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: { name: "web", namespace, labels: PLUMBER_LABELS },
        data: { a: "b" },
      });
      await client.create({
        apiVersion: "v1",
        kind: "Secret",
        metadata: { name: "web-tls", namespace, labels: PLUMBER_LABELS },
        stringData: { "tls.key": "not-a-real-key" },
      });

      // Every foreign object, named (no early stop): the Pods take two pages of 50.
      records.length = 0;
      let started = performance.now();
      const full = await namespaceCensus(client, namespace, isOwn, { maxForeign: 1_000 });
      const fullMs = performance.now() - started;
      assert.equal(full.empty, false);
      assert.equal(full.complete, true);
      assert.deepEqual(full.unknown, []);
      const names = foreignNames(full);
      assert.deepEqual(
        names.filter((n) => !n.startsWith("Pod ")).sort(),
        ["PersistentVolumeClaim data", "Role reader", "Widget w1"],
      );
      assert.deepEqual(names.filter((n) => n.startsWith("Pod ")).sort(), pods.map((p) => `Pod ${p}`));
      assert.ok(
        sentContinue(records, namespace, "pods"),
        "the second page of Pods was asked for with continue",
      );
      const podRequests = records.filter((r) => r.path === `${base}/pods`);
      assert.deepEqual(podRequests.map((r) => /(?:^|&)limit=(\d+)/.exec(r.query ?? "")?.[1]), ["50", "50"]);
      assert.ok(full.typesListed >= 20, `${full.typesListed} types listed`);
      console.log(
        `  full census: ${full.typesListed} types, ${full.requests} list requests, ${records.length} requests, ${
          fullMs.toFixed(0)
        } ms`,
      );

      // Metadata only: the list the census reads carries no Secret data.
      const secrets = await client.raw<{ kind: string; items: Record<string, unknown>[] }>(
        "GET",
        `${base}/secrets`,
        { accept: METADATA_LIST_ACCEPT },
      );
      assert.equal(secrets.kind, "PartialObjectMetadataList");
      assert.ok(
        secrets.items.length >= 1 && secrets.items.every((s) => !("data" in s) && !("stringData" in s)),
      );

      // The default: stop after a few foreign objects, without paging through the rest.
      records.length = 0;
      started = performance.now();
      const quick = await namespaceCensus(client, namespace, isOwn);
      const quickMs = performance.now() - started;
      assert.equal(quick.empty, false);
      assert.equal(quick.complete, false);
      assert.equal(quick.foreign.length, 5, "the first five foreign objects are named");
      assert.ok(quick.requests < full.requests, `${quick.requests} list requests < ${full.requests}`);
      console.log(
        `  early stop: ${quick.requests} list requests, ${quickMs.toFixed(0)} ms, foreign: ${
          foreignNames(quick).join(", ")
        }`,
      );
    });
  } finally {
    await crd.remove();
    client.close();
  }
});

Deno.test("namespaceCensus() finds empty a namespace holding plumber's Deployment (60 Pods), Service and the defaults", async () => {
  const records: RequestRecord[] = [];
  const client = adminClient(await sharedControlPlane(), CLUSTER, (r) => records.push(r));
  try {
    await withNamespace(client, async (namespace) => {
      const selector = { "app.kubernetes.io/name": "web", "app.kubernetes.io/instance": "census" };
      await client.create({
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: { name: "web", namespace, labels: PLUMBER_LABELS },
        spec: {
          replicas: 60,
          selector: { matchLabels: selector },
          template: {
            metadata: { labels: selector },
            spec: { containers: [{ name: "web", image: "registry.invalid/web:1" }] },
          },
        },
      });
      await client.create({
        apiVersion: "v1",
        kind: "Service",
        metadata: { name: "web", namespace, labels: PLUMBER_LABELS },
        spec: { selector, ports: [{ port: 80 }] },
      });
      await client.create({
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: { name: "web", namespace, labels: PLUMBER_LABELS },
        data: { a: "b" },
      });
      // kube-controller-manager makes the ReplicaSet, its 60 Pods (run by KWOK's fake Nodes), the Service's
      // Endpoints and EndpointSlice, the namespace's kube-root-ca.crt and default ServiceAccount, and Events.
      const listed = async (path: string) =>
        (await client.raw<{ items: unknown[] }>("GET", path)).items.length;
      await eventually(
        "the controllers' objects",
        async () =>
          await listed(`/api/v1/namespaces/${namespace}/pods`) === 60 &&
          await listed(`/apis/discovery.k8s.io/v1/namespaces/${namespace}/endpointslices`) >= 1 &&
          await listed(`/api/v1/namespaces/${namespace}/endpoints`) >= 1 &&
          await listed(`/api/v1/namespaces/${namespace}/serviceaccounts`) >= 1 &&
          await listed(`/api/v1/namespaces/${namespace}/configmaps`) === 2 &&
          await listed(`/api/v1/namespaces/${namespace}/events`) >= 1,
        { timeoutMs: 60_000, intervalMs: 250 },
      );

      records.length = 0;
      const started = performance.now();
      const census = await namespaceCensus(client, namespace, isOwn);
      console.log(
        `  empty namespace: ${census.requests} list requests, ${(performance.now() - started).toFixed(0)} ms`,
      );
      assert.deepEqual(
        { empty: census.empty, foreign: census.foreign, unknown: census.unknown, complete: census.complete },
        { empty: true, foreign: [], unknown: [], complete: true },
      );
      assert.ok(sentContinue(records, namespace, "pods"), "the 60 Pods were read in pages");
      assert.ok(
        !records.some((r) => r.path.endsWith(`/namespaces/${namespace}/events`)),
        "Events are not listed",
      );

      // Anyone else's object, even a tiny one, keeps the namespace.
      await client.create({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "mine", namespace } });
      const kept = await namespaceCensus(client, namespace, isOwn);
      assert.equal(kept.empty, false);
      assert.deepEqual(foreignNames(kept), ["ConfigMap mine"]);
      await client.delete({ apiVersion: "v1", kind: "ConfigMap", namespace, name: "mine" });

      // Right after plumber deletes its Deployment and Service (its clean-up), what the garbage collector and
      // the endpoints controller have yet to remove still goes with them.
      await client.delete({ apiVersion: "apps/v1", kind: "Deployment", namespace, name: "web" });
      await client.delete({ apiVersion: "v1", kind: "Service", namespace, name: "web" });
      const after = await namespaceCensus(client, namespace, isOwn);
      assert.deepEqual(after.foreign, []);
      assert.equal(after.empty, true);
    });
  } finally {
    client.close();
  }
});

Deno.test("namespaceCensus() reports a type the client may not list, with the API server's reason", async () => {
  const state = await sharedControlPlane();
  const admin = adminClient(state, CLUSTER);
  const cluster = state.clusters.find((c) => c.context === CLUSTER)!;
  const user = uniqueName("census-limited");
  const rbac = "rbac.authorization.k8s.io/v1";
  const discovery = await discoverResources(admin);
  await admin.create({
    apiVersion: rbac,
    kind: "ClusterRole",
    metadata: { name: user },
    rules: rulesWithout(discovery.resources, "roles.rbac.authorization.k8s.io"),
  });
  await admin.create({
    apiVersion: rbac,
    kind: "ClusterRoleBinding",
    metadata: { name: user },
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: user },
    subjects: [{ apiGroup: "rbac.authorization.k8s.io", kind: "User", name: user }],
  });
  const limited = new KubeClient(
    { ...adminConnection(cluster), ...await issueClientCertificate(cluster.ca, { commonName: user }) },
    { name: `${CLUSTER}-as-${user}` },
  );
  try {
    await withNamespace(admin, async (namespace) => {
      // Only plumber's objects: with full rights the namespace would be empty.
      await admin.create({
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: { name: "web", namespace, labels: PLUMBER_LABELS },
      });
      assert.equal((await namespaceCensus(admin, namespace, isOwn)).empty, true);
      // RBAC takes a moment to see the new binding: wait until the one missing type is all that is left.
      const census = await eventually("the limited user's census to settle", async () => {
        const c = await namespaceCensus(limited, namespace, isOwn);
        return c.unknown.length === 1 ? c : undefined;
      }, { timeoutMs: 15_000, intervalMs: 200 });
      assert.equal(census.empty, false);
      assert.deepEqual(census.foreign, []);
      assert.equal(census.unknown[0]!.resource, "roles.rbac.authorization.k8s.io");
      assert.match(
        census.unknown[0]!.reason,
        new RegExp(
          `403 Forbidden: .*"${user}" cannot list resource "roles" in API group "rbac\\.authorization\\.k8s\\.io"`,
        ),
      );
    });
  } finally {
    limited.close();
    await admin.delete({ apiVersion: rbac, kind: "ClusterRoleBinding", name: user });
    await admin.delete({ apiVersion: rbac, kind: "ClusterRole", name: user });
    admin.close();
  }
});

Deno.test("namespaceCensus() reports an aggregated API whose server is down; discovery agrees with the legacy protocol", async () => {
  const state = await sharedControlPlane();
  const client = adminClient(state, CLUSTER);
  const cluster = state.clusters.find((c) => c.context === CLUSTER)!;
  const group = `${uniqueName("down")}.example.com`;
  const apiService = { apiVersion: "apiregistration.k8s.io/v1", kind: "APIService", name: `v1.${group}` };
  try {
    // Aggregated and legacy discovery see the same types.
    const aggregated = await discoverResources(client);
    const legacy = await discoverResources(client, { aggregated: false });
    assert.equal(aggregated.source, "aggregated");
    assert.equal(legacy.source, "legacy");
    const key = (r: ApiResource) =>
      `${r.group}/${r.version}/${r.resource} ${r.kind} ${r.namespaced} ${r.preferred}`;
    assert.deepEqual(aggregated.resources.map(key).sort(), legacy.resources.map(key).sort());

    await withNamespace(client, async (namespace) => {
      // An API served by a Service with no backend: the aggregator cannot read its discovery.
      await client.raw("POST", "/apis/apiregistration.k8s.io/v1/apiservices", {
        body: {
          apiVersion: apiService.apiVersion,
          kind: apiService.kind,
          metadata: { name: apiService.name },
          spec: {
            group,
            version: "v1",
            service: { namespace, name: "nobody-home", port: 443 },
            caBundle: btoa(cluster.ca.certPem),
            groupPriorityMinimum: 1000,
            versionPriority: 15,
          },
        },
      });
      const census = await eventually("the census to see the API down", async () => {
        const c = await namespaceCensus(client, namespace, isOwn);
        return c.unknown.length > 0 ? c : undefined;
      }, { timeoutMs: 30_000, intervalMs: 250 });
      assert.equal(census.empty, false);
      assert.deepEqual(census.foreign, []);
      assert.equal(census.unknown[0]!.resource, `${group}/v1`);
      assert.match(census.unknown[0]!.reason, /stale: its API server is unavailable/);
    });
  } finally {
    await client.raw("DELETE", `/apis/apiregistration.k8s.io/v1/apiservices/${apiService.name}`).catch(
      () => {},
    );
    client.close();
  }
});
