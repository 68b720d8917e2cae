/**
 * Errors as the person at the command line reads them: a failed request to a cluster
 * explained in one sentence ({@linkcode explainKubeError}), and any error as the one
 * line `plumberctl: <reason>` printed on stderr, secrets redacted ({@linkcode errorLine}).
 *
 * @module
 */

import { KubeApiError } from "../lib/kube/client.ts";
import { KubeconfigStorageError } from "../lib/kubeconfig/mod.ts";
import { redactText } from "../lib/redact.ts";
import { CliError, UsageError } from "../lib/errors.ts";

/**
 * The line printed for an error: one line, secrets redacted. Multi-line library
 * messages (a list of problems) are joined with "; ".
 */
export function errorLine(error: unknown): string {
  let message = error instanceof Error ? error.message : String(error);
  if (error instanceof KubeconfigStorageError) {
    // Its own text puts one problem per line.
    const count = `${error.problems.length} problem${error.problems.length === 1 ? "" : "s"}`;
    message = `Cannot store the kubeconfig (${count}): ${
      error.problems.map((p) => `${p.field}${p.context ? ` (context ${p.context})` : ""}: ${p.message}`).join(
        "; ",
      )
    }`;
  }
  if (error instanceof UsageError) message = `${message}; ${error.hint}`;
  // Redact first: a PEM block spans lines.
  const oneLine = redactText(message)
    .replace(/:[ \t]*\n\s*- /, ": ")
    .replace(/\s*\n\s*- /g, "; ")
    .replace(/\s*\n\s*/g, " ");
  return `plumberctl: ${oneLine}`;
}

/** Where a request went, for messages: the context, its server and the user it authenticated as. */
export interface ClusterLabel {
  context: string;
  server: string;
  user: string;
}

/** Short cause of a connection failure: "connection refused", a TLS failure with a hint, ... */
function connectionCause(message: string): string {
  const detail = message.replace(/^Cannot .*? on [^:]+: /, "");
  if (/connection refused/i.test(detail)) return "connection refused";
  if (/^request timed out$/i.test(detail)) return "no answer within the request timeout";
  if (/dns error|failed to lookup|name or service not known/i.test(detail)) {
    return "cannot resolve the host name";
  }
  if (/certificate|UnknownIssuer|NotValidForName|handshake|fatal alert/i.test(detail)) {
    return `TLS failed: ${detail}; check the certificate-authority-data of this cluster`;
  }
  return detail;
}

/** The message of a Kubernetes Status, when the server sent one. */
function statusMessage(error: KubeApiError): string {
  const details = error.details;
  if (typeof details === "object" && details !== null && "message" in details) {
    if (typeof details.message === "string") return details.message;
  }
  return error.message.replace(/^Cannot [^:]*: /, "");
}

/**
 * Explains a failed request to `cluster` in one sentence: unreachable (naming the
 * server), credentials refused, forbidden by RBAC (with the Status message, which
 * names the verb and resource); other errors keep the client's message.
 */
export function explainKubeError(error: unknown, cluster: ClusterLabel): CliError {
  if (error instanceof CliError) return error;
  if (!(error instanceof KubeApiError)) {
    return new CliError(error instanceof Error ? error.message : String(error), { cause: error });
  }
  const where = `context "${cluster.context}" (${cluster.server})`;
  if (error.status === 0) {
    return new CliError(`Cannot reach the API server of ${where}: ${connectionCause(error.message)}`, {
      cause: error,
    });
  }
  if (error.status === 401) {
    return new CliError(
      `The API server of ${where} refused the credentials of user "${cluster.user}" (401 Unauthorized); they may have expired or been revoked`,
      { cause: error },
    );
  }
  if (error.status === 403) {
    return new CliError(`Forbidden by RBAC in ${where}: ${statusMessage(error)}`, { cause: error });
  }
  return new CliError(error.message, { cause: error });
}
