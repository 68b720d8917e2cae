import assert from "node:assert/strict";
import {
  clusterDetectorName,
  extractContext,
  inClusterConnection,
  isRfc1123Subdomain,
  type Kubeconfig,
  kubeconfigHash,
  KubeconfigStorageError,
  listContexts,
  mergeKubeconfig,
  parseKubeconfig,
  redactKubeconfig,
  redactText,
  removeContext,
  resolveConnection,
  serializeKubeconfig,
  storageProblems,
  validateForStorage,
} from "./kubeconfig.ts";

const SEED_PATH = new URL("./testdata/kubeconfig/seed.yaml", import.meta.url);

const CA_PEM = "-----BEGIN CERTIFICATE-----\nMIIBcaBODYxxxxCAfake\n-----END CERTIFICATE-----\n";
const CERT_PEM = "-----BEGIN CERTIFICATE-----\nMIIBclientCERTbodyfake\n-----END CERTIFICATE-----\n";
const KEY_PEM = "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIkeyBODYsecretfake\n-----END EC PRIVATE KEY-----\n";
const TOKEN = "s3cr3t-static-token-abc123";
const JWT = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW06c2EifQ.c2lnbmF0dXJlLXNlY3JldA";
const PASSWORD = "hunter2-password";
const EXEC_SECRET = "exec-env-secret-value";
const PROVIDER_SECRET = "oidc-refresh-secret";

const b64 = (text: string) => btoa(text);

function seedText(): string {
  return Deno.readTextFileSync(SEED_PATH);
}

/** A storable kubeconfig with one context; `patch` edits it in place. */
function oneContext(patch: (config: Kubeconfig) => void = () => {}): Kubeconfig {
  const config: Kubeconfig = {
    apiVersion: "v1",
    kind: "Config",
    clusters: [{
      name: "east",
      cluster: { server: "https://east.example:6443", "certificate-authority-data": b64(CA_PEM) },
    }],
    users: [{ name: "admin", user: { token: TOKEN } }],
    contexts: [{ name: "east-ctx", context: { cluster: "east", user: "admin", namespace: "apps" } }],
    "current-context": "east-ctx",
  };
  patch(config);
  return config;
}

/** A kubeconfig with every kind of secret a kubeconfig can carry. */
function everySecret(): Kubeconfig {
  return {
    apiVersion: "v1",
    kind: "Config",
    clusters: [{
      name: "east",
      cluster: {
        server: "https://east.example:6443",
        "certificate-authority-data": b64(CA_PEM),
        "proxy-url": `http://proxyuser:${PASSWORD}@proxy.example:3128`,
      },
    }],
    users: [
      {
        name: "certs",
        user: {
          "client-certificate-data": b64(CERT_PEM),
          "client-key-data": b64(KEY_PEM),
          token: TOKEN,
          username: "bob",
          password: PASSWORD,
        },
      },
      { name: "jwt", user: { token: JWT } },
      {
        name: "plugin",
        user: {
          exec: {
            apiVersion: "client.authentication.k8s.io/v1",
            command: "get-token",
            args: ["--token", TOKEN, `--password=${PASSWORD}`],
            env: [{ name: "SECRET", value: EXEC_SECRET }],
          },
        },
      },
      {
        name: "oidc",
        user: {
          "auth-provider": {
            name: "oidc",
            config: { "id-token": JWT, "refresh-token": PROVIDER_SECRET, "client-secret": PROVIDER_SECRET },
          },
        },
      },
    ],
    contexts: [
      { name: "a", context: { cluster: "east", user: "certs" } },
      { name: "b", context: { cluster: "east", user: "jwt" } },
      { name: "c", context: { cluster: "east", user: "plugin" } },
      { name: "d", context: { cluster: "east", user: "oidc" } },
    ],
  };
}

const SECRETS = [
  b64(CA_PEM),
  b64(CERT_PEM),
  b64(KEY_PEM),
  "MIIBcaBODYxxxxCAfake",
  "MIIBclientCERTbodyfake",
  "MHcCAQEEIkeyBODYsecretfake",
  TOKEN,
  JWT,
  PASSWORD,
  EXEC_SECRET,
  PROVIDER_SECRET,
];

function assertNoSecret(text: string): void {
  for (const secret of SECRETS) {
    assert.ok(!text.includes(secret), `output still holds ${secret.slice(0, 12)}...:\n${text}`);
  }
}

async function withTempDir(fn: (dir: string) => Promise<void> | void): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "plumber-kubeconfig-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

// --- parse / serialize ---------------------------------------------------------------------------

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

Deno.test("serializeKubeconfig() output parses back to the same kubeconfig", () => {
  const config = parseKubeconfig(seedText());
  const text = serializeKubeconfig(config);
  assert.deepEqual(parseKubeconfig(text), config);
  assert.equal(serializeKubeconfig(parseKubeconfig(text)), text);

  const rich = everySecret();
  rich.clusters[0]!.cluster["tls-server-name"] = "api.internal";
  rich.clusters[0]!.cluster["insecure-skip-tls-verify"] = false;
  rich.users[0]!.user["as-groups"] = ["system:masters"];
  rich.users[0]!.user["as-user-extra"] = { scopes: ["a", "b"] };
  rich.contexts[0]!.context.extensions = [{ name: "ext", extension: { nested: [1, 2] } }];
  rich["current-context"] = "a";
  rich.preferences = { colors: true };
  assert.deepEqual(parseKubeconfig(serializeKubeconfig(rich)), rich);
});

Deno.test("serializeKubeconfig() writes kubectl's key order and quotes YAML 1.1 booleans", () => {
  const text = serializeKubeconfig(oneContext((c) => c.contexts[0]!.context.namespace = "on"));
  const topKeys = text.split("\n").filter((l) => /^[a-z-]+:/i.test(l)).map((l) => l.split(":")[0]);
  assert.deepEqual(topKeys, [
    "apiVersion",
    "kind",
    "clusters",
    "contexts",
    "current-context",
    "preferences",
    "users",
  ]);
  assert.match(text, /namespace: "on"/);
  assert.ok(!text.includes("&"), "no YAML anchors");
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
    /invalid YAML at line 2, column 1: Map keys must be unique/,
  );
});

