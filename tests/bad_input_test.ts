/**
 * Bad input the controllers see, end to end: the real operator process
 * against real clusters, each case with its own operator namespace.
 *
 * Every case also proves two things besides its own subject:
 * - the operator keeps serving every other Replicator: a "bystander"
 *   Replicator stays synced and gets a spec change applied while the bad input
 *   is in place;
 * - nothing plumber does not own is modified or deleted: the uid and
 *   resourceVersion of every foreign object in the namespaces involved are
 *   the same after the case as before.
 *
 * Decided: an object that exists under a name plumber wants but is not
 * plumber's (no `app.kubernetes.io/managed-by: plumber` label) is a conflict.
 * plumber reports it (status `applied[].applyStatus: conflict: ...`, the
 * cluster not ready, a `Conflict` Warning Event) and leaves it as it is: it is
 * never taken over, changed, or deleted, not even when the Replicator is
 * deleted. Taking over would overwrite a user's Deployment or the user's own
 * TLS Secret without asking; a user who wants plumber to manage the object
 * deletes it (or labels it) and plumber creates its own.
 *
 * @module
 */

import assert from "node:assert/strict";
import { hasPart } from "../controllers/replicator/reconcile_events.ts";
import { stringify } from "yaml";
import { readCertificate } from "../lib/pki/mod.ts";
import type { ClusterDetector } from "../lib/api.ts";
import type { KubeClient } from "../lib/kube/client.ts";
import { type ControlPlaneState, DEFAULT_CLUSTERS } from "./control_plane.ts";
import { eventually, privateControlPlane, uniqueName } from "./harness.ts";
import {
  kubeconfigFor,
  kubeconfigWithUnusableContexts,
  type OperatorProcess,
  withOperator,
  writeKubeconfigSecret,
} from "./operator.ts";
import {
  assertForeignUnchanged,
  Bystander,
  deleteAndWaitGone,
  eventsAbout,
  getRep,
  type Obj,
  PRIMARY,
  ref,
  REP,
  replicatorManifest,
  SECONDARY1,
  SECONDARY2,
  snapshotForeign,
  waitSynced,
} from "./replicators.ts";

const CD = { apiVersion: "plumber.jnytnai0613.github.io/v1", kind: "ClusterDetector" };

function cluster(state: ControlPlaneState, context: string) {
  return state.clusters.find((c) => c.context === context)!;
}

async function detectors(client: KubeClient, namespace: string): Promise<Map<string, ClusterDetector>> {
  const list = await client.list<ClusterDetector>(CD.apiVersion, CD.kind, { namespace });
  return new Map(list.items.map((cd) => [cd.metadata.name, cd]));
}

/** The operator answers its readiness probe and has not exited. */
async function assertServing(operator: OperatorProcess): Promise<void> {
  assert.equal(operator.exited, false, "the operator is running");
  const port = await operator.port("health probes");
  const response = await fetch(`http://127.0.0.1:${port}/readyz`);
  await response.body?.cancel();
  assert.equal(response.status, 200, "the operator is ready");
}

