/**
 * Fault tests, end to end: the real operator process against three real
 * clusters, while clusters, API servers and operator processes fail. Each test
 * runs on a control plane of its own (the three default cluster names, no
 * controller manager) so that it can break things without disturbing others.
 *
 * The state of the world is what is asserted: after every fault, the objects
 * labelled `plumber.jnytnai0613.github.io/replicator` in each cluster are
 * exactly what the Replicators' specs say, nothing missing and nothing extra.
 *
 * @module
 */

import assert from "node:assert/strict";
import { API_VERSION, FINALIZER, LABEL_REPLICATOR, type Replicator } from "../lib/api.ts";
import type { KubeClient, KubeObjectLike } from "../lib/kube/client.ts";
import { type ControlPlane, type ControlPlaneState, DEFAULT_CLUSTERS } from "./control_plane.ts";
import { adminClient, eventually, privateControlPlane } from "./harness.ts";
import { operatorArgs, OperatorProcess, prepareOperatorNamespace, startOperator } from "./operator.ts";
import {
  PRIMARY,
  REPLICATED_KINDS,
  type ReplicatorManifest,
  replicatorManifest,
  SECONDARY1,
  SECONDARY2,
} from "./replicators.ts";

const NAMESPACE = "plumber-system";
type Context = "primary" | "secondary1" | "secondary2";
const CONTEXTS: Context[] = ["primary", "secondary1", "secondary2"];

/** Probe settings the operator runs with (tests/operator.ts defaults) and its default failure threshold. */
const PROBE_INTERVAL_MS = 1000;
const PROBE_TIMEOUT_MS = 1000;
const FAILURE_THRESHOLD = 3;
/** controller-runtime's leader election defaults, which the operator uses. */
const LEASE_DURATION_MS = 15_000;
const RETRY_PERIOD_MS = 2_000;

type Obj = KubeObjectLike & {
  data?: Record<string, string>;
  status?: { phase?: string };
  metadata: {
    name: string;
    namespace?: string;
    uid?: string;
    labels?: Record<string, string>;
    ownerReferences?: Array<{ kind: string; name: string; uid: string }>;
  };
};

/** One test's world: a control plane of its own, admin clients, and the operators it started. */
class World {
  readonly cp: ControlPlane;
  readonly state: ControlPlaneState;
  readonly clients: Record<Context, KubeClient>;
  readonly operators: OperatorProcess[] = [];

  private constructor(cp: ControlPlane) {
    this.cp = cp;
    this.state = cp.state;
    this.clients = {
      primary: adminClient(this.state, "primary"),
      secondary1: adminClient(this.state, "secondary1"),
      secondary2: adminClient(this.state, "secondary2"),
    };
  }

  /** Starts the clusters and prepares the operator namespace (CRDs, kubeconfig Secret of both secondaries). */
  static async start(): Promise<World> {
    const started = Date.now();
    const cp = await privateControlPlane(DEFAULT_CLUSTERS, { controllerManager: false });
    const world = new World(cp);
    console.log(`control plane: 3 clusters up in ${seconds(Date.now() - started)}`);
    try {
      await prepareOperatorNamespace(world.state, NAMESPACE);
      return world;
    } catch (error) {
      await world.stop();
      throw error;
    }
  }

  get primary(): KubeClient {
    return this.clients.primary;
  }

  /** Starts an operator and waits for its controllers. */
  async startOperator(extraArgs: string[] = []): Promise<OperatorProcess> {
    const operator = await startOperator(this.state, { namespace: NAMESPACE, extraArgs });
    this.operators.push(operator);
    return operator;
  }

  /** Starts an operator without waiting for anything (a standby replica logs no "Controllers started"). */
  spawnOperator(extraArgs: string[] = []): OperatorProcess {
    const operator = new OperatorProcess(operatorArgs(this.state, { namespace: NAMESPACE, extraArgs }));
    this.operators.push(operator);
    return operator;
  }

