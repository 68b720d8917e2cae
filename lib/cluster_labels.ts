/**
 * User labels of registered clusters (ClusterDetectors): which keys users may set, how a
 * `k=v` / `k-` argument reads, and how the two copies of a cluster's labels (the context's
 * extension in the kubeconfig Secret and the ClusterDetector object) are kept in step. Pure.
 *
 * The last labels both copies agreed on (the "base") are kept in an annotation of the
 * ClusterDetector, so a reconcile can tell which side changed since: the side that changed
 * wins, and when both changed, the Secret (where plumberctl writes) wins.
 *
 * @module
 */

import { canonicalJson } from "./json.ts";
import { isLabelKey } from "./selector.ts";

/** Labels plumber sets itself; users may not set them. Keys under {@linkcode RESERVED_PREFIX} too. */
export const RESERVED_LABELS: readonly string[] = ["app.kubernetes.io/role", "app.kubernetes.io/managed-by"];
/** Prefix of the keys plumber reserves. */
export const RESERVED_PREFIX = "plumber.jnytnai0613.github.io/";
/** Annotation on a ClusterDetector: the user labels last in step with the kubeconfig Secret (JSON). */
export const SYNCED_LABELS_ANNOTATION = "plumber.jnytnai0613.github.io/synced-labels";

/** User labels: key -> value. */
export type Labels = Record<string, string>;

const VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** True when `value` is a valid label value: empty, or at most 63 letters, digits, '-', '_', '.' starting and ending alphanumeric. */
export function isLabelValue(value: string): boolean {
  return value.length <= 63 && VALUE.test(value);
}

/** True for keys plumber sets itself. */
export function isReservedLabel(key: string): boolean {
  return RESERVED_LABELS.includes(key) || key.startsWith(RESERVED_PREFIX);
}

/** Why `key` cannot be a user label key, or undefined when it can. */
export function labelKeyProblem(key: string): string | undefined {
  if (!isLabelKey(key)) {
    return `"${key}" is not a valid label key ([prefix/]name: the name at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit; the prefix a DNS subdomain)`;
  }
  if (isReservedLabel(key)) {
    return `"${key}" is reserved: plumber sets app.kubernetes.io/role, app.kubernetes.io/managed-by and every key under ${RESERVED_PREFIX} itself`;
  }
  return undefined;
}

/** Why `value` cannot be the value of label `key`, or undefined when it can. */
export function labelValueProblem(key: string, value: string): string | undefined {
  if (isLabelValue(value)) return undefined;
  return `value "${value}" of label "${key}" is not a valid label value (at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit, or empty)`;
}

/** Every problem of a set of user labels, one message each. */
export function labelProblems(labels: Labels): string[] {
  return Object.entries(labels).flatMap(([key, value]) =>
    [labelKeyProblem(key), labelValueProblem(key, value)].filter((p): p is string => p !== undefined)
  );
}

/** One `k=v` (set) or `k-` (remove) argument. */
export type LabelChange = { key: string; value: string } | { key: string; remove: true };

/**
 * Reads `k=v` or `k-` as `kubectl label` does, checking the key and value.
 *
 * @example
 * ```ts
 * parseLabelChange("region=east"); // { key: "region", value: "east" }
 * parseLabelChange("region-"); // { key: "region", remove: true }
 * ```
 * @throws {RangeError} naming the argument and what is wrong with it.
 */
export function parseLabelChange(text: string, options: { allowRemove?: boolean } = {}): LabelChange {
  const eq = text.indexOf("=");
  if (eq < 0) {
    if (options.allowRemove && text.endsWith("-") && text.length > 1) {
      const key = text.slice(0, -1);
      const problem = labelKeyProblem(key);
      if (problem) throw new RangeError(`"${text}": ${problem}`);
      return { key, remove: true };
    }
    throw new RangeError(
      `"${text}" is not a label: expected key=value${options.allowRemove ? " or key- (to remove it)" : ""}`,
    );
  }
  const key = text.slice(0, eq);
  const value = text.slice(eq + 1);
  const problem = labelKeyProblem(key) ?? labelValueProblem(key, value);
  if (problem) throw new RangeError(`"${text}": ${problem}`);
  return { key, value };
}

