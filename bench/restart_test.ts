import assert from "node:assert/strict";
import { replicatorProgress } from "./restart.ts";

Deno.test("replicatorProgress() counts the replicator's reconciles that did not fail, and its queue depth", () => {
  const text = [
    "# TYPE controller_runtime_reconcile_total counter",
    'controller_runtime_reconcile_total{controller="replicator",result="success"} 150',
    'controller_runtime_reconcile_total{controller="replicator",result="requeue_after"} 50',
    'controller_runtime_reconcile_total{controller="replicator",result="error"} 7',
    'controller_runtime_reconcile_total{controller="clusterdetector",result="success"} 3',
    'workqueue_depth{name="clusterdetector"} 4',
    'workqueue_depth{name="replicator"} 2',
  ].join("\n");
  assert.deepEqual(replicatorProgress(text), { reconciled: 200, depth: 2 });
  assert.deepEqual(replicatorProgress(""), { reconciled: 0, depth: 0 });
});
