/**
 * The ClusterDetector controller end to end: the real operator process
 * against real clusters.
 */

import assert from "node:assert/strict";
import { stringify } from "yaml";
import type { ClusterDetector } from "../lib/api.ts";
import { ClusterDetectorController, clusterDetectorInformer } from "../controllers/cluster_detector.ts";
import { ClusterRegistry } from "../controllers/clusters.ts";
import { ReplicatorController } from "../controllers/replicator/mod.ts";
import type { KubeClient, RequestRecord } from "../lib/kube/client.ts";
import {
  LABELS_EXTENSION,
  parseKubeconfig,
  readContextLabels,
  serializeKubeconfig,
  withContextLabels,
} from "../lib/kubeconfig/mod.ts";
import { InformerFactory } from "../lib/kube/informer_factory.ts";
import { createLogger } from "../lib/log.ts";
import type { ControlPlaneState } from "./control_plane.ts";
import { adminClient, eventually, privateControlPlane, sharedControlPlane, uniqueName } from "./harness.ts";
import {
  kubeconfigFor,
  kubeconfigWithUnusableContexts,
  prepareOperatorNamespace,
  startOperator,
  writeKubeconfigSecret,
} from "./operator.ts";

const CD = { apiVersion: "plumber.jnytnai0613.github.io/v1", kind: "ClusterDetector" };

async function detectors(state: ControlPlaneState, namespace: string): Promise<Map<string, ClusterDetector>> {
  const client = adminClient(state, "primary");
  try {
    const list = await client.list<ClusterDetector>(CD.apiVersion, CD.kind, { namespace });
    return new Map(list.items.map((cd) => [cd.metadata.name, cd]));
  } finally {
    client.close();
  }
}

function cluster(state: ControlPlaneState, context: string) {
  return state.clusters.find((c) => c.context === context)!;
}

Deno.test("ClusterDetectors follow the kubeconfig Secret: the primary and every context, added and removed", async () => {
  const state = await sharedControlPlane();
  const namespace = uniqueName("cd-follow");
  await prepareOperatorNamespace(state, namespace, ["secondary1"]);
  const operator = await startOperator(state, { namespace, replicatorSelector: "none=none" });
  const primary = adminClient(state, "primary");
  try {
    const first = await eventually("primary and secondary1 Running", async () => {
      const cds = await detectors(state, namespace);
      const p = cds.get("kubernetes.kubernetes-admin");
      const s = cds.get("v1262-cluster.kubernetes-admin2");
      return p?.status?.clusterstatus === "Running" && s?.status?.clusterstatus === "Running" && cds;
    });
    assert.equal(first.size, 2);
    const p = first.get("kubernetes.kubernetes-admin")!;
    assert.equal(p.metadata.labels?.["app.kubernetes.io/role"], "primary");
    assert.deepEqual(p.spec, { context: "primary", cluster: "kubernetes", user: "kubernetes-admin" });
    const s = first.get("v1262-cluster.kubernetes-admin2")!;
    assert.equal(s.metadata.labels?.["app.kubernetes.io/role"], "secondary");
    assert.match(s.status?.kubernetesVersion ?? "", /^v1\.37\./);
    assert.equal(s.status?.conditions?.find((c) => c.type === "Ready")?.status, "True");

    // The primary's credentials are never copied into a Secret.
    const secrets = await primary.list<{ data?: Record<string, string> }>("v1", "Secret", { namespace });
    for (const secret of secrets.items) {
      const text = atob(secret.data?.kubeconfig ?? "");
      assert.ok(
        !text.includes(cluster(state, "primary").server),
        "the primary's server is not in any Secret",
      );
    }

    await writeKubeconfigSecret(
      primary,
      namespace,
      kubeconfigFor([cluster(state, "secondary1"), cluster(state, "secondary2")]),
    );
    await eventually("secondary2 Running", async () => {
      const cds = await detectors(state, namespace);
      return cds.get("v1252-cluster.kubernetes-admin3")?.status?.clusterstatus === "Running";
    });

    await writeKubeconfigSecret(primary, namespace, kubeconfigFor([cluster(state, "secondary2")]));
    const after = await eventually("secondary1 removed", async () => {
      const cds = await detectors(state, namespace);
      return !cds.has("v1262-cluster.kubernetes-admin2") && cds;
    });
    assert.deepEqual([...after.keys()].sort(), [
      "kubernetes.kubernetes-admin",
      "v1252-cluster.kubernetes-admin3",
    ]);

    // Status is written only when something a user sees changes, not on every probe (interval 1 s).
    const before = after.get("v1252-cluster.kubernetes-admin3")!.metadata.resourceVersion;
    await new Promise((resolve) => setTimeout(resolve, 3500)); // three probe intervals must pass: time is the subject
    const later = (await detectors(state, namespace)).get("v1252-cluster.kubernetes-admin3")!;
    assert.equal(later.metadata.resourceVersion, before);
  } finally {
    primary.close();
    assert.equal((await operator.stop()).code, 0);
  }
});

