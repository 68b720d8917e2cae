/**
 * `spec.resources[]` end to end: the real operator against three real clusters. A ServiceAccount, a
 * PodDisruptionBudget, a NetworkPolicy and an instance of a CRD installed in one secondary only; drift
 * revert, pruning, an object named twice, no write loop, clean-up, and the watches the operator holds
 * (its `plumber_cluster_watches` gauge). Writes are counted in the operator's debug request log.
 */

import assert from "node:assert/strict";
import type { Replicator } from "../lib/api.ts";
import type { KubeClient } from "../lib/kube/client.ts";
import { eventually, uniqueName } from "./harness.ts";
import { type OperatorFixture, type OperatorProcess, withOperator } from "./operator.ts";
import {
  deleteAndWaitGone,
  getRep,
  type Obj,
  PRIMARY,
  REP,
  replicatorManifest,
  SECONDARY1,
  SECONDARY2,
  waitSynced,
} from "./replicators.ts";

const SECONDARIES = [SECONDARY1, SECONDARY2];
const LABEL_REPLICATOR = "plumber.jnytnai0613.github.io/replicator";

/** A namespaced CRD `Widget` of a group unique to this run. */
function widgetCrd(group: string): Obj {
  return {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: { name: `widgets.${group}` },
    spec: {
      group,
      scope: "Namespaced",
      names: { plural: "widgets", singular: "widget", kind: "Widget", listKind: "WidgetList" },
      versions: [{
        name: "v1",
        served: true,
        storage: true,
        schema: {
          openAPIV3Schema: {
            type: "object",
            properties: { spec: { type: "object", "x-kubernetes-preserve-unknown-fields": true } },
          },
        },
      }],
    },
  } as Obj;
}

async function installCrd(client: KubeClient, crd: Obj): Promise<void> {
  await client.create(crd);
  await eventually(`CRD ${crd.metadata.name} established`, async () => {
    const live = await client.get<{ status?: { conditions?: Array<{ type: string; status: string }> } }>({
      apiVersion: "apiextensions.k8s.io/v1",
      kind: "CustomResourceDefinition",
      name: crd.metadata.name!,
    });
    return live.status?.conditions?.some((c) => c.type === "Established" && c.status === "True");
  });
}

function entries(group: string) {
  return [
    { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "web-sa", labels: { team: "a" } } },
    {
      apiVersion: "policy/v1",
      kind: "PodDisruptionBudget",
      metadata: { name: "web" },
      spec: { minAvailable: 1, selector: { matchLabels: { "app.kubernetes.io/name": "web" } } },
    },
    {
      apiVersion: "networking.k8s.io/v1",
      kind: "NetworkPolicy",
      metadata: { name: "web" },
      spec: { podSelector: {}, policyTypes: ["Ingress"] },
    },
    { apiVersion: `${group}/v1`, kind: "Widget", metadata: { name: "w1" }, spec: { size: 3 } },
  ];
}

const r = (apiVersion: string, kind: string, namespace: string, name: string) => ({
  apiVersion,
  kind,
  namespace,
  name,
});

/** The operator's `plumber_cluster_watches` gauge: seed and resources. */
async function watches(operator: OperatorProcess): Promise<{ seed: number; resources: number }> {
  const port = await operator.port("metrics");
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const value = (label: string) =>
    Number(text.match(new RegExp(`^plumber_cluster_watches\\{for="${label}"\\} (\\d+)`, "m"))?.[1] ?? NaN);
  return { seed: value("seed"), resources: value("resources") };
}

/** The number of write requests logged so far once they have stopped (3 equal readings, 300 ms apart). */
async function settledWrites(operator: OperatorProcess): Promise<number> {
  let last = -1;
  let same = 0;
  return await eventually("the operator's writes to settle", () => {
    const writes = operator.logs.filter((l) => l.msg === "Write request").length;
    same = writes === last ? same + 1 : 0;
    last = writes;
    return same >= 3 && writes;
  }, { intervalMs: 300, timeoutMs: 60_000 });
}

function writeLines(f: OperatorFixture): string[] {
  return f.operator.logs.filter((l) => l.msg === "Write request").map((l) => `${l.method} ${l.path}`);
}

function appliedOf(rep: Replicator | undefined, cluster: string, kind: string, name: string) {
  return (rep?.status?.applied ?? []).filter((a) =>
    a.cluster === cluster && a.kind === kind && a.name === name
  );
}

