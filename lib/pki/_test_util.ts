/**
 * What the tests of `lib/pki/` share: one CA, server and client certificate (key generation is the
 * slow part), a fixed clock, and helpers that look at certificates and keys without this module's
 * own code.
 *
 * @module
 */

import assert from "node:assert/strict";
import { createCertificateAuthority, issueClientCertificate, issueServerCertificate } from "./issue.ts";

export const DAY_MS = 24 * 60 * 60 * 1000;
/** A fixed clock for tests that check dates; the milliseconds prove they are dropped. */
export const NOW = new Date("2030-03-04T05:06:07.890Z");
export const NOW_SECONDS = new Date("2030-03-04T05:06:07Z");

export const ca = await createCertificateAuthority({
  commonName: "plumber-test-ca",
  organizations: ["plumber"],
});
export const server = await issueServerCertificate(ca, {
  commonName: "kube-apiserver",
  dnsNames: ["localhost", "kubernetes.default.svc"],
  ipAddresses: ["127.0.0.1", "::1"],
});
export const client = await issueClientCertificate(ca, {
  commonName: "kubernetes-admin",
  organizations: ["system:masters"],
});

/** Runs openssl; a missing openssl is an error naming it, not a skipped test. */
export async function openssl(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let output: Deno.CommandOutput;
  try {
    output = await new Deno.Command("openssl", { args, stdout: "piped", stderr: "piped" }).output();
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new Error(
        "openssl is not on PATH; it is part of this project's test environment (/usr/bin/openssl)",
      );
    }
    throw error;
  }
  const decoder = new TextDecoder();
  return { code: output.code, stdout: decoder.decode(output.stdout), stderr: decoder.decode(output.stderr) };
}

/** Runs `body` with a new temporary directory, removed afterwards. */
export async function withTempDir(body: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "plumber-pki-test-" });
  try {
    await body(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** The bytes of a single-block PEM text. */
export function pemBody(pem: string): Uint8Array<ArrayBuffer> {
  const base64 = pem.replace(/-----[A-Z ]+-----/g, "").replace(/\s+/g, "");
  return Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
}

/** Bytes as a PEM block (one long line, as some tools write). */
export function asPem(der: Uint8Array, label: string): string {
  return `-----BEGIN ${label}-----\n${btoa(String.fromCharCode(...der))}\n-----END ${label}-----\n`;
}

/** Imports a PKCS#8 PEM private key with Web Crypto directly. */
export async function importPkcs8(
  pem: string,
  algorithm: RsaHashedImportParams | EcKeyImportParams,
): Promise<CryptoKey> {
  return await crypto.subtle.importKey("pkcs8", pemBody(pem), algorithm, false, ["sign"]);
}

/** Fails when `message` holds a line of any of the keys. */
export function assertNoKeyMaterial(message: string, keyPems: string[]): void {
  for (const keyPem of keyPems) {
    for (const line of keyPem.split("\n").filter((l) => l.length > 16 && !l.startsWith("-----"))) {
      assert.ok(!message.includes(line), `error message leaks key material: ${message.slice(0, 40)}...`);
    }
  }
}

/** The raw DER of a certificate's issuer and subject names (tbsCertificate fields 4 and 6). */
export function derNames(pem: string): { issuer: Uint8Array; subject: Uint8Array } {
  const der = pemBody(pem);
  const element = (at: number) => {
    let length = der[at + 1]!;
    let header = 2;
    if (length & 0x80) {
      const count = length & 0x7f;
      length = 0;
      for (let i = 0; i < count; i++) length = (length << 8) | der[at + 2 + i]!;
      header += count;
    }
    return { tag: der[at]!, contentStart: at + header, end: at + header + length };
  };
  const tbs = element(element(0).contentStart);
  const fields: Uint8Array[] = [];
  for (let at = tbs.contentStart; at < tbs.end;) {
    const field = element(at);
    fields.push(der.slice(at, field.end));
    at = field.end;
  }
  // [0] version, serialNumber, signature, issuer, validity, subject, ...
  assert.equal(fields[0]![0], 0xa0);
  return { issuer: fields[3]!, subject: fields[5]! };
}