Deno.test("A bad context becomes an Unknown ClusterDetector or an Event and does not disturb the good ones", async () => {
  const state = await sharedControlPlane();
  const namespace = uniqueName("cd-bad");
  await prepareOperatorNamespace(state, namespace, []);
  const good = cluster(state, "secondary1");
  const config = kubeconfigWithUnusableContexts(state);
  config.clusters.push({
    name: "Bad_Name",
    cluster: { server: good.server, "certificate-authority-data": btoa(good.ca.certPem) },
  });
  config.users.push({ name: "bad-user", user: { token: "abc" } });
  config.contexts.push({ name: "badname", context: { cluster: "Bad_Name", user: "bad-user" } });
  const primary = adminClient(state, "primary");
  await writeKubeconfigSecret(primary, namespace, stringify(config));
  const operator = await startOperator(state, { namespace, replicatorSelector: "none=none" });
  try {
    const cds = await eventually("every valid name to have a status", async () => {
      const all = await detectors(state, namespace);
      const names = [
        "v1262-cluster.kubernetes-admin2",
        "v1252-cluster.kubernetes-admin3",
        "exec-cluster.exec-user",
      ];
      return names.every((n) => all.get(n)?.status?.clusterstatus) &&
        all.get("v1262-cluster.kubernetes-admin2")
            ?.status?.clusterstatus === "Running" &&
        all;
    });
    assert.equal(cds.get("v1262-cluster.kubernetes-admin2")!.status!.clusterstatus, "Running");
    const x509 = cds.get("v1252-cluster.kubernetes-admin3")!.status!;
    assert.equal(x509.clusterstatus, "Unknown");
    assert.match(x509.reason ?? "", /x509: certificate signed by unknown authority/);
    const exec = cds.get("exec-cluster.exec-user")!.status!;
    assert.equal(exec.clusterstatus, "Unknown");
    assert.match(exec.reason ?? "", /exec/);
    assert.ok(![...cds.keys()].some((n) => n.toLowerCase().includes("bad_name")));
    const events = await eventually("an InvalidContext event on the Secret", async () => {
      const list = await primary.list<
        { reason?: string; message?: string; involvedObject?: { name?: string } }
      >(
        "v1",
        "Event",
        { namespace },
      );
      return list.items.find((e) =>
        e.reason === "InvalidContext" && e.involvedObject?.name === "plumber-kubeconfig"
      );
    });
    assert.match(events.message ?? "", /Bad_Name/);
    assert.match(events.message ?? "", /RFC 1123/);
    // No secret material in status or events.
    for (const cd of cds.values()) assert.ok(!JSON.stringify(cd.status ?? {}).includes("BEGIN"));
  } finally {
    primary.close();
    await operator.stop();
  }
});

Deno.test("A stopped secondary turns Unknown within interval x threshold and Running again after it returns", async () => {
  const cp = await privateControlPlane([
    { context: "primary", cluster: "kubernetes", user: "kubernetes-admin" },
    { context: "secondary1", cluster: "v1262-cluster", user: "kubernetes-admin2" },
  ], { controllerManager: false });
  const state: ControlPlaneState = { dir: cp.dir, kubeconfigPath: cp.kubeconfigPath, clusters: cp.clusters };
  const namespace = "plumber-system";
  await prepareOperatorNamespace(state, namespace, ["secondary1"]);
  const operator = await startOperator(state, { namespace, probeInterval: "1s" });
  const name = "v1262-cluster.kubernetes-admin2";
  try {
    await eventually(
      "Running",
      async () => (await detectors(state, namespace)).get(name)?.status?.clusterstatus === "Running",
    );
    await cp.stopApiServer("secondary1");
    const stopped = Date.now();
    const unknown = await eventually(
      "Unknown",
      async () => {
        const cd = (await detectors(state, namespace)).get(name);
        return cd?.status?.clusterstatus === "Unknown" && cd;
      },
      { timeoutMs: 20_000 },
    );
    const took = Date.now() - stopped;
    // interval 1 s x threshold 3, each failing probe taking up to the 1 s timeout, plus a write.
    assert.ok(took < 8000, `Unknown after ${took} ms`);
    assert.match(unknown.status?.reason ?? "", /refused|timed out/);
    console.log(`secondary stopped -> Unknown in ${took} ms`);
    await cp.startApiServer("secondary1");
    const started = Date.now();
    await eventually(
      "Running again",
      async () => (await detectors(state, namespace)).get(name)?.status?.clusterstatus === "Running",
      { timeoutMs: 20_000 },
    );
    console.log(`secondary back -> Running in ${Date.now() - started} ms`);
  } finally {
    await operator.stop();
    await cp.stop();
  }
});