// --- list / extract ------------------------------------------------------------------------------

Deno.test("listContexts() lists every context with its cluster's server and namespace", () => {
  const config = parseKubeconfig(seedText());
  config.contexts[0]!.context.namespace = "plumber-system";
  config.contexts.push({ name: "dangling", context: { cluster: "nowhere", user: "kubernetes-admin" } });
  assert.deepEqual(listContexts(config), [
    {
      name: "kubernetes-admin@kubernetes",
      cluster: "kubernetes",
      user: "kubernetes-admin",
      namespace: "plumber-system",
      server: "https://127.0.0.1:6443",
    },
    {
      name: "kubernetes-admin2@v1262-cluster",
      cluster: "v1262-cluster",
      user: "kubernetes-admin2",
      server: "https://127.0.0.1:6444",
    },
    {
      name: "kubernetes-admin3@v1252-cluster",
      cluster: "v1252-cluster",
      user: "kubernetes-admin3",
      server: "https://127.0.0.1:6445",
    },
    { name: "dangling", cluster: "nowhere", user: "kubernetes-admin" },
  ]);
});

Deno.test("extractContext() keeps only the context, its cluster and its user", () => {
  const config = parseKubeconfig(seedText());
  const before = structuredClone(config);
  const one = extractContext(config, "kubernetes-admin2@v1262-cluster");
  assert.deepEqual(config, before, "input untouched");
  assert.deepEqual(one, {
    apiVersion: "v1",
    kind: "Config",
    clusters: [config.clusters[1]],
    users: [config.users[1]],
    contexts: [config.contexts[1]],
    "current-context": "kubernetes-admin2@v1262-cluster",
  });
  validateForStorage(one);
});

Deno.test("extractContext() inlines file references as *-data", async () => {
  await withTempDir(async (dir) => {
    await Deno.mkdir(`${dir}/pki`);
    await Deno.writeTextFile(`${dir}/pki/ca.crt`, CA_PEM);
    await Deno.writeTextFile(`${dir}/client.crt`, CERT_PEM);
    await Deno.writeTextFile(`${dir}/client.key`, KEY_PEM);
    await Deno.writeTextFile(`${dir}/token`, `${TOKEN}\n`);
    const config = parseKubeconfig(`
clusters:
- name: east
  cluster:
    server: https://east:6443
    certificate-authority: pki/ca.crt
users:
- name: admin
  user:
    client-certificate: ./client.crt
    client-key: ${dir}/client.key
    tokenFile: token
contexts:
- name: east
  context: {cluster: east, user: admin, namespace: apps}
`);
    const one = extractContext(config, "east", { baseDir: dir });
    assert.deepEqual(one.clusters, [{
      name: "east",
      cluster: { server: "https://east:6443", "certificate-authority-data": b64(CA_PEM) },
    }]);
    assert.deepEqual(one.users, [{
      name: "admin",
      user: { "client-certificate-data": b64(CERT_PEM), "client-key-data": b64(KEY_PEM), token: TOKEN },
    }]);
    assert.deepEqual(one.contexts, [{
      name: "east",
      context: { cluster: "east", user: "admin", namespace: "apps" },
    }]);
    assert.equal(one["current-context"], "east");
    assert.deepEqual(storageProblems(one), []);
    assert.equal(config.users[0]?.user.tokenFile, "token", "input untouched");
  });
});

Deno.test("extractContext() reads through the readFile option", () => {
  const read: string[] = [];
  const config = oneContext((c) => {
    c.clusters[0]!.cluster = { server: "https://e", "certificate-authority": "/etc/ca.crt" };
  });
  const one = extractContext(config, "east-ctx", {
    readFile: (path) => {
      read.push(path);
      return new TextEncoder().encode(CA_PEM);
    },
  });
  assert.deepEqual(read, ["/etc/ca.crt"]);
  assert.equal(one.clusters[0]?.cluster["certificate-authority-data"], b64(CA_PEM));
});

Deno.test("extractContext() refuses an unknown context and lists the known ones", () => {
  assert.throws(() => extractContext(parseKubeconfig(seedText()), "nope"), {
    message: 'Cannot extract context "nope": context "nope" is not in the kubeconfig; known contexts: ' +
      '"kubernetes-admin@kubernetes", "kubernetes-admin2@v1262-cluster", "kubernetes-admin3@v1252-cluster"',
  });
  assert.throws(() => extractContext(parseKubeconfig(""), "nope"), /the kubeconfig has no contexts/);
});

Deno.test("extractContext() names the field when a reference cannot be followed", async () => {
  const withKeyFile = (path: string) => oneContext((c) => c.users[0]!.user = { "client-key": path });
  assert.throws(() => extractContext(withKeyFile("key.pem"), "east-ctx"), {
    message:
      'Cannot extract context "east-ctx": users[admin].user.client-key "key.pem" is a relative path and no baseDir (the kubeconfig\'s folder) was given',
  });
  await withTempDir((dir) => {
    assert.throws(
      () => extractContext(withKeyFile("missing.pem"), "east-ctx", { baseDir: dir }),
      (error: Error) => {
        assert.ok(
          error.message.startsWith(
            `Cannot extract context "east-ctx": cannot read users[admin].user.client-key "${dir}/missing.pem": `,
          ),
          error.message,
        );
        return true;
      },
    );
  });
  const both = oneContext((c) => c.clusters[0]!.cluster["certificate-authority"] = "/ca.crt");
  assert.throws(() => extractContext(both, "east-ctx"), {
    message:
      'Cannot extract context "east-ctx": clusters[east].cluster.certificate-authority and clusters[east].cluster.certificate-authority-data are both set; keep one',
  });
  const noUser = oneContext((c) => c.users = []);
  assert.throws(() => extractContext(noUser, "east-ctx"), {
    message:
      'Cannot extract context "east-ctx": contexts[east-ctx].context.user names user "admin", which is not in the kubeconfig',
  });
  const noCluster = oneContext((c) => c.clusters = []);
  assert.throws(
    () => extractContext(noCluster, "east-ctx"),
    /contexts\[east-ctx\]\.context\.cluster names cluster "east"/,
  );
});

