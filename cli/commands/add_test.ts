import assert from "node:assert/strict";
import {
  type Kubeconfig,
  readContextLabels,
  storageProblems,
  validateForStorage,
  withContextLabels,
} from "../../lib/kubeconfig/mod.ts";
import { CliError, UsageError } from "../../lib/errors.ts";
import { checkRegistration, parseLabelFlags, registerContext } from "./add.ts";
import {
  CLUSTER_ROLE,
  clusterRoleBindingName,
  createdByAdd,
  REPLICATION_RULES,
  targetManifests,
  targetNamespace,
  tokenKubeconfig,
} from "./add_target.ts";
import { cleanupRefs, isAddsOwn } from "./remove.ts";

const CA_PEM = "-----BEGIN CERTIFICATE-----\nMIIBdemo\n-----END CERTIFICATE-----\n";
const OTHER_CA_PEM = "-----BEGIN CERTIFICATE-----\nMIIBother\n-----END CERTIFICATE-----\n";
const KEY_PEM = "-----BEGIN PRIVATE KEY-----\nMIIEkey\n-----END PRIVATE KEY-----\n";
const TOKEN = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQifQ.c2ln";

/** The caller's context as extractContext() returns it: admin certificate, CA inlined. */
function callerContext(
  names = { context: "secondary1", cluster: "v1262-cluster", user: "kubernetes-admin2" },
  server = "https://127.0.0.1:6443",
): Kubeconfig {
  return {
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name: names.cluster, cluster: { server, "certificate-authority-data": btoa(CA_PEM) } }],
    users: [{
      name: names.user,
      user: { "client-certificate-data": btoa(CA_PEM), "client-key-data": btoa(KEY_PEM) },
    }],
    contexts: [{
      name: names.context,
      context: { cluster: names.cluster, user: names.user, namespace: "dev" },
    }],
    "current-context": names.context,
  };
}

function tokenSecret(data: Record<string, string> = { token: btoa(TOKEN), "ca.crt": btoa(OTHER_CA_PEM) }) {
  return { metadata: { name: "plumber-token", namespace: "plumber-system" }, data };
}

Deno.test("targetManifests() labels every object managed-by plumber and limits the ClusterRole to replication", () => {
  const manifests = targetManifests("plumber-system");
  assert.deepEqual(manifests.map((m) => `${m.kind}/${m.metadata?.name}`), [
    "ServiceAccount/plumber",
    "ClusterRole/plumber-replicator",
    "ClusterRoleBinding/plumber-replicator",
    "Secret/plumber-token",
  ]);
  for (const manifest of manifests) {
    assert.deepEqual(
      (manifest.metadata as { labels?: Record<string, string> }).labels,
      { "app.kubernetes.io/managed-by": "plumber" },
    );
  }
  const verbs = ["get", "list", "watch", "create", "update", "patch", "delete"];
  assert.deepEqual(REPLICATION_RULES, [
    { apiGroups: [""], resources: ["namespaces", "configmaps", "secrets", "services"], verbs },
    { apiGroups: ["apps"], resources: ["deployments"], verbs },
    { apiGroups: ["networking.k8s.io"], resources: ["ingresses"], verbs },
    { apiGroups: ["*"], resources: ["*"], verbs: ["list"] },
  ]);
  const secret = manifests[3]!;
  assert.equal(secret.type, "kubernetes.io/service-account-token");
  assert.deepEqual((secret.metadata as { annotations?: unknown }).annotations, {
    "kubernetes.io/service-account.name": "plumber",
  });
  assert.deepEqual(manifests[2]!.subjects, [{
    kind: "ServiceAccount",
    name: "plumber",
    namespace: "plumber-system",
  }]);
});

Deno.test("clusterRoleBindingName() keeps the contract name in plumber-system and adds the namespace elsewhere", () => {
  assert.equal(clusterRoleBindingName("plumber-system"), CLUSTER_ROLE);
  assert.equal(clusterRoleBindingName("team-a"), "plumber-replicator-team-a");
  assert.deepEqual(cleanupRefs("team-a").map((r) => `${r.kind}/${r.name}`), [
    "ClusterRoleBinding/plumber-replicator-extra-team-a",
    "ClusterRole/plumber-replicator-extra-team-a",
    "ClusterRoleBinding/plumber-replicator-team-a",
    "Secret/plumber-token",
    "ServiceAccount/plumber",
    "ClusterRole/plumber-replicator",
  ]);
});

Deno.test("tokenKubeconfig() keeps the caller's names, server and CA and uses only the ServiceAccount token", () => {
  const built = tokenKubeconfig(callerContext(), tokenSecret());
  assert.deepEqual(built, {
    apiVersion: "v1",
    kind: "Config",
    clusters: [{
      name: "v1262-cluster",
      cluster: { server: "https://127.0.0.1:6443", "certificate-authority-data": btoa(CA_PEM) },
    }],
    users: [{ name: "kubernetes-admin2", user: { token: TOKEN } }],
    contexts: [{ name: "secondary1", context: { cluster: "v1262-cluster", user: "kubernetes-admin2" } }],
  });
  validateForStorage(built);
});

