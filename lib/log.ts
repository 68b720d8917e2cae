/**
 * Structured logging with secret redaction.
 *
 * Every record, message included, passes through {@link redact} before it is
 * formatted, so a token, private key or certificate body cannot reach the log
 * whatever the caller passes.
 *
 * @example
 * ```ts
 * const log = createLogger({ level: "info", format: "json" }).child({ controller: "replicator" });
 * log.info("Applied object", { key: "default/app", clusters: 3 });
 * ```
 *
 * @module
 */

import { redactText } from "./redact.ts";

export type LogLevel = "debug" | "info" | "warn" | "error";
export type LogFormat = "json" | "text";

/** Log levels from the most to the least verbose. */
export const LOG_LEVELS: readonly LogLevel[] = ["debug", "info", "warn", "error"];

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  /** A logger that adds `fields` to every record (the call's own fields win on a clash). */
  child(fields: Record<string, unknown>): Logger;
  /** Records below this level are dropped. */
  readonly level: LogLevel;
}

export interface LoggerOptions {
  /** Minimum level written; default "info". */
  level?: LogLevel;
  /** Default "json". */
  format?: LogFormat;
  /** Receives one formatted line, without a trailing newline. Default: stderr. */
  write?: (line: string) => void;
  /** Fields added to every record. */
  fields?: Record<string, unknown>;
  /** Source of the record timestamp; inject for deterministic tests. */
  now?: () => Date;
}

const REDACTED = "[REDACTED]";
const SENSITIVE_KEY = /token|password|secret|key-data|certificate-data|private|kubeconfig|authorization/i;
const MAX_DEPTH = 12;

