/**
 * Namespaces end to end (DESIGN.md section 4): plumber deletes a namespace it created only when a census
 * of every type finds nothing but its own objects; a user's data in it survives Replicator deletion and
 * cluster deselection; a type the operator may not list keeps the namespace and is reported.
 */

import assert from "node:assert/strict";
import { hasPart } from "../controllers/replicator/reconcile_events.ts";
import { REPLICATION_RULES } from "../cli/commands/add_target.ts";
import { discoverResources } from "../lib/kube/discovery.ts";
import type { KubeClient } from "../lib/kube/client.ts";
import { issueClientCertificate } from "../lib/pki/mod.ts";
import { kubeconfigFor as controlPlaneKubeconfig } from "./control_plane.ts";
import { eventually, sharedControlPlane, uniqueName } from "./harness.ts";
import { installWidgetCrd, plantForeignObjects, rulesWithout } from "./foreign_objects.ts";
import {
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
  PRIMARY,
  ref,
  REP,
  replicatorManifest,
  SECONDARY1,
  SECONDARY2,
  waitSynced,
} from "./replicators.ts";
import { stringify } from "yaml";

async function namespacePhase(client: KubeClient, name: string): Promise<string | undefined> {
  const ns = await client.find<Obj>({ apiVersion: "v1", kind: "Namespace", name });
  return (ns?.status as { phase?: string } | undefined)?.phase;
}

async function podCount(client: KubeClient, namespace: string): Promise<number> {
  return (await client.list("v1", "Pod", { namespace })).items.length;
}

async function removeNamespace(client: KubeClient, name: string): Promise<void> {
  await client.delete({ apiVersion: "v1", kind: "Namespace", name }).catch(() => {});
}

Deno.test("a namespace with a PVC, a Role, a custom resource and 60 foreign Pods survives cluster deselection and Replicator deletion; one only plumber used is deleted", async () => {
  await withOperator({ prefix: "plumber-ns" }, async (fx) => {
    const { clients: c, test } = fx;
    const name = uniqueName("keeps");
    const ns = uniqueName("user-data");
    const crd1 = await installWidgetCrd(c.secondary1);
    fx.cleanup(() => crd1.remove());
    const crd2 = await installWidgetCrd(c.secondary2);
    fx.cleanup(() => crd2.remove());
    for (const client of [c.secondary1, c.secondary2]) fx.cleanup(() => removeNamespace(client, ns));
    await c.primary.create(replicatorManifest(name, ns, { test, targets: [SECONDARY1, SECONDARY2] }));
    await waitSynced(c.primary, name);
    // A user puts data into the namespace plumber created, in both secondaries.
    await plantForeignObjects(c.secondary1, ns, crd1.group, 60);
    // No Pods in secondary2: only the kinds a fixed list of kinds would miss keep the namespace there.
    await plantForeignObjects(c.secondary2, ns, crd2.group, 0);

    // Deselected: plumber's objects go, the namespace and the user's data stay.
    // A merge patch replaces the list (an apply by another field manager cannot remove entries it does not own).
    await c.primary.mergePatch({ ...REP, name }, { spec: { targetCluster: [SECONDARY1] } });
    await eventually(
      "plumber's objects pruned from secondary2",
      async () =>
        !(await c.secondary2.find(ref("ConfigMap", ns, "web"))) &&
        !(await c.secondary2.find(ref("Deployment", ns, "web"))),
    );
    await eventually(
      "a NamespaceKept part for secondary2",
      async () =>
        (await eventsAbout(c.primary, "default", name)).some((e) =>
          hasPart(e.message, new RegExp(`^Kept namespace ${ns} in ${SECONDARY2}: `))
        ),
    );
    assert.equal(await namespacePhase(c.secondary2, ns), "Active");
    assert.ok(
      await c.secondary2.raw("GET", `/api/v1/namespaces/${ns}/persistentvolumeclaims/data`),
    );

    // Deleted: the same in secondary1 (60 Pods: more than one page of the census); the primary's namespace,
    // which only plumber used, goes.
    await c.primary.delete({ ...REP, name });
    await eventually(`${name} released`, async () => !(await getRep(c.primary, name)), { timeoutMs: 60_000 });
    assert.equal(
      await c.secondary1.find(ref("ConfigMap", ns, "web")),
      undefined,
      "plumber's objects deleted",
    );
    assert.equal(await namespacePhase(c.secondary1, ns), "Active");
    assert.equal(await podCount(c.secondary1, ns), 60);
    for (const [client, group] of [[c.secondary1, crd1.group], [c.secondary2, crd2.group]] as const) {
      assert.ok(
        await client.raw("GET", `/api/v1/namespaces/${ns}/persistentvolumeclaims/data`),
      );
      assert.ok(
        await client.raw("GET", `/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/roles/reader`),
      );
      assert.ok(await client.raw("GET", `/apis/${group}/v1/namespaces/${ns}/widgets/w1`));
    }
    // The reconcile's one Event holds a NamespaceKept part per kept namespace: `Kept namespace <ns> in <c>: ...`
    // (written when the reconcile that released the Replicator ends).
    const keptIn = new RegExp(`^Kept namespace ${ns} in ${SECONDARY1}: holds `);
    await eventually(
      "a NamespaceKept part for secondary1 saying what it holds",
      async () => (await eventsAbout(c.primary, "default", name)).some((e) => hasPart(e.message, keptIn)),
    );
    await eventually("the primary's namespace, plumber's only, to go", async () => {
      const phase = await namespacePhase(c.primary, ns);
      return phase === undefined || phase === "Terminating";
    });
    await eventually(
      "a NamespaceDeleted part for the primary",
      async () =>
        (await eventsAbout(c.primary, "default", name)).some((e) =>
          hasPart(e.message, `Deleted namespace ${ns} in ${PRIMARY}`)
        ),
    );
  });
});

