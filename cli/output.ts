/**
 * How `plumberctl` prints results: the `-o` formats, kubectl-style tables and ages, and
 * JSON / YAML lists for scripts.
 *
 * @module
 */

import { dump } from "js-yaml";
import { UsageError } from "../lib/errors.ts";

/** Output formats of `view`. */
export const OUTPUT_FORMATS = ["table", "wide", "json", "yaml"] as const;
/** One of {@linkcode OUTPUT_FORMATS}. */
export type OutputFormat = typeof OUTPUT_FORMATS[number];

function isOutputFormat(text: string): text is OutputFormat {
  return OUTPUT_FORMATS.some((format) => format === text);
}

/** Checks an `-o` value. @throws {UsageError} for anything but table, wide, json, yaml. */
export function parseOutputFormat(text: string, command: string): OutputFormat {
  if (isOutputFormat(text)) return text;
  throw new UsageError(
    `invalid value "${text}" for --output: expected one of ${OUTPUT_FORMATS.join(", ")}`,
    command,
  );
}

/**
 * A list as scripts read it: indented JSON, or a YAML sequence (`[]` when empty).
 *
 * @example
 * ```ts
 * formatList([{ a: 1 }], "yaml"); // "- a: 1\n"
 * ```
 */
export function formatList(items: readonly unknown[], format: "json" | "yaml"): string {
  if (format === "json") return JSON.stringify(items, null, 2) + "\n";
  return items.length === 0 ? "[]\n" : toYaml(items);
}

/**
 * `-o yaml`: block style, long lines kept whole, strings another YAML reader would take for a boolean, a
 * number or a timestamp quoted. With `js-yaml` (an ES module, as the operator's kubeconfig parser) rather
 * than the CommonJS `yaml` package, whose import alone took 60-70 ms of every command's start-up.
 *
 * @example
 * ```ts
 * toYaml({ a: 1, on: "on" }); // "a: 1\n'on': 'on'\n"
 * ```
 */
export function toYaml(value: unknown): string {
  return dump(value, { lineWidth: -1, noRefs: true });
}

/**
 * kubectl's age (apimachinery `duration.HumanDuration`): `45s`, `2m5s`, `12m`, `3h20m`,
 * `37h`, `2d5h`, `90d`, `2y10d`.
 */
export function formatAge(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < -1) return "<invalid>";
  if (seconds < 0) return "0s";
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10) {
    const s = seconds % 60;
    return s === 0 ? `${minutes}m` : `${minutes}m${s}s`;
  }
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.floor(seconds / 3600);
  if (hours < 8) {
    const m = minutes % 60;
    return m === 0 ? `${hours}h` : `${hours}h${m}m`;
  }
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8) {
    const h = hours % 24;
    return h === 0 ? `${Math.floor(hours / 24)}d` : `${Math.floor(hours / 24)}d${h}h`;
  }
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24)}d`;
  if (hours < 24 * 365 * 8) {
    const days = Math.floor(hours / 24) % 365;
    const years = Math.floor(hours / 24 / 365);
    return days === 0 ? `${years}y` : `${years}y${days}d`;
  }
  return `${Math.floor(hours / 24 / 365)}y`;
}

/** A kubectl-style table: upper-case headers, columns separated by three spaces, no trailing blanks. */
export function renderTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: readonly string[]) =>
    cells.map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join("   ")
      .trimEnd();
  return [line(headers), ...rows.map(line)].join("\n") + "\n";
}