  /** Waits until every ClusterDetector (primary and both secondaries) is Running. */
  async allRunning(): Promise<void> {
    await eventually("every ClusterDetector Running", async () => {
      const list = await this.primary.list<{ status?: { clusterstatus?: string } }>(
        API_VERSION,
        "ClusterDetector",
        { namespace: NAMESPACE },
      );
      return list.items.filter((cd) => cd.status?.clusterstatus === "Running").length === 3;
    });
  }

  /** Waits until a ClusterDetector reports a status. */
  async waitClusterStatus(name: string, status: "Running" | "Unknown", timeoutMs: number): Promise<void> {
    await eventually(`ClusterDetector ${name} ${status}`, async () => {
      const cd = await this.primary.find<{ status?: { clusterstatus?: string } }>({
        apiVersion: API_VERSION,
        kind: "ClusterDetector",
        namespace: NAMESPACE,
        name,
      });
      return cd?.status?.clusterstatus === status;
    }, { timeoutMs });
  }

  async stop(): Promise<void> {
    for (const operator of this.operators) await operator.stop("SIGKILL");
    for (const client of Object.values(this.clients)) client.close();
    await this.cp.stop();
  }
}

/** A small Replicator in a namespace of its own: ConfigMap, Deployment and Service; with `tls` also an mTLS Ingress. */
function replicatorBody(name: string, options: { tls?: boolean; data?: string } = {}): ReplicatorManifest {
  return replicatorManifest(name, name, {
    targets: [SECONDARY1, SECONDARY2],
    configMapData: { "index.html": options.data ?? "v1" },
    ...(options.tls ? { tlsHosts: [`${name}.example.com`] } : {}),
  });
}

/** `n` Replicators named `<prefix>-00` ..; every `tlsEvery`-th one with mTLS. */
function fanOut(prefix: string, n: number, tlsEvery = 0): ReplicatorManifest[] {
  return Array.from(
    { length: n },
    (_, i) =>
      replicatorBody(`${prefix}-${String(i).padStart(2, "0")}`, { tls: tlsEvery > 0 && i % tlsEvery === 0 }),
  );
}

async function createAll(client: KubeClient, bodies: ReplicatorManifest[]): Promise<void> {
  for (const body of bodies) await client.create(body);
}

/** What the specs say each cluster must hold: `<replicator> <kind>/<namespace>/<name>`, sorted. */
function expectedObjects(bodies: ReplicatorManifest[]): string[] {
  return bodies.flatMap((r) => {
    const ns = r.spec.replicationNamespace;
    const objects = ["ConfigMap/web", "Deployment/web", "Service/web"];
    if (r.spec.ingressSecureEnabled) objects.push("Ingress/web", "Secret/ca-secret", "Secret/cli-secret");
    return objects.map((o) => {
      const [kind, name] = o.split("/");
      return `${r.metadata.name} ${kind}/${ns}/${name}`;
    });
  }).sort();
}

/** What a cluster holds: every object carrying the Replicator label, in the same form. */
async function liveObjects(client: KubeClient): Promise<string[]> {
  const out: string[] = [];
  for (const k of REPLICATED_KINDS) {
    const list = await client.list<Obj>(k.apiVersion, k.kind, { labelSelector: LABEL_REPLICATOR });
    for (const o of list.items) {
      out.push(
        `${o.metadata.labels?.[LABEL_REPLICATOR]} ${k.kind}/${o.metadata.namespace}/${o.metadata.name}`,
      );
    }
  }
  return out.sort();
}

async function assertObjects(world: World, contexts: Context[], bodies: ReplicatorManifest[]): Promise<void> {
  const expected = expectedObjects(bodies);
  for (const context of contexts) {
    assert.deepEqual(await liveObjects(world.clients[context]), expected, `objects in ${context}`);
  }
}

async function listReplicators(client: KubeClient): Promise<Replicator[]> {
  return (await client.list<Replicator>(API_VERSION, "Replicator")).items;
}

function isSynced(r: Replicator): boolean {
  return r.status?.synced === "synced" && r.status.observedGeneration === r.metadata.generation;
}

async function countSynced(client: KubeClient, names: string[]): Promise<number> {
  const wanted = new Set(names);
  return (await listReplicators(client)).filter((r) => wanted.has(r.metadata.name) && isSynced(r)).length;
}

