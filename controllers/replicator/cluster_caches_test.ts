import assert from "node:assert/strict";
import { cacheTransform, ClusterCaches, ClusterCacheSets } from "./cluster_caches.ts";
import { StringInterner } from "../../lib/kube/string_interner.ts";
import type { KubeObjectLike } from "../../lib/kube/client.ts";
import type { RegisteredCluster } from "../clusters.ts";
import { KubeClient } from "../../lib/kube/client.ts";
import { createLogger } from "../../lib/log.ts";

// Nothing listens on port 1: lists fail at once, so a set never syncs and every switch waits for the timeout.
function entry(clients: KubeClient[], hash: string): RegisteredCluster {
  const client = new KubeClient({
    contextName: "s",
    cluster: "one",
    user: "u",
    server: "https://127.0.0.1:1",
  });
  clients.push(client);
  return { name: "one.u", context: "s", cluster: "one", user: "u", role: "secondary", hash, client };
}

function harness(syncTimeoutMs: number) {
  const sets = new Map<string, ClusterCaches>();
  const subscribed = new Set<ClusterCaches>();
  let subscriptions = 0;
  const cacheSets = new ClusterCacheSets(sets, {
    logger: createLogger({ level: "error", write: () => {} }),
    syncTimeoutMs,
    subscribe: (caches) => {
      subscribed.add(caches);
      subscriptions++;
      return () => subscriptions--;
    },
  });
  return { sets, subscribed, cacheSets, subscriptions: () => subscriptions };
}

Deno.test("ClusterCacheSets starts the new set before the old stops, then swaps and releases the old one", async () => {
  const clients: KubeClient[] = [];
  const { sets, cacheSets, subscriptions } = harness(100);
  try {
    const first = entry(clients, "a");
    cacheSets.start(first);
    const old = sets.get("one.u")!;
    assert.equal(subscriptions(), 1);
    const second = entry(clients, "b");
    const done = cacheSets.replace("one.u", second);
    await new Promise((resolve) => setTimeout(resolve, 30));
    assert.equal(cacheSets.liveSets, 2, "the new set runs while the old still serves");
    assert.equal(sets.get("one.u"), old);
    assert.equal(subscriptions(), 1, "the new set is subscribed only when it serves");
    await done;
    assert.equal(sets.get("one.u")!.client, second.client);
    assert.equal(cacheSets.liveSets, 1);
    assert.equal(subscriptions(), 1);

    await cacheSets.replace("one.u", undefined);
    assert.equal(sets.size, 0);
    assert.equal(cacheSets.liveSets, 0);
    assert.equal(subscriptions(), 0);
  } finally {
    await cacheSets.close();
    await Promise.all([...sets.values()].map((c) => c.stop()));
    for (const c of clients) c.close();
  }
});

Deno.test("ClusterCacheSets coalesces rapid changes of one cluster into the latest and never leaks a set", async () => {
  const clients: KubeClient[] = [];
  const { sets, subscribed, cacheSets, subscriptions } = harness(60);
  try {
    cacheSets.start(entry(clients, "0"));
    const done: Promise<void>[] = [];
    let last: RegisteredCluster | undefined;
    for (let i = 1; i <= 50; i++) {
      last = entry(clients, String(i));
      done.push(cacheSets.replace("one.u", last));
      if (i % 10 === 0) await new Promise((resolve) => setTimeout(resolve, 20));
      assert.ok(cacheSets.liveSets <= 2, `${cacheSets.liveSets} sets live after change ${i}`);
    }
    await Promise.all(done);
    assert.equal(sets.get("one.u")!.client, last!.client, "the latest credentials win");
    assert.equal(cacheSets.liveSets, 1);
    assert.equal(cacheSets.replacing, 0);
    assert.equal(subscriptions(), 1);
    assert.ok(
      subscribed.size <= 3,
      `${subscribed.size} sets served: outdated ones are dropped before serving`,
    );
  } finally {
    await cacheSets.close();
    await Promise.all([...sets.values()].map((c) => c.stop()));
    for (const c of clients) c.close();
  }
});

Deno.test("ClusterCacheSets.close() stops a set still syncing and refuses further replacements", async () => {
  const clients: KubeClient[] = [];
  const { sets, cacheSets } = harness(60_000);
  try {
    cacheSets.start(entry(clients, "a"));
    const old = sets.get("one.u");
    const done = cacheSets.replace("one.u", entry(clients, "b"));
    assert.equal(cacheSets.liveSets, 2);
    await cacheSets.close();
    await done;
    assert.equal(cacheSets.liveSets, 1, "only the set in the map is left, for the caller to stop");
    assert.equal(sets.get("one.u"), old);
    await cacheSets.replace("one.u", entry(clients, "c"));
    assert.equal(sets.get("one.u"), old);
    assert.equal(cacheSets.liveSets, 1);
  } finally {
    await Promise.all([...sets.values()].map((c) => c.stop()));
    for (const c of clients) c.close();
  }
});

