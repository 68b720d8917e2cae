/**
 * Stress: Replicators created and deleted in a loop, three rounds, against a
 * control plane of its own (primary and secondary1). `PLUMBER_STRESS_COUNT`
 * sets the Replicators per round (default 100; the bench runs 500).
 *
 * Each Replicator is small (a ConfigMap, one secondary target) so that the
 * operator's own work is what is measured. Ten Replicators share each
 * replication namespace (`PLUMBER_STRESS_PER_NAMESPACE`): the last one out must
 * delete the namespace, whatever the order in which they go.
 *
 * Checked after every round:
 * - the operator's resident memory (VmRSS) stays within 20 % of its level
 *   after the first round (no leak per Replicator);
 * - every cluster ends empty of plumber's objects: nothing labelled
 *   `app.kubernetes.io/managed-by=plumber` is left, except namespaces in
 *   `Terminating`. Decided: the control plane runs without a controller
 *   manager (it would double the CPU this test takes on two cores), so a
 *   deleted namespace stays `Terminating` for good; plumber's part, asking
 *   for the deletion, is what is checked. Each round uses new namespace names
 *   for that reason. (The ClusterDetectors in the operator namespace are
 *   plumber's objects too, and stay: they are not a Replicator's.)
 *
 * @module
 */

import assert from "node:assert/strict";
import type { Replicator } from "../lib/api.ts";
import type { KubeClient } from "../lib/kube/client.ts";
import { adminClient, eventually, privateControlPlane } from "./harness.ts";
import { operatorArgs, OperatorProcess, prepareOperatorNamespace } from "./operator.ts";
import { type Obj, REP, REPLICATED_KINDS, replicatorManifest, SECONDARY1 } from "./replicators.ts";

const ROUNDS = 3;
/** How long the operator's RSS is watched after each round for its settled level. */
const SETTLE_MS = 8_000;
/**
 * V8's young generation grows to tens of MiB under load and shrinks when V8
 * pleases, which moves RSS by ±30 % between otherwise equal idle moments
 * (measured: 127, 99, 118, 101 MiB after four equal rounds). Capping it keeps
 * RSS close to what is live, which is what a leak check compares.
 */
const V8_FLAGS = Deno.env.get("PLUMBER_STRESS_V8_FLAGS") ?? "--max-semi-space-size=1";
/** Replicators sharing one replication namespace: `PLUMBER_STRESS_PER_NAMESPACE`, default 10. */
const PER_NAMESPACE = Number(Deno.env.get("PLUMBER_STRESS_PER_NAMESPACE") || 10);
const TEST_LABEL = "stress";
const MANAGED = "app.kubernetes.io/managed-by=plumber";

/** Replicators per round: `PLUMBER_STRESS_COUNT`, default 100. */
export function stressCount(env: (name: string) => string | undefined = (n) => Deno.env.get(n)): number {
  const raw = env("PLUMBER_STRESS_COUNT");
  if (raw === undefined || raw === "") return 100;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) {
    throw new RangeError(`PLUMBER_STRESS_COUNT: "${raw}" is not a positive whole number`);
  }
  return n;
}

/** Resident memory of a process in bytes, from /proc. */
async function residentBytes(pid: number): Promise<number> {
  const status = await Deno.readTextFile(`/proc/${pid}/status`);
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1]);
  assert.ok(kb > 0, `VmRSS of ${pid}`);
  return kb * 1024;
}

/**
 * The resident memory an idle process settles to: the lowest VmRSS over a
 * window. Right after a burst RSS still holds garbage V8 has not collected
 * (measured: +35 MiB after three back-to-back rounds, gone after ~10 s idle);
 * a leak raises the floor, garbage does not.
 */
async function settledResidentBytes(pid: number, windowMs = SETTLE_MS): Promise<number> {
  let lowest = Infinity;
  const deadline = Date.now() + windowMs;
  while (Date.now() < deadline) {
    lowest = Math.min(lowest, await residentBytes(pid));
    await new Promise((resolve) => setTimeout(resolve, 250)); // sampling over time is the measurement
  }
  return lowest;
}

/** SIGTERM, then SIGKILL after `graceMs`; returns how long the graceful stop took (or undefined if killed). */
async function stopWithin(operator: OperatorProcess, graceMs: number): Promise<number | undefined> {
  const started = performance.now();
  let killed = false;
  const timer = setTimeout(() => {
    killed = true;
    try {
      Deno.kill(operator.pid, "SIGKILL");
    } catch {
      // already gone
    }
  }, graceMs);
  await operator.stop("SIGTERM");
  clearTimeout(timer);
  return killed ? undefined : performance.now() - started;
}

async function inParallel<T>(items: T[], limit: number, fn: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await fn(items[next++]!);
  }));
}

async function stressReplicators(client: KubeClient): Promise<Replicator[]> {
  return (await client.listAll<Replicator>(REP.apiVersion, REP.kind, {
    labelSelector: `plumber-test=${TEST_LABEL}`,
  }))
    .items;
}

/** What plumber left in a cluster: replicated objects, and namespaces that are not being deleted. */
async function leftovers(client: KubeClient): Promise<string[]> {
  const left: string[] = [];
  for (const { apiVersion, kind } of REPLICATED_KINDS) {
    const list = await client.listAll<Obj>(apiVersion, kind, { labelSelector: MANAGED });
    left.push(...list.items.map((o) => `${kind} ${o.metadata.namespace}/${o.metadata.name}`));
  }
  const namespaces = await client.listAll<Obj & { status?: { phase?: string } }>("v1", "Namespace", {
    labelSelector: MANAGED,
  });
  for (const ns of namespaces.items) {
    if (ns.status?.phase !== "Terminating") left.push(`Namespace ${ns.metadata.name} (${ns.status?.phase})`);
  }
  return left;
}