async function waitSynced(
  client: KubeClient,
  bodies: ReplicatorManifest[],
  timeoutMs: number,
  what = "synced",
): Promise<Replicator[]> {
  const names = new Set(bodies.map((b) => b.metadata.name));
  let seen = 0;
  try {
    return await eventually(`${bodies.length} Replicators ${what}`, async () => {
      const reps = (await listReplicators(client)).filter((r) => names.has(r.metadata.name));
      seen = reps.filter(isSynced).length;
      return seen === names.size && reps.length === names.size && reps;
    }, { timeoutMs, intervalMs: 200 });
  } catch (error) {
    throw new Error(`${(error as Error).message} (${seen} of ${names.size} synced)`);
  }
}

/** `Write request` records of an operator's request log, in order. */
function writes(operator: OperatorProcess): Array<{ ts: number; method: string; path: string }> {
  return operator.logs
    .filter((l) => l.msg === "Write request")
    .map((l) => ({ ts: Date.parse(String(l.ts)), method: String(l.method), path: String(l.path) }));
}

/** Waits until a new line of the operator's output (after `from`) matches, checking every few milliseconds. */
async function waitForLine(
  operator: OperatorProcess,
  from: number,
  test: (line: string) => boolean,
  what: string,
): Promise<void> {
  let next = from;
  await eventually(what, () => {
    for (; next < operator.lines.length; next++) if (test(operator.lines[next]!)) return true;
    return false;
  }, { intervalMs: 5, timeoutMs: 30_000 });
}

