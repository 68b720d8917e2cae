import assert from "node:assert/strict";
import { DOC, widget } from "./_test_util.ts";
import { QUANTITY_PATTERN } from "./known.ts";
import { isZeroValue, mergeComponents, structuralSchema } from "./structural.ts";
import type { JSONSchemaProps, OpenApiDocument } from "./types.ts";

/** Every key used anywhere in a schema (property names excluded). */
function keywords(schema: JSONSchemaProps): Set<string> {
  const found = new Set<string>();
  const walk = (node: JSONSchemaProps) => {
    for (const key of Object.keys(node)) found.add(key);
    for (const child of Object.values(node.properties ?? {})) walk(child);
    if (node.items) walk(node.items);
    if (node.additionalProperties) walk(node.additionalProperties);
  };
  walk(schema);
  return found;
}

Deno.test("structuralSchema() inlines bare and allOf-wrapped $refs, the field's description winning", () => {
  const schema = widget();
  assert.deepEqual(schema.properties?.owner, {
    description: "Owner, described by the type.",
    type: "object",
    properties: { name: { type: "string" } },
    "x-kubernetes-map-type": "atomic",
  });
  assert.deepEqual(schema.properties?.part, {
    description: "The part, described by the field.",
    type: "object",
    properties: { id: { type: "string" } },
  });
  assert.equal(schema.description, "WidgetSpec is the spec of a widget.");
  assert.deepEqual(schema.required, ["name", "ports"]);
  assert.equal(JSON.stringify(schema).includes("$ref"), false);
  assert.equal(JSON.stringify(schema).includes("allOf"), false);
});

Deno.test("structuralSchema() gives IntOrString, Quantity and Time the schemas the API server expects", () => {
  const properties = widget().properties!;
  assert.deepEqual(properties.target, { "x-kubernetes-int-or-string": true });
  assert.deepEqual(properties.size, {
    description: "How big.",
    anyOf: [{ type: "integer" }, { type: "string" }],
    pattern: QUANTITY_PATTERN,
    "x-kubernetes-int-or-string": true,
  });
  assert.deepEqual(properties.since, { description: "When.", type: "string", format: "date-time" });
  // A field that says int-or-string itself, without a reference.
  assert.deepEqual(properties.pattern, { type: "string", "x-kubernetes-int-or-string": true });
});

Deno.test("structuralSchema() keeps unknown fields only where Kubernetes has no schema", () => {
  const properties = widget().properties!;
  // The schema of a known component replaces the upstream one, description included.
  assert.deepEqual(properties.raw, { type: "object", "x-kubernetes-preserve-unknown-fields": true });
  assert.deepEqual(properties.free, {
    type: "object",
    description: "No schema in Kubernetes either.",
    "x-kubernetes-preserve-unknown-fields": true,
  });
  assert.deepEqual(properties.anything, { type: "object", "x-kubernetes-preserve-unknown-fields": true });
  assert.equal(properties.owner?.["x-kubernetes-preserve-unknown-fields"], undefined);
  assert.equal(properties.labels?.["x-kubernetes-preserve-unknown-fields"], undefined);
});

Deno.test("structuralSchema() drops the keywords a structural schema refuses and the formats it does not know", () => {
  const schema = widget();
  const used = keywords(schema);
  for (
    const dropped of [
      "$ref",
      "allOf",
      "oneOf",
      "readOnly",
      "example",
      "x-kubernetes-group-version-kind",
      "x-kubernetes-unions",
      "x-kubernetes-patch-merge-key",
      "x-kubernetes-patch-strategy",
    ]
  ) {
    assert.equal(used.has(dropped), false, `${dropped} should be dropped`);
  }
  const ports = schema.properties?.ports;
  assert.equal(ports?.["x-kubernetes-list-type"], "map");
  assert.deepEqual(ports?.["x-kubernetes-list-map-keys"], ["port", "protocol"]);
  assert.deepEqual(schema.properties?.mode, { type: "string", enum: ["Fast", "Slow"], default: "Slow" });
  assert.deepEqual(schema.properties?.uid, { type: "string" });
  assert.deepEqual(schema.properties?.stamp, { type: "string", format: "date-time" });
  assert.deepEqual(schema.properties?.replicas, { type: "integer", format: "int32" });
});