// --- merge / remove ------------------------------------------------------------------------------

Deno.test("mergeKubeconfig() appends new entries and leaves both inputs untouched", () => {
  const seed = parseKubeconfig(seedText());
  const into = extractContext(seed, "kubernetes-admin2@v1262-cluster");
  const from = extractContext(seed, "kubernetes-admin3@v1252-cluster");
  const [intoBefore, fromBefore] = [structuredClone(into), structuredClone(from)];
  const merged = mergeKubeconfig(into, from);
  assert.deepEqual(into, intoBefore);
  assert.deepEqual(from, fromBefore);
  assert.deepEqual(merged.clusters.map((c) => c.name), ["v1262-cluster", "v1252-cluster"]);
  assert.deepEqual(merged.users.map((u) => u.name), ["kubernetes-admin2", "kubernetes-admin3"]);
  assert.deepEqual(merged.contexts.map((c) => c.name), [
    "kubernetes-admin2@v1262-cluster",
    "kubernetes-admin3@v1252-cluster",
  ]);
  assert.equal(merged["current-context"], "kubernetes-admin2@v1262-cluster", "into's current-context wins");
  merged.clusters[0]!.cluster.server = "https://changed";
  assert.equal(into.clusters[0]?.cluster.server, "https://127.0.0.1:6444", "result shares nothing with into");
});

Deno.test("mergeKubeconfig() takes from's current-context when into has none", () => {
  const into = oneContext((c) => delete c["current-context"]);
  const from = oneContext((c) => {
    c.contexts[0]!.name = "other";
  });
  assert.equal(mergeKubeconfig(into, from)["current-context"], "east-ctx");
});

Deno.test("mergeKubeconfig() accepts identical entries without duplicating them", () => {
  const config = oneContext();
  const merged = mergeKubeconfig(config, structuredClone(config));
  assert.deepEqual(merged, config);
  // Key order and absent-vs-undefined members do not make entries differ.
  const reordered = oneContext((c) => {
    c.clusters[0]!.cluster = {
      "certificate-authority-data": b64(CA_PEM),
      server: "https://east.example:6443",
      "tls-server-name": undefined,
    };
  });
  assert.deepEqual(mergeKubeconfig(config, reordered).clusters.length, 1);
});

Deno.test("mergeKubeconfig() refuses a same-named entry with different content, naming kind and name", () => {
  const into = oneContext();
  const newToken = oneContext((c) => c.users[0]!.user.token = "another-token");
  assert.throws(() => mergeKubeconfig(into, newToken), {
    message:
      'Cannot merge kubeconfig: user "admin" already exists with different content; pass replace: true to overwrite it',
  });
  const everything = oneContext((c) => {
    c.clusters[0]!.cluster.server = "https://moved:6443";
    c.users[0]!.user.token = "another-token";
    c.contexts[0]!.context.namespace = "other";
  });
  assert.throws(() => mergeKubeconfig(into, everything), {
    message: 'Cannot merge kubeconfig: cluster "east", user "admin", context "east-ctx" already exist with ' +
      "different content; pass replace: true to overwrite them",
  });
});

Deno.test("mergeKubeconfig() replaces conflicting entries in place when replace is set", () => {
  const into = mergeKubeconfig(
    oneContext(),
    oneContext((c) => {
      c.clusters[0]!.name = "west";
      c.contexts[0] = { name: "west-ctx", context: { cluster: "west", user: "admin" } };
    }),
  );
  const from = oneContext((c) => c.users[0]!.user.token = "rotated-token");
  const merged = mergeKubeconfig(into, from, { replace: true });
  assert.deepEqual(merged.users, [{ name: "admin", user: { token: "rotated-token" } }]);
  assert.deepEqual(merged.clusters.map((c) => c.name), ["east", "west"]);
  assert.deepEqual(merged.contexts.map((c) => c.name), ["east-ctx", "west-ctx"]);
  assert.equal(into.users[0]?.user.token, TOKEN, "input untouched");
});

Deno.test("removeContext() removes the context with the cluster and user only it used", () => {
  const seed = parseKubeconfig(seedText());
  const before = structuredClone(seed);
  const removed = removeContext(seed, "kubernetes-admin2@v1262-cluster");
  assert.deepEqual(seed, before, "input untouched");
  assert.deepEqual(removed.contexts.map((c) => c.name), [
    "kubernetes-admin@kubernetes",
    "kubernetes-admin3@v1252-cluster",
  ]);
  assert.deepEqual(removed.clusters.map((c) => c.name), ["kubernetes", "v1252-cluster"]);
  assert.deepEqual(removed.users.map((u) => u.name), ["kubernetes-admin", "kubernetes-admin3"]);
  assert.equal(removed["current-context"], "kubernetes-admin@kubernetes");
});

Deno.test("removeContext() keeps a cluster and a user another context still uses", () => {
  const config = oneContext((c) => {
    c.users.push({ name: "viewer", user: { token: "viewer-token" } });
    c.contexts.push({ name: "east-viewer", context: { cluster: "east", user: "viewer" } });
    c.contexts.push({ name: "east-admin-kube-system", context: { cluster: "east", user: "admin" } });
  });
  const removed = removeContext(config, "east-viewer");
  assert.deepEqual(removed.clusters.map((c) => c.name), ["east"]);
  assert.deepEqual(removed.users.map((u) => u.name), ["admin"]);
  const removedAdmin = removeContext(config, "east-ctx");
  assert.deepEqual(removedAdmin.users.map((u) => u.name), ["admin", "viewer"], "admin still used");
  assert.equal(removedAdmin["current-context"], undefined, "current-context cleared");
});

Deno.test("removeContext() refuses an unknown context and lists the known ones", () => {
  assert.throws(() => removeContext(oneContext(), "west"), {
    message: 'Cannot remove context: context "west" is not in the kubeconfig; known contexts: "east-ctx"',
  });
});

// --- storage -------------------------------------------------------------------------------------

Deno.test("storageProblems() finds nothing in a self-contained kubeconfig", () => {
  assert.deepEqual(storageProblems(oneContext()), []);
  assert.deepEqual(storageProblems(parseKubeconfig(seedText())), []);
  assert.deepEqual(storageProblems(parseKubeconfig("")), []);
  validateForStorage(oneContext());
});

