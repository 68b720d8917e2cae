/**
 * Other implementations accept the certificates: openssl verifies the chains and reads the
 * extensions, and Deno's TLS stack (rustls) completes a handshake with them.
 *
 * @module
 */

import assert from "node:assert/strict";
import { ca, client, openssl, server, withTempDir } from "./_test_util.ts";
import { createCertificateAuthority, issueServerCertificate } from "./issue.ts";

Deno.test("openssl verifies the server and client chains, each for its own purpose only", async () => {
  await withTempDir(async (dir) => {
    const otherCa = await createCertificateAuthority({
      commonName: "plumber-test-ca",
      organizations: ["plumber"],
    });
    await Deno.writeTextFile(`${dir}/ca.pem`, ca.certPem);
    await Deno.writeTextFile(`${dir}/other-ca.pem`, otherCa.certPem);
    await Deno.writeTextFile(`${dir}/server.pem`, server.certPem);
    await Deno.writeTextFile(`${dir}/client.pem`, client.certPem);
    const verify = (caFile: string, purpose: string, leaf: string) =>
      openssl([
        "verify",
        "-x509_strict",
        "-purpose",
        purpose,
        "-CAfile",
        `${dir}/${caFile}`,
        `${dir}/${leaf}`,
      ]);

    for (const [purpose, leaf] of [["sslserver", "server.pem"], ["sslclient", "client.pem"]]) {
      const ok = await verify("ca.pem", purpose!, leaf!);
      assert.equal(ok.code, 0, ok.stderr);
      assert.equal(ok.stdout.trim(), `${dir}/${leaf}: OK`);
    }
    const wrongPurpose = await verify("ca.pem", "sslserver", "client.pem");
    assert.notEqual(wrongPurpose.code, 0);
    assert.match(wrongPurpose.stdout + wrongPurpose.stderr, /unsuitable certificate purpose/);
    // Same subject, different key: only the signature tells them apart.
    const wrongCa = await verify("other-ca.pem", "sslserver", "server.pem");
    assert.notEqual(wrongCa.code, 0);
    assert.match(wrongCa.stdout + wrongCa.stderr, /signature failure|unable to get local issuer/);
  });
});

Deno.test("openssl sees the CA, server and client extensions", async () => {
  await withTempDir(async (dir) => {
    const text = async (name: string, pem: string) => {
      await Deno.writeTextFile(`${dir}/${name}`, pem);
      const out = await openssl(["x509", "-noout", "-text", "-in", `${dir}/${name}`]);
      assert.equal(out.code, 0, out.stderr);
      return out.stdout;
    };
    const caText = await text("ca.pem", ca.certPem);
    assert.match(caText, /X509v3 Basic Constraints: critical\n\s+CA:TRUE\n/);
    assert.match(caText, /X509v3 Key Usage: critical\n\s+Digital Signature, Certificate Sign, CRL Sign\n/);
    const caKeyId = /X509v3 Subject Key Identifier: *\n\s+([0-9A-F:]+)\n/.exec(caText)?.[1];
    assert.ok(caKeyId, caText);
    assert.match(caText, /Signature Algorithm: ecdsa-with-SHA256/);
    assert.match(caText, /Subject: O = plumber, CN = plumber-test-ca\n/);

    const serverText = await text("server.pem", server.certPem);
    assert.match(serverText, /X509v3 Basic Constraints: critical\n\s+CA:FALSE\n/);
    assert.match(serverText, /X509v3 Key Usage: critical\n\s+Digital Signature\n/);
    assert.match(serverText, /X509v3 Extended Key Usage: *\n\s+TLS Web Server Authentication\n/);
    assert.match(
      serverText,
      /X509v3 Subject Alternative Name: *\n\s+DNS:localhost, DNS:kubernetes\.default\.svc, IP Address:127\.0\.0\.1, IP Address:0:0:0:0:0:0:0:1\n/,
    );
    assert.match(serverText, new RegExp(`X509v3 Authority Key Identifier: *\\n\\s+(keyid:)?${caKeyId}\\n`));
    assert.match(serverText, /X509v3 Subject Key Identifier:/);

    const clientText = await text("client.pem", client.certPem);
    assert.match(clientText, /X509v3 Extended Key Usage: *\n\s+TLS Web Client Authentication\n/);
    assert.match(clientText, /Subject: O = system:masters, CN = kubernetes-admin\n/);
    assert.doesNotMatch(clientText, /Subject Alternative Name/);

    const dualText = await text(
      "dual.pem",
      (await issueServerCertificate(ca, { commonName: "etcd", ipAddresses: ["127.0.0.1"], clientAuth: true }))
        .certPem,
    );
    assert.match(
      dualText,
      /X509v3 Extended Key Usage: *\n\s+TLS Web Server Authentication, TLS Web Client Authentication\n/,
    );

    // The private keys are PKCS#8 that openssl reads and that match the certificates.
    await Deno.writeTextFile(`${dir}/server.key`, server.keyPem);
    const fromKey = await openssl(["pkey", "-in", `${dir}/server.key`, "-pubout"]);
    const fromCert = await openssl(["x509", "-in", `${dir}/server.pem`, "-noout", "-pubkey"]);
    assert.equal(fromKey.code, 0, fromKey.stderr);
    assert.equal(fromKey.stdout, fromCert.stdout);
  });
});

Deno.test("Deno accepts the server certificate in a TLS handshake and refuses it under another CA", async () => {
  const controller = new AbortController();
  const listening = Deno.serve({
    port: 0,
    hostname: "127.0.0.1",
    cert: server.certPem,
    key: server.keyPem,
    signal: controller.signal,
    onListen: () => {},
  }, () => new Response("hello over TLS"));
  const url = `https://127.0.0.1:${listening.addr.port}/`;
  const trusting = Deno.createHttpClient({ caCerts: [ca.certPem] });
  const otherCa = await createCertificateAuthority({
    commonName: "plumber-test-ca",
    organizations: ["plumber"],
  });
  const distrusting = Deno.createHttpClient({ caCerts: [otherCa.certPem] });
  try {
    const response = await fetch(url, { client: trusting });
    assert.equal(response.status, 200);
    assert.equal(await response.text(), "hello over TLS");

    const refused = await fetch(url, { client: distrusting }).then(
      async (r) => {
        await r.body?.cancel();
        return undefined;
      },
      (e: Error) => e,
    );
    assert.ok(refused instanceof Error, "a client trusting another CA must not connect");
    assert.match(
      String(refused) + String(refused.cause ?? ""),
      /invalid peer certificate: (BadSignature|UnknownIssuer)/,
    );
  } finally {
    trusting.close();
    distrusting.close();
    controller.abort();
    await listening.finished;
  }
});