Deno.test("resources[]: applied where served, reported where not and applied within seconds once the CRD is installed; drift reverted, pruned, named twice without a write loop, cleaned up; watches follow the kinds in use", async () => {
  await withOperator({ prefix: "res" }, async (f) => {
    const c = f.clients;
    const group = `${uniqueName("res")}.example.com`;
    const crd = widgetCrd(group);
    const crdRef = {
      apiVersion: "apiextensions.k8s.io/v1",
      kind: "CustomResourceDefinition",
      name: `widgets.${group}`,
    };
    f.cleanup(() => Promise.all(f.clients.all.map(([, client]) => client.delete(crdRef).catch(() => false))));
    await installCrd(c.secondary1, crd);

    const name = uniqueName("res");
    const ns = uniqueName("res-ns");
    // Before any Replicator uses an extra kind: no watch for one.
    await waitSynced(c.primary, (await createBystander(f, ns)).metadata.name);
    const before = await eventually("the watches gauge", async () => {
      const w = await watches(f.operator);
      return Number.isFinite(w.seed) && w.seed > 0 && w;
    });
    assert.equal(before.resources, 0, "no watch on kinds nobody replicates");

    const manifest = replicatorManifest(name, ns, {
      test: f.test,
      targets: SECONDARIES,
      configMapOnly: true,
    });
    await c.primary.create({ ...manifest, spec: { ...manifest.spec, resources: entries(group) } });

    // Served kinds applied everywhere; the Widget in secondary1 only, reported in the others.
    const reported = await eventually("the Widget reported where its kind is not served", async () => {
      const rep = await getRep(c.primary, name);
      const ok = [PRIMARY, SECONDARY2].every((cluster) =>
        appliedOf(rep, cluster, "Widget", "w1")[0]?.applyStatus ===
          `failed: kind ${group}/v1 Widget is not served by this cluster`
      );
      return ok && appliedOf(rep, SECONDARY1, "Widget", "w1")[0]?.applyStatus === "applied" && rep;
    }, { timeoutMs: 60_000 });
    for (const cluster of [PRIMARY, SECONDARY1, SECONDARY2]) {
      for (const kind of ["ServiceAccount", "PodDisruptionBudget", "NetworkPolicy"]) {
        const name = kind === "ServiceAccount" ? "web-sa" : "web";
        assert.equal(
          appliedOf(reported, cluster, kind, name)[0]?.applyStatus,
          "applied",
          `${kind} in ${cluster}`,
        );
      }
    }
    assert.notEqual(reported.status?.synced, "synced");
    for (const [context, client] of c.all) {
      const sa = await client.get<Obj>(r("v1", "ServiceAccount", ns, "web-sa"));
      assert.equal(sa.metadata.labels?.[LABEL_REPLICATOR], name, `ServiceAccount labelled in ${context}`);
      assert.equal(sa.metadata.labels?.team, "a", `the entry's own label kept in ${context}`);
      assert.ok(await client.get(r("policy/v1", "PodDisruptionBudget", ns, "web")));
      assert.ok(await client.get(r("networking.k8s.io/v1", "NetworkPolicy", ns, "web")));
    }
    assert.ok(await c.secondary1.get(r(`${group}/v1`, "Widget", ns, "w1")));
    const using = await eventually("watches for the extra kinds", async () => {
      const w = await watches(f.operator);
      // ServiceAccount, PodDisruptionBudget and NetworkPolicy in three clusters, Widget in secondary1.
      return w.resources === 10 && w;
    }, { timeoutMs: 30_000 });
    assert.equal(using.seed, before.seed, "the seed's watches unchanged");
    console.log(
      `watches: ${before.seed} without extra kinds; ${using.seed + using.resources} with ` +
        `(${using.resources} for spec.resources[] kinds: 3 kinds x 3 clusters + the CRD's kind in 1)`,
    );

    // The CRD installed in secondary2: the Widget is applied there within seconds.
    const installed = performance.now();
    await installCrd(c.secondary2, crd);
    await eventually(
      "the Widget applied in secondary2",
      () => c.secondary2.find(r(`${group}/v1`, "Widget", ns, "w1")),
      {
        timeoutMs: 30_000,
      },
    );
    console.log(
      `Widget applied in secondary2 ${
        Math.round(performance.now() - installed)
      } ms after its CRD was established`,
    );
    // And the primary too; then synced.
    await installCrd(c.primary, crd);
    await waitSynced(c.primary, name, 30_000);

    // Drift: an edit of the PodDisruptionBudget is reverted (p50 of 10), a deleted ServiceAccount comes back.
    const latencies: number[] = [];
    const pdb = r("policy/v1", "PodDisruptionBudget", ns, "web");
    for (let i = 0; i < 10; i++) {
      const edited = performance.now();
      await c.secondary1.mergePatch(pdb, { spec: { minAvailable: 2 + i } });
      await eventually("the PodDisruptionBudget edit reverted", async () => {
        const live = await c.secondary1.get<{ spec: { minAvailable: number } }>(pdb);
        return live.spec.minAvailable === 1;
      }, { intervalMs: 20 });
      latencies.push(performance.now() - edited);
    }
    latencies.sort((a, b) => a - b);
    console.log(
      `drift revert latency for an extra kind (PodDisruptionBudget, secondary1): p50 ${
        Math.round((latencies[4]! + latencies[5]!) / 2)
      } ms, min ${Math.round(latencies[0]!)} ms, max ${Math.round(latencies[9]!)} ms (n=10)`,
    );
    const sa = r("v1", "ServiceAccount", ns, "web-sa");
    const oldUid = (await c.secondary2.get<Obj>(sa)).metadata.uid;
    await c.secondary2.delete(sa);
    await eventually("the deleted ServiceAccount recreated", async () => {
      const live = await c.secondary2.find<Obj>(sa);
      return live !== undefined && live.metadata.uid !== oldUid;
    });

    // Named twice: an entry naming the seed's ConfigMap is not applied and is reported; a second Replicator
    // naming the same ServiceAccount gets a conflict; neither makes a write loop.
    const other = uniqueName("res2");
    const otherManifest = replicatorManifest(other, ns, {
      test: f.test,
      targets: SECONDARIES,
      configMapOnly: true,
      configMapName: "other",
    });
    await c.primary.create({
      ...otherManifest,
      spec: {
        ...otherManifest.spec,
        resources: [{ apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "web-sa" } }],
      },
    });
    await c.primary.mergePatch({ ...REP, name }, {
      spec: {
        resources: [
          ...entries(group),
          { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "web" }, data: { "index.html": "entry" } },
        ],
      },
    });
    const clash = await eventually("the clash reported", async () => {
      const rep = await getRep(c.primary, name);
      const entry = appliedOf(rep, SECONDARY1, "ConfigMap", "web").find((a) =>
        a.applyStatus.startsWith("conflict")
      );
      return rep?.status?.observedGeneration === rep?.metadata.generation && entry && rep;
    });
    assert.equal(
      appliedOf(clash, SECONDARY1, "ConfigMap", "web").find((a) => a.applyStatus.startsWith("conflict"))
        ?.applyStatus,
      "conflict: spec.resources[4] is not applied: also named by configMapName",
    );
    assert.equal(clash.status?.conditions?.find((x) => x.type === "Ready")?.status, "False");
    const degraded = clash.status?.conditions?.find((x) => x.type === "Degraded");
    assert.equal(degraded?.status, "True");
    assert.match(
      degraded?.message ?? "",
      /ConfigMap web: conflict: spec.resources\[4\] is not applied: also named by configMapName/,
    );
    assert.equal(
      (await c.secondary1.get<Obj>(r("v1", "ConfigMap", ns, "web"))).data?.["index.html"],
      "hello",
    );
    await eventually("the second Replicator's conflict reported", async () => {
      const rep = await getRep(c.primary, other);
      return appliedOf(rep, SECONDARY1, "ServiceAccount", "web-sa")[0]?.applyStatus.startsWith("conflict:");
    });
    const mark = await settledWrites(f.operator);
    const settledAt = writeLines(f).length;
    const window = 5_000;
    await new Promise((resolve) => setTimeout(resolve, window));
    const during = writeLines(f).slice(settledAt).filter((w) =>
      !w.includes("/leases/") && !w.includes("/events")
    );
    assert.deepEqual(during, [], `no write in a ${window} ms settled window (from write ${mark})`);
    assert.equal(
      (await c.secondary1.get<Obj>(sa)).metadata.labels?.[LABEL_REPLICATOR],
      name,
      "the ServiceAccount is still the first Replicator's",
    );
    await deleteAndWaitGone(c.primary, other);
    // Cleaning up the second Replicator left the first one's ServiceAccount alone, everywhere.
    for (const [context, client] of c.all) {
      assert.equal(
        (await client.get<Obj>(sa)).metadata.labels?.[LABEL_REPLICATOR],
        name,
        `the first Replicator's ServiceAccount survives the second's deletion in ${context}`,
      );
    }

    // Pruning: the NetworkPolicy removed from resources[] goes from every cluster; so does its watch.
    await c.primary.mergePatch({ ...REP, name }, {
      spec: { resources: entries(group).filter((e) => e.kind !== "NetworkPolicy") },
    });
    for (const [context, client] of c.all) {
      await eventually(
        `the NetworkPolicy pruned in ${context}`,
        async () => !(await client.find(r("networking.k8s.io/v1", "NetworkPolicy", ns, "web"))),
      );
    }
    await waitSynced(c.primary, name);
    await eventually(
      "the NetworkPolicy watches stopped",
      async () => (await watches(f.operator)).resources === 9,
      {
        timeoutMs: 30_000,
      },
    );

    // Deletion cleans up every extra object in every cluster, and every extra watch stops.
    await deleteAndWaitGone(c.primary, name);
    for (const [context, client] of c.all) {
      assert.equal(await client.find(sa), undefined, `ServiceAccount deleted in ${context}`);
      assert.equal(await client.find(pdb), undefined, `PodDisruptionBudget deleted in ${context}`);
      assert.equal(
        await client.find(r(`${group}/v1`, "Widget", ns, "w1")),
        undefined,
        `Widget deleted in ${context}`,
      );
    }
    await eventually(
      "no watch on extra kinds once nobody uses them",
      async () => (await watches(f.operator)).resources === 0,
      { timeoutMs: 30_000 },
    );
  });
});

/** A ConfigMap-only Replicator in `ns` with no resources[] (keeps the namespace in use while the others come and go). */
async function createBystander(f: OperatorFixture, ns: string): Promise<Replicator> {
  const manifest = replicatorManifest(uniqueName("res-by"), ns, {
    test: f.test,
    targets: SECONDARIES,
    configMapOnly: true,
    configMapName: "bystander",
  });
  return await f.clients.primary.create<Replicator>(manifest);
}
