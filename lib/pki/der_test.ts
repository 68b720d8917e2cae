import assert from "node:assert/strict";
import {
  bitString,
  boolean,
  children,
  encodeLength,
  explicit,
  implicit,
  integer,
  integerFromBytes,
  namedBits,
  nullValue,
  octetString,
  oid,
  printableString,
  readElement,
  sequence,
  set,
  time,
  utf8String,
} from "./der.ts";

const hex = (bytes: Uint8Array) => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
const fromHex = (text: string) => Uint8Array.from(text.match(/../g) ?? [], (p) => parseInt(p, 16));

Deno.test("encodeLength() uses the short form below 128 and the minimal long form from 128", () => {
  assert.equal(hex(encodeLength(0)), "00");
  assert.equal(hex(encodeLength(127)), "7f");
  assert.equal(hex(encodeLength(128)), "8180");
  assert.equal(hex(encodeLength(255)), "81ff");
  assert.equal(hex(encodeLength(256)), "820100");
  assert.equal(hex(encodeLength(65535)), "82ffff");
  assert.equal(hex(encodeLength(65536)), "83010000");
  assert.throws(() => encodeLength(-1), RangeError);
});

Deno.test("octetString() of 127, 128 and 300 bytes has the right headers, and readElement() reads them back", () => {
  for (const [size, header] of [[127, "047f"], [128, "048180"], [300, "0482012c"]] as const) {
    const encoded = octetString(new Uint8Array(size).fill(7));
    assert.equal(hex(encoded.subarray(0, header.length / 2)), header);
    assert.equal(encoded.length, header.length / 2 + size);
    const read = readElement(encoded, 0);
    assert.deepEqual(read, { tag: 0x04, start: 0, contentStart: header.length / 2, end: encoded.length });
  }
});

Deno.test("integerFromBytes() drops leading zeros and adds one before a set top bit", () => {
  assert.equal(hex(integerFromBytes(fromHex("00"))), "020100");
  assert.equal(hex(integerFromBytes(fromHex("000000"))), "020100");
  assert.equal(hex(integerFromBytes(new Uint8Array())), "020100");
  assert.equal(hex(integerFromBytes(fromHex("7f"))), "02017f");
  assert.equal(hex(integerFromBytes(fromHex("80"))), "02020080");
  assert.equal(hex(integerFromBytes(fromHex("000080"))), "02020080");
  assert.equal(hex(integerFromBytes(fromHex("00007f01"))), "02027f01");
  assert.equal(hex(integerFromBytes(fromHex("ff00"))), "020300ff00");
  assert.equal(hex(integer(2)), "020102");
  assert.equal(hex(integer(256)), "02020100");
  assert.equal(hex(integer(128)), "02020080");
});

Deno.test("oid() encodes known object identifiers", () => {
  assert.equal(hex(oid("2.5.4.3")), "0603550403");
  assert.equal(hex(oid("1.2.840.10045.4.3.2")), "06082a8648ce3d040302");
  assert.equal(hex(oid("1.2.840.113549.1.1.11")), "06092a864886f70d01010b");
  assert.equal(hex(oid("1.3.6.1.5.5.7.3.1")), "06082b06010505070301");
  assert.equal(hex(oid("2.999.3")), "0603883703");
  assert.throws(() => oid("1"), RangeError);
  assert.throws(() => oid("1.40"), RangeError);
  assert.throws(() => oid("3.1"), RangeError);
  assert.throws(() => oid("1.2.x"), RangeError);
});

Deno.test("time() uses UTCTime through 2049 and GeneralizedTime from 2050, without milliseconds", () => {
  assert.equal(
    new TextDecoder().decode(time(new Date("2049-12-31T23:59:59.999Z")).subarray(2)),
    "491231235959Z",
  );
  assert.equal(time(new Date("2049-12-31T23:59:59Z"))[0], 0x17);
  const y2050 = time(new Date("2050-01-01T00:00:00Z"));
  assert.equal(y2050[0], 0x18);
  assert.equal(new TextDecoder().decode(y2050.subarray(2)), "20500101000000Z");
  assert.equal(hex(time(new Date("1999-02-03T04:05:06Z"))), "170d3939303230333034303530365a");
  assert.equal(
    new TextDecoder().decode(time(new Date("9999-12-31T23:59:59Z")).subarray(2)),
    "99991231235959Z",
  );
  assert.throws(() => time(new Date("1949-12-31T23:59:59Z")), RangeError);
  assert.throws(() => time(new Date(NaN)), RangeError);
});

Deno.test("strings, BOOLEAN, NULL and BIT STRINGs encode as DER wants", () => {
  assert.equal(hex(printableString("ca")), "13026361");
  assert.throws(() => printableString("a_b"), RangeError);
  assert.equal(hex(utf8String("é")), "0c02c3a9");
  assert.equal(hex(boolean(true)), "0101ff");
  assert.equal(hex(boolean(false)), "010100");
  assert.equal(hex(nullValue()), "0500");
  assert.equal(hex(bitString(fromHex("abcd"))), "030300abcd");
  // keyUsage: digitalSignature | keyCertSign | cRLSign, digitalSignature alone, with keyEncipherment.
  assert.equal(hex(namedBits([0, 5, 6])), "03020186");
  assert.equal(hex(namedBits([0])), "03020780");
  assert.equal(hex(namedBits([0, 2])), "030205a0");
  assert.equal(hex(namedBits([7])), "03020001");
  assert.equal(hex(namedBits([8])), "0303070080");
  assert.equal(hex(namedBits([])), "030100");
});

Deno.test("constructed and context-specific elements wrap what they are given", () => {
  assert.equal(hex(sequence()), "3000");
  assert.equal(hex(sequence(boolean(true))), "30030101ff");
  assert.equal(hex(set(integer(1), integer(2))), "3106020101020102");
  assert.equal(hex(explicit(0, integer(2))), "a003020102");
  assert.equal(hex(explicit(3, sequence())), "a3023000");
  assert.equal(hex(implicit(2, new TextEncoder().encode("a"))), "820161");
  assert.equal(hex(implicit(7, fromHex("7f000001"))), "87047f000001");
  const nested = sequence(integer(1), sequence(nullValue()), octetString(new Uint8Array(200)));
  const outer = readElement(nested, 0);
  assert.equal(outer.end, nested.length);
  assert.deepEqual(children(nested, outer).map((c) => c.tag), [0x02, 0x30, 0x04]);
});

Deno.test("readElement() refuses truncated and overrunning elements", () => {
  assert.throws(() => readElement(fromHex("30"), 0), /truncated/);
  assert.throws(() => readElement(fromHex("3005020100"), 0), /overruns/);
  assert.throws(() => readElement(fromHex("3080"), 0), /unsupported length/);
  assert.throws(() => readElement(fromHex("1f0100"), 0), /multi-byte tag/);
});
