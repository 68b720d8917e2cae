import assert from "node:assert/strict";
import { Metrics } from "./metrics.ts";

function sample(text: string, series: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(series + " "));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

Deno.test("Metrics.text() exports the controller-runtime series of a controller, zero-initialised", async () => {
  const metrics = new Metrics();
  metrics.controller("replicator");
  const text = await metrics.text();
  for (const result of ["success", "error", "requeue_after", "terminal_error"]) {
    assert.equal(
      sample(text, `controller_runtime_reconcile_total{controller="replicator",result="${result}"}`),
      0,
    );
  }
  assert.equal(sample(text, 'controller_runtime_reconcile_errors_total{controller="replicator"}'), 0);
  assert.equal(
    sample(text, 'controller_runtime_terminal_reconcile_errors_total{controller="replicator"}'),
    0,
  );
  assert.equal(sample(text, 'controller_runtime_reconcile_time_seconds_count{controller="replicator"}'), 0);
  assert.equal(sample(text, 'controller_runtime_active_workers{controller="replicator"}'), 0);
  assert.equal(sample(text, 'controller_runtime_max_concurrent_reconciles{controller="replicator"}'), 0);
  assert.match(text, /# TYPE controller_runtime_reconcile_time_seconds histogram/);
});

Deno.test("ControllerMetrics counts outcomes, errors, terminal errors, durations and workers", async () => {
  const metrics = new Metrics();
  const c = metrics.controller("replicator");
  c.observeReconcile("success", 0.02);
  c.observeReconcile("error", 0.5);
  c.observeReconcile("terminal_error", 1);
  c.observeReconcile("requeue_after", 0.001);
  c.addActiveWorkers(1);
  c.addActiveWorkers(1);
  c.addActiveWorkers(-1);
  c.setMaxConcurrentReconciles(4);
  const text = await metrics.text();
  const total = (result: string) =>
    sample(text, `controller_runtime_reconcile_total{controller="replicator",result="${result}"}`);
  assert.deepEqual(
    ["success", "error", "terminal_error", "requeue_after"].map(total),
    [1, 1, 1, 1],
  );
  // Like controller-runtime, reconcile_errors_total counts terminal errors too.
  assert.equal(sample(text, 'controller_runtime_reconcile_errors_total{controller="replicator"}'), 2);
  assert.equal(
    sample(text, 'controller_runtime_terminal_reconcile_errors_total{controller="replicator"}'),
    1,
  );
  assert.equal(sample(text, 'controller_runtime_reconcile_time_seconds_count{controller="replicator"}'), 4);
  assert.equal(sample(text, 'controller_runtime_reconcile_time_seconds_sum{controller="replicator"}'), 1.521);
  assert.equal(sample(text, 'controller_runtime_active_workers{controller="replicator"}'), 1);
  assert.equal(sample(text, 'controller_runtime_max_concurrent_reconciles{controller="replicator"}'), 4);
});

Deno.test("Metrics.controller() returns the same object for the same name and carries its queue metrics", () => {
  const metrics = new Metrics();
  assert.equal(metrics.controller("a"), metrics.controller("a"));
  assert.equal(metrics.controller("a").queue, metrics.queue("a"));
});

Deno.test("QueueMetrics exports the client-go workqueue series", async () => {
  const metrics = new Metrics();
  const q = metrics.queue("replicator");
  q.added();
  q.added();
  q.setDepth(2);
  q.retried();
  q.observeQueueDuration(0.001);
  q.observeWorkDuration(0.25);
  q.trackUnfinishedWork?.(() => ({ unfinishedSeconds: 3.5, longestRunningSeconds: 2 }));
  const text = await metrics.text();
  assert.equal(sample(text, 'workqueue_depth{name="replicator"}'), 2);
  assert.equal(sample(text, 'workqueue_adds_total{name="replicator"}'), 2);
  assert.equal(sample(text, 'workqueue_retries_total{name="replicator"}'), 1);
  assert.equal(sample(text, 'workqueue_queue_duration_seconds_count{name="replicator"}'), 1);
  assert.equal(sample(text, 'workqueue_work_duration_seconds_sum{name="replicator"}'), 0.25);
  assert.equal(sample(text, 'workqueue_work_duration_seconds_bucket{le="1",name="replicator"}'), 1);
  assert.equal(sample(text, 'workqueue_unfinished_work_seconds{name="replicator"}'), 3.5);
  assert.equal(sample(text, 'workqueue_longest_running_processor_seconds{name="replicator"}'), 2);
});

Deno.test("Metrics records REST requests and leader status", async () => {
  const metrics = new Metrics();
  metrics.recordRequest({ code: "200", method: "GET", host: "10.0.0.1:6443" });
  metrics.recordRequest({ code: "200", method: "GET", host: "10.0.0.1:6443" });
  metrics.recordRequest({ code: "409", method: "PATCH", host: "10.0.0.1:6443" });
  metrics.setLeader("plumber-leader", true);
  metrics.setLeader("other", true);
  metrics.setLeader("other", false);
  const text = await metrics.text();
  assert.equal(sample(text, 'rest_client_requests_total{code="200",method="GET",host="10.0.0.1:6443"}'), 2);
  assert.equal(sample(text, 'rest_client_requests_total{code="409",method="PATCH",host="10.0.0.1:6443"}'), 1);
  assert.equal(sample(text, 'leader_election_master_status{name="plumber-leader"}'), 1);
  assert.equal(sample(text, 'leader_election_master_status{name="other"}'), 0);
});

Deno.test("two Metrics instances do not share series", async () => {
  const a = new Metrics();
  const b = new Metrics();
  a.controller("only-in-a");
  assert.ok((await a.text()).includes("only-in-a"));
  assert.ok(!(await b.text()).includes("only-in-a"));
});

Deno.test("Metrics.text() is served with the Prometheus 0.0.4 text content type", async () => {
  const metrics = new Metrics();
  assert.match(metrics.contentType, /^text\/plain; version=0\.0\.4/);
  assert.match(await metrics.text(), /^# TYPE rest_client_requests_total counter$/m);
});

Deno.test("Metrics with processMetrics reports the resident memory from Deno's own counters", async () => {
  const metrics = new Metrics({ processMetrics: true });
  const text = await metrics.text();
  const rss = Number(/^process_resident_memory_bytes (\d+)/m.exec(text)?.[1]);
  assert.ok(rss > 10 * 1024 * 1024, `rss ${rss}`);
  assert.match(text, /^process_heap_bytes \d+/m);
  assert.match(text, /^process_start_time_seconds \d+/m);
});
