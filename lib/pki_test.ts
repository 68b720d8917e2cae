import assert from "node:assert/strict";
import {
  type CertificateAndKey,
  createCertificateAuthority,
  generateKeyPairPem,
  issueClientCertificate,
  issueServerCertificate,
  needsRenewal,
  readCertificate,
  renewalTime,
} from "./pki.ts";

const DAY_MS = 24 * 60 * 60 * 1000;
/** A fixed clock for tests that check dates; the milliseconds prove they are dropped. */
const NOW = new Date("2030-03-04T05:06:07.890Z");
const NOW_SECONDS = new Date("2030-03-04T05:06:07Z");

// One CA, server and client for the whole file: key generation is the slow part.
const ca = await createCertificateAuthority({ commonName: "plumber-test-ca", organizations: ["plumber"] });
const server = await issueServerCertificate(ca, {
  commonName: "kube-apiserver",
  dnsNames: ["localhost", "kubernetes.default.svc"],
  ipAddresses: ["127.0.0.1", "::1"],
});
const client = await issueClientCertificate(ca, {
  commonName: "kubernetes-admin",
  organizations: ["system:masters"],
});

// ---------------------------------------------------------------------------------------------
// Round trips

Deno.test("createCertificateAuthority() makes a self-signed CA with the given CN, O and lifetime", async () => {
  const made = await createCertificateAuthority({
    commonName: "my-ca",
    organizations: ["Example Org", "system:masters"],
    validityDays: 30,
    now: NOW,
  });
  assert.match(made.certPem, /^-----BEGIN CERTIFICATE-----\n[\s\S]+\n-----END CERTIFICATE-----\n$/);
  assert.match(made.keyPem, /^-----BEGIN PRIVATE KEY-----\n[\s\S]+\n-----END PRIVATE KEY-----\n$/);
  const info = readCertificate(made.certPem);
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
  const info = readCertificate(ca.certPem);
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
  const info = readCertificate(issued.certPem);
  assert.equal(info.commonName, "web");
  assert.deepEqual(info.organizations, ["plumber"]);
  assert.deepEqual(info.dnsNames, ["example.com", "*.apps.example.com"]);
  // IPv4-mapped IPv6 is encoded as 4 bytes, as Go does; duplicates are dropped.
  assert.deepEqual(info.ipAddresses, ["10.0.0.1", "2001:db8::1", "192.0.2.7"]);
  assert.equal(info.isCA, false);
  assert.equal(info.issuer, readCertificate(ca.certPem).subject);
});

