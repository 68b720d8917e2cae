/**
 * Helpers for end-to-end tests that drive Replicators through a running
 * operator: manifests, waiting for status, a "bystander" Replicator that must
 * keep being served while a test breaks something else, and snapshots of
 * objects plumber does not own, to prove they were left alone.
 *
 * @module
 */

import assert from "node:assert/strict";
import { API_VERSION, type Replicator, REPLICATOR_KIND, type ReplicatorSpec } from "../lib/api.ts";
import type { KubeClient, KubeObjectLike } from "../lib/kube/client.ts";
import { SEED_KINDS } from "../lib/resources.ts";
import type { ControlPlaneState } from "./control_plane.ts";
import { adminClient, eventually, uniqueName } from "./harness.ts";

/** apiVersion and kind of a Replicator. */
export const REP = { apiVersion: API_VERSION, kind: REPLICATOR_KIND } as const;
/** The folder of what users copy. */
export const EXAMPLES = new URL("../examples/", import.meta.url);
/** The seed's sample Replicator, as users copy it. */
export const SAMPLE = new URL("replicator-sample.yaml", EXAMPLES);
/** ClusterDetector names of the default clusters. */
export const PRIMARY = "kubernetes.kubernetes-admin";
export const SECONDARY1 = "v1262-cluster.kubernetes-admin2";
export const SECONDARY2 = "v1252-cluster.kubernetes-admin3";

/** A Kubernetes object as tests read it. */
export type Obj = KubeObjectLike & {
  data?: Record<string, string>;
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
  metadata: {
    name: string;
    namespace?: string;
    uid?: string;
    resourceVersion?: string;
    generation?: number;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    managedFields?: Array<{ manager?: string; operation?: string }>;
  };
};

/** An Event as tests read it. */
export interface KubeEvent {
  metadata: { name: string; namespace: string };
  type?: string;
  reason?: string;
  message?: string;
  involvedObject?: { kind?: string; name?: string; namespace?: string };
}

/** Admin clients of the three default clusters. */
export interface Clients {
  primary: KubeClient;
  secondary1: KubeClient;
  secondary2: KubeClient;
  /** `[context, client]` for each cluster. */
  all: Array<[string, KubeClient]>;
  close(): void;
}

/** Opens admin clients of primary, secondary1 and secondary2; close them in `finally`. */
export function clients(state: ControlPlaneState): Clients {
  const primary = adminClient(state, "primary");
  const secondary1 = adminClient(state, "secondary1");
  const secondary2 = adminClient(state, "secondary2");
  const all: Array<[string, KubeClient]> = [["primary", primary], ["secondary1", secondary1], [
    "secondary2",
    secondary2,
  ]];
  return { primary, secondary1, secondary2, all, close: () => all.forEach(([, c]) => c.close()) };
}

/** The reference of a replicated object. */
export function ref(kind: string, namespace: string, name: string) {
  const apiVersion = kind === "Deployment" ? "apps/v1" : kind === "Ingress" ? "networking.k8s.io/v1" : "v1";
  return { apiVersion, kind, namespace, name };
}

/** Options of {@linkcode replicatorManifest}. */
export interface ManifestOptions {
  /** Label `plumber-test` value; the test's operator serves only its own (default: no label). */
  test?: string;
  targets: string[];
  /** ConfigMap only (default: ConfigMap, Deployment and Service named `web`). */
  configMapOnly?: boolean;
  /** Default `web`. */
  configMapName?: string;
  /** Default `{ "index.html": "hello" }`. */
  configMapData?: Record<string, string>;
  /** Replicas of the Deployment (default 1). */
  replicas?: number;
  /** Hosts of an Ingress `web` with `ingressSecureEnabled` (default: no Ingress). */
  tlsHosts?: string[];
}

/** A Replicator manifest as tests create it. */
export type ReplicatorManifest = KubeObjectLike & {
  apiVersion: typeof API_VERSION;
  kind: typeof REPLICATOR_KIND;
  metadata: { name: string; labels?: Record<string, string> };
  spec: ReplicatorSpec;
};

