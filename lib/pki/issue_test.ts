import assert from "node:assert/strict";
import {
  asPem,
  assertNoKeyMaterial,
  ca,
  client,
  DAY_MS,
  derNames,
  importPkcs8,
  NOW,
  NOW_SECONDS,
  openssl,
  server,
  withTempDir,
} from "./_test_util.ts";
import { createCertificateAuthority, issueClientCertificate, issueServerCertificate } from "./issue.ts";
import { readCertificate } from "./read.ts";
import type { CertificateAndKey } from "./types.ts";

Deno.test("createCertificateAuthority() makes a self-signed CA with the given CN, O and lifetime", async () => {
  const made = await createCertificateAuthority({
    commonName: "my-ca",
    organizations: ["Example Org", "system:masters"],
    validityDays: 30,
    now: NOW,
  });
  assert.match(made.certPem, /^-----BEGIN CERTIFICATE-----\n[\s\S]+\n-----END CERTIFICATE-----\n$/);
  assert.match(made.keyPem, /^-----BEGIN PRIVATE KEY-----\n[\s\S]+\n-----END PRIVATE KEY-----\n$/);
  const info = await readCertificate(made.certPem);
  assert.equal(info.commonName, "my-ca");
  assert.deepEqual(info.organizations, ["Example Org", "system:masters"]);
  assert.equal(info.subject, "O=Example Org, O=system:masters, CN=my-ca");
  assert.equal(info.issuer, info.subject);
  assert.equal(info.isCA, true);
  assert.deepEqual(info.dnsNames, []);
  assert.deepEqual(info.ipAddresses, []);
  assert.deepEqual(info.notBefore, new Date(NOW_SECONDS.getTime() - 60_000));
  assert.deepEqual(info.notAfter, new Date(NOW_SECONDS.getTime() + 30 * DAY_MS));
});

Deno.test("createCertificateAuthority() defaults to ten years and an ECDSA P-256 key", async () => {
  const info = await readCertificate(ca.certPem);
  const lifetimeDays = (info.notAfter.getTime() - info.notBefore.getTime() - 60_000) / DAY_MS;
  assert.equal(lifetimeDays, 3650);
  const key = await importPkcs8(ca.keyPem, { name: "ECDSA", namedCurve: "P-256" });
  assert.equal((key.algorithm as EcKeyAlgorithm).namedCurve, "P-256");
});

Deno.test("issueServerCertificate() puts DNS and IP SANs in the certificate", async () => {
  const issued = await issueServerCertificate(ca, {
    commonName: "web",
    dnsNames: ["Example.COM", "*.apps.example.com", "example.com"],
    ipAddresses: ["10.0.0.1", "2001:db8::1", "::ffff:192.0.2.7", "10.0.0.1"],
    organizations: ["plumber"],
  });
  const info = await readCertificate(issued.certPem);
  assert.equal(info.commonName, "web");
  assert.deepEqual(info.organizations, ["plumber"]);
  assert.deepEqual(info.dnsNames, ["example.com", "*.apps.example.com"]);
  // IPv4-mapped IPv6 is encoded as 4 bytes, as Go does; duplicates are dropped.
  assert.deepEqual(info.ipAddresses, ["10.0.0.1", "2001:db8::1", "192.0.2.7"]);
  assert.equal(info.isCA, false);
  assert.equal(info.issuer, (await readCertificate(ca.certPem)).subject);
});

Deno.test("issueServerCertificate() accepts IP SANs alone and DNS SANs alone", async () => {
  const ipOnly = await readCertificate(
    (await issueServerCertificate(ca, { commonName: "a", ipAddresses: ["::1"] })).certPem,
  );
  assert.deepEqual([ipOnly.dnsNames, ipOnly.ipAddresses], [[], ["::1"]]);
  const dnsOnly = await readCertificate(
    (await issueServerCertificate(ca, { commonName: "b", dnsNames: ["b.local"] })).certPem,
  );
  assert.deepEqual([dnsOnly.dnsNames, dnsOnly.ipAddresses], [["b.local"], []]);
});

