import assert from "node:assert/strict";
import {
  API_VERSION,
  type KubeObject,
  LABEL_MANAGED_BY,
  LABEL_REPLICATOR,
  MANAGED_BY_VALUE,
  type Replicator,
  REPLICATOR_KIND,
  type ReplicatorStatus,
} from "../../lib/api.ts";
import { INTENT_HASH_ANNOTATION, intentHash } from "../../lib/diff.ts";
import { ABANDON_ANNOTATION } from "../../lib/holdings.ts";
import { LABEL_PRIMARY, LABEL_REPLICATOR_UID, type Owner, ownerLabels } from "../../lib/ownership.ts";
import {
  cleanupClusters,
  CREATED_BY_ANNOTATION,
  createdBy,
  createOnlyIntent,
  deploymentForReadiness,
  DETECTOR_WAIT_REQUEUE_MS,
  emptyOutcome,
  gateCluster,
  judgeCleanup,
  type LiveObject,
  namespaceToCreate,
  NOT_SERVED_REQUEUE_MS,
  notAnsweringMessage,
  notAnsweringOutcome,
  planNamespace,
  planObject,
  planPrune,
  requeueAfter,
  skipUnreachable,
  suspendedVerdict,
  uncachedFailure,
  UNREACHABLE_RETRY_MS,
  unreachableOutcome,
  unregisteredHoldings,
  withIntentHash,
} from "./plan.ts";

const owner: Owner = { primaryId: "p-1", replicator: "web", replicatorUid: "u-1" };

function replicator(
  options: { targets?: string[]; status?: ReplicatorStatus; annotations?: Record<string, string> } = {},
): Replicator {
  return {
    apiVersion: API_VERSION,
    kind: REPLICATOR_KIND,
    metadata: { name: "web", uid: "u-1", annotations: options.annotations },
    spec: { replicationNamespace: "ns", targetCluster: options.targets ?? ["s1.admin"] },
    status: options.status,
  };
}

function configMap(
  data: Record<string, string>,
  labels: Record<string, string> = ownerLabels(owner),
): KubeObject {
  return { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "cm", namespace: "ns", labels }, data };
}

/** The live object as the API server returns it after plumber applied `intent` (plus server fields). */
function stored(intent: KubeObject, edit: (o: KubeObject) => void = () => {}): LiveObject {
  const live = structuredClone(intent);
  live.metadata.uid = "obj-1";
  live.metadata.resourceVersion = "7";
  edit(live);
  return live;
}

async function intentOf(object: KubeObject): Promise<{ intent: KubeObject; hash: string }> {
  const hash = await intentHash(object);
  return { intent: withIntentHash(object, hash), hash };
}

Deno.test("planObject() creates an object that is not there", async () => {
  const { intent, hash } = await intentOf(configMap({ a: "1" }));
  assert.deepEqual(planObject(intent, hash, undefined, owner), { action: "create" });
});

Deno.test("planObject() skips an object in sync (server-added fields do not count)", async () => {
  const { intent, hash } = await intentOf(configMap({ a: "1" }));
  assert.deepEqual(planObject(intent, hash, stored(intent), owner), { action: "skip" });
});

Deno.test("planObject() reverts drift: a field plumber sets was changed by hand", async () => {
  const { intent, hash } = await intentOf(configMap({ a: "1" }));
  const live = stored(intent, (o) => (o.data as Record<string, string>).a = "hand edit");
  assert.deepEqual(planObject(intent, hash, live, owner), {
    action: "apply",
    difference: "data.a",
    drift: true,
  });
});

Deno.test("planObject() applies when the intent changed, even if the live object has every wanted field", async () => {
  const before = await intentOf(configMap({ a: "1", b: "2" }));
  const after = await intentOf(configMap({ a: "1" }));
  // The live object is a superset of the new intent: only the hash tells that `b` must go.
  assert.deepEqual(planObject(after.intent, after.hash, stored(before.intent), owner), {
    action: "apply",
    difference: "intent changed",
    drift: false,
  });
});

Deno.test("planObject() adopts an object of release 0.1 (name labels only)", async () => {
  const { intent, hash } = await intentOf(configMap({ a: "1" }));
  const old = stored(
    configMap({ a: "1" }, { [LABEL_MANAGED_BY]: MANAGED_BY_VALUE, [LABEL_REPLICATOR]: "web" }),
  );
  assert.deepEqual(planObject(intent, hash, old, owner), { action: "adopt", drift: false });
});

