import assert from "node:assert/strict";
import { API_VERSION, CLUSTER_DETECTOR_KIND, type ClusterDetector } from "../../lib/api.ts";
import { KubeClient, type KubeObjectLike } from "../../lib/kube/client.ts";
import { Informer } from "../../lib/kube/informer.ts";
import { createLogger } from "../../lib/log.ts";
import { ClusterRegistry } from "../clusters.ts";
import { ReplicatorController } from "./mod.ts";

Deno.test("ReplicatorController uses a shared ClusterDetector informer and leaves it running on stop()", async () => {
  // Nothing listens on port 1: the informer keeps retrying its list, so it is running until stopped.
  const client = new KubeClient({ contextName: "p", cluster: "p", user: "u", server: "https://127.0.0.1:1" });
  const logger = createLogger({ level: "error", write: () => {} });
  const shared = new Informer<ClusterDetector & KubeObjectLike>({
    client,
    apiVersion: API_VERSION,
    kind: CLUSTER_DETECTOR_KIND,
    namespace: "plumber-system",
    logger,
  });
  shared.start();
  const replicator = new ReplicatorController({
    primary: client,
    registry: new ClusterRegistry(),
    namespace: "plumber-system",
    logger,
    primaryId: "p-1",
    detectors: shared,
  });
  try {
    assert.equal(replicator.detectors, shared);
    await replicator.stop();
    // A stopped informer resolves waitForSync() at once; a running one that cannot list does not.
    const stillRunning = await Promise.race([
      shared.waitForSync().then(() => false),
      new Promise<boolean>((resolve) => setTimeout(() => resolve(true), 50)),
    ]);
    assert.equal(stillRunning, true, "the shared informer was stopped by the controller");
  } finally {
    await shared.stop();
    client.close();
  }
});
