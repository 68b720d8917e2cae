/**
 * The clusters `plumberctl diff` talks to: the primary through the activated context, and every registered
 * secondary with the credentials the operator uses (the stored kubeconfig Secret), so that a dry run sees
 * exactly what plumber's identity may see and do there. Also what target selection needs: the
 * ClusterDetectors' labels and the primary's identity (the UID of its `kube-system` namespace).
 *
 * @module
 */

import { LABEL_ROLE } from "../../lib/api.ts";
import { CliError } from "../../lib/errors.ts";
import { isNotFound, KubeClient } from "../../lib/kube/client.ts";
import { CoreV1Api } from "../../lib/kube/generated/core_v1.ts";
import { type ClusterDetector, PlumberV1Api } from "../../lib/kube/generated/plumber_v1.ts";
import { clusterDetectorName, listContexts, resolveConnection } from "../../lib/kubeconfig/mod.ts";
import type { SelectableCluster } from "../../lib/targets.ts";
import { connectPrimary, onCluster, type Primary } from "../connection.ts";
import type { CliContext } from "../context.ts";
import { listEvery } from "../reads.ts";
import { readStoredKubeconfig } from "../secret_storage.ts";

/** A cluster a diff may target, by its ClusterDetector name. */
export interface DiffCluster {
  name: string;
  role: "primary" | "secondary";
  /** Undefined when its credentials cannot be used (`problem` says why). */
  client?: KubeClient;
  problem?: string;
}

/** What a diff needs from the primary, and a client per registered cluster. Close it when done. */
export interface DiffClusters {
  primary: Primary;
  /** The primary's ClusterDetector name. */
  primaryName: string;
  /** UID of the primary's `kube-system` namespace: the identity on every object plumber writes. */
  primaryId: string;
  /** The registered clusters as selectors see them (ClusterDetector labels). */
  selectable: SelectableCluster[];
  /** The primary and every registered secondary, by name. */
  clusters: Map<string, DiffCluster>;
  close(): void;
}

function refuseFiles(path: string): Uint8Array {
  throw new Error(`Stored kubeconfigs must be self-contained, but it refers to the file "${path}"`);
}

/** Connects to the activated primary and to every secondary registered in namespace `namespace`. */
export async function connectDiffClusters(ctx: CliContext, namespace: string): Promise<DiffClusters> {
  const primary = await connectPrimary(ctx);
  const clients: KubeClient[] = [primary.client];
  try {
    const [kubeSystem, detectors, stored] = await onCluster(primary, () =>
      Promise.all([
        new CoreV1Api(primary.rest).getNamespace("kube-system"),
        listEvery((page) => new PlumberV1Api(primary.rest).namespace(namespace).listClusterDetectors(page))
          .catch((error) => {
            if (!isNotFound(error)) throw error;
            throw new CliError(
              `The Replicator CRDs are not installed in the primary (context "${primary.context}", ${primary.server}); install the plumber operator there`,
            );
          }),
        readStoredKubeconfig(primary, namespace),
      ]));
    const primaryId = kubeSystem.metadata?.uid;
    if (!primaryId) {
      throw new CliError("Cannot identify the primary cluster: namespace kube-system has no uid");
    }
    const primaryName = detectors.find((d) =>
      d.metadata?.labels?.[LABEL_ROLE] === "primary"
    )?.metadata?.name ??
      clusterDetectorName(primary.cluster, primary.user);
    const clusters = new Map<string, DiffCluster>([[primaryName, {
      name: primaryName,
      role: "primary",
      client: primary.client,
    }]]);
    for (const context of listContexts(stored.config)) {
      let name: string;
      try {
        name = clusterDetectorName(context.cluster, context.user);
      } catch {
        continue; // The operator rejects it too: it cannot be a target.
      }
      if (clusters.has(name)) continue;
      const entry: DiffCluster = { name, role: "secondary" };
      try {
        const connection = resolveConnection(stored.config, context.name, { readFile: refuseFiles });
        entry.client = new KubeClient(connection, { ...ctx.clientOptions, name });
        clients.push(entry.client);
      } catch (error) {
        entry.problem = `cannot use its stored credentials: ${(error as Error).message}`;
      }
      clusters.set(name, entry);
    }
    return {
      primary,
      primaryName,
      primaryId,
      selectable: selectableClusters(detectors, clusters),
      clusters,
      close: () => clients.forEach((c) => c.close()),
    };
  } catch (error) {
    clients.forEach((c) => c.close());
    throw error;
  }
}

/**
 * The clusters as the operator's selection sees them: each ClusterDetector with its labels, and the
 * registered secondaries without one (labels unknown: kept when selected before, never newly selected).
 */
export function selectableClusters(
  detectors: readonly ClusterDetector[],
  registered: ReadonlyMap<string, DiffCluster>,
): SelectableCluster[] {
  const out: SelectableCluster[] = detectors.map((d) => ({
    name: d.metadata?.name ?? "",
    labels: d.metadata?.labels ?? {},
  }));
  for (const [name, entry] of registered) {
    if (entry.role === "secondary" && !out.some((c) => c.name === name)) out.push({ name });
  }
  return out;
}