Deno.test("planObject() reports a conflict with an object plumber does not manage", async () => {
  const { intent, hash } = await intentOf(configMap({ a: "1" }));
  const foreign = stored(configMap({ a: "1" }, { [LABEL_MANAGED_BY]: "helm" }));
  assert.deepEqual(planObject(intent, hash, foreign, owner), {
    action: "conflict",
    reason: "exists and is not managed by plumber",
  });
  assert.equal(planObject(intent, hash, stored(configMap({ a: "1" }, {})), owner).action, "conflict");
});

Deno.test("planObject() reports a conflict with another Replicator's object", async () => {
  const { intent, hash } = await intentOf(configMap({ a: "1" }));
  const other = stored(
    configMap({ a: "1" }, ownerLabels({ ...owner, replicator: "api", replicatorUid: "u-2" })),
  );
  assert.deepEqual(planObject(intent, hash, other, owner), {
    action: "conflict",
    reason: "managed by Replicator api",
  });
});

Deno.test("planObject() reports a conflict with the same Replicator name of another primary", async () => {
  const { intent, hash } = await intentOf(configMap({ a: "1" }));
  const other = stored(configMap({ a: "1" }, ownerLabels({ ...owner, primaryId: "p-2" })));
  const plan = planObject(intent, hash, other, owner);
  assert.equal(plan.action, "conflict");
  assert.match((plan as { reason: string }).reason, /another primary cluster \(kube-system uid p-2\)/);
});

Deno.test("planObject() reports a conflict with an earlier Replicator of the same name (other uid)", async () => {
  const { intent, hash } = await intentOf(configMap({ a: "1" }));
  const earlier = stored(intent, (o) => o.metadata.labels![LABEL_REPLICATOR_UID] = "u-0");
  const plan = planObject(intent, hash, earlier, owner);
  assert.equal(plan.action, "conflict");
  assert.match((plan as { reason: string }).reason, /earlier Replicator named web \(uid u-0\)/);
});

Deno.test("planPrune() deletes only owned objects that are no longer wanted", () => {
  const live = (name: string, labels: Record<string, string>): LiveObject => ({
    kind: "ConfigMap",
    metadata: { name, namespace: "ns", labels },
  });
  const wanted = live("kept", ownerLabels(owner));
  const unwanted = live("gone", ownerLabels(owner));
  const adopted = live("old", { [LABEL_MANAGED_BY]: MANAGED_BY_VALUE, [LABEL_REPLICATOR]: "web" });
  const others = [
    live("other-replicator", ownerLabels({ ...owner, replicator: "api" })),
    live("other-primary", ownerLabels({ ...owner, primaryId: "p-2" })),
    live("earlier-uid", ownerLabels({ ...owner, replicatorUid: "u-0" })),
    live("helm", { [LABEL_MANAGED_BY]: "helm", [LABEL_REPLICATOR]: "web" }),
  ];
  const desired: KubeObject[] = [{
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: "kept", namespace: "ns" },
  }];
  assert.deepEqual(planPrune(desired, [wanted, unwanted, adopted, ...others], owner), [unwanted, adopted]);
});

Deno.test("planNamespace() creates a missing namespace, waits for a terminating one, leaves others", () => {
  assert.equal(planNamespace(undefined), "create");
  assert.equal(planNamespace({ metadata: { name: "ns" }, status: { phase: "Terminating" } }), "terminating");
  assert.equal(planNamespace({ metadata: { name: "ns" }, status: { phase: "Active" } }), "exists");
  assert.equal(planNamespace({ metadata: { name: "ns", labels: { team: "a" } } }), "exists");
});

Deno.test("createdBy() names the creator only of a namespace this primary's plumber created", () => {
  const created = namespaceToCreate("ns", "web", "p-1").metadata;
  assert.equal(createdBy(created, "p-1"), "web");
  assert.equal(createdBy(created, "p-2"), undefined, "another primary's");
  assert.equal(createdBy({ name: "ns", annotations: { [CREATED_BY_ANNOTATION]: "web" } }, "p-1"), undefined);
  assert.equal(
    createdBy({ name: "ns", labels: created.labels }, "p-1"),
    undefined,
    "no created-by annotation",
  );
  const fromRelease01 = {
    name: "ns",
    labels: { [LABEL_MANAGED_BY]: MANAGED_BY_VALUE },
    annotations: created.annotations,
  };
  assert.equal(createdBy(fromRelease01, "p-1"), "web");
  assert.equal(created.labels?.[LABEL_PRIMARY], "p-1");
});

