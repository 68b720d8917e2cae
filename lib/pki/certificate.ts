/**
 * Building and signing plumber's X.509 v3 certificates with {@link ./der.ts}, without an ASN.1 or
 * X.509 library: a CA template and a leaf template (server and/or client), encoded exactly as
 * `@peculiar/x509` encoded them before (same names, extensions, order and key identifiers).
 *
 * @module
 */

import {
  bitString,
  boolean,
  children,
  explicit,
  implicit,
  integer,
  integerFromBytes,
  isPrintable,
  namedBits,
  nullValue,
  octetString,
  oid,
  printableString,
  readElement,
  sequence,
  set,
  TAG,
  time,
  utf8String,
} from "./der.ts";

const OID = {
  commonName: "2.5.4.3",
  organizationName: "2.5.4.10",
  basicConstraints: "2.5.29.19",
  keyUsage: "2.5.29.15",
  extKeyUsage: "2.5.29.37",
  subjectKeyIdentifier: "2.5.29.14",
  authorityKeyIdentifier: "2.5.29.35",
  subjectAltName: "2.5.29.17",
  serverAuth: "1.3.6.1.5.5.7.3.1",
  clientAuth: "1.3.6.1.5.5.7.3.2",
  ecdsaWithSha256: "1.2.840.10045.4.3.2",
  ecdsaWithSha384: "1.2.840.10045.4.3.3",
  ecdsaWithSha512: "1.2.840.10045.4.3.4",
  sha256WithRsa: "1.2.840.113549.1.1.11",
} as const;

/** keyUsage bit numbers (RFC 5280 §4.2.1.3). */
export const KEY_USAGE = { digitalSignature: 0, keyEncipherment: 2, keyCertSign: 5, cRLSign: 6 } as const;

/** Extended key usages plumber puts in leaf certificates. */
export type ExtendedKeyUsage = "serverAuth" | "clientAuth";

/**
 * A distinguished name: one RDN per organization (O), then one for the common name (CN), each a
 * PrintableString when the text fits, else a UTF8String (as Go encodes them).
 */
export function encodeName(commonName: string, organizations: readonly string[]): Uint8Array<ArrayBuffer> {
  const rdn = (type: string, text: string) =>
    set(sequence(oid(type), isPrintable(text) ? printableString(text) : utf8String(text)));
  return sequence(
    ...organizations.map((o) => rdn(OID.organizationName, o)),
    rdn(OID.commonName, commonName),
  );
}

/** One Extension: extnID, critical (only when true: DEFAULT FALSE), extnValue. */
function extension(id: string, critical: boolean, value: Uint8Array): Uint8Array<ArrayBuffer> {
  return critical
    ? sequence(oid(id), boolean(true), octetString(value))
    : sequence(oid(id), octetString(value));
}

/** The subjectPublicKey bits of a DER SubjectPublicKeyInfo. */
export function subjectPublicKeyBits(spki: Uint8Array): Uint8Array {
  const outer = readElement(spki, 0);
  const [, key] = children(spki, outer);
  if (outer.tag !== TAG.SEQUENCE || key?.tag !== TAG.BIT_STRING || spki[key.contentStart] !== 0) {
    throw new Error("SubjectPublicKeyInfo is malformed");
  }
  return spki.subarray(key.contentStart + 1, key.end);
}

/**
 * The key identifier of a public key: SHA-1 of the subjectPublicKey bits (RFC 5280 §4.2.1.2 method
 * 1), as @peculiar/x509's `SubjectKeyIdentifierExtension.create` and Go compute it.
 */
export async function keyIdentifier(spki: Uint8Array): Promise<Uint8Array<ArrayBuffer>> {
  const bits = subjectPublicKeyBits(spki);
  return new Uint8Array(await crypto.subtle.digest("SHA-1", bits as Uint8Array<ArrayBuffer>));
}

/** The AlgorithmIdentifier of the signature a key makes (ECDSA with the curve's hash, or sha256WithRSA). */
export function signatureAlgorithmIdentifier(key: CryptoKey): Uint8Array<ArrayBuffer> {
  const algorithm = key.algorithm as KeyAlgorithm & { namedCurve?: string };
  if (algorithm.name === "ECDSA") {
    const id = algorithm.namedCurve === "P-384"
      ? OID.ecdsaWithSha384
      : algorithm.namedCurve === "P-521"
      ? OID.ecdsaWithSha512
      : OID.ecdsaWithSha256;
    return sequence(oid(id));
  }
  if (algorithm.name === "RSASSA-PKCS1-v1_5") return sequence(oid(OID.sha256WithRsa), nullValue());
  throw new Error(`key algorithm ${algorithm.name} is not supported (want ECDSA or RSASSA-PKCS1-v1_5)`);
}

