/**
 * Other implementations accept the certificates: openssl verifies the chains and reads the
 * extensions, and Deno's TLS stack (rustls) completes a handshake with them.
 *
 * @module
 */

import assert from "node:assert/strict";
import { ca, client, openssl, server, withTempDir } from "./_test_util.ts";
import {
  createCertificateAuthority,
  issueCertificateAuthority,
  issueClient,
  issueServer,
  issueServerCertificate,
} from "./issue.ts";

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

/** An RSA set made with the in-memory CA path, as tls_material makes it (no parse between CA and leaves). */
async function rsaSet() {
  const rsaCa = await issueCertificateAuthority({
    commonName: "ca",
    organizations: ["plumber"],
    algorithm: "rsa-2048",
  });
  const rsaServer = await issueServer(rsaCa, {
    commonName: "server",
    organizations: ["plumber"],
    dnsNames: ["localhost"],
    ipAddresses: ["127.0.0.1"],
    algorithm: "rsa-2048",
  });
  const rsaClient = await issueClient(rsaCa, {
    commonName: "client",
    organizations: ["plumber"],
    algorithm: "rsa-2048",
  });
  return { rsaCa, rsaServer, rsaClient };
}

Deno.test("openssl verifies an RSA set and a CA whose notAfter is past 2049, and reads them", async () => {
  await withTempDir(async (dir) => {
    const { rsaCa, rsaServer, rsaClient } = await rsaSet();
    await Deno.writeTextFile(`${dir}/ca.pem`, rsaCa.certPem);
    await Deno.writeTextFile(`${dir}/server.pem`, rsaServer.certPem);
    await Deno.writeTextFile(`${dir}/client.pem`, rsaClient.certPem);
    for (const [purpose, leaf] of [["sslserver", "server.pem"], ["sslclient", "client.pem"]]) {
      const ok = await openssl([
        "verify",
        "-x509_strict",
        "-purpose",
        purpose!,
        "-CAfile",
        `${dir}/ca.pem`,
        `${dir}/${leaf}`,
      ]);
      assert.equal(ok.code, 0, ok.stdout + ok.stderr);
    }
    const text = await openssl(["x509", "-noout", "-text", "-in", `${dir}/server.pem`]);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /Signature Algorithm: sha256WithRSAEncryption/);
    assert.match(text.stdout, /X509v3 Key Usage: critical\n\s+Digital Signature, Key Encipherment\n/);
    assert.match(text.stdout, /Public-Key: \(2048 bit\)/);

    const late = await issueCertificateAuthority({
      commonName: "late",
      now: new Date(),
      validityDays: 40 * 365,
    });
    const lateLeaf = await issueServer(late, {
      commonName: "s",
      dnsNames: ["s.local"],
      validityDays: 40 * 365,
    });
    await Deno.writeTextFile(`${dir}/late-ca.pem`, late.certPem);
    await Deno.writeTextFile(`${dir}/late-leaf.pem`, lateLeaf.certPem);
    const lateText = await openssl(["x509", "-noout", "-enddate", "-in", `${dir}/late-leaf.pem`]);
    assert.equal(lateText.code, 0, lateText.stderr);
    assert.match(lateText.stdout, new RegExp(`notAfter=.* ${late.notAfter.getUTCFullYear()} GMT`));
    assert.ok(late.notAfter.getUTCFullYear() >= 2050);
    const lateOk = await openssl([
      "verify",
      "-x509_strict",
      "-CAfile",
      `${dir}/late-ca.pem`,
      `${dir}/late-leaf.pem`,
    ]);
    assert.equal(lateOk.code, 0, lateOk.stdout + lateOk.stderr);
  });
});

/** A free TCP port on 127.0.0.1 (bound, then released for the server). */
function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

async function readAll(conn: Deno.Conn): Promise<string> {
  const chunks: Uint8Array[] = [];
  const buffer = new Uint8Array(16384);
  for (;;) {
    const n = await conn.read(buffer);
    if (n === null) break;
    chunks.push(buffer.slice(0, n));
  }
  return new TextDecoder().decode(new Uint8Array(chunks.flatMap((c) => [...c])));
}

Deno.test("mTLS: Deno (rustls) trusts the RSA server certificate and openssl s_server accepts the client certificate", async () => {
  await withTempDir(async (dir) => {
    const { rsaCa, rsaServer, rsaClient } = await rsaSet();
    await Deno.writeTextFile(`${dir}/ca.pem`, rsaCa.certPem);
    await Deno.writeTextFile(`${dir}/server.pem`, rsaServer.certPem);
    await Deno.writeTextFile(`${dir}/server.key`, rsaServer.keyPem);
    const port = freePort();
    // -Verify: a client certificate is required; -verify_return_error: a bad one ends the handshake.
    const child = new Deno.Command("openssl", {
      args: [
        "s_server",
        "-accept",
        `127.0.0.1:${port}`,
        "-cert",
        `${dir}/server.pem`,
        "-key",
        `${dir}/server.key`,
        "-CAfile",
        `${dir}/ca.pem`,
        "-Verify",
        "1",
        "-verify_return_error",
        "-www",
      ],
      stdout: "null",
      stderr: "null",
    }).spawn();
    try {
      const connect = (withClientCert: boolean) =>
        Deno.connectTls({
          hostname: "127.0.0.1",
          port,
          caCerts: [rsaCa.certPem],
          ...(withClientCert ? { cert: rsaClient.certPem, key: rsaClient.keyPem } : {}),
        });
      const deadline = Date.now() + 10_000;
      let conn: Deno.TlsConn | undefined;
      while (!conn) {
        try {
          conn = await connect(true);
        } catch (error) {
          if (!(error instanceof Deno.errors.ConnectionRefused) || Date.now() > deadline) throw error;
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      }
      await conn.handshake();
      await conn.write(new TextEncoder().encode("GET / HTTP/1.0\r\n\r\n"));
      const page = await readAll(conn);
      conn.close();
      assert.match(page, /^HTTP\/1\.0 200 ok/);
      assert.match(page, /Client certificate/);
      assert.match(page, /CN\s*=\s*client/);

      const anonymous = await connect(false);
      const refused = await (async () => {
        await anonymous.handshake();
        await anonymous.write(new TextEncoder().encode("GET / HTTP/1.0\r\n\r\n"));
        return await readAll(anonymous);
      })().then((page) => page, (error: Error) => error);
      anonymous.close();
      assert.ok(
        refused instanceof Error || !/200 ok/.test(refused),
        "s_server must refuse a client without a certificate",
      );
    } finally {
      child.kill();
      await child.status;
    }
  });
});
