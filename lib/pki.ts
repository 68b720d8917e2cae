/**
 * Certificates for plumber and its test control planes: a self-signed CA, server and client
 * certificates issued by it, and bare key pairs (kube-apiserver service-account signing keys).
 *
 * Everything is PEM in and PEM out: certificates as "CERTIFICATE", private keys as PKCS#8
 * "PRIVATE KEY", public keys as SPKI "PUBLIC KEY", so the results can go straight into
 * Kubernetes Secrets, kubeconfigs and kube-apiserver flags. The certificates follow what Go's
 * crypto/x509 (and so kube-apiserver, client-go and ingress-nginx) expects.
 *
 * @module
 */

import "reflect-metadata";
import * as x509 from "@peculiar/x509";

/** Key algorithms that plumber generates. ECDSA P-256 is the default: small and fast. */
export type KeyAlgorithm = "ecdsa-p256" | "rsa-2048" | "rsa-3072";

/** Every {@linkcode KeyAlgorithm}, for validating user input (for example a CLI flag). */
export const KEY_ALGORITHMS: readonly KeyAlgorithm[] = Object.freeze(["ecdsa-p256", "rsa-2048", "rsa-3072"]);

/** A certificate and its private key. */
export interface CertificateAndKey {
  /** The certificate, one PEM "CERTIFICATE" block. */
  certPem: string;
  /** The private key, one PKCS#8 PEM "PRIVATE KEY" block. */
  keyPem: string;
}

/** Options of {@linkcode createCertificateAuthority}. */
export interface CaOptions {
  /** Subject common name (CN) of the CA. */
  commonName: string;
  /** Subject organizations (O), in order. */
  organizations?: string[];
  /** Lifetime in days, counted from `now`. Default 3650. */
  validityDays?: number;
  /** Key algorithm. Default "ecdsa-p256". */
  algorithm?: KeyAlgorithm;
  /** The current time. Default `new Date()`. */
  now?: Date;
}

/** Options of {@linkcode issueServerCertificate}. */
export interface ServerCertOptions {
  /** Subject common name (CN). TLS clients match names against the SANs, not the CN. */
  commonName: string;
  /** DNS subject alternative names; a leading "*." makes a wildcard. */
  dnsNames?: string[];
  /** IP subject alternative names, IPv4 or IPv6. */
  ipAddresses?: string[];
  /** Lifetime in days, counted from `now`; never beyond the CA's own expiry. Default 365. */
  validityDays?: number;
  /** Key algorithm. Default "ecdsa-p256". */
  algorithm?: KeyAlgorithm;
  /** The current time. Default `new Date()`. */
  now?: Date;
  /** Subject organizations (O), in order. */
  organizations?: string[];
  /**
   * Also allow the certificate as a TLS client certificate (extended key usage clientAuth), as an
   * etcd peer certificate needs. Default false: serverAuth only.
   */
  clientAuth?: boolean;
}

/** Options of {@linkcode issueClientCertificate}. */
export interface ClientCertOptions {
  /** Subject common name (CN); Kubernetes reads it as the user name. */
  commonName: string;
  /** Subject organizations (O); Kubernetes reads them as groups ("system:masters" is admin). */
  organizations?: string[];
  /** Lifetime in days, counted from `now`; never beyond the CA's own expiry. Default 365. */
  validityDays?: number;
  /** Key algorithm. Default "ecdsa-p256". */
  algorithm?: KeyAlgorithm;
  /** The current time. Default `new Date()`. */
  now?: Date;
}

/** A bare key pair in PEM. */
export interface KeyPairPem {
  /** PKCS#8 PEM "PRIVATE KEY". */
  privateKeyPem: string;
  /** SPKI PEM "PUBLIC KEY". */
  publicKeyPem: string;
}

/** What {@linkcode readCertificate} finds in a certificate. */
export interface CertificateInfo {
  /** Subject distinguished name as text, for example "O=system:masters, CN=admin". */
  subject: string;
  /** First subject common name (CN), if any. */
  commonName?: string;
  /** Subject organizations (O), in order. */
  organizations: string[];
  /** Issuer distinguished name as text. */
  issuer: string;
  /** DNS subject alternative names. */
  dnsNames: string[];
  /** IP subject alternative names as text ("127.0.0.1", "::1"). */
  ipAddresses: string[];
  /** Start of the validity window. */
  notBefore: Date;
  /** End of the validity window. */
  notAfter: Date;
  /** Whether basicConstraints says CA:TRUE. */
  isCA: boolean;
  /** Serial number in lowercase hexadecimal. */
  serialNumber: string;
}

