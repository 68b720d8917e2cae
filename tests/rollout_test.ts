/**
 * Progressive rollout across clusters, against three real clusters with simulated nodes (KWOK): an image
 * change reaches one cluster at a time (asserted from what the clusters show, read last-to-first every
 * round); a cluster whose new Pods never become ready halts the rollout (RolloutHalted, a Warning Event),
 * the cluster not reached keeps the old image and a drift there is reverted to the old image; fixing the
 * spec resumes the rollout to completion. Prints the timelines to stderr.
 */

import assert from "node:assert/strict";
import { hasPart } from "../controllers/replicator/reconcile_events.ts";
import { parse } from "yaml";
import type { Replicator } from "../lib/api.ts";
import type { KubeClient } from "../lib/kube/client.ts";
import { eventually, uniqueName, withPrimary } from "./harness.ts";
import { type OperatorFixture, withOperator } from "./operator.ts";
import { NEVER_READY_LABEL } from "./pod_readiness.ts";
import {
  eventsAbout,
  EXAMPLES,
  getRep,
  type Obj,
  PRIMARY,
  ref,
  REP,
  replicatorManifest,
  SECONDARY1,
  SECONDARY2,
} from "./replicators.ts";

const ORDER = [PRIMARY, SECONDARY1, SECONDARY2];
const OLD = "nginx:1.27";
const NEW = "nginx:1.28";
const DEADLINE_S = 8;

interface DeploymentView {
  image?: string;
  rolledOut: boolean;
}

async function view(client: KubeClient, ns: string): Promise<DeploymentView> {
  const d = await client.find<Obj>(ref("Deployment", ns, "web"));
  const spec = d?.spec as {
    replicas?: number;
    template?: { spec?: { containers?: Array<{ image?: string }> } };
  };
  const s = (d?.status ?? {}) as Record<string, number | undefined>;
  const want = spec?.replicas ?? 1;
  const rolledOut = !!d && (s.observedGeneration ?? 0) >= (d.metadata.generation ?? 0) &&
    s.replicas === want && s.updatedReplicas === want && s.readyReplicas === want &&
    s.availableReplicas === want;
  return { image: spec?.template?.spec?.containers?.[0]?.image, rolledOut };
}

/**
 * Per cluster: when it first showed `image`, and when it first ran it rolled out (ms since `t0`), with the
 * polling round of each. Within one round the clusters are read last to first, so a later cluster's stamp
 * can be smaller than an earlier cluster's in the same round; the order is compared by round.
 */
type Timeline = Map<string, { started?: number; ready?: number; startedRound?: number; readyRound?: number }>;

/**
 * Polls the three Deployments until `done`, last cluster first in every round, and asserts that whenever a
 * cluster shows `image`, every cluster before it (read after it) runs `image` rolled out.
 */
async function watchRollout(
  f: OperatorFixture,
  ns: string,
  image: string,
  done: () => Promise<boolean>,
  t0: number,
  clusters = ORDER,
): Promise<Timeline> {
  const byName: Record<string, KubeClient> = {
    [PRIMARY]: f.clients.primary,
    [SECONDARY1]: f.clients.secondary1,
    [SECONDARY2]: f.clients.secondary2,
  };
  const timeline: Timeline = new Map(ORDER.map((c) => [c, {}]));
  let round = 0;
  await eventually(`the rollout of ${image}`, async () => {
    round++;
    let later: string | undefined;
    for (const cluster of [...clusters].reverse()) {
      const v = await view(byName[cluster]!, ns);
      const at = Math.round(performance.now() - t0);
      const t = timeline.get(cluster)!;
      if (v.image === image && t.started === undefined) [t.started, t.startedRound] = [at, round];
      if (v.image === image && v.rolledOut && t.ready === undefined) [t.ready, t.readyRound] = [at, round];
      if (later) {
        assert.ok(
          v.image === image && v.rolledOut,
          `${later} started on ${image} while ${cluster}, before it in order, was not ready on it`,
        );
      }
      if (v.image === image && !later) later = cluster;
    }
    return await done();
  }, { timeoutMs: 180_000, intervalMs: 25 });
  return timeline;
}

function printTimeline(title: string, timeline: Timeline): void {
  console.error(`${title}\n  cluster                              started(ms)  ready(ms)`);
  for (const [cluster, t] of timeline) {
    console.error(
      `  ${cluster.padEnd(36)} ${String(t.started ?? "-").padStart(11)}  ${
        String(t.ready ?? "-").padStart(9)
      }`,
    );
  }
}

function condition(r: Replicator | undefined, type: string) {
  return r?.status?.conditions?.find((c) => c.type === type);
}

