/**
 * The REST client against a real kube-apiserver: what its errors carry, dry
 * run, paging, the request observer, bearer tokens (inline and from a file),
 * and a stored kubeconfig's `proxy-url` and `tls-server-name`. Its retry policy is unit-tested in `lib/kube/client_test.ts`.
 */

import assert from "node:assert/strict";
import { KubeApiError, KubeClient, type RequestRecord } from "../lib/kube/client.ts";
import { discoverResources } from "../lib/kube/discovery.ts";
import { createCertificateAuthority, issueClientCertificate } from "../lib/pki/mod.ts";
import type { ClusterInfo } from "./control_plane.ts";
import { adminClient, adminConnection, sharedControlPlane, uniqueName } from "./harness.ts";
import {
  type ClusterConnection,
  type ClusterEntry,
  type Kubeconfig,
  resolveConnection,
  storageProblems,
} from "../lib/kubeconfig/mod.ts";
import { startConnectProxy } from "./fixtures/connect_proxy.ts";
import { startTcpForwarder } from "./fixtures/tcp_forwarder.ts";

async function rejection(promise: Promise<unknown>): Promise<KubeApiError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof KubeApiError, `expected a KubeApiError, got ${error}`);
    return error;
  }
  throw new assert.AssertionError({ message: "expected the request to fail" });
}

async function primary(): Promise<ClusterInfo> {
  const state = await sharedControlPlane();
  return state.clusters.find((c) => c.context === "primary")!;
}

/** The connection of `primary` with no client certificate: only what `extra` adds authenticates. */
function anonymousConnection(cluster: ClusterInfo, extra: Partial<ClusterConnection>): ClusterConnection {
  const { certPem: _cert, keyPem: _key, ...rest } = adminConnection(cluster);
  return { ...rest, ...extra };
}

async function withNamespace(client: KubeClient, body: (namespace: string) => Promise<void>): Promise<void> {
  const namespace = uniqueName("client");
  await client.create({ apiVersion: "v1", kind: "Namespace", metadata: { name: namespace } });
  try {
    await body(namespace);
  } finally {
    await client.delete({ apiVersion: "v1", kind: "Namespace", name: namespace });
  }
}

function configMap(namespace: string, name: string, data: Record<string, string> = { v: "1" }) {
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name, namespace, labels: { test: "client" } },
    data,
  };
}

interface SelfSubjectReview {
  status: { userInfo: { username: string; groups?: string[] } };
}

/** Who the API server takes the client for. */
async function whoAmI(client: KubeClient): Promise<string> {
  const review = await client.raw<SelfSubjectReview>(
    "POST",
    "/apis/authentication.k8s.io/v1/selfsubjectreviews",
    {
      body: { apiVersion: "authentication.k8s.io/v1", kind: "SelfSubjectReview" },
    },
  );
  return review.status.userInfo.username;
}

/** A ServiceAccount and a one-hour token for it. */
async function serviceAccountToken(client: KubeClient, namespace: string, name: string): Promise<string> {
  await client.create({ apiVersion: "v1", kind: "ServiceAccount", metadata: { name, namespace } });
  const request = await client.raw<{ status: { token: string } }>(
    "POST",
    `/api/v1/namespaces/${namespace}/serviceaccounts/${name}/token`,
    {
      body: {
        apiVersion: "authentication.k8s.io/v1",
        kind: "TokenRequest",
        spec: { expirationSeconds: 3600 },
      },
    },
  );
  return request.status.token;
}

Deno.test("KubeClient errors carry the status, the Kubernetes reason and the object", async () => {
  const cluster = await primary();
  const client = adminClient(await sharedControlPlane(), "primary");
  const nobody = new KubeClient(
    { ...adminConnection(cluster), ...await issueClientCertificate(cluster.ca, { commonName: "nobody" }) },
    { name: "primary-as-nobody" },
  );
  try {
    await withNamespace(client, async (namespace) => {
      const missing = { apiVersion: "v1", kind: "ConfigMap", namespace, name: "missing" };
      const notFound = await rejection(client.get(missing));
      assert.equal(notFound.status, 404);
      assert.equal(notFound.reason, "NotFound");
      assert.deepEqual(notFound.ref, missing);
      assert.match(
        notFound.message,
        new RegExp(`^Cannot get ConfigMap ${namespace}/missing on primary: 404 NotFound`),
      );
      assert.equal(await client.find(missing), undefined);

      const invalid = configMap(namespace, "invalid", { "not a valid key!": "x" });
      const unprocessable = await rejection(client.apply(invalid, { fieldManager: "test" }));
      assert.equal(unprocessable.status, 422);
      assert.equal(unprocessable.reason, "Invalid");
      assert.equal(unprocessable.ref?.name, "invalid");
      assert.match(
        unprocessable.message,
        /^Cannot apply ConfigMap .*\/invalid on primary: 422 Invalid: .*not a valid key!/,
      );
      assert.equal((unprocessable.details as { kind?: string }).kind, "Status");

      await client.create(configMap(namespace, "taken"));
      const exists = await rejection(client.create(configMap(namespace, "taken")));
      assert.equal(exists.status, 409);
      assert.equal(exists.reason, "AlreadyExists");

      const forbidden = await rejection(nobody.get({ ...missing, name: "taken" }));
      assert.equal(forbidden.status, 403);
      assert.equal(forbidden.reason, "Forbidden");
      assert.match(
        forbidden.message,
        /on primary-as-nobody: 403 Forbidden: .*User "nobody" cannot get resource "configmaps"/,
      );
    });
  } finally {
    nobody.close();
    client.close();
  }
});

