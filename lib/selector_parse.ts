/**
 * Parsing a label selector written as `kubectl get -l` takes it (`region=east,tier!=small,
 * zone in (a,b),env notin (dev),gpu,!legacy`) into a {@linkcode LabelSelector}. Pure.
 *
 * @module
 */

import { isLabelValue } from "./cluster_labels.ts";
import { isLabelKey, type LabelSelector, type LabelSelectorRequirement } from "./selector.ts";

/** Characters that end a key or a value. */
const DELIMITERS = new Set([",", "=", "!", "(", ")", " ", "\t", "\n"]);

/**
 * Parses a kubectl-style label selector. `k=v` and `k==v` become `matchLabels` (a key
 * given twice becomes an `In` requirement), `k!=v` a `NotIn`, `k in (a,b)` an `In`,
 * `k notin (a)` a `NotIn`, `k` an `Exists` and `!k` a `DoesNotExist`. An empty text is the
 * empty selector (everything).
 *
 * @example
 * ```ts
 * parseLabelSelector("region=east,tier in (big,huge),!legacy");
 * // { matchLabels: { region: "east" }, matchExpressions: [
 * //   { key: "tier", operator: "In", values: ["big", "huge"] },
 * //   { key: "legacy", operator: "DoesNotExist" } ] }
 * ```
 * @throws {RangeError} `Cannot parse label selector "a in b": expected "(" after "in" at position 5`
 */
export function parseLabelSelector(text: string): LabelSelector {
  let pos = 0;
  const fail = (reason: string): never => {
    throw new RangeError(`Cannot parse label selector "${text}": ${reason}`);
  };
  const at = () => (pos < text.length ? `at position ${pos + 1}` : "at the end");
  const skipSpace = () => {
    while (pos < text.length && /\s/.test(text[pos]!)) pos++;
  };
  const word = (): string => {
    skipSpace();
    const start = pos;
    while (pos < text.length && !DELIMITERS.has(text[pos]!)) pos++;
    return text.slice(start, pos);
  };
  const key = (): string => {
    const start = pos;
    const k = word();
    if (k === "") fail(`expected a label key ${at()}`);
    if (!isLabelKey(k)) fail(`"${k}" (position ${start + 1}) is not a valid label key`);
    return k;
  };
  const value = (): string => {
    const v = word();
    if (!isLabelValue(v)) fail(`"${v}" is not a valid label value`);
    return v;
  };
  const peek = (s: string) => text.startsWith(s, pos);

  const matchLabels: Record<string, string> = {};
  const expressions: LabelSelectorRequirement[] = [];
  const equals = (k: string, v: string) => {
    if (Object.hasOwn(matchLabels, k) || expressions.some((e) => e.key === k && e.operator === "In")) {
      expressions.push({ key: k, operator: "In", values: [v] });
    } else {
      matchLabels[k] = v;
    }
  };

  skipSpace();
  if (pos === text.length) return {};
  for (;;) {
    skipSpace();
    if (peek("!")) {
      pos++;
      expressions.push({ key: key(), operator: "DoesNotExist" });
    } else {
      const k = key();
      skipSpace();
      if (peek("==") || peek("=")) {
        pos += peek("==") ? 2 : 1;
        equals(k, value());
      } else if (peek("!=")) {
        pos += 2;
        expressions.push({ key: k, operator: "NotIn", values: [value()] });
      } else if (pos < text.length && text[pos] !== ",") {
        const opStart = pos;
        const op = word();
        if (op !== "in" && op !== "notin") {
          fail(
            `expected =, ==, !=, in or notin after "${k}" at position ${opStart + 1}, found "${
              op || text[pos]
            }"`,
          );
        }
        skipSpace();
        if (!peek("(")) fail(`expected "(" after "${op}" ${at()}`);
        pos++;
        const values: string[] = [];
        for (;;) {
          values.push(value());
          skipSpace();
          if (peek(",")) {
            pos++;
            continue;
          }
          if (peek(")")) {
            pos++;
            break;
          }
          fail(`expected "," or ")" ${at()}`);
        }
        if (values.length === 1 && values[0] === "") fail(`"${op}" needs at least one value`);
        expressions.push({ key: k, operator: op === "in" ? "In" : "NotIn", values });
      } else {
        expressions.push({ key: k, operator: "Exists" });
      }
    }
    skipSpace();
    if (pos === text.length) break;
    if (!peek(",")) fail(`expected "," ${at()}, found "${text[pos]}"`);
    pos++;
  }
  const selector: LabelSelector = {};
  if (Object.keys(matchLabels).length > 0) selector.matchLabels = matchLabels;
  if (expressions.length > 0) selector.matchExpressions = expressions;
  return selector;
}