// Each pattern replaces the sensitive part of a string and keeps the rest readable.
const SCRUBBERS: readonly [RegExp, string][] = [
  // PEM blocks (keys, certificates, CSRs); an unterminated block is scrubbed to the end.
  [/-----BEGIN [A-Z0-9 ]*-----[\s\S]*?(?:-----END [A-Z0-9 ]*-----|$)/g, REDACTED],
  // Base64 of a PEM block, as in kubeconfig client-key-data / certificate-authority-data.
  [/LS0tLS1CRUdJTi[A-Za-z0-9+/=]*/g, REDACTED],
  // JSON Web Tokens (service account tokens): header.payload.signature.
  [/eyJ[A-Za-z0-9_-]*\.eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*/g, REDACTED],
  // Credentials carried in a URL query.
  [/([?&](?:access_token|token|password)=)[^&\s"']+/gi, `$1${REDACTED}`],
];

function scrubString(value: string): string {
  let out = value;
  for (const [pattern, replacement] of SCRUBBERS) out = out.replace(pattern, replacement);
  // Bearer and Basic credentials, and credentials as text, e.g. a kubeconfig's `token: <value>` quoted
  // in a message: the patterns above only know self-describing secrets (PEM, JWT), an opaque token
  // needs its key. redactText also leaves ordinary words alone ("the bearer token is invalid").
  // redactText marks with a bare REDACTED; keep one marker style in the log.
  return redactText(out).replace(/\[?REDACTED\]?/g, REDACTED);
}

interface SanitizeOptions {
  stack: boolean;
}

function sanitize(value: unknown, options: SanitizeOptions, seen: WeakSet<object>, depth: number): unknown {
  switch (typeof value) {
    case "string":
      return scrubString(value);
    case "number":
    case "boolean":
    case "undefined":
      return value;
    case "bigint":
      return value.toString();
    case "symbol":
      return value.toString();
    case "function":
      return `[Function ${value.name || "anonymous"}]`;
  }
  if (value === null) return null;
  const obj = value as object;
  if (depth >= MAX_DEPTH) return "[Truncated]";
  if (seen.has(obj)) return "[Circular]";
  seen.add(obj);
  try {
    if (obj instanceof Date) return Number.isNaN(obj.getTime()) ? "Invalid Date" : obj.toISOString();
    if (obj instanceof URL) return scrubString(obj.href);
    // Raw bytes may be key material; never print them.
    if (ArrayBuffer.isView(obj) || obj instanceof ArrayBuffer) {
      return `[${obj.constructor.name} ${obj.byteLength} bytes]`;
    }
    if (obj instanceof Error) return sanitizeError(obj, options, seen, depth);
    if (obj instanceof Headers) return sanitizeEntries(obj.entries(), options, seen, depth);
    if (obj instanceof Map) return sanitizeEntries(obj.entries(), options, seen, depth);
    if (obj instanceof Set) return [...obj].map((v) => sanitize(v, options, seen, depth + 1));
    if (Array.isArray(obj)) return obj.map((v) => sanitize(v, options, seen, depth + 1));
    return sanitizeEntries(Object.entries(obj), options, seen, depth);
  } finally {
    seen.delete(obj);
  }
}

function sanitizeEntries(
  entries: Iterable<[unknown, unknown]>,
  options: SanitizeOptions,
  seen: WeakSet<object>,
  depth: number,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [rawKey, v] of entries) {
    const key = String(rawKey);
    // A boolean or an absent value cannot carry a credential; keeping them keeps
    // fields like `tokenExpired: true` useful.
    if (SENSITIVE_KEY.test(key) && v !== null && v !== undefined && typeof v !== "boolean") {
      out[key] = REDACTED;
    } else {
      out[key] = sanitize(v, options, seen, depth + 1);
    }
  }
  return out;
}

function sanitizeError(
  error: Error,
  options: SanitizeOptions,
  seen: WeakSet<object>,
  depth: number,
): Record<string, unknown> {
  const out: Record<string, unknown> = {
    name: scrubString(error.name),
    message: scrubString(error.message),
  };
  // Own enumerable properties (status codes, response bodies) are kept, redacted.
  Object.assign(out, sanitizeEntries(Object.entries(error), options, seen, depth));
  if (error.cause !== undefined) out.cause = sanitize(error.cause, options, seen, depth + 1);
  if (options.stack && typeof error.stack === "string") out.stack = scrubString(error.stack);
  return out;
}

/**
 * Returns a deep copy of `value` safe to log.
 *
 * - values under keys matching
 *   `/token|password|secret|key-data|certificate-data|private|kubeconfig|authorization/i`
 *   become `"[REDACTED]"` (booleans, null and undefined are kept);
 * - in strings, PEM blocks (and their base64), JWTs, `token=` URL parameters and what
 *   `redactText` (lib/redact.ts) finds are replaced by `"[REDACTED]"`;
 * - Errors become `{ name, message, ...ownProperties, cause?, stack }`;
 * - byte arrays become `"[Uint8Array n bytes]"`; cycles become `"[Circular]"`.
 *
 * @example
 * ```ts
 * redact({ user: "a", token: "abc" }); // { user: "a", token: "[REDACTED]" }
 * redact("Authorization: Bearer abc"); // "Authorization: Bearer [REDACTED]"
 * ```
 */
export function redact(value: unknown): unknown {
  return sanitize(value, { stack: true }, new WeakSet(), 0);
}

/**
 * Parses a log level name, case-insensitively ("warning" is accepted for "warn").
 *
 * @throws {RangeError} naming the value and the allowed levels.
 */
export function parseLogLevel(value: string): LogLevel {
  const normalized = value.trim().toLowerCase();
  if (normalized === "warning") return "warn";
  if ((LOG_LEVELS as readonly string[]).includes(normalized)) return normalized as LogLevel;
  throw new RangeError(`Invalid log level "${value}": expected one of ${LOG_LEVELS.join(", ")}`);
}

/** Parses a log format name ("json" or "text"). @throws {RangeError} */
export function parseLogFormat(value: string): LogFormat {
  const normalized = value.trim().toLowerCase();
  if (normalized === "json" || normalized === "text") return normalized;
  throw new RangeError(`Invalid log format "${value}": expected one of json, text`);
}

const RESERVED_KEYS = new Set(["ts", "level", "msg"]);

function formatJson(ts: string, level: LogLevel, msg: string, fields: Record<string, unknown>): string {
  const record: Record<string, unknown> = { ts, level, msg };
  for (const [k, v] of Object.entries(fields)) {
    record[RESERVED_KEYS.has(k) ? `fields.${k}` : k] = v;
  }
  return JSON.stringify(record);
}

function formatTextValue(value: unknown): string {
  if (typeof value === "string") return /^[^\s="\\]+$/.test(value) ? value : JSON.stringify(value);
  if (typeof value === "number" || typeof value === "boolean" || value === null) return String(value);
  return JSON.stringify(value);
}

function formatText(ts: string, level: LogLevel, msg: string, fields: Record<string, unknown>): string {
  let line = `${ts} ${level.toUpperCase().padEnd(5)} ${msg.replace(/\r?\n/g, "\\n")}`;
  for (const [k, v] of Object.entries(fields)) {
    if (v === undefined) continue;
    line += ` ${k}=${formatTextValue(v)}`;
  }
  return line;
}

function writeStderr(line: string): void {
  const bytes = new TextEncoder().encode(line + "\n");
  let offset = 0;
  while (offset < bytes.length) offset += Deno.stderr.writeSync(bytes.subarray(offset));
}

interface LoggerCore {
  threshold: number;
  level: LogLevel;
  format: LogFormat;
  write: (line: string) => void;
  now: () => Date;
}

class StructuredLogger implements Logger {
  readonly #core: LoggerCore;
  readonly #fields: Record<string, unknown>;

  constructor(core: LoggerCore, fields: Record<string, unknown>) {
    this.#core = core;
    this.#fields = fields;
  }

  get level(): LogLevel {
    return this.#core.level;
  }

  debug(msg: string, fields?: Record<string, unknown>): void {
    this.#log("debug", msg, fields);
  }
  info(msg: string, fields?: Record<string, unknown>): void {
    this.#log("info", msg, fields);
  }
  warn(msg: string, fields?: Record<string, unknown>): void {
    this.#log("warn", msg, fields);
  }
  error(msg: string, fields?: Record<string, unknown>): void {
    this.#log("error", msg, fields);
  }

  child(fields: Record<string, unknown>): Logger {
    return new StructuredLogger(this.#core, { ...this.#fields, ...fields });
  }

  #log(level: LogLevel, msg: string, fields: Record<string, unknown> | undefined): void {
    const core = this.#core;
    if (LOG_LEVELS.indexOf(level) < core.threshold) return;
    try {
      const options = { stack: core.level === "debug" };
      const safeMsg = scrubString(String(msg));
      const merged = fields ? { ...this.#fields, ...fields } : this.#fields;
      const safeFields = sanitizeEntries(Object.entries(merged), options, new WeakSet(), 0);
      const ts = core.now().toISOString();
      const line = core.format === "json"
        ? formatJson(ts, level, safeMsg, safeFields)
        : formatText(ts, level, safeMsg, safeFields);
      core.write(line);
    } catch {
      // Logging must never take the process down (closed stderr, a throwing getter).
    }
  }
}

/**
 * Creates a logger writing one line a record.
 *
 * JSON: `{"ts":"2026-01-01T00:00:00.000Z","level":"info","msg":"...",...fields}`.
 * Text: `2026-01-01T00:00:00.000Z INFO  msg key=value ...`.
 * Error values render as `{name, message}`, with `stack` only when the level is "debug".
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  const level = options.level ?? "info";
  const threshold = LOG_LEVELS.indexOf(level);
  if (threshold < 0) parseLogLevel(String(level));
  const format = options.format ?? "json";
  if (format !== "json" && format !== "text") parseLogFormat(String(format));
  const core: LoggerCore = {
    threshold,
    level,
    format,
    write: options.write ?? writeStderr,
    now: options.now ?? (() => new Date()),
  };
  return new StructuredLogger(core, { ...options.fields });
}
