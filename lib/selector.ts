/**
 * Kubernetes label selectors (`metav1.LabelSelector`: `matchLabels` and `matchExpressions`), evaluated
 * against ClusterDetector labels to choose clusters. Pure: no I/O.
 *
 * The API server checks operators and values of a Replicator's selectors at admission; label keys are
 * checked here ({@linkcode selectorProblems}), because a CEL rule over map keys exceeds its cost budget.
 *
 * @module
 */

/** A requirement of `matchExpressions`. */
export interface LabelSelectorRequirement {
  key: string;
  operator: "In" | "NotIn" | "Exists" | "DoesNotExist" | string;
  values?: string[];
}

/** A label selector. An empty selector (`{}`) matches everything; an absent one matches nothing. */
export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: LabelSelectorRequirement[];
}

const NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const PREFIX = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** True when `key` is a valid label key: `[prefix/]name`, the prefix a DNS subdomain of at most 253 characters. */
export function isLabelKey(key: string): boolean {
  const slash = key.lastIndexOf("/");
  const name = slash < 0 ? key : key.slice(slash + 1);
  const prefix = slash < 0 ? undefined : key.slice(0, slash);
  if (!NAME.test(name)) return false;
  return prefix === undefined || (prefix.length <= 253 && PREFIX.test(prefix));
}

/**
 * What is wrong with a selector, one message per problem naming the field (`field` is its path, e.g.
 * `spec.clusterSelector`); empty when it is valid.
 */
export function selectorProblems(selector: LabelSelector, field: string): string[] {
  const problems: string[] = [];
  for (const key of Object.keys(selector.matchLabels ?? {})) {
    if (!isLabelKey(key)) problems.push(`${field}.matchLabels: "${key}" is not a label key`);
  }
  (selector.matchExpressions ?? []).forEach((r, i) => {
    const at = `${field}.matchExpressions[${i}]`;
    if (!isLabelKey(r.key)) problems.push(`${at}.key: "${r.key}" is not a label key`);
    const values = r.values ?? [];
    if (r.operator === "In" || r.operator === "NotIn") {
      if (values.length === 0) problems.push(`${at}.values: ${r.operator} needs at least one value`);
    } else if (r.operator === "Exists" || r.operator === "DoesNotExist") {
      if (values.length > 0) problems.push(`${at}.values: ${r.operator} takes no values`);
    } else {
      problems.push(`${at}.operator: "${r.operator}" is not In, NotIn, Exists or DoesNotExist`);
    }
  });
  return problems;
}

/**
 * Whether `labels` satisfy `selector` (every matchLabels entry and every requirement). An invalid
 * requirement matches nothing, as the API server would refuse it.
 *
 * @example
 * ```ts
 * matchesSelector({ matchLabels: { region: "east" } }, { region: "east", tier: "big" }); // true
 * matchesSelector({ matchExpressions: [{ key: "region", operator: "NotIn", values: ["east"] }] }, {}); // true
 * ```
 */
export function matchesSelector(
  selector: LabelSelector,
  labels: Record<string, string> | undefined,
): boolean {
  const l = labels ?? {};
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) {
    if (l[key] !== value) return false;
  }
  for (const r of selector.matchExpressions ?? []) {
    const has = Object.hasOwn(l, r.key);
    const values = r.values ?? [];
    switch (r.operator) {
      case "In":
        if (!has || !values.includes(l[r.key]!)) return false;
        break;
      case "NotIn":
        if (has && values.includes(l[r.key]!)) return false;
        break;
      case "Exists":
        if (!has) return false;
        break;
      case "DoesNotExist":
        if (has) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}

/** `region=east,tier in (big)`: a selector as `kubectl get -l` writes it, for messages. */
export function formatSelector(selector: LabelSelector): string {
  const parts = Object.entries(selector.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`);
  for (const r of selector.matchExpressions ?? []) {
    if (r.operator === "Exists") parts.push(r.key);
    else if (r.operator === "DoesNotExist") parts.push(`!${r.key}`);
    else parts.push(`${r.key} ${r.operator === "In" ? "in" : "notin"} (${(r.values ?? []).join(",")})`);
  }
  return parts.length > 0 ? parts.join(",") : "(everything)";
}
