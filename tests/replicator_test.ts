/**
 * The Replicator controller end to end: the real operator process against
 * three real clusters.
 */

import assert from "node:assert/strict";
import { hasPart } from "../controllers/replicator/reconcile_events.ts";
import { parse } from "yaml";
import { readCertificate } from "../lib/pki/mod.ts";
import { DEFAULT_CLUSTERS } from "./control_plane.ts";
import { adminClient, eventually, privateControlPlane, uniqueName } from "./harness.ts";
import { type OperatorProcess, prepareOperatorNamespace, startOperator, withOperator } from "./operator.ts";
import {
  getRep,
  type Obj,
  PRIMARY,
  ref,
  REP,
  replicatorManifest,
  SAMPLE,
  SECONDARY1,
  SECONDARY2,
  waitSynced,
} from "./replicators.ts";

const SECONDARIES = [SECONDARY1, SECONDARY2];

/** A small Replicator of the test's: ConfigMap, Deployment (2 replicas) and Service `web`. */
function replicator(name: string, namespace: string, options: { targets?: string[]; test: string }) {
  return replicatorManifest(name, namespace, {
    test: options.test,
    targets: options.targets ?? SECONDARIES,
    replicas: 2,
  });
}

/** Write requests (POST/PUT/PATCH/DELETE) the operator has made, from its own metrics. */
async function writeCount(operator: OperatorProcess): Promise<number> {
  const port = await operator.port("metrics");
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  let total = 0;
  for (const line of text.split("\n")) {
    const m = /^rest_client_requests_total\{([^}]*)\} (\d+)/.exec(line);
    if (m && /method="(POST|PUT|PATCH|DELETE)"/.test(m[1]!)) total += Number(m[2]);
  }
  return total;
}

/** The write count once it has stopped changing (the status write's Event follows it). */
async function settledWriteCount(operator: OperatorProcess): Promise<number> {
  let last = -1;
  return await eventually("the operator's writes to settle", async () => {
    const now = await writeCount(operator);
    const settled = now === last;
    last = now;
    return settled && now;
  }, { intervalMs: 300 });
}

