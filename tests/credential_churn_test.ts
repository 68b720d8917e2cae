/**
 * 100 credential changes of one secondary, with the operator's controllers
 * run in this process (so the test reads their internal counts and the heap):
 * the kubeconfig Secret alternates between two valid client certificates of
 * the same user. Afterwards there is exactly one cache set per cluster, as many
 * controller subscriptions and server-side watches as before, no closed client
 * was used, the heap has not grown, and replication into the cluster still works.
 *
 * A private control plane without a controller manager, so the secondary's
 * watch count is plumber's and the API server's own. `CHURN_ROTATIONS=300`
 * runs longer. RSS is printed, not asserted: in this process it includes the
 * test's own clients and moves with the allocator (the heap after GC does not).
 */

import assert from "node:assert/strict";
import v8 from "node:v8";
import vm from "node:vm";
import { ClusterDetectorController } from "../controllers/cluster_detector.ts";
import { ClusterRegistry } from "../controllers/clusters.ts";
import { ReplicatorController } from "../controllers/replicator/mod.ts";
import type { KubeClient } from "../lib/kube/client.ts";
import { createLogger } from "../lib/log.ts";
import { type CertificateAndKey, issueClientCertificate } from "../lib/pki/mod.ts";
import type { ClusterInfo } from "./control_plane.ts";
import { adminClient, eventually, privateControlPlane } from "./harness.ts";
import { kubeconfigFor, prepareOperatorNamespace, writeKubeconfigSecret } from "./operator.ts";
import { ref, replicatorManifest, SECONDARY1, waitSynced } from "./replicators.ts";

const MiB = 1024 * 1024;
const ROTATIONS = Number(Deno.env.get("CHURN_ROTATIONS") ?? 100);
/** Heap growth allowed after 100 changes, once garbage is collected. */
const HEAP_GROWTH_LIMIT_MIB = 8;

v8.setFlagsFromString("--expose-gc");
const collectGarbage = vm.runInNewContext("gc") as () => void;

function memory(): { heapMiB: number; rssMiB: number } {
  for (let i = 0; i < 3; i++) collectGarbage();
  const m = Deno.memoryUsage();
  return { heapMiB: m.heapUsed / MiB, rssMiB: m.rss / MiB };
}

/** Open watches the API server counts (every client's, by resource). */
async function serverWatches(client: KubeClient): Promise<number> {
  const text = await client.getText("/metrics");
  let sum = 0;
  for (const line of text.split("\n")) {
    if (line.startsWith("apiserver_longrunning_requests{") && line.includes('verb="WATCH"')) {
      sum += Number(line.slice(line.lastIndexOf(" ") + 1));
    }
  }
  return sum;
}

