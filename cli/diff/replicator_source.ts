/**
 * The Replicator a diff renders: the stored one (`plumberctl diff <name>`), or a manifest checked by the
 * primary's API server in a dry run (`-f`), which applies the CRD's schema, defaults and admission rules
 * and so names the field that is wrong. A manifest of an existing Replicator keeps its UID and status
 * (ownership and selection are the stored Replicator's); a new one has no UID yet. Also the TLS material
 * the operator would render with.
 *
 * @module
 */

import { API_VERSION, type Replicator, REPLICATOR_KIND } from "../../lib/api.ts";
import { CliError, EXIT_USAGE } from "../../lib/errors.ts";
import { isNotFound, KubeApiError } from "../../lib/kube/client.ts";
import { describeFailure } from "../../lib/kube/probe.ts";
import { ingressTlsEnabled, type TlsMaterial } from "../../lib/render.ts";
import { tlsSecretName, tlsSecretValues } from "../../lib/tls_secret.ts";
import { onCluster, type Primary } from "../connection.ts";
import { explainKubeError } from "../error_text.ts";
import type { ReplicatorManifest } from "./input.ts";

const REF = { apiVersion: API_VERSION, kind: REPLICATOR_KIND };

/** Reads the stored Replicator `name`. @throws {CliError} (exit 2) when there is none. */
export async function storedReplicator(primary: Primary, name: string): Promise<Replicator> {
  const stored = await onCluster(primary, () => primary.client.find<Replicator>({ ...REF, name }));
  if (!stored) {
    throw new CliError(
      `Cannot diff Replicator "${name}": there is none in the primary (context "${primary.context}"); give its manifest with -f`,
      { exitCode: EXIT_USAGE },
    );
  }
  return stored;
}

/**
 * The Replicator of a manifest as the API server would store it (a dry-run create, or a dry-run replace
 * of the stored one), with the stored UID and status when it exists.
 *
 * @throws {CliError} (exit 2) naming the source and the server's reason when it refuses the manifest.
 */
export async function manifestReplicator(
  primary: Primary,
  manifest: ReplicatorManifest,
  source: string,
): Promise<Replicator> {
  const name = manifest.metadata.name;
  const { status: _status, ...body } = manifest;
  let stored: Replicator | undefined;
  let checked: Replicator;
  try {
    // A dry-run replace carries the stored resourceVersion; the operator may write status between the read
    // and the replace (409 Conflict): read again and retry, as kubectl's edit does.
    for (let attempt = 1;; attempt++) {
      stored = await onCluster(primary, () => primary.client.find<Replicator>({ ...REF, name }));
      try {
        checked = await dryRun(primary, body, manifest, stored);
        break;
      } catch (error) {
        if (!(stored && attempt < 5 && error instanceof KubeApiError && error.status === 409)) throw error;
      }
    }
  } catch (error) {
    if (
      error instanceof KubeApiError && error.status >= 400 && error.status < 500 && error.status !== 401 &&
      error.status !== 403
    ) {
      throw new CliError(
        `Cannot diff ${source}: the primary refuses Replicator "${name}": ${describeFailure(error)}`,
        { exitCode: EXIT_USAGE, cause: error },
      );
    }
    throw explainKubeError(error, primary);
  }
  const metadata = { ...checked.metadata, uid: stored?.metadata.uid };
  if (!stored) delete metadata.uid;
  return { ...checked, metadata, status: stored?.status };
}

/** A dry-run replace of the stored Replicator, or a dry-run create when there is none. */
async function dryRun(
  primary: Primary,
  body: Omit<ReplicatorManifest, "status">,
  manifest: ReplicatorManifest,
  stored: Replicator | undefined,
): Promise<Replicator> {
  if (stored) {
    const path = await primary.client.objectPath({ ...REF, name: manifest.metadata.name });
    const metadata = { ...manifest.metadata, resourceVersion: stored.metadata.resourceVersion };
    return await primary.client.raw<Replicator>("PUT", path, {
      body: { ...body, metadata },
      query: { dryRun: "All" },
    });
  }
  const { uid: _uid, resourceVersion: _rv, ...metadata } = manifest.metadata;
  return await primary.client.create<Replicator>({ ...body, metadata }, { dryRun: true });
}

/** Stands in for material the operator has not issued yet: Secret values are masked in a diff anyway. */
export const NOT_ISSUED = "(issued by the operator)";

/**
 * The TLS material the operator would render a Replicator with: the stored material when it exists,
 * else placeholders (the Secrets show as to be created, masked). Undefined when the spec needs none.
 */
export async function tlsMaterialFor(
  primary: Primary,
  namespace: string,
  replicator: Replicator,
): Promise<TlsMaterial | undefined> {
  if (!ingressTlsEnabled(replicator.spec)) return undefined;
  const secret = await onCluster(primary, async () => {
    try {
      return await primary.client.find<{ data?: Record<string, string> }>({
        apiVersion: "v1",
        kind: "Secret",
        namespace,
        name: tlsSecretName(replicator.metadata.name),
      });
    } catch (error) {
      // Not allowed to read it: the values are masked anyway; show them as new.
      if (error instanceof KubeApiError && error.status === 403) return undefined;
      if (isNotFound(error)) return undefined;
      throw error;
    }
  });
  const values = tlsSecretValues(secret?.data);
  return {
    caCertPem: values.caCertPem ?? NOT_ISSUED,
    serverCertPem: values.serverCertPem ?? NOT_ISSUED,
    serverKeyPem: values.serverKeyPem ?? NOT_ISSUED,
    clientCertPem: values.clientCertPem ?? NOT_ISSUED,
    clientKeyPem: values.clientKeyPem ?? NOT_ISSUED,
  };
}