Deno.test("The seed's sample applied verbatim is replicated to primary, secondary1 and secondary2 with mTLS", async () => {
  const sample = parse(await Deno.readTextFile(SAMPLE));
  const selector = "app.kubernetes.io/instance=replicator-sample";
  await withOperator({ prefix: "rep-sample", replicatorSelector: selector }, async (f) => {
    const c = f.clients;
    const started = performance.now();
    await c.primary.create(sample);
    const rep = await waitSynced(c.primary, "replicator-sample");
    console.log(`sample: create -> synced on 3 clusters in ${Math.round(performance.now() - started)} ms`);
    assert.equal(rep.status?.applied?.length, 18);
    assert.ok(rep.status?.applied?.every((a) => a.applyStatus === "applied"));
    assert.deepEqual(rep.status?.clusters?.map((x) => x.name), [
      PRIMARY,
      ...SECONDARIES,
    ]);
    assert.equal(rep.status?.conditions?.find((x) => x.type === "Ready")?.status, "True");
    assert.ok(rep.metadata.finalizers?.includes("plumber.jnytnai0613.github.io/finalizer"));

    const certs: string[] = [];
    for (const [, client] of c.all) {
      const cm = await client.get<Obj>(ref("ConfigMap", "test-ns", "nginx"));
      assert.match(cm.data?.["default.conf"] ?? "", /listen 80 default_server/);
      const deploy = await client.get<Obj>(ref("Deployment", "test-ns", "nginx"));
      assert.equal(deploy.spec?.replicas, 3);
      const selectorLabels = (deploy.spec?.selector as { matchLabels: Record<string, string> }).matchLabels;
      assert.deepEqual(selectorLabels, {
        "app.kubernetes.io/instance": "replicator-sample",
        "app.kubernetes.io/name": "nginx",
      });
      const svc = await client.get<Obj>(ref("Service", "test-ns", "nginx"));
      assert.deepEqual(svc.spec?.selector, selectorLabels);
      const ing = await client.get<Obj>(ref("Ingress", "test-ns", "nginx"));
      assert.equal(ing.metadata.annotations?.["nginx.ingress.kubernetes.io/auth-tls-verify-client"], "on");
      assert.equal(
        ing.metadata.annotations?.["nginx.ingress.kubernetes.io/auth-tls-secret"],
        "test-ns/ca-secret",
      );
      assert.equal(ing.metadata.annotations?.["nginx.ingress.kubernetes.io/rewrite-target"], "/");
      assert.deepEqual(ing.spec?.tls, [{ hosts: ["nginx.example.com"], secretName: "ca-secret" }]);
      assert.equal(ing.spec?.ingressClassName, "nginx", "the original's class, as the sample names none");
      const ca = await client.get<Obj>(ref("Secret", "test-ns", "ca-secret"));
      assert.deepEqual(Object.keys(ca.data ?? {}).sort(), ["ca.crt", "tls.crt", "tls.key"]);
      const cli = await client.get<Obj>(ref("Secret", "test-ns", "cli-secret"));
      assert.deepEqual(Object.keys(cli.data ?? {}).sort(), ["client.crt", "client.key"]);
      const server = await readCertificate(atob(ca.data!["tls.crt"]!));
      assert.deepEqual(server.dnsNames, ["nginx.example.com"]);
      certs.push(ca.data!["tls.crt"]! + cli.data!["client.crt"]!);
      for (const o of [cm, deploy, svc, ing, ca, cli]) {
        assert.equal(o.metadata.labels?.["app.kubernetes.io/managed-by"], "plumber");
        assert.equal(o.metadata.labels?.["plumber.jnytnai0613.github.io/replicator"], "replicator-sample");
      }
    }
    assert.equal(new Set(certs).size, 1, "one set of certificates for every cluster");
    assert.ok(!JSON.stringify(rep.status).includes("BEGIN"), "no secret material in status");

    // A restart changes no certificate and, all being in sync, writes nothing.
    assert.equal((await f.restartOperator()).code, 0);
    const operator = f.operator;
    await operator.waitForLog("Controllers started");
    await eventually("the restarted operator to have reconciled", async () => {
      const text = await (await fetch(`http://127.0.0.1:${await operator.port("metrics")}/metrics`)).text();
      return /controller_runtime_reconcile_total\{controller="replicator",result="(success|requeue_after)"\} [1-9]/
        .test(
          text,
        );
    });
    const writes = operator.logs.filter((l) => l.msg === "Write request").map((l) => `${l.method} ${l.path}`);
    assert.deepEqual(writes, [], "no write requests after a restart in sync");
    assert.equal(await writeCount(operator), 0);
    const ca = await c.secondary2.get<Obj>(ref("Secret", "test-ns", "ca-secret"));
    const cli = await c.secondary2.get<Obj>(ref("Secret", "test-ns", "cli-secret"));
    assert.equal(ca.data!["tls.crt"]! + cli.data!["client.crt"]!, certs[0]);
  });
});

