/**
 * One cluster's HTTP requests, below the object API of `KubeClient`: the bearer token
 * (re-read from its file), a timeout per request (released once the body is read),
 * `429` + `Retry-After`, retries with backoff for verbs safe to repeat, the fence, the
 * request observer, and errors that carry the status, reason and object.
 *
 * @module
 */

import { describeConnectionError, KubeApiError } from "./errors.ts";
import { describeRef, type ObjectRef } from "./resources.ts";
import { sleep } from "./sleep.ts";
import { openTransport, type Transport } from "./transport.ts";

/**
 * A cluster connection (the kubeconfig modules' `ClusterConnection`), named through the transport
 * that takes it so that this module does not depend on where the kubeconfig modules keep it.
 */
export type ClusterConnection = Parameters<typeof openTransport>[0];

/** What a request observer is told, for metrics and tests that count writes. */
export interface RequestRecord {
  method: string;
  path: string;
  /** The query string without its `?` (`limit=50&continue=...`), when the request had one. */
  query?: string;
  /** HTTP status, or `"<error>"` when no response came. */
  code: string;
  host: string;
  /** When the request was sent (ms since the epoch). */
  startedAt: number;
  durationMs: number;
}

/** What {@linkcode Requester} needs of the client's options. */
export interface RequesterOptions {
  name: string;
  timeoutMs?: number;
  maxRetries?: number;
  observer?: (record: RequestRecord) => void;
  userAgent?: string;
  readTextFile?: (path: string) => string;
  now?: () => number;
  /** The fence (`KubeClientOptions.signal`). */
  signal?: AbortSignal;
}

/** One request's options. */
export interface RequestOptions {
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  contentType?: string;
  /** `Accept` header (default `application/json`). */
  accept?: string;
  signal?: AbortSignal;
  timeoutMs?: number;
  ref?: ObjectRef;
  /** Repeat on connection errors and 5xx (only for verbs where that is safe). */
  retrySafe?: boolean;
  /** What the request does, for messages: "apply", "get", ... */
  action: string;
}

const RETRYABLE_STATUS = new Set([500, 502, 503, 504]);

/**
 * Reads a `Retry-After` header into milliseconds, capped: delay-seconds
 * (digits only) or an HTTP-date (RFC 9110 section 10.2.3); anything else gives
 * `fallbackMs`. Strict on purpose: `Number()` accepts "0x10" and `Date.parse()`
 * reads "-1" or "garbage 1" as dates in 2001.
 *
 * @example
 * ```ts
 * retryAfterMs("2", 100); // 2000
 * retryAfterMs("soon", 100); // 100
 * ```
 */
export function retryAfterMs(header: string | null, fallbackMs: number, capMs = 30_000): number {
  if (header === null) return fallbackMs;
  const value = header.trim();
  if (/^\d+$/.test(value)) return Math.min(Number(value) * 1000, capMs);
  // All three HTTP-date forms (IMF-fixdate, RFC 850, asctime) start with a day name.
  if (/^(Mon|Tue|Wed|Thu|Fri|Sat|Sun)[a-z]*,? /.test(value)) {
    const date = Date.parse(value);
    if (Number.isFinite(date)) return Math.min(Math.max(date - Date.now(), 0), capMs);
  }
  return fallbackMs;
}

/** Sends one cluster's requests; `KubeClient` owns one. */
export class Requester {
  readonly name: string;
  readonly host: string;
  #connection: ClusterConnection;
  #http: Deno.HttpClient;
  /** Timeout timers of responses whose body is still being read. */
  #timers = new WeakMap<Response, ReturnType<typeof setTimeout>>();
  #transport: Transport;
  #options: RequesterOptions;
  #token?: { value: string; readAt: number };

  constructor(connection: ClusterConnection, server: string, options: RequesterOptions) {
    this.#connection = connection;
    this.#options = options;
    this.name = options.name;
    this.host = new URL(server).host;
    this.#transport = openTransport(connection);
    this.#http = this.#transport.http;
  }

  /** The fence, when the client has one. */
  get fence(): AbortSignal | undefined {
    return this.#options.signal;
  }

  /** Releases the connection pool (and the `tls-server-name` tunnel, if any). */
  close(): void {
    this.#transport.close();
  }