/** Milliseconds from `since` to an operator's log line (its own timestamp). */
async function logTime(operator: OperatorProcess, msg: string, since: number): Promise<number> {
  return Date.parse(String((await operator.waitForLog(msg, 60_000)).ts)) - since;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/** The mTLS material of a TLS Replicator, everywhere it is: the stored Secret and each cluster's copies. */
async function tlsSnapshot(world: World, name: string): Promise<Record<string, string | undefined>> {
  const read = async (client: KubeClient, namespace: string, secret: string) => {
    const s = await client.find<Obj>({ apiVersion: "v1", kind: "Secret", namespace, name: secret });
    return s?.data ? JSON.stringify(Object.entries(s.data).sort()) : undefined;
  };
  const snapshot: Record<string, string | undefined> = {
    stored: await read(world.primary, NAMESPACE, `plumber-tls-${name}`),
  };
  for (const context of CONTEXTS) {
    for (const secret of ["ca-secret", "cli-secret"]) {
      snapshot[`${context}/${secret}`] = await read(world.clients[context], name, secret);
    }
  }
  return snapshot;
}

/** Every piece of material present before is unchanged now, and every cluster holds the stored set. */
function assertTlsKept(
  name: string,
  before: Record<string, string | undefined>,
  after: Record<string, string | undefined>,
): void {
  for (const [where, value] of Object.entries(before)) {
    if (value !== undefined) assert.equal(after[where], value, `${name}: ${where} changed`);
  }
  const stored = Object.fromEntries(JSON.parse(after.stored ?? "[]") as [string, string][]);
  for (const context of CONTEXTS) {
    const ca = Object.fromEntries(JSON.parse(after[`${context}/ca-secret`] ?? "[]") as [string, string][]);
    const cli = Object.fromEntries(JSON.parse(after[`${context}/cli-secret`] ?? "[]") as [string, string][]);
    assert.ok(stored["ca.crt"], `${name}: TLS material stored`);
    assert.deepEqual(
      [ca["ca.crt"], ca["tls.crt"], ca["tls.key"], cli["client.crt"], cli["client.key"]],
      [stored["ca.crt"], stored["tls.crt"], stored["tls.key"], stored["client.crt"], stored["client.key"]],
      `${name}: ${context} holds the stored certificates`,
    );
  }
}

Deno.test("A secondary's API server stopped in the middle of a fan-out of 30 is reported, and all 30 converge after it returns", async () => {
  const world = await World.start();
  try {
    const operator = await world.startOperator();
    await world.allRunning();
    const bodies = fanOut("out", 30);
    const names = bodies.map((b) => b.metadata.name);

    await createAll(world.primary, bodies);
    await eventually("10 Replicators synced", async () => await countSynced(world.primary, names) >= 10, {
      intervalMs: 20,
    });
    await world.cp.stopApiServer("secondary2");
    const stoppedAt = Date.now();
    const syncedAtStop = await countSynced(world.primary, names);
    assert.ok(syncedAtStop < 30, `the fan-out was over before secondary2 stopped (${syncedAtStop} synced)`);

    await world.waitClusterStatus(SECONDARY2, "Unknown", 20_000);
    const unknownMs = Date.now() - stoppedAt;
    // interval x threshold, each failing probe taking up to its timeout, plus slack for the status write.
    const unknownBound = PROBE_INTERVAL_MS * FAILURE_THRESHOLD + PROBE_TIMEOUT_MS + 4000;
    assert.ok(
      unknownMs < unknownBound,
      `secondary2 Unknown after ${unknownMs} ms (bound ${unknownBound} ms)`,
    );

    const reported = await eventually("primary and secondary1 converged, secondary2 reported", async () => {
      const reps = (await listReplicators(world.primary)).filter((r) => names.includes(r.metadata.name));
      const done = reps.filter((r) => {
        const clusters = r.status?.clusters ?? [];
        // No controller manager here: a Deployment gets as far as applied (ready needs it rolled out).
        const ready = (n: string) => {
          const c = clusters.find((c) => c.name === n);
          return c && (c.ready || /^waiting for the Deployment to observe generation/.test(c.message ?? ""));
        };
        const degraded = r.status?.conditions?.find((c) => c.type === "Degraded");
        return r.status?.observedGeneration === r.metadata.generation &&
          ready(PRIMARY) === true && ready(SECONDARY1) === true && ready(SECONDARY2) === false &&
          r.status?.synced === "not synced" && degraded?.status === "True" &&
          degraded.message?.includes(SECONDARY2);
      });
      return done.length === 30 && reps;
    }, { timeoutMs: 60_000, intervalMs: 200 });
    const reportedMs = Date.now() - stoppedAt;
    for (const r of reported) {
      const s2 = r.status!.clusters!.find((c) => c.name === SECONDARY2)!;
      assert.match(s2.message ?? "", new RegExp(SECONDARY2.replaceAll(".", "\\.")));
    }
    await assertObjects(world, ["primary", "secondary1"], bodies);

    await world.cp.startApiServer("secondary2");
    const backAt = Date.now();
    await world.waitClusterStatus(SECONDARY2, "Running", 30_000);
    const runningMs = Date.now() - backAt;
    await waitSynced(world.primary, bodies, 90_000);
    const convergedMs = Date.now() - backAt;
    await assertObjects(world, CONTEXTS, bodies);
    for (const name of names) {
      for (const context of CONTEXTS) {
        const ns = await world.clients[context].find<Obj>({ apiVersion: "v1", kind: "Namespace", name });
        assert.equal(ns?.status?.phase, "Active", `namespace ${name} in ${context}`);
      }
    }
    assert.ok(!operator.exited, "the operator kept running");
    assert.equal(
      operator.logs.filter((l) => l.msg === "Controllers started").length,
      1,
      "no operator restart",
    );
    console.log(
      `secondary outage: stopped with ${syncedAtStop}/30 synced; Unknown after ${seconds(unknownMs)}; ` +
        `all 30 reported and converged on primary+secondary1 ${seconds(reportedMs)} after the stop; ` +
        `after the API server was back (ready), Running in ${seconds(runningMs)}, ` +
        `all 30 synced on 3 clusters in ${seconds(convergedMs)}`,
    );
  } finally {
    await world.stop();
  }
});

Deno.test("An operator killed (SIGKILL) mid fan-out and mid deletion converges after a restart: no orphans, finalizers released, certificates kept", async () => {
  const world = await World.start();
  try {
    // 1. Killed in the middle of a fan-out of 30 (6 with mTLS).
    let operator = await world.startOperator();
    await world.allRunning();
    const bodies = fanOut("kill", 30, 5);
    const names = bodies.map((b) => b.metadata.name);
    const tlsNames = bodies.filter((b) => b.spec.ingressSecureEnabled).map((b) => b.metadata.name);
    await createAll(world.primary, bodies);
    await eventually("10 Replicators synced", async () => await countSynced(world.primary, names) >= 10, {
      intervalMs: 20,
    });
    await operator.stop("SIGKILL");
    const syncedAtKill = await countSynced(world.primary, names);
    assert.ok(syncedAtKill < 30, `the fan-out was over before the kill (${syncedAtKill} synced)`);
    const tlsAtKill = new Map<string, Record<string, string | undefined>>();
    for (const name of tlsNames) tlsAtKill.set(name, await tlsSnapshot(world, name));
    const partial = [...tlsAtKill.values()].filter((s) =>
      Object.values(s).some((v) => v !== undefined)
    ).length;

    let restartedAt = Date.now();
    operator = await world.startOperator();
    await waitSynced(world.primary, bodies, 90_000);
    const fanOutMs = Date.now() - restartedAt;
    const startFanOutMs = await logTime(operator, "Controllers started", restartedAt);
    await assertObjects(world, CONTEXTS, bodies);
    for (const name of tlsNames) assertTlsKept(name, tlsAtKill.get(name)!, await tlsSnapshot(world, name));

    // 2. Killed in the middle of deleting 8 of them (5 with mTLS).
    const tlsBefore = new Map<string, Record<string, string | undefined>>();
    for (const name of tlsNames) tlsBefore.set(name, await tlsSnapshot(world, name));
    const doomed = ["kill-00", "kill-03", "kill-05", "kill-08", "kill-10", "kill-13", "kill-15", "kill-20"];
    const uids = new Map<string, string>();
    for (const r of await listReplicators(world.primary)) uids.set(r.metadata.name, r.metadata.uid!);
    const mark = operator.lines.length;
    for (const name of doomed) {
      await world.primary.delete({ apiVersion: API_VERSION, kind: "Replicator", name });
    }
    await waitForLine(
      operator,
      mark,
      (line) => line.includes('"msg":"Write request"') && line.includes('"method":"DELETE"'),
      "the operator's first cleanup delete",
    );
    await operator.stop("SIGKILL");
    const pendingAtKill = (await listReplicators(world.primary))
      .filter((r) => doomed.includes(r.metadata.name)).length;
    assert.ok(pendingAtKill > 0, "the deletion was over before the kill");

    restartedAt = Date.now();
    operator = await world.startOperator();
    await eventually("the deleted Replicators gone", async () => {
      const left = (await listReplicators(world.primary)).filter((r) => doomed.includes(r.metadata.name));
      return left.length === 0;
    }, { timeoutMs: 60_000, intervalMs: 200 });
    const deletionMs = Date.now() - restartedAt;
    const startDeletionMs = await logTime(operator, "Controllers started", restartedAt);
    const remaining = bodies.filter((b) => !doomed.includes(b.metadata.name));
    const reps = await waitSynced(world.primary, remaining, 30_000);
    // Nothing labelled with a deleted Replicator's name anywhere; the rest exactly as specified.
    await assertObjects(world, CONTEXTS, remaining);
    for (const r of reps) {
      assert.ok(r.metadata.finalizers?.includes(FINALIZER), `${r.metadata.name} finalizer`);
    }
    for (const name of doomed) {
      for (const context of CONTEXTS) {
        const ns = await world.clients[context].find<Obj>({ apiVersion: "v1", kind: "Namespace", name });
        // Without a controller manager a deleted namespace stays Terminating.
        assert.ok(!ns || ns.status?.phase === "Terminating", `namespace ${name} in ${context} left behind`);
      }
      // The stored mTLS material goes with the Replicator by garbage collection (owner reference).
      const stored = await world.primary.find<Obj>({
        apiVersion: "v1",
        kind: "Secret",
        namespace: NAMESPACE,
        name: `plumber-tls-${name}`,
      });
      if (stored) {
        assert.deepEqual(
          stored.metadata.ownerReferences?.map((o) => [o.kind, o.name, o.uid]),
          [["Replicator", name, uids.get(name)]],
          `plumber-tls-${name} is owned by the deleted Replicator`,
        );
      }
    }
    for (const name of tlsNames.filter((n) => !doomed.includes(n))) {
      assertTlsKept(name, tlsBefore.get(name)!, await tlsSnapshot(world, name));
    }
    const mtls = `${partial}/${tlsNames.length} mTLS sets begun`;
    console.log(
      `operator SIGKILL: fan-out killed with ${syncedAtKill}/30 synced (${mtls}); after the restart, ` +
        `controllers up in ${seconds(startFanOutMs)}, all 30 synced in ${seconds(fanOutMs)}. ` +
        `Deletion of ${doomed.length} killed with ${pendingAtKill} pending; after the restart, controllers ` +
        `up in ${seconds(startDeletionMs)}, all released in ${seconds(deletionMs)}; certificates unchanged`,
    );
  } finally {
    await world.stop();
  }
});

Deno.test("Spec changes made around a restart of the primary's API server are all replicated", async () => {
  const world = await World.start();
  try {
    const operator = await world.startOperator();
    await world.allRunning();
    const bodies = fanOut("edit", 10);
    await createAll(world.primary, bodies);
    await waitSynced(world.primary, bodies, 60_000);
    const acknowledged = new Map<string, string>();
    const edit = async (name: string, data: string) => {
      await world.primary.mergePatch(
        { apiVersion: API_VERSION, kind: "Replicator", name },
        { spec: { configMapData: { "index.html": data } } },
      );
      acknowledged.set(name, data);
    };

    // Three changes acknowledged just before the primary's API server is killed, two racing the kill
    // (the kill follows the first acknowledgement; the others are
    // stored or not: the clusters must match whatever the spec says), then the server started again.
    for (const b of bodies.slice(0, 3)) await edit(b.metadata.name, "v2");
    const racing = bodies.slice(3, 6).map((b) => edit(b.metadata.name, "v2"));
    await Promise.race(racing).catch(() => {});
    await world.cp.stopApiServer("primary");
    const downAt = Date.now();
    const racedOk = (await Promise.allSettled(racing)).filter((r) => r.status === "fulfilled").length;
    await world.cp.startApiServer("primary");
    const backAt = Date.now();
    // More changes once it is back: new ones, and a second change of some of the first.
    for (const b of bodies.slice(6)) await edit(b.metadata.name, "v2");
    for (const b of bodies.slice(0, 2)) await edit(b.metadata.name, "v3");

    // The truth is the spec as stored, which holds every acknowledged change.
    const expected = new Map<string, string | undefined>();
    for (const r of await listReplicators(world.primary)) {
      expected.set(r.metadata.name, r.spec.configMapData?.["index.html"]);
    }
    for (const [name, data] of acknowledged) assert.equal(expected.get(name), data, `${name} spec`);
    const racedStored = bodies.slice(3, 6).filter((b) => expected.get(b.metadata.name) === "v2").length;
    assert.equal(expected.size, bodies.length);

    const check = async () => {
      for (const context of CONTEXTS) {
        for (const [name, data] of expected) {
          const cm = await world.clients[context].find<Obj>({
            apiVersion: "v1",
            kind: "ConfigMap",
            namespace: name,
            name: "web",
          });
          if (cm?.data?.["index.html"] !== data) return false;
        }
      }
      return true;
    };
    try {
      await eventually("every cluster to hold the latest data", check, {
        timeoutMs: 60_000,
        intervalMs: 200,
      });
    } catch (error) {
      const seen: string[] = [];
      for (const context of CONTEXTS) {
        for (const name of expected.keys()) {
          const cm = await world.clients[context].find<Obj>({
            apiVersion: "v1",
            kind: "ConfigMap",
            namespace: name,
            name: "web",
          });
          seen.push(`${context}/${name}=${cm?.data?.["index.html"]}`);
        }
      }
      throw new Error(`${(error as Error).message}; expected ${JSON.stringify([...expected])}; seen ${seen}`);
    }
    const dataMs = Date.now() - backAt;
    await waitSynced(world.primary, bodies, 60_000, "synced at their latest generation");
    const syncedMs = Date.now() - backAt;
    await assertObjects(world, CONTEXTS, bodies);
    assert.ok(!operator.exited, "the operator kept running");
    assert.equal(
      operator.logs.filter((l) => l.msg === "Controllers started").length,
      1,
      "no operator restart",
    );
    console.log(
      `primary restart: API server down ${seconds(backAt - downAt)} (kill to ready), ${racedOk}/3 racing ` +
        `edits acknowledged, ${racedStored}/3 stored; latest data of all 10 ` +
        `in 3 clusters ${seconds(dataMs)} and status synced ${seconds(syncedMs)} after it was back`,
    );
  } finally {
    await world.stop();
  }
});

Deno.test("With two replicas, the standby takes over a fan-out of 20 within the lease duration after the leader is killed, and never writes alongside it", async () => {
  const world = await World.start();
  try {
    const leader = await world.startOperator(["--leader-elect"]);
    const standby = world.spawnOperator(["--leader-elect"]);
    await standby.waitForLog("Waiting to become the leader", 60_000);
    await world.allRunning();
    const bodies = fanOut("ha", 20);
    const names = bodies.map((b) => b.metadata.name);
    await createAll(world.primary, bodies);
    await eventually("5 Replicators synced", async () => await countSynced(world.primary, names) >= 5, {
      intervalMs: 20,
    });
    assert.ok(!standby.logs.some((l) => l.msg === "Became the leader"), "the standby waits");
    const killedAt = Date.now();
    await leader.stop("SIGKILL");
    const syncedAtKill = await countSynced(world.primary, names);
    assert.ok(syncedAtKill < 20, `the fan-out was over before the kill (${syncedAtKill} synced)`);

    const became = await standby.waitForLog("Became the leader", 40_000);
    const takeoverMs = Date.parse(String(became.ts)) - killedAt;
    // The standby must see the lease unchanged for a whole lease duration, polling every retry period (+20% jitter).
    const takeoverBound = LEASE_DURATION_MS + 2 * RETRY_PERIOD_MS * 1.2 + 5000;
    assert.ok(takeoverMs < takeoverBound, `takeover after ${takeoverMs} ms (bound ${takeoverBound} ms)`);
    const startedMs = await logTime(standby, "Controllers started", killedAt);
    await waitSynced(world.primary, bodies, 60_000);
    const finishedMs = Date.now() - killedAt;
    await assertObjects(world, CONTEXTS, bodies);

    const oldWrites = writes(leader);
    const newWrites = writes(standby);
    assert.ok(oldWrites.length > 0 && newWrites.length > 0, "both replicas wrote");
    const lastOld = Math.max(...oldWrites.map((w) => w.ts));
    const firstNew = Math.min(...newWrites.map((w) => w.ts));
    const firstNewObject = Math.min(
      ...newWrites.filter((w) => !w.path.includes("/leases/")).map((w) => w.ts),
    );
    assert.ok(lastOld <= killedAt, "the killed leader wrote nothing after its death");
    assert.ok(
      lastOld < firstNew,
      `the killed leader's last write (${
        new Date(lastOld).toISOString()
      }) is before the new leader's first ` +
        `(${new Date(firstNew).toISOString()})`,
    );
    const takeover = seconds(takeoverMs);
    const margins = `${seconds(firstNew - lastOld)} (lease write), ${
      seconds(firstNewObject - lastOld)
    } (object write)`;
    console.log(
      `leader failover: killed with ${syncedAtKill}/20 synced; after the kill, takeover in ${takeover}, ` +
        `controllers up in ${seconds(startedMs)}, all 20 synced in ${seconds(finishedMs)}; ` +
        `write ordering margin ${margins}; ${oldWrites.length} + ${newWrites.length} writes`,
    );
  } finally {
    await world.stop();
  }
});
