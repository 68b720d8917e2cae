import assert from "node:assert/strict";
import { StringInterner } from "./string_interner.ts";

const long = (c: string) => c.repeat(100);
/** A fresh string of that content (not a literal V8 may share). */
const copy = (s: string) => JSON.parse(JSON.stringify(s)) as string;

Deno.test("internStrings keeps every value equal and the object's shape, and counts each long content once", () => {
  const interner = new StringInterner({ minLength: 64 });
  const cert = long("A");
  const make = () => ({
    metadata: { name: "web", annotations: { note: copy(long("n")) } },
    data: { "tls.crt": copy(cert), short: "x" },
    spec: { containers: [{ command: ["sh", "-c", copy(long("s"))] }], replicas: 3, paused: false, x: null },
  });
  const a = interner.internStrings(make());
  const b = interner.internStrings(make());
  assert.deepEqual(a, make());
  assert.deepEqual(b, make());
  // Three distinct long contents (note, certificate, script), met twice each.
  assert.equal(interner.size, 3);
});

Deno.test("intern leaves short strings alone and returns the first copy's content", () => {
  const interner = new StringInterner({ minLength: 10 });
  assert.equal(interner.intern("short"), "short");
  assert.equal(interner.size, 0);
  assert.equal(interner.intern(copy(long("z"))), long("z"));
  assert.equal(interner.intern(copy(long("z"))), long("z"));
  assert.equal(interner.size, 1);
});

Deno.test("the table forgets strings not met again for a generation of maxChars, and keeps those met", () => {
  const interner = new StringInterner({ minLength: 1, maxChars: 4 });
  for (const s of ["a", "b", "c", "d"]) interner.intern(s);
  assert.equal(interner.size, 4);
  interner.intern("e"); // the generation is full: a-d become the previous one
  assert.equal(interner.size, 5);
  interner.intern("a"); // met again: moved to the current generation
  assert.equal(interner.size, 5);
  interner.intern("f");
  interner.intern("g"); // current e, a, f, g: full
  interner.intern("h"); // turns over: b, c, d are forgotten
  assert.equal(interner.size, 5);
  interner.intern("a");
  assert.equal(interner.size, 5, "a was in the last generation: moved, not added");
  interner.intern("b");
  assert.equal(interner.size, 6, "b was forgotten: added anew");
});

Deno.test("internStrings handles arrays of strings, nested arrays and non-objects", () => {
  const interner = new StringInterner({ minLength: 3 });
  const o = { list: ["abcd", ["efgh", 1, null], { k: "ijkl" }], n: 1 };
  assert.deepEqual(interner.internStrings(o), { list: ["abcd", ["efgh", 1, null], { k: "ijkl" }], n: 1 });
  assert.equal(interner.size, 3);
  assert.equal(interner.internStrings("plain"), "plain");
  assert.equal(interner.internStrings(null), null);
});
