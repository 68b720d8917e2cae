/**
 * The Secret in the operator namespace that keeps a Replicator's mTLS material: its name and data keys.
 * The operator writes it; `plumberctl diff` reads it to render as the operator renders.
 *
 * @module
 */

import { decodeBase64Text, encodeBase64Text } from "./base64.ts";
import type { TlsMaterial } from "./render.ts";

/** What is stored: the render material plus the CA key. */
export interface StoredTls extends TlsMaterial {
  caKeyPem: string;
}

/** The Secret's data key of each PEM text. */
export const TLS_SECRET_KEYS: Readonly<Record<keyof StoredTls, string>> = {
  caCertPem: "ca.crt",
  caKeyPem: "ca.key",
  serverCertPem: "tls.crt",
  serverKeyPem: "tls.key",
  clientCertPem: "client.crt",
  clientKeyPem: "client.key",
};

/** Name of the Secret holding a Replicator's TLS material. */
export function tlsSecretName(replicator: string): string {
  return `plumber-tls-${replicator}`;
}

/** The Secret's `data` (base64) holding `material`. */
export function tlsSecretData(material: StoredTls): Record<string, string> {
  return Object.fromEntries(
    Object.entries(TLS_SECRET_KEYS).map(([field, key]) => [
      key,
      encodeBase64Text(material[field as keyof StoredTls]),
    ]),
  );
}

/** The PEM texts in a Secret's `data`, by field; a missing or empty key is undefined. */
export function tlsSecretValues(
  data: Record<string, string> | undefined,
): Record<keyof StoredTls, string | undefined> {
  return Object.fromEntries(
    Object.entries(TLS_SECRET_KEYS).map(([field, key]) => [
      field,
      data?.[key] ? decodeBase64Text(data[key]) : undefined,
    ]),
  ) as Record<keyof StoredTls, string | undefined>;
}