  #bearer(): string | undefined {
    const file = this.#connection.tokenFile;
    if (!file) return this.#connection.token || undefined;
    // As client-go: the file wins over `token`, and bound ServiceAccount tokens
    // rotate, so it is re-read at most once a minute; when a read fails, the
    // last token read (else `token`) is used.
    const now = this.#options.now?.() ?? Date.now();
    if (!this.#token || now - this.#token.readAt >= 60_000) {
      const read = this.#options.readTextFile ?? Deno.readTextFileSync;
      try {
        this.#token = { value: read(file).trim(), readAt: now };
      } catch (error) {
        const fallback = this.#token?.value || this.#connection.token;
        if (!fallback) throw error;
        this.#token = { value: fallback, readAt: now };
      }
    }
    return this.#token.value;
  }

  #url(path: string, query?: RequestOptions["query"]): string {
    const url = new URL(this.#transport.base + path);
    for (const [key, value] of Object.entries(query ?? {})) {
      if (value !== undefined && value !== "") url.searchParams.set(key, String(value));
    }
    return url.toString();
  }

  #headers(contentType?: string, accept?: string): Headers {
    const headers = new Headers({ Accept: accept ?? "application/json" });
    if (contentType) headers.set("Content-Type", contentType);
    headers.set("User-Agent", this.#options.userAgent ?? "plumber");
    const token = this.#bearer();
    if (token) headers.set("Authorization", `Bearer ${token}`);
    return headers;
  }

  #observe(
    method: string,
    url: string,
    path: string,
    code: string,
    started: { at: number; clock: number },
  ): void {
    const query = new URL(url).search.slice(1);
    this.#options.observer?.({
      method,
      path,
      ...(query ? { query } : {}),
      code,
      host: this.host,
      startedAt: started.at,
      durationMs: performance.now() - started.clock,
    });
  }

  /** The error of a request refused or cut short by the fence; undefined while the fence is up. */
  fenced(action: string, label: string, ref?: ObjectRef): KubeApiError | undefined {
    const fence = this.#options.signal;
    if (!fence?.aborted) return undefined;
    const why = fence.reason instanceof Error ? fence.reason.message : "the client is fenced";
    return new KubeApiError(`Cannot ${action}${label} on ${this.name}: ${why}`, 0, "Fenced", ref);
  }

  /** Sends one request and returns the response, retrying as described in the module doc. */
  async send(method: string, path: string, options: RequestOptions): Promise<Response> {
    const maxRetries = this.#options.maxRetries ?? 3;
    const label = options.ref ? ` ${describeRef(options.ref)}` : ` ${path}`;
    const fence = this.#options.signal;
    // What cuts a request and its backoff waits short: the caller's signal and the fence.
    const cancel = fence && options.signal
      ? AbortSignal.any([options.signal, fence])
      : fence ?? options.signal;
    const stopped = () => {
      const fenced = this.fenced(options.action, label, options.ref);
      if (fenced) return fenced;
      if (options.signal?.aborted) return options.signal.reason;
      return undefined;
    };
    for (let attempt = 0;; attempt++) {
      // Checked before every attempt: a fenced client sends nothing.
      const before = stopped();
      if (before) throw before;
      // A timer of our own, cleared as soon as the response is consumed (#release): AbortSignal.timeout()
      // would keep every request's signals, and what they reference, alive for the whole timeout.
      const timer = new AbortController();
      const timeout = timer.signal;
      const timeoutId = setTimeout(
        () => timer.abort(new DOMException("The request timed out", "TimeoutError")),
        options.timeoutMs ?? this.#options.timeoutMs ?? 30_000,
      );
      const signal = cancel ? AbortSignal.any([cancel, timeout]) : timeout;
      const started = { at: Date.now(), clock: performance.now() };
      const url = this.#url(path, options.query);
      let response: Response;
      try {
        response = await fetch(url, {
          method,
          headers: this.#headers(options.contentType, options.accept),
          body: options.body === undefined ? undefined : JSON.stringify(options.body),
          signal,
          client: this.#http,
        });
      } catch (error) {
        clearTimeout(timeoutId);
        this.#observe(method, url, path, "<error>", started);
        const cut = stopped();
        if (cut) throw cut;
        const timedOut = timeout.aborted;
        const reason = timedOut ? "Timeout" : "ConnectionError";
        const cause = timedOut ? "request timed out" : describeConnectionError(error);
        if (options.retrySafe && attempt < maxRetries) {
          await sleep(backoffMs(attempt), cancel);
          continue;
        }
        throw new KubeApiError(
          `Cannot ${options.action}${label} on ${this.name}: ${cause}`,
          0,
          reason,
          options.ref,
        );
      }
      this.#observe(method, url, path, String(response.status), started);
      if (response.ok) {
        this.#timers.set(response, timeoutId);
        return response;
      }
      const retryable = response.status === 429 ||
        (options.retrySafe && RETRYABLE_STATUS.has(response.status));
      if (retryable && attempt < maxRetries) {
        clearTimeout(timeoutId);
        await response.body?.cancel();
        const wait = response.status === 429
          ? retryAfterMs(response.headers.get("Retry-After"), backoffMs(attempt))
          : backoffMs(attempt);
        await sleep(wait, cancel);
        continue;
      }
      const error = await this.#error(response, options.action, label, options.ref).catch((e) => e);
      clearTimeout(timeoutId);
      throw stopped() ?? error;
    }
  }

  /** Clears the timeout of a response whose body has been read (or abandoned). */
  release(response: Response): void {
    const id = this.#timers.get(response);
    if (id === undefined) return;
    clearTimeout(id);
    this.#timers.delete(response);
  }

  async #error(response: Response, action: string, label: string, ref?: ObjectRef): Promise<KubeApiError> {
    let details: { reason?: string; message?: string } | undefined;
    const text = await response.text();
    try {
      details = JSON.parse(text);
    } catch {
      details = { message: text.slice(0, 300) };
    }
    const reason = details?.reason || response.statusText || String(response.status);
    const message = details?.message ?? response.statusText;
    return new KubeApiError(
      `Cannot ${action}${label} on ${this.name}: ${response.status} ${reason}: ${message}`,
      response.status,
      reason,
      ref,
      details,
    );
  }

  /** Sends a request and parses its JSON answer. */
  async json<T>(method: string, path: string, options: RequestOptions): Promise<T> {
    const response = await this.send(method, path, options);
    try {
      return await response.json() as T;
    } catch (error) {
      // The fence also cuts a body still on its way.
      const label = options.ref ? ` ${describeRef(options.ref)}` : ` ${path}`;
      throw this.fenced(options.action, label, options.ref) ?? error;
    } finally {
      this.release(response);
    }
  }

  /** Sends a request and returns its answer as text. */
  async text(method: string, path: string, options: RequestOptions): Promise<string> {
    const response = await this.send(method, path, options);
    try {
      return await response.text();
    } catch (error) {
      const label = options.ref ? ` ${describeRef(options.ref)}` : ` ${path}`;
      throw this.fenced(options.action, label, options.ref) ?? error;
    } finally {
      this.release(response);
    }
  }
}

function backoffMs(attempt: number): number {
  const base = 100 * 2 ** attempt;
  return base + Math.random() * base * 0.2;
}
