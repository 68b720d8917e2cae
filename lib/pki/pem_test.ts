import assert from "node:assert/strict";
import { hex, pemBlocks, pemEncode } from "./pem.ts";

Deno.test("pemEncode() writes 64-character lines that pemBlocks() reads back", () => {
  const der = Uint8Array.from({ length: 100 }, (_, i) => i);
  const pem = pemEncode(der, "CERTIFICATE");
  const lines = pem.split("\n");
  assert.equal(lines[0], "-----BEGIN CERTIFICATE-----");
  assert.deepEqual(lines.slice(1, -2).map((l) => l.length), [64, 64, 8]);
  assert.equal(lines.at(-2), "-----END CERTIFICATE-----");
  assert.deepEqual(pemBlocks(`junk\n${pem}${pemEncode(der.slice(0, 3), "PRIVATE KEY")}`), [
    { label: "CERTIFICATE", der },
    { label: "PRIVATE KEY", der: der.slice(0, 3) },
  ]);
});

Deno.test("pemBlocks() marks a body that is not base64 and skips unmatched labels", () => {
  assert.deepEqual(pemBlocks("-----BEGIN X-----\nAAA*\n-----END X-----\n"), [{ label: "X", der: undefined }]);
  assert.deepEqual(pemBlocks("-----BEGIN X-----\nAAAA\n-----END Y-----\n"), []);
  assert.equal(hex(new Uint8Array([0, 15, 255])), "000fff");
});