function credentials(cd: ClusterDetector | undefined) {
  return cd?.status?.conditions?.find((c) => c.type === "CredentialsAvailable");
}

/** What a user sees of a status, without times. */
function visible(cd: ClusterDetector) {
  const s = cd.status ?? {};
  return {
    clusterstatus: s.clusterstatus,
    reason: s.reason,
    kubernetesVersion: s.kubernetesVersion,
    conditions: (s.conditions ?? []).map((c) => [c.type, c.status, c.reason, c.message]).sort(),
  };
}

Deno.test("A missing or unreadable kubeconfig Secret changes nothing: ClusterDetectors stay, say why, and are unchanged once it is back", async () => {
  const state = await sharedControlPlane();
  const namespace = uniqueName("cd-secret");
  await prepareOperatorNamespace(state, namespace, ["secondary1"]);
  const secretId = `Secret ${namespace}/plumber-kubeconfig`;
  const secondary = "v1262-cluster.kubernetes-admin2";
  const primaryCd = "kubernetes.kubernetes-admin";
  const valid = kubeconfigFor([cluster(state, "secondary1")]);
  let operator = await startOperator(state, { namespace, replicatorSelector: "none=none" });
  const primary = adminClient(state, "primary");
  const warning = (reason: string) =>
    eventually(`a Warning Event ${reason} on the Secret`, async () => {
      const list = await primary.list<
        {
          type?: string;
          reason?: string;
          message?: string;
          involvedObject?: { kind?: string; name?: string };
        }
      >("v1", "Event", { namespace });
      return list.items.find((e) =>
        e.type === "Warning" && e.reason === reason && e.involvedObject?.kind === "Secret" &&
        e.involvedObject.name === "plumber-kubeconfig"
      );
    });
  const withCredentials = (status: "True" | "False", reason: string) =>
    eventually(`${secondary} CredentialsAvailable=${status} (${reason})`, async () => {
      const cds = await detectors(state, namespace);
      const c = credentials(cds.get(secondary));
      return c?.status === status && c.reason === reason && cds;
    });
  try {
    const before = await eventually("both Running with credentials", async () => {
      const cds = await detectors(state, namespace);
      return cds.get(secondary)?.status?.clusterstatus === "Running" &&
        cds.get(primaryCd)?.status?.clusterstatus === "Running" &&
        credentials(cds.get(secondary))?.status === "True" && cds;
    });
    const uids = () => new Map([...before].map(([name, cd]) => [name, cd.metadata.uid]));
    const sameUids = (cds: Map<string, ClusterDetector>) =>
      assert.deepEqual(new Map([...cds].map(([name, cd]) => [name, cd.metadata.uid])), uids());
    assert.equal(
      credentials(before.get(primaryCd)),
      undefined,
      "the primary's credentials are not the Secret's",
    );
    assert.match(credentials(before.get(secondary))!.message, new RegExp(`read from ${secretId}$`));

    // Deleted: nothing is unregistered, the last good credentials keep probing.
    await primary.delete({ apiVersion: "v1", kind: "Secret", namespace, name: "plumber-kubeconfig" });
    const missing = await withCredentials("False", "KubeconfigSecretMissing");
    sameUids(missing);
    const gone = credentials(missing.get(secondary))!;
    assert.equal(
      gone.message,
      `${secretId} does not exist; the cluster stays registered with the credentials read before`,
    );
    assert.equal(missing.get(secondary)!.status!.clusterstatus, "Running");
    const event = await warning("KubeconfigSecretMissing");
    assert.match(
      event.message ?? "",
      /does not exist; keeping the 1 clusters registered before, with their last known credentials$/,
    );

    // An operator starting while the Secret is missing keeps the ClusterDetectors too (without credentials).
    assert.equal((await operator.stop()).code, 0);
    operator = await startOperator(state, { namespace, replicatorSelector: "none=none" });
    const restarted = await eventually(
      "the restarted operator to report the cluster without credentials",
      async () => {
        const cds = await detectors(state, namespace);
        return /without credentials/.test(credentials(cds.get(secondary))?.message ?? "") && cds;
      },
    );
    sameUids(restarted);
    assert.equal(credentials(restarted.get(secondary))!.reason, "KubeconfigSecretMissing");
    assert.equal(restarted.get(secondary)!.status!.clusterstatus, "Unknown");
    assert.match(
      restarted.get(secondary)!.status!.reason ?? "",
      /No credentials for this cluster: .* does not exist/,
    );

    // Restored with the same content: the ClusterDetectors are the same objects with the same status.
    await writeKubeconfigSecret(primary, namespace, valid);
    const restored = await eventually("Running with credentials again", async () => {
      const cds = await detectors(state, namespace);
      return credentials(cds.get(secondary))?.status === "True" &&
        cds.get(secondary)?.status?.clusterstatus === "Running" && cds;
    });
    sameUids(restored);
    assert.deepEqual(visible(restored.get(secondary)!), visible(before.get(secondary)!));

    // Garbage, and a Secret without the key: the same as missing, with another reason.
    await writeKubeconfigSecret(primary, namespace, "clusters: [this is: not a kubeconfig");
    const garbage = await withCredentials("False", "KubeconfigSecretInvalid");
    sameUids(garbage);
    assert.match(
      credentials(garbage.get(secondary))!.message,
      new RegExp(`Cannot parse kubeconfig ${secretId}`),
    );
    assert.equal(garbage.get(secondary)!.status!.clusterstatus, "Running");
    assert.match(
      (await warning("KubeconfigSecretInvalid")).message ?? "",
      /keeping the 1 clusters registered before/,
    );
    await primary.apply({
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: "plumber-kubeconfig", namespace },
      data: { other: btoa(valid) },
    }, { fieldManager: "plumber-tests", force: true });
    await eventually("the missing key reported", async () => {
      const c = credentials((await detectors(state, namespace)).get(secondary));
      return c?.reason === "KubeconfigSecretInvalid" &&
        c.message.includes(`${secretId} has no key "kubeconfig"`);
    });
    await writeKubeconfigSecret(primary, namespace, valid);
    const final = await withCredentials("True", "KubeconfigSecretRead");
    sameUids(final);
    assert.deepEqual(visible(final.get(secondary)!), visible(before.get(secondary)!));
    for (const cd of final.values()) assert.ok(!JSON.stringify(cd.status ?? {}).includes("BEGIN"));
  } finally {
    primary.close();
    assert.equal((await operator.stop()).code, 0);
  }
});

