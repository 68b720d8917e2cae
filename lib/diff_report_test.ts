import assert from "node:assert/strict";
import {
  type ClusterDiff,
  diffExitCode,
  type DiffReport,
  diffSummary,
  formatDiffs,
  formatProblems,
  type ObjectDiff,
} from "./diff_report.ts";

const object = (action: ObjectDiff["action"], diff = "", message?: string): ObjectDiff => ({
  kind: "ConfigMap",
  namespace: "ns",
  name: "web",
  action,
  diff,
  ...(message ? { message } : {}),
});
const cluster = (name: string, objects: ObjectDiff[], extra: Partial<ClusterDiff> = {}): ClusterDiff => ({
  cluster: name,
  reachable: true,
  objects,
  ...extra,
});
const report = (...clusters: ClusterDiff[]): DiffReport => ({ replicator: "r", clusters });

Deno.test("diffExitCode() is 0 without differences, 1 with, 2 when anything could not be diffed", () => {
  assert.equal(diffExitCode(report(cluster("a", [object("unchanged")]))), 0);
  assert.equal(diffExitCode(report(cluster("a", []))), 0);
  for (const action of ["create", "update", "prune", "conflict"] as const) {
    assert.equal(diffExitCode(report(cluster("a", [object("unchanged"), object(action)]))), 1, action);
  }
  assert.equal(
    diffExitCode(
      report(cluster("a", [object("update")]), cluster("b", [], { reachable: false, error: "x" })),
    ),
    2,
  );
  assert.equal(diffExitCode(report(cluster("a", [object("create"), object("error", "", "422")]))), 2);
});

Deno.test("formatDiffs() concatenates the diffs in report order", () => {
  const text = formatDiffs(report(
    cluster("a", [object("update", "--- live a\n+++ plumber\n"), object("unchanged")]),
    cluster("b", [object("create", "--- live b\n+++ plumber\n")]),
  ));
  assert.equal(text, "--- live a\n+++ plumber\n--- live b\n+++ plumber\n");
});

Deno.test("formatProblems() names unreachable clusters, conflicts and errors", () => {
  const text = formatProblems(report(
    cluster("a", [object("conflict", "", "exists and is not managed by plumber"), object("update", "d")]),
    cluster("b", [], { reachable: false, error: "connection refused" }),
  ));
  assert.equal(
    text,
    "cluster a: ConfigMap/ns/web: conflict: exists and is not managed by plumber\n" +
      "cluster b (unreachable): connection refused\n",
  );
  assert.equal(formatProblems(report(cluster("a", [object("unchanged")]))), "");
});

Deno.test("diffSummary() counts actions and the clusters that change", () => {
  assert.equal(
    diffSummary(report(
      cluster("a", [object("create"), object("create"), object("prune")]),
      cluster("b", [object("unchanged")]),
      cluster("c", [object("update"), object("conflict")]),
    )),
    "2 to create, 1 to update, 1 to prune, 1 in conflict in 2 of 3 clusters",
  );
});