Deno.test("structuralSchema() drops zero-value defaults but keeps explicit ones and those of optional list-map keys", () => {
  const schema = widget();
  assert.equal(schema.properties?.name?.default, undefined);
  assert.equal(schema.properties?.part?.default, undefined);
  assert.equal(schema.properties?.labels?.additionalProperties?.default, undefined);
  const port = schema.properties?.ports?.items;
  assert.equal(port?.default, undefined);
  assert.equal(port?.properties?.port?.default, undefined, "a required map key needs no default");
  assert.equal(port?.properties?.protocol?.default, "TCP");
  // The only thing that makes `name` acceptable as a map key is its default.
  assert.equal(schema.properties?.secrets?.items?.properties?.name?.default, "");

  const all = widget({ defaults: "all" });
  assert.equal(all.properties?.name?.default, "");
  assert.deepEqual(all.properties?.part?.default, {});
  const none = widget({ defaults: "none" });
  assert.equal(none.properties?.mode?.default, undefined);
  // Optional list-map keys keep theirs whatever the policy: the API server needs them.
  assert.equal(none.properties?.ports?.items?.properties?.protocol?.default, "TCP");
  assert.equal(none.properties?.secrets?.items?.properties?.name?.default, "");
});

Deno.test("structuralSchema() drops every description on request", () => {
  assert.equal(keywords(widget({ descriptions: false })).has("description"), false);
});

Deno.test("structuralSchema() names the cycle when a type refers to itself", () => {
  assert.throws(
    () => structuralSchema([DOC], "example.v1.Node"),
    (error: unknown) => {
      assert.ok(error instanceof RangeError);
      assert.match(
        error.message,
        /"example\.v1\.Node".*example\.v1\.Node\.children\[\] refers back to "example\.v1\.Node"/,
      );
      assert.match(error.message, /\(example\.v1\.Node -> example\.v1\.Node\)/);
      assert.match(error.message, /recursive type/);
      return true;
    },
  );
  assert.throws(
    () => structuralSchema([DOC], "example.v1.A"),
    /\(example\.v1\.A -> example\.v1\.B -> example\.v1\.A\)/,
  );
});

Deno.test("structuralSchema() names a missing component and where it was referred to", () => {
  assert.throws(
    () => structuralSchema([DOC], "example.v1.Dangling"),
    /component "example\.v1\.Missing" \(referred to at example\.v1\.Dangling\.gone\) is not in the OpenAPI documents/,
  );
  assert.throws(() => structuralSchema([DOC], "example.v1.Nothing"), /"example\.v1\.Nothing"/);
  assert.throws(
    () => structuralSchema([{ components: { schemas: { X: { $ref: "other.json#/X" } } } }], "X"),
    /only local component references/,
  );
});

Deno.test("structuralSchema() uses given component schemas and keeps only chosen properties", () => {
  const schema = widget({
    components: { "example.v1.Part": { type: "string" } },
    keepProperties: { "example.v1.WidgetSpec": ["name", "replicas"] },
  });
  assert.deepEqual(Object.keys(schema.properties ?? {}), ["name", "replicas"]);
  assert.deepEqual(schema.required, ["name"]);
  const part = widget({ components: { "example.v1.Part": { type: "string" } } }).properties?.part;
  assert.deepEqual(part, { type: "string", description: "The part, described by the field." });
});

Deno.test("structuralSchema() reads components from several documents, the first one winning", () => {
  const first: OpenApiDocument = { components: { schemas: { T: { type: "string", description: "first" } } } };
  const second: OpenApiDocument = {
    components: { schemas: { T: { type: "string", description: "second" }, U: { type: "boolean" } } },
  };
  const merged = mergeComponents([first, second]);
  assert.deepEqual([...merged.keys()], ["T", "U"]);
  assert.equal(structuralSchema([first, second], "T").description, "first");
});

Deno.test("isZeroValue() recognizes the defaults openapi-gen derives from Go zero values", () => {
  for (const zero of ["", 0, false, {}, [], null]) {
    assert.equal(isZeroValue(zero), true, JSON.stringify(zero));
  }
  for (const value of ["TCP", 1, true, { a: 1 }, [0]]) {
    assert.equal(isZeroValue(value), false, JSON.stringify(value));
  }
});
