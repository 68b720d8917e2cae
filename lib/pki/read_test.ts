import assert from "node:assert/strict";
import { assertNoKeyMaterial, ca, server } from "./_test_util.ts";
import { readCertificate } from "./read.ts";

Deno.test("readCertificate() reads the first CERTIFICATE block of a bundle", async () => {
  const bundle = `${server.keyPem}${server.certPem}${ca.certPem}`;
  assert.equal((await readCertificate(bundle)).commonName, "kube-apiserver");
  assert.equal((await readCertificate(server.certPem.replaceAll("\n", "\r\n"))).commonName, "kube-apiserver");
});

Deno.test("readCertificate() says so for unparseable PEM, without echoing it", async () => {
  const cases: [string, string][] = [
    ["", `Cannot read certificate: no "CERTIFICATE" PEM block found`],
    ["not a pem at all", `Cannot read certificate: no "CERTIFICATE" PEM block found`],
    [ca.keyPem, `Cannot read certificate: no "CERTIFICATE" PEM block found`],
    [
      "-----BEGIN CERTIFICATE-----\nAAA*\n-----END CERTIFICATE-----\n",
      `Cannot read certificate: the "CERTIFICATE" PEM block is not valid base64`,
    ],
    [
      ca.keyPem.replaceAll("PRIVATE KEY", "CERTIFICATE"),
      `Cannot read certificate: the "CERTIFICATE" PEM block is not a valid X.509 certificate`,
    ],
  ];
  for (const [pem, message] of cases) {
    const error = await readCertificate(pem).then(() => undefined, (e: Error) => e);
    assert.ok(error instanceof Error, `expected a refusal: ${message}`);
    assert.equal(error.name, "Error");
    assert.equal(error.message, message);
    assertNoKeyMaterial(error.message, [ca.keyPem]);
  }
});