const DEFAULT_ALGORITHM: KeyAlgorithm = "ecdsa-p256";
const DEFAULT_CA_VALIDITY_DAYS = 3650;
const DEFAULT_LEAF_VALIDITY_DAYS = 365;
const DEFAULT_RENEWAL_FRACTION = 2 / 3;
const DAY_MS = 24 * 60 * 60 * 1000;
/** notBefore is back-dated by this much so that peers with slightly slow clocks accept new certificates. */
const CLOCK_SKEW_MS = 60 * 1000;
/** The last instant a 4-digit GeneralizedTime can express. */
const LATEST_NOT_AFTER_MS = Date.UTC(9999, 11, 31, 23, 59, 59);
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

  const keys = await generateKeys(algorithm);
  const certificate = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerialNumber(),
    subject,
    issuer: subject,
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
  const sans: x509.JsonGeneralNames = [
    ...dnsNames.map((value) => ({ type: "dns" as const, value })),
    ...ipAddresses.map((value) => ({ type: "ip" as const, value })),
  ];
  const usages = [x509.ExtendedKeyUsage.serverAuth as string];
  if (options.clientAuth) usages.push(x509.ExtendedKeyUsage.clientAuth);
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
    [x509.ExtendedKeyUsage.clientAuth],
    [],
  );
}

/**
 * Generates a key pair, as for kube-apiserver's `--service-account-signing-key-file` (private)
 * and `--service-account-key-file` (public).
 *
 * @example
 * ```ts
 * const { privateKeyPem, publicKeyPem } = await generateKeyPairPem("rsa-2048");
 * ```
 *
 * @param algorithm Key algorithm. Default "ecdsa-p256".
 * @throws {RangeError} if `algorithm` is not a {@linkcode KeyAlgorithm}.
 */
export async function generateKeyPairPem(algorithm?: KeyAlgorithm): Promise<KeyPairPem> {
  const keys = await generateKeys(checkAlgorithm("Cannot generate key pair", algorithm));
  return {
    privateKeyPem: await privateKeyPem(keys.privateKey),
    publicKeyPem: pemEncode(
      new Uint8Array(await crypto.subtle.exportKey("spki", keys.publicKey)),
      "PUBLIC KEY",
    ),
  };
}

/**
 * Reads the first "CERTIFICATE" block of a PEM text (other blocks, such as a key, are skipped).
 *
 * @example
 * ```ts
 * const ca = await createCertificateAuthority({ commonName: "plumber-ca" });
 * const info = readCertificate(ca.certPem);
 * console.log(info.commonName, info.notAfter.toISOString());
 * ```
 *
 * @throws {Error} if there is no CERTIFICATE block or it is not an X.509 certificate. The message
 * never repeats the input.
 */
export function readCertificate(pem: string): CertificateInfo {
  return parseCertificate("Cannot read certificate", pem).info;
}

/**
 * Tells whether a certificate is due for renewal: true once `fraction` of its lifetime
 * (notBefore to notAfter) has passed, and so also once it has expired.
 *
 * @example
 * ```ts
 * const ca = await createCertificateAuthority({ commonName: "plumber-ca" });
 * if (needsRenewal(ca.certPem)) {
 *   // issue a new one
 * }
 * ```
 *
 * @param pemOrInfo A PEM certificate or what {@linkcode readCertificate} returned for it.
 * @param now The current time. Default `new Date()`.
 * @param fraction Share of the lifetime after which to renew, in (0, 1]. Default 2/3.
 * @throws {RangeError} if `fraction` or `now` is invalid.
 * @throws {Error} if the PEM does not parse.
 */
export function needsRenewal(
  pemOrInfo: string | CertificateInfo,
  now: Date = new Date(),
  fraction: number = DEFAULT_RENEWAL_FRACTION,
): boolean {
  const at = checkDate("Cannot check certificate renewal", now);
  return at >= renewalTime(pemOrInfo, fraction).getTime();
}