Deno.test("Replicators created and deleted in a loop leave no objects behind and no memory growth", async () => {
  const count = stressCount();
  const cp = await privateControlPlane([
    { context: "primary", cluster: "kubernetes", user: "kubernetes-admin" },
    { context: "secondary1", cluster: "v1262-cluster", user: "kubernetes-admin2" },
  ], { controllerManager: false });
  const state = cp.state;
  const primary = adminClient(state, "primary");
  const secondary1 = adminClient(state, "secondary1");
  let operator: OperatorProcess | undefined;
  const started = performance.now();
  try {
    await prepareOperatorNamespace(state, "plumber-system", ["secondary1"]);
    operator = new OperatorProcess(
      operatorArgs(state, { namespace: "plumber-system", replicatorSelector: `plumber-test=${TEST_LABEL}` }),
      { DENO_V8_FLAGS: V8_FLAGS },
    );
    await operator.waitForLog("Controllers started", 60_000);
    const pid = operator.pid;
    const rss: number[] = [];
    const report: string[] = [];
    const leftBehind: string[] = [];
    const timeoutMs = 60_000 + count * 600;
    for (let round = 1; round <= ROUNDS; round++) {
      const names = Array.from({ length: count }, (_, i) => `stress-${round}-${i}`);
      const roundStarted = performance.now();
      await inParallel(names, 8, async (name) => {
        const i = Number(name.split("-").at(-1));
        const namespace = `stress-${round}-ns-${Math.floor(i / PER_NAMESPACE)}`;
        await primary.create(
          replicatorManifest(name, namespace, {
            test: TEST_LABEL,
            targets: [SECONDARY1],
            configMapOnly: true,
            // Own name: two Replicators must never render the same object.
            configMapName: name,
            configMapData: { round: String(round), index: String(i) },
          }),
        );
      });
      await eventually(`round ${round}: ${count} Replicators synced`, async () => {
        const all = await stressReplicators(primary);
        return all.length === count &&
          all.every((r) =>
            r.status?.synced === "synced" && r.status.observedGeneration === r.metadata.generation
          );
      }, { timeoutMs, intervalMs: 500 });
      const syncedMs = performance.now() - roundStarted;
      for (const client of [primary, secondary1]) {
        const cms = await client.listAll("v1", "ConfigMap", {
          labelSelector: `${MANAGED},plumber.jnytnai0613.github.io/replicator`,
        });
        assert.equal(cms.items.length, count, `${client.name}: one ConfigMap per Replicator`);
      }

      const deleting = performance.now();
      await inParallel(names, 8, (name) => primary.delete({ ...REP, name }));
      await eventually(`round ${round}: every Replicator released`, async () => {
        return (await stressReplicators(primary)).length === 0;
      }, { timeoutMs, intervalMs: 500 });
      const deletedMs = performance.now() - deleting;
      const left: string[] = [];
      for (const client of [primary, secondary1]) {
        // Namespace deletion follows the last Replicator's cleanup within the same reconcile.
        const found = await eventually(`${client.name}: nothing of plumber's left`, async () => {
          const found = (await leftovers(client)).filter((f) => f.includes(`stress-${round}-`));
          return found.length === 0 ? found : false;
        }, { timeoutMs: 15_000, intervalMs: 500 }).catch(async () => await leftovers(client));
        // Earlier rounds' leftovers were reported with their round.
        const mine = found.filter((f) => f.includes(`stress-${round}-`));
        left.push(...mine.map((f) => `round ${round}, ${client.name}: ${f}`));
      }
      leftBehind.push(...left);
      assert.equal(operator.exited, false, "the operator is running");
      const right = await residentBytes(pid);
      rss.push(await settledResidentBytes(pid));
      const line = `round ${round}: ${count} created and synced in ${(syncedMs / 1000).toFixed(1)} s, ` +
        `deleted and cleaned in ${
          (deletedMs / 1000).toFixed(1)
        } s, ${left.length} objects left, operator RSS ${
          (right / 1048576).toFixed(1)
        } MiB right after, settled ${(rss.at(-1)! / 1048576).toFixed(1)} MiB`;
      report.push(line);
      console.log(`stress ${line}`);
    }
    console.log(
      `stress: ${ROUNDS} rounds of ${count} in ${((performance.now() - started) / 1000).toFixed(0)} s`,
    );
    assert.deepEqual(leftBehind, [], "plumber's objects left behind");
    for (let round = 2; round <= ROUNDS; round++) {
      const ratio = rss[round - 1]! / rss[0]!;
      assert.ok(
        ratio <= 1.2,
        `RSS after round ${round} is ${(ratio * 100).toFixed(0)} % of round 1's:\n${report.join("\n")}`,
      );
    }
  } finally {
    if (operator) {
      const stopMs = await stopWithin(operator, 10_000);
      console.log(
        stopMs === undefined
          ? "stress: the operator did not stop within 10 s of SIGTERM; killed"
          : `stress: the operator stopped ${Math.round(stopMs)} ms after SIGTERM`,
      );
    }
    primary.close();
    secondary1.close();
    await cp.stop();
  }
});