Deno.test("A targetCluster that is not registered is named in status and an Event; the other targets are synced", async () => {
  await withOperator({ prefix: "bad-target", secondaries: ["secondary1"] }, async (fx) => {
    const { clients: c, test, namespace } = fx;
    const bystander = new Bystander(c, "secondary1", test);
    const name = uniqueName("ghost-target");
    const ns = uniqueName("ghost-ns");
    const ghost = "ghost-cluster.nobody";
    await bystander.create();
    const foreignBefore = await snapshotForeign([
      ["primary", c.primary, ["default", namespace]],
      ["secondary1", c.secondary1, ["default"]],
    ]);
    await c.primary.create(replicatorManifest(name, ns, { test, targets: [SECONDARY1, ghost] }));
    const rep = await eventually("the unregistered target in status", async () => {
      const r = await getRep(c.primary, name);
      const entry = r?.status?.clusters?.find((x) => x.name === ghost);
      // Ready means the workload runs: wait for both registered targets' Pods.
      const ready = (cluster: string) => r?.status?.clusters?.find((x) => x.name === cluster)?.ready;
      return entry && ready(SECONDARY1) && ready(PRIMARY) && r;
    });
    const entry = rep.status!.clusters!.find((x) => x.name === ghost)!;
    assert.equal(entry.ready, false);
    assert.match(entry.message ?? "", /ghost-cluster\.nobody.*not registered/);
    assert.equal(rep.status?.synced, "not synced");
    const degraded = rep.status?.conditions?.find((x) => x.type === "Degraded");
    assert.equal(degraded?.status, "True");
    assert.match(degraded?.message ?? "", /ghost-cluster\.nobody.*not registered/);
    for (const client of [c.primary, c.secondary1]) {
      assert.ok(await client.find(ref("Deployment", ns, "web")), "the registered targets got the objects");
    }
    const event = await eventually("a NotSynced Event naming the cluster", async () => {
      const events = await eventsAbout(c.primary, "default", name);
      return events.find((e) => e.reason === "NotSynced" && /ghost-cluster\.nobody/.test(e.message ?? ""));
    });
    assert.equal(event.type, "Warning");
    assert.match(event.message ?? "", /not registered/);

    console.log(`bad target: bystander change applied in ${await bystander.changeAndWait()} ms`);

    // Dropping the bad target makes it synced; deleting it is not held up by the cluster that never existed.
    await c.primary.mergePatch({ ...REP, name }, { spec: { targetCluster: [SECONDARY1] } });
    await waitSynced(c.primary, name);
    await c.primary.mergePatch({ ...REP, name }, { spec: { targetCluster: [SECONDARY1, ghost] } });
    await eventually("the bad target back in status", async () => {
      const r = await getRep(c.primary, name);
      return r?.status?.observedGeneration === r?.metadata.generation && r?.status?.synced === "not synced";
    });
    await deleteAndWaitGone(c.primary, name);
    await bystander.assertSynced();
    assertForeignUnchanged(
      foreignBefore,
      await snapshotForeign([
        ["primary", c.primary, ["default", namespace]],
        ["secondary1", c.secondary1, ["default"]],
      ]),
    );
  });
});