Deno.test("KubeClient reports an unreachable server as ConnectionError (status 0), after retrying a GET", async () => {
  const cluster = await primary();
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  const records: RequestRecord[] = [];
  // Started from the real cluster's discovery, so that the records are the object requests alone.
  const admin = adminClient(await sharedControlPlane(), "primary");
  const discovery = await discoverResources(admin).finally(() => admin.close());
  const unreachable = { ...adminConnection(cluster), server: `https://127.0.0.1:${port}` };
  const client = new KubeClient(unreachable, { observer: (r) => records.push(r), discovery });
  const undiscovered = new KubeClient(unreachable, { maxRetries: 0 });
  try {
    const ref = { apiVersion: "v1", kind: "ConfigMap", namespace: "default", name: "x" };
    const first = await rejection(undiscovered.get(ref));
    assert.equal(first.status, 0);
    assert.equal(first.reason, "ConnectionError");
    assert.match(
      first.message,
      /^Cannot get ConfigMap default\/x on primary: .*error sending request for url \(https:\/\/127\.0\.0\.1:\d+\/apis?\).*Connection refused/,
      `worded as the request's own failure: ${first.message}`,
    );

    const get = await rejection(client.get(ref));
    assert.equal(get.status, 0);
    assert.equal(get.reason, "ConnectionError");
    assert.match(get.message, /^Cannot get ConfigMap default\/x on primary: .*Connection refused/);
    assert.equal(records.length, 4, "tried once and retried three times");
    assert.ok(records.every((r) => r.code === "<error>" && r.host === `127.0.0.1:${port}`));

    records.length = 0;
    const create = await rejection(client.create(configMap("default", "x")));
    assert.equal(create.reason, "ConnectionError");
    assert.equal(records.length, 1, "a create is not repeated");
  } finally {
    undiscovered.close();
    client.close();
  }
});

Deno.test("KubeClient refuses a server whose CA it does not trust, saying why as kubectl would", async () => {
  const cluster = await primary();
  const otherCa = await createCertificateAuthority({ commonName: "not-this-cluster" });
  const sameNameCa = await createCertificateAuthority({ commonName: `${cluster.cluster}-ca` });
  for (const [ca, rustls] of [[otherCa, "UnknownIssuer"], [sameNameCa, "BadSignature"]] as const) {
    const client = new KubeClient({ ...adminConnection(cluster), caPem: ca.certPem }, { maxRetries: 0 });
    try {
      const error = await rejection(client.getText("/version"));
      assert.equal(error.status, 0);
      assert.equal(error.reason, "ConnectionError");
      assert.match(error.message, /certificate/);
      assert.match(
        error.message,
        new RegExp(
          `^Cannot get /version on primary: x509: certificate signed by unknown authority.*${rustls}`,
        ),
      );
    } finally {
      client.close();
    }
  }
});

Deno.test("KubeClient.apply() with dryRun validates and answers, but does not persist", async () => {
  const client = adminClient(await sharedControlPlane(), "primary");
  try {
    await withNamespace(client, async (namespace) => {
      const answer = await client.apply<{ metadata: { name: string; uid?: string }; data: { v: string } }>(
        configMap(namespace, "dry", { v: "1" }),
        { fieldManager: "test", dryRun: true },
      );
      assert.equal(answer.metadata.name, "dry");
      assert.equal(answer.data.v, "1");
      const ref = { apiVersion: "v1", kind: "ConfigMap", namespace, name: "dry" };
      assert.equal(await client.find(ref), undefined);
      // An invalid object is refused by a dry run just as by a real apply.
      const error = await rejection(
        client.apply(configMap(namespace, "dry", { "bad key": "x" }), { fieldManager: "test", dryRun: true }),
      );
      assert.equal(error.status, 422);
      assert.match(error.message, /apply \(dry run\)/);
    });
  } finally {
    client.close();
  }
});