Deno.test("Drift is reverted: a hand edit and a hand delete in a secondary are undone in about a second", async () => {
  await withOperator({ prefix: "rep-drift" }, async ({ operator, clients: c, test }) => {
    const name = uniqueName("drift");
    const ns = uniqueName("drift-ns");
    await c.primary.create(replicator(name, ns, { test }));
    await waitSynced(c.primary, name);
    const writesBefore = await settledWriteCount(operator);
    const logBefore = operator.logs.filter((l) => l.msg === "Write request").length;

    let started = performance.now();
    await c.secondary1.mergePatch(ref("Deployment", ns, "web"), { spec: { replicas: 7 } }, {
      fieldManager: "someone",
    });
    await eventually("the replicas edit to be reverted", async () => {
      const d = await c.secondary1.get<Obj>(ref("Deployment", ns, "web"));
      return d.spec?.replicas === 2;
    });
    const editMs = Math.round(performance.now() - started);

    started = performance.now();
    await c.secondary2.delete(ref("ConfigMap", ns, "web"));
    await eventually("the deleted ConfigMap to come back", async () => {
      const cm = await c.secondary2.find<Obj>(ref("ConfigMap", ns, "web"));
      return cm?.data?.["index.html"] === "hello";
    });
    const deleteMs = Math.round(performance.now() - started);
    console.log(`drift: edit reverted in ${editMs} ms, delete recreated in ${deleteMs} ms`);
    const event = await eventually("a DriftCorrected Event on the Replicator", async () => {
      const events = await c.primary.list<
        { reason?: string; message?: string; involvedObject?: { name?: string } }
      >(
        "v1",
        "Event",
        { namespace: "default" },
      );
      return events.items.find((e) =>
        e.involvedObject?.name === name && hasPart(e.message, /^cluster \S+: Deployment /)
      );
    });
    assert.match(
      event.message ?? "",
      new RegExp(
        `cluster v1262-cluster\\.kubernetes-admin2: Deployment ${ns}/web: spec\\.replicas changed by someone`,
      ),
    );
    assert.ok(editMs < 3000 && deleteMs < 3000, `drift took ${editMs} / ${deleteMs} ms`);
    // The corrections (two applies and their Events) and then nothing more: no write loop.
    // Pods run: the 7 replicas start, become ready and go again, and the Replicator's status follows
    // the secondary's counts (a status write per change the operator sees), besides the corrections.
    // So first wait for the secondary to settle: 2 ready replicas, the other 5 Pods gone.
    await eventually("secondary1's Deployment to settle at 2 ready replicas", async () => {
      const d = await c.secondary1.get<Obj>(ref("Deployment", ns, "web"));
      const status = d.status as { replicas?: number; readyReplicas?: number } | undefined;
      const pods = await c.secondary1.list("v1", "Pod", { namespace: ns });
      return status?.replicas === 2 && status.readyReplicas === 2 && pods.items.length === 2;
    }, { timeoutMs: 60_000 });
    const after = await settledWriteCount(operator);
    const log = operator.logs.filter((l) => l.msg === "Write request").slice(logBefore).map((l) =>
      `${l.method} ${l.path}`
    );
    const corrections = log.filter((l) => !l.endsWith("/status"));
    const statusWrites = log.length - corrections.length;
    assert.equal(after - writesBefore, log.length, `the write metric and the log agree:\n${log.join("\n")}`);
    assert.ok(
      corrections.length >= 2 && corrections.length <= 4,
      `${corrections.length} corrections:\n${log.join("\n")}`,
    );
    assert.ok(statusWrites <= 6, `${statusWrites} status writes:\n${log.join("\n")}`);
    await new Promise((resolve) => setTimeout(resolve, 2000)); // absence of writes over time is the subject
    assert.equal(await writeCount(operator), after);
  });
});

