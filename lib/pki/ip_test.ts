import assert from "node:assert/strict";
import { parseIp } from "./ip.ts";

Deno.test("parseIp() reads IPv4 and IPv6 text into bytes, IPv4-mapped IPv6 as 4 bytes", () => {
  assert.deepEqual(parseIp("192.0.2.7"), new Uint8Array([192, 0, 2, 7]));
  assert.deepEqual(parseIp("::1"), new Uint8Array([...new Array(15).fill(0), 1]));
  assert.deepEqual(
    parseIp("2001:DB8::8:800:200c:417a"),
    new Uint8Array([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0x08, 0x08, 0, 0x20, 0x0c, 0x41, 0x7a]),
  );
  assert.deepEqual(parseIp("::ffff:192.0.2.7"), new Uint8Array([192, 0, 2, 7]));
  assert.deepEqual(parseIp("::ffff:c000:207"), new Uint8Array([192, 0, 2, 7]));
  assert.deepEqual(parseIp("64:ff9b::192.0.2.7")?.length, 16);
});

Deno.test("parseIp() refuses leading zeros, zones, out-of-range parts and malformed groups", () => {
  for (
    const text of [
      "01.2.3.4",
      "256.0.0.1",
      "1.2.3",
      "fe80::1%eth0",
      "1::2::3",
      "1:2:3:4:5:6:7:8:9",
      "12345::",
      ":::",
    ]
  ) {
    assert.equal(parseIp(text), undefined, text);
  }
});