Deno.test("KubeClient.listAll() follows continue tokens across pages; the observer sees every request", async () => {
  const records: RequestRecord[] = [];
  const state = await sharedControlPlane();
  const client = adminClient(state, "primary", (r) => records.push(r));
  try {
    await withNamespace(client, async (namespace) => {
      const names = Array.from({ length: 7 }, (_, i) => `cm-${i}`);
      await Promise.all(names.map((name) => client.create(configMap(namespace, name))));
      records.length = 0;
      const list = await client.listAll<{ metadata: { name: string } }>("v1", "ConfigMap", {
        namespace,
        labelSelector: "test=client",
        limit: 3,
      });
      assert.deepEqual(list.items.map((i) => i.metadata.name).sort(), names);
      assert.equal(list.metadata.continue, undefined);
      assert.ok(list.metadata.resourceVersion);
      const path = `/api/v1/namespaces/${namespace}/configmaps`;
      assert.deepEqual(records.map((r) => [r.method, r.path, r.code]), [
        ["GET", path, "200"],
        ["GET", path, "200"],
        ["GET", path, "200"],
      ]);

      records.length = 0;
      const ref = { apiVersion: "v1", kind: "ConfigMap", namespace, name: "observed" };
      await client.find(ref);
      await client.create(configMap(namespace, "observed"));
      // The create made "plumber" (the user agent) the owner of data.v: a plain apply conflicts.
      const conflict = await rejection(
        client.apply(configMap(namespace, "observed", { v: "2" }), { fieldManager: "test" }),
      );
      assert.equal(conflict.reason, "Conflict");
      await client.apply(configMap(namespace, "observed", { v: "2" }), { fieldManager: "test", force: true });
      await client.mergePatch(ref, { data: { v: "3" } });
      await client.delete(ref);
      await client.delete(ref);
      const object = `${path}/observed`;
      assert.deepEqual(records.map((r) => [r.method, r.path, r.code]), [
        ["GET", object, "404"],
        ["POST", path, "201"],
        ["PATCH", object, "409"],
        ["PATCH", object, "200"],
        ["PATCH", object, "200"],
        ["DELETE", object, "200"],
        ["DELETE", object, "404"],
      ]);
      const host = new URL(state.clusters.find((c) => c.context === "primary")!.server).host;
      assert.ok(records.every((r) => r.host === host && r.durationMs >= 0));
    });
  } finally {
    client.close();
  }
});

Deno.test("KubeClient authenticates with a ServiceAccount token, inline or from a file it reads again", async () => {
  const cluster = await primary();
  const admin = adminClient(await sharedControlPlane(), "primary");
  const dir = await Deno.makeTempDir({ prefix: "plumber-token-" });
  const clients: KubeClient[] = [];
  try {
    await withNamespace(admin, async (namespace) => {
      const first = await serviceAccountToken(admin, namespace, "first");
      const second = await serviceAccountToken(admin, namespace, "second");
      const user = (name: string) => `system:serviceaccount:${namespace}:${name}`;

      const inline = new KubeClient(anonymousConnection(cluster, { token: first }));
      clients.push(inline);
      assert.equal(await whoAmI(inline), user("first"));

      const wrong = new KubeClient(anonymousConnection(cluster, { token: "not-a-token" }));
      clients.push(wrong);
      const unauthorized = await rejection(whoAmI(wrong));
      assert.equal(unauthorized.status, 401);
      assert.equal(unauthorized.reason, "Unauthorized");

      // The file is read again after a minute (bound tokens rotate); the clock is injected.
      const tokenFile = `${dir}/token`;
      await Deno.writeTextFile(tokenFile, `${first}\n`);
      let now = Date.now();
      // `token` is set too: as in client-go, the file wins.
      const fromFile = new KubeClient(anonymousConnection(cluster, { tokenFile, token: second }), {
        now: () => now,
      });
      clients.push(fromFile);
      assert.equal(await whoAmI(fromFile), user("first"));
      await Deno.writeTextFile(tokenFile, second);
      assert.equal(await whoAmI(fromFile), user("first"), "not read again within the minute");
      now += 60_000;
      assert.equal(await whoAmI(fromFile), user("second"), "read again after a minute");
      await Deno.remove(tokenFile);
      now += 60_000;
      assert.equal(await whoAmI(fromFile), user("second"), "an unreadable file leaves the last token in use");
    });
  } finally {
    for (const client of clients) client.close();
    admin.close();
    await Deno.remove(dir, { recursive: true });
  }
});

