/**
 * A checked, typed view of the metadata (and a few well-known status fields) of a JSON object of any
 * kind: what code that handles objects generically (caches of several kinds, pruning, namespaces) reads
 * instead of casting `metadata` to a type it hopes it has. A field of the wrong type reads as absent.
 *
 * @module
 */

import type { ObjectMeta } from "./generated/meta_v1.ts";

export type { ObjectMeta };

/** Any object as JSON: only `metadata` and `status` are looked at, as `unknown`. */
export interface JsonObjectLike {
  readonly metadata?: unknown;
  readonly status?: unknown;
}

function record(value: unknown): Record<string, unknown> | undefined {
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? value as Record<string, unknown>
    : undefined;
}

function string(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

/** A map of strings (labels, annotations); entries of another type are left out. */
function stringMap(value: unknown): Record<string, string> | undefined {
  const map = record(value);
  if (!map) return undefined;
  const entries = Object.entries(map);
  if (entries.every(([, v]) => typeof v === "string")) return map as Record<string, string>;
  return Object.fromEntries(entries.filter(([, v]) => typeof v === "string")) as Record<string, string>;
}

/**
 * The identity, labels, annotations and lifecycle fields of an object's metadata, each checked.
 *
 * @example
 * ```ts
 * objectMeta({ metadata: { name: "web", labels: { app: "web" } } }); // { name: "web", labels: { app: "web" } }
 * objectMeta({ metadata: { name: 7 } }); // {}
 * ```
 */
export function objectMeta(object: JsonObjectLike): ObjectMeta {
  const m = record(object.metadata);
  if (!m) return {};
  const meta: ObjectMeta = {};
  const name = string(m.name);
  if (name !== undefined) meta.name = name;
  const namespace = string(m.namespace);
  if (namespace !== undefined) meta.namespace = namespace;
  const uid = string(m.uid);
  if (uid !== undefined) meta.uid = uid;
  const resourceVersion = string(m.resourceVersion);
  if (resourceVersion !== undefined) meta.resourceVersion = resourceVersion;
  const labels = stringMap(m.labels);
  if (labels) meta.labels = labels;
  const annotations = stringMap(m.annotations);
  if (annotations) meta.annotations = annotations;
  const deletionTimestamp = string(m.deletionTimestamp);
  if (deletionTimestamp !== undefined) meta.deletionTimestamp = deletionTimestamp;
  if (Array.isArray(m.finalizers)) {
    meta.finalizers = m.finalizers.filter((f): f is string => typeof f === "string");
  }
  if (typeof m.generation === "number") meta.generation = m.generation;
  return meta;
}

/** A string field of `status` (a Namespace's `phase`), or undefined when absent or not a string. */
export function statusString(object: JsonObjectLike, field: string): string | undefined {
  return string(record(object.status)?.[field]);
}

/** A number field of `status` (a Deployment's `readyReplicas`), or undefined when absent or not a number. */
export function statusNumber(object: JsonObjectLike, field: string): number | undefined {
  const value = record(object.status)?.[field];
  return typeof value === "number" ? value : undefined;
}