/**
 * When a certificate becomes due for renewal: notBefore plus `fraction` of its lifetime. Useful as
 * a requeue time for a controller.
 *
 * @example
 * ```ts
 * const ca = await createCertificateAuthority({ commonName: "plumber-ca" });
 * const requeueAfterMs = Math.max(0, renewalTime(ca.certPem).getTime() - Date.now());
 * ```
 *
 * @param pemOrInfo A PEM certificate or what {@linkcode readCertificate} returned for it.
 * @param fraction Share of the lifetime after which to renew, in (0, 1]. Default 2/3.
 * @throws {RangeError} if `fraction` is invalid.
 * @throws {Error} if the PEM does not parse.
 */
export function renewalTime(
  pemOrInfo: string | CertificateInfo,
  fraction: number = DEFAULT_RENEWAL_FRACTION,
): Date {
  if (typeof fraction !== "number" || !(fraction > 0 && fraction <= 1)) {
    throw new RangeError(`Cannot compute renewal time: fraction ${fraction} is not in (0, 1]`);
  }
  const info = typeof pemOrInfo === "string" ? readCertificate(pemOrInfo) : pemOrInfo;
  const start = info.notBefore.getTime();
  const end = info.notAfter.getTime();
  if (fraction === 1) return new Date(end);
  return new Date(start + Math.floor((end - start) * fraction));
}

// ---------------------------------------------------------------------------------------------

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
  extendedKeyUsages: string[],
  sans: x509.JsonGeneralNames,
): Promise<CertificateAndKey> {
  const subject = subjectName(what, options.commonName, options.organizations);
  const algorithm = checkAlgorithm(what, options.algorithm);
  const window = validityWindow(what, options.now, options.validityDays ?? defaultValidityDays);
  const issuer = await loadIssuer(what, ca, window.now);
  const notAfter = window.notAfter > issuer.notAfter ? issuer.notAfter : window.notAfter;

  const keys = await generateKeys(algorithm);
  const isRsa = keys.publicKey.algorithm.name === "RSASSA-PKCS1-v1_5";
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(
      x509.KeyUsageFlags.digitalSignature | (isRsa ? x509.KeyUsageFlags.keyEncipherment : 0),
      true,
    ),
    new x509.ExtendedKeyUsageExtension(extendedKeyUsages, false),
    await x509.SubjectKeyIdentifierExtension.create(keys.publicKey, false, crypto),
    new x509.AuthorityKeyIdentifierExtension(issuer.keyId, false),
  ];
  if (sans.length > 0) extensions.push(new x509.SubjectAlternativeNameExtension(sans, false));

  const certificate = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerialNumber(),
    subject,
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
  certificate: x509.X509Certificate;
  signingKey: CryptoKey;
  signingAlgorithm: Algorithm | EcdsaParams;
  keyId: string;
  notAfter: Date;
}

async function loadIssuer(what: string, ca: CertificateAndKey, now: Date): Promise<Issuer> {
  if (ca === null || typeof ca !== "object") {
    throw new TypeError(`${what}: ca is not a certificate and key`);
  }
  const { certificate, info } = parseCertificate(`${what}: CA certificate`, ca.certPem);
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
  const keyId = ski?.keyId ??
    x509Hex(await certificate.publicKey.getKeyIdentifier(crypto));
  return { certificate, signingKey, signingAlgorithm, keyId, notAfter: info.notAfter };
}

/** Signs a probe with the private key and verifies it with the certificate's public key. */
async function keyMatchesCertificate(
  key: CryptoKey,
  importAlgorithm: RsaHashedImportParams | EcKeyImportParams,
  signingAlgorithm: Algorithm | EcdsaParams,
  certificate: x509.X509Certificate,
): Promise<boolean> {
  const probe = new TextEncoder().encode("plumber: does this key belong to this certificate?");
  const signature = await crypto.subtle.sign(signingAlgorithm, key, probe);
  const publicKey = await certificate.publicKey.export(importAlgorithm, ["verify"], crypto);
  return await crypto.subtle.verify(signingAlgorithm, publicKey, signature, probe);
}

