/**
 * Ownership end to end (DESIGN.md section 4): plumber changes, prunes and deletes only objects that carry
 * its primary's identity and the Replicator's uid; a cluster removed from the kubeconfig Secret is never
 * silently forgotten.
 */

import assert from "node:assert/strict";
import { hasPart } from "../controllers/replicator/reconcile_events.ts";
import { ABANDON_ANNOTATION } from "../lib/holdings.ts";
import { LABEL_PRIMARY, LABEL_REPLICATOR_UID } from "../lib/ownership.ts";
import type { KubeClient } from "../lib/kube/client.ts";
import type { ControlPlaneState } from "./control_plane.ts";
import { installCrds, uninstallCrds } from "./crds.ts";
import { adminClient, eventually, sharedControlPlane, uniqueName } from "./harness.ts";
import {
  kubeconfigFor,
  type OperatorProcess,
  prepareOperatorNamespace,
  startOperator,
  withOperator,
  writeKubeconfigSecret,
} from "./operator.ts";
import {
  clients,
  eventsAbout,
  getRep,
  type Obj,
  ref,
  REP,
  replicatorManifest,
  SECONDARY1,
  SECONDARY2,
  waitSynced,
} from "./replicators.ts";

const FM = { fieldManager: "plumber-tests" };

async function kubeSystemUid(client: KubeClient): Promise<string> {
  const ns = await client.get<Obj>({ apiVersion: "v1", kind: "Namespace", name: "kube-system" });
  return ns.metadata.uid!;
}

/** Prepares `secondary2` of the control plane as a second primary that registers `secondary1` only. */
async function prepareSecondPrimary(state: ControlPlaneState, namespace: string): Promise<void> {
  const client = adminClient(state, "secondary2");
  try {
    await installCrds(client);
    await client.apply({ apiVersion: "v1", kind: "Namespace", metadata: { name: namespace } }, FM);
    const shared = state.clusters.filter((c) => c.context === "secondary1");
    await writeKubeconfigSecret(client, namespace, kubeconfigFor(shared));
  } finally {
    client.close();
  }
}

async function deleteRep(client: KubeClient, name: string): Promise<void> {
  await client.delete({ ...REP, name }).catch(() => {});
  await eventually(`Replicator ${name} gone`, async () => !(await getRep(client, name)), {
    timeoutMs: 60_000,
  })
    .catch(() => {});
}

