import assert from "node:assert/strict";
import { parseKubeconfig } from "./parse.ts";
import { seedText, TOKEN } from "./_test_util.ts";

Deno.test("parseKubeconfig() reads the seed's three-cluster kubeconfig", () => {
  const config = parseKubeconfig(seedText(), "seed.yaml");
  assert.equal(config.apiVersion, "v1");
  assert.equal(config.kind, "Config");
  assert.deepEqual(config.clusters.map((c) => c.name), ["kubernetes", "v1262-cluster", "v1252-cluster"]);
  assert.deepEqual(config.users.map((u) => u.name), [
    "kubernetes-admin",
    "kubernetes-admin2",
    "kubernetes-admin3",
  ]);
  assert.equal(config["current-context"], "kubernetes-admin@kubernetes");
  assert.equal(config.clusters[1]?.cluster.server, "https://127.0.0.1:6444");
  assert.deepEqual(config.preferences, {});
});

Deno.test("parseKubeconfig() accepts JSON, drops unknown keys and treats null lists as empty", () => {
  const json = JSON.stringify({
    kind: "Config",
    apiVersion: "v1",
    clusters: [{
      name: "c",
      cluster: { server: "https://c", "certificate-authority_data": "typo" },
      extra: 1,
    }],
    users: null,
    contexts: [],
    unknownTopLevel: { a: 1 },
  });
  const config = parseKubeconfig(json, "inline.json");
  assert.deepEqual(config, {
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name: "c", cluster: { server: "https://c" } }],
    users: [],
    contexts: [],
  });
});

Deno.test("parseKubeconfig() treats an empty document as an empty kubeconfig", () => {
  const empty = { apiVersion: "v1", kind: "Config", clusters: [], users: [], contexts: [] };
  assert.deepEqual(parseKubeconfig(""), empty);
  assert.deepEqual(parseKubeconfig("# nothing here\n"), empty);
  assert.deepEqual(parseKubeconfig("clusters:\nusers:\n"), empty);
});

Deno.test("parseKubeconfig() accepts a user with no credentials written as null", () => {
  const config = parseKubeconfig(
    "users:\n- name: anon\n  user:\ncontexts:\n- name: x\n  context: {cluster: c, user: anon}\n",
  );
  assert.deepEqual(config.users, [{ name: "anon", user: {} }]);
});