Deno.test("Pruning and deletion: dropped resources and clusters are deleted, and deleting the Replicator cleans every cluster", async () => {
  await withOperator({ prefix: "rep-prune" }, async ({ clients: c, test }) => {
    const ns = uniqueName("prune-ns");
    const a = uniqueName("a");
    const b = uniqueName("b");
    // Two Replicators in one namespace with different Deployments: disjoint selectors.
    const repA = replicator(a, ns, { test });
    const repB = replicator(b, ns, { test, targets: [SECONDARIES[0]!] });
    repB.spec.deploymentName = "api";
    repB.spec.configMapName = "api";
    repB.spec.serviceName = "api";
    await c.primary.create(repA);
    await c.primary.create(repB);
    await waitSynced(c.primary, a);
    await waitSynced(c.primary, b);
    const web = await c.secondary1.get<Obj>(ref("Deployment", ns, "web"));
    const api = await c.secondary1.get<Obj>(ref("Deployment", ns, "api"));
    const sel = (d: Obj) => (d.spec?.selector as { matchLabels: Record<string, string> }).matchLabels;
    assert.notDeepEqual(sel(web), sel(api));
    assert.notEqual(sel(web)["app.kubernetes.io/instance"], sel(api)["app.kubernetes.io/instance"]);

    // Drop the Service from A and secondary2 from its targets.
    // A merge patch (null removes a field): the operator writes the status while Pods become ready,
    // so a read-modify-update of the whole object could meet a 409.
    await c.primary.mergePatch(
      { ...REP, name: a },
      { spec: { targetCluster: [SECONDARIES[0]!], serviceName: null, serviceSpec: null } },
    );
    await waitSynced(c.primary, a);
    for (const client of [c.primary, c.secondary1]) {
      await eventually("A's Service pruned", async () => !(await client.find(ref("Service", ns, "web"))));
      assert.ok(await client.find(ref("Service", ns, "api")) || client === c.primary, "B's Service stays");
    }
    await eventually("everything of A gone from secondary2", async () => {
      const left = await c.secondary2.list("v1", "ConfigMap", {
        namespace: ns,
        labelSelector: `plumber.jnytnai0613.github.io/replicator=${a}`,
      });
      return left.items.length === 0;
    });
    // A created the namespace in secondary2 and nothing else is there: it is deleted too.
    await eventually("namespace deleted in secondary2", async () => {
      const found = await c.secondary2.find<{ status?: { phase?: string } }>({
        apiVersion: "v1",
        kind: "Namespace",
        name: ns,
      });
      return !found || found.status?.phase === "Terminating";
    }, { timeoutMs: 30_000 });

    // Deleting A: its objects go everywhere; the namespace stays where B still has objects.
    await c.primary.delete({ ...REP, name: a });
    await eventually("A released", async () => !(await getRep(c.primary, a)), { timeoutMs: 60_000 });
    for (const client of [c.primary, c.secondary1]) {
      assert.equal(await client.find(ref("Deployment", ns, "web")), undefined);
    }
    assert.ok(await c.secondary1.find(ref("Deployment", ns, "api")), "B's objects stay");
    const nsS1 = await c.secondary1.find<{ status?: { phase?: string } }>({
      apiVersion: "v1",
      kind: "Namespace",
      name: ns,
    });
    assert.equal(nsS1?.status?.phase, "Active", "namespace kept while B uses it");

    await c.primary.delete({ ...REP, name: b });
    await eventually("B released", async () => !(await getRep(c.primary, b)), { timeoutMs: 60_000 });
    for (const [, client] of c.all) {
      await eventually("namespace gone or going", async () => {
        const found = await client.find<{ status?: { phase?: string } }>({
          apiVersion: "v1",
          kind: "Namespace",
          name: ns,
        });
        return !found || found.status?.phase === "Terminating";
      }, { timeoutMs: 30_000 });
    }
  });
});

Deno.test("An object plumber does not own is reported as a conflict and left unchanged", async () => {
  await withOperator({ prefix: "rep-conflict" }, async ({ clients: c, test }) => {
    const ns = uniqueName("conflict-ns");
    const name = uniqueName("conflict");
    try {
      await c.secondary1.create({ apiVersion: "v1", kind: "Namespace", metadata: { name: ns } });
      await c.secondary1.create({
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: { name: "web", namespace: ns },
        data: { mine: "yes" },
      });
      await c.primary.create(replicator(name, ns, { test }));
      const rep = await eventually("a conflict in status and the other secondary synced", async () => {
        const r = await getRep(c.primary, name);
        const conflict = r?.status?.applied?.some((x) => x.applyStatus.startsWith("conflict"));
        const otherReady = r?.status?.clusters?.find((x) => x.name === SECONDARIES[1])?.ready;
        return conflict && otherReady && r;
      });
      assert.equal(rep.status?.synced, "not synced");
      const conflict = rep.status!.applied!.find((x) => x.applyStatus.startsWith("conflict"))!;
      assert.deepEqual([conflict.cluster, conflict.kind, conflict.name], [
        SECONDARIES[0],
        "ConfigMap",
        "web",
      ]);
      assert.equal(
        rep.status?.clusters?.find((x) => x.name === SECONDARIES[1])?.ready,
        true,
        "the other secondary is synced",
      );
      const cm = await c.secondary1.get<Obj>(ref("ConfigMap", ns, "web"));
      assert.deepEqual(cm.data, { mine: "yes" });
      assert.equal(cm.metadata.labels?.["app.kubernetes.io/managed-by"], undefined);
      await c.primary.delete({ ...REP, name });
      await eventually("Replicator released", async () => !(await getRep(c.primary, name)), {
        timeoutMs: 60_000,
      });
      assert.deepEqual(
        (await c.secondary1.get<Obj>(ref("ConfigMap", ns, "web"))).data,
        { mine: "yes" },
        "not deleted",
      );
      assert.ok(
        await c.secondary1.find({ apiVersion: "v1", kind: "Namespace", name: ns }),
        "the user's namespace stays",
      );
    } finally {
      await c.secondary1.delete({ apiVersion: "v1", kind: "Namespace", name: ns }).catch(() => false);
    }
  });
});

