import assert from "node:assert/strict";
import type { KubeObject } from "../../lib/api.ts";
import { intentHash } from "../../lib/diff.ts";
import { IntentHashes, type RenderInputs } from "./intent_hashes.ts";

const INPUTS: RenderInputs = {
  uid: "u1",
  generation: 1,
  role: "secondary",
  primaryId: "p",
  labels: { a: "1" },
};

function configMap(value: string): KubeObject {
  return { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "c", namespace: "ns" }, data: { value } };
}

Deno.test("IntentHashes reuses an object's hash while the render's inputs are the same", async () => {
  const hashes = new IntentHashes();
  const first = await hashes.for("web", "s1", INPUTS)(configMap("a"));
  assert.equal(first, await intentHash(configMap("a")));
  // Same inputs: the stored hash (even for an object that would hash differently: never rendered so).
  assert.equal(await hashes.for("web", "s1", { ...INPUTS, labels: { a: "1" } })(configMap("b")), first);
  // Any input changed, or another cluster: hashed again.
  const changes: RenderInputs[] = [
    { ...INPUTS, generation: 2 },
    { ...INPUTS, uid: "u2" },
    { ...INPUTS, role: "primary" },
    { ...INPUTS, primaryId: "q" },
    { ...INPUTS, labels: { a: "2" } },
    { ...INPUTS, tls: {} },
  ];
  for (const inputs of changes) {
    assert.equal(await hashes.for("web", "s1", inputs)(configMap("b")), await intentHash(configMap("b")));
  }
  assert.equal(await hashes.for("web", "s2", INPUTS)(configMap("b")), await intentHash(configMap("b")));
  // The same TLS object is the same input; a new one (renewed) is not.
  const tls = {};
  const withTls = await hashes.for("web", "s1", { ...INPUTS, tls })(configMap("c"));
  assert.equal(await hashes.for("web", "s1", { ...INPUTS, tls })(configMap("d")), withTls);
  assert.notEqual(await hashes.for("web", "s1", { ...INPUTS, tls: {} })(configMap("d")), withTls);
});

Deno.test("IntentHashes reuses nothing without a generation (another revision's spec) and forgets a Replicator", async () => {
  const hashes = new IntentHashes();
  const noGeneration = { ...INPUTS, generation: undefined };
  await hashes.for("web", "s1", noGeneration)(configMap("a"));
  assert.equal(await hashes.for("web", "s1", noGeneration)(configMap("b")), await intentHash(configMap("b")));
  await hashes.for("web", "s1", INPUTS)(configMap("a"));
  await hashes.for("web2", "s1", INPUTS)(configMap("a"));
  assert.equal(hashes.size, 2);
  hashes.forget("web");
  assert.equal(hashes.size, 1);
});
