/**
 * Issuing certificates: a self-signed CA, and TLS server and client certificates signed by it.
 * The certificates follow what Go's crypto/x509 (and so kube-apiserver, client-go and
 * ingress-nginx) expects.
 *
 * Certificates are built with this module's own DER encoder (certificate.ts, der.ts) and signed
 * with Web Crypto: issuing never loads @peculiar/x509. A CA made here is remembered (by object, in
 * a WeakMap) with its in-memory signing key, subject bytes, key identifier and validity, so issuing
 * leaves with it parses nothing, re-imports no key and signs no probe. A CA given as PEM that was not
 * made in this process (or was copied) is parsed and checked with @peculiar/x509, loaded lazily.
 *
 * @module
 */

import type { X509Certificate } from "@peculiar/x509";
import {
  encodeName,
  encodeTbs,
  type ExtendedKeyUsage,
  keyIdentifier,
  signatureAlgorithmIdentifier,
  signCertificate,
} from "./certificate.ts";
import { checkAlgorithm, checkDnsName, checkIpAddress, subjectName, validityWindow } from "./checks.ts";
import { children, readElement } from "./der.ts";
import { parseIp } from "./ip.ts";
import { generateKeys, importPrivateKey, privateKeyPem, signingAlgorithmFor } from "./keys.ts";
import { pemEncode } from "./pem.ts";
import { parseCertificate } from "./read.ts";
import type {
  CaOptions,
  CertificateAndKey,
  ClientCertOptions,
  IssuedCertificate,
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
  const issued = await issueCertificateAuthority(options);
  const ca = { certPem: issued.certPem, keyPem: issued.keyPem };
  const issuer = madeHere.get(issued);
  if (issuer) remember(ca, issuer);
  return ca;
}

/**
 * As {@linkcode createCertificateAuthority}, and also returns the CA's validity window, so the
 * caller need not parse what was just made. Issuing leaves with the returned object (or the object
 * `createCertificateAuthority` returns) uses the CA's key in memory: no parse, no key import.
 *
 * @throws {RangeError} if an option is invalid; the message names it.
 */
export async function issueCertificateAuthority(options: CaOptions): Promise<IssuedCertificate> {
  const what = "Cannot create certificate authority";
  const name = subjectName(what, options.commonName, options.organizations);
  const algorithm = checkAlgorithm(what, options.algorithm);
  const { notBefore, notAfter } = validityWindow(
    what,
    options.now,
    options.validityDays ?? DEFAULT_CA_VALIDITY_DAYS,
  );

  const keys = await generateKeys(algorithm);
  const spki = new Uint8Array(await crypto.subtle.exportKey("spki", keys.publicKey));
  const subject = encodeName(name.commonName, name.organizations);
  const keyId = await keyIdentifier(spki);
  const tbs = encodeTbs({
    serial: randomSerialNumber(),
    issuer: subject,
    subject,
    notBefore,
    notAfter,
    spki,
    signatureAlgorithm: signatureAlgorithmIdentifier(keys.privateKey),
    subjectKeyId: keyId,
    ca: true,
  });
  const issued: IssuedCertificate = {
    certPem: pemEncode(await signCertificate(tbs, keys.privateKey), "CERTIFICATE"),
    keyPem: await privateKeyPem(keys.privateKey),
    notBefore,
    notAfter,
    dnsNames: [],
  };
  remember(issued, {
    signingKey: keys.privateKey,
    subject,
    keyId,
    notBefore,
    notAfter,
    subjectText: describeName(name.commonName, name.organizations),
  });
  return issued;
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
  const { certPem, keyPem } = await issueServer(ca, options);
  return { certPem, keyPem };
}

/**
 * As {@linkcode issueServerCertificate}, and also returns the certificate's validity window and DNS
 * names (checked, lowercased, without duplicates, in order), so the caller need not parse it.
 *
 * @throws {RangeError} if an option is invalid; the message names the option and the value.
 * @throws {Error} if `ca` does not parse, is not a CA, does not match its key, or is not valid at `now`.
 */
export async function issueServer(
  ca: CertificateAndKey,
  options: ServerCertOptions,
): Promise<IssuedCertificate> {
  const what = "Cannot issue server certificate";
  const dnsNames = uniq((options.dnsNames ?? []).map((name) => checkDnsName(what, name)));
  const ipAddresses = uniq((options.ipAddresses ?? []).map((ip) => checkIpAddress(what, ip)));
  if (dnsNames.length === 0 && ipAddresses.length === 0) {
    throw new RangeError(`${what}: dnsNames and ipAddresses are both empty`);
  }
  const usages: ExtendedKeyUsage[] = options.clientAuth ? ["serverAuth", "clientAuth"] : ["serverAuth"];
  return await issueLeaf(what, ca, options, DEFAULT_LEAF_VALIDITY_DAYS, usages, dnsNames, ipAddresses);
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
  const { certPem, keyPem } = await issueClient(ca, options);
  return { certPem, keyPem };
}

/**
 * As {@linkcode issueClientCertificate}, and also returns the certificate's validity window, so the
 * caller need not parse it.
 *
 * @throws {RangeError} if an option is invalid; the message names the option and the value.
 * @throws {Error} if `ca` does not parse, is not a CA, does not match its key, or is not valid at `now`.
 */
