import assert from "node:assert/strict";
import { API_VERSION, type Replicator, REPLICATOR_KIND } from "../lib/api.ts";
import { SCALE_DRIFT } from "../lib/testdata/drift.ts";
import {
  describeDrift,
  driftParts,
  eventHistory,
  eventObjects,
  renderStatusTree,
  shortTime,
  statusReport,
} from "./status_tree.ts";

const NOW = new Date("2026-12-02T11:00:00Z");

const DRIFT = SCALE_DRIFT;

function sample(): Replicator {
  return {
    apiVersion: API_VERSION,
    kind: REPLICATOR_KIND,
    metadata: { name: "sample", generation: 3 },
    spec: { replicationNamespace: "replicate-ns" },
    status: {
      synced: "not synced",
      observedGeneration: 3,
      conditions: [
        {
          type: "Ready",
          status: "False",
          reason: "NotSynced",
          message: "1 of 2 clusters not synced",
          lastTransitionTime: "",
        },
        { type: "Available", status: "True", reason: "Ready", message: "", lastTransitionTime: "" },
      ],
      applied: [
        { cluster: "primary.admin", kind: "ConfigMap", name: "nginx", applyStatus: "applied" },
        { cluster: "primary.admin", kind: "Deployment", name: "nginx", applyStatus: "applied" },
        { cluster: "s1.admin", kind: "ConfigMap", name: "nginx", applyStatus: "conflict: not plumber's" },
        { cluster: "s1.admin", kind: "Service", name: "nginx", applyStatus: "failed: nodePort 5 is invalid" },
      ],
      clusters: [
        {
          name: "primary.admin",
          ready: true,
          targetedBy: ["primary"],
          replicas: 3,
          readyReplicas: 3,
          revision: "5f2c0123456789abcdef",
          driftCorrections: 2,
          lastDrift: DRIFT,
        },
        {
          name: "s1.admin",
          ready: false,
          targetedBy: ["targetCluster"],
          replicas: 3,
          readyReplicas: 1,
          message: "Service nginx: failed",
        },
      ],
    },
  };
}

const EVENTS = [
  {
    reason: "DriftCorrected",
    message:
      "cluster primary.admin: Deployment replicate-ns/nginx: spec.replicas changed by kubectl-scale (Update at 2026-12-02T10:42:07Z); reverted",
    count: 1,
    lastTimestamp: "2026-12-02T10:42:08Z",
  },
  {
    reason: "DriftCorrected",
    message: "cluster primary.admin: Deployment replicate-ns/nginx: deleted; re-created",
    lastTimestamp: "2026-12-02T10:30:00Z",
  },
  {
    reason: "Applied",
    message: "Applied ConfigMap replicate-ns/nginx, Deployment replicate-ns/nginx in primary.admin",
    lastTimestamp: "2026-12-02T09:00:00Z",
  },
  { reason: "Synced", message: "Replicated to primary.admin" },
];

Deno.test("eventHistory() counts drifts per cluster and object and keeps the latest change", () => {
  const history = eventHistory(EVENTS);
  assert.deepEqual(history.get("primary.admin/Deployment/nginx"), {
    drifts: 2,
    last: "2026-12-02T10:42:08Z",
  });
  assert.deepEqual(history.get("primary.admin/ConfigMap/nginx"), { drifts: 0, last: "2026-12-02T09:00:00Z" });
  assert.equal(history.size, 2);
});

Deno.test("eventHistory() reads one Applied Event naming several clusters, and the earlier one per cluster", () => {
  const history = eventHistory([
    {
      reason: "Applied",
      message:
        "Applied Namespace web, ConfigMap web/nginx, Deployment web/nginx in primary, s1; Service web/nginx in s2; and in 3 more clusters",
      lastTimestamp: "2026-12-02T09:00:00Z",
    },
    {
      reason: "Applied",
      message: "Applied ConfigMap web/nginx in s2",
      lastTimestamp: "2026-12-02T10:00:00Z",
    },
  ]);
  assert.deepEqual([...history.keys()].sort(), [
    "primary/ConfigMap/nginx",
    "primary/Deployment/nginx",
    "primary/Namespace/web",
    "s1/ConfigMap/nginx",
    "s1/Deployment/nginx",
    "s1/Namespace/web",
    "s2/ConfigMap/nginx",
    "s2/Service/nginx",
  ]);
  assert.deepEqual(history.get("s1/Deployment/nginx"), { drifts: 0, last: "2026-12-02T09:00:00Z" });
  assert.deepEqual(history.get("s2/ConfigMap/nginx"), { drifts: 0, last: "2026-12-02T10:00:00Z" });
});