Deno.test("storageProblems() refuses a proxy-url or tls-server-name the client cannot honour, naming context, field and value", () => {
  const problems = (cluster: Record<string, string>) =>
    storageProblems(oneContext((c) => Object.assign(c.clusters[0]!.cluster, cluster)));
  assert.deepEqual(problems({ "proxy-url": "http://proxy:3128", "tls-server-name": "api.internal" }), []);
  assert.deepEqual(problems({ "proxy-url": "socks5://proxy:1080" }), []);
  assert.deepEqual(problems({ "proxy-url": "socks4://user:secret@proxy:1080" }), [{
    context: "east-ctx",
    field: "clusters[east].cluster.proxy-url",
    message:
      '"socks4://user:REDACTED@proxy:1080" has the unsupported scheme "socks4"; use http://, https:// or socks5://',
  }]);
  assert.deepEqual(problems({ "tls-server-name": "api internal" }), [{
    context: "east-ctx",
    field: "clusters[east].cluster.tls-server-name",
    message: '"api internal" is not a DNS name or an IPv4 address, so no server certificate can name it',
  }]);
  const [combined, ...rest] = problems({
    "proxy-url": "https://proxy:3128",
    "tls-server-name": "api.internal",
  });
  assert.deepEqual(rest, []);
  assert.equal(combined?.field, "clusters[east].cluster.tls-server-name");
  assert.match(
    combined!.message,
    /^"api\.internal" is set together with proxy-url "https:\/\/proxy:3128"; plumber can verify the server certificate against tls-server-name only directly or through an http:\/\/ proxy/,
  );
  assert.throws(
    () => validateForStorage(oneContext((c) => c.clusters[0]!.cluster["proxy-url"] = "proxy:3128")),
    /clusters\[east\]\.cluster\.proxy-url \(context "east-ctx"\): "proxy:3128" has the unsupported scheme "proxy"/,
  );
});

Deno.test("storageProblems() reports each unstorable setting with its context and field", () => {
  const cases: [string, (c: Kubeconfig) => void, { field: string; message: RegExp }[]][] = [
    ["exec", (c) => c.users[0]!.user = { exec: { command: "aws", args: ["eks", "get-token"] } }, [
      {
        field: "users[admin].user.exec",
        message: /^a credential plugin \(command "aws"\); plumber does not run/,
      },
    ]],
    ["auth-provider", (c) => c.users[0]!.user = { "auth-provider": { name: "oidc" } }, [
      { field: "users[admin].user.auth-provider", message: /^a credential plugin \("oidc"\)/ },
    ]],
    ["certificate-authority", (c) => {
      c.clusters[0]!.cluster = { server: "https://e", "certificate-authority": "/etc/ca.crt" };
    }, [{
      field: "clusters[east].cluster.certificate-authority",
      message: /^a file path \("\/etc\/ca\.crt"\); .*self-contained: inline it as certificate-authority-data/,
    }]],
    ["client-certificate", (c) => {
      c.users[0]!.user = { "client-certificate": "c.crt", "client-key-data": b64(KEY_PEM) };
    }, [{ field: "users[admin].user.client-certificate", message: /^a file path \("c\.crt"\)/ }]],
    ["client-key", (c) => {
      c.users[0]!.user = { "client-certificate-data": b64(CERT_PEM), "client-key": "c.key" };
    }, [{ field: "users[admin].user.client-key", message: /inline it as client-key-data/ }]],
    ["tokenFile", (c) => c.users[0]!.user = { tokenFile: "/var/token" }, [
      { field: "users[admin].user.tokenFile", message: /inline it as token/ },
    ]],
    ["insecure-skip-tls-verify", (c) => c.clusters[0]!.cluster["insecure-skip-tls-verify"] = true, [
      {
        field: "clusters[east].cluster.insecure-skip-tls-verify",
        message: /^true; plumber always verifies the server certificate/,
      },
    ]],
    ["missing CA", (c) => delete c.clusters[0]!.cluster["certificate-authority-data"], [
      {
        field: "clusters[east].cluster.certificate-authority-data",
        message: /^missing, so the server certificate/,
      },
    ]],
    ["no credential", (c) => c.users[0]!.user = {}, [
      {
        field: "users[admin].user",
        message: /^no credential; store a token or a client certificate and key/,
      },
    ]],
    ["cert without key", (c) => c.users[0]!.user = { "client-certificate-data": b64(CERT_PEM) }, [
      { field: "users[admin].user.client-key-data", message: /^missing while a client certificate is set/ },
    ]],
    ["key without cert", (c) => c.users[0]!.user = { "client-key-data": b64(KEY_PEM) }, [
      { field: "users[admin].user.client-certificate-data", message: /^missing while a client key is set/ },
    ]],
    ["basic auth", (c) => c.users[0]!.user = { username: "bob", password: PASSWORD }, [
      { field: "users[admin].user.username", message: /^basic authentication, which Kubernetes removed/ },
    ]],
    ["password only", (c) => c.users[0]!.user = { token: TOKEN, password: PASSWORD }, [
      { field: "users[admin].user.password", message: /^basic authentication/ },
    ]],
    ["impersonation", (c) => {
      c.users[0]!.user.as = "someone";
      c.users[0]!.user["as-groups"] = ["system:masters"];
    }, [
      { field: "users[admin].user.as", message: /^impersonation/ },
      { field: "users[admin].user.as-groups", message: /^impersonation/ },
    ]],
    ["missing server", (c) => delete c.clusters[0]!.cluster.server, [
      { field: "clusters[east].cluster.server", message: /^missing/ },
    ]],
    ["plain http", (c) => c.clusters[0]!.cluster.server = "http://east:8080", [
      { field: "clusters[east].cluster.server", message: /"http:\/\/east:8080" does not use https/ },
    ]],
    ["not a URL", (c) => c.clusters[0]!.cluster.server = "127.0.0.1:6443", [
      { field: "clusters[east].cluster.server", message: /is not a URL/ },
    ]],
    ["CA not PEM", (c) => c.clusters[0]!.cluster["certificate-authority-data"] = b64("hello"), [
      {
        field: "clusters[east].cluster.certificate-authority-data",
        message: /^not a base64-encoded PEM certificate/,
      },
    ]],
    [
      "cert not base64",
      (c) => c.users[0]!.user = { "client-certificate-data": "%%%", "client-key-data": b64(KEY_PEM) },
      [
        {
          field: "users[admin].user.client-certificate-data",
          message: /^not a base64-encoded PEM certificate/,
        },
      ],
    ],
    [
      "key not a key",
      (c) =>
        c.users[0]!.user = { "client-certificate-data": b64(CERT_PEM), "client-key-data": b64(CERT_PEM) },
      [
        { field: "users[admin].user.client-key-data", message: /^not a base64-encoded PEM private key/ },
      ],
    ],
    ["token with newline", (c) => c.users[0]!.user.token = `${TOKEN}\n`, [
      { field: "users[admin].user.token", message: /contains whitespace or a line break/ },
    ]],
    ["undefined cluster", (c) => c.contexts[0]!.context.cluster = "west", [
      { field: "contexts[east-ctx].context.cluster", message: /^names cluster "west", which is not defined/ },
      { field: "clusters[east]", message: /^not used by any context; remove it/ },
    ]],
    ["undefined user", (c) => c.contexts[0]!.context.user = "nobody", [
      { field: "contexts[east-ctx].context.user", message: /^names user "nobody", which is not defined/ },
      { field: "users[admin]", message: /^not used by any context/ },
    ]],
  ];
  for (const [label, patch, expected] of cases) {
    const problems = storageProblems(oneContext(patch));
    assert.equal(problems.length, expected.length, `${label}: ${JSON.stringify(problems, null, 2)}`);
    expected.forEach((want, i) => {
      const got = problems[i]!;
      assert.equal(got.field, want.field, label);
      assert.equal(
        got.context,
        want.field.includes(".") ? "east-ctx" : "",
        `${label}: context of ${got.field}`,
      );
      assert.ok(!got.message.includes(got.field), `${label}: message does not repeat the field`);
      assert.match(got.message, want.message, label);
      assert.ok(!got.message.includes(TOKEN) && !got.message.includes(PASSWORD), `${label}: no secret`);
    });
  }
});