Deno.test("100 credential changes of a secondary leave one cache set, no extra watch, no heap growth, and replication working", async () => {
  const cp = await privateControlPlane([
    { context: "primary", cluster: "kubernetes", user: "kubernetes-admin" },
    { context: "secondary1", cluster: "v1262-cluster", user: "kubernetes-admin2" },
  ], { controllerManager: false });
  const state = cp.state;
  const namespace = "plumber-system";
  const s1 = state.clusters.find((c) => c.context === "secondary1")!;
  const certs: CertificateAndKey[] = [
    s1.admin,
    await issueClientCertificate(s1.ca, {
      commonName: "kubernetes-admin2",
      organizations: ["system:masters"],
    }),
  ];
  const kubeconfigWith = (cert: CertificateAndKey) => kubeconfigFor([{ ...s1, admin: cert } as ClusterInfo]);
  await prepareOperatorNamespace(state, namespace, ["secondary1"]);

  const problems: string[] = [];
  const logger = createLogger({ level: "warn", format: "json", write: (line) => problems.push(line) });
  const primary = adminClient(state, "primary");
  const secondary = adminClient(state, "secondary1");
  const registry = new ClusterRegistry({}, { retireGraceMs: 300 });
  let changes = 0;
  registry.onChange((name) => void (name === SECONDARY1 && changes++));
  const detector = new ClusterDetectorController({
    primary,
    primaryIdentity: { context: "primary", cluster: "kubernetes", user: "kubernetes-admin" },
    registry,
    namespace,
    logger,
    probeIntervalMs: 1000,
    probeTimeoutMs: 1000,
  });
  const replicator = new ReplicatorController({
    primary,
    registry,
    namespace,
    logger,
    replicatorSelector: "plumber-test=churn",
  });
  const settled = (what: string, previous?: KubeClient) =>
    eventually(what, () => {
      const client = registry.get(SECONDARY1)?.client;
      return client !== undefined && client !== previous && replicator.cacheStats.replacing === 0 &&
        replicator.cacheStats.liveSets === 2;
    }, { timeoutMs: 20_000, intervalMs: 5 });
  let rotation = 0;
  const rotate = async () => {
    rotation++;
    await writeKubeconfigSecret(primary, namespace, kubeconfigWith(certs[rotation % 2]!));
  };
  try {
    await detector.start();
    await replicator.start();
    await primary.apply(replicatorManifest("churn", "churn-app", { test: "churn", targets: [SECONDARY1] }), {
      fieldManager: "plumber-tests",
    });
    await waitSynced(primary, "churn");

    // Warm-up: a few changes, so the baseline includes whatever the first ones allocate for good.
    for (let i = 0; i < 6; i++) {
      const previous = registry.get(SECONDARY1)?.client;
      await rotate();
      await settled(`warm-up change ${i + 1} swapped`, previous);
    }
    await eventually("replaced clients closed", () => registry.retiringClients === 0);
    const start = { ...replicator.cacheStats };
    const watchesBefore = await serverWatches(secondary);
    const before = memory();
    const changesBefore = changes;
    const startedAt = Date.now();

    // Half rapid (each write as soon as the previous is accepted: changes overlap and coalesce) ...
    for (let i = 0; i < ROTATIONS / 2; i++) {
      await rotate();
      assert.ok(replicator.cacheStats.liveSets <= 3, `${replicator.cacheStats.liveSets} cache sets live`);
    }
    await settled("the rapid changes to settle");
    // ... half one at a time, each swapped before the next.
    for (let i = 0; i < ROTATIONS / 2; i++) {
      const previous = registry.get(SECONDARY1)?.client;
      await rotate();
      await settled(`change ${i + 1} swapped`, previous);
    }
    const took = Date.now() - startedAt;
    await eventually("replaced clients closed", () => registry.retiringClients === 0, { timeoutMs: 5000 });

    const end = replicator.cacheStats;
    assert.deepEqual(end, start, "one cache set per cluster and as many subscriptions as before");
    const watchesAfter = await eventually("the secondary's watches back to the count before", async () => {
      const n = await serverWatches(secondary);
      return n === watchesBefore && n;
    }, { timeoutMs: 10_000, intervalMs: 200 });
    const after = memory();
    console.log(
      `${ROTATIONS} Secret writes -> ${changes - changesBefore} credential changes in ${took} ms; ` +
        `cache sets ${end.liveSets}, subscriptions ${start.subscriptions} -> ${end.subscriptions}, ` +
        `secondary watches ${watchesBefore} -> ${watchesAfter}; ` +
        `heap ${before.heapMiB.toFixed(1)} -> ${after.heapMiB.toFixed(1)} MiB, ` +
        `RSS ${before.rssMiB.toFixed(1)} -> ${after.rssMiB.toFixed(1)} MiB (after GC)`,
    );
    assert.ok(changes - changesBefore >= ROTATIONS / 2 + 1, `${changes - changesBefore} changes seen`);
    assert.ok(
      after.heapMiB - before.heapMiB < HEAP_GROWTH_LIMIT_MIB,
      `heap grew ${(after.heapMiB - before.heapMiB).toFixed(1)} MiB over ${ROTATIONS} changes`,
    );
    const closedClientUse = problems.filter((line) => /bad resource/i.test(line));
    assert.deepEqual(closedClientUse, [], "no request went through a closed client");

    // Replication still works in that cluster: a drift is reverted through the new caches' watch.
    await secondary.apply({
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "web", namespace: "churn-app" },
      data: { "index.html": "drifted" },
    }, { fieldManager: "someone-else", force: true });
    await eventually("the drift reverted", async () => {
      const cm = await secondary.get<{ data?: Record<string, string> }>(ref("ConfigMap", "churn-app", "web"));
      return cm.data?.["index.html"] === "hello";
    }, { timeoutMs: 15_000 });
  } finally {
    await replicator.stop();
    await detector.stop();
    registry.close();
    primary.close();
    secondary.close();
    await cp.stop();
  }
});