Deno.test("eventHistory() reads every part of one folded Event per reconcile, whatever its reason", () => {
  // What the operator writes now: one Event per Replicator and reconcile, its parts joined with "; ".
  const folded = [
    "Issued certificates: ca, server, client",
    "Applied Namespace web, Deployment web/nginx in primary, s1; ConfigMap web/nginx in s2",
    "cluster s1: Deployment web/nginx: spec.replicas changed by kubectl-scale (Update); reverted",
    "cluster s2: ConfigMap web/nginx: deleted; re-created",
    "Deleted ConfigMap web/old in s1: no longer in the spec",
    "ConfigMap web/taken in s2 is not plumber's; left unchanged",
    "Replicated to primary, s1, s2",
  ].join("; ");
  const history = eventHistory([
    { reason: "Synced", message: folded, lastTimestamp: "2026-12-02T11:00:00Z" },
    {
      reason: "Warning",
      message:
        'cluster "s3": cannot apply; cluster s1: Service web/nginx: spec.ports changed by me; reverted',
      lastTimestamp: "2026-12-02T11:05:00Z",
    },
  ]);
  assert.deepEqual(Object.fromEntries([...history].map(([k, v]) => [k, v.drifts])), {
    "primary/Namespace/web": 0,
    "primary/Deployment/nginx": 0,
    "s1/Namespace/web": 0,
    "s1/Deployment/nginx": 1,
    "s2/ConfigMap/nginx": 1,
    "s1/Service/nginx": 1,
  });
  assert.deepEqual(history.get("s1/Service/nginx"), { drifts: 1, last: "2026-12-02T11:05:00Z" });
  // Each reverted object's own wording (the drift audit's who changed what).
  assert.deepEqual(driftParts(folded), [
    "cluster s1: Deployment web/nginx: spec.replicas changed by kubectl-scale (Update); reverted",
    "cluster s2: ConfigMap web/nginx: deleted; re-created",
  ]);
  // Parts that only look alike are not read as applied objects or drifts.
  assert.deepEqual(
    eventObjects("Deleted ConfigMap web/old in s1; Kept namespace web in s2: it holds Pods"),
    [],
  );
  assert.deepEqual(eventObjects("cluster s1: Deployment web/nginx: spec.replicas changed by x"), []);
});

Deno.test("statusReport() gives every cluster its objects, apply states, drifts and replicas", () => {
  const report = statusReport(sample(), EVENTS);
  assert.equal(report.available, "True");
  assert.deepEqual(report.clusters.map((c) => [c.name, c.objects.length, c.driftCorrections]), [
    ["primary.admin", 2, 2],
    ["s1.admin", 2, 0],
  ]);
  const deployment = report.clusters[0]!.objects[1]!;
  assert.deepEqual(deployment, {
    kind: "Deployment",
    name: "nginx",
    applyStatus: "applied",
    drifts: 2,
    lastDrift: DRIFT,
    lastChange: "2026-12-02T10:42:08Z",
  });
  assert.equal(report.clusters[1]!.objects[1]!.applyStatus, "failed: nodePort 5 is invalid");
  // JSON round trip: what -o json prints.
  assert.deepEqual(JSON.parse(JSON.stringify(report)), report);
});

Deno.test("renderStatusTree() draws a tree per cluster with conditions and reasons", () => {
  assert.equal(
    renderStatusTree(statusReport(sample(), EVENTS), NOW),
    [
      "Replicator sample  SYNCED not synced  AVAILABLE True  generation 3 (observed 3)",
      "Conditions: Ready=False (NotSynced: 1 of 2 clusters not synced); Available=True (Ready)",
      "primary.admin (primary)    ready   replicas 3/3   revision 5f2c01234567   drifts 2",
      "├─ ConfigMap   nginx  applied   changed 09:00:00",
      "└─ Deployment  nginx  applied   drifts 2, last 10:42:07 spec.replicas by kubectl-scale",
      "s1.admin (targetCluster)   NOT READY   replicas 1/3",
      "├─ ConfigMap  nginx  conflict: not plumber's",
      "├─ Service    nginx  failed: nodePort 5 is invalid",
      "└─ message: Service nginx: failed",
      "",
    ].join("\n"),
  );
});

Deno.test("renderStatusTree() of a Replicator without status says so", () => {
  const rep = { ...sample(), status: undefined };
  assert.equal(
    renderStatusTree(statusReport(rep), NOW),
    "Replicator sample  SYNCED <none>  AVAILABLE Unknown  generation 3 (observed -)\nConditions: <none>\n" +
      "No cluster reported yet\n",
  );
});

Deno.test("describeDrift() and shortTime() name the time, the fields and the manager", () => {
  assert.equal(describeDrift({ ...DRIFT, deleted: true, fields: [] }, NOW), "last 10:42:07 deleted");
  assert.equal(
    describeDrift({ ...DRIFT, manager: undefined }, NOW),
    "last 10:42:07 spec.replicas by unknown manager",
  );
  assert.equal(shortTime("2026-12-01T10:00:00Z", NOW), "2026-12-01 10:00:00");
});