Deno.test("issueServerCertificate() sets notBefore a minute back and notAfter validityDays ahead", async () => {
  const issued = await issueServerCertificate(ca, {
    commonName: "dated",
    dnsNames: ["dated.local"],
    validityDays: 7,
    now: new Date(Date.now() + 3_600_000),
  });
  const info = await readCertificate(issued.certPem);
  assert.equal(info.notAfter.getTime() - info.notBefore.getTime(), 7 * DAY_MS + 60_000);
  const defaulted = await readCertificate(server.certPem);
  assert.equal(defaulted.notAfter.getTime() - defaulted.notBefore.getTime(), 365 * DAY_MS + 60_000);
});

Deno.test("issueServerCertificate() never outlives its CA", async () => {
  const shortCa = await createCertificateAuthority({ commonName: "short-ca", validityDays: 10, now: NOW });
  const leaf = await issueServerCertificate(shortCa, { commonName: "x", dnsNames: ["x"], now: NOW });
  assert.deepEqual(
    (await readCertificate(leaf.certPem)).notAfter,
    (await readCertificate(shortCa.certPem)).notAfter,
  );
});

Deno.test("every certificate gets a random positive 16-byte serial number", async () => {
  const serials = new Set<string>();
  for (const pem of [ca.certPem, server.certPem, client.certPem]) {
    const serial = (await readCertificate(pem)).serialNumber;
    assert.match(serial, /^[4-7][0-9a-f]{31}$/);
    serials.add(serial);
  }
  assert.equal(serials.size, 3);
});

Deno.test("issueServerCertificate() encodes the issuer byte for byte as the CA's subject", () => {
  // Go and webpki find the issuer by comparing raw names, so a re-encoding that differs breaks chains.
  assert.deepEqual(derNames(server.certPem).issuer, derNames(ca.certPem).subject);
  assert.deepEqual(derNames(client.certPem).issuer, derNames(ca.certPem).subject);
});

Deno.test("issueClientCertificate() puts CN and O in the subject", async () => {
  const info = await readCertificate(client.certPem);
  assert.equal(info.commonName, "kubernetes-admin");
  assert.deepEqual(info.organizations, ["system:masters"]);
  assert.equal(info.subject, "O=system:masters, CN=kubernetes-admin");
  assert.deepEqual([info.dnsNames, info.ipAddresses, info.isCA], [[], [], false]);
});

Deno.test("issueClientCertificate() keeps names with quotes, hashes and non-ASCII literally", async () => {
  const issued = await issueClientCertificate(ca, {
    commonName: '#not-hex "quoted"',
    organizations: ["Équipe, Ops+Dev"],
  });
  const info = await readCertificate(issued.certPem);
  assert.equal(info.commonName, '#not-hex "quoted"');
  assert.deepEqual(info.organizations, ["Équipe, Ops+Dev"]);
});

