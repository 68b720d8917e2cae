/**
 * Choosing clusters by label (`spec.clusterSelector`) end to end: the real operator against three real
 * clusters, ClusterDetectors labelled as `kubectl label` does (a merge patch of metadata.labels).
 */

import assert from "node:assert/strict";
import { hasPart } from "../controllers/replicator/reconcile_events.ts";
import { parse } from "yaml";
import { API_VERSION, CLUSTER_DETECTOR_KIND, type ReplicatorSpec } from "../lib/api.ts";
import type { KubeClient } from "../lib/kube/client.ts";
import { eventually, uniqueName } from "./harness.ts";
import {
  kubeconfigFor,
  type OperatorFixture,
  type OperatorProcess,
  withOperator,
  writeKubeconfigSecret,
} from "./operator.ts";
import {
  eventsAbout,
  EXAMPLES,
  getRep,
  type Obj,
  PRIMARY,
  ref,
  REP,
  type ReplicatorManifest,
  replicatorManifest,
  SECONDARY1,
  SECONDARY2,
  waitSynced,
} from "./replicators.ts";

/** A Replicator of the test's choosing clusters by `selector` (and naming `targets`). */
function selecting(
  f: OperatorFixture,
  namespace: string,
  selector: NonNullable<ReplicatorSpec["clusterSelector"]>,
  options: { targets?: string[]; configMapOnly?: boolean } = {},
) {
  const manifest = replicatorManifest(uniqueName("sel"), namespace, {
    test: f.test,
    targets: options.targets ?? [],
    configMapOnly: options.configMapOnly ?? true,
  });
  if (!options.targets) delete manifest.spec.targetCluster;
  manifest.spec.clusterSelector = selector;
  return manifest;
}

/** Sets (a string) or removes (null) labels of a ClusterDetector, as `kubectl label` does. */
async function label(
  f: OperatorFixture,
  cluster: string,
  labels: Record<string, string | null>,
): Promise<void> {
  await f.clients.primary.mergePatch(
    { apiVersion: API_VERSION, kind: CLUSTER_DETECTOR_KIND, namespace: f.namespace, name: cluster },
    { metadata: { labels } },
    { fieldManager: "kubectl-label" },
  );
}

/** Waits until the operator has created and probed the ClusterDetectors of these clusters. */
async function waitRunning(f: OperatorFixture, clusters: string[]): Promise<void> {
  for (const name of clusters) {
    await eventually(`ClusterDetector ${name} Running`, async () => {
      const cd = await f.clients.primary.find<Obj>({
        apiVersion: API_VERSION,
        kind: CLUSTER_DETECTOR_KIND,
        namespace: f.namespace,
        name,
      });
      return cd?.status?.clusterstatus === "Running";
    });
  }
}

/** Whether the test's ConfigMap `web` is in a cluster's namespace. */
async function hasWeb(client: KubeClient, namespace: string): Promise<boolean> {
  return (await client.find(ref("ConfigMap", namespace, "web"))) !== undefined;
}

/** A namespace is gone, or going. */
async function namespaceGone(client: KubeClient, namespace: string): Promise<boolean> {
  const ns = await client.find<Obj>({ apiVersion: "v1", kind: "Namespace", name: namespace });
  return !ns || ns.status?.phase === "Terminating";
}

/** `[name, targetedBy]` of each cluster in a Replicator's status. */
async function targetedBy(primary: KubeClient, name: string): Promise<Array<[string, string[] | undefined]>> {
  const rep = await getRep(primary, name);
  return (rep?.status?.clusters ?? []).map((c) => [c.name, c.targetedBy]);
}

/** The Replicator's `ClustersSelected` condition. */
async function selection(primary: KubeClient, name: string) {
  return (await getRep(primary, name))?.status?.conditions?.find((c) => c.type === "ClustersSelected");
}

