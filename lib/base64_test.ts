import assert from "node:assert/strict";
import { decodeBase64, decodeBase64Text, encodeBase64, encodeBase64Text } from "./base64.ts";

Deno.test("encodeBase64Text() and decodeBase64Text() round-trip UTF-8 text", () => {
  for (const text of ["", "a", "héllo wörld ✓", "x".repeat(100_000)]) {
    assert.equal(decodeBase64Text(encodeBase64Text(text)), text);
  }
  assert.equal(encodeBase64Text("hello"), "aGVsbG8=");
});

Deno.test("decodeBase64() ignores line breaks and refuses what is not base64", () => {
  assert.deepEqual([...decodeBase64("AQL/\n")], [1, 2, 255]);
  assert.equal(encodeBase64(new Uint8Array([1, 2, 255])), "AQL/");
  assert.throws(() => decodeBase64("not base64!"));
});

Deno.test("decodeBase64Text() refuses bytes that are not UTF-8", () => {
  assert.throws(() => decodeBase64Text(encodeBase64(new Uint8Array([0xff, 0xfe]))), TypeError);
});
