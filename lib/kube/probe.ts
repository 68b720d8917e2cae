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

/**
 * Turns an error from a request into a short reason for status and messages.
 * Connection errors already carry Go-style `x509:` wording (see
 * `describeConnectionError` in client.ts), which users search for.
 */
export function describeFailure(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof KubeApiError) {
    if (error.reason === "Timeout") return "timed out";
    if (error.status === 401) return "401 Unauthorized: the credentials were rejected";
    // The server's message names the verb and resource that were denied.
    if (error.status > 0) return message.replace(/^Cannot .*? on \S+: /, "");
    if (/refused/i.test(message) && !/x509/.test(message)) return "connection refused";
  }
  // "Cannot get /readyz on <cluster>: <cause>" -> "<cause>"
  return message.replace(/^Cannot \S+(?: \S+)? on \S+: /, "");
}

/** Probes one cluster within `timeoutMs`. Never throws. */
export async function probeCluster(client: KubeClient, timeoutMs: number): Promise<ProbeResult> {
  try {
    const body = await client.getText("/readyz", { timeoutMs }).catch((error) => {
      if (error instanceof KubeApiError && error.status === 403) {
        throw new KubeApiError(
          "Cannot get /readyz: 403 Forbidden: the stored credentials may not read /readyz",
          403,
          "Forbidden",
        );
      }
      throw error;
    });
    if (body.trim() !== "ok") {
      return { healthy: false, reason: `readyz answered "${body.trim().slice(0, 80)}"` };
    }
    const version = JSON.parse(await client.getText("/version", { timeoutMs })) as { gitVersion?: string };
    return { healthy: true, version: version.gitVersion ?? "unknown" };
  } catch (error) {
    return { healthy: false, reason: describeFailure(error) };
  }
}
