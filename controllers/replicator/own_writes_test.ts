import assert from "node:assert/strict";
import { OWN_WRITE_TTL_MS, OwnWrites } from "./own_writes.ts";

const cm = (name: string, resourceVersion?: string, namespace = "web") => ({
  apiVersion: "v1",
  kind: "ConfigMap",
  metadata: { namespace, name, resourceVersion },
});

/** A write of `name` that produced `version`, its echo arriving after the response. */
function written(writes: OwnWrites, source: string, name: string, version: string): boolean {
  writes.begin(source, cm(name));
  return writes.end(source, cm(name), cm(name, version));
}

Deno.test("OwnWrites: the exact version written is an echo, once; other versions, objects and clusters are not", () => {
  const writes = new OwnWrites();
  assert.equal(written(writes, "s1", "a", "10"), false);
  assert.equal(writes.isEcho("s1", cm("a", "9")), false, "an older version");
  assert.equal(writes.isEcho("s1", cm("a", "11")), false, "someone else's later write");
  assert.equal(writes.isEcho("s2", cm("a", "10")), false, "the same object in another cluster");
  assert.equal(writes.isEcho("s1", cm("a", "10", "api")), false, "another namespace");
  assert.equal(writes.isEcho("s1", { ...cm("a", "10"), kind: "Secret" }), false, "another kind");
  assert.equal(writes.isEcho("s1", cm("a", "10")), true);
  assert.equal(writes.isEcho("s1", cm("a", "10")), false, "consumed by its echo");
  assert.equal(writes.size, 0);
});

Deno.test("OwnWrites: an echo that arrives before the write's response is held, and nothing is missed", () => {
  const writes = new OwnWrites();
  writes.begin("s1", cm("a"));
  assert.equal(writes.isEcho("s1", cm("a", "10")), true, "held while the write is in flight");
  assert.equal(writes.end("s1", cm("a"), cm("a", "10")), false, "it was the echo");
  assert.equal(writes.size, 0, "nothing left to wait for");
  assert.equal(writes.isEcho("s1", cm("a", "10")), false);
});

Deno.test("OwnWrites: an event held during a write that is not its echo is reported when the write ends", () => {
  const writes = new OwnWrites();
  writes.begin("s1", cm("a"));
  assert.equal(writes.isEcho("s1", cm("a", "9")), true, "held");
  assert.equal(writes.end("s1", cm("a"), cm("a", "10")), true, "someone else's version: reconcile");
  assert.equal(writes.isEcho("s1", cm("a", "10")), true, "the echo, arriving later, still is one");

  writes.begin("s1", cm("b"));
  assert.equal(writes.isEcho("s1", cm("b", "20")), true);
  assert.equal(
    writes.end("s1", cm("b"), undefined),
    true,
    "a failed or untrusted write: every held event counts",
  );
  assert.equal(writes.size, 0);
});

Deno.test("OwnWrites: a later write replaces the version waited for", () => {
  const writes = new OwnWrites();
  written(writes, "s1", "a", "10");
  written(writes, "s1", "a", "12");
  assert.equal(writes.isEcho("s1", cm("a", "10")), false);
  assert.equal(writes.isEcho("s1", cm("a", "12")), true);
});

Deno.test("OwnWrites: a write whose echo never comes is forgotten after the TTL", () => {
  let now = 1_000_000;
  const writes = new OwnWrites(() => now);
  written(writes, "s1", "a", "10");
  now += OWN_WRITE_TTL_MS + 1;
  assert.equal(writes.isEcho("s1", cm("a", "10")), false, "too late to be trusted as an echo");
  written(writes, "s1", "b", "20");
  now += OWN_WRITE_TTL_MS + 1;
  written(writes, "s1", "c", "30");
  assert.equal(writes.size, 1, "expired entries are dropped when writes go on");
});

Deno.test("OwnWrites: objects without a name are never tracked, events without a version never echoes", () => {
  const writes = new OwnWrites();
  writes.begin("s1", { kind: "ConfigMap", metadata: {} });
  assert.equal(writes.end("s1", { kind: "ConfigMap", metadata: {} }, cm("x", "1")), false);
  assert.equal(writes.size, 0);
  writes.begin("s1", cm("a"));
  assert.equal(writes.isEcho("s1", cm("a")), false, "no version");
  assert.equal(writes.end("s1", cm("a"), undefined), false);
  assert.equal(writes.end("s1", cm("a"), undefined), false, "an end without a begin");
});

Deno.test("OwnWrites.write(): tracks one write, reports a held event that was not its echo, passes errors on", async () => {
  const writes = new OwnWrites();
  let missed = 0;
  const echoed = await writes.write(
    "s1",
    cm("a"),
    () => {
      assert.equal(writes.isEcho("s1", cm("a", "10")), true, "held while in flight");
      return Promise.resolve(cm("a", "10"));
    },
    () => true,
    () => missed++,
  );
  assert.equal(echoed.metadata.resourceVersion, "10");
  assert.equal(missed, 0, "the held event was the echo");
  await writes.write(
    "s1",
    cm("b"),
    () => {
      writes.isEcho("s1", cm("b", "19"));
      return Promise.resolve(cm("b", "20"));
    },
    () => false,
    () => missed++,
  );
  assert.equal(missed, 1, "a write not known as its own: every held event reconciles");
  await assert.rejects(
    writes.write("s1", cm("c"), () => Promise.reject(new Error("refused")), () => true, () => missed++),
    /refused/,
  );
  assert.equal(writes.size, 0);
});