Deno.test("Objects of the user's under plumber's names (Deployment, Service, Secret ca-secret) are conflicts, never taken over, modified or deleted", async () => {
  await withOperator({ prefix: "bad-conflict" }, async (fx) => {
    const { clients: c, test } = fx;
    const bystander = new Bystander(c, "secondary2", test);
    const name = uniqueName("conflict");
    const ns = uniqueName("users-ns");
    fx.cleanup(() => c.secondary1.delete({ apiVersion: "v1", kind: "Namespace", name: ns }));
    await bystander.create();
    // The user's namespace in secondary1 with objects named as plumber's, and unrelated ones.
    const s1 = c.secondary1;
    await s1.create({ apiVersion: "v1", kind: "Namespace", metadata: { name: ns } });
    await s1.create({
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "web", namespace: ns, labels: { app: "mine" } },
      spec: {
        replicas: 0,
        selector: { matchLabels: { app: "mine" } },
        template: {
          metadata: { labels: { app: "mine" } },
          spec: { containers: [{ name: "mine", image: "busybox:1.36" }] },
        },
      },
    });
    await s1.create({
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: "web", namespace: ns },
      spec: { selector: { app: "mine" }, ports: [{ port: 8080 }] },
    });
    await s1.create({
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: "ca-secret", namespace: ns },
      type: "Opaque",
      data: { "ca.crt": btoa("the user's own CA") },
    });
    await s1.create({
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: "users-secret", namespace: ns },
      type: "Opaque",
      data: { password: btoa("not plumber's") },
    });
    // The controller manager writes the new Deployment's status once; compare from after that.
    await eventually("the user's Deployment settled", async () => {
      const d = await s1.get<Obj>(ref("Deployment", ns, "web"));
      const progressing = (d.status?.conditions as Array<{ type: string; reason: string }> | undefined)
        ?.find((x) => x.type === "Progressing");
      return d.status?.observedGeneration === d.metadata.generation &&
        progressing?.reason === "NewReplicaSetAvailable";
    });
    const where = (): Array<[string, KubeClient, string[]]> => [
      ["secondary1", s1, [ns, "default"]],
      ["primary", c.primary, ["default"]],
    ];
    const foreignBefore = await snapshotForeign(where());
    assert.equal(foreignBefore.size >= 5, true, `${foreignBefore.size} foreign objects`);

    await c.primary.create(
      replicatorManifest(name, ns, {
        test,
        targets: [SECONDARY1, SECONDARY2],
        tlsHosts: ["web.example.com"],
      }),
    );
    const rep = await eventually("three conflicts in status", async () => {
      const r = await getRep(c.primary, name);
      const conflicts = r?.status?.applied?.filter((x) => x.applyStatus.startsWith("conflict")) ?? [];
      return conflicts.length === 3 && r?.status?.clusters?.find((x) => x.name === SECONDARY2)?.ready && r;
    });
    const conflicts = rep.status!.applied!.filter((x) => x.applyStatus.startsWith("conflict"))
      .map((x) => `${x.cluster} ${x.kind} ${x.name}`).sort();
    assert.deepEqual(conflicts, [
      `${SECONDARY1} Deployment web`,
      `${SECONDARY1} Secret ca-secret`,
      `${SECONDARY1} Service web`,
    ]);
    for (const a of rep.status!.applied!.filter((x) => x.applyStatus.startsWith("conflict"))) {
      assert.equal(a.applyStatus, "conflict: exists and is not managed by plumber");
    }
    assert.equal(rep.status?.synced, "not synced");
    const s1Status = rep.status?.clusters?.find((x) => x.name === SECONDARY1);
    assert.equal(s1Status?.ready, false);
    assert.match(s1Status?.message ?? "", /Secret ca-secret: conflict/);
    // What is not in conflict is replicated, in secondary1 too.
    for (const kind of ["ConfigMap", "Ingress"]) assert.ok(await s1.find(ref(kind, ns, "web")), kind);
    assert.ok(await s1.find(ref("Secret", ns, "cli-secret")), "cli-secret");
    assert.ok(
      await c.secondary2.find(ref("Secret", ns, "ca-secret")),
      "secondary2 has plumber's ca-secret",
    );
    // One Warning Event per reconcile, with a Conflict part per object (`<Kind> <ns>/<name> in <c> ...; left
    // unchanged`).
    const conflict = (e: { type?: string; message?: string }, kind: string) =>
      e.type === "Warning" &&
      hasPart(e.message, new RegExp(`^${kind} ${ns}/\\S+ in \\S+ [^;]*; left unchanged`));
    await eventually("a Conflict part per object", async () => {
      const list = await eventsAbout(c.primary, "default", name);
      return ["Deployment", "Service", "Secret"].every((kind) => list.some((e) => conflict(e, kind)));
    });
    const userCa = await s1.get<Obj>(ref("Secret", ns, "ca-secret"));
    assert.deepEqual(userCa.data, { "ca.crt": btoa("the user's own CA") });
    // (The tests' own client sends User-Agent "plumber" too, so its create is an Update by "plumber".)
    assert.ok(
      !userCa.metadata.managedFields?.some((f) => f.manager === "plumber" && f.operation === "Apply"),
      "plumber never applied to it",
    );

    console.log(`conflict: bystander change applied in ${await bystander.changeAndWait()} ms`);
    // A reconcile of its own (a spec change) still leaves the user's objects alone.
    await c.primary.mergePatch({ ...REP, name }, { spec: { configMapData: { "index.html": "v2" } } });
    await eventually("the new ConfigMap in secondary1", async () => {
      const cm = await s1.find<Obj>(ref("ConfigMap", ns, "web"));
      return cm?.data?.["index.html"] === "v2";
    });
    assertForeignUnchanged(foreignBefore, await snapshotForeign(where()));

    await deleteAndWaitGone(c.primary, name);
    assertForeignUnchanged(foreignBefore, await snapshotForeign(where()));
    for (const [kind, object] of [["ConfigMap", "web"], ["Ingress", "web"], ["Secret", "cli-secret"]]) {
      assert.equal(
        await s1.find(ref(kind!, ns, object!)),
        undefined,
        `plumber's ${kind} ${object} deleted`,
      );
    }
    const nsAfter = await s1.get<{ status?: { phase?: string } }>({
      apiVersion: "v1",
      kind: "Namespace",
      name: ns,
    });
    assert.equal(nsAfter.status?.phase, "Active", "the user's namespace stays");
    await bystander.assertSynced();
  });
});

