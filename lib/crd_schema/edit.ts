/**
 * Editing structural schemas after conversion: reading and replacing the sub-schema at a path
 * (`template.spec.containers[]`, `data{}`), requiring fields or making them optional, and sorting
 * keys for a stable serialization. Every function returns a copy; the input is never changed.
 *
 * @example
 * ```ts
 * const relaxed = makeOptional(deploymentSpec, "", ["selector"]);
 * const strict = requireFields(relaxed, "template.spec.containers[]", ["image"]);
 * ```
 *
 * @module
 */

import { cloneJson } from "../json.ts";
import type { JSONSchemaProps } from "./types.ts";

/** One step of a schema path: a property, the list items (`[]`) or the map values (`{}`). */
type Step = { property: string } | { items: true } | { values: true };

/**
 * Parses a schema path such as `template.spec.containers[]` or `data{}`: property names
 * separated by dots, `[]` for the items of a list, `{}` for the values of a map. The
 * empty path is the schema itself.
 */
function parsePath(path: string): Step[] {
  const steps: Step[] = [];
  if (path === "") return steps;
  for (const segment of path.split(".")) {
    const match = /^([^[\]{}]*)((?:\[\]|\{\})*)$/.exec(segment);
    if (!match || (match[1] === "" && match[2] === "")) {
      throw new RangeError(`Cannot read schema path "${path}": segment "${segment}" is not a property name`);
    }
    if (match[1]) steps.push({ property: match[1] });
    for (const suffix of match[2]?.match(/\[\]|\{\}/g) ?? []) {
      steps.push(suffix === "[]" ? { items: true } : { values: true });
    }
  }
  return steps;
}

/**
 * The sub-schema at `path` (see {@linkcode updateAt} for the syntax).
 *
 * @throws {RangeError} When the path does not exist in the schema.
 */
export function schemaAt(schema: JSONSchemaProps, path: string): JSONSchemaProps {
  let current = schema;
  for (const step of parsePath(path)) {
    const next = "property" in step
      ? current.properties?.[step.property]
      : "items" in step
      ? current.items
      : current.additionalProperties;
    if (!next) throw new RangeError(`Cannot find "${path}" in the schema`);
    current = next;
  }
  return current;
}

/**
 * A copy of `schema` in which the sub-schema at `path` is replaced by `update(sub)`.
 * A path is property names separated by dots; `[]` steps into list items and `{}` into
 * map values: `template.spec.containers[]`.
 *
 * @throws {RangeError} When the path does not exist in the schema.
 */
export function updateAt(
  schema: JSONSchemaProps,
  path: string,
  update: (sub: JSONSchemaProps) => JSONSchemaProps,
): JSONSchemaProps {
  const steps = parsePath(path);
  const walk = (node: JSONSchemaProps, index: number): JSONSchemaProps => {
    const step = steps[index];
    if (!step) return update(cloneJson(node));
    const copy: JSONSchemaProps = { ...node };
    if ("property" in step) {
      const child = node.properties?.[step.property];
      if (!child) throw new RangeError(`Cannot find "${path}" in the schema: no property "${step.property}"`);
      copy.properties = { ...node.properties, [step.property]: walk(child, index + 1) };
    } else if ("items" in step) {
      if (!node.items) throw new RangeError(`Cannot find "${path}" in the schema: not a list`);
      copy.items = walk(node.items, index + 1);
    } else {
      if (!node.additionalProperties) throw new RangeError(`Cannot find "${path}" in the schema: not a map`);
      copy.additionalProperties = walk(node.additionalProperties, index + 1);
    }
    return copy;
  };
  return walk(schema, 0);
}

/**
 * A copy of `schema` in which the object at `path` requires `fields` too.
 *
 * @example
 * ```ts
 * requireFields(deploymentSpec, "template.spec.containers[]", ["name", "image"]);
 * ```
 * @throws {RangeError} When the path or one of the fields does not exist.
 */
export function requireFields(
  schema: JSONSchemaProps,
  path: string,
  fields: readonly string[],
): JSONSchemaProps {
  return updateAt(schema, path, (sub) => {
    for (const field of fields) {
      if (!sub.properties?.[field]) {
        throw new RangeError(`Cannot require "${field}" at "${path}": the schema has no such property`);
      }
    }
    return { ...sub, required: [...new Set([...(sub.required ?? []), ...fields])] };
  });
}

/**
 * A copy of `schema` in which the object at `path` no longer requires `fields`.
 *
 * @throws {RangeError} When the path does not exist.
 */
export function makeOptional(
  schema: JSONSchemaProps,
  path: string,
  fields: readonly string[],
): JSONSchemaProps {
  return updateAt(schema, path, (sub) => {
    const required = (sub.required ?? []).filter((field) => !fields.includes(field));
    const copy = { ...sub };
    if (required.length > 0) copy.required = required;
    else delete copy.required;
    return copy;
  });
}

/**
 * A copy of `value` with the keys of every object sorted, recursively (list order is
 * kept), so that serializing it gives the same text whatever order the input had.
 */
export function sortKeys<T>(value: T): T {
  if (Array.isArray(value)) return value.map((item) => sortKeys(item)) as T;
  if (isObject(value)) {
    const sorted: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) sorted[key] = sortKeys(value[key]);
    return sorted as T;
  }
  return value;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
