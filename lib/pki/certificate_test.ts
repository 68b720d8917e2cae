/**
 * The certificate builder against @peculiar/x509 (the library it replaces): the same TBSCertificate
 * bytes for the same inputs, and certificates that the library reads back as intended.
 *
 * @module
 */

import assert from "node:assert/strict";
import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import { derNames, pemBody } from "./_test_util.ts";
import {
  ecdsaSignatureToDer,
  encodeName,
  encodeTbs,
  keyIdentifier,
  signatureAlgorithmIdentifier,
} from "./certificate.ts";
import { children, readElement } from "./der.ts";
import {
  createCertificateAuthority,
  issueCertificateAuthority,
  issueClient,
  issueServer,
  issueServerCertificate,
} from "./issue.ts";
import { generateKeys } from "./keys.ts";
import type { KeyAlgorithm } from "./types.ts";

const hex = (bytes: ArrayBuffer | Uint8Array) =>
  Array.from(new Uint8Array(bytes), (b) => b.toString(16).padStart(2, "0")).join("");

/** The tbsCertificate bytes of a DER certificate. */
function tbsOf(der: Uint8Array): Uint8Array {
  const [tbs] = children(der, readElement(der, 0));
  return der.slice(tbs!.start, tbs!.end);
}

const NOT_BEFORE = new Date("2030-03-04T05:05:07Z");
const NOT_AFTER = new Date("2031-03-04T05:06:07Z");