/**
 * The one Replicator manifest of the tests: ConfigMap `web`; unless `configMapOnly`, a Deployment and a
 * Service `web` (nginx, port 80); with `tlsHosts`, an Ingress `web` secured with mTLS.
 */
export function replicatorManifest(
  name: string,
  namespace: string,
  options: ManifestOptions,
): ReplicatorManifest {
  const spec: ReplicatorSpec = {
    targetCluster: options.targets,
    replicationNamespace: namespace,
    configMapName: options.configMapName ?? "web",
    configMapData: options.configMapData ?? { "index.html": "hello" },
  };
  if (!options.configMapOnly) {
    Object.assign(spec, {
      deploymentName: "web",
      deploymentSpec: {
        replicas: options.replicas ?? 1,
        template: { spec: { containers: [{ name: "web", image: "nginx:1.27" }] } },
      },
      serviceName: "web",
      serviceSpec: { ports: [{ port: 80, targetPort: 80 }] },
    });
  }
  if (options.tlsHosts) {
    Object.assign(spec, {
      ingressName: "web",
      ingressSpec: {
        rules: options.tlsHosts.map((host) => ({
          host,
          http: {
            paths: [{
              path: "/",
              pathType: "Prefix",
              backend: { service: { name: "web", port: { number: 80 } } },
            }],
          },
        })),
      },
      ingressSecureEnabled: true,
    });
  }
  const metadata = options.test === undefined ? { name } : { name, labels: { "plumber-test": options.test } };
  return { ...REP, metadata, spec };
}

/** Reads a Replicator, or undefined. */
export async function getRep(client: KubeClient, name: string): Promise<Replicator | undefined> {
  return await client.find<Replicator>({ ...REP, name });
}

/** Waits until a Replicator's status is `synced` for its current generation. */
export async function waitSynced(client: KubeClient, name: string, timeoutMs = 30_000): Promise<Replicator> {
  return await eventually(`Replicator ${name} synced`, async () => {
    const r = await getRep(client, name);
    return r?.status?.synced === "synced" && r.status.observedGeneration === r.metadata.generation && r;
  }, { timeoutMs });
}

/** Deletes a Replicator and waits until the operator has released it. */
export async function deleteAndWaitGone(client: KubeClient, name: string, timeoutMs = 60_000): Promise<void> {
  await client.delete({ ...REP, name });
  await eventually(`Replicator ${name} released and gone`, async () => !(await getRep(client, name)), {
    timeoutMs,
  });
}

/** Events about one object in one namespace of a cluster (cluster-scoped objects: "default"). */
export async function eventsAbout(
  client: KubeClient,
  namespace: string,
  name: string,
): Promise<KubeEvent[]> {
  const list = await client.list<KubeEvent>("v1", "Event", {
    namespace,
    fieldSelector: `involvedObject.name=${name}`,
  });
  return list.items;
}

/**
 * A Replicator that has nothing to do with what a test breaks: it must stay
 * synced and keep getting its spec changes applied. ConfigMap only, one target.
 */
export class Bystander {
  readonly name = uniqueName("bystander");
  readonly namespace = uniqueName("bystander-ns");
  #round = 0;
  #primary: KubeClient;
  #target: KubeClient;
  #targetName: string;
  #test: string;

  /** Served by the operator of label `plumber-test=<test>`, replicated to one secondary. */
  constructor(clients: Clients, target: "secondary1" | "secondary2", test: string) {
    this.#primary = clients.primary;
    this.#target = clients[target];
    this.#targetName = target === "secondary1" ? SECONDARY1 : SECONDARY2;
    this.#test = test;
  }