Deno.test("A kubeconfig Secret of garbage is a KubeconfigSecretInvalid Event; registered clusters stay and every other Replicator is served", async () => {
  await withOperator({ prefix: "bad-kubeconfig" }, async (fx) => {
    const { clients: c, test, namespace, operator, state } = fx;
    const bystander = new Bystander(c, "secondary1", test);
    const victim = uniqueName("victim");
    const victimNs = uniqueName("victim-ns");
    const writeSecretBytes = (bytes: Uint8Array) =>
      c.primary.apply({
        apiVersion: "v1",
        kind: "Secret",
        metadata: { name: "plumber-kubeconfig", namespace },
        type: "Opaque",
        data: { kubeconfig: btoa(String.fromCharCode(...bytes)) },
      }, { fieldManager: "plumber-tests", force: true });
    try {
      await bystander.create();
      await c.primary.create(
        replicatorManifest(victim, victimNs, { test, targets: [SECONDARY2], configMapOnly: true }),
      );
      await waitSynced(c.primary, victim);
      const running = await eventually("both secondaries Running", async () => {
        const cds = await detectors(c.primary, namespace);
        return [SECONDARY1, SECONDARY2].every((n) => cds.get(n)?.status?.clusterstatus === "Running") && cds;
      });
      const uids = [SECONDARY1, SECONDARY2].map((n) => running.get(n)!.metadata.uid);
      const foreignBefore = await snapshotForeign(
        [["primary", c.primary, [namespace, "default"]], ["secondary1", c.secondary1, ["default"]]],
        ["plumber-kubeconfig"],
      );

      const garbage: Array<[string, Uint8Array, RegExp]> = [
        ["not YAML", new TextEncoder().encode("clusters: [unclosed\n\t: : {{\n"), /invalid YAML at line/],
        [
          "YAML that is not a kubeconfig",
          new TextEncoder().encode("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\n"),
          /kind is "Deployment", expected "Config"/,
        ],
        ["random bytes", crypto.getRandomValues(new Uint8Array(256)), /Cannot parse kubeconfig/],
      ];
      for (const [what, bytes, message] of garbage) {
        await writeSecretBytes(bytes);
        const event = await eventually(`a KubeconfigSecretInvalid Event for ${what}`, async () => {
          const events = await eventsAbout(c.primary, namespace, "plumber-kubeconfig");
          return events.find((e) => e.reason === "KubeconfigSecretInvalid" && message.test(e.message ?? ""));
        });
        assert.equal(event.type, "Warning");
        assert.equal(event.involvedObject?.kind, "Secret");
        assert.match(event.message ?? "", /keeping the 2 clusters registered before/);
        // Served during the bad period: a change to another Replicator is applied.
        console.log(`kubeconfig ${what}: bystander change applied in ${await bystander.changeAndWait()} ms`);
        const cds = await detectors(c.primary, namespace);
        assert.deepEqual(
          [SECONDARY1, SECONDARY2].map((n) => [cds.get(n)?.metadata.uid, cds.get(n)?.status?.clusterstatus]),
          uids.map((uid) => [uid, "Running"]),
          "the clusters registered before stay registered and Running",
        );
        await assertServing(operator);
      }
      // The victim (secondary2 only) is still served with the clusters registered before.
      await c.primary.mergePatch({ ...REP, name: victim }, { spec: { configMapData: { still: "served" } } });
      await eventually("the victim's change in secondary2", async () => {
        const cm = await c.secondary2.find<Obj>(ref("ConfigMap", victimNs, "web"));
        return cm?.data?.still === "served";
      });

      // Contexts that parse but cannot be used: secondary2 with a CA that is not its own, and an exec plugin.
      await writeKubeconfigSecret(c.primary, namespace, stringify(kubeconfigWithUnusableContexts(state)));
      await c.primary.mergePatch({ ...REP, name: victim }, {
        spec: { targetCluster: [SECONDARY2, "exec-cluster.exec-user"] },
      });
      const bad = await eventually("secondary2 and the exec context Unknown", async () => {
        const cds = await detectors(c.primary, namespace);
        const s2 = cds.get(SECONDARY2)?.status;
        const exec = cds.get("exec-cluster.exec-user")?.status;
        return s2?.clusterstatus === "Unknown" && exec?.clusterstatus === "Unknown" && cds;
      }, { timeoutMs: 30_000 });
      assert.match(
        bad.get(SECONDARY2)!.status!.reason ?? "",
        /x509: certificate signed by unknown authority/,
      );
      assert.match(bad.get("exec-cluster.exec-user")!.status!.reason ?? "", /exec/);
      assert.equal(bad.get(SECONDARY1)?.status?.clusterstatus, "Running");
      const victimStatus = await eventually("the victim names both bad clusters", async () => {
        const r = await getRep(c.primary, victim);
        const s2 = r?.status?.clusters?.find((x) => x.name === SECONDARY2);
        const exec = r?.status?.clusters?.find((x) => x.name === "exec-cluster.exec-user");
        return r?.status?.observedGeneration === r?.metadata.generation && s2 && !s2.ready && exec &&
          !exec.ready &&
          /x509/.test(s2.message ?? "") && r;
      }, { timeoutMs: 30_000 });
      assert.equal(victimStatus.status?.synced, "not synced");
      assert.match(
        victimStatus.status!.clusters!.find((x) => x.name === "exec-cluster.exec-user")!.message ?? "",
        /invalid kubeconfig context.*exec/,
      );
      console.log(
        `wrong CA and exec contexts: bystander change applied in ${await bystander.changeAndWait()} ms`,
      );
      await assertServing(operator);

      // Good credentials again: everything recovers.
      await writeKubeconfigSecret(
        c.primary,
        namespace,
        kubeconfigFor([cluster(state, "secondary1"), cluster(state, "secondary2")]),
      );
      await c.primary.mergePatch({ ...REP, name: victim }, { spec: { targetCluster: [SECONDARY2] } });
      await eventually("secondary2 Running again, the exec context gone", async () => {
        const cds = await detectors(c.primary, namespace);
        return cds.get(SECONDARY2)?.status?.clusterstatus === "Running" && !cds.has("exec-cluster.exec-user");
      }, { timeoutMs: 30_000 });
      await waitSynced(c.primary, victim);
      await bystander.assertSynced();
      assertForeignUnchanged(
        foreignBefore,
        await snapshotForeign(
          [["primary", c.primary, [namespace, "default"]], ["secondary1", c.secondary1, ["default"]]],
          ["plumber-kubeconfig"],
        ),
      );
      await deleteAndWaitGone(c.primary, victim);
    } finally {
      // Good credentials first: a Replicator's deletion waits for every registered cluster.
      await writeKubeconfigSecret(
        c.primary,
        namespace,
        kubeconfigFor([cluster(state, "secondary1"), cluster(state, "secondary2")]),
      ).catch(() => {});
    }
  });
});