for (const algorithm of ["ecdsa-p256", "rsa-2048"] as KeyAlgorithm[]) {
  Deno.test(`encodeTbs() makes the bytes @peculiar/x509 makes for the CA and leaf templates (${algorithm})`, async () => {
    const caKeys = await generateKeys(algorithm);
    const leafKeys = await generateKeys(algorithm);
    const caSpki = new Uint8Array(await crypto.subtle.exportKey("spki", caKeys.publicKey));
    const leafSpki = new Uint8Array(await crypto.subtle.exportKey("spki", leafKeys.publicKey));
    const caName = encodeName("plumber-ca", ["plumber"]);
    const caKeyId = await keyIdentifier(caSpki);
    const serial = "4f8a2703f8ebffc774c9dcd3f6148656";
    const serialBytes = Uint8Array.from(serial.match(/../g)!, (p) => parseInt(p, 16));
    const isRsa = algorithm !== "ecdsa-p256";
    const signingAlgorithm = isRsa ? { name: "RSASSA-PKCS1-v1_5" } : { name: "ECDSA", hash: "SHA-256" };

    const theirCa = await x509.X509CertificateGenerator.create({
      serialNumber: serial,
      subject: new x509.Name([{ O: [{ printableString: "plumber" }] }, {
        CN: [{ printableString: "plumber-ca" }],
      }]),
      issuer: new x509.Name([{ O: [{ printableString: "plumber" }] }, {
        CN: [{ printableString: "plumber-ca" }],
      }]),
      notBefore: NOT_BEFORE,
      notAfter: NOT_AFTER,
      publicKey: caKeys.publicKey,
      signingKey: caKeys.privateKey,
      signingAlgorithm,
      extensions: [
        new x509.BasicConstraintsExtension(true, undefined, true),
        new x509.KeyUsagesExtension(
          x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature,
          true,
        ),
        await x509.SubjectKeyIdentifierExtension.create(caKeys.publicKey, false, crypto),
      ],
    }, crypto);
    const ourCaTbs = encodeTbs({
      serial: serialBytes,
      issuer: caName,
      subject: caName,
      notBefore: NOT_BEFORE,
      notAfter: NOT_AFTER,
      spki: caSpki,
      signatureAlgorithm: signatureAlgorithmIdentifier(caKeys.privateKey),
      subjectKeyId: caKeyId,
      ca: true,
    });
    assert.equal(hex(ourCaTbs), hex(tbsOf(new Uint8Array(theirCa.rawData))));

    const theirLeaf = await x509.X509CertificateGenerator.create({
      serialNumber: serial,
      subject: new x509.Name([{ O: [{ printableString: "plumber" }] }, { CN: [{ utf8String: "web_1" }] }]),
      issuer: theirCa.subjectName,
      notBefore: NOT_BEFORE,
      notAfter: NOT_AFTER,
      publicKey: leafKeys.publicKey,
      signingKey: caKeys.privateKey,
      signingAlgorithm,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(
          x509.KeyUsageFlags.digitalSignature | (isRsa ? x509.KeyUsageFlags.keyEncipherment : 0),
          true,
        ),
        new x509.ExtendedKeyUsageExtension([
          x509.ExtendedKeyUsage.serverAuth,
          x509.ExtendedKeyUsage.clientAuth,
        ]),
        await x509.SubjectKeyIdentifierExtension.create(leafKeys.publicKey, false, crypto),
        new x509.AuthorityKeyIdentifierExtension(hex(caKeyId), false),
        new x509.SubjectAlternativeNameExtension([
          { type: "dns", value: "a.example.com" },
          { type: "dns", value: "*.b.example.com" },
          { type: "ip", value: "127.0.0.1" },
          { type: "ip", value: "2001:db8:0:0:0:0:0:1" },
        ]),
      ],
    }, crypto);
    const ourLeafTbs = encodeTbs({
      serial: serialBytes,
      issuer: caName,
      subject: encodeName("web_1", ["plumber"]),
      notBefore: NOT_BEFORE,
      notAfter: NOT_AFTER,
      spki: leafSpki,
      signatureAlgorithm: signatureAlgorithmIdentifier(caKeys.privateKey),
      subjectKeyId: await keyIdentifier(leafSpki),
      authorityKeyId: caKeyId,
      extendedKeyUsages: ["serverAuth", "clientAuth"],
      rsa: isRsa,
      dnsNames: ["a.example.com", "*.b.example.com"],
      ipAddresses: [
        Uint8Array.of(127, 0, 0, 1),
        Uint8Array.of(0x20, 1, 0xd, 0xb8, ...new Array(11).fill(0), 1),
      ],
    });
    assert.equal(hex(ourLeafTbs), hex(tbsOf(new Uint8Array(theirLeaf.rawData))));
  });

  Deno.test(`issued certificates read back with @peculiar/x509 as intended and verify under the CA (${algorithm})`, async () => {
    const now = new Date("2030-03-04T05:06:07.890Z");
    const caIssued = await issueCertificateAuthority({
      commonName: "plumber-ca",
      organizations: ["plumber"],
      algorithm,
      now,
    });
    const server = await issueServer(caIssued, {
      commonName: "server",
      organizations: ["plumber"],
      dnsNames: ["A.example.com", "a.example.com", "localhost"],
      ipAddresses: ["10.1.2.3", "::1"],
      algorithm,
      now,
    });
    const client = await issueClient(caIssued, {
      commonName: "client",
      organizations: ["plumber"],
      algorithm,
      now,
    });

    const ca = new x509.X509Certificate(pemBody(caIssued.certPem));
    assert.equal(ca.subject, "O=plumber, CN=plumber-ca");
    assert.equal(ca.issuer, ca.subject);
    assert.deepEqual([ca.notBefore, ca.notAfter], [caIssued.notBefore, caIssued.notAfter]);
    assert.deepEqual(caIssued.notBefore, new Date("2030-03-04T05:05:07Z"));
    assert.equal(ca.getExtension(x509.BasicConstraintsExtension)?.ca, true);
    assert.equal(ca.getExtension(x509.BasicConstraintsExtension)?.critical, true);
    const caUsage = ca.getExtension(x509.KeyUsagesExtension)!;
    assert.equal(caUsage.critical, true);
    assert.equal(
      caUsage.usages,
      x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign,
    );
    const caSki = ca.getExtension(x509.SubjectKeyIdentifierExtension)!.keyId;
    assert.equal(caSki, hex(await ca.publicKey.getKeyIdentifier(crypto)));
    assert.ok(await ca.verify({ publicKey: ca, signatureOnly: true }), "the CA is self-signed");
    assert.equal(ca.signatureAlgorithm.name, algorithm === "ecdsa-p256" ? "ECDSA" : "RSASSA-PKCS1-v1_5");

    for (
      const [leafIssued, usages] of [[server, ["1.3.6.1.5.5.7.3.1"]], [client, [
        "1.3.6.1.5.5.7.3.2",
      ]]] as const
    ) {
      const leaf = new x509.X509Certificate(pemBody(leafIssued.certPem));
      assert.deepEqual(derNames(leafIssued.certPem).issuer, derNames(caIssued.certPem).subject);
      assert.equal(leaf.issuer, ca.subject);
      assert.deepEqual([leaf.notBefore, leaf.notAfter], [leafIssued.notBefore, leafIssued.notAfter]);
      assert.equal(leaf.notAfter.getTime() - leaf.notBefore.getTime(), 365 * 86_400_000 + 60_000);
      assert.equal(leaf.getExtension(x509.BasicConstraintsExtension)?.ca, false);
      assert.equal(leaf.getExtension(x509.BasicConstraintsExtension)?.critical, true);
      const usage = leaf.getExtension(x509.KeyUsagesExtension)!;
      assert.equal(usage.critical, true);
      assert.equal(
        usage.usages,
        x509.KeyUsageFlags.digitalSignature |
          (algorithm === "ecdsa-p256" ? 0 : x509.KeyUsageFlags.keyEncipherment),
      );
      assert.deepEqual([...leaf.getExtension(x509.ExtendedKeyUsageExtension)!.usages], usages);
      assert.equal(
        leaf.getExtension(x509.SubjectKeyIdentifierExtension)!.keyId,
        hex(await leaf.publicKey.getKeyIdentifier(crypto)),
      );
      assert.equal(hex(leaf.getExtension(x509.AuthorityKeyIdentifierExtension)!.value), `30168014${caSki}`);
      assert.ok(await leaf.verify({ publicKey: ca, signatureOnly: true }), "the CA's key verifies the leaf");
      const otherCa = new x509.X509Certificate(
        pemBody(
          (await createCertificateAuthority({ commonName: "plumber-ca", organizations: ["plumber"] }))
            .certPem,
        ),
      );
      assert.equal(await leaf.verify({ publicKey: otherCa, signatureOnly: true }), false);
    }
    assert.equal(new x509.X509Certificate(pemBody(server.certPem)).subject, "O=plumber, CN=server");
    const sans = new x509.X509Certificate(pemBody(server.certPem)).getExtension(
      x509.SubjectAlternativeNameExtension,
    )!;
    assert.deepEqual(sans.names.toJSON(), [
      { type: "dns", value: "a.example.com" },
      { type: "dns", value: "localhost" },
      { type: "ip", value: "10.1.2.3" },
      { type: "ip", value: "::1" },
    ]);
    assert.deepEqual(server.dnsNames, ["a.example.com", "localhost"]);
    assert.deepEqual(client.dnsNames, []);
    assert.equal(
      new x509.X509Certificate(pemBody(client.certPem)).getExtension(x509.SubjectAlternativeNameExtension),
      null,
    );
  });
}

