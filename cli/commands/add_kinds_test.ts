import assert from "node:assert/strict";
import { CliError, UsageError } from "../../lib/errors.ts";
import { extraManifests, extraRoleName, parseAllowKind, parseAllowKinds, resolveKinds } from "./add_kinds.ts";

const served = [
  { group: "", kind: "ServiceAccount", resource: "serviceaccounts", namespaced: true },
  { group: "policy", kind: "PodDisruptionBudget", resource: "poddisruptionbudgets", namespaced: true },
  { group: "networking.k8s.io", kind: "NetworkPolicy", resource: "networkpolicies", namespaced: true },
  { group: "rbac.authorization.k8s.io", kind: "ClusterRole", resource: "clusterroles", namespaced: false },
  { group: "example.com", kind: "Widget", resource: "widgets", namespaced: true },
];

Deno.test("parseAllowKind() reads group/Kind, /Kind and Kind (core group)", () => {
  assert.deepEqual(parseAllowKind("policy/PodDisruptionBudget"), {
    group: "policy",
    kind: "PodDisruptionBudget",
  });
  assert.deepEqual(parseAllowKind("/ServiceAccount"), { group: "", kind: "ServiceAccount" });
  assert.deepEqual(parseAllowKind("ServiceAccount"), { group: "", kind: "ServiceAccount" });
  assert.deepEqual(parseAllowKind("example.com/Widget"), { group: "example.com", kind: "Widget" });
  assert.deepEqual(parseAllowKinds(["/ServiceAccount", "ServiceAccount", "policy/PodDisruptionBudget"]), [
    { group: "", kind: "ServiceAccount" },
    { group: "policy", kind: "PodDisruptionBudget" },
  ]);
});

Deno.test("parseAllowKind() refuses bad values with a usage error naming the flag and the value", () => {
  for (
    const [value, why] of [
      ["", /is not a kind/],
      ["policy/", /is not a kind/],
      ["policy/poddisruptionbudgets", /"poddisruptionbudgets" is not a kind/],
      ["Policy_/PodDisruptionBudget", /is not an API group/],
      ["v1/ServiceAccount", /core group is written "\/ServiceAccount"/],
      ["plumber.jnytnai0613.github.io/Replicator", /its own kinds/],
    ] as const
  ) {
    assert.throws(() => parseAllowKind(value), (e: unknown) => {
      assert.ok(e instanceof UsageError);
      assert.match(
        e.message,
        new RegExp(`^invalid value "${value.replace(/[./]/g, "\\$&")}" for --allow-kind: `),
      );
      assert.match(e.message, why);
      return true;
    });
  }
});

Deno.test("resolveKinds() finds each kind's plural resource, and refuses unknown and cluster-scoped kinds", () => {
  assert.deepEqual(
    resolveKinds(
      [{ group: "policy", kind: "PodDisruptionBudget" }, { group: "", kind: "ServiceAccount" }],
      served,
      "s1",
    )
      .map((k) => k.resource),
    ["poddisruptionbudgets", "serviceaccounts"],
  );
  assert.throws(
    () => resolveKinds([{ group: "example.org", kind: "Widget" }], served, "s1"),
    (e: unknown) =>
      e instanceof CliError &&
      e.message ===
        'invalid value "example.org/Widget" for --allow-kind: context "s1" serves no kind Widget in group example.org; did you mean example.com/Widget?',
  );
  assert.throws(
    () => resolveKinds([{ group: "", kind: "Gadget" }], served, "s1"),
    /invalid value "\/Gadget" for --allow-kind: context "s1" serves no kind Gadget in the core group$/,
  );
  assert.throws(
    () => resolveKinds([{ group: "rbac.authorization.k8s.io", kind: "ClusterRole" }], served, "s1"),
    /ClusterRole is cluster-scoped in context "s1"; plumber replicates namespaced kinds only/,
  );
});

Deno.test("extraManifests() grants every verb plumber uses, one rule per group, in a role and binding of their own", () => {
  const kinds = resolveKinds(
    [
      { group: "policy", kind: "PodDisruptionBudget" },
      { group: "", kind: "ServiceAccount" },
      { group: "example.com", kind: "Widget" },
    ],
    served,
    "s1",
  );
  const [role, binding] = extraManifests("team-a", kinds);
  assert.equal(role.metadata?.name, "plumber-replicator-extra-team-a");
  assert.equal(extraRoleName("plumber-system"), "plumber-replicator-extra");
  assert.equal(role.metadata?.labels?.["app.kubernetes.io/managed-by"], "plumber");
  const verbs = ["get", "list", "watch", "create", "update", "patch", "delete"];
  assert.deepEqual(role.rules, [
    { apiGroups: [""], resources: ["serviceaccounts"], verbs },
    { apiGroups: ["example.com"], resources: ["widgets"], verbs },
    { apiGroups: ["policy"], resources: ["poddisruptionbudgets"], verbs },
  ]);
  assert.deepEqual(binding.roleRef, {
    apiGroup: "rbac.authorization.k8s.io",
    kind: "ClusterRole",
    name: "plumber-replicator-extra-team-a",
  });
  assert.deepEqual(binding.subjects, [{ kind: "ServiceAccount", name: "plumber", namespace: "team-a" }]);
});
