/**
 * A minimal DER encoder (ITU-T X.690 distinguished encoding) for the few types an X.509 certificate
 * needs, and a reader of one element's header, enough to lift raw fields out of a certificate.
 *
 * Every encoder returns the whole element (tag, length, contents) as bytes; constructed types take
 * already encoded elements. Nothing here checks that a SET's elements are sorted: plumber's SETs (the
 * RDNs of a name) hold one element each.
 *
 * @module
 */

/** Universal tags used here. */
export const TAG = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  UTF8_STRING: 0x0c,
  PRINTABLE_STRING: 0x13,
  IA5_STRING: 0x16,
  UTC_TIME: 0x17,
  GENERALIZED_TIME: 0x18,
  SEQUENCE: 0x30,
  SET: 0x31,
} as const;

/** The DER length octets of `length`: short form below 128, else long form with minimal bytes. */
export function encodeLength(length: number): Uint8Array {
  if (!Number.isSafeInteger(length) || length < 0) throw new RangeError(`DER length ${length} is invalid`);
  if (length < 0x80) return Uint8Array.of(length);
  const bytes: number[] = [];
  for (let rest = length; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest % 256);
  return Uint8Array.of(0x80 | bytes.length, ...bytes);
}

/** Concatenates byte arrays. */
export function concat(parts: readonly Uint8Array[]): Uint8Array<ArrayBuffer> {
  let size = 0;
  for (const part of parts) size += part.length;
  const out = new Uint8Array(size);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** An element of one tag byte and the given contents. */
export function element(tag: number, contents: Uint8Array): Uint8Array<ArrayBuffer> {
  return concat([Uint8Array.of(tag), encodeLength(contents.length), contents]);
}

/** SEQUENCE of encoded elements. */
export function sequence(...elements: Uint8Array[]): Uint8Array<ArrayBuffer> {
  return element(TAG.SEQUENCE, concat(elements));
}

/** SET of encoded elements (in the order given). */
export function set(...elements: Uint8Array[]): Uint8Array<ArrayBuffer> {
  return element(TAG.SET, concat(elements));
}

/**
 * INTEGER of a big-endian unsigned magnitude: leading zero bytes are dropped, and one zero byte is
 * put back when the top bit is set (so the value stays positive). Empty or all-zero bytes are 0.
 */
export function integerFromBytes(magnitude: Uint8Array): Uint8Array<ArrayBuffer> {
  let start = 0;
  while (start < magnitude.length - 1 && magnitude[start] === 0) start++;
  const trimmed = magnitude.length === 0 ? Uint8Array.of(0) : magnitude.subarray(start);
  const contents = trimmed[0]! & 0x80 ? concat([Uint8Array.of(0), trimmed]) : trimmed;
  return element(TAG.INTEGER, contents);
}

/** INTEGER of a small non-negative number. */
export function integer(value: number): Uint8Array<ArrayBuffer> {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`DER integer ${value} is not supported`);
  }
  const bytes: number[] = [];
  for (let rest = value; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest % 256);
  return integerFromBytes(Uint8Array.from(bytes));
}

/** OBJECT IDENTIFIER from dotted text ("1.2.840.10045.4.3.2"). */
export function oid(dotted: string): Uint8Array<ArrayBuffer> {
  const arcs = dotted.split(".").map((arc) => /^\d+$/.test(arc) ? Number(arc) : NaN);
  if (
    arcs.length < 2 || arcs.some((arc) => !Number.isSafeInteger(arc)) || arcs[0]! > 2 ||
    (arcs[0]! < 2 && arcs[1]! > 39)
  ) {
    throw new RangeError(`OID "${dotted}" is not valid`);
  }
  const bytes: number[] = [];
  const push = (arc: number) => {
    const base128: number[] = [arc % 128];
    for (let rest = Math.floor(arc / 128); rest > 0; rest = Math.floor(rest / 128)) {
      base128.unshift(0x80 | (rest % 128));
    }
    bytes.push(...base128);
  };
  push(arcs[0]! * 40 + arcs[1]!);
  for (const arc of arcs.slice(2)) push(arc);
  return element(TAG.OID, Uint8Array.from(bytes));
}

/** UTF8String. */
export function utf8String(text: string): Uint8Array<ArrayBuffer> {
  return element(TAG.UTF8_STRING, new TextEncoder().encode(text));
}