/**
 * A kubeconfig for `cluster` as the secondaries Secret stores it (CA and admin
 * certificate inline), reaching it at `server`, with `extra` in the cluster entry.
 */
function storedKubeconfig(cluster: ClusterInfo, server: string, extra: Partial<ClusterEntry>): Kubeconfig {
  return {
    apiVersion: "v1",
    kind: "Config",
    clusters: [{
      name: cluster.cluster,
      cluster: { server, "certificate-authority-data": btoa(cluster.ca.certPem), ...extra },
    }],
    users: [{
      name: cluster.user,
      user: {
        "client-certificate-data": btoa(cluster.admin.certPem),
        "client-key-data": btoa(cluster.admin.keyPem),
      },
    }],
    contexts: [{ name: cluster.context, context: { cluster: cluster.cluster, user: cluster.user } }],
    "current-context": cluster.context,
  };
}

/** A client for a kubeconfig that storage validation accepts, built as the operator builds it. */
function storedClient(config: Kubeconfig): KubeClient {
  assert.deepEqual(storageProblems(config), [], "the kubeconfig is fit for storage");
  return new KubeClient(resolveConnection(config), { maxRetries: 0 });
}

Deno.test("KubeClient honours proxy-url: it reaches the API server through the proxy with the URL's credentials, and fails cleanly when the proxy is down", async () => {
  const cluster = await primary();
  const apiserver = new URL(cluster.server).host;
  const password = "p@ss word";
  const proxy = startConnectProxy({ basicAuth: { username: "plumber", password } });
  const proxyUrl = `http://plumber:${encodeURIComponent(password)}@127.0.0.1:${proxy.port}`;
  try {
    const client = storedClient(storedKubeconfig(cluster, cluster.server, { "proxy-url": proxyUrl }));
    try {
      assert.equal(await whoAmI(client), cluster.user);
      assert.match(JSON.parse(await client.getText("/version")).gitVersion, /^v1\./);
    } finally {
      client.close();
    }
    assert.ok(proxy.tunnels > 0, "the requests went through the proxy");
    assert.deepEqual([...new Set(proxy.targets)], [apiserver], "the proxy was asked for the API server");
    assert.equal(proxy.refused, 0);

    const wrongPassword = `http://plumber:wrong@127.0.0.1:${proxy.port}`;
    const refused = storedClient(storedKubeconfig(cluster, cluster.server, { "proxy-url": wrongPassword }));
    const tunnels = proxy.tunnels;
    try {
      const error = await rejection(refused.getText("/version"));
      assert.equal(error.reason, "ConnectionError");
      assert.equal(error.status, 0);
    } finally {
      refused.close();
    }
    assert.ok(proxy.refused > 0, "the proxy refused the wrong credentials");
    assert.equal(proxy.tunnels, tunnels, "no request went around the proxy");
  } finally {
    proxy.close();
  }

  const down = storedClient(storedKubeconfig(cluster, cluster.server, { "proxy-url": proxyUrl }));
  try {
    const error = await rejection(down.getText("/version"));
    assert.equal(error.status, 0);
    assert.equal(error.reason, "ConnectionError");
    // Refused, or reset when the closed listener still had the connection queued.
    assert.match(error.message, /^Cannot get \/version on primary: .*Connection (refused|reset)/);
    assert.ok(!error.message.includes(password), "the proxy password is not in the message");
  } finally {
    down.close();
  }
});