Deno.test("two primaries sharing a secondary, each with a Replicator of the same name, never touch each other's objects", async () => {
  const state = await sharedControlPlane();
  const test = uniqueName("two-primaries");
  const operatorNs = uniqueName("plumber-own");
  const name = uniqueName("same");
  const ns = uniqueName("shared-ns");
  const selector = `plumber-test=${test}`;
  const c = clients(state);
  let a: OperatorProcess | undefined;
  let b: OperatorProcess | undefined;
  try {
    await prepareOperatorNamespace(state, operatorNs, ["secondary1"]);
    await prepareSecondPrimary(state, operatorNs);
    a = await startOperator(state, { namespace: operatorNs, replicatorSelector: selector });
    b = await startOperator(state, {
      namespace: operatorNs,
      replicatorSelector: selector,
      context: "secondary2",
    });
    const idA = await kubeSystemUid(c.primary);
    const idB = await kubeSystemUid(c.secondary2);
    assert.notEqual(idA, idB);
    const shared = new URL(state.clusters.find((x) => x.context === "secondary1")!.server).host;

    // The same Replicator name in both primaries, both replicating into one namespace of secondary1.
    await c.primary.create(
      replicatorManifest(name, ns, {
        test,
        targets: [SECONDARY1],
        configMapOnly: true,
        configMapName: "from-a",
      }),
    );
    await waitSynced(c.primary, name);
    await c.secondary2.create(
      replicatorManifest(name, ns, {
        test,
        targets: [SECONDARY1],
        configMapOnly: true,
        configMapName: "from-b",
      }),
    );
    await waitSynced(c.secondary2, name);
    const repA = (await getRep(c.primary, name))!;
    const fromA = await c.secondary1.get<Obj>(ref("ConfigMap", ns, "from-a"));
    const fromB = await c.secondary1.get<Obj>(ref("ConfigMap", ns, "from-b"));
    assert.equal(fromA.metadata.labels?.[LABEL_PRIMARY], idA);
    assert.equal(fromA.metadata.labels?.[LABEL_REPLICATOR_UID], repA.metadata.uid);
    assert.equal(fromB.metadata.labels?.[LABEL_PRIMARY], idB);

    // B asks for A's object: a conflict, reported, nothing written; and B prunes only its own.
    const specB = replicatorManifest(name, ns, {
      test,
      targets: [SECONDARY1],
      configMapOnly: true,
      configMapName: "from-a",
      configMapData: { taken: "over" },
    });
    await c.secondary2.apply(specB, { ...FM, force: true });
    const conflicted = await eventually("B to report the conflict", async () => {
      const r = await getRep(c.secondary2, name);
      return r?.status?.applied?.find((x) => x.name === "from-a" && x.applyStatus.startsWith("conflict:")) &&
        r;
    });
    assert.match(
      conflicted.status!.applied!.find((x) => x.name === "from-a" && x.cluster === SECONDARY1)!.applyStatus,
      /another primary cluster/,
    );
    await eventually(
      "B to prune its own from-b",
      async () => !(await c.secondary1.find(ref("ConfigMap", ns, "from-b"))),
    );
    const stillA = await c.secondary1.get<Obj>(ref("ConfigMap", ns, "from-a"));
    assert.equal(
      stillA.metadata.resourceVersion,
      fromA.metadata.resourceVersion,
      "A's object untouched by B",
    );
    assert.equal(stillA.metadata.labels?.[LABEL_PRIMARY], idA);

    // B goes back to an object of its own; then A's Replicator is deleted: A deletes only A's object, and the
    // namespace (which holds B's) stays.
    await c.secondary2.apply(
      replicatorManifest(name, ns, {
        test,
        targets: [SECONDARY1],
        configMapOnly: true,
        configMapName: "from-b",
      }),
      { ...FM, force: true },
    );
    await waitSynced(c.secondary2, name);
    const fromB2 = await c.secondary1.get<Obj>(ref("ConfigMap", ns, "from-b"));
    await deleteRep(c.primary, name);
    assert.equal(await c.secondary1.find(ref("ConfigMap", ns, "from-a")), undefined, "A cleaned up its own");
    const afterA = await c.secondary1.get<Obj>(ref("ConfigMap", ns, "from-b"));
    assert.equal(
      afterA.metadata.resourceVersion,
      fromB2.metadata.resourceVersion,
      "B's object untouched by A",
    );
    const namespace = await c.secondary1.get<Obj>({ apiVersion: "v1", kind: "Namespace", name: ns });
    assert.equal((namespace as { status?: { phase?: string } }).status?.phase, "Active");
    // B is still synced, and its drift is still B's to correct: A's operator must not react to it.
    await c.secondary1.apply({
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "from-b", namespace: ns },
      data: { "index.html": "edited by hand" },
    }, { fieldManager: "kubectl-edit", force: true });
    await eventually("B to revert the drift", async () => {
      const cm = await c.secondary1.get<Obj>(ref("ConfigMap", ns, "from-b"));
      return cm.data?.["index.html"] === "hello";
    });
    assert.deepEqual(
      a.logs.filter((l) =>
        l.msg === "Write request" && l.host === shared && String(l.path).includes("/from-b")
      ).map((l) => l.path),
      [],
      "A never wrote to B's object",
    );
    assert.deepEqual(
      b.logs.filter((l) =>
        l.msg === "Write request" && l.host === shared && String(l.path).includes("/from-a")
      ).map((l) => l.path),
      [],
      "B never wrote to A's object",
    );
  } finally {
    await deleteRep(c.primary, name);
    await deleteRep(c.secondary2, name);
    await a?.stop();
    await b?.stop();
    // secondary2 is a secondary again for the other tests: no plumber CRDs, no operator namespace.
    await uninstallCrds(c.secondary2);
    await c.secondary2.delete({ apiVersion: "v1", kind: "Namespace", name: operatorNs }).catch(() => {});
    c.close();
  }
});

