/**
 * The informer against real kube-apiservers: restarts, 410 Gone and watches
 * closed by the server.
 */

import assert from "node:assert/strict";
import { Informer } from "../lib/kube/informer.ts";
import { KubeClient, type KubeObjectLike } from "../lib/kube/client.ts";
import {
  adminClient,
  adminConnection,
  eventually,
  privateControlPlane,
  sharedControlPlane,
  uniqueName,
} from "./harness.ts";

type ConfigMap = KubeObjectLike & { data?: Record<string, string> };

function configMap(
  namespace: string,
  name: string,
  data: Record<string, string>,
  labels = { test: "informer" },
) {
  return { apiVersion: "v1", kind: "ConfigMap", metadata: { name, namespace, labels }, data };
}

/** name -> data.v of every ConfigMap in a namespace, as the cache or a fresh list sees it. */
function snapshot(items: ConfigMap[]): Record<string, string | undefined> {
  return Object.fromEntries(
    items.filter((i) => i.metadata?.name !== "kube-root-ca.crt").map((i) => [i.metadata!.name!, i.data?.v]),
  );
}

Deno.test("Informer caches a labelled list, drops managedFields and reports adds, updates and deletes", async () => {
  const state = await sharedControlPlane();
  const client = adminClient(state, "primary");
  const ns = uniqueName("inf");
  await client.create({ apiVersion: "v1", kind: "Namespace", metadata: { name: ns } });
  await client.apply(configMap(ns, "a", { v: "1" }), { fieldManager: "test" });
  await client.apply(configMap(ns, "other", { v: "1" }, { test: "not-me" }), { fieldManager: "test" });
  const informer = new Informer<ConfigMap>({
    client,
    apiVersion: "v1",
    kind: "ConfigMap",
    namespace: ns,
    labelSelector: "test=informer",
  });
  const seen: string[] = [];
  informer.addEventHandler({
    add: (o) => seen.push(`add ${o.metadata?.name}`),
    update: (_, o) => seen.push(`update ${o.metadata?.name}=${o.data?.v}`),
    delete: (o) => seen.push(`delete ${o.metadata?.name}`),
  });
  try {
    informer.start();
    await informer.waitForSync();
    assert.deepEqual(informer.list().map((o) => o.metadata?.name), ["a"]);
    assert.equal(informer.get(ns, "a")?.metadata?.managedFields, undefined);
    assert.equal(informer.get(ns, "a")?.kind, "ConfigMap");
    await client.apply(configMap(ns, "a", { v: "2" }), { fieldManager: "test" });
    await client.apply(configMap(ns, "b", { v: "1" }), { fieldManager: "test" });
    await client.delete({ apiVersion: "v1", kind: "ConfigMap", namespace: ns, name: "a" });
    await eventually("the delete event", () => seen.includes("delete a"));
    assert.deepEqual(seen, ["add a", "update a=2", "add b", "delete a"]);
  } finally {
    await informer.stop();
    await client.delete({ apiVersion: "v1", kind: "Namespace", name: ns });
    client.close();
  }
});

Deno.test("Informer resumes a watch the server closed without listing again", async () => {
  const state = await sharedControlPlane();
  const client = adminClient(state, "secondary1");
  const ns = uniqueName("resume");
  await client.create({ apiVersion: "v1", kind: "Namespace", metadata: { name: ns } });
  const informer = new Informer<ConfigMap>({
    client,
    apiVersion: "v1",
    kind: "ConfigMap",
    namespace: ns,
    watchTimeoutSeconds: 1,
  });
  try {
    informer.start();
    await informer.waitForSync();
    await eventually("three watches", () => informer.stats.watches >= 3, { timeoutMs: 15_000 });
    await client.apply(configMap(ns, "late", { v: "1" }), { fieldManager: "test" });
    await eventually("the change after resuming", () => informer.get(ns, "late")?.data?.v === "1");
    assert.equal(informer.stats.lists, 1);
    assert.equal(informer.stats.relists, 0);
  } finally {
    await informer.stop();
    await client.delete({ apiVersion: "v1", kind: "Namespace", name: ns });
    client.close();
  }
});

Deno.test("Informer survives a kube-apiserver restart and 410 Gone: after it, the cache equals a fresh list", async () => {
  // One cluster with an etcd of its own compacting every second and no watch
  // cache, so a watch from before the outage gets 410 Gone; a second
  // kube-apiserver (HA) takes the changes while the first is down.
  const cp = await privateControlPlane([
    {
      context: "solo",
      cluster: "solo",
      user: "admin",
      ownEtcd: true,
      apiserverArgs: ["--etcd-compaction-interval=1s", "--watch-cache=false"],
    },
  ], { controllerManager: false });
  const cluster = cp.cluster("solo");
  const watched = new KubeClient(adminConnection(cluster), { maxRetries: 0, timeoutMs: 2000 });
  const other = new KubeClient({ ...adminConnection(cluster), server: await cp.startExtraApiServer("solo") });
  const ns = "restart";
  const informer = new Informer<ConfigMap>({
    client: watched,
    apiVersion: "v1",
    kind: "ConfigMap",
    namespace: ns,
    minBackoffMs: 100,
    maxBackoffMs: 500,
  });
  try {
    await other.create({ apiVersion: "v1", kind: "Namespace", metadata: { name: ns } });
    for (const name of ["keep", "change", "remove"]) {
      await other.apply(configMap(ns, name, { v: "1" }), { fieldManager: "t" });
    }
    informer.start();
    await informer.waitForSync();
    await eventually("three objects cached", () => informer.size >= 3);

    await cp.stopApiServer("solo");
    await other.apply(configMap(ns, "change", { v: "2" }), { fieldManager: "t" });
    await other.delete({ apiVersion: "v1", kind: "ConfigMap", namespace: ns, name: "remove" });
    await other.apply(configMap(ns, "new", { v: "1" }), { fieldManager: "t" });
    // Let compaction pass the informer's resourceVersion (interval 1 s, compacts the previous revision).
    const before = Number(informer.resourceVersion);
    await eventually("etcd compaction beyond the informer's resourceVersion", async () => {
      const list = await other.list("v1", "ConfigMap", {
        namespace: ns,
        resourceVersion: String(before),
        limit: 1,
      })
        .then(() => false, (e) => e.status === 410);
      if (!list) await other.apply(configMap(ns, "tick", { v: String(Date.now()) }), { fieldManager: "t" });
      return list;
    }, { timeoutMs: 30_000, intervalMs: 500 });
    await cp.startApiServer("solo");

    const fresh = await other.list<ConfigMap>("v1", "ConfigMap", { namespace: ns });
    await eventually(
      "the cache to equal a fresh list",
      async () => {
        const latest = await other.list<ConfigMap>("v1", "ConfigMap", { namespace: ns });
        return JSON.stringify(snapshot(informer.list())) === JSON.stringify(snapshot(latest.items));
      },
      { timeoutMs: 30_000 },
    );
    const cache = snapshot(informer.list());
    assert.equal(cache.change, "2");
    assert.equal(cache.remove, undefined);
    assert.equal(cache.new, "1");
    assert.ok(fresh.items.length >= 3);
    assert.ok(informer.stats.errors >= 1, "the outage was seen as errors");
    assert.ok(informer.stats.relists >= 1, "410 Gone led to a relist");
  } finally {
    await informer.stop();
    watched.close();
    other.close();
    await cp.stop();
  }
});
