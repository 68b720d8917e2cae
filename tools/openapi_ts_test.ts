import assert from "node:assert/strict";
import {
  docComment,
  hoistSpecAndStatus,
  propertyKey,
  reachableSchemas,
  type RenderContext,
  renderDeclaration,
  renderType,
  type Schema,
} from "./openapi_ts.ts";

const SCHEMAS = new Map<string, Schema>([
  ["io.k8s.apimachinery.pkg.apis.meta.v1.Time", {
    type: "string",
    format: "date-time",
    description: "Time.",
  }],
  ["io.k8s.apimachinery.pkg.api.resource.Quantity", { oneOf: [{ type: "string" }, { type: "number" }] }],
  ["io.k8s.apimachinery.pkg.util.intstr.IntOrString", {
    format: "int-or-string",
    oneOf: [{ type: "integer" }, { type: "string" }],
  }],
  ["io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta", {
    type: "object",
    properties: {
      name: { type: "string" },
      creationTimestamp: {
        allOf: [{ $ref: "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.Time" }],
      },
    },
  }],
  ["io.k8s.api.core.v1.ConfigMap", {
    type: "object",
    description: "ConfigMap holds configuration data for pods to consume.",
    "x-kubernetes-group-version-kind": [{ group: "", version: "v1", kind: "ConfigMap" }],
    properties: {
      apiVersion: { type: "string" },
      kind: { type: "string" },
      metadata: {
        description: "Standard object's metadata.",
        allOf: [{ $ref: "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta" }],
      },
      data: { type: "object", additionalProperties: { type: "string" } },
    },
  }],
  ["io.k8s.api.core.v1.Loop", {
    type: "object",
    properties: { next: { $ref: "#/components/schemas/io.k8s.api.core.v1.Loop" } },
  }],
]);

function context(module = "core_v1"): RenderContext {
  return {
    schemas: SCHEMAS,
    locate: (name) => ({
      module: name.startsWith("io.k8s.apimachinery.") ? "meta_v1" : "core_v1",
      name: name.slice(name.lastIndexOf(".") + 1),
    }),
    module,
    imports: new Map(),
  };
}

const render = (schema: Schema) => renderType(schema, context());

Deno.test("renderType: primitives, timestamps as strings, enums as literal unions", () => {
  assert.equal(render({ type: "string", format: "date-time" }), "string");
  assert.equal(render({ type: "integer", format: "int32" }), "number");
  assert.equal(render({ type: "number" }), "number");
  assert.equal(render({ type: "boolean" }), "boolean");
  assert.equal(render({ type: "string", enum: ["Always", "Never"] }), `"Always" | "Never"`);
  assert.equal(render({}), "unknown");
});

Deno.test("renderType: int-or-string and quantities as unions, inlined through $ref", () => {
  assert.equal(
    render({ "x-kubernetes-int-or-string": true, anyOf: [{ type: "integer" }, { type: "string" }] }),
    "number | string",
  );
  assert.equal(
    render({ $ref: "#/components/schemas/io.k8s.apimachinery.pkg.util.intstr.IntOrString" }),
    "number | string",
  );
  assert.equal(
    render({ allOf: [{ $ref: "#/components/schemas/io.k8s.apimachinery.pkg.api.resource.Quantity" }] }),
    "string | number",
  );
  assert.equal(render({ $ref: "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.Time" }), "string");
});

Deno.test("renderType: arrays of unions get parentheses, maps become Records", () => {
  assert.equal(render({ type: "array", items: { type: "string" } }), "string[]");
  assert.equal(
    render({ type: "array", items: { "x-kubernetes-int-or-string": true } }),
    "(number | string)[]",
  );
  assert.equal(
    render({
      type: "array",
      items: { type: "object", additionalProperties: { "x-kubernetes-int-or-string": true } },
    }),
    "Record<string, number | string>[]",
  );
  assert.equal(
    render({ type: "object", additionalProperties: { type: "string" } }),
    "Record<string, string>",
  );
  assert.equal(render({ type: "object" }), "Record<string, unknown>");
});

Deno.test("renderType: preserve-unknown-fields is an open object", () => {
  assert.equal(render({ "x-kubernetes-preserve-unknown-fields": true }), "Record<string, unknown>");
  assert.equal(
    render({ type: "object", "x-kubernetes-preserve-unknown-fields": true }),
    "Record<string, unknown>",
  );
  assert.equal(
    render({
      type: "object",
      "x-kubernetes-preserve-unknown-fields": true,
      properties: { a: { type: "string" } },
    }),
    "{\n  a?: string;\n  [key: string]: unknown;\n}",
  );
});