Deno.test("objects written by release 0.1 are adopted; another primary's object of the same name is a conflict", async () => {
  await withOperator({ prefix: "plumber-own", secondaries: ["secondary1"] }, async (fx) => {
    const { clients: c, test } = fx;
    const name = uniqueName("legacy");
    const ns = uniqueName("adopt-ns");
    fx.cleanup(() => c.secondary1.delete({ apiVersion: "v1", kind: "Namespace", name: ns }));
    await c.secondary1.apply({ apiVersion: "v1", kind: "Namespace", metadata: { name: ns } }, FM);
    // As release 0.1 wrote it: name labels only.
    await c.secondary1.apply({
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: {
        name: "web",
        namespace: ns,
        labels: {
          "app.kubernetes.io/managed-by": "plumber",
          "plumber.jnytnai0613.github.io/replicator": name,
        },
      },
      data: { "index.html": "old" },
    }, FM);
    // Another primary's object, named as this Replicator's second ConfigMap would be.
    const otherPrimary = {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: {
        name: "other",
        namespace: ns,
        labels: {
          "app.kubernetes.io/managed-by": "plumber",
          "plumber.jnytnai0613.github.io/replicator": name,
          [LABEL_PRIMARY]: "00000000-0000-0000-0000-000000000000",
        },
      },
      data: { owner: "someone else" },
    };
    await c.secondary1.apply(otherPrimary, FM);
    const otherBefore = await c.secondary1.get<Obj>(ref("ConfigMap", ns, "other"));

    await c.primary.create(
      replicatorManifest(name, ns, { test, targets: [SECONDARY1], configMapOnly: true }),
    );
    await waitSynced(c.primary, name);
    const adopted = await c.secondary1.get<Obj>(ref("ConfigMap", ns, "web"));
    assert.equal(adopted.data?.["index.html"], "hello");
    assert.equal(adopted.metadata.labels?.[LABEL_PRIMARY], await kubeSystemUid(c.primary));
    assert.equal(
      adopted.metadata.labels?.[LABEL_REPLICATOR_UID],
      (await getRep(c.primary, name))!.metadata.uid,
    );

    await c.primary.apply(
      replicatorManifest(name, ns, {
        test,
        targets: [SECONDARY1],
        configMapOnly: true,
        configMapName: "other",
      }),
      { ...FM, force: true },
    );
    const rep = await eventually("the conflict to be reported", async () => {
      const r = await getRep(c.primary, name);
      return r?.status?.applied?.some((x) => x.name === "other" && x.applyStatus.startsWith("conflict:")) &&
        r;
    });
    assert.equal(rep.status?.synced, "not synced");
    // The Conflict part (`<Kind> <ns>/<name> in <c> managed by ... of another primary cluster ...; left unchanged`)
    // of a Warning Event, written when the reconcile that wrote the status ends.
    await eventually(
      "a Conflict part naming the other primary",
      async () =>
        (await eventsAbout(c.primary, "default", name)).some((e) =>
          e.type === "Warning" &&
          hasPart(
            e.message,
            new RegExp(`^ConfigMap ${ns}/other in \\S+ managed by [^;]*another primary cluster`),
          )
        ),
    );
    // The adopted object, no longer wanted, is pruned (it is this Replicator's now); the other one stays.
    await eventually("web to be pruned", async () => !(await c.secondary1.find(ref("ConfigMap", ns, "web"))));
    const otherAfter = await c.secondary1.get<Obj>(ref("ConfigMap", ns, "other"));
    assert.equal(otherAfter.metadata.resourceVersion, otherBefore.metadata.resourceVersion);
    await deleteRep(c.primary, name);
    assert.ok(
      await c.secondary1.find(ref("ConfigMap", ns, "other")),
      "another primary's object survives deletion",
    );
  });
});

