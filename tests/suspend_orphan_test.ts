/**
 * `spec.suspend` and `spec.deletionPolicy: Orphan` end to end: the real operator against three real
 * clusters. Writes are counted in the operator's debug request log ("Write request" lines with the host).
 */

import assert from "node:assert/strict";
import { hasPart } from "../controllers/replicator/reconcile_events.ts";
import type { Replicator } from "../lib/api.ts";
import type { KubeClient } from "../lib/kube/client.ts";
import { eventually, uniqueName } from "./harness.ts";
import { type OperatorFixture, type OperatorProcess, withOperator } from "./operator.ts";
import {
  deleteAndWaitGone,
  eventsAbout,
  getRep,
  type Obj,
  PRIMARY,
  ref,
  REP,
  REPLICATED_KINDS,
  replicatorManifest,
  SECONDARY1,
  SECONDARY2,
  waitSynced,
} from "./replicators.ts";

const SECONDARIES = [SECONDARY1, SECONDARY2];
const CONTEXTS = ["primary", "secondary1", "secondary2"] as const;
type Context = typeof CONTEXTS[number];
const OWNERSHIP_LABELS = [
  "app.kubernetes.io/managed-by",
  "plumber.jnytnai0613.github.io/replicator",
  "plumber.jnytnai0613.github.io/primary",
  "plumber.jnytnai0613.github.io/replicator-uid",
];
const INTENT_HASH = "plumber.jnytnai0613.github.io/intent-hash";

/** The operator's write requests from log line `from` on, by cluster: `METHOD path`. */
function writesSince(f: OperatorFixture, from: number): Record<Context, string[]> {
  const byHost = new Map(f.state.clusters.map((c) => [new URL(c.server).host, c.context]));
  const out: Record<Context, string[]> = { primary: [], secondary1: [], secondary2: [] };
  for (const l of f.operator.logs.slice(from)) {
    if (l.msg !== "Write request") continue;
    const context = byHost.get(String(l.host)) as Context | undefined;
    assert.ok(context && context in out, `a write to an unexpected host ${l.host}`);
    out[context].push(`${l.method} ${l.path}`);
  }
  return out;
}

/** The Orphaned part of a cluster: `Left <objects> in <cluster> in place and removed plumber's labels ...`. */
function orphanedIn(cluster: string): RegExp {
  return new RegExp(
    `^Left [^;]* in ${
      cluster.replaceAll(".", "\\.")
    } in place and removed plumber's labels \\(deletionPolicy Orphan\\)`,
  );
}

/** Writes to the replicated objects: everything but the Replicator itself (status), Events and the leader lease. */
function objectWrites(writes: Record<Context, string[]>): Record<Context, string[]> {
  const keep = (w: string) =>
    !w.includes("/replicators/") && !w.includes("/events") && !w.includes("/leases/");
  return {
    primary: writes.primary.filter(keep),
    secondary1: writes.secondary1.filter(keep),
    secondary2: writes.secondary2.filter(keep),
  };
}

/** The number of parsed log lines once the operator's writes have stopped (3 equal readings, 300 ms apart). */
async function settledLog(operator: OperatorProcess): Promise<number> {
  let last = -1;
  let same = 0;
  return await eventually("the operator's writes to settle", () => {
    const logs = operator.logs;
    const writes = logs.filter((l) => l.msg === "Write request").length;
    same = writes === last ? same + 1 : 0;
    last = writes;
    return same >= 2 && logs.length;
  }, { intervalMs: 300 });
}

/** Waits until the status is for the current generation and `check` holds. */
async function waitStatus(
  f: OperatorFixture,
  name: string,
  what: string,
  check: (r: Replicator) => boolean,
): Promise<Replicator> {
  return await eventually(what, async () => {
    const r = await getRep(f.clients.primary, name);
    return r?.status?.observedGeneration === r?.metadata.generation && check(r!) && r!;
  });
}

/** Every object of the Replicator `name` in a cluster, by `Kind/name`, with its uid (by label). */
async function labelledObjects(
  client: KubeClient,
  namespace: string,
  name: string,
): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const { apiVersion, kind } of REPLICATED_KINDS) {
    const list = await client.list<Obj>(apiVersion, kind, {
      namespace,
      labelSelector: `plumber.jnytnai0613.github.io/replicator=${name}`,
    });
    for (const o of list.items) out.set(`${kind}/${o.metadata.name}`, o.metadata.uid!);
  }
  return out;
}

