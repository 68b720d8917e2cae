/**
 * The mTLS material of a Replicator with `ingressSecureEnabled`: one CA, one
 * server certificate for the Ingress hosts and one client certificate,
 * generated once and kept in a Secret in the operator namespace (so an
 * operator restart does not rotate them), reused for every cluster, renewed
 * at 2/3 of their lifetime. A host change reissues the server certificate only.
 *
 * @module
 */

import {
  type CertificateAndKey,
  createCertificateAuthority,
  issueClientCertificate,
  issueServerCertificate,
  needsRenewal,
  readCertificate,
  renewalTime,
} from "../../lib/pki/mod.ts";
import { isNotFound, type KubeClient } from "../../lib/kube/client.ts";
import { CoreV1Api, type Secret } from "../../lib/kube/generated/core_v1.ts";
import { restClientOf } from "../../lib/kube/rest_adapter.ts";
import { API_VERSION, LABEL_MANAGED_BY, MANAGED_BY_VALUE, type Replicator } from "../../lib/api.ts";
import { type StoredTls, tlsSecretData, tlsSecretName, tlsSecretValues } from "../../lib/tls_secret.ts";

export { type StoredTls, tlsSecretName };

/** Label of the Secret that stores a Replicator's TLS material. */
export const TLS_FOR_LABEL = "plumber.jnytnai0613.github.io/tls-for";

/** What must be (re)issued. */
export interface TlsPlan {
  ca: boolean;
  server: boolean;
  client: boolean;
}

/**
 * Decides what to issue (no I/O; async only because reading a certificate loads the X.509 library
 * on first use): everything when nothing is stored or the CA is due, else what is due or changed.
 */
export async function planTls(stored: StoredTls | undefined, hosts: string[], now: Date): Promise<TlsPlan> {
  if (!stored || await needsRenewal(stored.caCertPem, now)) return { ca: true, server: true, client: true };
  const server = await readCertificate(stored.serverCertPem);
  const sameHosts = [...server.dnsNames].sort().join(",") === [...hosts].sort().join(",");
  return {
    ca: false,
    server: !sameHosts || await needsRenewal(server, now),
    client: await needsRenewal(stored.clientCertPem, now),
  };
}

/** When the earliest certificate of the set is due for renewal. */
export async function nextRenewal(stored: StoredTls): Promise<Date> {
  const times = await Promise.all(
    [stored.caCertPem, stored.serverCertPem, stored.clientCertPem].map((pem) => renewalTime(pem)),
  );
  return new Date(Math.min(...times.map((t) => t.getTime())));
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
  let ca: CertificateAndKey = stored && !plan.ca
    ? { certPem: stored.caCertPem, keyPem: stored.caKeyPem }
    : await createCertificateAuthority({
      commonName: "ca",
      organizations: ["plumber"],
      validityDays: 3650,
      now,
    });
  const server = plan.server || !stored
    ? await issueServerCertificate(ca, {
      commonName: "server",
      organizations: ["plumber"],
      // An Ingress without hosts still gets a usable certificate.
      dnsNames: hosts.length > 0 ? hosts : ["localhost"],
      validityDays: 365,
      now,
    })
    : { certPem: stored.serverCertPem, keyPem: stored.serverKeyPem };
  const client = plan.client || !stored
    ? await issueClientCertificate(ca, {
      commonName: "client",
      organizations: ["plumber"],
      validityDays: 365,
      now,
    })
    : { certPem: stored.clientCertPem, keyPem: stored.clientKeyPem };
  ca = { certPem: ca.certPem, keyPem: ca.keyPem };
  return {
    caCertPem: ca.certPem,
    caKeyPem: ca.keyPem,
    serverCertPem: server.certPem,
    serverKeyPem: server.keyPem,
    clientCertPem: client.certPem,
    clientKeyPem: client.keyPem,
  };
}

async function findSecret(client: KubeClient, namespace: string, name: string): Promise<Secret | undefined> {
  try {
    return await new CoreV1Api(restClientOf(client)).namespace(namespace).getSecret(name);
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

/**
 * Returns the Replicator's TLS material, creating or renewing it in the
 * operator namespace when needed. Writes only when something was issued.
 */
export async function ensureTls(
  client: KubeClient,
  namespace: string,
  replicator: Replicator,
  hosts: string[],
  now: Date,
): Promise<{ material: StoredTls; renewAt: Date; issued: TlsPlan | undefined }> {
  const name = tlsSecretName(replicator.metadata.name);
  const stored = readStoredTls(await findSecret(client, namespace, name));
  const plan = await planTls(stored, hosts, now);
  if (!plan.ca && !plan.server && !plan.client && stored) {
    return { material: stored, renewAt: await nextRenewal(stored), issued: undefined };
  }
  const material = await issueTls(stored, plan, hosts, now);
  await client.apply({
    apiVersion: "v1",
    kind: "Secret",
    type: "Opaque",
    metadata: {
      name,
      namespace,
      // Not the replicator label: that marks replicated objects, which pruning deletes when unwanted.
      labels: { [LABEL_MANAGED_BY]: MANAGED_BY_VALUE, [TLS_FOR_LABEL]: replicator.metadata.name },
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
  return { material, renewAt: await nextRenewal(material), issued: plan };
}
