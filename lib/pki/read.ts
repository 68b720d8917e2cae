/**
 * Reading certificates: what a PEM certificate says (names, SANs, validity, CA flag, serial).
 * Loads @peculiar/x509 on first use.
 *
 * @module
 */

import type { X509Certificate } from "@peculiar/x509";
import { pemBlocks } from "./pem.ts";
import type { CertificateInfo } from "./types.ts";
import { loadX509, type X509Module } from "./x509.ts";

/**
 * Reads the first "CERTIFICATE" block of a PEM text (other blocks, such as a key, are skipped).
 *
 * @example
 * ```ts
 * const ca = await createCertificateAuthority({ commonName: "plumber-ca" });
 * const info = await readCertificate(ca.certPem);
 * console.log(info.commonName, info.notAfter.toISOString());
 * ```
 *
 * @throws {Error} if there is no CERTIFICATE block or it is not an X.509 certificate (as a
 * rejection). The message never repeats the input.
 */
export async function readCertificate(pem: string): Promise<CertificateInfo> {
  return parseCertificate(await loadX509(), "Cannot read certificate", pem).info;
}

/**
 * Parses the first "CERTIFICATE" block of `pem`. Errors start with `what` and never repeat the
 * input.
 */
export function parseCertificate(
  x509: X509Module,
  what: string,
  pem: unknown,
): { certificate: X509Certificate; info: CertificateInfo } {
  if (typeof pem !== "string") throw new TypeError(`${what} is not a PEM string`);
  const block = pemBlocks(pem).find((b) => b.label === "CERTIFICATE");
  if (!block) throw new Error(`${what}: no "CERTIFICATE" PEM block found`);
  if (block.der === undefined) throw new Error(`${what}: the "CERTIFICATE" PEM block is not valid base64`);
  try {
    const certificate = new x509.X509Certificate(block.der);
    // describe() touches the lazily parsed fields, so a broken certificate fails here, not later.
    return { certificate, info: describe(x509, certificate) };
  } catch (cause) {
    throw new Error(`${what}: the "CERTIFICATE" PEM block is not a valid X.509 certificate`, { cause });
  }
}

function describe(
  x509: X509Module,
  certificate: X509Certificate,
): CertificateInfo {
  const san = certificate.getExtension(x509.SubjectAlternativeNameExtension);
  const names = san?.names.items ?? [];
  const basicConstraints = certificate.getExtension(x509.BasicConstraintsExtension);
  const commonName = certificate.subjectName.getField("CN")[0];
  return {
    subject: certificate.subject,
    ...(commonName === undefined ? {} : { commonName }),
    organizations: certificate.subjectName.getField("O"),
    issuer: certificate.issuer,
    dnsNames: names.filter((n) => n.type === "dns").map((n) => n.value),
    ipAddresses: names.filter((n) => n.type === "ip").map((n) => n.value),
    notBefore: certificate.notBefore,
    notAfter: certificate.notAfter,
    isCA: basicConstraints?.ca === true,
    serialNumber: certificate.serialNumber.toLowerCase(),
  };
}
