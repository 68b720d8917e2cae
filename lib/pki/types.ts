/**
 * The public types of `lib/pki/`: key algorithms, a certificate with its key, the options of the
 * issuing functions and what reading a certificate finds.
 *
 * @module
 */

/** Key algorithms that plumber generates. ECDSA P-256 is the default: small and fast. */
export type KeyAlgorithm = "ecdsa-p256" | "rsa-2048" | "rsa-3072";

/** Every {@linkcode KeyAlgorithm}, for validating user input (for example a CLI flag). */
export const KEY_ALGORITHMS: readonly KeyAlgorithm[] = Object.freeze(["ecdsa-p256", "rsa-2048", "rsa-3072"]);

/** The key algorithm used when none is given. */
export const DEFAULT_ALGORITHM: KeyAlgorithm = "ecdsa-p256";

/** A certificate and its private key. */
export interface CertificateAndKey {
  /** The certificate, one PEM "CERTIFICATE" block. */
  certPem: string;
  /** The private key, one PKCS#8 PEM "PRIVATE KEY" block. */
  keyPem: string;
}

/** A certificate just issued, with what callers would otherwise parse it for. */
export interface IssuedCertificate extends CertificateAndKey {
  /** Start of the validity window. */
  notBefore: Date;
  /** End of the validity window. */
  notAfter: Date;
  /** DNS subject alternative names (lowercased, without duplicates, in order); empty for a CA or client. */
  dnsNames: string[];
}

/** Options of `createCertificateAuthority`. */
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

/** Options of `issueServerCertificate`. */
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

/** Options of `issueClientCertificate`. */
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

/** What `readCertificate` finds in a certificate. */
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
