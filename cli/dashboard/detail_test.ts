import assert from "node:assert/strict";
import { API_VERSION, type Replicator, REPLICATOR_KIND } from "../../lib/api.ts";
import type { Event } from "../../lib/generated/core_v1.ts";
import { cellDetail, replicatorEvents } from "./detail.ts";

const NOW = new Date("2026-01-01T12:00:00Z");

const event = (name: string, time: string, reason: string, kind = "Replicator"): Event => ({
  metadata: { name: `${name}.${reason}`, namespace: "default" },
  involvedObject: { kind, name },
  lastTimestamp: time,
  reason,
  message: `${reason} happened`,
  type: "Normal",
  count: 2,
});

Deno.test("replicatorEvents() keeps the Replicator's own Events, newest first, within the limit", () => {
  const events = [
    event("web", "2026-01-01T11:00:00Z", "Applied"),
    event("web", "2026-01-01T11:30:00Z", "DriftCorrected"),
    event("other", "2026-01-01T11:40:00Z", "Applied"),
    event("web", "2026-01-01T11:50:00Z", "Scaled", "Deployment"),
  ];
  assert.deepEqual(replicatorEvents(events, "web").map((e) => e.reason), ["DriftCorrected", "Applied"]);
  assert.equal(replicatorEvents(events, "web", 1).length, 1);
});

Deno.test("replicatorEvents() lists a folded Event (one per reconcile) whole: its type, reason and every part", () => {
  const message = "Applied ConfigMap web/nginx in a, b; " +
    "cluster b: Deployment web/nginx: spec.replicas changed by kubectl-scale (Update of scale); reverted; " +
    "ConfigMap web/taken in b managed by Replicator x; left unchanged";
  const folded: Event = {
    ...event("web", "2026-01-01T11:00:00Z", "Conflict"),
    type: "Warning",
    message,
    count: 1,
  };
  assert.deepEqual(replicatorEvents([folded], "web"), [
    { time: "2026-01-01T11:00:00Z", type: "Warning", reason: "Conflict", message, count: 1 },
  ]);
});

Deno.test("cellDetail() lists the cluster's objects, the last drift and the Events", () => {
  const rep: Replicator = {
    apiVersion: API_VERSION,
    kind: REPLICATOR_KIND,
    metadata: { name: "web" },
    spec: { targetCluster: ["a", "b"], replicationNamespace: "web" },
    status: {
      applied: [
        { cluster: "a", kind: "ConfigMap", name: "web", applyStatus: "applied" },
        { cluster: "b", kind: "ConfigMap", name: "web", applyStatus: "conflict: not ours" },
      ],
      clusters: [{
        name: "b",
        ready: true,
        driftCorrections: 4,
        lastDrift: {
          time: "2026-01-01T11:59:00Z",
          kind: "ConfigMap",
          name: "web",
          fields: [".data.x"],
          manager: "kubectl-edit",
          operation: "Update",
        },
      }],
    },
  };
  const detail = cellDetail(rep, "b", [event("web", "2026-01-01T11:00:00Z", "Applied")], NOW);
  assert.deepEqual(detail.objects, [{
    apiVersion: "",
    kind: "ConfigMap",
    name: "web",
    applyStatus: "conflict: not ours",
  }]);
  assert.equal(detail.cell.state, "conflict");
  assert.equal(detail.driftCorrections, 4);
  assert.deepEqual(detail.lastDrift?.fields, [".data.x"]);
  assert.equal(detail.lastDrift?.manager, "kubectl-edit");
  assert.equal(detail.events.length, 1);
});
