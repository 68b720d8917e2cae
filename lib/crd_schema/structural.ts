/**
 * Turns the OpenAPI v3 documents a kube-apiserver serves (`/openapi/v3/apis/apps/v1`,
 * `/openapi/v3/api/v1`, ...) into structural schemas that a CustomResourceDefinition
 * accepts, so that a custom resource can embed a Kubernetes type (a `DeploymentSpec`, a
 * `ServiceSpec`) and have it validated by the API server with Kubernetes' own rules, as
 * controller-gen does for Go types.
 *
 * Everything here is pure: documents in, plain JSON out. `tools/gen_crds.ts` fetches the
 * documents and writes the CRDs.
 *
 * What the conversion does, and why:
 *
 * - `$ref` (bare, or wrapped as `allOf: [{$ref}]` so that a field can carry its own
 *   description and default) is resolved and inlined, recursively. CRD schemas cannot
 *   refer to anything. A type that contains itself cannot be inlined: that is an error
 *   naming the cycle.
 * - Types with a custom JSON form get the schema the API server expects for them:
 *   `IntOrString` and `Quantity` become `x-kubernetes-int-or-string` (a Quantity also gets
 *   the pattern of its grammar), `Time`/`MicroTime` become `date-time` strings, and the
 *   free-form `RawExtension`, `FieldsV1` and `JSON` keep unknown fields (they have no
 *   schema in Kubernetes either). See {@linkcode KNOWN_COMPONENTS}.
 * - Only keywords a structural schema allows are kept (see {@linkcode KEPT_KEYWORDS});
 *   `x-kubernetes-group-version-kind`, `x-kubernetes-patch-*`, `x-kubernetes-unions`,
 *   `readOnly`, `example`, `oneOf`, `anyOf` ... are dropped. Formats the API server
 *   does not know (`int-or-string`) are dropped too.
 * - Defaults: openapi-gen writes the Go zero value as `default` for every non-pointer
 *   field (`name: ""`, `port: 0`, `backend: {}`). In a CRD a default is applied before
 *   validation, so `default: ""` on a required field would make `required` useless (a
 *   container without a name would pass as `name: ""`). By default only defaults that are
 *   not zero values are kept (`protocol: TCP`), plus the default of a list-map key that is
 *   not required, whatever it is: the API server refuses a map key that is neither
 *   required nor defaulted (`imagePullSecrets[].name` has only `default: ""`).
 * - An object Kubernetes gives no fields (`type: object` without `properties` or
 *   `additionalProperties`) keeps unknown fields, instead of having all of them pruned.
 *
 * @example
 * ```ts
 * const docs = [appsV1, coreV1]; // parsed /openapi/v3 documents
 * const spec = structuralSchema(docs, "io.k8s.api.apps.v1.DeploymentSpec", { descriptions: false });
 * ```
 *
 * @module
 */

import { cloneJson } from "../json.ts";
import { KEPT_KEYWORDS, KNOWN_COMPONENTS, SUPPORTED_FORMATS } from "./known.ts";
import type { DefaultsPolicy, JSONSchemaProps, OpenApiDocument, StructuralSchemaOptions } from "./types.ts";

const COMPONENT_PREFIX = "#/components/schemas/";

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** True for `""`, `0`, `false`, `{}` and `[]`: the defaults openapi-gen derives from Go zero values. */
export function isZeroValue(value: unknown): boolean {
  if (value === "" || value === 0 || value === false || value === null) return true;
  if (Array.isArray(value)) return value.length === 0;
  if (isObject(value)) return Object.keys(value).length === 0;
  return false;
}

/**
 * The components of several OpenAPI documents in one table. A component present in more
 * than one document is taken from the first (the API server repeats shared types such as
 * `ObjectMeta` in every group's document).
 */
export function mergeComponents(documents: readonly OpenApiDocument[]): Map<string, unknown> {
  const components = new Map<string, unknown>();
  for (const document of documents) {
    for (const [name, schema] of Object.entries(document.components?.schemas ?? {})) {
      if (!components.has(name)) components.set(name, schema);
    }
  }
  return components;
}

