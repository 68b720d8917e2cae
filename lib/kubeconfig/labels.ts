/**
 * A registered cluster's user labels, stored with its registration: in the kubeconfig
 * Secret, as the standard `extensions` list of the cluster's context, one
 * `NamedExtension` named {@linkcode LABELS_EXTENSION} whose `extension` is `{labels: {...}}`.
 * kubectl keeps context extensions it does not know, so the Secret stays a kubeconfig
 * any tool reads.
 *
 * ```yaml
 * contexts:
 * - name: east
 *   context:
 *     cluster: east-cluster
 *     user: plumber
 *     extensions:
 *     - name: plumber.jnytnai0613.github.io/labels
 *       extension: {labels: {region: east}}
 * ```
 *
 * @module
 */

import { labelProblems, type Labels } from "../cluster_labels.ts";
import type { Kubeconfig, NamedExtension } from "./types.ts";

/** Name of the context extension holding a cluster's user labels. */
export const LABELS_EXTENSION = "plumber.jnytnai0613.github.io/labels";

/** A context's labels as stored: undefined when it has no labels extension. */
export interface StoredLabels {
  labels?: Labels;
  /** What is wrong with the extension; the entries it names are left out of `labels`. */
  problems: string[];
}

/** The field a problem of `context`'s labels extension is reported on. */
export function labelsField(context: string): string {
  return `contexts[${context}].context.extensions[${LABELS_EXTENSION}]`;
}

function extensionOf(config: Kubeconfig, context: string): NamedExtension | undefined {
  return config.contexts.find((c) => c.name === context)?.context.extensions?.find((e) =>
    e.name === LABELS_EXTENSION
  );
}

/**
 * The user labels stored for `context`, valid entries only; `problems` names the others
 * (bad keys or values, reserved keys, a malformed extension) as `<field>: <message>`.
 *
 * @example
 * ```ts
 * readContextLabels(config, "east"); // { labels: { region: "east" }, problems: [] }
 * ```
 */
export function readContextLabels(config: Kubeconfig, context: string): StoredLabels {
  const extension = extensionOf(config, context);
  if (!extension) return { problems: [] };
  const field = labelsField(context);
  const body = extension.extension;
  const labels = typeof body === "object" && body !== null && !Array.isArray(body)
    ? (body as Record<string, unknown>).labels
    : undefined;
  if (typeof labels !== "object" || labels === null || Array.isArray(labels)) {
    return { labels: {}, problems: [`${field}.extension: must be a mapping {labels: {key: value}}`] };
  }
  const valid: Labels = {};
  const problems: string[] = [];
  for (const [key, value] of Object.entries(labels)) {
    if (typeof value !== "string") {
      problems.push(`${field}.extension.labels.${key}: must be a string`);
      continue;
    }
    const found = labelProblems({ [key]: value });
    if (found.length > 0) problems.push(...found.map((p) => `${field}.extension.labels: ${p}`));
    else valid[key] = value;
  }
  return { labels: valid, problems };
}

/**
 * A copy of `config` with `context`'s labels set to `labels` (no labels: no extension).
 * Other extensions of the context are kept, in place.
 *
 * @throws {RangeError} when the context is not in the kubeconfig.
 */
export function withContextLabels(config: Kubeconfig, context: string, labels: Labels): Kubeconfig {
  const result = structuredClone(config);
  const entry = result.contexts.find((c) => c.name === context);
  if (!entry) throw new RangeError(`Cannot set labels: context "${context}" is not in the kubeconfig`);
  const sorted = Object.fromEntries(Object.entries(labels).sort(([a], [b]) => a.localeCompare(b)));
  const others = (entry.context.extensions ?? []).filter((e) => e.name !== LABELS_EXTENSION);
  const index = (entry.context.extensions ?? []).findIndex((e) => e.name === LABELS_EXTENSION);
  const mine: NamedExtension = { name: LABELS_EXTENSION, extension: { labels: sorted } };
  const extensions = Object.keys(sorted).length === 0
    ? others
    : index < 0
    ? [...others, mine]
    : [...others.slice(0, index), mine, ...others.slice(index)];
  if (extensions.length > 0) entry.context.extensions = extensions;
  else delete entry.context.extensions;
  return result;
}