/** The signature algorithm Go would pick for a key: SHA-256 for RSA and P-256, bigger hashes for bigger curves. */
function signingAlgorithmFor(keyAlgorithm: KeyAlgorithmLike): Algorithm | EcdsaParams {
  if (keyAlgorithm.name === "ECDSA") {
    const hash = keyAlgorithm.namedCurve === "P-384"
      ? "SHA-384"
      : keyAlgorithm.namedCurve === "P-521"
      ? "SHA-512"
      : "SHA-256";
    return { name: "ECDSA", hash } as EcdsaParams;
  }
  return { name: "RSASSA-PKCS1-v1_5" };
}

type KeyAlgorithmLike = { name: string; namedCurve?: string };

async function generateKeys(algorithm: KeyAlgorithm): Promise<CryptoKeyPair> {
  const params: RsaHashedKeyGenParams | EcKeyGenParams = algorithm === "ecdsa-p256"
    ? { name: "ECDSA", namedCurve: "P-256" }
    : {
      name: "RSASSA-PKCS1-v1_5",
      modulusLength: algorithm === "rsa-2048" ? 2048 : 3072,
      publicExponent: new Uint8Array([1, 0, 1]),
      hash: "SHA-256",
    };
  return await crypto.subtle.generateKey(params, true, ["sign", "verify"]) as CryptoKeyPair;
}

async function privateKeyPem(key: CryptoKey): Promise<string> {
  return pemEncode(new Uint8Array(await crypto.subtle.exportKey("pkcs8", key)), "PRIVATE KEY");
}

async function importPrivateKey(
  what: string,
  pem: unknown,
  algorithm: RsaHashedImportParams | EcKeyImportParams,
): Promise<CryptoKey> {
  if (typeof pem !== "string") throw new TypeError(`${what} is not a PEM string`);
  // Only the labels are reported, never the block contents.
  const blocks = pemBlocks(pem);
  const block = blocks.find((b) => b.label === "PRIVATE KEY");
  if (!block) {
    const labels = blocks.map((b) => b.label);
    const hint = labels.includes("RSA PRIVATE KEY") || labels.includes("EC PRIVATE KEY")
      ? " (convert it with `openssl pkcs8 -topk8 -nocrypt`)"
      : "";
    throw new Error(
      `${what} has no PKCS#8 "PRIVATE KEY" PEM block (found ${
        labels.length ? labels.map((l) => `"${l}"`).join(", ") : "no PEM blocks"
      })${hint}`,
    );
  }
  if (block.der === undefined) {
    throw new Error(`${what} has a "PRIVATE KEY" PEM block that is not valid base64`);
  }
  try {
    return await crypto.subtle.importKey("pkcs8", block.der, algorithm, false, ["sign"]);
  } catch {
    // The cause is deliberately dropped: it is about key bytes.
    throw new Error(`${what} is not a valid PKCS#8 ${algorithm.name} private key`);
  }
}

function parseCertificate(
  what: string,
  pem: unknown,
): { certificate: x509.X509Certificate; info: CertificateInfo } {
  if (typeof pem !== "string") throw new TypeError(`${what} is not a PEM string`);
  const block = pemBlocks(pem).find((b) => b.label === "CERTIFICATE");
  if (!block) throw new Error(`${what}: no "CERTIFICATE" PEM block found`);
  if (block.der === undefined) throw new Error(`${what}: the "CERTIFICATE" PEM block is not valid base64`);
  try {
    const certificate = new x509.X509Certificate(block.der);
    // describe() touches the lazily parsed fields, so a broken certificate fails here, not later.
    return { certificate, info: describe(certificate) };
  } catch (cause) {
    throw new Error(`${what}: the "CERTIFICATE" PEM block is not a valid X.509 certificate`, { cause });
  }
}

