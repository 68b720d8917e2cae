import assert from "node:assert/strict";
import { isSecretFlag, redactText, redactUrl } from "./redact.ts";

const CA_PEM = "-----BEGIN CERTIFICATE-----\nMIIBcaBODYxxxxCAfake\n-----END CERTIFICATE-----\n";
const KEY_PEM = "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIkeyBODYsecretfake\n-----END EC PRIVATE KEY-----\n";
const TOKEN = "s3cr3t-static-token-abc123";
const JWT = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW06c2EifQ.c2lnbmF0dXJlLXNlY3JldA";
const PASSWORD = "hunter2-password";
const PROVIDER_SECRET = "oidc-refresh-secret";
const b64 = (text: string) => btoa(text);

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
Deno.test("redactText() keeps file paths that end in a secret key's name", () => {
  for (
    const message of [
      "Cannot read kubeconfig /x/kubeconfig: no such file",
      "Cannot read kubeconfig /x/kubeconfig: No such file or directory (os error 2)",
      "Cannot read kubeconfig /home/me/.kube/kubeconfig: permission denied",
      'cannot read users[sa].user.tokenFile "/var/run/secrets/kubernetes.io/serviceaccount/token": No such file',
      "open /var/run/secrets/kubernetes.io/serviceaccount/token: permission denied",
      "open /etc/plumber/password: Permission denied (os error 13)",
      "read C:\\Users\\me\\token: Access is denied",
      "read ./token: no such file or directory",
      "read ~/token: no such file or directory",
      'cannot read users[a].user.client-key "/home/me/client.key": Is a directory',
      "open /etc/plumber/client-key-data: No such file or directory",
      "open /etc/plumber/secret: Not a directory",
      "No such file or directory (os error 2): readfile '/x/kubeconfig'",
    ]
  ) {
    assert.equal(redactText(message), message);
  }
});

Deno.test("redactText() keeps a secret key's name followed by prose", () => {
  for (
    const message of [
      "Cannot read kubeconfig kubeconfig: No such file or directory",
      "Cannot read kubeconfig kubeconfig: no such file",
      "invalid token: the server has asked for the client to provide credentials",
      "users[admin].user has password: must not be empty",
      "flag --token is not supported; use --kubeconfig",
      "the bearer token is invalid",
      "Unauthorized: Bearer token expired or revoked",
    ]
  ) {
    assert.equal(redactText(message), message);
  }
});

Deno.test("redactText() keeps Kubernetes API errors that name Secrets and keys", () => {
  for (
    const message of [
      'secrets "plumber-kubeconfig" is forbidden: User "system:serviceaccount:plumber-system:plumber" cannot get resource "secrets" in API group "" in the namespace "plumber-system"',
      'Secret "plumber-secondaries" not found',
      'Secret plumber-system/plumber-secondaries has no key "kubeconfig"',
      'Secret "plumber-secondaries" is invalid: data[kubeconfig]: Invalid value: "<secret contents redacted>": must be valid',
      'serviceaccounts "plumber" is forbidden: cannot create resource "serviceaccounts/token" in API group ""',
      "the server could not find the requested resource (get secrets plumber-kubeconfig)",
      'Cannot store the kubeconfig (1 problem): users[admin].user.exec: a credential plugin (command "aws")',
    ]
  ) {
    assert.equal(redactText(message), message);
  }
});

Deno.test("redactText() still redacts secrets next to ordinary words", () => {
  assert.equal(redactText(`token: ${TOKEN}`), "token: REDACTED");
  assert.equal(redactText(`reading token: ${TOKEN} failed`), "reading token: REDACTED failed");
  assert.equal(redactText("token: abc"), "token: REDACTED", "a word with nothing after it is a value");
  assert.equal(
    redactText("  password: correct horse"),
    "  password: REDACTED horse",
    "a YAML line is a value",
  );
  assert.equal(redactText(`kubeconfig: ${b64("apiVersion: v1\nkind: Config")}`), "kubeconfig: REDACTED");
  assert.equal(redactText(`data:\n  kubeconfig: YXBpVmVyc2lvbjogdjE=\n`), "data:\n  kubeconfig: REDACTED\n");
  assert.equal(redactText(`client-key-data: ${b64(KEY_PEM)}`), "client-key-data: REDACTED");
  assert.equal(redactText(`{"token": "${TOKEN}"}`), '{"token": "REDACTED"}');
  assert.equal(redactText("password=secret value"), "password=REDACTED value", "key=value is never prose");
  assert.equal(redactText(`--token ${TOKEN} -v`), "--token REDACTED -v");
  assert.equal(redactText("--password=word and more"), "--password=REDACTED and more");
  assert.equal(redactText(`Authorization: Bearer ${TOKEN}`), "Authorization: Bearer REDACTED");
  assert.equal(redactText("Authorization: Bearer abc"), "Authorization: Bearer REDACTED");
  assert.equal(
    redactText(`Cannot read kubeconfig /x/kubeconfig: ${KEY_PEM}`),
    "Cannot read kubeconfig /x/kubeconfig: -----BEGIN EC PRIVATE KEY-----REDACTED-----END EC PRIVATE KEY-----\n",
  );
  assert.equal(
    redactText(`open https://bob:${PASSWORD}@proxy:3128/token: refused`),
    "open https://bob:REDACTED@proxy:3128/token: refused",
  );
});

Deno.test("isSecretFlag() knows the flags whose next argument is a secret", () => {
  assert.ok(isSecretFlag("--token"));
  assert.ok(isSecretFlag("-password"));
  assert.ok(!isSecretFlag("--token=x"));
  assert.ok(!isSecretFlag("--kubeconfig"));
});

Deno.test("redactUrl() replaces only the password of a URL", () => {
  assert.equal(redactUrl(`http://bob:${PASSWORD}@proxy:3128`), "http://bob:REDACTED@proxy:3128/");
  assert.equal(redactUrl("https://east.example:6443"), "https://east.example:6443");
  assert.equal(redactUrl("not a url: x"), "not a url: x");
});
