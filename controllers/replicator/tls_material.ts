/**
 * The mTLS material of a Replicator with `ingressSecureEnabled`: one CA, one
 * server certificate for the Ingress hosts and one client certificate,
 * generated once and kept in a Secret in the operator namespace (so an
 * operator restart does not rotate them), reused for every cluster, renewed
 * at 2/3 of their lifetime. A host change reissues the server certificate only.
 *
 * The Secret is read from an informer of plumber's TLS Secrets (label {@linkcode TLS_FOR_LABEL}), not
 * with a GET per Replicator, and carries what the decision needs (each certificate's renewal time and the
 * server's DNS names) in the annotation {@linkcode TLS_VALIDITY_ANNOTATION}, written with the certificates
 * and checked against a digest of them: an operator restart decides without parsing a certificate (nor
 * loading the X.509 library). A Secret without it (written by an earlier release, or edited by hand) is
 * parsed as before. Issuing does not parse either: the issuing functions return each new certificate's
 * validity window and DNS names, and a new CA signs its leaves with its key in memory, so creating a
 * Replicator's material never loads the X.509 library.
 *
 * @module
 */

import {
  type CertificateAndKey,
  issueCertificateAuthority,
  issueClient,
  type IssuedCertificate,
  issueServer,
  readCertificate,
  renewalTime,
  renewalTimeOf,
} from "../../lib/pki/mod.ts";
import type { KubeClient } from "../../lib/kube/client.ts";
import { API_VERSION, LABEL_MANAGED_BY, MANAGED_BY_VALUE, type Replicator } from "../../lib/api.ts";
import { type StoredTls, tlsSecretData, tlsSecretName, tlsSecretValues } from "../../lib/tls_secret.ts";
import { sha256Hex } from "../../lib/sha256.ts";

export { type StoredTls, tlsSecretName };

/** Label of the Secret that stores a Replicator's TLS material. */
export const TLS_FOR_LABEL = "plumber.jnytnai0613.github.io/tls-for";

/** Annotation of the TLS Secret: its certificates' {@linkcode TlsValidity} as JSON. */
export const TLS_VALIDITY_ANNOTATION = "plumber.jnytnai0613.github.io/tls-validity";

/** What deciding on renewal needs from the stored certificates, without parsing them. */
export interface TlsValidity {
  /** When each certificate is due for renewal (ISO 8601). */
  renewAt: { ca: string; server: string; client: string };
  /** The server certificate's DNS names. */
  dnsNames: string[];
  /** Digest of the three certificates' PEM texts: the annotation is trusted only for these. */
  certs: string;
}

/** The TLS Secret as the informer holds it. */
export interface TlsSecret {
  metadata?: { annotations?: Record<string, string> };
  data?: Record<string, string>;
}

/** What must be (re)issued. */
export interface TlsPlan {
  ca: boolean;
  server: boolean;
  client: boolean;
}

/** SHA-256 (hex) of the three certificates' PEM texts. */
function certsDigest(stored: StoredTls): string {
  return sha256Hex([stored.caCertPem, stored.serverCertPem, stored.clientCertPem].join("\n"));
}

/** Reads the stored certificates' validity (parses all three: once per issuance or unannotated Secret). */
export async function validityOf(stored: StoredTls): Promise<TlsValidity> {
  const [ca, server, client] = await Promise.all(
    [stored.caCertPem, stored.serverCertPem, stored.clientCertPem].map((pem) => readCertificate(pem)),
  );
  const at = async (info: typeof ca) => (await renewalTime(info!)).toISOString();
  return {
    renewAt: { ca: await at(ca), server: await at(server), client: await at(client) },
    dnsNames: [...server!.dnsNames],
    certs: certsDigest(stored),
  };
}

/** The validity the Secret's annotation states when it is about these certificates, else parsed from them. */
export async function storedValidity(secret: TlsSecret | undefined, stored: StoredTls): Promise<TlsValidity> {
  const noted = secret?.metadata?.annotations?.[TLS_VALIDITY_ANNOTATION];
  if (noted) {
    try {
      const v = JSON.parse(noted) as TlsValidity;
      const dates = [v.renewAt?.ca, v.renewAt?.server, v.renewAt?.client];
      if (
        dates.every((d) => typeof d === "string" && !Number.isNaN(Date.parse(d))) &&
        Array.isArray(v.dnsNames) && v.certs === certsDigest(stored)
      ) return v;
    } catch {
      // Not JSON: parsed from the certificates below.
    }
  }
  return await validityOf(stored);
}

/** Decides what to issue from the stored certificates' validity (pure): everything when nothing is stored. */
export function planFromValidity(validity: TlsValidity | undefined, hosts: string[], now: Date): TlsPlan {
  const due = (iso: string) => now.getTime() >= Date.parse(iso);
  if (!validity || due(validity.renewAt.ca)) return { ca: true, server: true, client: true };
  const sameHosts = [...validity.dnsNames].sort().join(",") === [...hosts].sort().join(",");
  return {
    ca: false,
    server: !sameHosts || due(validity.renewAt.server),
    client: due(validity.renewAt.client),
  };
}

/**
 * Decides what to issue (no I/O; async only because reading a certificate loads the X.509 library
 * on first use): everything when nothing is stored or the CA is due, else what is due or changed.
 */
export async function planTls(stored: StoredTls | undefined, hosts: string[], now: Date): Promise<TlsPlan> {
  return planFromValidity(stored && await validityOf(stored), hosts, now);
}

/** When the earliest certificate of the set is due for renewal. */
export function renewalOf(validity: TlsValidity): Date {
  const { ca, server, client } = validity.renewAt;
  return new Date(Math.min(Date.parse(ca), Date.parse(server), Date.parse(client)));
}

