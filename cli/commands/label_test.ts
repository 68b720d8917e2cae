import assert from "node:assert/strict";
import type { ClusterDetector } from "../../lib/api.ts";
import { CliError, UsageError } from "../../lib/errors.ts";
import type { Kubeconfig } from "../../lib/kubeconfig/mod.ts";
import { findTarget, labelArguments } from "./label.ts";

function detector(name: string, context: string, role: string): ClusterDetector {
  return {
    apiVersion: "plumber.jnytnai0613.github.io/v1",
    kind: "ClusterDetector",
    metadata: { name, labels: { "app.kubernetes.io/role": role } },
    spec: { context, cluster: name.split(".")[0]!, user: name.split(".")[1]! },
  };
}

const STORED: Kubeconfig = {
  apiVersion: "v1",
  kind: "Config",
  clusters: [],
  users: [],
  contexts: [
    { name: "east", context: { cluster: "east-cluster", user: "plumber" } },
    { name: "west", context: { cluster: "west-cluster", user: "plumber" } },
  ],
};
const DETECTORS = [
  detector("kubernetes.admin", "primary", "primary"),
  detector("east-cluster.plumber", "east", "secondary"),
];

Deno.test("findTarget() finds a cluster by ClusterDetector or context name, in the objects or only in the Secret", () => {
  assert.deepEqual(findTarget("east", DETECTORS, STORED).name, "east-cluster.plumber");
  assert.equal(findTarget("east-cluster.plumber", DETECTORS, STORED).context, "east");
  const west = findTarget("west", DETECTORS, STORED);
  assert.deepEqual([west.name, west.context, west.detector], ["west-cluster.plumber", "west", undefined]);
  assert.equal(findTarget("west-cluster.plumber", DETECTORS, STORED).context, "west");
  const primary = findTarget("primary", DETECTORS, STORED);
  assert.deepEqual([primary.name, primary.context], ["kubernetes.admin", undefined]);
  assert.throws(
    () => findTarget("nope", DETECTORS, STORED),
    (e: unknown) =>
      e instanceof CliError &&
      /No registered cluster "nope".*known: kubernetes.admin, east-cluster.plumber, context east, context west/
        .test(e.message),
  );
});

Deno.test("labelArguments() reads key=value and key-, and refuses what kubectl label refuses", () => {
  assert.deepEqual(labelArguments(["east", "region=east", "tier-"], false), {
    cluster: "east",
    changes: [{ key: "region", value: "east" }, { key: "tier", remove: true }],
  });
  assert.deepEqual(labelArguments(["east"], true), { cluster: "east", changes: [] });
  const cases: [string[], boolean, RegExp][] = [
    [[], false, /missing the cluster/],
    [["east"], false, /no label changes given/],
    [["east", "a=1"], true, /--list takes no label changes/],
    [["east", "a=1", "a-"], false, /label "a" is given more than once/],
    [["east", "Bad Key=1"], false, /invalid label argument "Bad Key=1": "Bad Key" is not a valid label key/],
    [["east", "app.kubernetes.io/managed-by-"], false, /"app.kubernetes.io\/managed-by" is reserved/],
  ];
  for (const [args, list, message] of cases) {
    assert.throws(
      () => labelArguments(args, list),
      (e: unknown) => e instanceof UsageError && message.test(e.message),
    );
  }
});