/** Asserts that an object is there (same uid) with none of plumber's labels, hash or owner reference. */
async function assertOrphaned(
  client: KubeClient,
  context: string,
  namespace: string,
  id: string,
  uid: string,
) {
  const [kind, name] = id.split("/") as [string, string];
  const live = await client.find<Obj & { metadata: { ownerReferences?: Array<{ kind: string }> } }>(
    ref(kind, namespace, name),
  );
  assert.ok(live, `${id} in ${context} is still there`);
  assert.equal(live.metadata.uid, uid, `${id} in ${context} is the same object`);
  for (const label of OWNERSHIP_LABELS) {
    assert.equal(live.metadata.labels?.[label], undefined, `${id} in ${context} has no ${label} label`);
  }
  assert.equal(live.metadata.annotations?.[INTENT_HASH], undefined, `${id} in ${context}: no intent hash`);
  assert.equal(
    (live.metadata.ownerReferences ?? []).filter((o) => o.kind === "Replicator").length,
    0,
    `${id} in ${context}: no owner reference to the Replicator`,
  );
}

/** Deletes the test's namespace in every cluster at the end (orphaned objects are the test's to remove). */
function deleteNamespaceAtEnd(f: OperatorFixture, ns: string): void {
  f.cleanup(() =>
    Promise.all(f.clients.all.map(([, c]) => c.delete({ apiVersion: "v1", kind: "Namespace", name: ns })))
  );
}

Deno.test("Suspend stops every write (a hand edit stays, a spec change waits) and resume converges with one apply per changed object; deleting a suspended Replicator still cleans up", async () => {
  await withOperator({ prefix: "suspend" }, async (f) => {
    const c = f.clients;
    const name = uniqueName("susp");
    const ns = uniqueName("susp-ns");
    await c.primary.create(replicatorManifest(name, ns, { test: f.test, targets: SECONDARIES }));
    await waitSynced(c.primary, name);

    await c.primary.mergePatch({ ...REP, name }, { spec: { suspend: true } });
    await waitStatus(
      f,
      name,
      "Suspended condition",
      (r) => r.status?.conditions?.some((x) => x.type === "Suspended" && x.status === "True") === true,
    );
    const mark = await settledLog(f.operator);

    // A hand edit in secondary1 and a spec change: reported, not written.
    await c.secondary1.mergePatch(ref("ConfigMap", ns, "web"), { data: { "index.html": "by hand" } });
    await c.primary.mergePatch({ ...REP, name }, { spec: { configMapData: { "index.html": "v2" } } });
    const suspended = await waitStatus(
      f,
      name,
      "every cluster reporting what differs",
      (r) =>
        (r.status?.clusters ?? []).length === 3 &&
        (r.status?.clusters ?? []).every((x) =>
          /^suspended; 1 object differs: ConfigMap\//.test(x.message ?? "")
        ),
    );
    assert.equal(suspended.status?.synced, "not synced");
    await settledLog(f.operator);
    const during = objectWrites(writesSince(f, mark));
    assert.deepEqual(
      during,
      { primary: [], secondary1: [], secondary2: [] },
      "no object writes while suspended",
    );
    assert.deepEqual(writesSince(f, mark).secondary1, [], "no write at all to secondary1 while suspended");
    assert.deepEqual(writesSince(f, mark).secondary2, [], "no write at all to secondary2 while suspended");
    assert.equal((await c.secondary1.get<Obj>(ref("ConfigMap", ns, "web"))).data?.["index.html"], "by hand");
    assert.equal((await c.secondary2.get<Obj>(ref("ConfigMap", ns, "web"))).data?.["index.html"], "hello");

    // Resume: one apply of the ConfigMap per cluster, nothing else.
    const resumeMark = f.operator.logs.length;
    const started = performance.now();
    await c.primary.mergePatch({ ...REP, name }, { spec: { suspend: false } });
    const resumed = await waitSynced(c.primary, name);
    const convergedMs = Math.round(performance.now() - started);
    const off = resumed.status?.conditions?.find((x) => x.type === "Suspended");
    assert.equal(off?.status, "False");
    await settledLog(f.operator);
    const after = objectWrites(writesSince(f, resumeMark));
    for (const context of CONTEXTS) {
      assert.deepEqual(
        after[context].map((w) => w.replace(/\?.*$/, "")),
        [`PATCH /api/v1/namespaces/${ns}/configmaps/web`],
        `${context}: one apply of the changed ConfigMap`,
      );
      const client = c.all.find(([ctx]) => ctx === context)![1];
      assert.equal((await client.get<Obj>(ref("ConfigMap", ns, "web"))).data?.["index.html"], "v2");
    }
    console.log(`resume converged in ${convergedMs} ms`);

    // Deleting a suspended Replicator still deletes what it made (deletionPolicy Delete).
    await c.primary.mergePatch({ ...REP, name }, { spec: { suspend: true } });
    await waitStatus(
      f,
      name,
      "suspended again",
      (r) => r.status?.conditions?.some((x) => x.type === "Suspended" && x.status === "True") === true,
    );
    await deleteAndWaitGone(c.primary, name);
    for (const [context, client] of c.all) {
      assert.equal(
        await client.find(ref("ConfigMap", ns, "web")),
        undefined,
        `ConfigMap deleted in ${context}`,
      );
    }
  });
});

