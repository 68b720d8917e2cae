/**
 * Durations as users write them on command lines, Go style: `500ms`, `10s`, `2m`, `1m30s`, `1h`.
 *
 * @module
 */

const UNITS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * Milliseconds of a positive duration, or undefined when `text` is not one (callers name the flag).
 *
 * @example
 * ```ts
 * parseDuration("1m30s"); // 90000
 * parseDuration("soon"); // undefined
 * ```
 */
export function parseDuration(text: string): number | undefined {
  const value = text.trim();
  if (!/^(\d+(\.\d+)?(ms|s|m|h))+$/.test(value)) return undefined;
  let total = 0;
  for (const [, amount, , unit] of value.matchAll(/(\d+(\.\d+)?)(ms|s|m|h)/g)) {
    total += Number(amount) * (UNITS[unit ?? ""] ?? 0);
  }
  return total > 0 && Number.isFinite(total) ? Math.round(total) : undefined;
}

/** `60s`, `2m`, `1m30s`, `1h`: a duration as the user would write it. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  let seconds = Math.round(ms / 1000);
  const hours = Math.floor(seconds / 3600);
  seconds -= hours * 3600;
  const minutes = Math.floor(seconds / 60);
  seconds -= minutes * 60;
  return `${hours ? `${hours}h` : ""}${minutes ? `${minutes}m` : ""}${
    seconds || (!hours && !minutes) ? `${seconds}s` : ""
  }`;
}