Deno.test("names that do not fit a PrintableString are UTF8Strings, and the leaf's issuer is the CA's subject bytes", async () => {
  const ca = await issueCertificateAuthority({ commonName: "plumber_ca é", organizations: ["team@example"] });
  const subject = derNames(ca.certPem).subject;
  const parsed = new x509.X509Certificate(pemBody(ca.certPem));
  assert.deepEqual(parsed.subjectName.getField("CN"), ["plumber_ca é"]);
  assert.deepEqual(parsed.subjectName.getField("O"), ["team@example"]);
  // 0x0c: UTF8String, for both the O (an "@") and the CN (an "_" and an "é").
  assert.ok(hex(subject).includes("0c0c" + hex(new TextEncoder().encode("team@example"))));
  assert.ok(hex(subject).includes("0c0d" + hex(new TextEncoder().encode("plumber_ca é"))));
  const leaf = await issueServer(ca, { commonName: "s", dnsNames: ["s.local"] });
  assert.deepEqual(derNames(leaf.certPem).issuer, subject);
});

Deno.test("validity past 2049 is written as GeneralizedTime and read back", async () => {
  const ca = await issueCertificateAuthority({
    commonName: "long",
    validityDays: 3650,
    now: new Date("2045-06-01T00:00:00Z"),
  });
  const parsed = new x509.X509Certificate(pemBody(ca.certPem));
  assert.deepEqual(parsed.notAfter, new Date("2055-05-30T00:00:00Z"));
  assert.deepEqual(parsed.notBefore, new Date("2045-05-31T23:59:00Z"));
  const der = pemBody(ca.certPem);
  const tbs = children(der, readElement(der, 0))[0]!;
  const validity = children(der, tbs)[4]!;
  assert.deepEqual(children(der, validity).map((t) => t.tag), [0x17, 0x18]);
});

