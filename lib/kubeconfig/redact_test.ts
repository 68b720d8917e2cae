import assert from "node:assert/strict";
import { redactText } from "../redact.ts";
import { redactKubeconfig } from "./redact.ts";
import { serializeKubeconfig } from "./serialize.ts";
import { assertNoSecret, CA_PEM, CERT_PEM, everySecret, KEY_PEM } from "./_test_util.ts";

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
