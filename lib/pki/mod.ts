/**
 * Certificates for plumber and its test control planes: a self-signed CA, server and client
 * certificates issued by it, and bare key pairs (kube-apiserver service-account signing keys).
 *
 * Everything is PEM in and PEM out: certificates as "CERTIFICATE", private keys as PKCS#8
 * "PRIVATE KEY", public keys as SPKI "PUBLIC KEY", so the results can go straight into
 * Kubernetes Secrets, kubeconfigs and kube-apiserver flags. The certificates follow what Go's
 * crypto/x509 (and so kube-apiserver, client-go and ingress-nginx) expects.
 *
 * Importing this module is cheap: `@peculiar/x509` and `reflect-metadata` are loaded by the first
 * call that issues or reads a certificate (see `x509.ts`), so an operator without an mTLS
 * Replicator never loads them. That is why {@linkcode readCertificate}, {@linkcode needsRenewal}
 * and {@linkcode renewalTime} are async.
 *
 * - `issue.ts`: {@linkcode createCertificateAuthority}, {@linkcode issueServerCertificate},
 *   {@linkcode issueClientCertificate}
 * - `read.ts`: {@linkcode readCertificate}; `renewal.ts`: {@linkcode needsRenewal},
 *   {@linkcode renewalTime}
 * - `keys.ts`: {@linkcode generateKeyPairPem} and the Web Crypto key helpers
 * - `checks.ts` and `ip.ts`: option checks; `pem.ts`: PEM encoding; `types.ts`: the public types
 *
 * @module
 */

export { createCertificateAuthority, issueClientCertificate, issueServerCertificate } from "./issue.ts";
export { generateKeyPairPem } from "./keys.ts";
export { readCertificate } from "./read.ts";
export { needsRenewal, renewalTime } from "./renewal.ts";
export {
  type CaOptions,
  type CertificateAndKey,
  type CertificateInfo,
  type ClientCertOptions,
  KEY_ALGORITHMS,
  type KeyAlgorithm,
  type KeyPairPem,
  type ServerCertOptions,
} from "./types.ts";
