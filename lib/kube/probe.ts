/**
 * Health probe of a cluster: `GET /readyz` with the stored credentials and
 * full TLS verification, then `GET /version`. The seed skipped verification
 * and called any answer healthy; here only `200 ok` from `/readyz` counts.
 *
 * @module
 */

import { KubeApiError, type KubeClient } from "./client.ts";

/** What one probe found. */
export type ProbeResult =
  | { healthy: true; version: string }
  | { healthy: false; reason: string };

const TLS_REASONS: Array<[RegExp, string]> = [
  [/UnknownIssuer|unknown authority|BadSignature/i, "x509: certificate signed by unknown authority"],
  [/Expired|NotValidYet|not yet valid/i, "x509: certificate has expired or is not yet valid"],
  [/NotValidForName|not valid for name/i, "x509: certificate is not valid for the server's host name"],
  [
    /invalid peer certificate|certificate verify failed|InvalidCertificate/i,
    "x509: invalid server certificate",
  ],
];

/**
 * Turns an error from a request into a short reason for status and messages.
 * TLS failures get Go-style `x509:` wording, which users search for; the raw
 * detail stays in brackets.
 */
export function describeFailure(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  for (const [pattern, reason] of TLS_REASONS) {
    if (pattern.test(message)) {
      const detail = /invalid peer certificate: (\w+)/.exec(message)?.[1];
      return detail ? `${reason} (${detail})` : reason;
    }
  }
  if (error instanceof KubeApiError) {
    if (error.reason === "Timeout") return "timed out";
    if (/refused/i.test(message)) return "connection refused";
    if (error.status === 401) return "401 Unauthorized: the stored credentials were rejected";
    if (error.status === 403) return "403 Forbidden: the stored credentials may not read /readyz";
    if (error.status > 0) return `${error.status} ${error.reason}`;
  }
  return message.replace(/^Cannot get \S+ on \S+: /, "");
}

/** Probes one cluster within `timeoutMs`. Never throws. */
export async function probeCluster(client: KubeClient, timeoutMs: number): Promise<ProbeResult> {
  try {
    const body = await client.getText("/readyz", { timeoutMs });
    if (body.trim() !== "ok") {
      return { healthy: false, reason: `readyz answered "${body.trim().slice(0, 80)}"` };
    }
    const version = JSON.parse(await client.getText("/version", { timeoutMs })) as { gitVersion?: string };
    return { healthy: true, version: version.gitVersion ?? "unknown" };
  } catch (error) {
    return { healthy: false, reason: describeFailure(error) };
  }
}
