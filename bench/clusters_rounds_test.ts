import assert from "node:assert/strict";
import { delays, figureDelta, operatorFigures, type Phase, phaseOrder } from "./clusters_rounds.ts";

Deno.test("phaseOrder alternates which variant of a round comes first", () => {
  assert.deepEqual(phaseOrder(3).map((p) => `${p.round}${p.variant}`), [
    "1all-up",
    "1down",
    "2down",
    "2all-up",
    "3all-up",
    "3down",
  ]);
  assert.deepEqual(phaseOrder(0), []);
});

function phase(round: number, variant: Phase["variant"], othersS: number): Phase {
  return {
    round,
    variant,
    othersS,
    othersP50S: othersS / 2,
    load: [1, 1],
    cpu: {},
    peakRssMiB: 0,
    metrics: {},
  };
}

Deno.test("delays: the down phase over the all-up phase of the same round, and the median of those", () => {
  const d = delays([
    phase(1, "all-up", 20),
    phase(1, "down", 30),
    phase(2, "down", 20),
    phase(2, "all-up", 25),
    phase(3, "all-up", 10),
    phase(3, "down", 11),
    // A round cut short has no ratio.
    phase(4, "down", 99),
  ]);
  assert.deepEqual(d.perRound, [1.5, 0.8, 1.1]);
  assert.deepEqual(d.median, 1.1);
  assert.ok(Number.isNaN(delays([phase(1, "all-up", 3)]).median));
});

Deno.test("operatorFigures sums the metrics a phase reports; requests to the down host by method and code", () => {
  const text = [
    "# TYPE rest_client_requests_total counter",
    'rest_client_requests_total{code="201",method="POST",host="127.0.0.1:1"} 5',
    'rest_client_requests_total{code="0",method="POST",host="127.0.0.1:2"} 3',
    'rest_client_requests_total{code="200",method="GET",host="127.0.0.1:3"} 4',
    'controller_runtime_reconcile_total{controller="replicator",result="success"} 7',
    'controller_runtime_reconcile_total{controller="replicator",result="error"} 2',
    'workqueue_retries_total{name="replicator"} 2',
  ].join("\n");
  const figures = operatorFigures(text, "127.0.0.1:2");
  assert.deepEqual(figures, {
    "others POST": 5,
    "others GET": 4,
    "down POST 0": 3,
    "reconciles replicator success": 7,
    "reconciles replicator error": 2,
    "queue retries replicator": 2,
  });
  assert.deepEqual(figureDelta({ a: 1, b: 2 }, { a: 1, b: 5, c: 0.5 }), { b: 3, c: 0.5 });
});
