import assert from "node:assert/strict";
import { widget } from "./_test_util.ts";
import { makeOptional, requireFields, schemaAt, sortKeys, updateAt } from "./edit.ts";

Deno.test("requireFields() and makeOptional() override what upstream requires, without touching the input", () => {
  const schema = widget();
  const before = JSON.stringify(schema);
  const changed = requireFields(makeOptional(schema, "", ["ports"]), "ports[]", ["protocol"]);
  assert.deepEqual(changed.required, ["name"]);
  assert.deepEqual(changed.properties?.ports?.items?.required, ["port", "protocol"]);
  assert.equal(JSON.stringify(schema), before);
  // Making everything optional removes the keyword.
  assert.equal("required" in makeOptional(schema, "", ["name", "ports"]), false);
  // Requiring twice does not repeat.
  assert.deepEqual(requireFields(schema, "", ["name"]).required, ["name", "ports"]);
  assert.throws(
    () => requireFields(schema, "", ["nope"]),
    /Cannot require "nope" at "": the schema has no such property/,
  );
  assert.throws(
    () => requireFields(schema, "owner.missing", ["x"]),
    /Cannot find "owner\.missing" in the schema/,
  );
});

Deno.test("updateAt() and schemaAt() follow property, [] and {} paths", () => {
  const schema = widget();
  assert.deepEqual(schemaAt(schema, "ports[].protocol").enum, ["TCP", "UDP"]);
  assert.deepEqual(schemaAt(schema, "labels{}"), { type: "string" });
  const bounded = updateAt(schema, "ports[].port", (port) => ({ ...port, minimum: 1, maximum: 65535 }));
  assert.equal(schemaAt(bounded, "ports[].port").maximum, 65535);
  assert.equal(schemaAt(schema, "ports[].port").maximum, undefined);
  assert.throws(() => schemaAt(schema, "name[]"), /Cannot find "name\[\]"/);
  assert.throws(() => updateAt(schema, "labels{}.x", (s) => s), /no property "x"/);
  assert.throws(() => schemaAt(schema, "a..b"), /segment "" is not a property name/);
});

Deno.test("sortKeys() sorts object keys at every depth and keeps list order", () => {
  const sorted = sortKeys({ b: 1, a: { d: [{ z: 1, y: 2 }, 3], c: null } });
  assert.equal(JSON.stringify(sorted), '{"a":{"c":null,"d":[{"y":2,"z":1},3]},"b":1}');
});
