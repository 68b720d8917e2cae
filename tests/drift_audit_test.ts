/**
 * The drift audit end to end: the real operator and three real clusters. A drift made as `kubectl scale`
 * makes it (PATCH of /scale, field manager kubectl-scale), one made as `kubectl edit` (PUT, field manager
 * kubectl-edit), a deletion and a Secret edit: each reverted drift has an Event naming the cluster, the
 * object, the field paths and the manager, the status's lastDrift and driftCorrections, and the metric.
 */

import assert from "node:assert/strict";
import { driftParts } from "../cli/status_tree.ts";
import type { KubeClient } from "../lib/kube/client.ts";
import { eventually, uniqueName } from "./harness.ts";
import { type OperatorProcess, withOperator } from "./operator.ts";
import {
  eventsAbout,
  getRep,
  type Obj,
  ref,
  replicatorManifest,
  SECONDARY1,
  SECONDARY2,
  waitSynced,
} from "./replicators.ts";

/**
 * The DriftCorrected parts of the Events about a Replicator, each as the Event's type and the part's own
 * wording (the operator writes one Event per reconcile, its parts joined with "; ").
 */
async function driftEvents(primary: KubeClient, name: string): Promise<{ type?: string; message: string }[]> {
  return (await eventsAbout(primary, "default", name)).flatMap((e) =>
    driftParts(e.message ?? "").map((message) => ({ type: e.type, message }))
  );
}

/** The DriftCorrected part that matches, once there is one. */
async function driftEvent(
  primary: KubeClient,
  name: string,
  match: RegExp,
): Promise<{ type?: string; message: string }> {
  try {
    return await eventually(`a DriftCorrected part matching ${match}`, async () => {
      return (await driftEvents(primary, name)).find((e) => match.test(e.message));
    }, { timeoutMs: 30_000, intervalMs: 200 });
  } catch (error) {
    const seen = (await eventsAbout(primary, "default", name)).map((e) => `${e.reason}: ${e.message}`).join(
      "\n",
    );
    throw new Error(`${(error as Error).message}; Events:\n${seen}`);
  }
}

/** A cluster's entry in the Replicator's status. */
async function clusterStatus(primary: KubeClient, name: string, cluster: string) {
  return (await getRep(primary, name))?.status?.clusters?.find((c) => c.name === cluster);
}

/** `plumber_drift_corrections_total` by `cluster/kind`, from the operator's /metrics. */
async function driftMetric(operator: OperatorProcess): Promise<Map<string, number>> {
  const text = await (await fetch(`http://127.0.0.1:${await operator.port("metrics")}/metrics`)).text();
  const out = new Map<string, number>();
  for (
    const m of text.matchAll(/^plumber_drift_corrections_total\{cluster="([^"]*)",kind="([^"]*)"\} (\d+)/gm)
  ) {
    out.set(`${m[1]}/${m[2]}`, Number(m[3]));
  }
  return out;
}

/** PUT of a changed object with a field manager, as `kubectl edit` does. */
async function edit(client: KubeClient, kind: string, ns: string, name: string, change: (o: Obj) => void) {
  const r = ref(kind, ns, name);
  const object = await client.get<Obj>(r);
  change(object);
  await client.raw("PUT", await client.objectPath(r), {
    body: object,
    query: { fieldManager: "kubectl-edit" },
  });
}

const TIME = "\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ";

