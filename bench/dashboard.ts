/**
 * `plumberctl dashboard` at scale, in a real browser: a primary of its own holding N Replicators (default
 * 200) whose statuses name M clusters (default 10) with a mix of states, and M ClusterDetectors, all
 * written directly (statuses through the status subresource; no operator runs). Measures:
 *
 * - first render: from navigation to every row and cell on screen (wall clock), and the page's own
 *   time to build the table from the first snapshot;
 * - update latency: from sending a status write to the changed cell showing its new state (a
 *   MutationObserver-driven wait in the page), and the page's time to apply each update.
 *
 * Run by hand: `deno run -A bench/dashboard.ts [--replicators 200] [--clusters 10] [--updates 30]`.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { API_VERSION, CLUSTER_DETECTOR_KIND, REPLICATOR_KIND } from "../lib/api.ts";
import type { KubeClient } from "../lib/kube/client.ts";
import { installCrds } from "../tests/crds.ts";
import { adminClient, privateControlPlane } from "../tests/harness.ts";
import { launchChromium, serveTestDashboard } from "../tests/dashboard_browser.ts";
import { summarize } from "./stats.ts";

const FIELD_MANAGER = "plumber-bench";
const NAMESPACE = "plumber-system";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    replicators: { type: "string", default: "200" },
    clusters: { type: "string", default: "10" },
    updates: { type: "string", default: "30" },
  },
});
const REPLICATORS = Number(values.replicators);
const CLUSTERS = Number(values.clusters);
const UPDATES = Number(values.updates);

const clusterName = (i: number) => `cluster-${String(i).padStart(2, "0")}.admin-${i}`;
const repName = (i: number) => `rep-${String(i).padStart(3, "0")}`;

/** A status with a mix of states: mostly synced, some not ready, applying, conflicting or drifted. */
function status(i: number, readyOverride?: { cluster: number; ready: number }) {
  const clusters = [];
  const applied = [];
  for (let c = 0; c < CLUSTERS; c++) {
    if ((i + c) % 17 === 0) continue; // not targeted
    const name = clusterName(c);
    const conflict = (i * 7 + c) % 53 === 0;
    const readyReplicas = readyOverride?.cluster === c ? readyOverride.ready : (i + c) % 11 === 0 ? 1 : 3;
    clusters.push({
      name,
      ready: !conflict,
      replicas: 3,
      readyReplicas,
      targetedBy: ["targetCluster"],
      ...((i + c) % 29 === 0
        ? {
          driftCorrections: 1,
          lastDrift: {
            time: new Date().toISOString(),
            kind: "Deployment",
            name: "web",
            fields: [".spec.replicas"],
            manager: "kubectl-scale",
            operation: "Update",
          },
        }
        : {}),
    });
    for (const kind of ["ConfigMap", "Deployment", "Service"]) {
      applied.push({
        cluster: name,
        kind,
        name: "web",
        applyStatus: conflict && kind === "Service" ? "conflict: not owned by plumber" : "applied",
      });
    }
  }
  return { observedGeneration: 1, synced: "synced", applied, clusters };
}

async function inBatches<T>(items: T[], size: number, fn: (item: T) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(fn));
}

async function seed(client: KubeClient): Promise<void> {
  await installCrds(client);
  await client.apply({ apiVersion: "v1", kind: "Namespace", metadata: { name: NAMESPACE } }, {
    fieldManager: FIELD_MANAGER,
  });
  const clusters = Array.from({ length: CLUSTERS }, (_, i) => i);
  await inBatches(clusters, 10, async (i) => {
    const name = clusterName(i);
    const [cluster, user] = name.split(".");
    const object = {
      apiVersion: API_VERSION,
      kind: CLUSTER_DETECTOR_KIND,
      metadata: {
        name,
        namespace: NAMESPACE,
        labels: {
          "app.kubernetes.io/role": i === 0 ? "primary" : "secondary",
          region: i % 2 ? "east" : "west",
        },
      },
      spec: { context: `ctx-${i}`, cluster, user },
    };
    await client.apply(object, { fieldManager: FIELD_MANAGER });
    await client.applyStatus({
      ...object,
      status: {
        clusterstatus: "Running",
        kubernetesVersion: "v1.37.2",
        lastProbeTime: new Date().toISOString(),
      },
    }, { fieldManager: FIELD_MANAGER, force: true });
  });
  const reps = Array.from({ length: REPLICATORS }, (_, i) => i);
  await inBatches(reps, 10, async (i) => {
    const object = {
      apiVersion: API_VERSION,
      kind: REPLICATOR_KIND,
      metadata: { name: repName(i) },
      spec: {
        replicationNamespace: "web",
        targetCluster: clusters.filter((c) => (i + c) % 17 !== 0).map(clusterName),
        configMapName: "web",
      },
    };
    await client.apply(object, { fieldManager: FIELD_MANAGER });
    await client.mergePatch({ apiVersion: API_VERSION, kind: REPLICATOR_KIND, name: repName(i) }, {
      status: status(i),
    }, { subresource: "status" });
  });
}

