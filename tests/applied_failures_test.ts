/**
 * `status.applied[]` lists every object of every targeted cluster with its outcome, failures included: a
 * Service the API server refuses (422) is `failed: <the server's message>` in each cluster while the
 * ConfigMap and Deployment beside it are `applied` there. The real operator against three real clusters.
 */

import assert from "node:assert/strict";
import { hasPart } from "../controllers/replicator/reconcile_events.ts";
import type { AppliedResource, Replicator } from "../lib/api.ts";
import { eventually, uniqueName } from "./harness.ts";
import { withOperator } from "./operator.ts";
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
/** The primary replicates too: every Replicator targets it. */
const TARGETED = [PRIMARY, ...SECONDARIES];

/** `kind/name -> applyStatus` of one cluster's `applied[]` entries. */
function outcomesIn(rep: Replicator | undefined, cluster: string): Record<string, string> {
  const entries: AppliedResource[] = (rep?.status?.applied ?? []).filter((a) => a.cluster === cluster);
  return Object.fromEntries(entries.map((a) => [`${a.kind}/${a.name}`, a.applyStatus]));
}

Deno.test("status.applied[] shows the refused Service failed and the ConfigMap and Deployment applied in each cluster", async () => {
  await withOperator({ prefix: "applied-fail" }, async (f) => {
    const c = f.clients;
    const name = uniqueName("af");
    const ns = uniqueName("af-ns");
    const manifest = replicatorManifest(name, ns, { test: f.test, targets: SECONDARIES });
    // As a new user would write it: a NodePort outside the server's range, refused with 422 Invalid.
    manifest.spec.serviceSpec = { type: "NodePort", ports: [{ port: 80, targetPort: 80, nodePort: 5 }] };
    await c.primary.create(manifest);

    const rep = await eventually("the Service failed in every targeted cluster", async () => {
      const r = await getRep(c.primary, name);
      return TARGETED.every((cluster) => outcomesIn(r, cluster)["Service/web"]?.startsWith("failed:")) && r;
    }, { timeoutMs: 60_000 });
    for (const cluster of TARGETED) {
      const outcomes = outcomesIn(rep, cluster);
      assert.deepStrictEqual(Object.keys(outcomes).sort(), [
        "ConfigMap/web",
        "Deployment/web",
        "Service/web",
      ]);
      assert.equal(outcomes["ConfigMap/web"], "applied", cluster);
      assert.equal(outcomes["Deployment/web"], "applied", cluster);
      const failed = outcomes["Service/web"]!;
      assert.match(failed, /^failed: .*spec\.ports\[0\]\.nodePort: Invalid value: 5/, failed);
      const status = rep.status?.clusters?.find((s) => s.name === cluster);
      assert.equal(status?.ready, false);
      assert.ok(status?.message?.includes(`Service web: ${failed}`), status?.message);
    }
    assert.notEqual(rep.status?.synced, "synced");
    assert.equal(
      (rep.status?.applied ?? []).length,
      9,
      "three objects in each of three clusters, none elsewhere",
    );

    // What the status says is so: the ConfigMap and Deployment are in both clusters, the Service in neither.
    for (const client of [c.primary, c.secondary1, c.secondary2]) {
      assert.ok(await client.find<Obj>(ref("ConfigMap", ns, "web")), "ConfigMap applied");
      assert.ok(await client.find<Obj>(ref("Deployment", ns, "web")), "Deployment applied");
      assert.equal(await client.find<Obj>(ref("Service", ns, "web")), undefined, "Service refused");
    }
    // One Event per reconcile: the ApplyFailed part (`cluster "<c>": ...`) makes it a Warning.
    const warnings = (await eventsAbout(c.primary, "default", name)).filter((e) => e.type === "Warning");
    assert.ok(
      warnings.some((e) => hasPart(e.message, /^cluster "[^"]+": [^;]*Service web: failed:/)),
      JSON.stringify(warnings),
    );

    // Fixed spec: everything applied, synced, and the failures gone from the status.
    await c.primary.mergePatch({ ...REP, name }, {
      spec: { serviceSpec: { type: "ClusterIP", ports: [{ port: 80, targetPort: 80 }] } },
    });
    const fixed = await waitSynced(c.primary, name, 60_000);
    for (const cluster of TARGETED) {
      assert.deepStrictEqual(outcomesIn(fixed, cluster), {
        "ConfigMap/web": "applied",
        "Deployment/web": "applied",
        "Service/web": "applied",
      });
    }
  });
});