/** The component name of a `$ref` such as `#/components/schemas/io.k8s.api.core.v1.PodSpec`. */
function refName(ref: unknown, where: string): string {
  if (typeof ref !== "string" || !ref.startsWith(COMPONENT_PREFIX)) {
    throw new RangeError(
      `Cannot resolve $ref ${JSON.stringify(ref)} at ${where}: only local component references are supported`,
    );
  }
  return ref.slice(COMPONENT_PREFIX.length);
}

class Converter {
  #components: Map<string, unknown>;
  #descriptions: boolean;
  #known: Record<string, JSONSchemaProps>;
  #keep: Record<string, readonly string[]>;
  #root: string;

  constructor(components: Map<string, unknown>, root: string, options: StructuralSchemaOptions) {
    this.#components = components;
    this.#root = root;
    this.#descriptions = options.descriptions ?? true;
    this.#known = { ...KNOWN_COMPONENTS, ...options.components };
    this.#keep = options.keepProperties ?? {};
  }

  component(name: string, where: string, stack: readonly string[]): JSONSchemaProps {
    const known = this.#known[name];
    if (known) {
      const copy = cloneJson(known);
      if (!this.#descriptions) delete copy.description;
      return copy;
    }
    if (stack.includes(name)) {
      const cycle = [...stack.slice(stack.indexOf(name)), name].join(" -> ");
      throw new RangeError(
        `Cannot build a structural schema for "${this.#root}": ${where} refers back to "${name}" (${cycle}); a CRD schema cannot describe a recursive type`,
      );
    }
    const schema = this.#components.get(name);
    if (!isObject(schema)) {
      throw new RangeError(
        `Cannot build a structural schema for "${this.#root}": component "${name}" (referred to at ${where}) is not in the OpenAPI documents`,
      );
    }
    const converted = this.node(schema, where, [...stack, name]);
    const keep = this.#keep[name];
    if (keep && converted.properties) {
      const properties: Record<string, JSONSchemaProps> = {};
      for (const key of keep) {
        const property = converted.properties[key];
        if (property) properties[key] = property;
      }
      converted.properties = properties;
      if (converted.required) {
        converted.required = converted.required.filter((key) => keep.includes(key));
        if (converted.required.length === 0) delete converted.required;
      }
    }
    return converted;
  }

  node(input: Json, where: string, stack: readonly string[]): JSONSchemaProps {
    // Sources, innermost first: referenced components, then allOf members, then the node
    // itself, so that a field's own description and default win over its type's.
    const layers: JSONSchemaProps[] = [];
    if (input.$ref !== undefined) {
      layers.push(this.component(refName(input.$ref, where), where, stack));
    }
    if (input.allOf !== undefined) {
      if (!Array.isArray(input.allOf)) {
        throw new RangeError(`Cannot read allOf at ${where}: it is not a list`);
      }
      for (const member of input.allOf) {
        if (!isObject(member)) {
          throw new RangeError(`Cannot read allOf at ${where}: a member is not an object`);
        }
        layers.push(this.node(member, where, stack));
      }
    }
    layers.push(this.#own(input, where, stack));
    let result: JSONSchemaProps = {};
    for (const layer of layers) result = mergeLayer(result, layer, where);
    if (
      result.type === "object" && !result.properties && !result.additionalProperties &&
      !result["x-kubernetes-preserve-unknown-fields"]
    ) {
      // An object Kubernetes gives no fields to is free-form there: keep what it holds
      // instead of pruning it all.
      result["x-kubernetes-preserve-unknown-fields"] = true;
    }
    return result;
  }

  /** The node's own keywords, converted, without `$ref` and `allOf`. */
  #own(input: Json, where: string, stack: readonly string[]): JSONSchemaProps {
    const out: Json = {};
    if (input.format === "int-or-string") out["x-kubernetes-int-or-string"] = true;
    for (const [key, value] of Object.entries(input)) {
      if (!KEPT_KEYWORDS.has(key)) continue;
      switch (key) {
        case "description":
          if (this.#descriptions && typeof value === "string" && value !== "") out.description = value;
          break;
        case "format":
          if (typeof value === "string" && SUPPORTED_FORMATS.has(value)) out.format = value;
          break;
        case "default":
          // Kept for now; pruneDefaults() decides once the whole schema is known.
          out.default = cloneJson(value);
          break;
        case "properties": {
          if (!isObject(value)) throw new RangeError(`Cannot read properties at ${where}: not an object`);
          const properties: Record<string, JSONSchemaProps> = {};
          for (const [name, property] of Object.entries(value)) {
            if (!isObject(property)) {
              throw new RangeError(`Cannot read property "${name}" at ${where}: not an object`);
            }
            properties[name] = this.node(property, `${where}.${name}`, stack);
          }
          out.properties = properties;
          break;
        }
        case "items":
          if (!isObject(value)) throw new RangeError(`Cannot read items at ${where}: not a single schema`);
          out.items = this.node(value, `${where}[]`, stack);
          break;
        case "additionalProperties":
          if (isObject(value)) {
            out.additionalProperties = this.node(value, `${where}{}`, stack);
          } else if (value === true) {
            out["x-kubernetes-preserve-unknown-fields"] = true;
          }
          break;
        default:
          out[key] = cloneJson(value);
      }
    }
    return out as JSONSchemaProps;
  }
}

/** Merges a converted layer over what earlier layers gave; properties and required are unions. */
function mergeLayer(base: JSONSchemaProps, layer: JSONSchemaProps, where: string): JSONSchemaProps {
  const out: JSONSchemaProps = { ...base };
  for (const [key, value] of Object.entries(layer) as [keyof JSONSchemaProps, unknown][]) {
    if (key === "properties") {
      out.properties = { ...base.properties, ...(value as Record<string, JSONSchemaProps>) };
    } else if (key === "required") {
      out.required = [...new Set([...(base.required ?? []), ...(value as string[])])];
    } else if (key === "type" && base.type !== undefined && base.type !== value) {
      throw new RangeError(`Cannot merge schemas at ${where}: type "${base.type}" conflicts with "${value}"`);
    } else {
      (out as Json)[key] = value;
    }
  }
  return out;
}

/**
 * The structural schema of one component of the given OpenAPI v3 documents, with every
 * reference inlined (see the module doc for what is kept, changed and dropped).
 *
 * @example
 * ```ts
 * const podSpec = structuralSchema([coreV1], "io.k8s.api.core.v1.PodSpec");
 * podSpec.required; // ["containers"]
 * ```
 *
 * @throws {RangeError} When the component (or one it refers to) is missing, a `$ref` is
 * not local, or the type refers to itself (a CRD schema cannot be recursive).
 */
export function structuralSchema(
  documents: readonly OpenApiDocument[],
  component: string,
  options: StructuralSchemaOptions = {},
): JSONSchemaProps {
  const converter = new Converter(mergeComponents(documents), component, options);
  return pruneDefaults(converter.component(component, component, []), options.defaults ?? "non-zero");
}

/**
 * Drops the defaults the policy does not keep. A key of a list-map that is not required
 * keeps its default whatever the policy: the API server refuses a map key that is neither
 * required nor defaulted (`imagePullSecrets[].name` has only `default: ""`).
 */
function pruneDefaults(schema: JSONSchemaProps, policy: DefaultsPolicy, isMapKey = false): JSONSchemaProps {
  const out: JSONSchemaProps = { ...schema };
  const keep = policy === "all" || isMapKey || (policy === "non-zero" && !isZeroValue(schema.default));
  if ("default" in out && !keep) delete out.default;
  if (schema.properties) {
    out.properties = {};
    for (const [name, property] of Object.entries(schema.properties)) {
      out.properties[name] = pruneDefaults(property, policy);
    }
  }
  if (schema.additionalProperties) {
    out.additionalProperties = pruneDefaults(schema.additionalProperties, policy);
  }
  if (schema.items) {
    const items = pruneDefaults(schema.items, policy);
    const keys = schema["x-kubernetes-list-type"] === "map" ? schema["x-kubernetes-list-map-keys"] ?? [] : [];
    for (const key of keys) {
      const property = schema.items.properties?.[key];
      if (items.properties && property && !schema.items.required?.includes(key)) {
        items.properties[key] = pruneDefaults(property, policy, true);
      }
    }
    out.items = items;
  }
  return out;
}