Deno.test("ClusterCaches watches an extra kind only while wanted, only where served namespaced, and feeds it to the controller", async () => {
  const resource = (group: string, kind: string, resource: string, namespaced: boolean) => ({
    group,
    version: "v1",
    resource,
    kind,
    namespaced,
    verbs: ["list", "watch"],
    preferred: true,
  });
  const client = new KubeClient({
    contextName: "s",
    cluster: "one",
    user: "u",
    server: "https://127.0.0.1:1",
  }, {
    discovery: {
      resources: [
        resource("policy", "PodDisruptionBudget", "poddisruptionbudgets", true),
        resource("", "ServiceAccount", "serviceaccounts", true),
        resource("example.com", "Gadget", "gadgets", false),
      ],
      failures: [],
      source: "aggregated",
    },
    discoveryRefreshMs: 0,
  });
  const caches = new ClusterCaches(
    { name: "one.u", context: "s", cluster: "one", user: "u", role: "secondary", hash: "a", client },
    client,
    createLogger({ level: "error", write: () => {} }),
  );
  let attached = 0;
  const release = caches.attach(() => {
    attached++;
    return () => attached--;
  });
  try {
    const seedWatches = caches.watches;
    assert.equal(seedWatches, 6, "5 seed kinds and namespaces");
    await caches.setWantedKinds([
      { apiVersion: "policy/v1", kind: "PodDisruptionBudget" },
      { apiVersion: "v1", kind: "ServiceAccount" },
      { apiVersion: "example.com/v1", kind: "Gadget" }, // cluster-scoped here
      { apiVersion: "example.com/v1", kind: "Widget" }, // not served (discovery fails: nothing on port 1)
      { apiVersion: "v1", kind: "ConfigMap" }, // a seed kind: already watched
    ]);
    assert.deepEqual(caches.extraKinds.sort(), ["/ServiceAccount", "policy/PodDisruptionBudget"]);
    assert.equal(caches.watches, seedWatches + 2);
    assert.equal(attached, 2, "each new watch feeds the controller");
    assert.ok(caches.informerFor({ apiVersion: "policy/v1beta1", kind: "PodDisruptionBudget" }));
    assert.equal(
      caches.informerFor({ apiVersion: "v1", kind: "ConfigMap" }),
      caches.objects.get("ConfigMap"),
    );
    // A list that has failed is not waited for (nothing answers on port 1): once the informer has seen
    // its first error, ensureKinds returns without waiting for the deadline.
    const serviceAccounts = caches.informerFor({ apiVersion: "v1", kind: "ServiceAccount" })!;
    const deadline = Date.now() + 30_000;
    while (serviceAccounts.stats.errors === 0) {
      assert.ok(Date.now() < deadline, "the ServiceAccount list never failed");
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const started = performance.now();
    await caches.ensureKinds([{ apiVersion: "v1", kind: "ServiceAccount" }], 60_000);
    assert.ok(performance.now() - started < 30_000);

    await caches.setWantedKinds([{ apiVersion: "v1", kind: "ServiceAccount" }]);
    assert.deepEqual(caches.extraKinds, ["/ServiceAccount"]);
    assert.equal(attached, 1, "the stopped watch's subscription is released");
    await caches.setWantedKinds([]);
    assert.equal(caches.watches, seedWatches, "no watch on kinds nobody replicates");
  } finally {
    release();
    await caches.stop();
    client.close();
  }
});

Deno.test("cacheTransform drops managedFields and unread status, keeps every field an intent sets, and shares long strings", () => {
  const interner = new StringInterner({ minLength: 64 });
  const transform = cacheTransform(interner);
  const secret = () =>
    JSON.parse(JSON.stringify({
      apiVersion: "v1",
      kind: "Secret",
      metadata: {
        name: "tls",
        namespace: "app",
        labels: { "app.kubernetes.io/managed-by": "plumber" },
        annotations: { "plumber.jnytnai0613.github.io/intent-hash": "abc" },
        managedFields: [{ manager: "plumber" }],
      },
      type: "kubernetes.io/tls",
      data: { "tls.crt": "Q".repeat(1500), "tls.key": "K".repeat(1200) },
    })) as KubeObjectLike;
  const expected = secret() as KubeObjectLike & { metadata: Record<string, unknown> };
  delete expected.metadata.managedFields;
  // The same Secret as three clusters' caches receive it.
  for (let i = 0; i < 3; i++) assert.deepEqual(transform(secret()), expected);
  assert.equal(interner.size, 2, "one kept copy of each long value");
  const service = transform({
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: "web" },
    spec: { ports: [{ port: 80 }] },
    status: { loadBalancer: { ingress: [{ ip: "10.0.0.1" }] } },
  } as KubeObjectLike);
  assert.equal("status" in service, false, "a Service's status is never read");
});