Deno.test("tokenKubeconfig() falls back to the cluster's ca.crt and keeps tls-server-name and proxy-url", () => {
  const caller = callerContext();
  caller.clusters[0]!.cluster = {
    server: "https://k8s.example.com",
    "tls-server-name": "api.internal",
    "proxy-url": "http://proxy:3128",
  };
  const built = tokenKubeconfig(caller, tokenSecret());
  assert.deepEqual(built.clusters[0]!.cluster, {
    server: "https://k8s.example.com",
    "certificate-authority-data": btoa(OTHER_CA_PEM),
    "tls-server-name": "api.internal",
    "proxy-url": "http://proxy:3128",
  });
  assert.deepEqual(storageProblems(built), []);
});

Deno.test("tokenKubeconfig() refuses a Secret the token controller has not filled", () => {
  assert.throws(
    () => tokenKubeconfig(callerContext(), tokenSecret({})),
    (error: unknown) =>
      error instanceof CliError && /plumber-system\/plumber-token holds no token yet/.test(error.message),
  );
});

function stored(...contexts: Kubeconfig[]): Kubeconfig {
  let config: Kubeconfig = { apiVersion: "v1", kind: "Config", clusters: [], users: [], contexts: [] };
  for (const c of contexts) config = registerContext(config, c).config;
  return config;
}

Deno.test("registerContext() adds a context, and re-adding replaces it without a duplicate", () => {
  const first = tokenKubeconfig(callerContext(), tokenSecret());
  const { config, replaced } = registerContext(stored(), first);
  assert.equal(replaced, false);
  assert.equal(config["current-context"], undefined, "the Secret names no current secondary");
  assert.deepEqual(config.contexts.map((c) => c.name), ["secondary1"]);

  const renewed = tokenKubeconfig(callerContext(), tokenSecret({ token: btoa("new-token"), "ca.crt": "" }));
  const again = registerContext(config, renewed);
  assert.equal(again.replaced, true);
  assert.deepEqual(again.config.contexts.map((c) => c.name), ["secondary1"]);
  assert.equal(again.config.clusters.length, 1);
  assert.deepEqual(again.config.users, [{ name: "kubernetes-admin2", user: { token: "new-token" } }]);
});

Deno.test("registerContext() keeps other contexts and shares an identical cluster entry", () => {
  const one = tokenKubeconfig(callerContext(), tokenSecret());
  const two = tokenKubeconfig(
    callerContext({ context: "secondary1-ops", cluster: "v1262-cluster", user: "ops" }),
    tokenSecret(),
  );
  const config = stored(one, two);
  assert.deepEqual(config.contexts.map((c) => c.name), ["secondary1", "secondary1-ops"]);
  assert.equal(config.clusters.length, 1);
  // Removing and re-adding one keeps the shared cluster for the other.
  const again = registerContext(config, one);
  assert.deepEqual(again.config.contexts.map((c) => c.name).sort(), ["secondary1", "secondary1-ops"]);
});

Deno.test("registerContext() refuses a second context with the same cluster and user names (same ClusterDetector)", () => {
  const one = tokenKubeconfig(callerContext(), tokenSecret());
  const clash = tokenKubeconfig(
    callerContext(
      { context: "other", cluster: "v1262-cluster", user: "kubernetes-admin2" },
      "https://10.0.0.9",
    ),
    tokenSecret(),
  );
  assert.throws(
    () => registerContext(stored(one), clash),
    /Cannot register context "other": context "secondary1" is already registered with the same cluster and user names \(ClusterDetector "v1262-cluster\.kubernetes-admin2"\)/,
  );
});

Deno.test("registerContext() refuses a cluster name already stored with other settings", () => {
  const one = tokenKubeconfig(callerContext(), tokenSecret());
  const sameName = tokenKubeconfig(
    callerContext({ context: "elsewhere", cluster: "v1262-cluster", user: "someone" }, "https://10.0.0.9"),
    tokenSecret(),
  );
  assert.throws(
    () => registerContext(stored(one), sameName),
    /Cannot register context "elsewhere": cluster "v1262-cluster" is already stored for context secondary1 with different settings/,
  );
});