Deno.test("issueServerCertificate() accepts IP SANs alone and DNS SANs alone", async () => {
  const ipOnly = readCertificate(
    (await issueServerCertificate(ca, { commonName: "a", ipAddresses: ["::1"] })).certPem,
  );
  assert.deepEqual([ipOnly.dnsNames, ipOnly.ipAddresses], [[], ["::1"]]);
  const dnsOnly = readCertificate(
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
  const info = readCertificate(issued.certPem);
  assert.equal(info.notAfter.getTime() - info.notBefore.getTime(), 7 * DAY_MS + 60_000);
  const defaulted = readCertificate(server.certPem);
  assert.equal(defaulted.notAfter.getTime() - defaulted.notBefore.getTime(), 365 * DAY_MS + 60_000);
});

Deno.test("issueServerCertificate() never outlives its CA", async () => {
  const shortCa = await createCertificateAuthority({ commonName: "short-ca", validityDays: 10, now: NOW });
  const leaf = await issueServerCertificate(shortCa, { commonName: "x", dnsNames: ["x"], now: NOW });
  assert.deepEqual(readCertificate(leaf.certPem).notAfter, readCertificate(shortCa.certPem).notAfter);
});

Deno.test("every certificate gets a random positive 16-byte serial number", () => {
  const serials = new Set<string>();
  for (const pem of [ca.certPem, server.certPem, client.certPem]) {
    const serial = readCertificate(pem).serialNumber;
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

Deno.test("issueClientCertificate() puts CN and O in the subject", () => {
  const info = readCertificate(client.certPem);
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
  const info = readCertificate(issued.certPem);
  assert.equal(info.commonName, '#not-hex "quoted"');
  assert.deepEqual(info.organizations, ["Équipe, Ops+Dev"]);
});

Deno.test("generateKeyPairPem() returns a PKCS#8 private key and the SPKI public key that matches it", async () => {
  for (
    const [algorithm, params] of [
      [undefined, { name: "ECDSA", namedCurve: "P-256" }],
      ["rsa-2048", { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" }],
    ] as const
  ) {
    const pair = await generateKeyPairPem(algorithm);
    assert.match(pair.privateKeyPem, /^-----BEGIN PRIVATE KEY-----\n[\s\S]+\n-----END PRIVATE KEY-----\n$/);
    assert.match(pair.publicKeyPem, /^-----BEGIN PUBLIC KEY-----\n[\s\S]+\n-----END PUBLIC KEY-----\n$/);
    const privateKey = await importPkcs8(pair.privateKeyPem, params);
    const publicKey = await crypto.subtle.importKey("spki", pemBody(pair.publicKeyPem), params, false, [
      "verify",
    ]);
    const sign = { name: params.name, hash: "SHA-256" };
    const data = new TextEncoder().encode("token");
    const signature = await crypto.subtle.sign(sign, privateKey, data);
    assert.equal(await crypto.subtle.verify(sign, publicKey, signature, data), true, algorithm);
  }
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

Deno.test("readCertificate() reads the first CERTIFICATE block of a bundle", () => {
  const bundle = `${server.keyPem}${server.certPem}${ca.certPem}`;
  assert.equal(readCertificate(bundle).commonName, "kube-apiserver");
  assert.equal(readCertificate(server.certPem.replaceAll("\n", "\r\n")).commonName, "kube-apiserver");
});

// ---------------------------------------------------------------------------------------------
// Renewal

Deno.test("needsRenewal() turns true at two thirds of the lifetime", async () => {
  // notBefore 2030-03-04T05:05:07Z (a minute back), notAfter 2030-03-07T05:06:07Z: 4321 minutes,
  // two thirds of which are 2880 min 40 s.
  const made = await createCertificateAuthority({ commonName: "renew", validityDays: 3, now: NOW });
  const info = readCertificate(made.certPem);
  assert.deepEqual(info.notBefore, new Date("2030-03-04T05:05:07Z"));
  assert.deepEqual(info.notAfter, new Date("2030-03-07T05:06:07Z"));
  const boundary = new Date("2030-03-06T05:05:47Z");
  assert.deepEqual(renewalTime(made.certPem), boundary);
  assert.deepEqual(renewalTime(info), boundary);
  assert.equal(needsRenewal(made.certPem, NOW), false);
  assert.equal(needsRenewal(info, new Date(boundary.getTime() - 1)), false);
  assert.equal(needsRenewal(info, boundary), true);
  assert.equal(needsRenewal(made.certPem, new Date(boundary.getTime() + 1)), true);
  assert.equal(needsRenewal(info, new Date(info.notBefore.getTime() - DAY_MS)), false);
});

Deno.test("needsRenewal() is true for an expired certificate, whatever the fraction", () => {
  const info = readCertificate(server.certPem);
  const later = new Date(info.notAfter.getTime() + 1);
  assert.equal(needsRenewal(info, later), true);
  assert.equal(needsRenewal(info, later, 1), true);
  assert.equal(needsRenewal(info, info.notAfter, 1), true);
  assert.equal(needsRenewal(info, new Date(info.notAfter.getTime() - 1), 1), false);
});

Deno.test("needsRenewal() and renewalTime() honour a custom fraction", () => {
  const info = {
    ...readCertificate(server.certPem),
    notBefore: new Date("2030-01-01T00:00:00Z"),
    notAfter: new Date("2030-01-11T00:00:00Z"),
  };
  assert.deepEqual(renewalTime(info, 0.5), new Date("2030-01-06T00:00:00Z"));
  assert.deepEqual(renewalTime(info, 1), info.notAfter);
  assert.equal(needsRenewal(info, new Date("2030-01-05T23:59:59Z"), 0.5), false);
  assert.equal(needsRenewal(info, new Date("2030-01-06T00:00:00Z"), 0.5), true);
  // Default 2/3 of 10 days.
  assert.deepEqual(renewalTime(info), new Date(Date.UTC(2030, 0, 1) + Math.floor(10 * DAY_MS * 2 / 3)));
});

Deno.test("needsRenewal() and renewalTime() refuse a fraction outside (0, 1] and an invalid now", () => {
  for (const fraction of [0, -0.5, 1.5, NaN]) {
    assert.throws(() => renewalTime(server.certPem, fraction), {
      name: "RangeError",
      message: `Cannot compute renewal time: fraction ${fraction} is not in (0, 1]`,
    });
    assert.throws(() => needsRenewal(server.certPem, new Date(), fraction), RangeError);
  }
  assert.throws(() => needsRenewal(server.certPem, new Date("garbage")), {
    name: "RangeError",
    message: "Cannot check certificate renewal: now Invalid Date is not a valid Date",
  });
});

// ---------------------------------------------------------------------------------------------
// Bad input

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
  await assert.rejects(generateKeyPairPem("ed25519" as never), {
    name: "RangeError",
    message: `Cannot generate key pair: algorithm "ed25519" is not one of ecdsa-p256, rsa-2048, rsa-3072`,
  });
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

Deno.test("readCertificate() says so for unparseable PEM, without echoing it", () => {
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
    assert.throws(() => readCertificate(pem), { name: "Error", message });
    try {
      readCertificate(pem);
    } catch (error) {
      assertNoKeyMaterial((error as Error).message, [ca.keyPem]);
    }
  }
});

// ---------------------------------------------------------------------------------------------
// Other implementations accept the certificates

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

// ---------------------------------------------------------------------------------------------
// Helpers

async function openssl(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let output: Deno.CommandOutput;
  try {
    output = await new Deno.Command("openssl", { args, stdout: "piped", stderr: "piped" }).output();
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new Error(
        "openssl is not on PATH; it is part of this project's test environment (/usr/bin/openssl)",
      );
    }
    throw error;
  }
  const decoder = new TextDecoder();
  return { code: output.code, stdout: decoder.decode(output.stdout), stderr: decoder.decode(output.stderr) };
}

async function withTempDir(body: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "plumber-pki-test-" });
  try {
    await body(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function pemBody(pem: string): Uint8Array<ArrayBuffer> {
  const base64 = pem.replace(/-----[A-Z ]+-----/g, "").replace(/\s+/g, "");
  return Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
}

function asPem(der: Uint8Array, label: string): string {
  return `-----BEGIN ${label}-----\n${btoa(String.fromCharCode(...der))}\n-----END ${label}-----\n`;
}

async function importPkcs8(
  pem: string,
  algorithm: RsaHashedImportParams | EcKeyImportParams,
): Promise<CryptoKey> {
  return await crypto.subtle.importKey("pkcs8", pemBody(pem), algorithm, false, ["sign"]);
}

function assertNoKeyMaterial(message: string, keyPems: string[]): void {
  for (const keyPem of keyPems) {
    for (const line of keyPem.split("\n").filter((l) => l.length > 16 && !l.startsWith("-----"))) {
      assert.ok(!message.includes(line), `error message leaks key material: ${message.slice(0, 40)}...`);
    }
  }
}

/** The raw DER of a certificate's issuer and subject names (tbsCertificate fields 4 and 6). */
function derNames(pem: string): { issuer: Uint8Array; subject: Uint8Array } {
  const der = pemBody(pem);
  const element = (at: number) => {
    let length = der[at + 1]!;
    let header = 2;
    if (length & 0x80) {
      const count = length & 0x7f;
      length = 0;
      for (let i = 0; i < count; i++) length = (length << 8) | der[at + 2 + i]!;
      header += count;
    }
    return { tag: der[at]!, contentStart: at + header, end: at + header + length };
  };
  const tbs = element(element(0).contentStart);
  const fields: Uint8Array[] = [];
  for (let at = tbs.contentStart; at < tbs.end;) {
    const field = element(at);
    fields.push(der.slice(at, field.end));
    at = field.end;
  }
  // [0] version, serialNumber, signature, issuer, validity, subject, ...
  assert.equal(fields[0]![0], 0xa0);
  return { issuer: fields[3]!, subject: fields[5]! };
}
