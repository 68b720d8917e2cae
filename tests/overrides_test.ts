/**
 * Per-cluster overrides (`spec.overrides[]`) end to end: the real operator against three real clusters.
 * Entries select clusters by name (`clusterNames`), so these tests do not depend on cluster labels.
 * Write requests are counted in the operator's debug request log ("Write request" lines with the host).
 */

import assert from "node:assert/strict";
import { hasPart } from "../controllers/replicator/reconcile_events.ts";
import type { Replicator } from "../lib/api.ts";
import type { Override } from "../lib/overrides.ts";
import { eventually, uniqueName } from "./harness.ts";
import { type OperatorFixture, type OperatorProcess, withOperator } from "./operator.ts";
import {
  eventsAbout,
  getRep,
  type Obj,
  PRIMARY,
  ref,
  REP,
  replicatorManifest,
  SECONDARY1,
  SECONDARY2,
  waitSynced,
} from "./replicators.ts";

const SECONDARIES = [SECONDARY1, SECONDARY2];
const CONTEXTS = ["primary", "secondary1", "secondary2"] as const;
type Context = typeof CONTEXTS[number];

interface Deployment extends Obj {
  spec: {
    replicas?: number;
    template: {
      metadata?: { annotations?: Record<string, string> };
      spec: { containers: Array<{ name: string; image: string }>; terminationGracePeriodSeconds?: number };
    };
  };
}

/** The context of each API server's `host:port`, as the request log names it. */
function hosts(f: OperatorFixture): Map<string, Context> {
  return new Map(
    f.state.clusters.filter((c) => (CONTEXTS as readonly string[]).includes(c.context)).map((
      c,
    ) => [new URL(c.server).host, c.context as Context]),
  );
}

