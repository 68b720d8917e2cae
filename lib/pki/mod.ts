/**
 * Certificates for plumber and its test control planes: a self-signed CA, server and client
 * certificates issued by it, and bare key pairs (kube-apiserver service-account signing keys).
 *
 * Everything is PEM in and PEM out: certificates as "CERTIFICATE", private keys as PKCS#8
 * "PRIVATE KEY", public keys as SPKI "PUBLIC KEY", so the results can go straight into
 * Kubernetes Secrets, kubeconfigs and kube-apiserver flags. The certificates follow what Go's
 * crypto/x509 (and so kube-apiserver, client-go and ingress-nginx) expects.
 *
 * Importing this module is cheap: certificates are built with this module's own DER encoder
 * (`der.ts`, `certificate.ts`) and signed with Web Crypto, and `@peculiar/x509` and
 * `reflect-metadata` are loaded only by the first call that reads a certificate, or issues with a CA
 * given as PEM that was not made in this process (see `x509.ts`). Issuing a new CA and its leaves
 * never loads them. That is why {@linkcode readCertificate}, {@linkcode needsRenewal}
 * and {@linkcode renewalTime} are async.
 *
 * - `issue.ts`: {@linkcode createCertificateAuthority}, {@linkcode issueServerCertificate},
 *   {@linkcode issueClientCertificate}, and {@linkcode issueCertificateAuthority},
 *   {@linkcode issueServer}, {@linkcode issueClient}, which also return each certificate's validity
 *   window and DNS names so that callers need not parse what they just issued
 * - `read.ts`: {@linkcode readCertificate}; `renewal.ts`: {@linkcode needsRenewal},
 *   {@linkcode renewalTime}
 * - `keys.ts`: {@linkcode generateKeyPairPem} and the Web Crypto key helpers
 * - `checks.ts` and `ip.ts`: option checks; `pem.ts`: PEM encoding; `types.ts`: the public types
 *
 * @module
 */

export {
  createCertificateAuthority,
  issueCertificateAuthority,
  issueClient,
  issueClientCertificate,
  issueServer,
  issueServerCertificate,
} from "./issue.ts";
export { generateKeyPairPem } from "./keys.ts";
export { readCertificate } from "./read.ts";
export { needsRenewal, renewalTime, renewalTimeOf } from "./renewal.ts";
export {
  type CaOptions,
  type CertificateAndKey,
  type CertificateInfo,
  type ClientCertOptions,
  type IssuedCertificate,
  KEY_ALGORITHMS,
  type KeyAlgorithm,
  type KeyPairPem,
  type ServerCertOptions,
} from "./types.ts";
