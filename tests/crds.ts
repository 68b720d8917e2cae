/**
 * Installs plumber's generated CRDs (`crds/*.yaml`) into a test cluster, for every
 * integration test that needs the Replicator or ClusterDetector kinds.
 *
 * Test files run in parallel processes against the same clusters, so installing must be
 * safe to repeat and to race: each CRD is server-side applied with `force` by one field
 * manager (applying the same intent again changes nothing), a conflict from a concurrent
 * writer is retried, and each call waits until the API server serves the kinds.
 *
 * @module
 */

import { parse } from "yaml";
import { isConflict, KubeApiError, type KubeClient } from "../lib/kube/client.ts";
import { CLUSTER_DETECTOR_CRD_FILE, CRD_DIR, REPLICATOR_CRD_FILE } from "../tools/gen_crds.ts";
import type { CustomResourceDefinition } from "../tools/gen_crds.ts";
import { eventually } from "./harness.ts";

/** Field manager of the CRDs that tests install. */
export const TEST_FIELD_MANAGER = "plumber-tests";

/** The generated CRDs as stored in `crds/`. */
export async function readGeneratedCrds(): Promise<CustomResourceDefinition[]> {
  const crds: CustomResourceDefinition[] = [];
  for (const file of [REPLICATOR_CRD_FILE, CLUSTER_DETECTOR_CRD_FILE]) {
    crds.push(parse(await Deno.readTextFile(new URL(file, CRD_DIR))) as CustomResourceDefinition);
  }
  return crds;
}

interface CrdStatus {
  status?: { conditions?: { type: string; status: string; reason?: string; message?: string }[] };
}

const installed = new Map<string, Promise<void>>();

async function applyWithRetry(client: KubeClient, crd: CustomResourceDefinition): Promise<void> {
  for (let attempt = 0;; attempt++) {
    try {
      await client.apply(crd, { fieldManager: TEST_FIELD_MANAGER, force: true });
      return;
    } catch (error) {
      // Another test process applying at the same moment can make the write conflict.
      if (!isConflict(error) || attempt >= 5) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50 * (attempt + 1)));
    }
  }
}

async function install(client: KubeClient): Promise<void> {
  const crds = await readGeneratedCrds();
  await Promise.all(crds.map((crd) => applyWithRetry(client, crd)));
  for (const crd of crds) {
    await eventually(`CRD ${crd.metadata.name} to be Established on ${client.name}`, async () => {
      const current = await client.get<CrdStatus>({
        apiVersion: "apiextensions.k8s.io/v1",
        kind: "CustomResourceDefinition",
        name: crd.metadata.name,
      });
      const conditions = current.status?.conditions ?? [];
      const refused = conditions.find((c) => c.type === "NamesAccepted" && c.status === "False");
      if (refused) {
        throw new KubeApiError(
          `CRD ${crd.metadata.name} names were not accepted: ${refused.message}`,
          0,
          refused.reason ?? "NamesNotAccepted",
        );
      }
      return conditions.some((c) => c.type === "Established" && c.status === "True");
    }, { timeoutMs: 60_000 });
  }
}

/**
 * Server-side applies both generated CRDs to the client's cluster (field manager
 * {@linkcode TEST_FIELD_MANAGER}, forced) and waits until both are Established.
 * Idempotent; concurrent calls in one process share one installation per cluster, and
 * calls from other processes are harmless.
 */
export function installCrds(client: KubeClient): Promise<void> {
  const key = client.server;
  let pending = installed.get(key);
  if (!pending) {
    pending = install(client);
    installed.set(key, pending);
    // A failed installation is not cached: the next caller tries again.
    pending.catch(() => installed.delete(key));
  }
  return pending;
}

/**
 * Deletes plumber's CRDs from a cluster and waits until they are gone, for a test that made a cluster
 * a primary only for itself (other tests rely on the secondaries having none).
 */
export async function uninstallCrds(client: KubeClient): Promise<void> {
  installed.delete(client.server);
  const crds = await readGeneratedCrds();
  for (const crd of crds) {
    await client.delete({
      apiVersion: "apiextensions.k8s.io/v1",
      kind: "CustomResourceDefinition",
      name: crd.metadata.name,
    });
  }
  for (const crd of crds) {
    await eventually(
      `CRD ${crd.metadata.name} to be gone from ${client.name}`,
      async () =>
        !(await client.find({
          apiVersion: "apiextensions.k8s.io/v1",
          kind: "CustomResourceDefinition",
          name: crd.metadata.name,
        })),
      { timeoutMs: 60_000 },
    );
  }
}
