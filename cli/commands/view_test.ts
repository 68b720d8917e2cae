import assert from "node:assert/strict";
import { parse } from "yaml";
import type { ClusterDetector } from "../../lib/api.ts";
import { UsageError } from "../../lib/errors.ts";
import { clusterRows, formatRows, parseSelectorFlag } from "./view.ts";

const NOW = new Date("2024-05-03T12:00:00Z");

function detector(
  name: string,
  role: "primary" | "secondary",
  spec: { context: string; cluster: string; user: string },
  created: string,
  status?: ClusterDetector["status"],
): ClusterDetector {
  const d: ClusterDetector = {
    apiVersion: "plumber.jnytnai0613.github.io/v1",
    kind: "ClusterDetector",
    metadata: {
      name,
      namespace: "plumber-system",
      labels: { "app.kubernetes.io/role": role },
      creationTimestamp: created,
    },
    spec,
  };
  if (status) d.status = status;
  return d;
}

const DETECTORS = [
  detector(
    "v1262-cluster.kubernetes-admin2",
    "secondary",
    { context: "secondary1", cluster: "v1262-cluster", user: "kubernetes-admin2" },
    "2024-05-01T23:00:00Z",
    {
      clusterstatus: "Running",
      reason: "",
      kubernetesVersion: "v1.37.2",
      lastProbeTime: "2024-05-03T11:59:55Z",
    },
  ),
  detector(
    "v1252-cluster.kubernetes-admin3",
    "secondary",
    { context: "secondary2", cluster: "v1252-cluster", user: "kubernetes-admin3" },
    "2024-05-03T11:55:00Z",
    {
      clusterstatus: "Unknown",
      reason: "Get /readyz: connection refused",
      lastProbeTime: "2024-05-03T11:59:30Z",
    },
  ),
  detector(
    "kubernetes.kubernetes-admin",
    "primary",
    { context: "primary", cluster: "kubernetes", user: "kubernetes-admin" },
    "2024-05-01T23:00:00Z",
    { clusterstatus: "Running", kubernetesVersion: "v1.37.2" },
  ),
  detector(
    "new-cluster.admin",
    "secondary",
    { context: "new", cluster: "new-cluster", user: "admin" },
    "2024-05-03T11:59:58Z",
  ),
];

Deno.test("clusterRows() lists the primary first, then the secondaries by context", () => {
  assert.deepEqual(clusterRows(DETECTORS).map((r) => `${r.role}:${r.context}`), [
    "primary:primary",
    "secondary:new",
    "secondary:secondary1",
    "secondary:secondary2",
  ]);
});

Deno.test("formatRows() prints a kubectl-style table with kubectl ages", () => {
  assert.equal(
    formatRows(clusterRows(DETECTORS), "table", NOW),
    [
      "CONTEXT      CLUSTER         USER                ROLE        STATUS      VERSION   AGE",
      "primary      kubernetes      kubernetes-admin    primary     Running     v1.37.2   37h",
      "new          new-cluster     admin               secondary   <pending>   <none>    2s",
      "secondary1   v1262-cluster   kubernetes-admin2   secondary   Running     v1.37.2   37h",
      "secondary2   v1252-cluster   kubernetes-admin3   secondary   Unknown     <none>    5m",
      "",
    ].join("\n"),
  );
});

Deno.test("formatRows() -o wide adds the reason and the last probe", () => {
  const lines = formatRows(clusterRows(DETECTORS), "wide", NOW).split("\n");
  assert.match(lines[0]!, /AGE +REASON +LAST PROBE$/);
  assert.match(lines[4]!, /5m +Get \/readyz: connection refused +30s ago$/);
  assert.match(lines[1]!, /37h +<none> +<none>$/);
});

Deno.test("formatRows() -o json and -o yaml print the same list for scripts", () => {
  const rows = clusterRows(DETECTORS);
  const json = JSON.parse(formatRows(rows, "json", NOW));
  assert.deepEqual(json, rows);
  assert.deepEqual(json[2], {
    name: "v1262-cluster.kubernetes-admin2",
    context: "secondary1",
    cluster: "v1262-cluster",
    user: "kubernetes-admin2",
    role: "secondary",
    status: "Running",
    reason: "",
    kubernetesVersion: "v1.37.2",
    lastProbeTime: "2024-05-03T11:59:55Z",
    creationTimestamp: "2024-05-01T23:00:00Z",
    labels: {},
  });
  assert.deepEqual(parse(formatRows(rows, "yaml", NOW)), rows);
  assert.equal(formatRows([], "json", NOW), "[]\n");
  assert.equal(formatRows([], "yaml", NOW), "[]\n");
});

Deno.test("formatRows() with showLabels adds a LABELS column of the user labels, sorted, <none> without", () => {
  const labelled = DETECTORS.map((d) => structuredClone(d));
  labelled[0]!.metadata.labels = { ...labelled[0]!.metadata.labels, tier: "big", region: "east" };
  const lines = formatRows(clusterRows(labelled), "table", NOW, { showLabels: true }).trimEnd().split("\n");
  assert.match(lines[0]!, / +AGE +LABELS$/);
  const line = (context: string) => lines.find((l) => l.startsWith(`${context} `)) ?? "";
  assert.match(line("primary"), / <none>$/);
  assert.match(line("secondary1"), / region=east,tier=big$/);
  assert.match(line("secondary2"), / <none>$/);
  assert.deepEqual(clusterRows(labelled).find((r) => r.context === "secondary1")!.labels, {
    region: "east",
    tier: "big",
  });
});

Deno.test("parseSelectorFlag() reads kubectl's syntax and refuses bad text naming --selector and the value", () => {
  assert.deepEqual(parseSelectorFlag("region=east,!legacy"), {
    matchLabels: { region: "east" },
    matchExpressions: [{ key: "legacy", operator: "DoesNotExist" }],
  });
  assert.throws(
    () => parseSelectorFlag("region in (east"),
    (e: unknown) =>
      e instanceof UsageError && e.exitCode === 2 &&
      e.message === 'invalid value "region in (east" for --selector: expected "," or ")" at the end',
  );
});