Deno.test("Orphan: deleting the Replicator leaves every object in every cluster unlabelled and unowned; a new Replicator of the same name adopts them", async () => {
  await withOperator({ prefix: "orphan" }, async (f) => {
    const c = f.clients;
    const name = uniqueName("orph");
    const ns = uniqueName("orph-ns");
    deleteNamespaceAtEnd(f, ns);
    const manifest = replicatorManifest(name, ns, {
      test: f.test,
      targets: SECONDARIES,
      tlsHosts: ["orphan.example.com"],
    });
    await c.primary.create({ ...manifest, spec: { ...manifest.spec, deletionPolicy: "Orphan" } });
    await waitSynced(c.primary, name, 60_000);
    const before = new Map<string, Map<string, string>>();
    for (const [context, client] of c.all) {
      const objects = await labelledObjects(client, ns, name);
      // ConfigMap, Deployment, Service, Ingress and the two mTLS Secrets.
      assert.deepEqual([...objects.keys()].sort(), [
        "ConfigMap/web",
        "Deployment/web",
        "Ingress/web",
        "Secret/ca-secret",
        "Secret/cli-secret",
        "Service/web",
      ], `${context} holds every object`);
      before.set(context, objects);
    }

    await deleteAndWaitGone(c.primary, name);
    for (const [context, client] of c.all) {
      for (const [id, uid] of before.get(context)!) await assertOrphaned(client, context, ns, id, uid);
      const namespace = await client.get<Obj>({ apiVersion: "v1", kind: "Namespace", name: ns });
      assert.equal(
        namespace.metadata.labels?.["app.kubernetes.io/managed-by"],
        undefined,
        `${context} namespace`,
      );
    }
    // One Orphaned part per cluster (`Left <objects> in <cluster> in place ...`), in the deletion's Event(s),
    // written when the reconcile that released the Replicator ends.
    await eventually("one Orphaned part per cluster", async () => {
      const events = await eventsAbout(c.primary, "default", name);
      return [PRIMARY, SECONDARY1, SECONDARY2].every((cluster) =>
        events.filter((e) => hasPart(e.message, orphanedIn(cluster))).length === 1
      );
    });

    // A new Replicator of the same name (deletionPolicy Delete) takes the same objects over, no conflict.
    await c.primary.create(manifest);
    const adopted = await waitSynced(c.primary, name, 60_000);
    assert.ok(
      adopted.status?.applied?.every((a) => a.applyStatus === "applied"),
      JSON.stringify(adopted.status),
    );
    for (const [context, client] of c.all) {
      const objects = await labelledObjects(client, ns, name);
      assert.deepEqual(objects, before.get(context), `${context}: the same objects, labelled again`);
      const cm = await client.get<Obj>(ref("ConfigMap", ns, "web"));
      assert.equal(
        cm.metadata.labels?.["plumber.jnytnai0613.github.io/replicator-uid"],
        adopted.metadata.uid,
      );
    }
    // The primary's copies kept through the first Replicator's deletion (no garbage collection).
    for (const [id, uid] of before.get("primary")!) {
      const [kind, objectName] = id.split("/") as [string, string];
      assert.equal((await c.primary.get<Obj>(ref(kind, ns, objectName))).metadata.uid, uid);
    }
  });
});

Deno.test("Orphan: deselecting a cluster leaves its objects there, unlabelled", async () => {
  await withOperator({ prefix: "orphan-desel" }, async (f) => {
    const c = f.clients;
    const name = uniqueName("orphd");
    const ns = uniqueName("orphd-ns");
    deleteNamespaceAtEnd(f, ns);
    const manifest = replicatorManifest(name, ns, {
      test: f.test,
      targets: SECONDARIES,
      configMapOnly: true,
    });
    await c.primary.create({ ...manifest, spec: { ...manifest.spec, deletionPolicy: "Orphan" } });
    await waitSynced(c.primary, name);
    const uid = (await c.secondary2.get<Obj>(ref("ConfigMap", ns, "web"))).metadata.uid!;

    await c.primary.mergePatch({ ...REP, name }, { spec: { targetCluster: [SECONDARY1] } });
    await eventually("secondary2's ConfigMap released", async () => {
      const cm = await c.secondary2.find<Obj>(ref("ConfigMap", ns, "web"));
      return cm?.metadata.labels?.["app.kubernetes.io/managed-by"] === undefined;
    });
    await assertOrphaned(c.secondary2, "secondary2", ns, "ConfigMap/web", uid);
    await waitSynced(c.primary, name);
    const kept = await c.secondary1.get<Obj>(ref("ConfigMap", ns, "web"));
    assert.equal(
      kept.metadata.labels?.["app.kubernetes.io/managed-by"],
      "plumber",
      "secondary1 still plumber's",
    );
    await eventually(
      "an Orphaned part for secondary2",
      async () =>
        (await eventsAbout(c.primary, "default", name)).some((e) =>
          hasPart(e.message, orphanedIn(SECONDARY2))
        ),
    );
  });
});