Deno.test("a type the operator may not list in a secondary keeps the namespace, with a Warning Event and a NamespaceKept condition", async () => {
  const state = await sharedControlPlane();
  const test = uniqueName("ns-uncounted");
  const operatorNs = uniqueName("plumber-ns");
  const name = uniqueName("uncounted");
  const ns = uniqueName("uncounted-ns");
  const user = uniqueName("plumber-limited");
  const rbac = "rbac.authorization.k8s.io/v1";
  const c = clients(state);
  let operator: OperatorProcess | undefined;
  try {
    // The operator's credentials for secondary1: what replication needs, and list on every type but Roles.
    const discovery = await discoverResources(c.secondary1);
    await c.secondary1.create({
      apiVersion: rbac,
      kind: "ClusterRole",
      metadata: { name: user },
      rules: [
        ...REPLICATION_RULES.filter((r) => !r.apiGroups.includes("*")),
        ...rulesWithout(discovery.resources, "roles.rbac.authorization.k8s.io"),
      ],
    });
    await c.secondary1.create({
      apiVersion: rbac,
      kind: "ClusterRoleBinding",
      metadata: { name: user },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: user },
      subjects: [{ apiGroup: "rbac.authorization.k8s.io", kind: "User", name: user }],
    });
    const cluster = state.clusters.find((x) => x.context === "secondary1")!;
    const cert = await issueClientCertificate(cluster.ca, { commonName: user });
    await prepareOperatorNamespace(state, operatorNs, []);
    const config = controlPlaneKubeconfig([{
      ...cluster,
      cert: { certPem: cert.certPem, keyPem: cert.keyPem },
    }]);
    delete config["current-context"];
    await writeKubeconfigSecret(c.primary, operatorNs, stringify(config));
    operator = await startOperator(state, {
      namespace: operatorNs,
      replicatorSelector: `plumber-test=${test}`,
    });

    await c.primary.create(
      replicatorManifest(name, ns, { test, targets: [SECONDARY1], configMapOnly: true }),
    );
    await waitSynced(c.primary, name, 60_000);
    // Deselected: the namespace holds nothing but the defaults, yet Roles cannot be counted: it stays.
    // A merge patch replaces the list (an apply by another field manager cannot remove entries it does not own).
    await c.primary.mergePatch({ ...REP, name }, { spec: { targetCluster: [] } });
    const rep = await eventually("the NamespaceKept condition", async () => {
      const r = await getRep(c.primary, name);
      const condition = r?.status?.conditions?.find((x) => x.type === "NamespaceKept");
      return condition?.status === "True" && r;
    });
    const condition = rep.status!.conditions!.find((x) => x.type === "NamespaceKept")!;
    assert.match(
      condition.message ?? "",
      new RegExp(`Kept namespace ${ns} in ${SECONDARY1}: cannot count roles`),
    );
    assert.match(condition.message ?? "", /403/);
    assert.equal(rep.status?.synced, "synced", "keeping a namespace is not a failure");
    await eventually(
      "a Warning Event with the NamespaceKept part",
      async () =>
        (await eventsAbout(c.primary, "default", name)).some((e) =>
          e.type === "Warning" &&
          hasPart(e.message, new RegExp(`^Kept namespace ${ns} in ${SECONDARY1}: cannot count roles`))
        ),
    );
    assert.equal(await c.secondary1.find(ref("ConfigMap", ns, "web")), undefined, "plumber's object pruned");
    assert.equal(await namespacePhase(c.secondary1, ns), "Active");

    await c.primary.delete({ ...REP, name });
    await eventually(`${name} released`, async () => !(await getRep(c.primary, name)), { timeoutMs: 60_000 });
    assert.equal(await namespacePhase(c.secondary1, ns), "Active", "still kept after the Replicator went");
  } finally {
    await c.primary.delete({ ...REP, name }).catch(() => {});
    await eventually(`${name} gone`, async () => !(await getRep(c.primary, name)), { timeoutMs: 60_000 })
      .catch(() => {});
    await operator?.stop();
    await removeNamespace(c.secondary1, ns);
    await c.secondary1.delete({ apiVersion: rbac, kind: "ClusterRoleBinding", name: user }).catch(() => {});
    await c.secondary1.delete({ apiVersion: rbac, kind: "ClusterRole", name: user }).catch(() => {});
    c.close();
  }
});
