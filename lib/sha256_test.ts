import assert from "node:assert/strict";
import { sha256, sha256Hex } from "./sha256.ts";

async function webCrypto(data: Uint8Array<ArrayBuffer>): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", data));
}

Deno.test("sha256() matches FIPS 180-4's examples", () => {
  const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
  assert.equal(
    hex(sha256(new Uint8Array())),
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
  );
  assert.equal(
    hex(sha256(new TextEncoder().encode("abc"))),
    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
  );
  assert.equal(
    hex(sha256(new TextEncoder().encode("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"))),
    "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
  );
});

Deno.test("sha256() equals WebCrypto's SHA-256 at every length around the block and padding edges", async () => {
  for (let length = 0; length <= 200; length++) {
    const data = crypto.getRandomValues(new Uint8Array(length));
    assert.deepEqual(sha256(data), await webCrypto(data), `length ${length}`);
  }
  for (const length of [1000, 4096, 65_537, 300_000]) {
    const data = new Uint8Array(length);
    for (let i = 0; i < length; i += 65_536) crypto.getRandomValues(data.subarray(i, i + 65_536));
    assert.deepEqual(sha256(data), await webCrypto(data), `length ${length}`);
  }
});

Deno.test("sha256Hex() is the UTF-8 text's SHA-256 in hex, cut to the bytes asked", () => {
  assert.equal(sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  assert.equal(sha256Hex("abc", 12), "ba7816bf8f01cfea414140de");
  assert.equal(
    sha256Hex("ü"),
    Array.from(sha256(new TextEncoder().encode("ü")), (b) => b.toString(16).padStart(2, "0")).join(""),
  );
});