/** The Replicator controller's reconciles so far, from the operator's metrics. */
async function reconciles(operator: OperatorProcess): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${await operator.port("metrics")}/metrics`)).text();
  let total = 0;
  for (const line of text.split("\n")) {
    const m = /^controller_runtime_reconcile_total\{([^}]*)\} (\d+)/.exec(line);
    if (m && m[1]!.includes(`controller="replicator"`)) total += Number(m[2]);
  }
  return total;
}

/**
 * Replication's write requests since line `from` of the operator's log. The ClusterDetector controller's
 * label bookkeeping (a `kubectl label` mirrored into the kubeconfig Secret, the synced-labels annotation) is
 * not replication and is left out.
 */
function writesSince(operator: OperatorProcess, from: number): string[] {
  return operator.lines.slice(from).flatMap((line) => {
    try {
      const l = JSON.parse(line);
      if (l.msg !== "Write request") return [];
      if (/\/secrets\/plumber-kubeconfig$|\/clusterdetectors\/[^/]+$/.test(String(l.path))) return [];
      return [`${l.method} ${l.host}${l.path}`];
    } catch {
      return [];
    }
  });
}

/** Waits until the Replicator controller has done at least `more` reconciles more than `before`. */
async function reconciled(operator: OperatorProcess, before: number, more = 1): Promise<number> {
  return await eventually("the Replicator to be reconciled", async () => {
    const now = await reconciles(operator);
    return now >= before + more && now;
  }, { intervalMs: 100 });
}

Deno.test("clusterSelector picks the labelled secondaries, re-targets on a label change, and prunes under the namespace rules", async () => {
  await withOperator({ prefix: "sel-pick" }, async (f) => {
    const c = f.clients;
    const ns = uniqueName("sel-pick");
    await waitRunning(f, [SECONDARY1, SECONDARY2]);
    await label(f, SECONDARY1, { region: "east" });
    await label(f, SECONDARY2, { region: "west" });
    const rep = selecting(f, ns, { matchLabels: { region: "east" } });
    await c.primary.create(rep);
    await waitSynced(c.primary, rep.metadata.name);
    assert.ok(await hasWeb(c.primary, ns));
    assert.ok(await hasWeb(c.secondary1, ns));
    assert.equal(await c.secondary2.find({ apiVersion: "v1", kind: "Namespace", name: ns }), undefined);
    assert.deepEqual(await targetedBy(c.primary, rep.metadata.name), [
      [PRIMARY, ["primary"]],
      [SECONDARY1, ["clusterSelector"]],
    ]);
    const selected = await selection(c.primary, rep.metadata.name);
    assert.equal(selected?.status, "True");
    assert.equal(selected?.message, `clusterSelector "region=east" selects 1 cluster: ${SECONDARY1}`);

    // Someone else's object in the namespace secondary1 gets: the namespace must outlive plumber's objects.
    f.cleanup(() => c.secondary1.delete({ apiVersion: "v1", kind: "Namespace", name: ns }));
    const foreign = await c.secondary1.create<Obj>({
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "not-plumbers", namespace: ns },
      data: { keep: "me" },
    });

    // secondary2 starts matching: the objects appear there.
    await label(f, SECONDARY2, { region: "east" });
    await eventually("objects in secondary2", () => hasWeb(c.secondary2, ns), { timeoutMs: 10_000 });
    await eventually("secondary2 in status", async () => {
      const clusters = await targetedBy(c.primary, rep.metadata.name);
      return clusters.some(([name, why]) => name === SECONDARY2 && why?.[0] === "clusterSelector");
    });

    // secondary1 stops matching: plumber's objects go, the namespace and the foreign object stay.
    await label(f, SECONDARY1, { region: null });
    await eventually("objects pruned from secondary1", async () => !(await hasWeb(c.secondary1, ns)), {
      timeoutMs: 10_000,
    });
    const kept = await c.secondary1.get<Obj>(ref("ConfigMap", ns, "not-plumbers"));
    assert.equal(kept.metadata.resourceVersion, foreign.metadata.resourceVersion);
    assert.equal(
      await namespaceGone(c.secondary1, ns),
      false,
      "a namespace holding someone else's object is kept",
    );
    await eventually(
      "secondary1 gone from status",
      async () =>
        JSON.stringify(await targetedBy(c.primary, rep.metadata.name)) ===
          JSON.stringify([[PRIMARY, ["primary"]], [SECONDARY2, ["clusterSelector"]]]),
    );

    // secondary2 stops matching too: its namespace, created by plumber and now empty, goes with the objects.
    await label(f, SECONDARY2, { region: "west" });
    await eventually("secondary2's namespace deleted", () => namespaceGone(c.secondary2, ns), {
      timeoutMs: 15_000,
    });
    await eventually("an empty selection reported", async () => {
      const s = await selection(c.primary, rep.metadata.name);
      return s?.status === "False" && s.reason === "NoClusterMatches" && s;
    });
    assert.deepEqual(await targetedBy(c.primary, rep.metadata.name), [[PRIMARY, ["primary"]]]);
    // One Event per reconcile: the NoClustersSelected part makes one a Warning; the Pruned parts name what went.
    const escaped = (s: string) => s.replaceAll(".", "\\.");
    await eventually("the NoClustersSelected and Pruned parts", async () => {
      const events = await eventsAbout(c.primary, "default", rep.metadata.name);
      return events.some((e) =>
        e.type === "Warning" &&
        hasPart(
          e.message,
          /^clusterSelector "[^"]*" matches no registered secondary cluster; only the primary/,
        )
      ) &&
        events.some((e) =>
          hasPart(e.message, new RegExp(`^Deleted ConfigMap/${ns}/web in ${escaped(SECONDARY1)}`))
        );
    });
  });
});

Deno.test("a ClusterDetector label change brings the objects into the newly matching cluster (p50 of 10)", async () => {
  await withOperator({ prefix: "sel-time" }, async (f) => {
    const c = f.clients;
    const ns = uniqueName("sel-time");
    await waitRunning(f, [SECONDARY1, SECONDARY2]);
    await label(f, SECONDARY1, { region: "east" });
    // ConfigMap, Deployment and Service, as users replicate them.
    const rep = selecting(f, ns, { matchLabels: { region: "east" } }, { configMapOnly: false });
    await c.primary.create(rep);
    await waitSynced(c.primary, rep.metadata.name);
    const all = async () =>
      (await Promise.all(
        ["ConfigMap", "Deployment", "Service"].map((kind) => c.secondary2.find(ref(kind, ns, "web"))),
      ))
        .every((o) => o !== undefined);
    const times: number[] = [];
    for (let round = 0; round < 10; round++) {
      // Every round starts from nothing in secondary2, its namespace included (plumber created it).
      await eventually("secondary2 empty", async () => {
        const ns2 = await c.secondary2.find<Obj>({ apiVersion: "v1", kind: "Namespace", name: ns });
        return !ns2;
      }, { timeoutMs: 60_000, intervalMs: 100 });
      const started = performance.now();
      await label(f, SECONDARY2, { region: "east" });
      await eventually("objects in secondary2", all, { timeoutMs: 10_000, intervalMs: 10 });
      times.push(performance.now() - started);
      await label(f, SECONDARY2, { region: null });
      await eventually("objects pruned from secondary2", async () => !(await hasWeb(c.secondary2, ns)), {
        timeoutMs: 10_000,
      });
    }
    const sorted = [...times].sort((a, b) => a - b);
    const p50 = (sorted[4]! + sorted[5]!) / 2;
    console.log(
      `label change -> objects in the newly matching cluster: p50 ${Math.round(p50)} ms, max ${
        Math.round(sorted[9]!)
      } ms (10 rounds: ${times.map(Math.round).join(", ")} ms)`,
    );
    assert.ok(p50 < 1000, `p50 ${p50} ms: re-targeting within a second`);
  });
});

Deno.test("a cluster registered after the Replicator exists is picked up by a selector that matches it", async () => {
  await withOperator({ prefix: "sel-new", secondaries: ["secondary1"] }, async (f) => {
    const c = f.clients;
    const ns = uniqueName("sel-new");
    await waitRunning(f, [SECONDARY1]);
    // {} selects every registered secondary.
    const rep = selecting(f, ns, {});
    await c.primary.create(rep);
    await waitSynced(c.primary, rep.metadata.name);
    assert.ok(await hasWeb(c.secondary1, ns));
    assert.equal(await hasWeb(c.secondary2, ns), false);

    const both = ["secondary1", "secondary2"].map((ctx) => f.state.clusters.find((x) => x.context === ctx)!);
    await writeKubeconfigSecret(c.primary, f.namespace, kubeconfigFor(both));
    await eventually("objects in the newly registered secondary2", () => hasWeb(c.secondary2, ns), {
      timeoutMs: 30_000,
    });
    await eventually("secondary2 in status, selected", async () => {
      const clusters = await targetedBy(c.primary, rep.metadata.name);
      // Selected clusters come by name after the primary.
      return JSON.stringify(clusters) === JSON.stringify([
        [PRIMARY, ["primary"]],
        ...[SECONDARY1, SECONDARY2].sort().map((name) => [name, ["clusterSelector"]]),
      ]);
    });
    const selected = await selection(c.primary, rep.metadata.name);
    assert.equal(
      selected?.message,
      `clusterSelector "(everything)" selects 2 clusters: ${[SECONDARY1, SECONDARY2].sort().join(", ")}`,
    );
  });
});

Deno.test("targetCluster and clusterSelector add up (targetedBy both), and a steady state writes nothing", async () => {
  await withOperator({ prefix: "sel-union" }, async (f) => {
    const c = f.clients;
    const ns = uniqueName("sel-union");
    await waitRunning(f, [SECONDARY1, SECONDARY2]);
    await label(f, SECONDARY1, { region: "east" });
    await label(f, SECONDARY2, { region: "east" });
    const rep = selecting(f, ns, {
      matchExpressions: [{ key: "region", operator: "In", values: ["east", "north"] }],
    }, { targets: [SECONDARY1], configMapOnly: false });
    await c.primary.create(rep);
    await waitSynced(c.primary, rep.metadata.name);
    assert.deepEqual(await targetedBy(c.primary, rep.metadata.name), [
      [PRIMARY, ["primary"]],
      [SECONDARY1, ["targetCluster", "clusterSelector"]],
      [SECONDARY2, ["clusterSelector"]],
    ]);
    for (const [, client] of c.all) assert.ok(await hasWeb(client, ns));
    // The local clusters run Pods: status follows them until every cluster's Deployment is ready.
    await eventually("the workload ready in every cluster", async () => {
      const clusters = (await getRep(c.primary, rep.metadata.name))?.status?.clusters ?? [];
      return clusters.length === 3 && clusters.every((x) => x.ready && x.readyReplicas === x.replicas);
    }, { timeoutMs: 60_000 });

    // Let the last status write and its Event land, then: a label change that changes no selection
    // reaches the Replicator (a reconcile) and writes nothing, anywhere.
    await eventually("the status to settle", async () => {
      const before = f.operator.lines.length;
      await new Promise((resolve) => setTimeout(resolve, 500));
      return writesSince(f.operator, before).length === 0;
    });
    const from = f.operator.lines.length;
    const before = await reconciles(f.operator);
    await label(f, SECONDARY2, { tier: "big" });
    await reconciled(f.operator, before);
    // Named and selected: still targeted when it stops matching (by name).
    await label(f, SECONDARY1, { region: null });
    await eventually("secondary1 targeted by name only", async () => {
      const clusters = await targetedBy(c.primary, rep.metadata.name);
      return clusters.some(([name, why]) =>
        name === SECONDARY1 && JSON.stringify(why) === `["targetCluster"]`
      );
    });
    const statusWrites = writesSince(f.operator, from);
    assert.ok(
      statusWrites.every((w) => w.includes("/replicators/") || w.includes("/events")),
      `only the status and its Event change when a named cluster stops matching: ${statusWrites.join("\n")}`,
    );
    assert.ok(
      await hasWeb(c.secondary1, ns),
      "a cluster named in targetCluster is never pruned by a label change",
    );

    await eventually("the status to settle again", async () => {
      const before = f.operator.lines.length;
      await new Promise((resolve) => setTimeout(resolve, 500));
      return writesSince(f.operator, before).length === 0;
    });
    const steady = f.operator.lines.length;
    const reconcilesBefore = await reconciles(f.operator);
    await label(f, SECONDARY2, { tier: "small" });
    await reconciled(f.operator, reconcilesBefore);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    assert.deepEqual(writesSince(f.operator, steady), [], "a steady state makes no write requests");
  });
});

Deno.test("a selector matching nothing, or with an invalid key, is a condition and an Event, not a retry loop", async () => {
  await withOperator({ prefix: "sel-empty" }, async (f) => {
    const c = f.clients;
    const ns = uniqueName("sel-empty");
    await waitRunning(f, [SECONDARY1, SECONDARY2]);
    const nothing = selecting(f, ns, { matchLabels: { region: "nowhere" } });
    await c.primary.create(nothing);
    const synced = await waitSynced(c.primary, nothing.metadata.name);
    const empty = synced.status?.conditions?.find((x) => x.type === "ClustersSelected");
    assert.deepEqual([empty?.status, empty?.reason, empty?.message], [
      "False",
      "NoClusterMatches",
      `clusterSelector "region=nowhere" matches no registered secondary cluster; only the primary is targeted`,
    ]);
    assert.deepEqual(synced.status?.clusters?.map((x) => x.name), [PRIMARY]);

    // A selector made invalid by an edit changes nothing: what it selected stays, nothing new is selected
    // (DoesNotExist of an invalid key would otherwise match every cluster).
    await label(f, SECONDARY1, { region: "east" });
    const invalid = selecting(f, uniqueName("sel-invalid"), { matchLabels: { region: "east" } });
    const ns2 = invalid.spec.replicationNamespace;
    await c.primary.create(invalid);
    await waitSynced(c.primary, invalid.metadata.name);
    assert.ok(await hasWeb(c.secondary1, ns2));
    await c.primary.mergePatch({ ...REP, name: invalid.metadata.name }, {
      spec: { clusterSelector: { matchExpressions: [{ key: "region!", operator: "DoesNotExist" }] } },
    });
    const expected =
      `Invalid spec.clusterSelector (spec.clusterSelector.matchExpressions[0].key: "region!" is ` +
      `not a label key); it selects no new cluster and keeps the 1 it selected before: ${SECONDARY1}`;
    await eventually("the invalid selector reported", async () => {
      const r = await getRep(c.primary, invalid.metadata.name);
      const degraded = r?.status?.conditions?.find((x) => x.type === "Degraded");
      const selected = r?.status?.conditions?.find((x) => x.type === "ClustersSelected");
      return degraded?.status === "True" && degraded.message === expected &&
        selected?.reason === "InvalidSelector" && selected.message === expected && r;
    });
    assert.ok(await hasWeb(c.secondary1, ns2), "kept where it was");
    assert.equal(await hasWeb(c.secondary2, ns2), false, "nothing new selected");
    // The selection parts (NoClustersSelected, InvalidClusterSelector) make their Events Warnings.
    await eventually("the events", async () => {
      const warns = (events: { type?: string; message?: string }[], part: string) =>
        events.some((e) => e.type === "Warning" && hasPart(e.message, part));
      return warns(await eventsAbout(c.primary, "default", nothing.metadata.name), empty!.message!) &&
        warns(await eventsAbout(c.primary, "default", invalid.metadata.name), expected);
    });

    // Neither is retried: over two seconds (two probe rounds), at most a reconcile or two, and no write.
    await eventually("the status to settle", async () => {
      const before = f.operator.lines.length;
      await new Promise((resolve) => setTimeout(resolve, 500));
      return writesSince(f.operator, before).length === 0;
    });
    const from = f.operator.lines.length;
    const before = await reconciles(f.operator);
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const after = await reconciles(f.operator);
    assert.ok(after - before <= 2, `${after - before} reconciles in 2 s: a retry loop`);
    assert.deepEqual(writesSince(f.operator, from), []);
  });
});

Deno.test("examples/replicator-by-region.yaml goes to the east region's secondaries, not the air-gapped one", async () => {
  await withOperator({ prefix: "sel-example" }, async (f) => {
    const c = f.clients;
    const example = parse(
      await Deno.readTextFile(new URL("replicator-by-region.yaml", EXAMPLES)),
    ) as ReplicatorManifest;
    // As users copy it, but served by this test's operator and in a namespace of its own.
    const ns = uniqueName("web");
    example.metadata = { name: uniqueName("web-east"), labels: { "plumber-test": f.test } };
    example.spec.replicationNamespace = ns;
    await waitRunning(f, [SECONDARY1, SECONDARY2]);
    await label(f, SECONDARY1, { region: "east" });
    await label(f, SECONDARY2, { region: "east", tier: "air-gapped" });
    await c.primary.create(example);
    await waitSynced(c.primary, example.metadata.name);
    assert.deepEqual(await targetedBy(c.primary, example.metadata.name), [
      [PRIMARY, ["primary"]],
      [SECONDARY1, ["clusterSelector"]],
    ]);
    const deployment = await c.secondary1.get<Obj>(ref("Deployment", ns, "web"));
    assert.equal(deployment.spec?.replicas, 2);
    assert.equal(await c.secondary2.find({ apiVersion: "v1", kind: "Namespace", name: ns }), undefined);
  });
});