function describe(certificate: x509.X509Certificate): CertificateInfo {
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

// ---------------------------------------------------------------------------------------------
// Input checks

function checkAlgorithm(what: string, algorithm: unknown): KeyAlgorithm {
  if (algorithm === undefined) return DEFAULT_ALGORITHM;
  if (!(KEY_ALGORITHMS as readonly unknown[]).includes(algorithm)) {
    throw new RangeError(
      `${what}: algorithm ${JSON.stringify(algorithm)} is not one of ${KEY_ALGORITHMS.join(", ")}`,
    );
  }
  return algorithm as KeyAlgorithm;
}

function checkDate(what: string, now: unknown): number {
  if (!(now instanceof Date) || Number.isNaN(now.getTime())) {
    throw new RangeError(`${what}: now ${String(now)} is not a valid Date`);
  }
  return now.getTime();
}

function validityWindow(
  what: string,
  now: Date | undefined,
  validityDays: number,
): { now: Date; notBefore: Date; notAfter: Date } {
  const at = now === undefined ? Date.now() : checkDate(what, now);
  if (typeof validityDays !== "number" || !Number.isFinite(validityDays) || validityDays <= 0) {
    throw new RangeError(`${what}: validityDays ${String(validityDays)} is not a positive number`);
  }
  // X.509 times have whole seconds; rounding here keeps what we compute equal to what is read back.
  const start = Math.floor(at / 1000) * 1000;
  const end = start + Math.round(validityDays * DAY_MS / 1000) * 1000;
  if (end > LATEST_NOT_AFTER_MS) {
    throw new RangeError(`${what}: validityDays ${validityDays} ends after the year 9999`);
  }
  if (end <= start) {
    throw new RangeError(`${what}: validityDays ${validityDays} is shorter than a second`);
  }
  return { now: new Date(at), notBefore: new Date(start - CLOCK_SKEW_MS), notAfter: new Date(end) };
}

function subjectName(what: string, commonName: unknown, organizations: unknown): x509.Name {
  if (typeof commonName !== "string" || commonName.trim() === "") {
    throw new RangeError(`${what}: commonName ${JSON.stringify(commonName)} is empty`);
  }
  checkNameText(what, "commonName", commonName);
  if (organizations !== undefined && !Array.isArray(organizations)) {
    throw new RangeError(
      `${what}: organizations ${JSON.stringify(organizations)} is not an array of strings`,
    );
  }
  const orgs = (organizations ?? []) as unknown[];
  for (const org of orgs) {
    if (typeof org !== "string" || org.trim() === "") {
      throw new RangeError(`${what}: organizations entry ${JSON.stringify(org)} is empty`);
    }
    checkNameText(what, "organizations entry", org);
  }
  // Order as Kubernetes' own certificates: O first, then CN. Objects with explicit string types,
  // because @peculiar/x509 reinterprets plain strings (quotes, a leading "#").
  const rdns: x509.JsonNameParams = [
    ...(orgs as string[]).map((o) => ({ O: [directoryString(o)] })),
    { CN: [directoryString(commonName)] },
  ];
  return new x509.Name(rdns);
}

function checkNameText(what: string, field: string, value: string): void {
  // deno-lint-ignore no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(value)) {
    throw new RangeError(`${what}: ${field} ${JSON.stringify(value)} contains control characters`);
  }
}

function directoryString(text: string): x509.JsonAttributeObject {
  // PrintableString when it fits (as Go encodes), UTF8String otherwise.
  return /^[A-Za-z0-9 '()+,\-./:=?]*$/.test(text) ? { printableString: text } : { utf8String: text };
}

const DNS_LABEL = "[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?";
const DNS_NAME = new RegExp(`^(?:\\*\\.)?${DNS_LABEL}(?:\\.${DNS_LABEL})*$`, "i");

function checkDnsName(what: string, name: unknown): string {
  if (typeof name !== "string" || name === "") {
    throw new RangeError(`${what}: dnsNames entry ${JSON.stringify(name)} is empty`);
  }
  if (parseIp(name) !== undefined) {
    throw new RangeError(
      `${what}: dnsNames entry "${name}" is an IP address; put it in ipAddresses, clients match IPs only there`,
    );
  }
  if (name.length > 253 || !DNS_NAME.test(name)) {
    throw new RangeError(`${what}: dnsNames entry ${JSON.stringify(name)} is not a valid DNS name`);
  }
  return name.toLowerCase();
}

/** Validates an IP address and returns it in a form @peculiar/x509 encodes exactly (no "::" shorthand). */
function checkIpAddress(what: string, ip: unknown): string {
  const bytes = typeof ip === "string" ? parseIp(ip) : undefined;
  if (!bytes) {
    throw new RangeError(`${what}: ipAddresses entry ${JSON.stringify(ip)} is not an IPv4 or IPv6 address`);
  }
  if (bytes.length === 4) return bytes.join(".");
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i]! << 8) | bytes[i + 1]!).toString(16));
  return groups.join(":");
}