Deno.test("An Ingress host change reissues only the server certificate and leaves the user's own Secrets alone", async () => {
  await withOperator({ prefix: "bad-host" }, async (fx) => {
    const { clients: c, test } = fx;
    const bystander = new Bystander(c, "secondary1", test);
    const name = uniqueName("hosts");
    const ns = uniqueName("hosts-ns");
    type Certs = { ca: string; server: string; client: string; serverKey: string; clientKey: string };
    const certs = async (client: KubeClient): Promise<Certs> => {
      const ca = await client.get<Obj>(ref("Secret", ns, "ca-secret"));
      const cli = await client.get<Obj>(ref("Secret", ns, "cli-secret"));
      return {
        ca: atob(ca.data!["ca.crt"]!),
        server: atob(ca.data!["tls.crt"]!),
        serverKey: ca.data!["tls.key"]!,
        client: atob(cli.data!["client.crt"]!),
        clientKey: cli.data!["client.key"]!,
      };
    };
    for (const [, client] of c.all) {
      fx.cleanup(() => client.delete({ apiVersion: "v1", kind: "Namespace", name: ns }));
    }
    await bystander.create();
    await c.primary.create(
      replicatorManifest(name, ns, {
        test,
        targets: [SECONDARY1, SECONDARY2],
        tlsHosts: ["old.example.com"],
      }),
    );
    await waitSynced(c.primary, name);
    const before = new Map<string, Certs>();
    for (const [context, client] of c.all) {
      const set = await certs(client);
      assert.deepEqual((await readCertificate(set.server)).dnsNames, ["old.example.com"]);
      before.set(context, set);
    }
    // The user's own Secrets and ConfigMap in the replication namespace, in every cluster.
    for (const [, client] of c.all) {
      await client.create({
        apiVersion: "v1",
        kind: "Secret",
        metadata: { name: "users-db-password", namespace: ns },
        type: "Opaque",
        data: { password: btoa("hunter2") },
      });
      await client.create({
        apiVersion: "v1",
        kind: "Secret",
        metadata: { name: "users-tls", namespace: ns, labels: { app: "web" } },
        type: "kubernetes.io/tls",
        data: { "tls.crt": btoa("user cert"), "tls.key": btoa("user key") },
      });
      await client.create({
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: { name: "users-config", namespace: ns },
        data: { mine: "yes" },
      });
    }
    const where = (): Array<[string, KubeClient, string[]]> => c.all.map(([ctx, cl]) => [ctx, cl, [ns]]);
    const foreignBefore = await snapshotForeign(where());
    assert.ok(foreignBefore.size >= 9, `${foreignBefore.size} foreign objects`);

    const started = performance.now();
    const current = (await getRep(c.primary, name))!;
    const spec = structuredClone(current.spec) as unknown as {
      ingressSpec: { rules: Array<{ host: string }> };
    };
    spec.ingressSpec.rules[0]!.host = "new.example.com";
    await c.primary.mergePatch({ ...REP, name }, { spec: { ingressSpec: spec.ingressSpec } });
    for (const [context, client] of c.all) {
      await eventually(`the new server certificate in ${context}`, async () => {
        const set = await certs(client);
        return (await readCertificate(set.server)).dnsNames.join() === "new.example.com";
      });
    }
    await waitSynced(c.primary, name);
    console.log(
      `host change: new server certificate in 3 clusters in ${Math.round(performance.now() - started)} ms`,
    );
    const servers = new Set<string>();
    for (const [context, client] of c.all) {
      const was = before.get(context)!;
      const now = await certs(client);
      assert.equal(now.ca, was.ca, `${context}: CA unchanged`);
      assert.equal(now.client, was.client, `${context}: client certificate unchanged`);
      assert.equal(now.clientKey, was.clientKey, `${context}: client key unchanged`);
      assert.notEqual(now.server, was.server, `${context}: server certificate reissued`);
      assert.notEqual(now.serverKey, was.serverKey, `${context}: server key reissued`);
      const server = await readCertificate(now.server);
      assert.equal(server.issuer, (await readCertificate(now.ca)).subject, "issued by the same CA");
      servers.add(now.server);
      const ingress = await client.get<Obj>(ref("Ingress", ns, "web"));
      assert.deepEqual(ingress.spec?.tls, [{ hosts: ["new.example.com"], secretName: "ca-secret" }]);
    }
    assert.equal(servers.size, 1, "one server certificate for every cluster");
    // The reconcile's one Event holds the CertificatesIssued part, for the server only.
    const issued = await eventually("a CertificatesIssued part for the server only", async () => {
      const events = await eventsAbout(c.primary, "default", name);
      return events.find((e) => hasPart(e.message, "Issued certificates: server"));
    });
    assert.equal(issued.type, "Normal");
    assertForeignUnchanged(foreignBefore, await snapshotForeign(where()));
    console.log(`host change: bystander change applied in ${await bystander.changeAndWait()} ms`);

    // Deleting the Replicator takes plumber's Secrets and leaves the user's, and so the namespace.
    await deleteAndWaitGone(c.primary, name);
    assertForeignUnchanged(foreignBefore, await snapshotForeign(where()));
    for (const [context, client] of c.all) {
      for (const secret of ["ca-secret", "cli-secret"]) {
        await eventually(
          `${secret} deleted in ${context}`,
          async () => !(await client.find(ref("Secret", ns, secret))),
        );
      }
      const nsAfter = await client.get<{ status?: { phase?: string } }>({
        apiVersion: "v1",
        kind: "Namespace",
        name: ns,
      });
      assert.equal(
        nsAfter.status?.phase,
        "Active",
        `${context}: the namespace holding the user's objects stays`,
      );
    }
    await bystander.assertSynced();
  });
});