Deno.test("a cluster removed from the Secret while it holds objects is reported, keeps the finalizer, and is cleaned up when re-registered or left when abandoned", async () => {
  await withOperator({ prefix: "plumber-own" }, async (fx) => {
    const { clients: c, test, namespace: operatorNs, state } = fx;
    const kept = uniqueName("reregister");
    const left = uniqueName("abandon");
    const ns = uniqueName("unreg-ns");
    for (const client of [c.secondary1, c.secondary2]) {
      fx.cleanup(() => client.delete({ apiVersion: "v1", kind: "Namespace", name: ns }));
    }
    try {
      for (const [rep, cm] of [[kept, "kept"], [left, "left"]]) {
        await c.primary.create(replicatorManifest(rep!, ns, {
          test,
          targets: [SECONDARY1, SECONDARY2],
          configMapOnly: true,
          configMapName: cm,
        }));
      }
      await waitSynced(c.primary, kept);
      await waitSynced(c.primary, left);

      // secondary2 leaves the Secret: both Replicators say what they still hold there.
      const onlyFirst = state.clusters.filter((x) => x.context === "secondary1");
      await writeKubeconfigSecret(c.primary, operatorNs, kubeconfigFor(onlyFirst));
      for (const rep of [kept, left]) {
        await eventually(`${rep} to report ${SECONDARY2}`, async () => {
          const r = await getRep(c.primary, rep);
          const entry = r?.status?.clusters?.find((x) => x.name === SECONDARY2);
          return entry?.ready === false &&
            /not registered any more .* still holds 1 object/.test(entry.message ?? "") &&
            r?.status?.synced === "not synced";
        });
      }

      // Deleted: the finalizer stays, with the reason, and secondary1 is cleaned up meanwhile.
      await c.primary.delete({ ...REP, name: kept });
      await c.primary.delete({ ...REP, name: left });
      await eventually(
        "CleanupFailed naming the unregistered cluster",
        async () =>
          (await eventsAbout(c.primary, "default", left)).some((e) =>
            e.reason === "CleanupFailed" && e.message?.includes(ABANDON_ANNOTATION)
          ),
      );
      await eventually(
        "secondary1 cleaned up",
        async () =>
          !(await c.secondary1.find(ref("ConfigMap", ns, "kept"))) &&
          !(await c.secondary1.find(ref("ConfigMap", ns, "left"))),
      );
      assert.ok(await getRep(c.primary, kept), "the finalizer keeps the Replicator");
      assert.ok(await getRep(c.primary, left), "the finalizer keeps the Replicator");
      assert.ok(await c.secondary2.find(ref("ConfigMap", ns, "kept")));

      // Abandoned: released, the object stays where it was.
      await c.primary.mergePatch({ ...REP, name: left }, {
        metadata: { annotations: { [ABANDON_ANNOTATION]: SECONDARY2 } },
      });
      await eventually(`${left} released`, async () => !(await getRep(c.primary, left)), {
        timeoutMs: 30_000,
      });
      assert.ok(
        await c.secondary2.find(ref("ConfigMap", ns, "left")),
        "an abandoned object is left in place",
      );
      assert.ok(await getRep(c.primary, kept), "the other Replicator still waits");

      // Registered again: cleaned up there too, then released.
      await writeKubeconfigSecret(
        c.primary,
        operatorNs,
        kubeconfigFor(
          state.clusters.filter((x) => x.context === "secondary1" || x.context === "secondary2"),
        ),
      );
      await eventually(`${kept} released`, async () => !(await getRep(c.primary, kept)), {
        timeoutMs: 60_000,
      });
      assert.equal(await c.secondary2.find(ref("ConfigMap", ns, "kept")), undefined);
      assert.ok(
        await c.secondary2.find(ref("ConfigMap", ns, "left")),
        "the abandoned object is still not touched",
      );

      // A new Replicator of the abandoned one's name is another incarnation: the leftover is a conflict.
      await c.primary.create(replicatorManifest(left, ns, {
        test,
        targets: [SECONDARY2],
        configMapOnly: true,
        configMapName: "left",
      }));
      const again = await eventually("the leftover reported as a conflict", async () => {
        const r = await getRep(c.primary, left);
        return r?.status?.applied?.find((x) => x.name === "left" && x.applyStatus.startsWith("conflict:"));
      });
      assert.match(again.applyStatus, /earlier Replicator named/);
    } finally {
      // Should the test stop while secondary2 is unregistered, `left` would be held for ever.
      await c.primary.mergePatch({ ...REP, name: left }, {
        metadata: { annotations: { [ABANDON_ANNOTATION]: "*" } },
      })
        .catch(() => {});
    }
  });
});
