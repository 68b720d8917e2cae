import assert from "node:assert/strict";
import { OWN_WRITE_TTL_MS, OwnWrites } from "./own_writes.ts";

const cm = (name: string, resourceVersion: string, namespace = "web") => ({
  apiVersion: "v1",
  kind: "ConfigMap",
  metadata: { namespace, name, resourceVersion },
});

Deno.test("OwnWrites: the exact version written is an echo, once; other versions, objects and clusters are not", () => {
  const writes = new OwnWrites();
  writes.record("s1", cm("a", "10"));
  assert.equal(writes.isEcho("s1", cm("a", "9")), false, "an older version");
  assert.equal(writes.isEcho("s1", cm("a", "11")), false, "someone else's later write");
  assert.equal(writes.isEcho("s2", cm("a", "10")), false, "the same object in another cluster");
  assert.equal(writes.isEcho("s1", cm("a", "10", "api")), false, "another namespace");
  assert.equal(writes.isEcho("s1", { ...cm("a", "10"), kind: "Secret" }), false, "another kind");
  assert.equal(writes.isEcho("s1", cm("a", "10")), true);
  assert.equal(writes.isEcho("s1", cm("a", "10")), false, "consumed by its echo");
  assert.equal(writes.size, 0);
});

Deno.test("OwnWrites: a later write replaces the version waited for", () => {
  const writes = new OwnWrites();
  writes.record("s1", cm("a", "10"));
  writes.record("s1", cm("a", "12"));
  assert.equal(writes.isEcho("s1", cm("a", "10")), false);
  assert.equal(writes.isEcho("s1", cm("a", "12")), true);
});

Deno.test("OwnWrites: a write whose echo never comes is forgotten after the TTL", () => {
  let now = 1_000_000;
  const writes = new OwnWrites(() => now);
  writes.record("s1", cm("a", "10"));
  now += OWN_WRITE_TTL_MS + 1;
  assert.equal(writes.isEcho("s1", cm("a", "10")), false, "too late to be trusted as an echo");
  writes.record("s1", cm("b", "20"));
  now += OWN_WRITE_TTL_MS + 1;
  writes.record("s1", cm("c", "30"));
  assert.equal(writes.size, 1, "expired entries are dropped when writes go on");
});

Deno.test("OwnWrites: objects without a name or version are never recorded", () => {
  const writes = new OwnWrites();
  writes.record("s1", undefined);
  writes.record("s1", { kind: "ConfigMap", metadata: { name: "a" } });
  writes.record("s1", { kind: "ConfigMap", metadata: { resourceVersion: "1" } });
  assert.equal(writes.size, 0);
  assert.equal(writes.isEcho("s1", { kind: "ConfigMap", metadata: { resourceVersion: "1" } }), false);
});