Deno.test("parseKubeconfig() names the source and the field in every shape error", () => {
  const ctx = (body: string) => `contexts:\n- name: ok\n  context: {cluster: c, user: u}\n${body}`;
  const cases: [string, string][] = [
    ["- 1\n- 2\n", "the document is a list, not a mapping"],
    ["just text\n", "the document is a string, not a mapping"],
    ["kind: Secret\n", 'kind is "Secret", expected "Config"'],
    ["kind: 3\n", "kind must be a string, not a number"],
    ["apiVersion: v2\n", 'apiVersion is "v2", expected "v1"'],
    ["apiVersion: [v1]\n", "apiVersion must be a string, not a list"],
    ["clusters: {a: 1}\n", "clusters must be a list, not a mapping"],
    ["clusters:\n- just-a-string\n", "clusters[0] must be a mapping, not a string"],
    ["clusters:\n- cluster: {server: https://a}\n", "clusters[0].name is missing"],
    ["clusters:\n- name: ''\n  cluster: {server: https://a}\n", "clusters[0].name is empty"],
    [
      "clusters:\n- name: 12\n  cluster: {server: https://a}\n",
      "clusters[0].name must be a string, not a number",
    ],
    [
      "clusters:\n- name: a\n  cluster: {server: https://a}\n- name: a\n  cluster: {server: https://b}\n",
      'clusters[1].name "a" is used by an earlier entry too',
    ],
    ["clusters:\n- name: a\n", "clusters[0].cluster is missing"],
    ["clusters:\n- name: a\n  cluster: [x]\n", "clusters[0].cluster must be a mapping, not a list"],
    [
      "clusters:\n- name: a\n  cluster: {server: 443}\n",
      "clusters[0].cluster.server must be a string, not a number",
    ],
    [
      "clusters:\n- name: a\n  cluster: {insecure-skip-tls-verify: 'yes'}\n",
      "clusters[0].cluster.insecure-skip-tls-verify must be a boolean, not a string",
    ],
    [
      "clusters:\n- name: a\n  cluster: {certificate-authority-data: !!binary aGVsbG8=}\n",
      "clusters[0].cluster.certificate-authority-data must be a string, not binary data",
    ],
    [
      "clusters:\n- name: a\n  cluster: {extensions: [{extension: 1}]}\n",
      "clusters[0].cluster.extensions[0].name is missing",
    ],
    ["users:\n- name: u\n  user: {as-groups: [1]}\n", "users[0].user.as-groups must be a list of strings"],
    [
      "users:\n- name: u\n  user: {as-user-extra: {k: v}}\n",
      "users[0].user.as-user-extra.k must be a list of strings",
    ],
    ["users:\n- name: u\n  user: {token: [a]}\n", "users[0].user.token must be a string, not a list"],
    ["users:\n- name: u\n  user: {exec: {apiVersion: v1}}\n", "users[0].user.exec.command is missing"],
    [
      "users:\n- name: u\n  user: {exec: {command: x, args: x}}\n",
      "users[0].user.exec.args must be a list of strings",
    ],
    [
      "users:\n- name: u\n  user: {exec: {command: x, env: [{value: v}]}}\n",
      "users[0].user.exec.env[0].name is missing",
    ],
    [
      "users:\n- name: u\n  user: {exec: {command: x, env: [{name: n, value: 1}]}}\n",
      "users[0].user.exec.env[0].value must be a string, not a number",
    ],
    [
      "users:\n- name: u\n  user: {auth-provider: {config: {}}}\n",
      "users[0].user.auth-provider.name is missing",
    ],
    [
      "users:\n- name: u\n  user: {auth-provider: {name: oidc, config: {id-token: 1}}}\n",
      "users[0].user.auth-provider.config.id-token must be a string, not a number",
    ],
    ["users:\n- name: u\n  user: 7\n", "users[0].user must be a mapping, not a number"],
    [ctx("- name: b\n"), "contexts[1].context is missing"],
    [ctx("- name: b\n  context: {user: u}\n"), "contexts[1].context.cluster is missing"],
    [ctx("- name: b\n  context: {cluster: c}\n"), "contexts[1].context.user is missing"],
    [
      ctx("- name: b\n  context: {cluster: c, user: u, namespace: [x]}\n"),
      "contexts[1].context.namespace must be a string, not a list",
    ],
    ["current-context: {a: 1}\n", "current-context must be a string, not a mapping"],
    ["preferences: [1]\n", "preferences must be a mapping, not a list"],
    ["extensions: [{name: e}, 3]\n", "extensions[1] must be a mapping, not a number"],
  ];
  for (const [text, expected] of cases) {
    assert.throws(
      () => parseKubeconfig(text, "/x"),
      { message: `Cannot parse kubeconfig /x: ${expected}` },
      text,
    );
  }
});

Deno.test("parseKubeconfig() gives the brief's example message for a context without a cluster", () => {
  const text =
    "contexts:\n- {name: a, context: {cluster: c, user: u}}\n- {name: b, context: {cluster: c, user: u}}\n" +
    "- name: c\n  context:\n    user: u\n";
  assert.throws(() => parseKubeconfig(text, "/x"), {
    message: "Cannot parse kubeconfig /x: contexts[2].context.cluster is missing",
  });
  assert.throws(() => parseKubeconfig(text), {
    message: "Cannot parse kubeconfig: contexts[2].context.cluster is missing",
  });
});

Deno.test("parseKubeconfig() reports YAML syntax errors by position without quoting the source", () => {
  const text = `users:\n- name: u\n  user:\n    token: ${TOKEN}\n   bad: [\n`;
  assert.throws(() => parseKubeconfig(text, "/x"), (error: Error) => {
    assert.match(error.message, /^Cannot parse kubeconfig \/x: invalid YAML at line \d+, column \d+: /);
    assert.ok(!error.message.includes(TOKEN));
    return true;
  });
  assert.throws(
    () => parseKubeconfig("a: 1\na: 2\n", "/x"),
    /invalid YAML at line 2, column 1: duplicated mapping key$/,
  );
  // A second document, and more aliases than a kubeconfig needs (their expansion is bounded).
  assert.throws(() => parseKubeconfig("a: 1\n---\nb: 2\n", "/x"), {
    message: "Cannot parse kubeconfig /x: invalid YAML: 2 documents, expected one",
  });
  const aliases = `preferences:\n  a: &x [1, 2]\n  b: [${Array(11).fill("*x").join(", ")}]\n`;
  assert.throws(
    () => parseKubeconfig(aliases, "/x"),
    /^Error: Cannot parse kubeconfig \/x: invalid YAML at line \d+/,
  );
  assert.deepEqual(
    parseKubeconfig("preferences:\n  a: &x [1]\n  b: *x\n").preferences,
    { a: [1], b: [1] },
  );
});