Deno.test("storageProblems() accepts a cluster without CA when allowMissingCA is set", () => {
  const config = oneContext((c) => delete c.clusters[0]!.cluster["certificate-authority-data"]);
  assert.deepEqual(storageProblems(config, { allowMissingCA: true }), []);
  validateForStorage(config, { allowMissingCA: true });
});

Deno.test("validateForStorage() throws one error listing every problem", () => {
  const config = parseKubeconfig(seedText());
  config.users[1]!.user = { exec: { command: "kubelogin" } };
  config.clusters[2]!.cluster["insecure-skip-tls-verify"] = true;
  config.users[2]!.user["client-key"] = "/home/me/admin3.key";
  delete config.users[2]!.user["client-key-data"];
  assert.throws(() => validateForStorage(config), (error: unknown) => {
    assert.ok(error instanceof KubeconfigStorageError);
    assert.deepEqual(error.problems.map((p) => [p.context, p.field]), [
      ["kubernetes-admin2@v1262-cluster", "users[kubernetes-admin2].user.exec"],
      ["kubernetes-admin3@v1252-cluster", "clusters[v1252-cluster].cluster.insecure-skip-tls-verify"],
      ["kubernetes-admin3@v1252-cluster", "users[kubernetes-admin3].user.client-key"],
    ]);
    const lines = error.message.split("\n");
    assert.equal(lines[0], "Cannot store kubeconfig: 3 problems:");
    assert.match(
      lines[1]!,
      /^ {2}- users\[kubernetes-admin2\]\.user\.exec \(context "kubernetes-admin2@v1262-cluster"\): a credential plugin \(command "kubelogin"\); plumber does not run credential plugins/,
    );
    assert.equal(lines.length, 4);
    return true;
  });
});

// --- connections ---------------------------------------------------------------------------------

Deno.test("resolveConnection() decodes *-data into PEM strings", () => {
  const config = parseKubeconfig(seedText());
  const conn = resolveConnection(config, "kubernetes-admin3@v1252-cluster");
  assert.deepEqual(Object.keys(conn).sort(), [
    "caPem",
    "certPem",
    "cluster",
    "contextName",
    "keyPem",
    "server",
    "user",
  ]);
  assert.equal(conn.contextName, "kubernetes-admin3@v1252-cluster");
  assert.equal(conn.cluster, "v1252-cluster");
  assert.equal(conn.user, "kubernetes-admin3");
  assert.equal(conn.server, "https://127.0.0.1:6445");
  assert.match(conn.caPem!, /^-----BEGIN CERTIFICATE-----\nMIIBca3/);
  assert.match(conn.certPem!, /^-----BEGIN CERTIFICATE-----\nMIIBclient3/);
  assert.match(conn.keyPem!, /^-----BEGIN RSA PRIVATE KEY-----\nMIIEclient3/);
});

// That the client honours what is passed on here is tested against a real API server
// in tests/client_test.ts ("KubeClient honours proxy-url ..." and "... tls-server-name ...").
Deno.test("resolveConnection() defaults to current-context and passes token, TLS name and proxy on", () => {
  const config = oneContext((c) => {
    c.clusters[0]!.cluster["tls-server-name"] = "api.internal";
    c.clusters[0]!.cluster["proxy-url"] = "http://proxy:3128";
  });
  assert.deepEqual(resolveConnection(config), {
    contextName: "east-ctx",
    cluster: "east",
    user: "admin",
    server: "https://east.example:6443",
    caPem: CA_PEM,
    token: TOKEN,
    tlsServerName: "api.internal",
    proxyUrl: "http://proxy:3128",
  });
  assert.throws(() => resolveConnection(oneContext((c) => delete c["current-context"])), {
    message:
      'Cannot resolve a connection: no context was given and current-context is not set; known contexts: "east-ctx"',
  });
  assert.throws(
    () => resolveConnection(config, "west"),
    /context "west" is not in the kubeconfig; known contexts: "east-ctx"/,
  );
});

