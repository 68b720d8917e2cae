import assert from "node:assert/strict";
import { parseKubeconfig } from "./parse.ts";
import { KubeconfigStorageError, storageProblems, validateForStorage } from "./storage.ts";
import type { Kubeconfig } from "./types.ts";
import { b64, CERT_PEM, KEY_PEM, oneContext, PASSWORD, seedText, TOKEN } from "./_test_util.ts";

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