Deno.test("gateCluster() works on a cluster only when registered, valid and (a secondary) Running", () => {
  assert.match((gateCluster("s1", undefined, undefined) as { message: string }).message, /is not registered/);
  assert.match(
    (gateCluster("s1", { role: "secondary", problem: "bad CA" }, undefined) as { message: string }).message,
    /invalid kubeconfig context: bad CA/,
  );
  assert.deepEqual(
    gateCluster("s1", { role: "secondary" }, { clusterstatus: "Unknown", reason: "timeout" }),
    {
      kind: "unreachable",
      waitsForDetector: true,
      message: `cluster "s1" is Unknown: timeout`,
    },
  );
  assert.deepEqual(gateCluster("s1", { role: "secondary" }, undefined), {
    kind: "unreachable",
    waitsForDetector: true,
    message: `cluster "s1" is not probed yet`,
  });
  assert.deepEqual(gateCluster("s1", { role: "secondary" }, { clusterstatus: "Running" }), {
    kind: "sync",
    role: "secondary",
  });
  assert.deepEqual(gateCluster("p", { role: "primary" }, undefined), { kind: "sync", role: "primary" });
});

const holding: ReplicatorStatus = {
  applied: [
    { cluster: "gone.admin", kind: "ConfigMap", name: "cm", applyStatus: "applied" },
    { cluster: "gone.admin", kind: "Service", name: "svc", applyStatus: "applied" },
    { cluster: "s1.admin", kind: "ConfigMap", name: "cm", applyStatus: "applied" },
  ],
};

Deno.test("an unregistered cluster with holdings is reported with what it holds, until abandoned", () => {
  const r = replicator({ status: holding });
  const known = (c: string) => c === "s1.admin";
  assert.deepEqual(unregisteredHoldings(r, ["s1.admin"], known), ["gone.admin"]);
  const outcome = unreachableOutcome(r, "gone.admin", "", false);
  assert.equal(outcome.ok, false);
  assert.equal(outcome.retry, false);
  assert.equal(outcome.applied.length, 2, "carried forward, so it keeps being reported");
  assert.match(outcome.message!, /is not registered any more .* still holds 2 objects/);

  const abandoned = replicator({ status: holding, annotations: { [ABANDON_ANNOTATION]: "gone.admin" } });
  assert.deepEqual(unregisteredHoldings(abandoned, ["s1.admin"], known), []);
  assert.deepEqual(unreachableOutcome(abandoned, "gone.admin", "down", false).applied, []);
  // A registered cluster that is down keeps its record and says why.
  const down = unreachableOutcome(r, "s1.admin", "cluster is Unknown", true);
  assert.equal(down.message, "cluster is Unknown");
  assert.equal(down.applied.length, 1);
});

Deno.test("finalizing keeps the finalizer for an unregistered cluster with holdings, unless abandoned", () => {
  const r = replicator({ status: holding });
  assert.deepEqual(
    cleanupClusters(r, ["p", "s1.admin"], ["p", "s1.admin", "s2.admin"], (c) => c === "s2.admin"),
    [
      "p",
      "s1.admin",
      "s2.admin",
      "gone.admin",
    ],
  );
  assert.deepEqual(cleanupClusters(r, ["p"], ["p", "s1.admin"], () => false), ["p", "gone.admin"]);
  assert.match(uncachedFailure(r, "gone.admin", undefined)!, /still holds 2 objects/);
  assert.equal(uncachedFailure(r, "never.admin", undefined), undefined, "never registered: holds nothing");
  assert.equal(
    uncachedFailure(r, "s9.admin", { role: "secondary" }),
    "cluster s9.admin: no client (credentials missing)",
  );
  const failures = [{ cluster: "gone.admin", message: "held" }, { cluster: "s9.admin", message: "down" }];
  assert.deepEqual(judgeCleanup(r, failures), { failures: ["held", "down"], abandoned: [] });
  const abandoning = replicator({ status: holding, annotations: { [ABANDON_ANNOTATION]: "gone.admin" } });
  assert.deepEqual(judgeCleanup(abandoning, failures), { failures: ["down"], abandoned: ["gone.admin"] });
});

Deno.test("requeueAfter() retries a waiting cluster in 30 s and renews TLS in time", () => {
  const ok = { ...unreachableOutcome(replicator(), "s1", "", true), ok: true };
  const waiting = unreachableOutcome(replicator(), "s2", "down", true);
  assert.equal(requeueAfter([ok], undefined), undefined);
  assert.equal(requeueAfter([ok, waiting], undefined), 30_000);
  assert.equal(requeueAfter([ok], 5_000), 5_000);
  assert.equal(requeueAfter([waiting], 90_000), 30_000);
});

