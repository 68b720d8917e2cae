import assert from "node:assert/strict";
import { KubeClient } from "./client.ts";
import { InformerFactory, informerKey } from "./informer_factory.ts";

const CD = { apiVersion: "plumber.jnytnai0613.github.io/v1", kind: "ClusterDetector" };

function client(name: string): KubeClient {
  // Never connected: these tests only ask the factory for informers.
  return new KubeClient(
    { contextName: name, cluster: name, user: name, server: "http://127.0.0.1:9" },
    { name },
  );
}

Deno.test("InformerFactory.informer() hands the same informer to every request for the same resource and selectors", () => {
  const primary = client("primary");
  try {
    const factory = new InformerFactory();
    const a = factory.informer({ client: primary, ...CD, namespace: "plumber-system" });
    const b = factory.informer({ client: primary, ...CD, namespace: "plumber-system" });
    assert.equal(a, b);
    assert.equal(factory.list().length, 1);
  } finally {
    primary.close();
  }
});

Deno.test("InformerFactory.informer() keeps apart clients, kinds, namespaces and selectors", () => {
  const primary = client("primary");
  const other = client("primary");
  try {
    const factory = new InformerFactory();
    const base = { client: primary, ...CD, namespace: "ns" };
    const informers = [
      factory.informer(base),
      factory.informer({ ...base, client: other }),
      factory.informer({ ...base, kind: "Replicator" }),
      factory.informer({ ...base, namespace: "other" }),
      factory.informer({ ...base, namespace: undefined }),
      factory.informer({ ...base, labelSelector: "a=b" }),
      factory.informer({ ...base, fieldSelector: "metadata.name=x" }),
    ];
    assert.equal(new Set(informers).size, informers.length);
    assert.equal(factory.list().length, informers.length);
  } finally {
    primary.close();
    other.close();
  }
});

Deno.test("informerKey() does not confuse a selector with a neighbouring field", () => {
  assert.notEqual(
    informerKey({ ...CD, namespace: "a", labelSelector: "" }, 1),
    informerKey({ ...CD, namespace: "", labelSelector: "a" }, 1),
  );
});

Deno.test("A shared informer keeps watching until its last user stops it, then the factory makes a new one", async () => {
  const primary = client("primary");
  try {
    const factory = new InformerFactory({ informerDefaults: { minBackoffMs: 10_000 } });
    const shared = factory.informer({ client: primary, ...CD });
    shared.start();
    shared.start();
    await shared.stop();
    assert.equal(shared.stopped, false, "one user still holds it");
    await shared.stop();
    assert.equal(shared.stopped, true);
    assert.notEqual(factory.informer({ client: primary, ...CD }), shared);
  } finally {
    primary.close();
  }
});

Deno.test("InformerFactory.close() ends every watch whoever still uses it", async () => {
  const primary = client("primary");
  try {
    const factory = new InformerFactory({ informerDefaults: { minBackoffMs: 10_000 } });
    const a = factory.informer({ client: primary, ...CD });
    const b = factory.informer({ client: primary, ...CD, kind: "Replicator" });
    a.start();
    a.start();
    b.start();
    await factory.close();
    assert.equal(a.stopped && b.stopped, true);
    assert.deepEqual(factory.list(), []);
  } finally {
    primary.close();
  }
});
