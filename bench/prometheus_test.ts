import assert from "node:assert/strict";
import { apiserverWrites, clientRequests, clientWrites, delta, parseMetrics, total } from "./prometheus.ts";

const OPERATOR =
  `# HELP rest_client_requests_total Number of HTTP requests, partitioned by status code, method, and host.
# TYPE rest_client_requests_total counter
rest_client_requests_total{code="200",method="GET",host="127.0.0.1:1"} 40
rest_client_requests_total{code="201",method="POST",host="127.0.0.1:1"} 3
rest_client_requests_total{code="200",method="PATCH",host="127.0.0.1:2"} 7
rest_client_requests_total{code="<error>",method="PATCH",host="127.0.0.1:2"} 1
rest_client_requests_total{code="200",method="PUT",host="127.0.0.1:1"} 1
rest_client_requests_total{code="200",method="DELETE",host="127.0.0.1:2"} 2
workqueue_depth{name="replicator"} 0
`;

const APISERVER = `# TYPE apiserver_request_total counter
apiserver_request_total{code="201",component="apiserver",dry_run="",group="",resource="events",scope="resource",subresource="",verb="POST",version="v1"} 12
apiserver_request_total{code="200",component="apiserver",dry_run="",group="coordination.k8s.io",resource="leases",scope="resource",subresource="",verb="PUT",version="v1"} 5
apiserver_request_total{code="200",component="apiserver",dry_run="",group="apps",resource="deployments",scope="resource",subresource="",verb="APPLY",version="v1"} 4
apiserver_request_total{code="200",component="apiserver",dry_run="",group="x",resource="replicators",scope="resource",subresource="status",verb="APPLY",version="v1"} 2
apiserver_request_total{code="200",component="apiserver",dry_run="",group="",resource="pods",scope="namespace",subresource="",verb="LIST",version="v1"} 99
`;

Deno.test("parseMetrics() reads names, labels and values and skips comments", () => {
  const samples = parseMetrics(OPERATOR);
  assert.equal(samples.length, 7);
  assert.deepEqual(samples[0], {
    name: "rest_client_requests_total",
    labels: { code: "200", method: "GET", host: "127.0.0.1:1" },
    value: 40,
  });
  assert.deepEqual(parseMetrics(OPERATOR, "workqueue_depth"), [
    { name: "workqueue_depth", labels: { name: "replicator" }, value: 0 },
  ]);
  assert.deepEqual(parseMetrics('a{x="q\\"uote"} 1.5e3\nnot a line\n'), [
    { name: "a", labels: { x: 'q"uote' }, value: 1500 },
  ]);
});

Deno.test("clientWrites() sums POST, PUT, PATCH and DELETE over codes and hosts", () => {
  assert.equal(clientWrites(OPERATOR), 14);
  assert.equal(clientRequests(OPERATOR).get("127.0.0.1:2 PATCH"), 8);
});

Deno.test("apiserverWrites() keeps write verbs, with subresources, and delta() the changes", () => {
  const before = apiserverWrites(APISERVER);
  assert.deepEqual([...before.entries()].sort(), [
    ["APPLY deployments", 4],
    ["APPLY replicators/status", 2],
    ["POST events", 12],
    ["PUT leases", 5],
  ]);
  const after = apiserverWrites(APISERVER.replace("} 5", "} 6").replace("} 12", "} 15"));
  const changed = delta(before, after);
  assert.deepEqual([...changed.entries()].sort(), [["POST events", 3], ["PUT leases", 1]]);
  assert.equal(total(changed), 4);
});