Deno.test("requeueAfter() retries within seconds while a cluster does not serve a resources[] kind", () => {
  const notServed = {
    ...unreachableOutcome(replicator(), "s3", "", true),
    applied: [{
      cluster: "s3",
      apiVersion: "example.com/v1",
      kind: "Widget",
      name: "w",
      applyStatus: "failed: kind example.com/v1 Widget is not served by this cluster",
    }],
  };
  assert.equal(requeueAfter([notServed], undefined), NOT_SERVED_REQUEUE_MS);
  assert.equal(requeueAfter([notServed], 1_000), 1_000);
  const otherFailure = { ...notServed, applied: [{ ...notServed.applied[0]!, applyStatus: "failed: boom" }] };
  assert.equal(requeueAfter([otherFailure], undefined), 30_000);
});

Deno.test("withIntentHash() annotates the intent without changing the rendered object", () => {
  const object = configMap({ a: "1" });
  const intent = withIntentHash(object, "abc");
  assert.equal(intent.metadata.annotations?.[INTENT_HASH_ANNOTATION], "abc");
  assert.equal(object.metadata.annotations, undefined);
});

Deno.test("suspendedVerdict(): undefined unless suspended; names what differs, in sync when nothing does", () => {
  const rep = (suspend?: boolean): Replicator => ({
    apiVersion: "plumber.jnytnai0613.github.io/v1",
    kind: "Replicator",
    metadata: { name: "web" },
    spec: { replicationNamespace: "ns", ...(suspend === undefined ? {} : { suspend }) },
  });
  assert.equal(suspendedVerdict(rep(), ["ConfigMap/ns/a"]), undefined);
  assert.equal(suspendedVerdict(rep(false), ["ConfigMap/ns/a"]), undefined);
  assert.deepEqual(suspendedVerdict(rep(true), []), { ok: true, message: "suspended; in sync" });
  assert.deepEqual(suspendedVerdict(rep(true), ["ConfigMap/ns/a", "Deployment/ns/d"]), {
    ok: false,
    message: "suspended; 2 objects differ: ConfigMap/ns/a, Deployment/ns/d",
  });
  const many = Array.from({ length: 7 }, (_, i) => `ConfigMap/ns/c${i}`);
  assert.match(suspendedVerdict(rep(true), many)!.message, /7 objects differ: .*c4 and 2 more$/);
});

Deno.test("planObject(): an object orphaned by a Replicator of this name and primary is adopted", () => {
  const intent: KubeObject = {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: "cm", namespace: "ns" },
    data: {},
  };
  const orphan = {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: {
      name: "cm",
      namespace: "ns",
      annotations: { "plumber.jnytnai0613.github.io/orphaned-from": "p-uid/web" },
    },
  };
  const hash = "h";
  assert.deepEqual(
    planObject(intent, hash, orphan, { primaryId: "p-uid", replicator: "web", replicatorUid: "u2" }),
    {
      action: "adopt",
      drift: false,
    },
  );
  assert.equal(
    planObject(intent, hash, orphan, { primaryId: "p-uid", replicator: "other" }).action,
    "conflict",
  );
  assert.equal(planObject(intent, hash, orphan, { primaryId: "q", replicator: "web" }).action, "conflict");
});

Deno.test("createOnlyIntent carries a resourceVersion no stored object has, and leaves the intent alone", () => {
  const intent = {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: "a", namespace: "n" },
    data: { x: "1" },
  };
  const created = createOnlyIntent(intent);
  assert.equal(created.metadata.resourceVersion, "1");
  assert.deepEqual({ ...created, metadata: { name: "a", namespace: "n" } }, intent);
  assert.equal((intent.metadata as { resourceVersion?: string }).resourceVersion, undefined);
});

Deno.test("a cluster that did not answer is skipped for UNREACHABLE_RETRY_MS, and requeued as not ready", () => {
  assert.equal(skipUnreachable(undefined, 10_000), false);
  assert.equal(skipUnreachable(10_000, 10_000 + UNREACHABLE_RETRY_MS - 1), true);
  assert.equal(skipUnreachable(10_000, 10_000 + UNREACHABLE_RETRY_MS), false);
  const down = { ...emptyOutcome("s1"), unreachable: true };
  assert.equal(requeueAfter([down], undefined), 30_000);
  assert.equal(requeueAfter([{ ...emptyOutcome("s2"), ok: true }], undefined), undefined);
});