/** When the earliest certificate of the set is due for renewal (parses them). */
export async function nextRenewal(stored: StoredTls): Promise<Date> {
  return renewalOf(await validityOf(stored));
}

/** Reads stored material from a Secret body; undefined when incomplete. */
export function readStoredTls(secret: { data?: Record<string, string> } | undefined): StoredTls | undefined {
  if (!secret?.data) return undefined;
  const values = tlsSecretValues(secret.data);
  return Object.values(values).every((v) => v?.includes("-----BEGIN")) ? values as StoredTls : undefined;
}

/** Issues what the plan says, keeping the rest. */
export async function issueTls(
  stored: StoredTls | undefined,
  plan: TlsPlan,
  hosts: string[],
  now: Date,
): Promise<StoredTls> {
  return (await issueTlsWithValidity(stored, undefined, plan, hosts, now)).material;
}

/**
 * Issues what the plan says, keeping the rest, and returns the material with its validity: that of
 * the new certificates from what issuing returned, that of the kept ones from `storedValidity` (else
 * parsed from them). A new CA always comes with new leaves: leaves of the old CA would not verify.
 */
export async function issueTlsWithValidity(
  stored: StoredTls | undefined,
  storedValidity: TlsValidity | undefined,
  plan: TlsPlan,
  hosts: string[],
  now: Date,
): Promise<{ material: StoredTls; validity: TlsValidity }> {
  const newCa = !stored || plan.ca;
  const ca: CertificateAndKey | IssuedCertificate = newCa
    ? await issueCertificateAuthority({
      commonName: "ca",
      organizations: ["plumber"],
      validityDays: 3650,
      now,
    })
    : { certPem: stored.caCertPem, keyPem: stored.caKeyPem };
  const server = newCa || plan.server
    ? await issueServer(ca, {
      commonName: "server",
      organizations: ["plumber"],
      // An Ingress without hosts still gets a usable certificate.
      dnsNames: hosts.length > 0 ? hosts : ["localhost"],
      validityDays: 365,
      now,
    })
    : undefined;
  const client = newCa || plan.client
    ? await issueClient(ca, { commonName: "client", organizations: ["plumber"], validityDays: 365, now })
    : undefined;
  const material: StoredTls = {
    caCertPem: ca.certPem,
    caKeyPem: ca.keyPem,
    serverCertPem: server?.certPem ?? stored!.serverCertPem,
    serverKeyPem: server?.keyPem ?? stored!.serverKeyPem,
    clientCertPem: client?.certPem ?? stored!.clientCertPem,
    clientKeyPem: client?.keyPem ?? stored!.clientKeyPem,
  };
  // Only what was kept needs the stored validity (rare: a host change or a leaf renewal).
  const kept = newCa && server && client ? undefined : storedValidity ?? await validityOf(stored!);
  const at = (issued: IssuedCertificate) => renewalTimeOf(issued).toISOString();
  const validity: TlsValidity = {
    renewAt: {
      ca: "notAfter" in ca ? at(ca) : kept!.renewAt.ca,
      server: server ? at(server) : kept!.renewAt.server,
      client: client ? at(client) : kept!.renewAt.client,
    },
    dnsNames: server ? [...server.dnsNames] : [...kept!.dnsNames],
    certs: certsDigest(material),
  };
  return { material, validity };
}

/** A Replicator's TLS material, with its validity and when it is due. */
export interface EnsuredTls {
  material: StoredTls;
  validity: TlsValidity;
  renewAt: Date;
  /** What was issued now; undefined when nothing was. */
  issued: TlsPlan | undefined;
}

/**
 * Returns the Replicator's TLS material, creating or renewing it in the operator namespace when needed.
 * `known` is what is stored: the material this operator last ensured (`previous`), else the Secret as the
 * informer holds it. Writes only when something was issued.
 */
export async function ensureTls(
  client: KubeClient,
  namespace: string,
  replicator: Replicator,
  hosts: string[],
  now: Date,
  known: { secret?: TlsSecret; previous?: { material: StoredTls; validity: TlsValidity } },
): Promise<EnsuredTls> {
  const name = tlsSecretName(replicator.metadata.name);
  const stored = known.previous?.material ?? readStoredTls(known.secret);
  const validity = known.previous?.validity ?? (stored && await storedValidity(known.secret, stored));
  const plan = planFromValidity(validity, hosts, now);
  if (!plan.ca && !plan.server && !plan.client && stored && validity) {
    return { material: stored, validity, renewAt: renewalOf(validity), issued: undefined };
  }
  const { material, validity: issued } = await issueTlsWithValidity(stored, validity, plan, hosts, now);
  await client.apply({
    apiVersion: "v1",
    kind: "Secret",
    type: "Opaque",
    metadata: {
      name,
      namespace,
      // Not the replicator label: that marks replicated objects, which pruning deletes when unwanted.
      labels: { [LABEL_MANAGED_BY]: MANAGED_BY_VALUE, [TLS_FOR_LABEL]: replicator.metadata.name },
      annotations: { [TLS_VALIDITY_ANNOTATION]: JSON.stringify(issued) },
      // Garbage-collected with the Replicator.
      ownerReferences: replicator.metadata.uid
        ? [{
          apiVersion: API_VERSION,
          kind: "Replicator",
          name: replicator.metadata.name,
          uid: replicator.metadata.uid,
        }]
        : undefined,
    },
    data: tlsSecretData(material),
  }, { fieldManager: "plumber", force: true });
  return { material, validity: issued, renewAt: renewalOf(issued), issued: plan };
}
