/**
 * What `plumberctl diff` compares and prints for one object (pure): the live object and the result of a
 * server-side dry-run apply, with managed metadata left out and Secret values masked as `kubectl diff`
 * masks them, as a unified diff of their YAML.
 *
 * @module
 */

import { createTwoFilesPatch, FILE_HEADERS_ONLY } from "diff";
import { stringify } from "yaml";
import { INTENT_HASH_ANNOTATION } from "./diff.ts";
import { cloneJson } from "./json.ts";

/** Metadata the API server or plumber's bookkeeping writes, left out of a diff. */
export const MANAGED_METADATA_FIELDS: readonly string[] = [
  "resourceVersion",
  "managedFields",
  "generation",
  "uid",
  "creationTimestamp",
  "deletionTimestamp",
  "deletionGracePeriodSeconds",
  "selfLink",
];

/** Annotations left out of a diff: plumber's hash of its intent (it changes whenever a field does). */
export const MANAGED_ANNOTATIONS: readonly string[] = [INTENT_HASH_ANNOTATION];

/** kubectl's annotation holding the whole last applied object: for a Secret, its values. */
export const LAST_APPLIED_ANNOTATION = "kubectl.kubernetes.io/last-applied-configuration";

/** The marker of a masked Secret value. */
export const MASK = "***";

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * A copy of an object without its managed metadata ({@linkcode MANAGED_METADATA_FIELDS},
 * {@linkcode MANAGED_ANNOTATIONS}) and without `status`: what a user compares.
 *
 * @example
 * ```ts
 * stripManaged({ kind: "ConfigMap", metadata: { name: "a", uid: "u" }, status: {} });
 * // { kind: "ConfigMap", metadata: { name: "a" } }
 * ```
 */
export function stripManaged<T extends JsonObject>(object: T): T {
  const copy = cloneJson(object) as JsonObject;
  delete copy.status;
  const metadata = copy.metadata;
  if (isObject(metadata)) {
    for (const field of MANAGED_METADATA_FIELDS) delete metadata[field];
    const annotations = metadata.annotations;
    if (isObject(annotations)) {
      for (const key of MANAGED_ANNOTATIONS) delete annotations[key];
      if (Object.keys(annotations).length === 0) delete metadata.annotations;
    }
  }
  return copy as T;
}

function isSecret(object: JsonObject | undefined): boolean {
  return object?.kind === "Secret" && (object.apiVersion === "v1" || object.apiVersion === undefined);
}

/**
 * Masks the values of a Secret's `data` and `stringData` on both sides as `kubectl diff` does: a value
 * equal on both sides becomes `***` on both, a changed one `*** (before)` / `*** (after)`, one present on
 * one side only `***`, so that a change is visible as a change and no value is shown. kubectl's
 * last-applied annotation, a copy of the values, is masked too. Objects that are not Secrets are
 * returned as they are; the inputs are never modified.
 *
 * @example
 * ```ts
 * maskSecrets({ kind: "Secret", apiVersion: "v1", data: { a: "eA==" } }, { kind: "Secret", apiVersion: "v1", data: { a: "eQ==" } });
 * // [{ ..., data: { a: "*** (before)" } }, { ..., data: { a: "*** (after)" } }]
 * ```
 */
export function maskSecrets<T extends JsonObject | undefined>(before: T, after: T): [T, T] {
  if (!isSecret(before) && !isSecret(after)) return [before, after];
  const from = before === undefined ? undefined : cloneJson(before) as JsonObject;
  const to = after === undefined ? undefined : cloneJson(after) as JsonObject;
  for (const field of ["data", "stringData"]) {
    const a = isObject(from?.[field]) ? from[field] as Record<string, unknown> : undefined;
    const b = isObject(to?.[field]) ? to[field] as Record<string, unknown> : undefined;
    for (const key of Object.keys(a ?? {})) {
      if (b && key in b) {
        const same = a![key] === b[key];
        a![key] = same ? MASK : `${MASK} (before)`;
        b[key] = same ? MASK : `${MASK} (after)`;
      } else {
        a![key] = MASK;
      }
    }
    for (const key of Object.keys(b ?? {})) {
      if (!a || !(key in a)) b![key] = MASK;
    }
  }
  for (const side of [from, to]) {
    const annotations = isObject(side?.metadata) ? (side.metadata as JsonObject).annotations : undefined;
    if (isObject(annotations) && LAST_APPLIED_ANNOTATION in annotations) {
      annotations[LAST_APPLIED_ANNOTATION] = MASK;
    }
  }
  return [from as T, to as T];
}

/** Where an object is, as a diff header names it: `<cluster>/<kind>/<namespace>/<name>` (no namespace segment when cluster-scoped). */
export function objectPath(
  cluster: string,
  kind: string,
  namespace: string | undefined,
  name: string,
): string {
  return [cluster, kind, ...(namespace ? [namespace] : []), name].join("/");
}

/** An object as a diff shows it: YAML, or "" for no object. */
export function diffText(object: JsonObject | undefined): string {
  return object === undefined ? "" : stringify(object, { lineWidth: 0 });
}

/**
 * The unified diff of one object: `--- live <path>` / `+++ plumber`, then the hunks; "" when both sides
 * are equal. `live` undefined shows an object to be created whole, `desired` undefined one to be
 * deleted. Both sides are stripped of managed metadata and Secret values are masked.
 */
export function objectDiff(
  path: string,
  live: JsonObject | undefined,
  desired: JsonObject | undefined,
): string {
  const [before, after] = maskSecrets(
    live && stripManaged(live),
    desired && stripManaged(desired),
  );
  const a = diffText(before);
  const b = diffText(after);
  if (a === b) return "";
  return createTwoFilesPatch(`live ${path}`, "plumber", a, b, undefined, undefined, {
    context: 3,
    headerOptions: FILE_HEADERS_ONLY,
  });
}