Deno.test("A drift by kubectl scale, kubectl edit, a deletion and a Secret edit: the Event, lastDrift and the metric name who changed what", async () => {
  await withOperator({ prefix: "drift-audit" }, async ({ operator, clients: c, test }) => {
    const name = uniqueName("audit");
    const ns = uniqueName("audit-ns");
    const manifest = replicatorManifest(name, ns, {
      test,
      targets: [SECONDARY1, SECONDARY2],
      replicas: 2,
      tlsHosts: ["audit.example.com"],
    });
    await c.primary.create(manifest);
    await waitSynced(c.primary, name);
    assert.equal((await clusterStatus(c.primary, name, SECONDARY1))?.lastDrift, undefined);

    // kubectl scale deployment web --replicas=5: a merge patch of the scale subresource.
    await c.secondary1.mergePatch(ref("Deployment", ns, "web"), { spec: { replicas: 5 } }, {
      subresource: "scale",
      fieldManager: "kubectl-scale",
    });
    const scaled = await driftEvent(
      c.primary,
      name,
      new RegExp(
        `^cluster ${SECONDARY1}: Deployment ${ns}/web: spec\\.replicas changed by kubectl-scale ` +
          // The API server records no time in a managedFields entry written through /scale.
          `\\(Update of scale\\); reverted$`,
      ),
    );
    assert.equal(scaled.type, "Normal");
    console.log(`drift Event part: ${scaled.message}`);
    const s1 = await eventually("secondary1's lastDrift", async () => {
      const s = await clusterStatus(c.primary, name, SECONDARY1);
      return s?.lastDrift?.manager === "kubectl-scale" && s;
    });
    assert.deepEqual(s1.lastDrift?.fields, ["spec.replicas"]);
    assert.equal(s1.lastDrift?.kind, "Deployment");
    assert.equal(s1.lastDrift?.name, "web");
    assert.equal(s1.lastDrift?.deleted, false);
    assert.equal(s1.lastDrift?.operation, "Update");
    assert.match(s1.lastDrift?.time ?? "", new RegExp(`^${TIME}$`));
    assert.equal(s1.driftCorrections, 1);
    assert.equal((await c.secondary1.get<Obj>(ref("Deployment", ns, "web"))).spec?.replicas, 2);

    // kubectl edit deployment web (the image): a PUT with field manager kubectl-edit.
    await edit(c.secondary2, "Deployment", ns, "web", (d) => {
      const containers = (d.spec!.template as { spec: { containers: { image: string }[] } }).spec.containers;
      containers[0]!.image = "nginx:edited";
    });
    const edited = await driftEvent(
      c.primary,
      name,
      new RegExp(
        `^cluster ${SECONDARY2}: Deployment ${ns}/web: spec\\.template\\.spec\\.containers\\[name=web\\]\\.image ` +
          `changed by kubectl-edit \\(Update at ${TIME}\\); reverted$`,
      ),
    );

    console.log(`drift Event part: ${edited.message}`);
    const s2edit = await eventually("secondary2's lastDrift", async () => {
      const s = await clusterStatus(c.primary, name, SECONDARY2);
      return s?.lastDrift?.manager === "kubectl-edit" && s;
    });
    assert.match(s2edit.lastDrift?.changedAt ?? "", new RegExp(`^${TIME}$`));
    assert.deepEqual(s2edit.lastDrift?.fields, ["spec.template.spec.containers[name=web].image"]);

    // A deletion says deleted.
    await c.secondary1.delete(ref("ConfigMap", ns, "web"));
    await driftEvent(
      c.primary,
      name,
      new RegExp(`^cluster ${SECONDARY1}: ConfigMap ${ns}/web: deleted; re-created$`),
    );
    const deleted = await eventually("secondary1's lastDrift to say deleted", async () => {
      const s = await clusterStatus(c.primary, name, SECONDARY1);
      return s?.lastDrift?.deleted === true && s;
    });
    assert.equal(deleted.lastDrift?.kind, "ConfigMap");
    assert.deepEqual(deleted.lastDrift?.fields, []);
    assert.equal(deleted.driftCorrections, 2);

    // A Secret's drift: the key's path, never a value.
    const secret = await c.secondary2.get<Obj>(ref("Secret", ns, "ca-secret"));
    const original = secret.data!["tls.crt"]!;
    const forged = btoa("forged certificate");
    await edit(c.secondary2, "Secret", ns, "ca-secret", (s) => void (s.data!["tls.crt"] = forged));
    const secretEvent = await driftEvent(c.primary, name, new RegExp(`Secret ${ns}/ca-secret`));
    assert.match(
      secretEvent.message ?? "",
      new RegExp(
        `^cluster ${SECONDARY2}: Secret ${ns}/ca-secret: data\\["tls\\.crt"\\] changed by kubectl-edit `,
      ),
    );
    await eventually(
      "the Secret restored",
      async () =>
        (await c.secondary2.get<Obj>(ref("Secret", ns, "ca-secret"))).data?.["tls.crt"] === original,
    );
    const s2 = await eventually("secondary2's lastDrift to name the Secret", async () => {
      const s = await clusterStatus(c.primary, name, SECONDARY2);
      return s?.lastDrift?.kind === "Secret" && s;
    });
    assert.deepEqual(s2.lastDrift?.fields, ['data["tls.crt"]']);
    assert.equal(s2.driftCorrections, 2);
    const everything = JSON.stringify([
      await getRep(c.primary, name),
      await eventsAbout(c.primary, "default", name),
    ]);
    for (const value of [original, forged, atob(original).slice(30, 60), "forged certificate"]) {
      assert.ok(!everything.includes(value), "no secret value in the status or the Events");
    }

    // The metric counts them, per cluster and kind.
    const metric = await eventually("the drift metric", async () => {
      const m = await driftMetric(operator);
      return m.get(`${SECONDARY2}/Secret`) === 1 && m;
    });
    assert.deepEqual(Object.fromEntries(metric), {
      [`${SECONDARY1}/Deployment`]: 1,
      [`${SECONDARY1}/ConfigMap`]: 1,
      [`${SECONDARY2}/Deployment`]: 1,
      [`${SECONDARY2}/Secret`]: 1,
    });
    // One part per correction, and the status settles (no write loop).
    await waitSynced(c.primary, name);
    assert.equal((await driftEvents(c.primary, name)).length, 4);
    const settled = await eventually("the status to settle", async () => {
      const before = (await getRep(c.primary, name))?.metadata.resourceVersion;
      await new Promise((resolve) => setTimeout(resolve, 1500)); // absence of writes over time is the subject
      return before === (await getRep(c.primary, name))?.metadata.resourceVersion && before;
    }, { timeoutMs: 60_000 });
    assert.ok(settled);
    assert.equal((await driftEvents(c.primary, name)).length, 4);
  });
});
