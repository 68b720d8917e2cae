/**
 * Issuing certificates: a self-signed CA, and TLS server and client certificates signed by it.
 * The certificates follow what Go's crypto/x509 (and so kube-apiserver, client-go and
 * ingress-nginx) expects. Loads @peculiar/x509 on first use.
 *
 * @module
 */

import type { Extension, JsonGeneralNames, X509Certificate } from "@peculiar/x509";
import { checkAlgorithm, checkDnsName, checkIpAddress, subjectName, validityWindow } from "./checks.ts";
import { generateKeys, importPrivateKey, privateKeyPem, signingAlgorithmFor } from "./keys.ts";
import { hex, pemEncode } from "./pem.ts";
import { parseCertificate } from "./read.ts";
import type {
  CaOptions,
  CertificateAndKey,
  ClientCertOptions,
  KeyAlgorithm,
  ServerCertOptions,
} from "./types.ts";
import { loadX509, type X509Module } from "./x509.ts";

const DEFAULT_CA_VALIDITY_DAYS = 3650;
const DEFAULT_LEAF_VALIDITY_DAYS = 365;
const SERIAL_NUMBER_BYTES = 16;

/**
 * Creates a self-signed certificate authority: basicConstraints CA:TRUE (critical), keyUsage
 * keyCertSign, cRLSign and digitalSignature (critical), and a subjectKeyIdentifier.
 *
 * @example Create a CA and issue a server certificate with it
 * ```ts
 * const ca = await createCertificateAuthority({ commonName: "plumber-ca" });
 * const server = await issueServerCertificate(ca, {
 *   commonName: "kube-apiserver",
 *   dnsNames: ["localhost", "kubernetes.default.svc"],
 *   ipAddresses: ["127.0.0.1"],
 * });
 * ```
 *
 * @throws {RangeError} if an option is invalid; the message names it.
 */
export async function createCertificateAuthority(options: CaOptions): Promise<CertificateAndKey> {
  const what = "Cannot create certificate authority";
  const subject = subjectName(what, options.commonName, options.organizations);
  const algorithm = checkAlgorithm(what, options.algorithm);
  const { notBefore, notAfter } = validityWindow(
    what,
    options.now,
    options.validityDays ?? DEFAULT_CA_VALIDITY_DAYS,
  );

  const x509 = await loadX509();
  const keys = await generateKeys(algorithm);
  const name = new x509.Name(subject);
  const certificate = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerialNumber(),
    subject: name,
    issuer: name,
    notBefore,
    notAfter,
    publicKey: keys.publicKey,
    signingKey: keys.privateKey,
    signingAlgorithm: signingAlgorithmFor(keys.privateKey.algorithm),
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature,
        true,
      ),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey, false, crypto),
    ],
  }, crypto);
  return {
    certPem: pemEncode(new Uint8Array(certificate.rawData), "CERTIFICATE"),
    keyPem: await privateKeyPem(keys.privateKey),
  };
}

/**
 * Issues a TLS server certificate signed by `ca`, with extended key usage serverAuth (plus
 * clientAuth if `options.clientAuth`), the given DNS and IP subject alternative names, keyUsage
 * digitalSignature (and keyEncipherment for RSA keys), basicConstraints CA:FALSE and an
 * authorityKeyIdentifier pointing at the CA. The certificate never outlives the CA: its notAfter
 * is cut to the CA's.
 *
 * @example A certificate for a local kube-apiserver
 * ```ts
 * const ca = await createCertificateAuthority({ commonName: "plumber-ca" });
 * const { certPem, keyPem } = await issueServerCertificate(ca, {
 *   commonName: "kube-apiserver",
 *   dnsNames: ["localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc"],
 *   ipAddresses: ["127.0.0.1", "10.0.0.1"],
 * });
 * ```
 *
 * @throws {RangeError} if an option is invalid, including when dnsNames and ipAddresses are both
 * empty; the message names the option and the value.
 * @throws {Error} if `ca` does not parse, is not a CA, does not match its key, or is not valid at `now`.
 */