export async function issueClient(
  ca: CertificateAndKey,
  options: ClientCertOptions,
): Promise<IssuedCertificate> {
  return await issueLeaf(
    "Cannot issue client certificate",
    ca,
    options,
    DEFAULT_LEAF_VALIDITY_DAYS,
    ["clientAuth"],
    [],
    [],
  );
}

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
  dnsNames: string[],
  ipAddresses: string[],
): Promise<IssuedCertificate> {
  const name = subjectName(what, options.commonName, options.organizations);
  const algorithm = checkAlgorithm(what, options.algorithm);
  const window = validityWindow(what, options.now, options.validityDays ?? defaultValidityDays);
  const issuer = await issuerOf(what, ca, window.now);
  const notAfter = window.notAfter > issuer.notAfter ? issuer.notAfter : window.notAfter;

  const keys = await generateKeys(algorithm);
  const spki = new Uint8Array(await crypto.subtle.exportKey("spki", keys.publicKey));
  const tbs = encodeTbs({
    serial: randomSerialNumber(),
    // The CA's own subject bytes: Go and webpki build chains by comparing raw names.
    issuer: issuer.subject,
    subject: encodeName(name.commonName, name.organizations),
    notBefore: window.notBefore,
    notAfter,
    spki,
    signatureAlgorithm: signatureAlgorithmIdentifier(issuer.signingKey),
    subjectKeyId: await keyIdentifier(spki),
    authorityKeyId: issuer.keyId,
    extendedKeyUsages,
    rsa: keys.publicKey.algorithm.name === "RSASSA-PKCS1-v1_5",
    dnsNames,
    ipAddresses: ipAddresses.map((ip) => parseIp(ip)!),
  });
  return {
    certPem: pemEncode(await signCertificate(tbs, issuer.signingKey), "CERTIFICATE"),
    keyPem: await privateKeyPem(keys.privateKey),
    notBefore: window.notBefore,
    notAfter,
    dnsNames,
  };
}

/** What signing with a CA needs. */
interface Issuer {
  signingKey: CryptoKey;
  /** The CA's subject, DER, byte for byte as in its certificate. */
  subject: Uint8Array;
  keyId: Uint8Array;
  notBefore: Date;
  notAfter: Date;
  /** The subject as text, for error messages. */
  subjectText: string;
}

/** CAs made in this process, by the object handed out, with the PEM texts they were made with. */
const madeHere = new WeakMap<object, Issuer & { certPem: string; keyPem: string }>();

function remember(ca: CertificateAndKey, issuer: Issuer): void {
  madeHere.set(ca, { ...issuer, certPem: ca.certPem, keyPem: ca.keyPem });
}

function describeName(commonName: string, organizations: readonly string[]): string {
  return [...organizations.map((o) => `O=${o}`), `CN=${commonName}`].join(", ");
}

/** The issuer for `ca`: from memory when this process made it (and it is unchanged), else parsed and checked. */
async function issuerOf(what: string, ca: CertificateAndKey, now: Date): Promise<Issuer> {
  if (ca === null || typeof ca !== "object") {
    throw new TypeError(`${what}: ca is not a certificate and key`);
  }
  const known = madeHere.get(ca);
  if (!known || known.certPem !== ca.certPem || known.keyPem !== ca.keyPem) {
    return await loadIssuer(await loadX509(), what, ca, now);
  }
  checkCaTime(what, known.subjectText, known.notBefore, known.notAfter, now);
  return known;
}

function checkCaTime(what: string, subject: string, notBefore: Date, notAfter: Date, now: Date): void {
  if (now < notBefore) {
    throw new Error(
      `${what}: CA certificate "${subject}" is not valid until ${notBefore.toISOString()} ` +
        `(now is ${now.toISOString()})`,
    );
  }
  if (now > notAfter) {
    throw new Error(
      `${what}: CA certificate "${subject}" expired at ${notAfter.toISOString()} ` +
        `(now is ${now.toISOString()})`,
    );
  }
}

async function loadIssuer(
  x509: X509Module,
  what: string,
  ca: CertificateAndKey,
  now: Date,
): Promise<Issuer> {
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
  checkCaTime(what, info.subject, info.notBefore, info.notAfter, now);

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

  const der = new Uint8Array(certificate.rawData);
  const ski = certificate.getExtension(x509.SubjectKeyIdentifierExtension);
  const keyId = ski ? fromHex(ski.keyId) : await keyIdentifier(new Uint8Array(certificate.publicKey.rawData));
  return {
    signingKey,
    subject: rawSubject(der),
    keyId,
    notBefore: info.notBefore,
    notAfter: info.notAfter,
    subjectText: info.subject,
  };
}

/** The subject Name of a DER certificate, byte for byte (tbsCertificate's sixth field). */
export function rawSubject(der: Uint8Array): Uint8Array {
  const [tbs] = children(der, readElement(der, 0));
  if (!tbs) throw new Error("certificate has no tbsCertificate");
  // [0] version, serialNumber, signature, issuer, validity, subject, ...
  const fields = children(der, tbs);
  const subject = fields[fields[0]?.tag === 0xa0 ? 5 : 4];
  if (!subject) throw new Error("certificate has no subject");
  return der.slice(subject.start, subject.end);
}

function fromHex(text: string): Uint8Array {
  return Uint8Array.from(text.match(/../g) ?? [], (pair) => parseInt(pair, 16));
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

function randomSerialNumber(): Uint8Array {
  const bytes = crypto.getRandomValues(new Uint8Array(SERIAL_NUMBER_BYTES));
  // Positive (top bit clear) and of full length (next bit set), so no DER padding or trimming.
  bytes[0] = (bytes[0]! & 0x7f) | 0x40;
  return bytes;
}

function uniq(values: string[]): string[] {
  return [...new Set(values)];
}