Deno.test("resolveConnection() refuses a proxy-url or tls-server-name the client cannot honour", () => {
  const resolve = (cluster: Record<string, string>) => () =>
    resolveConnection(oneContext((c) => Object.assign(c.clusters[0]!.cluster, cluster)));
  assert.throws(resolve({ "proxy-url": "socks4://proxy:1080" }), {
    message:
      'Cannot connect with context "east-ctx": clusters[east].cluster.proxy-url "socks4://proxy:1080" has the unsupported scheme "socks4"; use http://, https:// or socks5://',
  });
  assert.throws(
    resolve({ "tls-server-name": "api.internal", "proxy-url": "socks5://proxy:1080" }),
    /^Error: Cannot connect with context "east-ctx": clusters\[east\]\.cluster\.tls-server-name "api\.internal" is set together with proxy-url "socks5:\/\/proxy:1080"/,
  );
  assert.throws(
    resolve({ server: "http://127.0.0.1:8001", "tls-server-name": "api.internal" }),
    /clusters\[east\]\.cluster\.tls-server-name is set but server "http:\/\/127\.0\.0\.1:8001" does not use https/,
  );
});

Deno.test("resolveConnection() reads referenced files against baseDir and leaves tokenFile to the client", async () => {
  await withTempDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/ca.crt`, CA_PEM);
    await Deno.writeTextFile(`${dir}/client.crt`, CERT_PEM);
    await Deno.writeTextFile(`${dir}/client.key`, KEY_PEM);
    const config = oneContext((c) => {
      c.clusters[0]!.cluster = { server: "https://east:6443", "certificate-authority": "ca.crt" };
      c.users[0]!.user = {
        "client-certificate": `${dir}/client.crt`,
        "client-key": "client.key",
        tokenFile: "sa/token",
      };
    });
    assert.deepEqual(resolveConnection(config, "east-ctx", { baseDir: dir }), {
      contextName: "east-ctx",
      cluster: "east",
      user: "admin",
      server: "https://east:6443",
      caPem: CA_PEM,
      certPem: CERT_PEM,
      keyPem: KEY_PEM,
      tokenFile: `${dir}/sa/token`,
    });
    await Deno.writeTextFile(`${dir}/ca.crt`, "not a certificate");
    assert.throws(() => resolveConnection(config, "east-ctx", { baseDir: dir }), {
      message:
        `Cannot connect with context "east-ctx": clusters[east].cluster.certificate-authority "${dir}/ca.crt" is not a PEM certificate`,
    });
  });
});

Deno.test("resolveConnection() refuses credential plugins, naming context and field", () => {
  const exec = oneContext((c) =>
    c.users[0]!.user = { exec: { command: "aws", env: [{ name: "K", value: EXEC_SECRET }] } }
  );
  assert.throws(() => resolveConnection(exec, "east-ctx"), (error: Error) => {
    assert.match(
      error.message,
      /^Cannot connect with context "east-ctx": users\[admin\]\.user\.exec is a credential plugin \(command "aws"\); plumber does not run credential plugins/,
    );
    assert.ok(!error.message.includes(EXEC_SECRET));
    return true;
  });
  const provider = oneContext((c) =>
    c.users[0]!.user = { "auth-provider": { name: "gcp", config: { "access-token": TOKEN } } }
  );
  assert.throws(() => resolveConnection(provider, "east-ctx"), (error: Error) => {
    assert.match(
      error.message,
      /context "east-ctx": users\[admin\]\.user\.auth-provider is a credential plugin \("gcp"\)/,
    );
    assert.ok(!error.message.includes(TOKEN));
    return true;
  });
});

Deno.test("resolveConnection() refuses what it cannot honour", () => {
  const cases: [string, (c: Kubeconfig) => void, string | RegExp][] = [
    [
      "basic auth",
      (c) => c.users[0]!.user = { username: "bob", password: PASSWORD },
      "users[admin].user.username is basic authentication, which Kubernetes removed in 1.19; use a token or a client certificate",
    ],
    [
      "impersonation",
      (c) => c.users[0]!.user["as-uid"] = "42",
      "users[admin].user.as-uid is impersonation, which plumber does not support",
    ],
    [
      "insecure",
      (c) => c.clusters[0]!.cluster["insecure-skip-tls-verify"] = true,
      /clusters\[east\]\.cluster\.insecure-skip-tls-verify is true/,
    ],
    [
      "missing server",
      (c) => delete c.clusters[0]!.cluster.server,
      "clusters[east].cluster.server is missing",
    ],
    [
      "bad server",
      (c) => c.clusters[0]!.cluster.server = "ftp://east",
      'clusters[east].cluster.server "ftp://east" is not an http(s) URL',
    ],
    [
      "cert without key",
      (c) => c.users[0]!.user = { "client-certificate-data": b64(CERT_PEM) },
      "users[admin].user has a client certificate but no client-key-data or client-key",
    ],
    [
      "key without cert",
      (c) => c.users[0]!.user = { "client-key-data": b64(KEY_PEM) },
      "users[admin].user has a client key but no client-certificate-data or client-certificate",
    ],
    [
      "bad key data",
      (c) => c.users[0]!.user = { "client-certificate-data": b64(CERT_PEM), "client-key-data": "!!" },
      "users[admin].user.client-key-data is not a base64-encoded PEM private key",
    ],
    [
      "bad CA data",
      (c) => c.clusters[0]!.cluster["certificate-authority-data"] = b64("nope"),
      "clusters[east].cluster.certificate-authority-data is not a base64-encoded PEM certificate",
    ],
    [
      "relative path",
      (c) => c.users[0]!.user = { tokenFile: "token" },
      `users[admin].user.tokenFile "token" is a relative path and no baseDir (the kubeconfig's folder) was given`,
    ],
  ];
  for (const [label, patch, expected] of cases) {
    const config = oneContext(patch);
    if (typeof expected === "string") {
      assert.throws(() => resolveConnection(config, "east-ctx"), {
        message: `Cannot connect with context "east-ctx": ${expected}`,
      }, label);
    } else {
      assert.throws(() => resolveConnection(config, "east-ctx"), expected, label);
    }
  }
});

