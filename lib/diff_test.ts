import assert from "node:assert/strict";
import { canonicalJson, intentHash, isSubset } from "./diff.ts";

Deno.test("isSubset() ignores fields the API server added", () => {
  const desired = {
    spec: { replicas: 3, template: { spec: { containers: [{ name: "a", image: "nginx" }] } } },
  };
  const live = {
    spec: {
      replicas: 3,
      revisionHistoryLimit: 10,
      template: { spec: { containers: [{ name: "a", image: "nginx", imagePullPolicy: "Always" }] } },
    },
    status: { readyReplicas: 0 },
  };
  assert.equal(isSubset(desired, live), true);
});

Deno.test("isSubset() sees a hand-edited value as drift", () => {
  assert.equal(isSubset({ spec: { replicas: 3 } }, { spec: { replicas: 5 } }), false);
  assert.equal(isSubset({ data: { a: "1" } }, { data: { a: "2" } }), false);
  assert.equal(isSubset({ data: { a: "1" } }, { data: {} }), false);
});

Deno.test("isSubset() compares lists element by element and by length", () => {
  assert.equal(isSubset({ ports: [{ port: 80 }] }, { ports: [{ port: 80, protocol: "TCP" }] }), true);
  assert.equal(isSubset({ ports: [{ port: 80 }] }, { ports: [{ port: 80 }, { port: 81 }] }), false);
  assert.equal(isSubset({ ports: [{ port: 80 }] }, { ports: { port: 80 } }), false);
});

Deno.test("isSubset() treats an empty map the server dropped as equal", () => {
  assert.equal(isSubset({ data: {} }, {}), true);
  assert.equal(isSubset({ data: { a: "1" } }, {}), false);
});

Deno.test('isSubset() does not equate 80 and "80"', () => {
  assert.equal(isSubset({ targetPort: 80 }, { targetPort: "80" }), false);
});

Deno.test("canonicalJson() and intentHash() do not depend on key order", async () => {
  assert.equal(canonicalJson({ b: 1, a: { d: 2, c: 3 } }), canonicalJson({ a: { c: 3, d: 2 }, b: 1 }));
  assert.equal(await intentHash({ b: 1, a: 2 }), await intentHash({ a: 2, b: 1 }));
  assert.notEqual(await intentHash({ a: 1 }), await intentHash({ a: 2 }));
  assert.match(await intentHash({}), /^[0-9a-f]{24}$/);
});

Deno.test("intentHash() is the first 12 bytes of WebCrypto's SHA-256 of the canonical JSON (annotations written by earlier releases stay valid)", async () => {
  const values = [{}, { b: 1, a: "ü" }, { data: { key: "x".repeat(5000) }, list: [1, null, true] }];
  for (const value of values) {
    const digest = new Uint8Array(
      await crypto.subtle.digest("SHA-256", new TextEncoder().encode(canonicalJson(value))),
    );
    const expected = Array.from(digest.slice(0, 12), (b) => b.toString(16).padStart(2, "0")).join("");
    assert.equal(intentHash(value), expected);
  }
});