Deno.test("checkRegistration() refuses the primary's own ClusterDetector name and invalid names", () => {
  const empty = stored();
  assert.equal(
    checkRegistration(
      empty,
      { name: "s1", cluster: "v1262-cluster", user: "kubernetes-admin2" },
      "kubernetes.kubernetes-admin",
    ),
    "v1262-cluster.kubernetes-admin2",
  );
  assert.throws(
    () =>
      checkRegistration(
        empty,
        { name: "p", cluster: "kubernetes", user: "kubernetes-admin" },
        "kubernetes.kubernetes-admin",
      ),
    /is the primary's; the primary is registered automatically/,
  );
  assert.throws(
    () => checkRegistration(empty, { name: "x", cluster: "Kind_Cluster", user: "admin" }),
    (error: unknown) => error instanceof CliError && /not an RFC 1123 subdomain/.test(error.message),
  );
});

Deno.test("registerContext() stores --label labels, keeps the stored ones on a re-add without them, and ignores local ones", () => {
  const labelsOf = (config: Kubeconfig) => readContextLabels(config, "secondary1").labels;
  const first = registerContext(stored(), tokenKubeconfig(callerContext(), tokenSecret()), undefined, {
    region: "east",
  });
  assert.deepEqual(labelsOf(first.config), { region: "east" });
  assert.deepEqual(storageProblems(first.config), []);
  const renewed = tokenKubeconfig(callerContext(), tokenSecret({ token: btoa("new-token"), "ca.crt": "" }));
  assert.deepEqual(labelsOf(registerContext(first.config, renewed).config), { region: "east" }, "kept");
  assert.deepEqual(
    labelsOf(registerContext(first.config, renewed, undefined, { tier: "big" }).config),
    { tier: "big" },
    "--label replaces them all",
  );
  const local = withContextLabels(renewed, "secondary1", { from: "local" });
  assert.equal(
    labelsOf(registerContext(stored(), local).config),
    undefined,
    "a local kubeconfig's labels are not stored",
  );
});

Deno.test("parseLabelFlags() reads repeated --label values and names the flag and the value in errors", () => {
  assert.equal(parseLabelFlags([]), undefined);
  assert.deepEqual(parseLabelFlags(["region=east", "tier=", "region=east"]), { region: "east", tier: "" });
  const cases: [string[], string][] = [
    [["region"], 'invalid value "region" for --label: "region" is not a label: expected key=value'],
    [["-x=1"], 'invalid value "-x=1" for --label: "-x" is not a valid label key'],
    [
      ["region=-east"],
      'invalid value "region=-east" for --label: value "-east" of label "region" is not a valid',
    ],
    [
      ["plumber.jnytnai0613.github.io/x=1"],
      'invalid value "plumber.jnytnai0613.github.io/x=1" for --label: "plumber.jnytnai0613.github.io/x" is reserved',
    ],
    [["a=1", "a=2"], 'invalid value "a=2" for --label: label "a" is given twice'],
  ];
  for (const [values, message] of cases) {
    assert.throws(
      () => parseLabelFlags(values),
      (e: unknown) => e instanceof UsageError && e.exitCode === 2 && e.message.startsWith(message),
      values.join(" "),
    );
  }
});

Deno.test("targetNamespace() is marked as add's; createdByAdd() needs both the label and the annotation", () => {
  const ns = targetNamespace("plumber-system");
  assert.deepEqual(ns.metadata, {
    name: "plumber-system",
    labels: { "app.kubernetes.io/managed-by": "plumber" },
    annotations: { "plumber.jnytnai0613.github.io/created-by": "plumberctl add" },
  });
  assert.equal(createdByAdd(ns), true);
  assert.equal(createdByAdd(undefined), false);
  assert.equal(createdByAdd({ metadata: { name: "x" } }), false, "someone else's namespace");
  assert.equal(
    createdByAdd({ metadata: { labels: ns.metadata!.labels } }),
    false,
    "label only: not known to be add's",
  );
  assert.equal(
    createdByAdd({ metadata: { annotations: ns.metadata!.annotations } }),
    false,
    "annotation without plumber's label",
  );
  assert.equal(
    createdByAdd({
      metadata: {
        labels: ns.metadata!.labels,
        annotations: { "plumber.jnytnai0613.github.io/created-by": "replicator-sample" },
      },
    }),
    false,
    "created by the operator for a Replicator",
  );
});

Deno.test("isAddsOwn() counts plumber-labelled objects of no Replicator as the namespace's own", () => {
  const object = (labels?: Record<string, string>) => ({
    group: "",
    resource: "configmaps",
    kind: "ConfigMap",
    metadata: { name: "o", ...(labels ? { labels } : {}) },
  });
  assert.equal(isAddsOwn(object({ "app.kubernetes.io/managed-by": "plumber" })), true);
  assert.equal(isAddsOwn(object()), false);
  assert.equal(isAddsOwn(object({ "app.kubernetes.io/managed-by": "helm" })), false);
  assert.equal(
    isAddsOwn(object({
      "app.kubernetes.io/managed-by": "plumber",
      "plumber.jnytnai0613.github.io/replicator": "web",
    })),
    false,
    "a replicated workload keeps the namespace",
  );
});
