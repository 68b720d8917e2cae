import assert from "node:assert/strict";
import { importPkcs8, pemBody } from "./_test_util.ts";
import { generateKeyPairPem } from "./keys.ts";

Deno.test("generateKeyPairPem() returns a PKCS#8 private key and the SPKI public key that matches it", async () => {
  for (
    const [algorithm, params] of [
      [undefined, { name: "ECDSA", namedCurve: "P-256" }],
      ["rsa-2048", { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" }],
    ] as const
  ) {
    const pair = await generateKeyPairPem(algorithm);
    assert.match(pair.privateKeyPem, /^-----BEGIN PRIVATE KEY-----\n[\s\S]+\n-----END PRIVATE KEY-----\n$/);
    assert.match(pair.publicKeyPem, /^-----BEGIN PUBLIC KEY-----\n[\s\S]+\n-----END PUBLIC KEY-----\n$/);
    const privateKey = await importPkcs8(pair.privateKeyPem, params);
    const publicKey = await crypto.subtle.importKey("spki", pemBody(pair.publicKeyPem), params, false, [
      "verify",
    ]);
    const sign = { name: params.name, hash: "SHA-256" };
    const data = new TextEncoder().encode("token");
    const signature = await crypto.subtle.sign(sign, privateKey, data);
    assert.equal(await crypto.subtle.verify(sign, publicKey, signature, data), true, algorithm);
  }
});

Deno.test("generateKeyPairPem() names an algorithm it does not know", async () => {
  await assert.rejects(generateKeyPairPem("ed25519" as never), {
    name: "RangeError",
    message: `Cannot generate key pair: algorithm "ed25519" is not one of ecdsa-p256, rsa-2048, rsa-3072`,
  });
});