Deno.test("A Replicator deleted while a target is down keeps its finalizer, names the blocking cluster, and is released after it returns", async () => {
  const cp = await privateControlPlane(DEFAULT_CLUSTERS, { controllerManager: false });
  const state = cp.state;
  const name = "blocked";
  const ns = "blocked-ns";
  try {
    await withOperator({ prefix: "plumber-down", state }, async (fx) => {
      const { clients: c, test, namespace } = fx;
      const bystander = new Bystander(c, "secondary1", test);
      await bystander.create();
      await c.primary.create(replicatorManifest(name, ns, { test, targets: [SECONDARY1, SECONDARY2] }));
      await waitSynced(c.primary, name);
      // Objects of the user's: in the replication namespace of the primary and secondary1, and elsewhere.
      for (const client of [c.primary, c.secondary1]) {
        await client.create({
          apiVersion: "v1",
          kind: "ConfigMap",
          metadata: { name: "users-config", namespace: ns },
          data: { mine: "yes" },
        });
        await client.create({ apiVersion: "v1", kind: "Namespace", metadata: { name: "users-ns" } });
        for (const secret of ["ca-secret", "web"]) {
          await client.create({
            apiVersion: "v1",
            kind: "Secret",
            metadata: { name: secret, namespace: "users-ns" },
            data: { mine: btoa("yes") },
          });
        }
      }
      const where = (): Array<[string, KubeClient, string[]]> => [
        ["primary", c.primary, [ns, "users-ns", namespace]],
        ["secondary1", c.secondary1, [ns, "users-ns"]],
      ];
      const foreignBefore = await snapshotForeign(where(), ["plumber-kubeconfig"]);

      await cp.stopApiServer("secondary2");
      const stopped = performance.now();
      await c.primary.delete({ ...REP, name });
      const blocked = await eventually("status naming the cluster that blocks cleanup", async () => {
        const r = await getRep(c.primary, name);
        const degraded = r?.status?.conditions?.find((x) => x.type === "Degraded");
        return /Cannot clean up before deletion/.test(degraded?.message ?? "") && r;
      }, { timeoutMs: 60_000 });
      const degraded = blocked.status!.conditions!.find((x) => x.type === "Degraded")!;
      assert.match(degraded.message ?? "", new RegExp(`cluster ${SECONDARY2.replaceAll(".", "\\.")}`));
      assert.doesNotMatch(degraded.message ?? "", new RegExp(SECONDARY1.replaceAll(".", "\\.")));
      assert.ok(blocked.metadata.finalizers?.includes("plumber.jnytnai0613.github.io/finalizer"));
      assert.ok(blocked.metadata.deletionTimestamp, "being deleted");
      const event = await eventually("a CleanupFailed Event naming the cluster", async () => {
        const events = await eventsAbout(c.primary, "default", name);
        return events.find((e) => e.reason === "CleanupFailed");
      });
      assert.equal(event.type, "Warning");
      assert.match(event.message ?? "", new RegExp(SECONDARY2.replaceAll(".", "\\.")));
      console.log(
        `target down: cleanup blocked and reported ${
          Math.round(performance.now() - stopped)
        } ms after the stop`,
      );
      // The reachable clusters are cleaned up already.
      for (const client of [c.primary, c.secondary1]) {
        await eventually("the reachable clusters cleaned up", async () => {
          const left = await client.list("v1", "ConfigMap", {
            namespace: ns,
            labelSelector: `plumber.jnytnai0613.github.io/replicator=${name}`,
          });
          return left.items.length === 0 && !(await client.find(ref("Deployment", ns, "web")));
        });
      }
      console.log(`target down: bystander change applied in ${await bystander.changeAndWait()} ms`);
      // Still held after all that time: the cluster is not forgotten.
      const held = await getRep(c.primary, name);
      assert.ok(held?.metadata.finalizers?.includes("plumber.jnytnai0613.github.io/finalizer"), "still held");

      const restarting = performance.now();
      await cp.startApiServer("secondary2");
      const back = performance.now();
      await eventually("the Replicator released", async () => !(await getRep(c.primary, name)), {
        timeoutMs: 90_000,
      });
      console.log(
        `target down: API server ready again in ${Math.round(back - restarting)} ms, Replicator released ` +
          `${Math.round(performance.now() - back)} ms after that`,
      );
      const left = await c.secondary2.list("v1", "ConfigMap", {
        namespace: ns,
        labelSelector: `plumber.jnytnai0613.github.io/replicator=${name}`,
      });
      assert.equal(left.items.length, 0, "secondary2 cleaned up");
      assert.equal(await c.secondary2.find(ref("Deployment", ns, "web")), undefined);
      assertForeignUnchanged(foreignBefore, await snapshotForeign(where(), ["plumber-kubeconfig"]));
      await bystander.assertSynced();
    });
  } finally {
    await cp.stop();
  }
});