Deno.test("The ClusterDetector controller and the Replicator's ClusterDetector cache share one watch through the informer factory", async () => {
  const state = await sharedControlPlane();
  const namespace = uniqueName("cd-shared");
  await prepareOperatorNamespace(state, namespace, ["secondary1"]);
  const watches: RequestRecord[] = [];
  const primary = adminClient(state, "primary", (r) => {
    if (r.path.endsWith("/clusterdetectors") && /(^|&)watch=(true|1)/.test(r.query ?? "")) watches.push(r);
  });
  const registry = new ClusterRegistry();
  const informers = new InformerFactory();
  const detector = new ClusterDetectorController({
    primary,
    primaryIdentity: { context: "primary", cluster: "kubernetes", user: "kubernetes-admin" },
    registry,
    namespace,
    informers,
    logger: createLogger({ level: "error" }),
  });
  // What main.ts hands the Replicator controller (its `detectors` option).
  const replicatorDetectors = clusterDetectorInformer(informers, primary, namespace);
  const replicator = new ReplicatorController({
    primary,
    registry,
    namespace,
    logger: createLogger({ level: "error" }),
    replicatorSelector: "plumber-test=none",
    detectors: replicatorDetectors,
  });
  try {
    assert.equal(replicatorDetectors, detector.detectors, "one informer for both controllers");
    await detector.start();
    await replicator.start();
    await eventually(
      "both ClusterDetectors in the shared cache",
      () => replicatorDetectors.list().filter((cd) => cd.status?.clusterstatus === "Running").length === 2,
    );
    assert.equal(watches.length, 1, `ClusterDetector watches opened: ${JSON.stringify(watches)}`);
    assert.equal(informers.watches("ClusterDetector"), 1);

    // One user stopping leaves the other's cache watching.
    await detector.stop();
    assert.equal(replicatorDetectors.stopped, false);
    await primary.mergePatch(
      { apiVersion: CD.apiVersion, kind: CD.kind, namespace, name: "kubernetes.kubernetes-admin" },
      { metadata: { annotations: { "plumber-test/touched": "yes" } } },
    );
    await eventually(
      "the remaining user to see a change",
      () =>
        replicatorDetectors.get(namespace, "kubernetes.kubernetes-admin")?.metadata.annotations?.[
          "plumber-test/touched"
        ] === "yes",
    );
    await replicator.stop();
    assert.equal(replicatorDetectors.stopped, true, "the last user's stop ends the watch");
  } finally {
    await replicator.stop();
    await detector.stop();
    await informers.close();
    registry.close();
    primary.close();
  }
});