/** The labels of an object without the reserved ones. */
export function userLabels(labels: Labels | undefined): Labels {
  return Object.fromEntries(Object.entries(labels ?? {}).filter(([key]) => !isReservedLabel(key)));
}

/** Whether two label sets are equal (order does not matter). */
export function sameLabels(a: Labels | undefined, b: Labels | undefined): boolean {
  return canonicalJson(a ?? {}) === canonicalJson(b ?? {});
}

/** The {@linkcode SYNCED_LABELS_ANNOTATION} value of `labels`. */
export function formatSyncedLabels(labels: Labels): string {
  return canonicalJson(labels);
}

/** The labels an {@linkcode SYNCED_LABELS_ANNOTATION} holds; undefined when absent or not a label map. */
export function parseSyncedLabels(text: string | undefined): Labels | undefined {
  if (text === undefined) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined;
    const entries = Object.entries(value);
    if (entries.some(([, v]) => typeof v !== "string")) return undefined;
    return Object.fromEntries(entries) as Labels;
  } catch {
    return undefined;
  }
}

/** What {@linkcode decideLabelSync} says to do; `labels` are the user labels both copies should hold. */
export type LabelSync =
  | { action: "none" }
  /** Only record `labels` as the base: both copies hold them already. */
  | { action: "base"; labels: Labels }
  /** Write `labels` (and the base) onto the ClusterDetector: the Secret changed, or the object is new. */
  | { action: "object"; labels: Labels }
  /** Write `labels` into the Secret (then the base): only the object changed. */
  | { action: "secret"; labels: Labels };

/**
 * Which copy of a cluster's user labels wins. `secret` is the context's labels in the
 * kubeconfig Secret (undefined: the context has no labels extension), `object` the
 * ClusterDetector's user labels (undefined: no object yet), `base` the labels both last
 * agreed on (undefined: never recorded).
 *
 * @example
 * ```ts
 * decideLabelSync({ secret: { region: "east" }, object: { region: "west" }, base: { region: "east" } });
 * // { action: "secret", labels: { region: "west" } }: only the object changed (kubectl label)
 * ```
 */
export function decideLabelSync(input: { secret?: Labels; object?: Labels; base?: Labels }): LabelSync {
  const secret = input.secret ?? {};
  if (input.object === undefined) return { action: "object", labels: secret };
  const object = input.object;
  if (sameLabels(object, secret)) {
    return sameLabels(input.base, secret) && input.base !== undefined
      ? { action: "none" }
      : { action: "base", labels: secret };
  }
  if (input.base === undefined) {
    // Never synced (an object labelled before plumber kept labels): a Secret that says something wins.
    return input.secret !== undefined
      ? { action: "object", labels: secret }
      : { action: "secret", labels: object };
  }
  if (!sameLabels(secret, input.base)) return { action: "object", labels: secret };
  return { action: "secret", labels: object };
}

/** `labels` with `changes` applied; `overwrite` false refuses to change an existing key's value, as kubectl does. */
export function applyLabelChanges(
  labels: Labels,
  changes: readonly LabelChange[],
  options: { overwrite?: boolean } = {},
): Labels {
  const next = { ...labels };
  for (const change of changes) {
    if ("remove" in change) {
      delete next[change.key];
    } else {
      const old = next[change.key];
      if (old !== undefined && old !== change.value && !options.overwrite) {
        throw new RangeError(
          `label "${change.key}" already has the value "${old}"; pass --overwrite to change it to "${change.value}"`,
        );
      }
      next[change.key] = change.value;
    }
  }
  return next;
}

/** `k=v,k2=v2`, sorted by key; `<none>` for no labels. */
export function formatLabels(labels: Labels | undefined): string {
  const entries = Object.entries(labels ?? {}).sort(([a], [b]) => a.localeCompare(b));
  return entries.length === 0 ? "<none>" : entries.map(([k, v]) => `${k}=${v}`).join(",");
}