Deno.test("A stopped secondary is reported while the other converges, and everything converges after it returns", async () => {
  const cp = await privateControlPlane(DEFAULT_CLUSTERS, { controllerManager: false });
  const state = cp.state;
  try {
    await withOperator({ prefix: "plumber-outage", state }, async ({ clients: c, test, namespace }) => {
      await eventually("both secondaries Running", async () => {
        const list = await c.primary.list<{ status?: { clusterstatus?: string } }>(
          "plumber.jnytnai0613.github.io/v1",
          "ClusterDetector",
          { namespace },
        );
        return list.items.filter((i) => i.status?.clusterstatus === "Running").length === 3;
      });
      await cp.stopApiServer("secondary2");
      await c.primary.create(replicator("outage", "outage-ns", { test }));
      const rep = await eventually("secondary1 synced and secondary2 reported", async () => {
        const r = await getRep(c.primary, "outage");
        const s1 = r?.status?.clusters?.find((x) => x.name === SECONDARIES[0]);
        const s2 = r?.status?.clusters?.find((x) => x.name === SECONDARIES[1]);
        // No controller manager here: applied is as far as a Deployment gets (ready needs it rolled out).
        const applied = s1?.message === "waiting for the Deployment to observe generation 1";
        return applied && s2 && !s2.ready && r;
      }, { timeoutMs: 30_000 });
      assert.equal(rep.status?.synced, "not synced");
      const degraded = rep.status?.conditions?.find((x) => x.type === "Degraded");
      assert.equal(degraded?.status, "True");
      assert.match(degraded?.message ?? "", /v1252-cluster\.kubernetes-admin3/);
      assert.ok(await c.secondary1.find(ref("Deployment", "outage-ns", "web")));
      await cp.startApiServer("secondary2");
      await waitSynced(c.primary, "outage", 60_000);
      assert.ok(await c.secondary2.find(ref("Deployment", "outage-ns", "web")));
    });
  } finally {
    await cp.stop();
  }
});

/** `rest_client_requests_total` of the operator summed over the series whose labels include `match`. */
async function operatorCount(operator: OperatorProcess, name: string, match: string): Promise<number> {
  const port = await operator.port("metrics");
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  let n = 0;
  for (const line of text.split("\n")) {
    const m = new RegExp(`^${name}\\{([^}]*)\\} (\\d+)`).exec(line);
    if (m && m[1]!.includes(match)) n += Number(m[2]);
  }
  return n;
}

