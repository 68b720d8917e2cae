import assert from "node:assert/strict";
import { type StoredTls, tlsSecretData, tlsSecretName, tlsSecretValues } from "./tls_secret.ts";

const STORED: StoredTls = {
  caCertPem: "ca cert",
  caKeyPem: "ca key",
  serverCertPem: "server cert",
  serverKeyPem: "server key",
  clientCertPem: "client cert",
  clientKeyPem: "client key",
};

Deno.test("tlsSecretData() writes the kubernetes.io/tls key names in base64; tlsSecretValues() reads them back", () => {
  const data = tlsSecretData(STORED);
  assert.deepEqual(Object.keys(data).sort(), [
    "ca.crt",
    "ca.key",
    "client.crt",
    "client.key",
    "tls.crt",
    "tls.key",
  ]);
  assert.equal(data["tls.crt"], btoa("server cert"));
  assert.deepEqual(tlsSecretValues(data), STORED);
});

Deno.test("tlsSecretValues() leaves a missing or empty key undefined, and reads no data as all undefined", () => {
  const { "tls.key": _, ...partial } = tlsSecretData(STORED);
  const values = tlsSecretValues({ ...partial, "client.key": "" });
  assert.equal(values.serverKeyPem, undefined);
  assert.equal(values.clientKeyPem, undefined);
  assert.equal(values.caCertPem, "ca cert");
  assert.ok(Object.values(tlsSecretValues(undefined)).every((v) => v === undefined));
  assert.equal(tlsSecretName("web"), "plumber-tls-web");
});
