import assert from "node:assert/strict";
import { canonicalJson, cloneJson } from "./json.ts";

Deno.test("canonicalJson() sorts keys at every level and drops undefined members", () => {
  assert.equal(
    canonicalJson({ b: 1, a: { d: [{ y: 1, x: 2 }], c: undefined } }),
    '{"a":{"d":[{"x":2,"y":1}]},"b":1}',
  );
  assert.equal(canonicalJson({ a: 1, b: 2 }), canonicalJson({ b: 2, a: 1 }));
});

Deno.test("cloneJson() copies deeply and leaves out undefined members", () => {
  const input = { a: { b: [1, 2] }, c: undefined };
  const copy = cloneJson(input);
  assert.deepEqual(copy, { a: { b: [1, 2] } });
  copy.a.b.push(3);
  assert.deepEqual(input.a.b, [1, 2]);
});
