/**
 * Smoke tests of the local control plane itself, through the official
 * `@kubernetes/client-node` over mTLS: three separate, real clusters with RBAC,
 * server-side apply and a working controller manager.
 */

import assert from "node:assert/strict";
import * as k8s from "@kubernetes/client-node";
import { issueClientCertificate } from "../lib/pki/mod.ts";
import { adminClient, eventually, sharedControlPlane, uniqueName } from "./harness.ts";

const state = await sharedControlPlane();

function kubeConfig(context: string): k8s.KubeConfig {
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(state.kubeconfigPath);
  kc.setCurrentContext(context);
  return kc;
}

Deno.test("every local cluster accepts a namespace and a server-side applied ConfigMap from field manager plumber", async () => {
  const ns = uniqueName("smoke");
  for (const cluster of state.clusters) {
    const kc = kubeConfig(cluster.context);
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const objects = k8s.KubernetesObjectApi.makeApiClient(kc);
    await core.createNamespace({ body: { metadata: { name: ns } } });
    const applied = await objects.patch(
      {
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: { name: "smoke", namespace: ns },
        data: { cluster: cluster.context },
      },
      undefined,
      undefined,
      "plumber",
      true,
      k8s.PatchStrategy.ServerSideApply,
    );
    assert.equal((applied as k8s.V1ConfigMap).data?.cluster, cluster.context);
    const read = await core.readNamespacedConfigMap({ name: "smoke", namespace: ns });
    assert.equal(read.data?.cluster, cluster.context);
    assert.ok(read.metadata?.managedFields?.some((f) => f.manager === "plumber" && f.operation === "Apply"));
  }
  for (const cluster of state.clusters) {
    await kubeConfig(cluster.context).makeApiClient(k8s.CoreV1Api).deleteNamespace({ name: ns });
  }
});

Deno.test("an object created in primary is not visible in secondary1", async () => {
  const ns = uniqueName("isolated");
  const primary = kubeConfig("primary").makeApiClient(k8s.CoreV1Api);
  const secondary = kubeConfig("secondary1").makeApiClient(k8s.CoreV1Api);
  await primary.createNamespace({ body: { metadata: { name: ns } } });
  try {
    await primary.readNamespace({ name: ns });
    await assert.rejects(secondary.readNamespace({ name: ns }), (error: unknown) => {
      assert.equal((error as { code?: number }).code, 404);
      return true;
    });
  } finally {
    await primary.deleteNamespace({ name: ns });
  }
});

Deno.test("RBAC is enforced: a client certificate without system:masters is forbidden", async () => {
  const cluster = state.clusters[0]!;
  const nobody = await issueClientCertificate(cluster.ca, {
    commonName: "nobody",
    organizations: ["no-group"],
  });
  const kc = new k8s.KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: cluster.cluster, server: cluster.server, caData: btoa(cluster.ca.certPem) }],
    users: [{ name: "nobody", certData: btoa(nobody.certPem), keyData: btoa(nobody.keyPem) }],
    contexts: [{ name: "nobody", cluster: cluster.cluster, user: "nobody" }],
    currentContext: "nobody",
  });
  await assert.rejects(kc.makeApiClient(k8s.CoreV1Api).listNamespace(), (error: unknown) => {
    assert.equal((error as { code?: number }).code, 403);
    return true;
  });
});

Deno.test("the controller manager works: a Deployment gets a ReplicaSet", async () => {
  const ns = uniqueName("deploy");
  const kc = kubeConfig("secondary2");
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const apps = kc.makeApiClient(k8s.AppsV1Api);
  await core.createNamespace({ body: { metadata: { name: ns } } });
  try {
    await apps.createNamespacedDeployment({
      namespace: ns,
      body: {
        metadata: { name: "web" },
        spec: {
          selector: { matchLabels: { app: "web" } },
          template: {
            metadata: { labels: { app: "web" } },
            spec: { containers: [{ name: "web", image: "nginx" }] },
          },
        },
      },
    });
    const rs = await eventually("a ReplicaSet owned by the Deployment", async () => {
      const list = await apps.listNamespacedReplicaSet({ namespace: ns });
      return list.items.find((r) => r.metadata?.ownerReferences?.some((o) => o.name === "web"));
    });
    assert.ok(rs.metadata?.name?.startsWith("web-"));
  } finally {
    await core.deleteNamespace({ name: ns });
  }
});

Deno.test("deleting a namespace finishes (the namespace controller empties it)", async () => {
  const ns = uniqueName("gone");
  const client = adminClient(state, "secondary1");
  try {
    await client.create({ apiVersion: "v1", kind: "Namespace", metadata: { name: ns } });
    await client.create({
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "x", namespace: ns },
      data: {},
    });
    await client.delete({ apiVersion: "v1", kind: "Namespace", name: ns });
    await eventually(
      "the namespace to disappear",
      async () => (await client.find({ apiVersion: "v1", kind: "Namespace", name: ns })) === undefined,
      { timeoutMs: 60_000, intervalMs: 200 },
    );
  } finally {
    client.close();
  }
});