/** What the TBSCertificate of a plumber certificate holds. */
export interface TbsParams {
  /** Serial number, big-endian unsigned. */
  serial: Uint8Array;
  /** The issuer's subject, DER (for a self-signed CA: `subject`). */
  issuer: Uint8Array;
  subject: Uint8Array;
  notBefore: Date;
  notAfter: Date;
  /** The subject's public key, DER SubjectPublicKeyInfo. */
  spki: Uint8Array;
  /** AlgorithmIdentifier of the issuer's signature. */
  signatureAlgorithm: Uint8Array;
  /** SHA-1 key identifier of `spki`. */
  subjectKeyId: Uint8Array;
  /** CA template: basicConstraints CA:TRUE, keyUsage keyCertSign, cRLSign, digitalSignature. */
  ca?: boolean;
  /** Leaf template only: the issuer's key identifier. */
  authorityKeyId?: Uint8Array;
  /** Leaf template only. */
  extendedKeyUsages?: readonly ExtendedKeyUsage[];
  /** Leaf template only: whether the subject key is RSA (adds keyEncipherment). */
  rsa?: boolean;
  dnsNames?: readonly string[];
  /** IP addresses as 4 or 16 bytes. */
  ipAddresses?: readonly Uint8Array[];
}

/** The DER TBSCertificate of the CA template or the leaf template. */
export function encodeTbs(params: TbsParams): Uint8Array<ArrayBuffer> {
  const extensions: Uint8Array[] = [];
  if (params.ca) {
    extensions.push(
      extension(OID.basicConstraints, true, sequence(boolean(true))),
      extension(
        OID.keyUsage,
        true,
        namedBits([KEY_USAGE.digitalSignature, KEY_USAGE.keyCertSign, KEY_USAGE.cRLSign]),
      ),
      extension(OID.subjectKeyIdentifier, false, octetString(params.subjectKeyId)),
    );
  } else {
    if (!params.authorityKeyId) throw new Error("a leaf certificate needs the issuer's key identifier");
    extensions.push(
      // cA FALSE is the DEFAULT, so it is left out: an empty SEQUENCE.
      extension(OID.basicConstraints, true, sequence()),
      extension(
        OID.keyUsage,
        true,
        namedBits(
          params.rsa ? [KEY_USAGE.digitalSignature, KEY_USAGE.keyEncipherment] : [KEY_USAGE.digitalSignature],
        ),
      ),
      extension(
        OID.extKeyUsage,
        false,
        sequence(...(params.extendedKeyUsages ?? []).map((usage) => oid(OID[usage]))),
      ),
      extension(OID.subjectKeyIdentifier, false, octetString(params.subjectKeyId)),
      extension(OID.authorityKeyIdentifier, false, sequence(implicit(0, params.authorityKeyId))),
    );
    const dnsNames = params.dnsNames ?? [];
    const ips = params.ipAddresses ?? [];
    if (dnsNames.length + ips.length > 0) {
      const names = [
        ...dnsNames.map((name) => implicitIa5(2, name)),
        ...ips.map((ip) => implicit(7, ip)),
      ];
      extensions.push(extension(OID.subjectAltName, false, sequence(...names)));
    }
  }
  return sequence(
    explicit(0, integer(2)),
    integerFromBytes(params.serial),
    params.signatureAlgorithm,
    params.issuer,
    sequence(time(params.notBefore), time(params.notAfter)),
    params.subject,
    params.spki,
    explicit(3, sequence(...extensions)),
  );
}

function implicitIa5(number: number, text: string): Uint8Array<ArrayBuffer> {
  // deno-lint-ignore no-control-regex
  if (!/^[\x00-\x7f]*$/.test(text)) throw new RangeError(`"${text}" is not IA5 (ASCII) text`);
  return implicit(number, new TextEncoder().encode(text));
}

/**
 * An ECDSA signature as Web Crypto returns it (r || s, each the curve size) as a DER Ecdsa-Sig-Value:
 * SEQUENCE { INTEGER r, INTEGER s }, minimal INTEGERs.
 */
export function ecdsaSignatureToDer(raw: Uint8Array): Uint8Array<ArrayBuffer> {
  if (raw.length === 0 || raw.length % 2 !== 0) {
    throw new RangeError(`ECDSA signature of ${raw.length} bytes is not r || s`);
  }
  const half = raw.length / 2;
  return sequence(integerFromBytes(raw.subarray(0, half)), integerFromBytes(raw.subarray(half)));
}

/** Signs `tbs` with `key` and returns the DER Certificate. */
export async function signCertificate(
  tbs: Uint8Array<ArrayBuffer>,
  key: CryptoKey,
): Promise<Uint8Array<ArrayBuffer>> {
  const algorithm = key.algorithm as KeyAlgorithm & { namedCurve?: string };
  let signature: Uint8Array;
  if (algorithm.name === "ECDSA") {
    const hash = algorithm.namedCurve === "P-384"
      ? "SHA-384"
      : algorithm.namedCurve === "P-521"
      ? "SHA-512"
      : "SHA-256";
    signature = ecdsaSignatureToDer(
      new Uint8Array(await crypto.subtle.sign({ name: "ECDSA", hash }, key, tbs)),
    );
  } else {
    signature = new Uint8Array(await crypto.subtle.sign({ name: "RSASSA-PKCS1-v1_5" }, key, tbs));
  }
  return sequence(tbs, signatureAlgorithmIdentifier(key), bitString(signature));
}