Deno.test("a cluster that did not answer has the same outcome whether its request failed or it was skipped", () => {
  const held = { cluster: "s1.admin", kind: "ConfigMap", name: "cm", applyStatus: "applied" };
  const r = replicator({ status: { applied: [held] } as ReplicatorStatus });
  const skipped = notAnsweringOutcome(r, "s1.admin");
  // The request failed: the objects it could not write are not listed, one it wrote before is kept.
  const failed = notAnsweringOutcome(r, "s1.admin", [
    { cluster: "s1.admin", kind: "ConfigMap", name: "cm", applyStatus: "applied" },
    { cluster: "s1.admin", kind: "Service", name: "svc", applyStatus: "failed: connection refused" },
  ]);
  assert.deepEqual(failed, skipped);
  assert.deepEqual(skipped.applied, [held]);
  assert.equal(skipped.message, notAnsweringMessage("s1.admin"));
  assert.match(skipped.message!, /^cluster "s1\.admin" did not answer/);
  assert.equal(skipped.unreachable, true);
  assert.equal(skipped.retry, false, "not retried with backoff");
  assert.equal(skipped.ok, false);
  const newlyApplied = { cluster: "s1.admin", kind: "Secret", name: "tls", applyStatus: "applied" };
  assert.deepEqual(notAnsweringOutcome(r, "s1.admin", [newlyApplied]).applied, [held, newlyApplied]);
  // The next reconcile, reading the status written from that outcome, computes the same outcome.
  const next = replicator({ status: { applied: skipped.applied } as ReplicatorStatus });
  assert.deepEqual(notAnsweringOutcome(next, "s1.admin"), skipped);
});

Deno.test("a Replicator waiting only for ClusterDetectors to turn Running is requeued as a safety net, not every 30 s", () => {
  const running = { clusterstatus: "Running" as const };
  const unknown = { clusterstatus: "Unknown" as const, reason: "connection refused" };
  const secondary = { role: "secondary" as const };
  const gate = gateCluster("s1.admin", secondary, unknown);
  assert.deepEqual(gate, {
    kind: "unreachable",
    waitsForDetector: true,
    message: 'cluster "s1.admin" is Unknown: connection refused',
  });
  assert.equal(gateCluster("s1.admin", secondary, running).kind, "sync");
  // Not registered or an invalid context: nothing will announce a fix, so the 30 s requeue stays.
  const unregistered = gateCluster("s1.admin", undefined, undefined);
  assert.equal(unregistered.kind === "unreachable" && unregistered.waitsForDetector, undefined);

  const waits = { ...emptyOutcome("s1"), waitsForDetector: true };
  const done = { ...emptyOutcome("p"), ok: true };
  assert.equal(requeueAfter([done, waits], undefined), DETECTOR_WAIT_REQUEUE_MS);
  assert.equal(requeueAfter([done, waits], 60_000), 60_000, "the TLS renewal comes first");
  // Another cluster not done (or one not answering while its ClusterDetector still says Running): 30 s.
  assert.equal(requeueAfter([waits, { ...emptyOutcome("s2"), unreachable: true }], undefined), 30_000);
  assert.equal(requeueAfter([waits, emptyOutcome("s2")], undefined), 30_000);
});

Deno.test("deploymentForReadiness(): the cached Deployment when it carries the intent, else the one just applied", () => {
  const intent = { annotation: INTENT_HASH_ANNOTATION, hash: "h2" };
  const deployment = (hash: string, rv: string) => ({
    metadata: { name: "web", resourceVersion: rv, annotations: { [INTENT_HASH_ANNOTATION]: hash } },
  });
  const applied = deployment("h2", "12");
  assert.equal(deploymentForReadiness(undefined, applied, intent), applied, "not cached yet: the apply's");
  assert.equal(
    deploymentForReadiness(deployment("h1", "9"), applied, intent),
    applied,
    "cached: the old version",
  );
  const cached = deployment("h2", "13");
  assert.equal(
    deploymentForReadiness(cached, applied, intent),
    cached,
    "cached with the intent (maybe newer)",
  );
  assert.equal(
    deploymentForReadiness(deployment("h1", "9"), undefined, intent)?.metadata.resourceVersion,
    "9",
  );
  assert.equal(deploymentForReadiness(undefined, undefined, intent), undefined);
});
