/**
 * Per-cluster caches of plumber's own objects (one informer per replicated
 * kind, labelled as plumber's) and of the cluster's namespaces. The Replicator
 * controller compares against them, so a steady state makes no requests.
 *
 * @module
 */

import { LABEL_MANAGED_BY, LABEL_REPLICATOR, MANAGED_BY_VALUE } from "../lib/api.ts";
import type { KubeClient, KubeObjectLike } from "../lib/kube/client.ts";
import { Informer } from "../lib/kube/informer.ts";
import type { Logger } from "../lib/log.ts";
import { mayChange, type Owner } from "../lib/ownership.ts";
import type { RegisteredCluster } from "./clusters.ts";

/** The kinds plumber replicates, besides the Namespace. */
export const REPLICATED_KINDS: ReadonlyArray<{ apiVersion: string; kind: string }> = [
  { apiVersion: "v1", kind: "ConfigMap" },
  { apiVersion: "v1", kind: "Secret" },
  { apiVersion: "apps/v1", kind: "Deployment" },
  { apiVersion: "v1", kind: "Service" },
  { apiVersion: "networking.k8s.io/v1", kind: "Ingress" },
];

/** Per-cluster caches of plumber's objects. */
export class ClusterCaches {
  readonly name: string;
  readonly client: KubeClient;
  readonly objects: Map<string, Informer<KubeObjectLike>>;
  readonly namespaces: Informer<KubeObjectLike>;

  constructor(cluster: RegisteredCluster, client: KubeClient, logger: Logger) {
    this.name = cluster.name;
    this.client = client;
    this.objects = new Map(
      REPLICATED_KINDS.map((k) => [
        k.kind,
        new Informer<KubeObjectLike>({
          client,
          apiVersion: k.apiVersion,
          kind: k.kind,
          labelSelector: `${LABEL_MANAGED_BY}=${MANAGED_BY_VALUE},${LABEL_REPLICATOR}`,
          logger,
        }),
      ]),
    );
    this.namespaces = new Informer({ client, apiVersion: "v1", kind: "Namespace", logger });
  }

  get all(): Informer<KubeObjectLike>[] {
    return [...this.objects.values(), this.namespaces];
  }

  get synced(): boolean {
    return this.all.every((i) => i.synced);
  }

  start(): void {
    for (const i of this.all) i.start();
  }

  async waitForSync(timeoutMs: number): Promise<boolean> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<boolean>((resolve) => timer = setTimeout(() => resolve(false), timeoutMs));
    const synced = Promise.all(this.all.map((i) => i.waitForSync())).then(() => true);
    const result = await Promise.race([synced, timeout]);
    clearTimeout(timer);
    return result && this.synced;
  }

  async stop(): Promise<void> {
    await Promise.all(this.all.map((i) => i.stop()));
  }

  /**
   * Cached objects this Replicator may change in this cluster: its own (primary identity and Replicator
   * UID match) and those of release 0.1 it adopts. Another primary's or an earlier incarnation's objects
   * of the same Replicator name are not in the list.
   */
  ownedBy(owner: Owner): KubeObjectLike[] {
    const out: KubeObjectLike[] = [];
    for (const informer of this.objects.values()) {
      for (const o of informer.list()) {
        if (mayChange(o.metadata?.labels as Record<string, string> | undefined, owner)) out.push(o);
      }
    }
    return out;
  }
}
