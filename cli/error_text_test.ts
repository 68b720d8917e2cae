import assert from "node:assert/strict";
import { KubeApiError } from "../lib/kube/client.ts";
import { KubeconfigStorageError } from "../lib/kubeconfig/mod.ts";
import { CliError, UsageError } from "../lib/errors.ts";
import { errorLine, explainKubeError } from "./error_text.ts";

Deno.test("explainKubeError() names the server when unreachable and the verb and resource when forbidden", () => {
  const cluster = { context: "secondary1", server: "https://127.0.0.1:1", user: "admin" };
  const refused = new KubeApiError(
    "Cannot get /version on secondary1: error sending request for url (https://127.0.0.1:1/version): client error (Connect): tcp connect error: Connection refused (os error 111)",
    0,
    "ConnectionError",
  );
  assert.equal(
    explainKubeError(refused, cluster).message,
    'Cannot reach the API server of context "secondary1" (https://127.0.0.1:1): connection refused',
  );
  const forbidden = new KubeApiError(
    "Cannot list nodes on secondary1: 403 Forbidden: ...",
    403,
    "Forbidden",
    undefined,
    {
      message:
        'nodes is forbidden: User "system:serviceaccount:plumber-system:plumber" cannot list resource "nodes" in API group "" at the cluster scope',
    },
  );
  assert.equal(
    explainKubeError(forbidden, cluster).message,
    'Forbidden by RBAC in context "secondary1" (https://127.0.0.1:1): nodes is forbidden: User "system:serviceaccount:plumber-system:plumber" cannot list resource "nodes" in API group "" at the cluster scope',
  );
  assert.match(
    explainKubeError(new KubeApiError("x", 401, "Unauthorized"), cluster).message,
    /refused the credentials of user "admin"/,
  );
  const other = new CliError("kept");
  assert.equal(explainKubeError(other, cluster), other);
});

Deno.test("errorLine() prints one line, with the usage hint, and never a secret", () => {
  assert.equal(
    errorLine(new UsageError("unknown flag --foo", "add")),
    "plumberctl: unknown flag --foo; see plumberctl add --help",
  );
  assert.equal(
    errorLine(new UsageError('unknown command "x"', "")),
    'plumberctl: unknown command "x"; see plumberctl --help',
  );
  const storage = new KubeconfigStorageError([
    { context: "a", field: "users[a].user.exec", message: "a credential plugin" },
    { context: "a", field: "clusters[c].cluster.server", message: "missing" },
  ]);
  assert.equal(
    errorLine(storage),
    "plumberctl: Cannot store the kubeconfig (2 problems): users[a].user.exec (context a): a credential plugin; clusters[c].cluster.server (context a): missing",
  );
  assert.equal(errorLine(new Error("first\nsecond")), "plumberctl: first second");
  const jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW0ifQ.c2lnbmF0dXJl";
  const line = errorLine(
    new Error(
      `token: ${jwt} and Bearer ${jwt}\n-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----`,
    ),
  );
  assert.ok(!line.includes(jwt) && !line.includes("MIIB"), line);
  assert.ok(!line.includes("\n"));
});
