/**
 * Renders OpenAPI v3 schemas, as a kube-apiserver serves them, into wire-format TypeScript
 * types: what travels as JSON, with no classes and no conversions.
 *
 * - `date-time` strings (`metav1.Time`, `MicroTime`) stay `string`.
 * - int-or-string (`x-kubernetes-int-or-string`, `IntOrString`) is `number | string`; a
 *   `oneOf`/`anyOf` of primitives (`Quantity`: string or number) is their union.
 * - `enum` is a union of its literals.
 * - `x-kubernetes-preserve-unknown-fields` is `Record<string, unknown>` (or, with declared
 *   properties, those plus an index signature); a schema that says nothing is `unknown`.
 * - A referenced schema with properties is a named type (imported from its module when it
 *   lives in another); one without (`Time`, `Quantity`, `RawExtension`) is inlined.
 * - Descriptions become JSDoc, cut to their first paragraph (or first sentence when the
 *   paragraph is long).
 *
 * Pure: no I/O. `tools/gen_api.ts` fetches the documents and writes the files.
 *
 * @module
 */

/** An OpenAPI v3 schema object, as much of it as the renderer reads. */
export interface Schema {
  type?: string;
  format?: string;
  description?: string;
  properties?: Record<string, Schema>;
  additionalProperties?: Schema | boolean;
  items?: Schema;
  required?: string[];
  enum?: unknown[];
  allOf?: Schema[];
  oneOf?: Schema[];
  anyOf?: Schema[];
  $ref?: string;
  "x-kubernetes-int-or-string"?: boolean;
  "x-kubernetes-preserve-unknown-fields"?: boolean;
  "x-kubernetes-group-version-kind"?: { group: string; version: string; kind: string }[];
  [key: string]: unknown;
}

/** Where a named schema is rendered: the module (file name without `.ts`) and the type name. */
export interface TypeLocation {
  module: string;
  name: string;
}

/** What a rendering needs to know about the schemas around it. */
export interface RenderContext {
  /** Every named schema, by its component name (`io.k8s.api.core.v1.ConfigMap`). */
  schemas: ReadonlyMap<string, Schema>;
  /** The module and type name of a component; throws for one no module claims. */
  locate(schemaName: string): TypeLocation;
  /** The module being rendered. */
  module: string;
  /** Filled while rendering: type names to import, by module. */
  imports: Map<string, Set<string>>;
}

const REF_PREFIX = "#/components/schemas/";

/** The component name a `$ref` points to. */
export function refName(ref: string): string {
  if (!ref.startsWith(REF_PREFIX)) {
    throw new RangeError(`Unsupported $ref "${ref}": expected ${REF_PREFIX}...`);
  }
  return ref.slice(REF_PREFIX.length);
}

/** The one `$ref` of a schema: itself or wrapped in a single-element `allOf` (as v3 documents wrap them). */
export function singleRef(schema: Schema): string | undefined {
  if (schema.$ref) return refName(schema.$ref);
  if (schema.allOf?.length === 1 && schema.allOf[0]?.$ref) return refName(schema.allOf[0].$ref);
  return undefined;
}

/** True when a named schema gets a type of its own (it has properties); others are inlined. */
export function isNamed(schema: Schema): boolean {
  return schema.properties !== undefined && Object.keys(schema.properties).length > 0;
}

/**
 * The named schemas reachable from `roots`, in a stable order (roots first, then
 * depth-first in property order). Inlined schemas are looked through.
 */
export function reachableSchemas(roots: readonly string[], schemas: ReadonlyMap<string, Schema>): string[] {
  const seen = new Set<string>();
  const order: string[] = [];
  const visitName = (name: string) => {
    if (seen.has(name)) return;
    const schema = schemas.get(name);
    if (!schema) throw new RangeError(`Schema "${name}" is referenced but not in the documents`);
    seen.add(name);
    if (isNamed(schema)) order.push(name);
    visit(schema);
  };
  const visit = (schema: Schema | boolean | undefined) => {
    if (schema === undefined || typeof schema === "boolean") return;
    if (schema.$ref) visitName(refName(schema.$ref));
    for (const sub of [...(schema.allOf ?? []), ...(schema.oneOf ?? []), ...(schema.anyOf ?? [])]) visit(sub);
    for (const property of Object.values(schema.properties ?? {})) visit(property);
    visit(schema.items);
    visit(schema.additionalProperties);
  };
  for (const root of roots) visitName(root);
  return order;
}

