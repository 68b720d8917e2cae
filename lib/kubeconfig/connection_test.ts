import assert from "node:assert/strict";
import {
  clusterDetectorName,
  inClusterConnection,
  isRfc1123Subdomain,
  kubeconfigHash,
  resolveConnection,
} from "./connection.ts";
import { parseKubeconfig } from "./parse.ts";
import type { Kubeconfig } from "./types.ts";
import {
  b64,
  CA_PEM,
  CERT_PEM,
  EXEC_SECRET,
  JWT,
  KEY_PEM,
  oneContext,
  PASSWORD,
  seedText,
  TOKEN,
  withTempDir,
} from "./_test_util.ts";

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
