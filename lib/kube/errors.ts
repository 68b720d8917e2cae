/**
 * The errors of `KubeClient`: {@linkcode KubeApiError} with its HTTP status and
 * Kubernetes reason, the predicates callers branch on, and the wording of connection and
 * TLS failures (as kubectl words them).
 *
 * @module
 */

import type { ObjectRef } from "./resources.ts";

/** An error from the API server or the connection to it. */
export class KubeApiError extends Error {
  /** HTTP status; 0 when the server could not be reached. */
  readonly status: number;
  /** Kubernetes `Status.reason` (`NotFound`, `Conflict`, ...) or `ConnectionError` / `Timeout`. */
  readonly reason: string;
  /** The object the request was about, when there was one. */
  readonly ref?: ObjectRef;
  /** The Status object, when the server sent one. */
  readonly details?: unknown;

  constructor(message: string, status: number, reason: string, ref?: ObjectRef, details?: unknown) {
    super(message);
    this.name = "KubeApiError";
    this.status = status;
    this.reason = reason;
    this.ref = ref;
    this.details = details;
  }
}

/** True for a 404 from the API server. */
export function isNotFound(error: unknown): boolean {
  return error instanceof KubeApiError && error.status === 404;
}

/** True for a request refused or aborted because its client was fenced (`KubeClientOptions.signal`). */
export function isFenced(error: unknown): boolean {
  return error instanceof KubeApiError && error.reason === "Fenced";
}

/** True for a 409 from the API server. */
export function isConflict(error: unknown): boolean {
  return error instanceof KubeApiError && error.status === 409;
}

/**
 * True when a kind could not be mapped to a resource: the cluster does not serve it (a CRD not
 * installed, or a version it does not serve). Its status is 404, as the server answers for the
 * path of a resource it does not serve, so `isNotFound()` holds too.
 */
export function isNoKindMatch(error: unknown): boolean {
  return error instanceof KubeApiError && error.reason === "NoKindMatch";
}

/** A short human message for a fetch failure, keeping TLS details (x509 reasons) visible. */
export function connectionMessage(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const parts = [error.message];
  let cause = (error as { cause?: unknown }).cause;
  while (cause instanceof Error && parts.length < 4) {
    if (!parts.some((p) => p.includes(cause instanceof Error ? cause.message : ""))) {
      parts.push(cause.message);
    }
    cause = (cause as { cause?: unknown }).cause;
  }
  return parts.join(": ");
}

/** rustls' certificate errors, as Deno reports them, and what Go's crypto/x509 would say. */
const TLS_REASONS: Array<[RegExp, string]> = [
  // The server refused our client certificate (checked first: its alert names also say UnknownCA).
  [
    /received fatal alert: \w*(BadCertificate|CertificateRequired|UnknownCA)/i,
    "remote error: tls: bad certificate",
  ],
  [/UnknownIssuer|unknown issuer/i, "x509: certificate signed by unknown authority"],
  [
    /BadSignature|bad signature|invalid signature/i,
    "x509: certificate signed by unknown authority (the signature does not verify)",
  ],
  [/NotValidYet|not valid yet/i, "x509: certificate has expired or is not yet valid (not yet valid)"],
  [/Expired|certificate expired/i, "x509: certificate has expired or is not yet valid"],
  [/NotValidForName|not valid for name/i, "x509: certificate is not valid for the server's name"],
  [/Revoked/i, "x509: certificate has been revoked"],
];

/**
 * A message for a failed connection that users can act on: a TLS certificate
 * failure is named as Go's `crypto/x509` (and so kubectl) names it, followed
 * by Deno's own words, e.g. `x509: certificate signed by unknown authority
 * (invalid peer certificate: UnknownIssuer)`; anything else is
 * {@linkcode connectionMessage}.
 *
 * @example
 * ```ts
 * describeConnectionError(new Error("client error (Connect): invalid peer certificate: UnknownIssuer"));
 * // "x509: certificate signed by unknown authority (invalid peer certificate: UnknownIssuer)"
 * ```
 */
export function describeConnectionError(error: unknown): string {
  const full = connectionMessage(error);
  const tls = /(invalid peer certificate|received fatal alert|certificate)\b.*$/i.exec(full)?.[0];
  if (tls === undefined) return full;
  for (const [pattern, reason] of TLS_REASONS) {
    if (pattern.test(tls)) return `${reason} (${tls})`;
  }
  return full;
}
