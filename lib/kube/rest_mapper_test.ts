import assert from "node:assert/strict";
import type { ApiResource, Discovery } from "./discovery.ts";
import { DiscoveryRestMapper } from "./rest_mapper.ts";

const PODS: ApiResource = {
  group: "",
  version: "v1",
  resource: "pods",
  kind: "Pod",
  namespaced: true,
  verbs: ["get"],
  preferred: true,
};
const WIDGETS: ApiResource = { ...PODS, group: "example.com", resource: "widgets", kind: "Widget" };

function discovery(resources: ApiResource[], failures: Discovery["failures"] = []): Discovery {
  return { resources, failures, source: "aggregated" };
}

Deno.test("DiscoveryRestMapper starts from its initial result and discovers only on a miss, once for all waiting", async () => {
  let calls = 0;
  const gate = Promise.withResolvers<void>();
  const mapper = new DiscoveryRestMapper(async () => {
    calls++;
    await gate.promise;
    return discovery([PODS, WIDGETS]);
  }, { initial: discovery([PODS]), minRefreshMs: 0 });
  assert.equal((await mapper.mapping("v1", "Pod"))?.resource, "pods");
  assert.equal(calls, 0, "a kind of the initial result needs no discovery");
  const waiting = [1, 2, 3].map(() => mapper.mapping("example.com/v1", "Widget"));
  gate.resolve();
  const found = await Promise.all(waiting);
  assert.deepEqual(found.map((m) => m?.resource), ["widgets", "widgets", "widgets"]);
  assert.equal(calls, 1);
  assert.equal(mapper.discoveries, 1);
  assert.equal(await mapper.mapping("example.com/v2", "Widget"), undefined, "another version is not served");
  assert.equal(calls, 2);
  await assert.rejects(mapper.mapping("a/b/c", "Widget"), /Invalid apiVersion "a\/b\/c"/);
});

Deno.test("DiscoveryRestMapper passes a failed discovery on, tries again on the next call, and keeps failures", async () => {
  const answers: Array<() => Discovery> = [
    () => {
      throw new Error("connection refused");
    },
    () => discovery([PODS], [{ groupVersion: "metrics.k8s.io/v1beta1", reason: "discovery of it is stale" }]),
  ];
  const mapper = new DiscoveryRestMapper(() => Promise.resolve().then(() => answers.shift()!()));
  await assert.rejects(mapper.mapping("v1", "Pod"), /connection refused/);
  assert.equal((await mapper.mapping("v1", "Pod"))?.kind, "Pod");
  assert.deepEqual(mapper.failure("metrics.k8s.io/v1beta1"), {
    groupVersion: "metrics.k8s.io/v1beta1",
    reason: "discovery of it is stale",
  });
  assert.equal(mapper.failure("v1"), undefined);
});

Deno.test("DiscoveryRestMapper waits for the rate limit on a miss, and the caller's signal cuts the wait", async () => {
  let now = 0;
  let calls = 0;
  const mapper = new DiscoveryRestMapper(() => {
    calls++;
    return Promise.resolve(discovery([PODS]));
  }, { minRefreshMs: 60_000, now: () => now });
  await mapper.mapping("v1", "Pod");
  const stop = new AbortController();
  const missing = mapper.mapping("example.com/v1", "Widget", stop.signal);
  stop.abort(new Error("stopped"));
  await assert.rejects(missing, /stopped/);
  assert.equal(calls, 1, "no discovery within the rate limit");
  now = 60_000;
  assert.equal(await mapper.mapping("example.com/v1", "Widget"), undefined);
  assert.equal(calls, 2, "once the rate limit allows, the miss reads discovery again");
});
