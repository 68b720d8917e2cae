import assert from "node:assert/strict";
import { KubeApiError } from "./client.ts";
import { describeFailure } from "./probe.ts";

Deno.test("describeFailure() keeps the x509 reason and drops the request prefix", () => {
  const error = new KubeApiError(
    "Cannot get /readyz on v1252-cluster.kubernetes-admin3: x509: certificate signed by unknown authority (invalid peer certificate: UnknownIssuer)",
    0,
    "ConnectionError",
  );
  assert.equal(
    describeFailure(error),
    "x509: certificate signed by unknown authority (invalid peer certificate: UnknownIssuer)",
  );
});

Deno.test("describeFailure() gives short reasons for refusals, timeouts and HTTP errors", () => {
  assert.equal(
    describeFailure(
      new KubeApiError(
        "Cannot get /readyz on a: tcp connect error: Connection refused (os error 111)",
        0,
        "ConnectionError",
      ),
    ),
    "connection refused",
  );
  assert.equal(
    describeFailure(new KubeApiError("Cannot get /readyz on a: request timed out", 0, "Timeout")),
    "timed out",
  );
  assert.match(describeFailure(new KubeApiError("x", 401, "Unauthorized")), /credentials were rejected/);
  const forbidden = new KubeApiError(
    'Cannot get Namespace test-ns on kubernetes.plumber: 403 Forbidden: namespaces "test-ns" is forbidden: User "system:serviceaccount:plumber-system:plumber" cannot get resource "namespaces"',
    403,
    "Forbidden",
  );
  assert.match(
    describeFailure(forbidden),
    /^403 Forbidden: namespaces "test-ns" is forbidden: .* cannot get resource "namespaces"$/,
  );
  assert.equal(
    describeFailure(new KubeApiError("Cannot get x on a: 500 InternalError: boom", 500, "InternalError")),
    "500 InternalError: boom",
  );
  assert.equal(describeFailure(new Error("boom")), "boom");
});