Deno.test("issueServerCertificate() makes RSA 2048 and RSA 3072 keys on request, also under an RSA CA", async () => {
  const rsaCa = await createCertificateAuthority({ commonName: "rsa-ca", algorithm: "rsa-3072" });
  const leaf = await issueServerCertificate(rsaCa, {
    commonName: "rsa",
    dnsNames: ["rsa.local"],
    algorithm: "rsa-2048",
  });
  const rsa = { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" };
  const caKey = await importPkcs8(rsaCa.keyPem, rsa);
  const leafKey = await importPkcs8(leaf.keyPem, rsa);
  assert.equal((caKey.algorithm as RsaHashedKeyAlgorithm).modulusLength, 3072);
  assert.equal((leafKey.algorithm as RsaHashedKeyAlgorithm).modulusLength, 2048);

  await withTempDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/ca.pem`, rsaCa.certPem);
    await Deno.writeTextFile(`${dir}/leaf.pem`, leaf.certPem);
    const verified = await openssl(["verify", "-x509_strict", "-CAfile", `${dir}/ca.pem`, `${dir}/leaf.pem`]);
    assert.equal(verified.code, 0, verified.stderr);
    const text = (await openssl(["x509", "-noout", "-text", "-in", `${dir}/leaf.pem`])).stdout;
    assert.match(text, /Signature Algorithm: sha256WithRSAEncryption/);
    assert.match(text, /Public-Key: \(2048 bit\)/);
    assert.match(text, /X509v3 Key Usage: critical\n\s+Digital Signature, Key Encipherment\n/);
  });
});

Deno.test("issueServerCertificate() refuses when dnsNames and ipAddresses are both empty", async () => {
  for (const options of [{}, { dnsNames: [], ipAddresses: [] }]) {
    await assert.rejects(issueServerCertificate(ca, { commonName: "x", ...options }), {
      name: "RangeError",
      message: "Cannot issue server certificate: dnsNames and ipAddresses are both empty",
    });
  }
});

Deno.test("issueServerCertificate() names an IP address that is not one", async () => {
  for (
    const ip of [
      "300.1.1.1",
      "1.2.3",
      "01.2.3.4",
      "localhost",
      "fe80::1%eth0",
      "1::2::3",
      "",
      "1:2:3:4:5:6:7:8:9",
    ]
  ) {
    await assert.rejects(issueServerCertificate(ca, { commonName: "x", ipAddresses: [ip] }), {
      name: "RangeError",
      message: `Cannot issue server certificate: ipAddresses entry ${
        JSON.stringify(ip)
      } is not an IPv4 or IPv6 address`,
    });
  }
});

Deno.test("issueServerCertificate() names a DNS name that is not one, or is an IP address", async () => {
  for (const name of ["bad name", "a..b", "-a.example", "example.com."]) {
    await assert.rejects(issueServerCertificate(ca, { commonName: "x", dnsNames: [name] }), {
      name: "RangeError",
      message: `Cannot issue server certificate: dnsNames entry ${
        JSON.stringify(name)
      } is not a valid DNS name`,
    });
  }
  await assert.rejects(issueServerCertificate(ca, { commonName: "x", dnsNames: ["127.0.0.1"] }), {
    name: "RangeError",
    message:
      /^Cannot issue server certificate: dnsNames entry "127\.0\.0\.1" is an IP address; put it in ipAddresses/,
  });
  await assert.rejects(issueServerCertificate(ca, { commonName: "x", dnsNames: [""] }), {
    message: `Cannot issue server certificate: dnsNames entry "" is empty`,
  });
});

Deno.test("every issuing function names an invalid validityDays", async () => {
  for (const validityDays of [0, -1, NaN, Infinity]) {
    const suffix = `validityDays ${validityDays} is not a positive number`;
    await assert.rejects(createCertificateAuthority({ commonName: "x", validityDays }), {
      name: "RangeError",
      message: `Cannot create certificate authority: ${suffix}`,
    });
    await assert.rejects(issueServerCertificate(ca, { commonName: "x", dnsNames: ["x"], validityDays }), {
      name: "RangeError",
      message: `Cannot issue server certificate: ${suffix}`,
    });
    await assert.rejects(issueClientCertificate(ca, { commonName: "x", validityDays }), {
      name: "RangeError",
      message: `Cannot issue client certificate: ${suffix}`,
    });
  }
  await assert.rejects(createCertificateAuthority({ commonName: "x", validityDays: 1e7 }), {
    name: "RangeError",
    message: "Cannot create certificate authority: validityDays 10000000 ends after the year 9999",
  });
});

Deno.test("every issuing function names an invalid commonName, organization, algorithm or now", async () => {
  const cases: [string, (o: Record<string, unknown>) => Promise<unknown>][] = [
    // deno-lint-ignore no-explicit-any
    ["Cannot create certificate authority", (o) => createCertificateAuthority(o as any)],
    // deno-lint-ignore no-explicit-any
    ["Cannot issue server certificate", (o) => issueServerCertificate(ca, { dnsNames: ["x"], ...o } as any)],
    // deno-lint-ignore no-explicit-any
    ["Cannot issue client certificate", (o) => issueClientCertificate(ca, o as any)],
  ];
  for (const [what, call] of cases) {
    await assert.rejects(call({ commonName: "" }), {
      name: "RangeError",
      message: `${what}: commonName "" is empty`,
    });
    await assert.rejects(call({ commonName: "a\nb" }), {
      name: "RangeError",
      message: `${what}: commonName "a\\nb" contains control characters`,
    });
    await assert.rejects(call({ commonName: "x", organizations: ["ok", " "] }), {
      name: "RangeError",
      message: `${what}: organizations entry " " is empty`,
    });
    await assert.rejects(call({ commonName: "x", algorithm: "rsa-1024" }), {
      name: "RangeError",
      message: `${what}: algorithm "rsa-1024" is not one of ecdsa-p256, rsa-2048, rsa-3072`,
    });
    await assert.rejects(call({ commonName: "x", now: new Date(NaN) }), {
      name: "RangeError",
      message: `${what}: now Invalid Date is not a valid Date`,
    });
  }
});

Deno.test("issueServerCertificate() refuses a CA past its validity, or not yet valid", async () => {
  const oldCa = await createCertificateAuthority({ commonName: "old-ca", validityDays: 1, now: NOW });
  const after = new Date(NOW.getTime() + 2 * DAY_MS);
  await assert.rejects(issueServerCertificate(oldCa, { commonName: "x", dnsNames: ["x"], now: after }), {
    name: "Error",
    message:
      `Cannot issue server certificate: CA certificate "CN=old-ca" expired at 2030-03-05T05:06:07.000Z ` +
      `(now is ${after.toISOString()})`,
  });
  await assert.rejects(issueClientCertificate(oldCa, { commonName: "x" }), {
    message: /^Cannot issue client certificate: CA certificate "CN=old-ca" (expired at|is not valid until)/,
  });
  const before = new Date(NOW.getTime() - DAY_MS);
  await assert.rejects(issueClientCertificate(oldCa, { commonName: "x", now: before }), {
    message: `Cannot issue client certificate: CA certificate "CN=old-ca" is not valid until ` +
      `2030-03-04T05:05:07.000Z (now is ${before.toISOString()})`,
  });
});

Deno.test("issueServerCertificate() refuses a CA that does not parse, is not a CA or does not match its key", async () => {
  const otherCa = await createCertificateAuthority({ commonName: "other-ca" });
  const options = { commonName: "x", dnsNames: ["x"] };
  const what = "Cannot issue server certificate";
  const refusals: [CertificateAndKey, string | RegExp][] = [
    [{ certPem: "", keyPem: ca.keyPem }, `${what}: CA certificate: no "CERTIFICATE" PEM block found`],
    [
      { certPem: "-----BEGIN CERTIFICATE-----\n!!!\n-----END CERTIFICATE-----\n", keyPem: ca.keyPem },
      `${what}: CA certificate: the "CERTIFICATE" PEM block is not valid base64`,
    ],
    [
      { certPem: asPem(new Uint8Array([1, 2, 3]), "CERTIFICATE"), keyPem: ca.keyPem },
      `${what}: CA certificate: the "CERTIFICATE" PEM block is not a valid X.509 certificate`,
    ],
    [server, `${what}: CA certificate "CN=kube-apiserver" is not a CA (basicConstraints CA:TRUE missing)`],
    [
      { certPem: ca.certPem, keyPem: otherCa.keyPem },
      `${what}: CA key does not belong to CA certificate "O=plumber, CN=plumber-test-ca"`,
    ],
    [
      { certPem: ca.certPem, keyPem: ca.keyPem.replaceAll("PRIVATE KEY", "EC PRIVATE KEY") },
      `${what}: CA key has no PKCS#8 "PRIVATE KEY" PEM block (found "EC PRIVATE KEY") ` +
      "(convert it with `openssl pkcs8 -topk8 -nocrypt`)",
    ],
    [
      { certPem: ca.certPem, keyPem: asPem(new Uint8Array([48, 3, 2, 1, 0]), "PRIVATE KEY") },
      `${what}: CA key is not a valid PKCS#8 ECDSA private key`,
    ],
    [
      { certPem: ca.certPem, keyPem: "" },
      `${what}: CA key has no PKCS#8 "PRIVATE KEY" PEM block (found no PEM blocks)`,
    ],
  ];
  for (const [badCa, message] of refusals) {
    const error = await issueServerCertificate(badCa, options).then(() => undefined, (e: Error) => e);
    assert.ok(error instanceof Error, `expected a refusal: ${message}`);
    assert.equal(error.message, message);
    assertNoKeyMaterial(error.message, [badCa.keyPem, ca.keyPem, otherCa.keyPem]);
  }
});