/** Whether `text` fits the PrintableString character set. */
export function isPrintable(text: string): boolean {
  return /^[A-Za-z0-9 '()+,\-./:=?]*$/.test(text);
}

/** PrintableString. @throws {RangeError} if `text` has a character outside its set. */
export function printableString(text: string): Uint8Array<ArrayBuffer> {
  if (!isPrintable(text)) throw new RangeError(`"${text}" does not fit a PrintableString`);
  return element(TAG.PRINTABLE_STRING, new TextEncoder().encode(text));
}

/** IA5String (ASCII). */
export function ia5String(text: string, tag: number = TAG.IA5_STRING): Uint8Array<ArrayBuffer> {
  // deno-lint-ignore no-control-regex
  if (!/^[\x00-\x7f]*$/.test(text)) throw new RangeError(`"${text}" is not IA5 (ASCII) text`);
  return element(tag, new TextEncoder().encode(text));
}

const pad2 = (n: number) => String(n).padStart(2, "0");

/**
 * A certificate time as RFC 5280 §4.1.2.5 wants it: UTCTime (YYMMDDHHMMSSZ) through 2049,
 * GeneralizedTime (YYYYMMDDHHMMSSZ) from 2050; milliseconds are dropped.
 */
export function time(date: Date): Uint8Array<ArrayBuffer> {
  const ms = date.getTime();
  if (Number.isNaN(ms)) throw new RangeError("DER time: invalid Date");
  const year = date.getUTCFullYear();
  if (year < 1950 || year > 9999) throw new RangeError(`DER time: year ${year} is out of range`);
  const rest = pad2(date.getUTCMonth() + 1) + pad2(date.getUTCDate()) + pad2(date.getUTCHours()) +
    pad2(date.getUTCMinutes()) + pad2(date.getUTCSeconds()) + "Z";
  return year < 2050
    ? ia5String(pad2(year % 100) + rest, TAG.UTC_TIME)
    : ia5String(String(year) + rest, TAG.GENERALIZED_TIME);
}

/** BIT STRING of whole bytes (no unused bits). */
export function bitString(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  return element(TAG.BIT_STRING, concat([Uint8Array.of(0), bytes]));
}

/**
 * BIT STRING of named bits (bit 0 is the first, most significant, bit), as DER wants it: trailing zero
 * bits dropped and the unused bits of the last byte counted.
 */
export function namedBits(bits: readonly number[]): Uint8Array<ArrayBuffer> {
  if (bits.length === 0) return element(TAG.BIT_STRING, Uint8Array.of(0));
  const highest = Math.max(...bits);
  const bytes = new Uint8Array(Math.floor(highest / 8) + 1);
  for (const bit of bits) bytes[bit >> 3]! |= 0x80 >> (bit & 7);
  return element(TAG.BIT_STRING, concat([Uint8Array.of(7 - (highest & 7)), bytes]));
}

/** OCTET STRING. */
export function octetString(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  return element(TAG.OCTET_STRING, bytes);
}

/** BOOLEAN (TRUE is 0xff). */
export function boolean(value: boolean): Uint8Array<ArrayBuffer> {
  return element(TAG.BOOLEAN, Uint8Array.of(value ? 0xff : 0));
}

/** NULL. */
export function nullValue(): Uint8Array<ArrayBuffer> {
  return Uint8Array.of(TAG.NULL, 0);
}

/** `[number] EXPLICIT`: a constructed context-specific element wrapping `inner`. */
export function explicit(number: number, inner: Uint8Array): Uint8Array<ArrayBuffer> {
  if (number > 30) throw new RangeError(`context tag ${number} is not supported`);
  return element(0xa0 | number, inner);
}

/** `[number] IMPLICIT` primitive: the contents of the underlying type under a context-specific tag. */
export function implicit(number: number, contents: Uint8Array): Uint8Array<ArrayBuffer> {
  if (number > 30) throw new RangeError(`context tag ${number} is not supported`);
  return element(0x80 | number, contents);
}

/** One element's position in a DER buffer. */
export interface DerElement {
  tag: number;
  /** Offset of the first byte (the tag). */
  start: number;
  /** Offset of the contents. */
  contentStart: number;
  /** Offset just past the contents. */
  end: number;
}

/**
 * Reads the header of the element at `at` (single-byte tags, definite lengths).
 * @throws {RangeError} if the header is malformed or the element overruns `der` (or `limit`).
 */
export function readElement(der: Uint8Array, at: number, limit: number = der.length): DerElement {
  if (at + 2 > limit) throw new RangeError(`DER element at ${at} is truncated`);
  const tag = der[at]!;
  if ((tag & 0x1f) === 0x1f) throw new RangeError(`DER element at ${at} has a multi-byte tag`);
  let length = der[at + 1]!;
  let contentStart = at + 2;
  if (length & 0x80) {
    const count = length & 0x7f;
    if (count === 0 || count > 4 || contentStart + count > limit) {
      throw new RangeError(`DER element at ${at} has an unsupported length`);
    }
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + der[contentStart + i]!;
    contentStart += count;
  }
  const end = contentStart + length;
  if (end > limit) throw new RangeError(`DER element at ${at} overruns its container`);
  return { tag, start: at, contentStart, end };
}

/** The elements directly inside a constructed element. */
export function children(der: Uint8Array, parent: DerElement): DerElement[] {
  const out: DerElement[] = [];
  for (let at = parent.contentStart; at < parent.end;) {
    const child = readElement(der, at, parent.end);
    out.push(child);
    at = child.end;
  }
  return out;
}