const round = (n: number) => Math.round(n * 10) / 10;

async function main(): Promise<void> {
  const cp = await privateControlPlane([{
    context: "primary",
    cluster: "kubernetes",
    user: "kubernetes-admin",
  }], {
    controllerManager: false,
    nodes: false,
  });
  const client = adminClient(cp.state, "primary");
  const { browser, close } = await launchChromium();
  let served: Awaited<ReturnType<typeof serveTestDashboard>> | undefined;
  try {
    const seeding = performance.now();
    await seed(client);
    console.log(
      `seeded ${REPLICATORS} Replicators x ${CLUSTERS} clusters in ${
        Math.round(performance.now() - seeding)
      } ms`,
    );
    served = await serveTestDashboard(cp.kubeconfigPath, NAMESPACE);
    const page = await browser.newPage();
    await page.setViewport({ width: 1600, height: 1000 });
    const started = performance.now();
    await page.goto(served.url);
    await page.waitForFunction(
      `document.querySelectorAll("#grid tbody tr").length === ${REPLICATORS} && document.querySelectorAll("#grid tbody td").length === ${
        REPLICATORS * CLUSTERS
      }`,
      { polling: "mutation", timeout: 60_000 },
    );
    const firstRender = performance.now() - started;
    const inPage = await page.evaluate("window.__dashboard.largestApply") as { rows: number; ms: number };

    const latencies: number[] = [];
    const applyTimes: number[] = [];
    for (let n = 0; n < UPDATES; n++) {
      const i = (n * 37) % REPLICATORS;
      const c = [...Array(CLUSTERS).keys()].find((k) =>
        (i + k) % 17 !== 0 && (i * 7 + k) % 53 !== 0 && (i + k) % 29 !== 0
      )!;
      const ready = n % 2 === 0 ? 2 : 3;
      const want = ready === 3 ? "s-synced" : "s-not-ready";
      const selector = `#grid tbody tr:nth-child(${i + 1}) td[data-cluster="${clusterName(c)}"]`;
      const before = performance.now();
      await client.mergePatch({ apiVersion: API_VERSION, kind: REPLICATOR_KIND, name: repName(i) }, {
        status: status(i, { cluster: c, ready }),
      }, { subresource: "status" });
      await page.waitForFunction(
        `document.querySelector('${selector}')?.className === "${want}" && document.querySelector('${selector}').textContent === "${ready}/3"`,
        { polling: "mutation", timeout: 30_000 },
      );
      latencies.push(performance.now() - before);
      applyTimes.push(await page.evaluate("window.__dashboard.lastApplyMs") as number);
    }
    await Deno.mkdir("bench-results", { recursive: true });
    await page.screenshot({ path: "bench-results/dashboard-200x10.png" });
    const latency = summarize(latencies.map((ms) => ms / 1000));
    const apply = summarize(applyTimes);
    const [load] = Deno.loadavg();
    console.log(JSON.stringify(
      {
        size: `${REPLICATORS} Replicators x ${CLUSTERS} clusters`,
        firstRenderMs: round(firstRender),
        firstRenderInPageMs: round(inPage.ms),
        firstRenderInPageRows: inPage.rows,
        updates: UPDATES,
        updateLatencyMs: {
          median: round(latency.median * 1000),
          p90: round(latency.p90 * 1000),
          max: round(latency.max * 1000),
        },
        updateApplyInPageMs: { median: round(apply.median), p90: round(apply.p90), max: round(apply.max) },
        load1: round(load ?? 0),
        note: "update latency includes the status write, the watch event and the server's 50 ms coalescing",
      },
      null,
      2,
    ));
  } finally {
    await served?.stop().catch(() => {});
    await close();
    client.close();
    await cp.stop();
  }
}

if (import.meta.main) await main();