export async function issueServerCertificate(
  ca: CertificateAndKey,
  options: ServerCertOptions,
): Promise<CertificateAndKey> {
  const what = "Cannot issue server certificate";
  const dnsNames = uniq((options.dnsNames ?? []).map((name) => checkDnsName(what, name)));
  const ipAddresses = uniq((options.ipAddresses ?? []).map((ip) => checkIpAddress(what, ip)));
  if (dnsNames.length === 0 && ipAddresses.length === 0) {
    throw new RangeError(`${what}: dnsNames and ipAddresses are both empty`);
  }
  const sans: JsonGeneralNames = [
    ...dnsNames.map((value) => ({ type: "dns" as const, value })),
    ...ipAddresses.map((value) => ({ type: "ip" as const, value })),
  ];
  const usages: ExtendedKeyUsage[] = options.clientAuth ? ["serverAuth", "clientAuth"] : ["serverAuth"];
  return await issueLeaf(what, ca, options, DEFAULT_LEAF_VALIDITY_DAYS, usages, sans);
}

/**
 * Issues a TLS client certificate signed by `ca`, with extended key usage clientAuth. Kubernetes
 * takes the subject CN as the user name and each O as a group.
 *
 * @example An admin certificate for a kubeconfig
 * ```ts
 * const ca = await createCertificateAuthority({ commonName: "plumber-ca" });
 * const admin = await issueClientCertificate(ca, {
 *   commonName: "kubernetes-admin",
 *   organizations: ["system:masters"],
 * });
 * ```
 *
 * @throws {RangeError} if an option is invalid; the message names the option and the value.
 * @throws {Error} if `ca` does not parse, is not a CA, does not match its key, or is not valid at `now`.
 */
export async function issueClientCertificate(
  ca: CertificateAndKey,
  options: ClientCertOptions,
): Promise<CertificateAndKey> {
  return await issueLeaf(
    "Cannot issue client certificate",
    ca,
    options,
    DEFAULT_LEAF_VALIDITY_DAYS,
    ["clientAuth"],
    [],
  );
}

/** The extended key usages plumber puts in leaf certificates, by @peculiar/x509's names. */
type ExtendedKeyUsage = "serverAuth" | "clientAuth";

interface LeafOptions {
  commonName: string;
  organizations?: string[];
  validityDays?: number;
  algorithm?: KeyAlgorithm;
  now?: Date;
}

async function issueLeaf(
  what: string,
  ca: CertificateAndKey,
  options: LeafOptions,
  defaultValidityDays: number,
  extendedKeyUsages: ExtendedKeyUsage[],
  sans: JsonGeneralNames,
): Promise<CertificateAndKey> {
  const subject = subjectName(what, options.commonName, options.organizations);
  const algorithm = checkAlgorithm(what, options.algorithm);
  const window = validityWindow(what, options.now, options.validityDays ?? defaultValidityDays);
  const x509 = await loadX509();
  const issuer = await loadIssuer(x509, what, ca, window.now);
  const notAfter = window.notAfter > issuer.notAfter ? issuer.notAfter : window.notAfter;

  const keys = await generateKeys(algorithm);
  const isRsa = keys.publicKey.algorithm.name === "RSASSA-PKCS1-v1_5";
  const extensions: Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(
      x509.KeyUsageFlags.digitalSignature | (isRsa ? x509.KeyUsageFlags.keyEncipherment : 0),
      true,
    ),
    new x509.ExtendedKeyUsageExtension(extendedKeyUsages.map((usage) => x509.ExtendedKeyUsage[usage]), false),
    await x509.SubjectKeyIdentifierExtension.create(keys.publicKey, false, crypto),
    new x509.AuthorityKeyIdentifierExtension(issuer.keyId, false),
  ];
  if (sans.length > 0) extensions.push(new x509.SubjectAlternativeNameExtension(sans, false));

  const certificate = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerialNumber(),
    subject: new x509.Name(subject),
    // The issuer's subject re-encoded from its own parse, so the bytes match the CA's exactly:
    // Go and webpki build chains by comparing raw names.
    issuer: issuer.certificate.subjectName,
    notBefore: window.notBefore,
    notAfter,
    publicKey: keys.publicKey,
    signingKey: issuer.signingKey,
    signingAlgorithm: issuer.signingAlgorithm,
    extensions,
  }, crypto);
  return {
    certPem: pemEncode(new Uint8Array(certificate.rawData), "CERTIFICATE"),
    keyPem: await privateKeyPem(keys.privateKey),
  };
}