/**
 * Parses an IPv4 or IPv6 address strictly (no leading zeros in IPv4, no zone). IPv4-mapped IPv6
 * addresses become 4 bytes, as Go encodes them in certificates.
 */
function parseIp(text: string): Uint8Array | undefined {
  const v4 = parseIpv4(text);
  if (v4) return v4;
  if (!/^[0-9a-f:.]+$/i.test(text)) return undefined;
  const halves = text.split("::");
  if (halves.length > 2) return undefined;
  const parseGroups = (part: string, allowV4Tail: boolean): number[] | undefined => {
    if (part === "") return [];
    const out: number[] = [];
    const groups = part.split(":");
    for (const [i, group] of groups.entries()) {
      if (allowV4Tail && i === groups.length - 1 && group.includes(".")) {
        const tail = parseIpv4(group);
        if (!tail) return undefined;
        out.push((tail[0]! << 8) | tail[1]!, (tail[2]! << 8) | tail[3]!);
      } else if (/^[0-9a-f]{1,4}$/i.test(group)) {
        out.push(parseInt(group, 16));
      } else {
        return undefined;
      }
    }
    return out;
  };
  let groups: number[];
  if (halves.length === 2) {
    const head = parseGroups(halves[0]!, false);
    const tail = parseGroups(halves[1]!, true);
    if (!head || !tail || head.length + tail.length > 7) return undefined;
    groups = [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
  } else {
    const all = parseGroups(text, true);
    if (!all || all.length !== 8) return undefined;
    groups = all;
  }
  const bytes = new Uint8Array(16);
  groups.forEach((g, i) => {
    bytes[2 * i] = g >> 8;
    bytes[2 * i + 1] = g & 0xff;
  });
  const mapped = bytes.subarray(0, 12).every((b, i) => i < 10 ? b === 0 : b === 0xff);
  return mapped ? bytes.slice(12) : bytes;
}

function parseIpv4(text: string): Uint8Array | undefined {
  const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (!match) return undefined;
  const parts = match.slice(1).map((p) => (p.length > 1 && p.startsWith("0") ? NaN : Number(p)));
  if (parts.some((p) => !(p >= 0 && p <= 255))) return undefined;
  return new Uint8Array(parts);
}

// ---------------------------------------------------------------------------------------------
// Encoding helpers

function randomSerialNumber(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(SERIAL_NUMBER_BYTES));
  // Positive (top bit clear) and of full length (next bit set), so no DER padding or trimming.
  bytes[0] = (bytes[0]! & 0x7f) | 0x40;
  return x509Hex(bytes);
}

function x509Hex(bytes: ArrayBuffer | Uint8Array): string {
  return Array.from(new Uint8Array(bytes), (b) => b.toString(16).padStart(2, "0")).join("");
}

function uniq(values: string[]): string[] {
  return [...new Set(values)];
}

function pemEncode(der: Uint8Array, label: string): string {
  let binary = "";
  for (const byte of der) binary += String.fromCharCode(byte);
  const base64 = btoa(binary);
  const lines = base64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join("\n")}\n-----END ${label}-----\n`;
}

interface PemBlock {
  label: string;
  /** Undefined when the body is not valid base64 (or carries encryption headers). */
  der: Uint8Array<ArrayBuffer> | undefined;
}

function pemBlocks(text: string): PemBlock[] {
  const blocks: PemBlock[] = [];
  const pattern = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;
  for (const match of text.matchAll(pattern)) {
    const body = match[2]!.replace(/\s+/g, "");
    let der: Uint8Array<ArrayBuffer> | undefined;
    if (body !== "" && /^[A-Za-z0-9+/]+={0,2}$/.test(body) && body.length % 4 === 0) {
      const binary = atob(body);
      der = new Uint8Array(binary.length);
      for (let i = 0; i < binary.length; i++) der[i] = binary.charCodeAt(i);
    }
    blocks.push({ label: match[1]!, der });
  }
  return blocks;
}