async function phase(f: OperatorFixture, name: string, revision?: string) {
  const r = await getRep(f.clients.primary, name);
  return r?.status?.observedGeneration === r?.metadata.generation &&
    (revision === undefined || r?.status?.rollout?.revision !== revision) && r?.status?.rollout?.phase;
}

Deno.test("A progressive rollout goes one cluster at a time, halts at a cluster that cannot get ready, keeps the rest on the old image (drift reverted to it) and resumes once the spec is fixed", async () => {
  await withOperator({ prefix: "rollout" }, async (f) => {
    const c = f.clients;
    const name = uniqueName("prog");
    const ns = uniqueName("prog-ns");
    const manifest = replicatorManifest(name, ns, {
      test: f.test,
      targets: [SECONDARY1, SECONDARY2],
      replicas: 2,
    });
    manifest.spec.rollout = { strategy: "Progressive", progressDeadlineSeconds: DEADLINE_S };
    const createdAt = performance.now();
    await c.primary.create(manifest);
    // A new Replicator is applied everywhere at once (applyOnCreate All).
    const first = await eventually("the first revision Complete", async () => {
      const r = await getRep(c.primary, name);
      return r?.status?.rollout?.phase === "Complete" && condition(r, "Available")?.status === "True" && r;
    }, { timeoutMs: 120_000 });
    console.error(
      `created: Available in all 3 clusters after ${Math.round(performance.now() - createdAt)} ms`,
    );
    const rev1 = first.status!.rollout!.revision!;
    for (const [, client] of c.all) assert.equal((await view(client, ns)).image, OLD);
    assert.deepEqual(first.status?.clusters?.map((x) => x.revision), [rev1, rev1, rev1]);
    const stored = await c.primary.get<Obj & { metadata: { ownerReferences?: Array<{ uid: string }> } }>({
      apiVersion: "apps/v1",
      kind: "ControllerRevision",
      namespace: f.namespace,
      name: `${name}-${rev1}`,
    });
    assert.equal(stored.metadata.ownerReferences?.[0]?.uid, first.metadata.uid, "owned by the Replicator");
    // Someone else's ControllerRevision with this Replicator's label and name prefix and the lowest revision
    // number: the first to go if plumber pruned by label and name alone. It must survive the pruning below.
    const foreign = await c.primary.create<Obj>({
      apiVersion: "apps/v1",
      kind: "ControllerRevision",
      metadata: {
        name: `${name}-foreign`,
        namespace: f.namespace,
        labels: { "plumber.jnytnai0613.github.io/replicator": name },
      },
      data: { note: "not plumber's" },
      revision: 0,
    });

    // 1. An image change: one cluster at a time.
    let t0 = performance.now();
    const image = (img: string) => ({
      spec: { deploymentSpec: { template: { spec: { containers: [{ name: "web", image: img }] } } } },
    });
    await c.primary.mergePatch({ ...REP, name }, image(NEW));
    const timeline = await watchRollout(
      f,
      ns,
      NEW,
      async () => (await phase(f, name, rev1)) === "Complete",
      t0,
    );
    printTimeline(`progressive rollout of ${NEW} (maxConcurrentClusters 1):`, timeline);
    const t = ORDER.map((cl) => timeline.get(cl)!);
    for (let i = 1; i < t.length; i++) {
      assert.ok(
        t[i]!.startedRound! >= t[i - 1]!.readyRound!,
        `${ORDER[i]} started (round ${t[i]!.startedRound}) after ${ORDER[i - 1]} was ready (round ${
          t[i - 1]!.readyRound
        })`,
      );
    }
    const rev2 = (await getRep(c.primary, name))!.status!.rollout!.revision!;
    assert.notEqual(rev2, rev1);

    // 2. A change that secondary1 cannot get ready with: the rollout halts there.
    t0 = performance.now();
    await c.primary.mergePatch({ ...REP, name }, {
      spec: {
        ...image("nginx:1.29").spec,
        overrides: [{
          clusterNames: [SECONDARY1],
          patches: [{
            target: { kind: "Deployment" },
            patch: [{
              op: "add",
              path: `/spec/template/metadata/labels/${NEVER_READY_LABEL.replace("/", "~1")}`,
              value: "true",
            }],
          }],
        }],
      },
    });
    const halted = await eventually("the rollout Halted at secondary1", async () => {
      const r = await getRep(c.primary, name);
      return r?.status?.rollout?.phase === "Halted" && r;
    }, { timeoutMs: 120_000 });
    const haltedMs = Math.round(performance.now() - t0);
    const rev3 = halted.status!.rollout!.revision!;
    assert.equal(halted.status?.rollout?.haltedCluster, SECONDARY1);
    const haltedCondition = condition(halted, "RolloutHalted");
    assert.equal(haltedCondition?.status, "True");
    assert.match(
      haltedCondition?.message ?? "",
      new RegExp(`cluster ${SECONDARY1.replaceAll(".", "\\.")} not ready within ${DEADLINE_S} s`),
    );
    assert.deepEqual(halted.status?.clusters?.map((x) => [x.name, x.revision]), [
      [PRIMARY, rev3],
      [SECONDARY1, rev3],
      [SECONDARY2, rev2],
    ]);
    assert.equal(condition(halted, "Available")?.status, "False");
    assert.equal((await view(c.secondary2, ns)).image, NEW, "secondary2 keeps the previous image");
    assert.equal((await view(c.primary, ns)).image, "nginx:1.29");
    // The RolloutHalted part of a Warning Event (written when the reconcile that halted it ends).
    const haltedPart = new RegExp(
      `^Revision ${rev3} halted: cluster ${
        SECONDARY1.replaceAll(".", "\\.")
      } not ready within ${DEADLINE_S} s`,
    );
    await eventually(
      "a Warning Event with the RolloutHalted part naming secondary1",
      async () =>
        (await eventsAbout(c.primary, "default", name)).some((e) =>
          e.type === "Warning" && hasPart(e.message, haltedPart)
        ),
    );
    console.error(
      `bad revision halted at ${SECONDARY1} ${haltedMs} ms after the change (deadline ${DEADLINE_S} s)`,
    );

    // A drift in the cluster not reached is reverted to the old image, not the new one.
    const drifted = await c.secondary2.mergePatch<Obj>(ref("Deployment", ns, "web"), {
      spec: { template: { spec: { containers: [{ name: "web", image: "nginx:drift" }] } } },
    });
    assert.equal(
      (drifted.spec as { template: { spec: { containers: Array<{ image: string }> } } }).template.spec
        .containers[0]
        ?.image,
      "nginx:drift",
    );
    await eventually(
      "secondary2's drift reverted to the old image",
      async () => (await view(c.secondary2, ns)).image === NEW,
      {
        timeoutMs: 60_000,
      },
    );
    const still = await getRep(c.primary, name);
    assert.equal(still?.status?.rollout?.phase, "Halted");

    // 3. Fixing the spec (the override goes): a new revision rolls out to completion, in order.
    t0 = performance.now();
    await c.primary.mergePatch({ ...REP, name }, { spec: { overrides: null } });
    const resumed = await watchRollout(
      f,
      ns,
      "nginx:1.29",
      async () => (await phase(f, name, rev3)) === "Complete",
      t0,
    );
    printTimeline("after fixing the spec (nginx:1.29 without the override):", resumed);
    const done = (await getRep(c.primary, name))!;
    assert.equal(condition(done, "RolloutHalted")?.status, "False");
    assert.equal(condition(done, "Available")?.status, "True");
    const rev4 = done.status!.rollout!.revision!;
    assert.deepEqual(done.status?.clusters?.map((x) => x.revision), [rev4, rev4, rev4]);
    for (const [, client] of c.all) assert.equal((await view(client, ns)).image, "nginx:1.29");
    // Four revisions stored, three kept: the first was pruned, the foreign one was not.
    const revisions = (await c.primary.list<Obj>("apps/v1", "ControllerRevision", {
      namespace: f.namespace,
      labelSelector: `plumber.jnytnai0613.github.io/replicator=${name}`,
    })).items.map((r) => r.metadata.name);
    assert.ok(!revisions.includes(`${name}-${rev1}`), `the oldest revision pruned: ${revisions.join(", ")}`);
    const kept = await c.primary.get<Obj>({
      apiVersion: "apps/v1",
      kind: "ControllerRevision",
      namespace: f.namespace,
      name: `${name}-foreign`,
    });
    assert.equal(kept.metadata.uid, foreign.metadata.uid, "someone else's ControllerRevision survives");
  });
});

Deno.test("examples/replicator-progressive.yaml is accepted by the API server as it is (dry run)", async () => {
  await withPrimary(async (primary) => {
    const example = parse(await Deno.readTextFile(new URL("replicator-progressive.yaml", EXAMPLES)));
    const created = await primary.create<Replicator>(example, { dryRun: true });
    assert.equal(created.spec.rollout?.strategy, "Progressive");
    assert.equal(created.spec.rollout?.progressDeadlineSeconds, 300);
  });
});