interface Issuer {
  certificate: X509Certificate;
  signingKey: CryptoKey;
  signingAlgorithm: Algorithm | EcdsaParams;
  keyId: string;
  notAfter: Date;
}

async function loadIssuer(
  x509: X509Module,
  what: string,
  ca: CertificateAndKey,
  now: Date,
): Promise<Issuer> {
  if (ca === null || typeof ca !== "object") {
    throw new TypeError(`${what}: ca is not a certificate and key`);
  }
  const { certificate, info } = parseCertificate(x509, `${what}: CA certificate`, ca.certPem);
  if (!info.isCA) {
    throw new Error(
      `${what}: CA certificate "${info.subject}" is not a CA (basicConstraints CA:TRUE missing)`,
    );
  }
  const keyUsage = certificate.getExtension(x509.KeyUsagesExtension);
  if (keyUsage && !(keyUsage.usages & x509.KeyUsageFlags.keyCertSign)) {
    throw new Error(`${what}: CA certificate "${info.subject}" lacks keyUsage keyCertSign`);
  }
  if (now < info.notBefore) {
    throw new Error(
      `${what}: CA certificate "${info.subject}" is not valid until ${info.notBefore.toISOString()} ` +
        `(now is ${now.toISOString()})`,
    );
  }
  if (now > info.notAfter) {
    throw new Error(
      `${what}: CA certificate "${info.subject}" expired at ${info.notAfter.toISOString()} ` +
        `(now is ${now.toISOString()})`,
    );
  }

  const publicAlgorithm = certificate.publicKey.algorithm as Algorithm & { namedCurve?: string };
  let importAlgorithm: RsaHashedImportParams | EcKeyImportParams;
  if (publicAlgorithm.name === "RSASSA-PKCS1-v1_5") {
    importAlgorithm = { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" };
  } else if (publicAlgorithm.name === "ECDSA" && publicAlgorithm.namedCurve) {
    importAlgorithm = { name: "ECDSA", namedCurve: publicAlgorithm.namedCurve };
  } else {
    throw new Error(
      `${what}: CA key algorithm ${publicAlgorithm.name} is not supported (want ECDSA or RSA)`,
    );
  }
  const signingKey = await importPrivateKey(`${what}: CA key`, ca.keyPem, importAlgorithm);
  const signingAlgorithm = signingAlgorithmFor(signingKey.algorithm);
  if (!await keyMatchesCertificate(signingKey, importAlgorithm, signingAlgorithm, certificate)) {
    throw new Error(`${what}: CA key does not belong to CA certificate "${info.subject}"`);
  }

  const ski = certificate.getExtension(x509.SubjectKeyIdentifierExtension);
  const keyId = ski?.keyId ?? hex(await certificate.publicKey.getKeyIdentifier(crypto));
  return { certificate, signingKey, signingAlgorithm, keyId, notAfter: info.notAfter };
}

/** Signs a probe with the private key and verifies it with the certificate's public key. */
async function keyMatchesCertificate(
  key: CryptoKey,
  importAlgorithm: RsaHashedImportParams | EcKeyImportParams,
  signingAlgorithm: Algorithm | EcdsaParams,
  certificate: X509Certificate,
): Promise<boolean> {
  const probe = new TextEncoder().encode("plumber: does this key belong to this certificate?");
  const signature = await crypto.subtle.sign(signingAlgorithm, key, probe);
  const publicKey = await certificate.publicKey.export(importAlgorithm, ["verify"], crypto);
  return await crypto.subtle.verify(signingAlgorithm, publicKey, signature, probe);
}

function randomSerialNumber(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(SERIAL_NUMBER_BYTES));
  // Positive (top bit clear) and of full length (next bit set), so no DER padding or trimming.
  bytes[0] = (bytes[0]! & 0x7f) | 0x40;
  return hex(bytes);
}

function uniq(values: string[]): string[] {
  return [...new Set(values)];
}