Deno.test("resolveConnection() allows a plain-http server such as kubectl proxy", () => {
  const config = oneContext((c) => {
    c.clusters[0]!.cluster = { server: "http://127.0.0.1:8001" };
    c.users[0]!.user = {};
  });
  assert.deepEqual(resolveConnection(config), {
    contextName: "east-ctx",
    cluster: "east",
    user: "admin",
    server: "http://127.0.0.1:8001",
  });
});

Deno.test("inClusterConnection() builds the pod's connection from env and the ServiceAccount folder", async () => {
  await withTempDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/ca.crt`, CA_PEM);
    await Deno.writeTextFile(`${dir}/token`, JWT);
    const env = { KUBERNETES_SERVICE_HOST: "10.96.0.1", KUBERNETES_SERVICE_PORT: "443" };
    assert.deepEqual(inClusterConnection({ env, saDir: `${dir}/` }), {
      contextName: "in-cluster",
      cluster: "kubernetes",
      user: "plumber",
      server: "https://10.96.0.1:443",
      caPem: CA_PEM,
      tokenFile: `${dir}/token`,
    });
    const ipv6 = inClusterConnection({
      env: { KUBERNETES_SERVICE_HOST: "fd00:10:96::1", KUBERNETES_SERVICE_PORT: "443" },
      saDir: dir,
    });
    assert.equal(ipv6.server, "https://[fd00:10:96::1]:443");
  });
});

Deno.test("inClusterConnection() does not read the token and reads through readFile", () => {
  const read: string[] = [];
  const conn = inClusterConnection({
    env: { KUBERNETES_SERVICE_HOST: "10.0.0.1", KUBERNETES_SERVICE_PORT: "6443" },
    readFile: (path) => {
      read.push(path);
      return new TextEncoder().encode(CA_PEM);
    },
  });
  assert.deepEqual(read, ["/var/run/secrets/kubernetes.io/serviceaccount/ca.crt"]);
  assert.equal(conn.tokenFile, "/var/run/secrets/kubernetes.io/serviceaccount/token");
  assert.equal(conn.token, undefined);
});

Deno.test("inClusterConnection() explains when it is not in a cluster", async () => {
  assert.throws(() => inClusterConnection({ env: {} }), {
    message:
      "Cannot load in-cluster configuration: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set, so plumber is not running in a pod; use a kubeconfig instead",
  });
  assert.throws(
    () =>
      inClusterConnection({ env: { KUBERNETES_SERVICE_HOST: "10.0.0.1", KUBERNETES_SERVICE_PORT: "https" } }),
    { message: 'Cannot load in-cluster configuration: KUBERNETES_SERVICE_PORT "https" is not a port number' },
  );
  await withTempDir((dir) => {
    const env = { KUBERNETES_SERVICE_HOST: "10.0.0.1", KUBERNETES_SERVICE_PORT: "443" };
    assert.throws(
      () => inClusterConnection({ env, saDir: dir }),
      new RegExp(
        `^Error: Cannot load in-cluster configuration: cannot read the ServiceAccount CA "${dir}/ca\\.crt": `,
      ),
    );
  });
});

// --- names ---------------------------------------------------------------------------------------

Deno.test("clusterDetectorName() accepts the seed's cluster and user names", () => {
  assert.equal(clusterDetectorName("kubernetes", "kubernetes-admin"), "kubernetes.kubernetes-admin");
  assert.equal(clusterDetectorName("v1262-cluster", "kubernetes-admin2"), "v1262-cluster.kubernetes-admin2");
  assert.equal(clusterDetectorName("v1252-cluster", "kubernetes-admin3"), "v1252-cluster.kubernetes-admin3");
  assert.equal(clusterDetectorName("kubernetes", "plumber"), "kubernetes.plumber");
});

Deno.test("clusterDetectorName() refuses names that are not RFC 1123 subdomains", () => {
  assert.throws(() => clusterDetectorName("Foo_Bar", "admin"), {
    name: "RangeError",
    message:
      `Cannot register cluster: name "Foo_Bar.admin" is not an RFC 1123 subdomain; rename the cluster or user in the kubeconfig (e.g. kubectl config rename-context / set-cluster / set-credentials) to lower-case letters, digits, '-' and '.'`,
  });
  assert.throws(() => clusterDetectorName("East", "admin"), RangeError, "upper case");
  assert.throws(() => clusterDetectorName("east", "kubernetes_admin"), RangeError, "underscore");
  assert.throws(
    () => clusterDetectorName("kind-east", "kind@east"),
    RangeError,
    "kubectl's user@cluster style",
  );
  assert.throws(() => clusterDetectorName("east", ""), RangeError, "empty user");
  const long = "a".repeat(200);
  assert.throws(() => clusterDetectorName(long, "b".repeat(60)), {
    name: "RangeError",
    message: /is not an RFC 1123 subdomain \(it has 261 characters; at most 253 are allowed\)/,
  });
});

Deno.test("isRfc1123Subdomain() follows Kubernetes' definition", () => {
  for (const ok of ["a", "0", "a-b.c-d", "1.2.3", "a".repeat(253), `${"a".repeat(100)}.${"b".repeat(100)}`]) {
    assert.ok(isRfc1123Subdomain(ok), ok);
  }
  for (const bad of ["", "a".repeat(254), "-a", "a-", "a..b", ".a", "a.", "A", "a_b", "a b", "a@b", "ä"]) {
    assert.ok(!isRfc1123Subdomain(bad), bad);
  }
});

// --- redaction -----------------------------------------------------------------------------------

Deno.test("redactKubeconfig() leaves no key, certificate, token or password in the output", () => {
  const config = everySecret();
  config.users[0]!.user["client-key"] = "/home/me/secret.key";
  const before = structuredClone(config);
  const redacted = redactKubeconfig(config);
  assert.deepEqual(config, before, "input untouched");
  const text = serializeKubeconfig(redacted);
  assertNoSecret(text);
  assertNoSecret(JSON.stringify(redacted));
  const certs = redacted.users[0]!.user;
  assert.equal(certs["client-key-data"], "REDACTED");
  assert.equal(certs["client-certificate-data"], "REDACTED");
  assert.equal(certs["client-key"], "REDACTED");
  assert.equal(certs.token, "REDACTED");
  assert.equal(certs.password, "REDACTED");
  assert.equal(certs.username, "bob", "user names are not secret");
  assert.equal(redacted.clusters[0]!.cluster["certificate-authority-data"], "REDACTED");
  assert.equal(redacted.clusters[0]!.cluster.server, "https://east.example:6443");
  assert.equal(redacted.clusters[0]!.cluster["proxy-url"], "http://proxyuser:REDACTED@proxy.example:3128/");
  assert.deepEqual(redacted.users[2]!.user.exec?.env, [{ name: "SECRET", value: "REDACTED" }]);
  assert.deepEqual(redacted.users[2]!.user.exec?.args, ["--token", "REDACTED", "--password=REDACTED"]);
  assert.equal(redacted.users[3]!.user["auth-provider"]?.name, "oidc");
});

Deno.test("redactText() leaves no secret in a serialized kubeconfig, as YAML or JSON", () => {
  const config = everySecret();
  // An exec env value looks like any other value; only redactKubeconfig() can know it is secret.
  config.users[2]!.user.exec!.env = [];
  // Decoded PEMs too, as they would appear in an error that quoted file content.
  const decoded = `${CA_PEM}\n${CERT_PEM}\n${KEY_PEM}`;
  for (
    const text of [
      serializeKubeconfig(config),
      JSON.stringify(config),
      JSON.stringify(config, null, 2),
      decoded,
    ]
  ) {
    assertNoSecret(redactText(text));
  }
  assertNoSecret(redactText(JSON.stringify(JSON.stringify(config))));
});

Deno.test("redactText() replaces PEM blocks, bearer tokens, JWTs and secret values", () => {
  assert.equal(
    redactText(`ca:\n${CA_PEM}done`),
    "ca:\n-----BEGIN CERTIFICATE-----REDACTED-----END CERTIFICATE-----\ndone",
  );
  assert.equal(
    redactText("-----BEGIN PRIVATE KEY-----\nMIIEtruncated"),
    "-----BEGIN PRIVATE KEY-----REDACTED-----END PRIVATE KEY-----",
  );
  assert.equal(
    redactText(`GET /api Authorization: Bearer ${TOKEN} 401`),
    "GET /api Authorization: Bearer REDACTED 401",
  );
  assert.equal(redactText("authorization: Basic Ym9iOmh1bnRlcjI="), "authorization: Basic REDACTED");
  assert.equal(redactText(`token ${JWT} expired`), "token REDACTED expired");
  assert.equal(
    redactText(`    token: ${TOKEN}\n    tokenFile: /t`),
    "    token: REDACTED\n    tokenFile: /t",
  );
  assert.equal(
    redactText(`{"password":"${PASSWORD}","username":"bob"}`),
    '{"password":"REDACTED","username":"bob"}',
  );
  assert.equal(redactText(`client-key-data: '${b64("x")}'`), "client-key-data: 'REDACTED'");
  assert.equal(redactText(`login --password=${PASSWORD} --user bob`), "login --password=REDACTED --user bob");
  assert.equal(redactText(`id-token=${PROVIDER_SECRET}, ok`), "id-token=REDACTED, ok");
  assert.equal(
    redactText(`user:\n  client-key-data: |\n    ${b64(KEY_PEM)}\n    more\n  token: x\nnext: 1`),
    "user:\n  client-key-data: REDACTED\n  token: REDACTED\nnext: 1",
  );
  assert.equal(redactText(`data ${b64(KEY_PEM)} end`), "data REDACTED end");
  assert.equal(
    redactText(`401 (token=${TOKEN}&watch=1) via https://bob:${PASSWORD}@proxy:3128/`),
    "401 (token=REDACTED&watch=1) via https://bob:REDACTED@proxy:3128/",
  );
  assert.equal(
    redactText(JSON.stringify({ args: ["--token", TOKEN, "-v"] }, null, 1)),
    '{\n "args": [\n  "--token",\n  "REDACTED",\n  "-v"\n ]\n}',
  );
  assert.equal(
    redactText(`{"kind":"Secret","data":{"kubeconfig":"${b64("apiVersion: v1")}"}}`),
    '{"kind":"Secret","data":{"kubeconfig":"REDACTED"}}',
  );
  const harmless =
    "server: https://127.0.0.1:6443\ncontext: kind-east\ntokenFile: /var/run/token\nnamespace: apps";
  assert.equal(redactText(harmless), harmless);
});

