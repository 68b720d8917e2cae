/**
 * The seed's sample Replicator (`examples/replicator-sample.yaml`:
 * ConfigMap, Deployment, Service, Ingress with mTLS, to both secondaries),
 * cloned under new names: the sample has a fixed name and namespace, and a
 * benchmark needs many of them at once.
 *
 * @module
 */

import { parse } from "yaml";
import type { KubeClient, KubeObjectLike } from "../lib/kube/client.ts";
import { SET_LABEL } from "./env.ts";
import { mapLimit } from "../lib/async.ts";

const SAMPLE = new URL("../examples/replicator-sample.yaml", import.meta.url);

/** Objects the sample makes in each cluster: ConfigMap, Deployment, Service, Ingress, ca-secret, cli-secret. */
export const SAMPLE_OBJECTS_PER_CLUSTER = 6;

/** The sample's Deployment name (drift edits it). */
export const SAMPLE_DEPLOYMENT = "nginx";

/** The sample's `spec.deploymentSpec.replicas`. */
export const SAMPLE_REPLICAS = 3;

type Sample = KubeObjectLike & {
  metadata: { name: string; labels?: Record<string, string> };
  spec: { replicationNamespace: string };
};

/** Reads the sample. */
export async function loadSample(): Promise<Sample> {
  return parse(await Deno.readTextFile(SAMPLE)) as Sample;
}

/** A copy of the sample named `<set>-<index>`, replicating into the namespace of the same name. */
export function cloneSample(sample: Sample, set: string, index: number): Sample {
  const name = `${set}-${index}`;
  const copy = structuredClone(sample);
  copy.metadata = {
    name,
    labels: { ...sample.metadata.labels, "app.kubernetes.io/instance": name, [SET_LABEL]: set },
  };
  copy.spec.replicationNamespace = name;
  return copy;
}

export { mapLimit };

/** Creates Replicators, at most `parallel` requests at once; returns when each create was sent. */
export async function createAll(
  primary: KubeClient,
  replicators: Sample[],
  parallel: number,
  onSend: (r: Sample, at: number) => void,
): Promise<void> {
  await mapLimit(replicators, parallel, async (r) => {
    onSend(r, performance.now());
    await primary.create(r);
  });
}

/** Sleeps. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Waits until the primary's ClusterDetectors for the given contexts' clusters are Running. */
export async function waitClustersRunning(
  primary: KubeClient,
  detectorNames: string[],
  timeoutMs = 90_000,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  let last = "";
  while (performance.now() < deadline) {
    try {
      const list = await primary.list<{ metadata: { name: string }; status?: { clusterstatus?: string } }>(
        "plumber.jnytnai0613.github.io/v1",
        "ClusterDetector",
        { namespace: "plumber-system" },
      );
      const running = new Set(
        list.items.filter((i) => i.status?.clusterstatus === "Running").map((i) => i.metadata.name),
      );
      if (detectorNames.every((n) => running.has(n))) return;
      last = list.items.map((i) => `${i.metadata.name}=${i.status?.clusterstatus ?? "?"}`).join(", ");
    } catch (error) {
      last = (error as Error).message;
    }
    await sleep(200);
  }
  throw new Error(`ClusterDetectors not all Running after ${timeoutMs / 1000} s: ${last}`);
}