// ---------------------------------------------------------------------------
// Cluster labels
// ---------------------------------------------------------------------------

const SECONDARY1 = "v1262-cluster.kubernetes-admin2";

/** The Secret of `kubeconfigFor(secondary1)` with labels on its context. */
function labelledKubeconfig(state: ControlPlaneState, labels: Record<string, string>): string {
  const config = parseKubeconfig(kubeconfigFor([cluster(state, "secondary1")]));
  return serializeKubeconfig(withContextLabels(config, "secondary1", labels));
}

async function storedLabels(
  client: KubeClient,
  namespace: string,
): Promise<Record<string, string> | undefined> {
  const secret = await client.get<{ data?: Record<string, string> }>({
    apiVersion: "v1",
    kind: "Secret",
    namespace,
    name: "plumber-kubeconfig",
  });
  return readContextLabels(parseKubeconfig(atob(secret.data?.kubeconfig ?? "")), "secondary1").labels;
}

Deno.test("ClusterDetector labels follow the Secret, kubectl label is mirrored into it, and the writes settle", async () => {
  const state = await sharedControlPlane();
  const namespace = uniqueName("cd-labels");
  await prepareOperatorNamespace(state, namespace, []);
  const admin = adminClient(state, "primary");
  await writeKubeconfigSecret(admin, namespace, labelledKubeconfig(state, { region: "east" }));
  const writes = { secret: 0, detector: 0 };
  const requests: RequestRecord[] = [];
  const start = () => {
    const primary = adminClient(state, "primary", (r) => {
      if (r.method !== "GET") requests.push(r);
    });
    const registry = new ClusterRegistry();
    const controller = new ClusterDetectorController({
      primary,
      primaryIdentity: { context: "primary", cluster: "kubernetes", user: "kubernetes-admin" },
      registry,
      namespace,
      logger: createLogger({ level: "error" }),
      probeIntervalMs: 300,
      onWrite: (what) => writes[what]++,
    });
    return {
      controller,
      stop: async () => {
        await controller.stop();
        registry.close();
        primary.close();
      },
    };
  };
  const ref = { apiVersion: CD.apiVersion, kind: CD.kind, namespace, name: SECONDARY1 };
  const labelsOf = async () => (await admin.get<ClusterDetector>(ref)).metadata.labels ?? {};
  let running = start();
  try {
    await running.controller.start();
    const first = await eventually("the Secret's label on the ClusterDetector", async () => {
      const labels = await labelsOf();
      return labels.region === "east" && labels;
    });
    assert.equal(first["app.kubernetes.io/role"], "secondary");

    // kubectl label (another field manager, a merge patch): stored in the Secret.
    await admin.mergePatch(ref, { metadata: { labels: { region: "west", tier: "big" } } });
    await eventually("the Secret to hold the object's labels", async () => {
      const stored = await storedLabels(admin, namespace);
      return stored?.region === "west" && stored.tier === "big" && writes.secret === 1;
    });
    await admin.mergePatch(ref, { metadata: { labels: { tier: null } } });
    await eventually("the removal in the Secret", async () => {
      const stored = await storedLabels(admin, namespace);
      return stored !== undefined && !("tier" in stored) && stored.region === "west" && writes.secret === 2;
    });
    assert.equal(writes.secret, 2, "one Secret write per kubectl change");

    // A label under plumber's prefix set on the object is neither stored nor removed.
    await admin.mergePatch(ref, {
      metadata: { labels: { "plumber.jnytnai0613.github.io/x": "y", tier: "small" } },
    });
    await eventually(
      "tier=small in the Secret",
      async () => (await storedLabels(admin, namespace))?.tier === "small",
    );
    assert.deepEqual(await storedLabels(admin, namespace), { region: "west", tier: "small" });
    assert.equal((await labelsOf())["plumber.jnytnai0613.github.io/x"], "y");

    // A Secret change wins, also over a label another manager (kubectl) set.
    await writeKubeconfigSecret(admin, namespace, labelledKubeconfig(state, { region: "north" }));
    await eventually("the object to follow the Secret", async () => {
      const labels = await labelsOf();
      return labels.region === "north" && !("tier" in labels) && labels;
    });

    // Steady state: no write of the Secret or the object's metadata over several probe intervals.
    const settled = { ...writes };
    const metadataWrites = () =>
      requests.filter((
        r,
      ) => (r.path.includes("/secrets/") ||
        (r.path.includes("/clusterdetectors/") && !r.path.endsWith("/status")))
      ).length;
    const before = metadataWrites();
    await new Promise((resolve) => setTimeout(resolve, 1500)); // five probe intervals: time is the subject
    assert.deepEqual(writes, settled, "no write loop");
    assert.equal(metadataWrites(), before);
    console.log(`label sync writes: ${writes.secret} Secret, ${writes.detector} ClusterDetector metadata`);

    // The ClusterDetector deleted: it comes back with its labels.
    await admin.delete(ref);
    await eventually("the recreated ClusterDetector with its labels", async () => {
      const cd = await admin.find<ClusterDetector>(ref);
      return cd?.metadata.labels?.region === "north";
    });

    // A restart keeps the labels and writes nothing for them.
    await running.stop();
    const beforeRestart = { ...writes };
    running = start();
    await running.controller.start();
    await eventually("the restarted controller to reconcile", () => running.controller.synced);
    await new Promise((resolve) => setTimeout(resolve, 1000)); // a few probe intervals: time is the subject
    assert.deepEqual(writes, beforeRestart, "a restart writes no labels");
    assert.equal((await labelsOf()).region, "north");
    assert.deepEqual(await storedLabels(admin, namespace), { region: "north" });
  } finally {
    await running.stop();
    admin.close();
  }
});