Deno.test("issuing with a CA object made here and with the same CA as PEM give the same issuer and key id", async () => {
  const ca = await createCertificateAuthority({ commonName: "ca", organizations: ["plumber"] });
  const fromMemory = await issueServerCertificate(ca, { commonName: "a", dnsNames: ["a.local"] });
  // A copy is not the object this module remembers: it is parsed and its key imported.
  const fromPem = await issueServerCertificate({ ...ca }, { commonName: "a", dnsNames: ["a.local"] });
  assert.deepEqual(derNames(fromMemory.certPem).issuer, derNames(fromPem.certPem).issuer);
  const aki = (pem: string) =>
    hex(new x509.X509Certificate(pemBody(pem)).getExtension(x509.AuthorityKeyIdentifierExtension)!.value);
  assert.equal(aki(fromMemory.certPem), aki(fromPem.certPem));
  // The remembered CA object is trusted only while its PEM texts are those it was made with.
  const other = await createCertificateAuthority({ commonName: "other" });
  const mixed = { ...ca, keyPem: other.keyPem };
  await assert.rejects(
    issueServerCertificate(mixed, { commonName: "a", dnsNames: ["a.local"] }),
    /CA key does not belong to CA certificate "O=plumber, CN=ca"/,
  );
  (ca as { keyPem: string }).keyPem = other.keyPem;
  await assert.rejects(
    issueServerCertificate(ca, { commonName: "a", dnsNames: ["a.local"] }),
    /CA key does not belong/,
  );
});

Deno.test("a remembered CA is still checked against the leaf's time", async () => {
  const ca = await createCertificateAuthority({
    commonName: "ca",
    validityDays: 1,
    now: new Date("2030-01-01T00:00:00Z"),
  });
  await assert.rejects(
    issueServerCertificate(ca, { commonName: "a", dnsNames: ["a"], now: new Date("2030-01-03T00:00:00Z") }),
    /CA certificate "CN=ca" expired at 2030-01-02T00:00:00.000Z/,
  );
  await assert.rejects(
    issueServerCertificate(ca, { commonName: "a", dnsNames: ["a"], now: new Date("2029-12-31T00:00:00Z") }),
    /CA certificate "CN=ca" is not valid until 2029-12-31T23:59:00.000Z/,
  );
  // A leaf never outlives the CA.
  const leaf = await issueServer(ca, {
    commonName: "a",
    dnsNames: ["a"],
    now: new Date("2030-01-01T12:00:00Z"),
  });
  assert.deepEqual(leaf.notAfter, new Date("2030-01-02T00:00:00Z"));
});

Deno.test("ecdsaSignatureToDer() makes minimal INTEGERs of r and s", () => {
  const r = new Uint8Array(32).fill(0x11);
  const s = new Uint8Array(32).fill(0x22);
  assert.equal(
    hex(ecdsaSignatureToDer(new Uint8Array([...r, ...s]))),
    `3044` + `0220${hex(r)}` + `0220${hex(s)}`,
  );
  // r with its top bit set gets a zero byte; s with leading zeros loses them.
  const high = new Uint8Array(32).fill(0x80);
  const small = new Uint8Array(32);
  small[31] = 5;
  assert.equal(
    hex(ecdsaSignatureToDer(new Uint8Array([...high, ...small]))),
    `3026` + `022100${hex(high)}` + `020105`,
  );
  assert.throws(() => ecdsaSignatureToDer(new Uint8Array(63)), RangeError);
});