// --- hash ----------------------------------------------------------------------------------------

Deno.test("kubeconfigHash() changes with the token but not with the context's namespace", async () => {
  const base = await kubeconfigHash(oneContext(), "east-ctx");
  assert.match(base, /^[0-9a-f]{64}$/);
  assert.equal(await kubeconfigHash(oneContext(), "east-ctx"), base, "deterministic");
  assert.equal(
    await kubeconfigHash(oneContext((c) => c.contexts[0]!.context.namespace = "elsewhere"), "east-ctx"),
    base,
  );
  assert.equal(
    await kubeconfigHash(oneContext((c) => c.contexts[0]!.name = "renamed"), "renamed"),
    base,
    "context name is not a credential",
  );
  assert.notEqual(
    await kubeconfigHash(oneContext((c) => c.users[0]!.user.token = "rotated"), "east-ctx"),
    base,
  );
  assert.notEqual(
    await kubeconfigHash(oneContext((c) => c.clusters[0]!.cluster.server = "https://moved:6443"), "east-ctx"),
    base,
  );
  assert.notEqual(
    await kubeconfigHash(
      oneContext((c) => c.clusters[0]!.cluster["certificate-authority-data"] = b64(CERT_PEM)),
      "east-ctx",
    ),
    base,
  );
});

Deno.test("kubeconfigHash() refuses contexts it cannot resolve", async () => {
  await assert.rejects(
    kubeconfigHash(oneContext((c) => c.users[0]!.user = { exec: { command: "aws" } }), "east-ctx"),
    /users\[admin\]\.user\.exec is a credential plugin/,
  );
});