Deno.test("A secondary that stops answering while its ClusterDetector still says Running is reported once: retries and skips leave the status as it is", async () => {
  const cp = await privateControlPlane(DEFAULT_CLUSTERS, { controllerManager: false });
  const namespace = uniqueName("plumber-quiet");
  const test = uniqueName("t");
  const primary = adminClient(cp.state, "primary");
  let operator: OperatorProcess | undefined;
  try {
    await prepareOperatorNamespace(cp.state, namespace);
    // Probes a minute apart: secondary2's ClusterDetector stays Running throughout, so the Replicator's own
    // requests are what find it not answering (and then skip it for UNREACHABLE_RETRY_MS).
    operator = await startOperator(cp.state, {
      namespace,
      replicatorSelector: `plumber-test=${test}`,
      probeInterval: "60s",
    });
    const op = operator;
    await eventually("three clusters Running", async () => {
      const list = await primary.list<{ status?: { clusterstatus?: string } }>(
        "plumber.jnytnai0613.github.io/v1",
        "ClusterDetector",
        { namespace },
      );
      return list.items.filter((i) => i.status?.clusterstatus === "Running").length === 3;
    });
    // The namespace create, the first request a reconcile sends to a cluster (the informers only GET).
    const secondary2 = `method="POST",host="${new URL(cp.cluster("secondary2").server).host}"`;
    await cp.stopApiServer("secondary2");
    const stoppedAt = Date.now();
    await primary.create(replicator("quiet", "quiet-ns", { test }));
    const reported = await eventually("secondary1 applied and secondary2 reported", async () => {
      const r = await getRep(primary, "quiet");
      const s1 = r?.status?.clusters?.find((x) => x.name === SECONDARIES[0]);
      const s2 = r?.status?.clusters?.find((x) => x.name === SECONDARIES[1]);
      const applied = s1?.message === "waiting for the Deployment to observe generation 1";
      return applied && s2 && !s2.ready && r;
    }, { timeoutMs: 30_000 });
    const s2 = reported.status!.clusters!.find((x) => x.name === SECONDARIES[1])!;
    assert.match(s2.message ?? "", /did not answer \(connection refused or timed out\)/);
    assert.deepEqual(
      reported.status!.applied!.filter((a) => a.cluster === SECONDARIES[1]),
      [],
      "objects that could not be written are not listed as failed (a skipped cluster lists none)",
    );
    // A reconcile, then one more after UNREACHABLE_RETRY_MS (10 s): the first skips secondary2, the second
    // sends it a request again. Neither changes the status.
    const touch = async (value: string) => {
      const reconciles = await operatorCount(
        op,
        "controller_runtime_reconcile_total",
        'controller="replicator"',
      );
      await primary.mergePatch({ ...REP, name: "quiet" }, { metadata: { annotations: { touch: value } } });
      await eventually(
        `reconciled after touch ${value}`,
        async () =>
          await operatorCount(op, "controller_runtime_reconcile_total", 'controller="replicator"') >
            reconciles,
      );
    };
    const refusedBefore = await operatorCount(op, "rest_client_requests_total", secondary2);
    await touch("1");
    await eventually("the retry window of secondary2 over", () => Date.now() - stoppedAt > 11_000, {
      timeoutMs: 20_000,
    });
    await touch("2");
    await eventually(
      "a request sent to secondary2 again",
      async () => await operatorCount(op, "rest_client_requests_total", secondary2) > refusedBefore,
      { timeoutMs: 40_000 },
    );
    const after = await getRep(primary, "quiet");
    assert.deepEqual(after?.status, reported.status, "the status is unchanged by skips and retries");
  } finally {
    await operator?.stop();
    primary.close();
    await cp.stop();
  }
});

Deno.test("Two Replicators naming the same object never take it over from each other", async () => {
  await withOperator({ prefix: "rep-twins" }, async ({ clients: c, test }) => {
    const ns = uniqueName("twins-ns");
    const first = uniqueName("first");
    const second = uniqueName("second");
    await c.primary.create(replicator(first, ns, { test, targets: [SECONDARIES[0]!] }));
    await waitSynced(c.primary, first);
    const twin = replicator(second, ns, { test, targets: [SECONDARIES[0]!] });
    twin.spec.configMapData = { "index.html": "the second one" };
    await c.primary.create(twin);
    const rep = await eventually("the second Replicator to report the conflict", async () => {
      const r = await getRep(c.primary, second);
      return r?.status?.applied?.some((a) =>
        a.kind === "ConfigMap" && a.applyStatus === `conflict: managed by Replicator ${first}`
      ) &&
        r;
    });
    assert.equal(rep.status?.synced, "not synced");
    for (const client of [c.primary, c.secondary1]) {
      const cm = await client.get<Obj>(ref("ConfigMap", ns, "web"));
      assert.equal(cm.data?.["index.html"], "hello");
      assert.equal(cm.metadata.labels?.["plumber.jnytnai0613.github.io/replicator"], first);
    }
    // Deleting the second leaves the first's objects alone.
    await c.primary.delete({ ...REP, name: second });
    await eventually("second released", async () => !(await getRep(c.primary, second)), {
      timeoutMs: 60_000,
    });
    assert.equal((await c.secondary1.get<Obj>(ref("ConfigMap", ns, "web"))).data?.["index.html"], "hello");
    assert.equal((await getRep(c.primary, first))?.status?.synced, "synced");
  });
});