  /** Creates it and waits until it is synced. */
  async create(): Promise<void> {
    await this.#primary.create(
      replicatorManifest(this.name, this.namespace, {
        test: this.#test,
        targets: [this.#targetName],
        configMapOnly: true,
        configMapData: { round: "0" },
      }),
    );
    await waitSynced(this.#primary, this.name);
  }

  /**
   * Changes its ConfigMap data and waits until the change is in its target
   * cluster and its status is synced for the new generation. Returns how long that took.
   */
  async changeAndWait(timeoutMs = 30_000): Promise<number> {
    const round = String(++this.#round);
    const started = performance.now();
    await this.#primary.mergePatch({ ...REP, name: this.name }, { spec: { configMapData: { round } } });
    try {
      await eventually(`bystander round ${round} in ${this.#targetName}`, async () => {
        const cm = await this.#target.find<Obj>(ref("ConfigMap", this.namespace, "web"));
        return cm?.data?.round === round;
      }, { timeoutMs });
      await waitSynced(this.#primary, this.name, timeoutMs);
    } catch (error) {
      const status = (await getRep(this.#primary, this.name).catch(() => undefined))?.status;
      const degraded = status?.conditions?.find((c) => c.type === "Degraded")?.message;
      throw new Error(
        `The bystander Replicator was not served: ${
          (error as Error).message
        }; its status: ${status?.synced}, ` +
          `Degraded: ${degraded ?? "(none)"}`,
      );
    }
    return Math.round(performance.now() - started);
  }

  /** Asserts it is synced now, for its current generation. */
  async assertSynced(): Promise<void> {
    const r = await getRep(this.#primary, this.name);
    assert.equal(r?.status?.synced, "synced", `bystander status: ${JSON.stringify(r?.status)}`);
    assert.equal(r?.status?.observedGeneration, r?.metadata.generation);
  }

  /** Deletes it and waits until it is gone. */
  async delete(): Promise<void> {
    await deleteAndWaitGone(this.#primary, this.name);
  }
}

/** The kinds plumber replicates (labelled with its Replicator's name); {@linkcode snapshotForeign} compares them. */
export const REPLICATED_KINDS: ReadonlyArray<{ apiVersion: string; kind: string }> = SEED_KINDS;

/** uid and resourceVersion of each object plumber does not own, by `context kind ns/name`. */
export type ForeignSnapshot = Map<string, { uid?: string; resourceVersion?: string }>;

function ownedByPlumber(o: Obj): boolean {
  return o.metadata.labels?.["app.kubernetes.io/managed-by"] === "plumber";
}

/**
 * Records every object plumber does not own (no `managed-by: plumber` label)
 * in some namespaces of some clusters, and the namespaces themselves.
 * `except` leaves out names the test itself changes.
 */
export async function snapshotForeign(
  where: Array<[string, KubeClient, string[]]>,
  except: string[] = [],
): Promise<ForeignSnapshot> {
  const snapshot: ForeignSnapshot = new Map();
  for (const [context, client, namespaces] of where) {
    for (const namespace of namespaces) {
      const ns = await client.find<Obj>({ apiVersion: "v1", kind: "Namespace", name: namespace });
      if (ns && !ownedByPlumber(ns)) {
        snapshot.set(`${context} Namespace ${namespace}`, {
          uid: ns.metadata.uid,
          resourceVersion: ns.metadata.resourceVersion,
        });
      }
      for (const kind of REPLICATED_KINDS) {
        const list = await client.list<Obj>(kind.apiVersion, kind.kind, { namespace });
        for (const o of list.items) {
          if (ownedByPlumber(o) || except.includes(o.metadata.name)) continue;
          snapshot.set(`${context} ${kind.kind} ${namespace}/${o.metadata.name}`, {
            uid: o.metadata.uid,
            resourceVersion: o.metadata.resourceVersion,
          });
        }
      }
    }
  }
  return snapshot;
}

/** Asserts every object of `before` still exists, the same object, unmodified. */
export function assertForeignUnchanged(before: ForeignSnapshot, after: ForeignSnapshot): void {
  assert.ok(before.size > 0, "the snapshot holds foreign objects");
  const changed: string[] = [];
  for (const [key, was] of before) {
    const now = after.get(key);
    if (!now) changed.push(`${key}: deleted (or relabelled as plumber's)`);
    else if (now.uid !== was.uid) changed.push(`${key}: replaced`);
    else if (now.resourceVersion !== was.resourceVersion) {
      changed.push(`${key}: modified (resourceVersion ${was.resourceVersion} -> ${now.resourceVersion})`);
    }
  }
  assert.deepEqual(changed, [], "objects plumber does not own were changed");
}
