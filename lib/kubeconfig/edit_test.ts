import assert from "node:assert/strict";
import { extractContext, listContexts, mergeKubeconfig, removeContext } from "./edit.ts";
import { parseKubeconfig } from "./parse.ts";
import { storageProblems, validateForStorage } from "./storage.ts";
import { b64, CA_PEM, CERT_PEM, KEY_PEM, oneContext, seedText, TOKEN, withTempDir } from "./_test_util.ts";

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