/** The operator's write requests from line `from` on, by cluster: `METHOD path`. */
function writesSince(f: OperatorFixture, from: number): Record<Context, string[]> {
  const byHost = hosts(f);
  const out: Record<Context, string[]> = { primary: [], secondary1: [], secondary2: [] };
  for (const l of f.operator.logs.slice(from)) {
    if (l.msg !== "Write request") continue;
    const context = byHost.get(String(l.host));
    assert.ok(context, `a write to an unknown host ${l.host}`);
    out[context].push(`${l.method} ${l.path}`);
  }
  return out;
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

/** Reconciles of the Replicator controller so far, from the operator's metrics. */
async function reconciles(operator: OperatorProcess): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${await operator.port("metrics")}/metrics`)).text();
  let total = 0;
  for (
    const m of text.matchAll(/^controller_runtime_reconcile_total\{controller="replicator",[^}]*\} (\d+)/gm)
  ) {
    total += Number(m[1]);
  }
  return total;
}

/** Makes the operator reconcile the Replicator again (a metadata change, no spec change) and waits for it. */
async function reconcileAgain(f: OperatorFixture, name: string): Promise<void> {
  const before = await reconciles(f.operator);
  await f.clients.primary.mergePatch({ ...REP, name }, {
    metadata: { annotations: { "example.com/poke": crypto.randomUUID() } },
  });
  await eventually("another reconcile", async () => (await reconciles(f.operator)) > before);
}

/** Waits until the status reports `cluster` held back by an override, for the current generation. */
async function waitHeldBack(f: OperatorFixture, name: string, cluster: string): Promise<Replicator> {
  return await eventually(`${cluster} held back`, async () => {
    const r = await getRep(f.clients.primary, name);
    const entry = r?.status?.clusters?.find((c) => c.name === cluster);
    return r?.status?.observedGeneration === r?.metadata.generation && entry?.ready === false &&
      entry.message?.startsWith(`cluster "${cluster}" held back: `) && r;
  });
}

/** A Replicator of the test's into both secondaries: ConfigMap, Deployment (1 replica) and Service `web`. */
function manifest(test: string, name: string, namespace: string, overrides?: Override[]) {
  const m = replicatorManifest(name, namespace, { test, targets: SECONDARIES, replicas: 1 });
  if (overrides) m.spec.overrides = overrides;
  return m;
}

Deno.test("Each override type lands in the selected cluster only; an edit that matches it is not drift; a steady state writes nothing", async () => {
  await withOperator({ prefix: "ovr-types" }, async (f) => {
    const c = f.clients;
    const name = uniqueName("ovr");
    const ns = uniqueName("ovr-ns");
    await c.primary.create(manifest(f.test, name, ns, [{
      clusterNames: [SECONDARY1],
      replicas: 3,
      images: { web: "mirror.internal.example/nginx:1.27" },
      configMapData: { "index.html": "hello from the mirror", extra: "1" },
      labels: { "example.com/region": "east" },
      annotations: { "example.com/owner": "ops@example.com" },
      patches: [{
        target: { kind: "Deployment" },
        patch: [
          { op: "add", path: "/spec/template/spec/terminationGracePeriodSeconds", value: 5 as never },
          {
            op: "add",
            path: "/spec/template/metadata/annotations",
            value: { "example.com/patched": "yes" },
          },
        ],
      }],
    }]));
    const rep = await waitSynced(c.primary, name);
    assert.deepEqual(
      rep.status?.clusters?.map((x) => [x.name, x.replicas]),
      [[PRIMARY, 1], [SECONDARY1, 3], [SECONDARY2, 1]],
      "status.clusters[].replicas are each cluster's desired replicas",
    );

    for (const [context, client] of c.all) {
      const selected = context === "secondary1";
      const d = await client.get<Deployment>(ref("Deployment", ns, "web"));
      const cm = await client.get<Obj>(ref("ConfigMap", ns, "web"));
      const svc = await client.get<Obj>(ref("Service", ns, "web"));
      assert.equal(d.spec.replicas, selected ? 3 : 1, `${context} replicas`);
      assert.equal(
        d.spec.template.spec.containers[0]?.image,
        selected ? "mirror.internal.example/nginx:1.27" : "nginx:1.27",
        `${context} image`,
      );
      assert.deepEqual(
        cm.data,
        selected ? { "index.html": "hello from the mirror", extra: "1" } : { "index.html": "hello" },
        `${context} ConfigMap data`,
      );
      for (const o of [d, cm, svc]) {
        assert.equal(o.metadata.labels?.["example.com/region"], selected ? "east" : undefined, context);
        assert.equal(o.metadata.annotations?.["example.com/owner"], selected ? "ops@example.com" : undefined);
        assert.equal(o.metadata.labels?.["app.kubernetes.io/managed-by"], "plumber");
      }
      assert.equal(d.spec.template.spec.terminationGracePeriodSeconds, selected ? 5 : 30, `${context} patch`);
      assert.equal(
        d.spec.template.metadata?.annotations?.["example.com/patched"],
        selected ? "yes" : undefined,
      );
      const namespace = await client.get<Obj>({ apiVersion: "v1", kind: "Namespace", name: ns });
      assert.equal(
        namespace.metadata.labels?.["example.com/region"],
        undefined,
        "the Namespace is not labelled",
      );
    }

    // Someone sets what the override already says: not drift, nothing to revert.
    let from = await settledLog(f.operator);
    await c.secondary1.mergePatch(ref("Deployment", ns, "web"), { spec: { replicas: 3 } }, {
      fieldManager: "someone",
    });
    await reconcileAgain(f, name);
    await settledLog(f.operator);
    assert.deepEqual(writesSince(f, from), { primary: [], secondary1: [], secondary2: [] });

    // A steady state: a reconcile writes nothing anywhere.
    from = f.operator.logs.length;
    await reconcileAgain(f, name);
    await reconcileAgain(f, name);
    await settledLog(f.operator);
    assert.deepEqual(writesSince(f, from), { primary: [], secondary1: [], secondary2: [] });

    // Drift from the override is reverted to the override, not to the base spec.
    await c.secondary1.mergePatch(ref("Deployment", ns, "web"), { spec: { replicas: 1 } }, {
      fieldManager: "someone",
    });
    await eventually("the override's replicas restored", async () => {
      const d = await c.secondary1.get<Deployment>(ref("Deployment", ns, "web"));
      return d.spec.replicas === 3;
    });
  });
});

Deno.test("A bad override holds back only its cluster: the others proceed, status and one Event name the field, and fixing it releases the cluster", async () => {
  await withOperator({ prefix: "ovr-bad" }, async (f) => {
    const c = f.clients;
    const name = uniqueName("ovr");
    const ns = uniqueName("ovr-ns");
    const badPath: Override[] = [{
      clusterNames: [SECONDARY2],
      patches: [{ target: { kind: "Deployment" }, patch: [{ op: "remove", path: "/spec/foo" }] }],
    }];
    await c.primary.create(manifest(f.test, name, ns, badPath));

    // 1. Never applied there: secondary2 gets nothing; the others are synced.
    let rep = await waitHeldBack(f, name, SECONDARY2);
    const pathMessage = `cluster "${SECONDARY2}" held back: spec.overrides[0].patches[0].patch[0]: ` +
      "path /spec/foo does not exist in Deployment web";
    assert.equal(rep.status?.clusters?.find((x) => x.name === SECONDARY2)?.message, pathMessage);
    // Ready means the Pods run: the others get there once their Deployments roll out.
    rep = await eventually("the other clusters ready", async () => {
      const r = await getRep(c.primary, name);
      const ready = r?.status?.clusters?.filter((x) => x.ready).map((x) => x.name);
      return JSON.stringify(ready) === JSON.stringify([PRIMARY, SECONDARY1]) && r;
    });
    assert.equal(rep.status?.synced, "not synced");
    assert.match(
      rep.status?.conditions?.find((x) => x.type === "Degraded")?.message ?? "",
      /path \/spec\/foo does not exist in Deployment web/,
    );
    assert.deepEqual(
      rep.status?.applied?.filter((a) => a.cluster === SECONDARY2).map((a) => `${a.kind} ${a.applyStatus}`),
      ["ConfigMap", "Deployment", "Service"].map((k) =>
        `${k} failed: held back by spec.overrides[0].patches[0].patch[0]`
      ),
    );
    for (const context of ["primary", "secondary1"] as const) {
      assert.ok(await c[context].find(ref("Deployment", ns, "web")), `${context} has the Deployment`);
    }
    assert.equal(
      await c.secondary2.find({ apiVersion: "v1", kind: "Namespace", name: ns }),
      undefined,
      "nothing was written to the held-back cluster",
    );

    // 2. Fixed: the cluster is released.
    await c.primary.mergePatch({ ...REP, name }, {
      spec: { overrides: [{ clusterNames: [SECONDARY2], replicas: 2 }] },
    });
    await waitSynced(c.primary, name);
    assert.equal((await c.secondary2.get<Deployment>(ref("Deployment", ns, "web"))).spec.replicas, 2);

    // 3. Broken again together with a change for everyone: the others get the change, secondary2 stays as it was.
    let from = await settledLog(f.operator);
    await c.primary.mergePatch({ ...REP, name }, {
      spec: {
        configMapData: { "index.html": "round 3" },
        overrides: [{
          clusterNames: [SECONDARY2],
          replicas: 4,
          patches: [{
            target: { kind: "Deployment", name: "api" },
            patch: [{ op: "remove", path: "/spec/paused" }],
          }],
        }],
      },
    });
    rep = await waitHeldBack(f, name, SECONDARY2);
    const targetMessage = `cluster "${SECONDARY2}" held back: spec.overrides[0].patches[0].target: ` +
      'no Deployment named "api" is rendered (rendered: web)';
    assert.equal(rep.status?.clusters?.find((x) => x.name === SECONDARY2)?.message, targetMessage);
    for (const context of ["primary", "secondary1"] as const) {
      const cm = await c[context].get<Obj>(ref("ConfigMap", ns, "web"));
      assert.equal(cm.data?.["index.html"], "round 3", `${context} got the change`);
    }
    assert.equal((await c.secondary2.get<Obj>(ref("ConfigMap", ns, "web"))).data?.["index.html"], "hello");
    assert.equal((await c.secondary2.get<Deployment>(ref("Deployment", ns, "web"))).spec.replicas, 2);
    assert.deepEqual(
      rep.status?.applied?.filter((a) => a.cluster === SECONDARY2).map((a) => `${a.kind} ${a.applyStatus}`),
      ["ConfigMap applied", "Deployment applied", "Service applied"],
      "what secondary2 holds stays on record",
    );

    // Requeues and other reconciles neither write to secondary2 nor repeat the Event.
    await reconcileAgain(f, name);
    await reconcileAgain(f, name);
    await settledLog(f.operator);
    assert.deepEqual(writesSince(f, from).secondary2, [], "no write to the held-back cluster");
    // Each reason is an OverrideFailed part of one Warning Event (of the reconcile that found it), never repeated.
    const events = await eventsAbout(c.primary, "default", name);
    for (const message of [pathMessage, targetMessage]) {
      assert.deepEqual(
        events.filter((e) => hasPart(e.message, message)).map((e) => e.type),
        ["Warning"],
        `one Warning Event saying ${message}: ${JSON.stringify(events.map((e) => e.message))}`,
      );
    }

    // 4. Fixed again: secondary2 catches up.
    from = f.operator.logs.length;
    await c.primary.mergePatch({ ...REP, name }, {
      spec: { overrides: [{ clusterNames: [SECONDARY2], replicas: 4 }] },
    });
    await waitSynced(c.primary, name);
    assert.equal((await c.secondary2.get<Obj>(ref("ConfigMap", ns, "web"))).data?.["index.html"], "round 3");
    assert.equal((await c.secondary2.get<Deployment>(ref("Deployment", ns, "web"))).spec.replicas, 4);
  });
});

Deno.test("An override change writes only to the clusters it selects, one apply per changed object", async () => {
  await withOperator({ prefix: "ovr-writes" }, async (f) => {
    const c = f.clients;
    const name = uniqueName("ovr");
    const ns = uniqueName("ovr-ns");
    await c.primary.create(manifest(f.test, name, ns, [{ clusterNames: [SECONDARY1], replicas: 2 }]));
    await waitSynced(c.primary, name);

    /** Changes the overrides, waits until secondary1 shows it and the writes settle; the writes by cluster. */
    const change = async (overrides: Override[], landed: (d: Deployment) => boolean) => {
      const from = await settledLog(f.operator);
      await c.primary.mergePatch({ ...REP, name }, { spec: { overrides } });
      await waitSynced(c.primary, name);
      await eventually(
        "the change in secondary1",
        async () => landed(await c.secondary1.get<Deployment>(ref("Deployment", ns, "web"))),
      );
      await settledLog(f.operator);
      return writesSince(f, from);
    };
    const inNamespace = (writes: string[]) => writes.filter((w) => w.includes(`/namespaces/${ns}/`));

    // One object changes (the Deployment's replicas).
    const replicas = await change(
      [{ clusterNames: [SECONDARY1], replicas: 4 }],
      (d) => d.spec.replicas === 4,
    );
    // Three objects change (a label on each replicated object).
    const labels = await change(
      [{ clusterNames: [SECONDARY1], replicas: 4, labels: { tier: "gold" } }],
      (d) => d.metadata.labels?.tier === "gold",
    );
    for (const [what, writes] of [["replicas 2 -> 4", replicas], ["add a label", labels]] as const) {
      console.log(
        `override change (${what}): write requests primary ${writes.primary.length}, secondary1 ${writes.secondary1.length}, ` +
          `secondary2 ${writes.secondary2.length}\n  ${
            Object.entries(writes).flatMap(([k, w]) => w.map((x) => `${k}: ${x}`)).join("\n  ")
          }`,
      );
      assert.deepEqual(writes.secondary2, [], `${what}: nothing written to the cluster it does not select`);
      assert.deepEqual(inNamespace(writes.primary), [], `${what}: no object written in the primary`);
      // The primary only gets the status and the Applied Event.
      assert.ok(
        writes.primary.every((w) => /\/replicators\/[^/]+\/status|\/events/.test(w)),
        `${what}: primary writes ${writes.primary.join(", ")}`,
      );
    }
    const strip = (writes: string[]) => writes.map((w) => w.replace(/\?.*$/, "")).sort();
    assert.deepEqual(strip(replicas.secondary1), [`PATCH /apis/apps/v1/namespaces/${ns}/deployments/web`]);
    assert.deepEqual(
      strip(labels.secondary1),
      [
        `PATCH /api/v1/namespaces/${ns}/configmaps/web`,
        `PATCH /api/v1/namespaces/${ns}/services/web`,
        `PATCH /apis/apps/v1/namespaces/${ns}/deployments/web`,
      ],
    );
    const cm = await c.secondary2.get<Obj>(ref("ConfigMap", ns, "web"));
    assert.equal(cm.metadata.labels?.tier, undefined);
  });
});