Deno.test("KubeClient honours tls-server-name: it verifies the certificate against that name and sends it as SNI", async () => {
  const cluster = await primary();
  const target = new URL(cluster.server);
  // The API server listens on 127.0.0.1; its certificate does not name 127.0.0.2.
  const forwarder = startTcpForwarder("127.0.0.2", { hostname: target.hostname, port: Number(target.port) });
  const server = `https://127.0.0.2:${forwarder.port}`;
  try {
    const plain = storedClient(storedKubeconfig(cluster, server, {}));
    try {
      const error = await rejection(plain.getText("/version"));
      assert.match(error.message, /x509: certificate is not valid for the server's name .*"127\.0\.0\.2"/);
    } finally {
      plain.close();
    }

    const named = storedClient(storedKubeconfig(cluster, server, { "tls-server-name": "kubernetes" }));
    try {
      assert.equal(await whoAmI(named), cluster.user);
      assert.equal(
        named.host,
        `127.0.0.2:${forwarder.port}`,
        "messages and metrics still name the server URL",
      );
    } finally {
      named.close();
    }
    assert.ok(forwarder.serverNames.includes("kubernetes"), `SNI seen: ${forwarder.serverNames.join(", ")}`);

    const wrong = storedClient(storedKubeconfig(cluster, server, { "tls-server-name": "wrong.example" }));
    try {
      const error = await rejection(wrong.getText("/version"));
      assert.equal(error.reason, "ConnectionError");
      assert.match(
        error.message,
        /^Cannot get \/version on primary: x509: certificate is not valid for the server's name .*"wrong\.example"/,
      );
    } finally {
      wrong.close();
    }
    assert.ok(forwarder.serverNames.includes("wrong.example"));
  } finally {
    forwarder.close();
  }
});

Deno.test("KubeClient honours tls-server-name through an http:// proxy-url: the proxy is asked for the server URL's address", async () => {
  const cluster = await primary();
  const target = new URL(cluster.server);
  const forwarder = startTcpForwarder("127.0.0.2", { hostname: target.hostname, port: Number(target.port) });
  const proxy = startConnectProxy();
  const server = `https://127.0.0.2:${forwarder.port}`;
  try {
    const client = storedClient(
      storedKubeconfig(cluster, server, { "tls-server-name": "kubernetes", "proxy-url": proxy.url }),
    );
    try {
      assert.equal(await whoAmI(client), cluster.user);
    } finally {
      client.close();
    }
    assert.ok(proxy.tunnels > 0);
    assert.deepEqual([...new Set(proxy.targets)], [`127.0.0.2:${forwarder.port}`]);
    assert.ok(forwarder.serverNames.length > 0);
    assert.ok(forwarder.serverNames.every((name) => name === "kubernetes"), forwarder.serverNames.join(", "));
  } finally {
    proxy.close();
    forwarder.close();
  }
});

Deno.test("KubeClient reads discovery once (two requests), finds a CRD installed after it, and names a kind the cluster does not serve", async () => {
  const records: RequestRecord[] = [];
  const state = await sharedControlPlane();
  const admin = adminClient(state, "secondary2");
  const client = adminClient(state, "secondary2", (r) => records.push(r));
  const group = `${uniqueName("client")}.example.com`;
  const crd = {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: { name: `gizmos.${group}` },
    spec: {
      group,
      scope: "Cluster",
      names: { plural: "gizmos", singular: "gizmo", kind: "Gizmo" },
      versions: [{
        name: "v1",
        served: true,
        storage: true,
        schema: { openAPIV3Schema: { type: "object", "x-kubernetes-preserve-unknown-fields": true } },
      }],
    },
  };
  try {
    await client.find({ apiVersion: "v1", kind: "Namespace", name: "default" });
    await client.list("apps/v1", "Deployment", { limit: 1 });
    assert.deepEqual(records.map((r) => `${r.method} ${r.path}`).sort(), [
      "GET /api",
      "GET /api/v1/namespaces/default",
      "GET /apis",
      "GET /apis/apps/v1/deployments",
    ]);
    assert.equal(client.discoveries, 1);

    const gizmo = { apiVersion: `${group}/v1`, kind: "Gizmo", metadata: { name: "g" } };
    const missing = await rejection(client.create(gizmo));
    assert.equal(missing.reason, "NoKindMatch");
    assert.equal(
      missing.message,
      `Cannot map kind "Gizmo" in "${group}/v1" on secondary2: the cluster does not serve it`,
    );

    await admin.create(crd);
    // The apiextensions server publishes a new CRD's discovery shortly after storing it.
    let created: { metadata?: { name?: string } } | undefined;
    const deadline = Date.now() + 30_000;
    while (!created) {
      try {
        created = await client.create(gizmo);
      } catch (error) {
        if (!(error instanceof KubeApiError) || error.reason !== "NoKindMatch" || Date.now() > deadline) {
          throw error;
        }
      }
    }
    assert.equal(created.metadata?.name, "g");
    assert.ok(
      records.some((r) => r.method === "POST" && r.path === `/apis/${group}/v1/gizmos`),
      "the create went to the path discovery gave",
    );
    assert.ok(client.discoveries >= 3, "each miss read discovery again");
    assert.equal(await client.delete({ apiVersion: `${group}/v1`, kind: "Gizmo", name: "g" }), true);
  } finally {
    await admin.delete({
      apiVersion: "apiextensions.k8s.io/v1",
      kind: "CustomResourceDefinition",
      name: crd.metadata.name,
    });
    admin.close();
    client.close();
  }
});