Deno.test("A bad label in the Secret is reported and left out; the cluster and its other labels stay", async () => {
  const state = await sharedControlPlane();
  const namespace = uniqueName("cd-badlabel");
  await prepareOperatorNamespace(state, namespace, []);
  const admin = adminClient(state, "primary");
  const config = parseKubeconfig(kubeconfigFor([cluster(state, "secondary1")]));
  config.contexts[0]!.context.extensions = [{
    name: LABELS_EXTENSION,
    extension: { labels: { region: "east", "app.kubernetes.io/role": "primary", "bad key": "x" } },
  }];
  await writeKubeconfigSecret(admin, namespace, serializeKubeconfig(config));
  const operator = await startOperator(state, { namespace, replicatorSelector: "none=none" });
  try {
    const cd = await eventually("the ClusterDetector Running with its valid label", async () => {
      const found = (await detectors(state, namespace)).get(SECONDARY1);
      return found?.status?.clusterstatus === "Running" && found.metadata.labels?.region === "east" && found;
    });
    assert.equal(cd.metadata.labels?.["app.kubernetes.io/role"], "secondary");
    assert.ok(!("bad key" in (cd.metadata.labels ?? {})));
    const events = await eventually("InvalidLabel events on the Secret", async () => {
      const list = await admin.list<{ reason?: string; message?: string }>("v1", "Event", { namespace });
      const found = list.items.filter((e) => e.reason === "InvalidLabel");
      return found.length >= 2 && found;
    });
    const messages = events.map((e) => e.message ?? "").join("\n");
    assert.match(messages, /"app.kubernetes.io\/role" is reserved/);
    assert.match(messages, /"bad key" is not a valid label key/);
  } finally {
    admin.close();
    assert.equal((await operator.stop()).code, 0);
  }
});