/**
 * A description as a JSDoc comment (with a trailing newline), or `""` for none: its first
 * sentence (cut at `maxLength` characters), which keeps the generated files small;
 * `kubectl explain` has the rest.
 */
export function docComment(description: string | undefined, indent = "", maxLength = 300): string {
  if (!description) return "";
  let text = description.trim().split(/\n\s*\n/)[0]!.replace(/\s+/g, " ").trim();
  text = /^.*?[.!?](?=\s+[A-Z(`"'])/.exec(text)?.[0] ?? text;
  if (text.length > maxLength) text = `${text.slice(0, maxLength - 3).trimEnd()}...`;
  if (!text) return "";
  text = text.replaceAll("*/", "*\\/");
  return `${indent}/** ${text} */\n`;
}

/**
 * Gives the inline `spec` and `status` objects of kinds their own named schemas
 * (`<Kind>Spec`, `<Kind>Status`, next to the kind), as Kubernetes' own kinds have them: a
 * CRD's served schema has them inline. Returns a new map; the input is not modified.
 */
export function hoistSpecAndStatus(schemas: ReadonlyMap<string, Schema>): Map<string, Schema> {
  const result = new Map(schemas);
  for (const [name, schema] of schemas) {
    if (!kindOf(schema) || !schema.properties) continue;
    let properties: Record<string, Schema> | undefined;
    for (const [field, suffix] of [["spec", "Spec"], ["status", "Status"]] as const) {
      const property = schema.properties[field];
      if (!property || singleRef(property) || !isNamed(property)) continue;
      const hoisted = `${name}${suffix}`;
      if (result.has(hoisted)) {
        throw new RangeError(`Cannot name the ${field} of "${name}": "${hoisted}" exists`);
      }
      result.set(hoisted, property);
      properties ??= { ...schema.properties };
      properties[field] = { $ref: `${REF_PREFIX}${hoisted}`, description: property.description };
    }
    if (properties) result.set(name, { ...schema, properties });
  }
  return result;
}

/** A property name as a TypeScript key: bare when it is an identifier, quoted otherwise. */
export function propertyKey(name: string): string {
  return /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(name) ? name : JSON.stringify(name);
}

function literal(value: unknown): string {
  if (typeof value === "string" || typeof value === "number" || typeof value === "boolean") {
    return JSON.stringify(value);
  }
  if (value === null) return "null";
  return "unknown";
}

function union(parts: string[]): string {
  const unique = [...new Set(parts)];
  if (unique.includes("unknown")) return "unknown";
  return unique.join(" | ");
}

/** True when `type` has a `|` or `&` outside brackets, so that `[]` needs parentheses around it. */
function hasTopLevelOperator(type: string): boolean {
  let depth = 0;
  for (const char of type) {
    if ("{<([".includes(char)) depth++;
    else if ("}>)]".includes(char)) depth--;
    else if (depth === 0 && (char === "|" || char === "&")) return true;
  }
  return false;
}

function arrayOf(type: string): string {
  return hasTopLevelOperator(type) ? `(${type})[]` : `${type}[]`;
}

function referenceType(name: string, context: RenderContext, indent: string): string {
  const schema = context.schemas.get(name);
  if (!schema) throw new RangeError(`Schema "${name}" is referenced but not in the documents`);
  if (!isNamed(schema)) return renderType({ ...schema, description: undefined }, context, indent);
  const location = context.locate(name);
  if (location.module !== context.module) {
    let names = context.imports.get(location.module);
    if (!names) context.imports.set(location.module, names = new Set());
    names.add(location.name);
  }
  return location.name;
}

/** The properties of an object schema as the body of a type literal (one member per line). */
export function renderMembers(
  schema: Schema,
  context: RenderContext,
  indent: string,
  literals: Record<string, string> = {},
): string {
  const required = new Set(schema.required ?? []);
  let body = "";
  for (const [name, property] of Object.entries(schema.properties ?? {})) {
    const type = literals[name] ?? renderType(property, context, `${indent}  `);
    body += docComment(property.description, indent);
    body += `${indent}${propertyKey(name)}${required.has(name) ? "" : "?"}: ${type};\n`;
  }
  return body;
}

/** The TypeScript type of a schema, inline. `indent` is the indentation of the line it starts on. */
export function renderType(schema: Schema, context: RenderContext, indent = ""): string {
  const ref = singleRef(schema);
  if (ref) return referenceType(ref, context, indent);
  if (schema["x-kubernetes-int-or-string"] || schema.format === "int-or-string") return "number | string";
  const alternatives = schema.oneOf ?? schema.anyOf;
  if (alternatives && alternatives.length > 0 && !schema.properties) {
    return union(alternatives.map((alternative) => renderType(alternative, context, indent)));
  }
  if (schema.allOf && schema.allOf.length > 1) {
    return schema.allOf.map((part) => renderType(part, context, indent)).join(" & ");
  }
  if (schema.enum && schema.enum.length > 0) return union(schema.enum.map(literal));
  switch (schema.type) {
    case "string":
      return "string";
    case "integer":
    case "number":
      return "number";
    case "boolean":
      return "boolean";
    case "array":
      return arrayOf(schema.items ? renderType(schema.items, context, indent) : "unknown");
  }
  const preserve = schema["x-kubernetes-preserve-unknown-fields"] === true;
  const hasProperties = schema.properties !== undefined && Object.keys(schema.properties).length > 0;
  const additional = schema.additionalProperties;
  if (hasProperties) {
    let members = renderMembers(schema, context, `${indent}  `);
    // Declared properties plus others: the others' type cannot be stated without conflicting.
    if (preserve || additional) members += `${indent}  [key: string]: unknown;\n`;
    return `{\n${members}${indent}}`;
  }
  if (additional && additional !== true) {
    return `Record<string, ${renderType(additional, context, indent)}>`;
  }
  if (schema.type === "object" || preserve || additional === true) return "Record<string, unknown>";
  return "unknown";
}

/** The single group/version/kind a schema declares, when it declares exactly one. */
export function kindOf(schema: Schema): { group: string; version: string; kind: string } | undefined {
  const gvks = schema["x-kubernetes-group-version-kind"];
  return gvks?.length === 1 ? gvks[0] : undefined;
}

/** `v1` for the core group, `<group>/<version>` otherwise. */
export function apiVersionOf(gvk: { group: string; version: string }): string {
  return gvk.group ? `${gvk.group}/${gvk.version}` : gvk.version;
}

/**
 * The declaration of a named schema: `export type Name = { ... };` with its JSDoc. A kind
 * (one `x-kubernetes-group-version-kind`) gets its `apiVersion` and `kind` as literal types.
 */
export function renderDeclaration(schemaName: string, context: RenderContext): string {
  const schema = context.schemas.get(schemaName);
  if (!schema) throw new RangeError(`Schema "${schemaName}" is not in the documents`);
  const { name } = context.locate(schemaName);
  const gvk = kindOf(schema);
  const literals: Record<string, string> = {};
  if (gvk && schema.properties?.apiVersion) literals.apiVersion = JSON.stringify(apiVersionOf(gvk));
  if (gvk && schema.properties?.kind) literals.kind = JSON.stringify(gvk.kind);
  let type: string;
  if (isNamed(schema)) {
    let members = renderMembers(schema, context, "  ", literals);
    if (schema["x-kubernetes-preserve-unknown-fields"]) members += "  [key: string]: unknown;\n";
    type = `{\n${members}}`;
  } else {
    type = renderType(schema, context);
  }
  return `${docComment(schema.description)}export type ${name} = ${type};\n`;
}