Deno.test("renderType: inline objects mark required fields and quote odd keys, with JSDoc", () => {
  const type = render({
    type: "object",
    required: ["name"],
    properties: {
      name: { type: "string", description: "The name. More text." },
      "x-kubernetes-list-type": { type: "string" },
    },
  });
  assert.equal(type, `{\n  /** The name. */\n  name: string;\n  "x-kubernetes-list-type"?: string;\n}`);
});

Deno.test("renderType: a named schema in another module is referenced and imported", () => {
  const ctx = context();
  assert.equal(
    renderType({ $ref: "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta" }, ctx),
    "ObjectMeta",
  );
  assert.deepEqual([...ctx.imports.get("meta_v1") ?? []], ["ObjectMeta"]);
  const same = context();
  assert.equal(renderType({ $ref: "#/components/schemas/io.k8s.api.core.v1.Loop" }, same), "Loop");
  assert.equal(same.imports.size, 0);
  assert.throws(
    () => render({ $ref: "#/components/schemas/io.k8s.api.core.v1.Missing" }),
    /io\.k8s\.api\.core\.v1\.Missing/,
  );
  assert.throws(() => render({ $ref: "other.json#/x" }), /Unsupported \$ref "other\.json#\/x"/);
});

Deno.test("renderDeclaration: a kind gets literal apiVersion and kind", () => {
  const ctx = context();
  const text = renderDeclaration("io.k8s.api.core.v1.ConfigMap", ctx);
  assert.match(
    text,
    /^\/\*\* ConfigMap holds configuration data for pods to consume\. \*\/\nexport type ConfigMap = \{/,
  );
  assert.ok(text.includes(`\n  apiVersion?: "v1";\n`), text);
  assert.ok(text.includes(`\n  kind?: "ConfigMap";\n`), text);
  assert.ok(text.includes(`\n  /** Standard object's metadata. */\n  metadata?: ObjectMeta;\n`), text);
  assert.ok(text.includes(`\n  data?: Record<string, string>;\n`), text);
});

Deno.test("reachableSchemas: named schemas only, roots first, cycles once, missing ones named", () => {
  assert.deepEqual(reachableSchemas(["io.k8s.api.core.v1.ConfigMap"], SCHEMAS), [
    "io.k8s.api.core.v1.ConfigMap",
    "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta",
  ]);
  assert.deepEqual(reachableSchemas(["io.k8s.api.core.v1.Loop"], SCHEMAS), ["io.k8s.api.core.v1.Loop"]);
  assert.throws(
    () => reachableSchemas(["nope"], SCHEMAS),
    /Schema "nope" is referenced but not in the documents/,
  );
});

Deno.test("docComment: first sentence, cut when long, comment end escaped", () => {
  assert.equal(docComment(undefined), "");
  assert.equal(docComment("Holds data. Second sentence.\n\nSecond paragraph."), "/** Holds data. */\n");
  assert.equal(docComment("Version e.g. v1.2 of it. More"), "/** Version e.g. v1.2 of it. */\n");
  assert.equal(docComment("a */ b", "  "), "  /** a *\\/ b */\n");
  const long = docComment("x".repeat(500));
  assert.equal(long.length, "/** ".length + 300 + " */\n".length);
  assert.ok(long.includes("..."));
});

Deno.test("propertyKey quotes what is not an identifier", () => {
  assert.equal(propertyKey("name"), "name");
  assert.equal(propertyKey("$ref"), "$ref");
  assert.equal(propertyKey("x-kubernetes-embedded-resource"), `"x-kubernetes-embedded-resource"`);
});

Deno.test("hoistSpecAndStatus names a kind's inline spec and status, and leaves references alone", () => {
  const schemas = new Map<string, Schema>([
    ["g.v1.Thing", {
      type: "object",
      "x-kubernetes-group-version-kind": [{ group: "g", version: "v1", kind: "Thing" }],
      properties: {
        spec: { type: "object", description: "Spec.", properties: { a: { type: "string" } } },
        status: { $ref: "#/components/schemas/g.v1.Other" },
      },
    }],
    ["g.v1.Other", { type: "object", properties: { b: { type: "string" } } }],
  ]);
  const hoisted = hoistSpecAndStatus(schemas);
  assert.deepEqual(hoisted.get("g.v1.ThingSpec"), schemas.get("g.v1.Thing")!.properties!.spec);
  assert.equal(hoisted.has("g.v1.ThingStatus"), false);
  assert.deepEqual(hoisted.get("g.v1.Thing")!.properties!.spec, {
    $ref: "#/components/schemas/g.v1.ThingSpec",
    description: "Spec.",
  });
  assert.equal(schemas.get("g.v1.Thing")!.properties!.spec!.$ref, undefined, "the input is not modified");
  schemas.set("g.v1.ThingSpec", { type: "string" });
  assert.throws(() => hoistSpecAndStatus(schemas), /"g\.v1\.ThingSpec" exists/);
});
