import assert from "node:assert/strict";
import { readCertificate } from "../../lib/pki/mod.ts";
import {
  issueTls,
  issueTlsWithValidity,
  nextRenewal,
  planFromValidity,
  planTls,
  readStoredTls,
  renewalOf,
  storedValidity,
  TLS_VALIDITY_ANNOTATION,
  tlsSecretName,
  validityOf,
} from "./tls_material.ts";

const NOW = new Date("2026-01-01T00:00:00Z");
const DAY = 86_400_000;

Deno.test("planTls() issues everything when nothing is stored", async () => {
  assert.deepEqual(await planTls(undefined, ["a.example.com"], NOW), {
    ca: true,
    server: true,
    client: true,
  });
});

Deno.test("planTls() keeps valid certificates and reissues only the server certificate on a host change", async () => {
  const stored = await issueTls(undefined, { ca: true, server: true, client: true }, ["a.example.com"], NOW);
  assert.deepEqual(await planTls(stored, ["a.example.com"], NOW), {
    ca: false,
    server: false,
    client: false,
  });
  assert.deepEqual(await planTls(stored, ["b.example.com"], NOW), { ca: false, server: true, client: false });
  const reissued = await issueTls(stored, { ca: false, server: true, client: false }, ["b.example.com"], NOW);
  assert.equal(reissued.caCertPem, stored.caCertPem);
  assert.equal(reissued.clientCertPem, stored.clientCertPem);
  assert.notEqual(reissued.serverCertPem, stored.serverCertPem);
  assert.deepEqual((await readCertificate(reissued.serverCertPem)).dnsNames, ["b.example.com"]);
});

Deno.test("planTls() renews leaf certificates past 2/3 of their lifetime and everything when the CA is due", async () => {
  const stored = await issueTls(undefined, { ca: true, server: true, client: true }, ["a.example.com"], NOW);
  const renewAt = await nextRenewal(stored);
  // Leaves live 365 days: renewal at about day 243.
  assert.ok(Math.abs(renewAt.getTime() - (NOW.getTime() + 243.33 * DAY)) < 2 * DAY, renewAt.toISOString());
  const later = new Date(renewAt.getTime() + DAY);
  assert.deepEqual(await planTls(stored, ["a.example.com"], later), {
    ca: false,
    server: true,
    client: true,
  });
  const muchLater = new Date(NOW.getTime() + 3000 * DAY);
  assert.deepEqual(await planTls(stored, ["a.example.com"], muchLater), {
    ca: true,
    server: true,
    client: true,
  });
});

Deno.test("readStoredTls() round-trips through the Secret's base64 data and refuses incomplete data", async () => {
  const stored = await issueTls(undefined, { ca: true, server: true, client: true }, ["a.example.com"], NOW);
  const b64 = (s: string) => btoa(s);
  const data = {
    "ca.crt": b64(stored.caCertPem),
    "ca.key": b64(stored.caKeyPem),
    "tls.crt": b64(stored.serverCertPem),
    "tls.key": b64(stored.serverKeyPem),
    "client.crt": b64(stored.clientCertPem),
    "client.key": b64(stored.clientKeyPem),
  };
  assert.deepEqual(readStoredTls({ data }), stored);
  const { ["ca.key"]: _dropped, ...incomplete } = data;
  assert.equal(readStoredTls({ data: incomplete }), undefined);
  assert.equal(readStoredTls(undefined), undefined);
  assert.equal(tlsSecretName("web"), "plumber-tls-web");
});

Deno.test("issueTls() gives an Ingress without hosts a usable server certificate", async () => {
  const stored = await issueTls(undefined, { ca: true, server: true, client: true }, [], NOW);
  assert.deepEqual((await readCertificate(stored.serverCertPem)).dnsNames, ["localhost"]);
  assert.equal((await readCertificate(stored.clientCertPem)).commonName, "client");
});

Deno.test("storedValidity() trusts the annotation only for the certificates it was written for", async () => {
  const stored = await issueTls(undefined, { ca: true, server: true, client: true }, ["a.example.com"], NOW);
  const parsed = await validityOf(stored);
  assert.deepEqual(parsed.dnsNames, ["a.example.com"]);
  assert.equal(renewalOf(parsed).getTime(), (await nextRenewal(stored)).getTime());
  // A (made-up) annotation for these certificates is used as it is: nothing is parsed.
  const noted = { ...parsed, renewAt: { ...parsed.renewAt, client: "2026-02-01T00:00:00.000Z" } };
  const secret = (v: unknown) => ({
    metadata: { annotations: { [TLS_VALIDITY_ANNOTATION]: JSON.stringify(v) } },
  });
  assert.deepEqual(await storedValidity(secret(noted), stored), noted);
  // About other certificates (a hand edit of the data), malformed, or missing: read from the certificates.
  assert.deepEqual(await storedValidity(secret({ ...noted, certs: "0" }), stored), parsed);
  assert.deepEqual(await storedValidity(secret({ ...noted, renewAt: { ca: "never" } }), stored), parsed);
  assert.deepEqual(
    await storedValidity({ metadata: { annotations: { [TLS_VALIDITY_ANNOTATION]: "{" } } }, stored),
    parsed,
  );
  assert.deepEqual(await storedValidity(undefined, stored), parsed);
});

Deno.test("planFromValidity() decides as planTls() does, from renewal times and DNS names", () => {
  const validity = {
    renewAt: { ca: "2030-01-01T00:00:00Z", server: "2026-06-01T00:00:00Z", client: "2026-07-01T00:00:00Z" },
    dnsNames: ["b.example.com", "a.example.com"],
    certs: "x",
  };
  const hosts = ["a.example.com", "b.example.com"];
  assert.deepEqual(planFromValidity(undefined, hosts, NOW), { ca: true, server: true, client: true });
  assert.deepEqual(planFromValidity(validity, hosts, NOW), { ca: false, server: false, client: false });
  assert.deepEqual(planFromValidity(validity, ["a.example.com"], NOW), {
    ca: false,
    server: true,
    client: false,
  });
  assert.deepEqual(planFromValidity(validity, hosts, new Date("2026-06-15T00:00:00Z")), {
    ca: false,
    server: true,
    client: false,
  });
  assert.deepEqual(planFromValidity(validity, hosts, new Date("2030-01-01T00:00:00Z")), {
    ca: true,
    server: true,
    client: true,
  });
  assert.equal(renewalOf(validity).toISOString(), "2026-06-01T00:00:00.000Z");
});

Deno.test("issueTlsWithValidity() returns, without parsing, the validity that parsing the certificates gives", async () => {
  const all = { ca: true, server: true, client: true };
  const { material, validity } = await issueTlsWithValidity(undefined, undefined, all, [
    "B.example.com",
    "a.example.com",
  ], NOW);
  assert.deepEqual(validity, await validityOf(material));
  assert.deepEqual(validity.dnsNames, ["b.example.com", "a.example.com"]);

  // A host change keeps the CA and client and takes their renewal times from the stored validity.
  const noted = { ...validity, renewAt: { ...validity.renewAt, client: "2026-05-05T00:00:00.000Z" } };
  const hostChange = await issueTlsWithValidity(material, noted, { ca: false, server: true, client: false }, [
    "c.example.com",
  ], NOW);
  assert.equal(hostChange.material.caCertPem, material.caCertPem);
  assert.equal(hostChange.material.clientKeyPem, material.clientKeyPem);
  assert.notEqual(hostChange.material.serverCertPem, material.serverCertPem);
  assert.equal(hostChange.validity.renewAt.client, "2026-05-05T00:00:00.000Z");
  assert.equal(hostChange.validity.renewAt.ca, validity.renewAt.ca);
  assert.deepEqual(hostChange.validity.dnsNames, ["c.example.com"]);
  const parsed = await validityOf(hostChange.material);
  assert.equal(hostChange.validity.renewAt.server, parsed.renewAt.server);
  assert.equal(hostChange.validity.certs, parsed.certs);

  // Without a stored validity, the kept certificates are parsed.
  const later = new Date(NOW.getTime() + DAY);
  const renewed = await issueTlsWithValidity(
    material,
    undefined,
    { ca: false, server: false, client: true },
    [],
    later,
  );
  assert.deepEqual(renewed.validity, await validityOf(renewed.material));
  assert.equal(renewed.material.serverCertPem, material.serverCertPem);
  assert.notEqual(renewed.material.clientCertPem, material.clientCertPem);

  // A new CA never keeps leaves of the old one.
  const newCa = await issueTlsWithValidity(material, validity, { ca: true, server: false, client: false }, [
    "a",
  ], NOW);
  assert.notEqual(newCa.material.serverCertPem, material.serverCertPem);
  assert.notEqual(newCa.material.clientCertPem, material.clientCertPem);
  assert.deepEqual(newCa.validity, await validityOf(newCa.material));
});

Deno.test("issuing a Replicator's TLS material does not load @peculiar/x509 nor reflect-metadata", async () => {
  const dir = await Deno.makeTempDir({ prefix: "plumber-tls-probe-" });
  try {
    const script = `${dir}/probe.ts`;
    const module = new URL("./tls_material.ts", import.meta.url).href;
    await Deno.writeTextFile(
      script,
      `import { issueTlsWithValidity } from ${JSON.stringify(module)};\n` +
        `const set = await issueTlsWithValidity(undefined, undefined, { ca: true, server: true, client: true }, ["a.example.com"], new Date());\n` +
        `console.log(JSON.stringify({ dnsNames: set.validity.dnsNames, reflect: typeof Reflect.getMetadata }));\n`,
    );
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        "--quiet",
        "--no-lock",
        `--config=${new URL("../../deno.json", import.meta.url).pathname}`,
        script,
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.ok(out.success, new TextDecoder().decode(out.stderr));
    const result = JSON.parse(new TextDecoder().decode(out.stdout).trim().split("\n").at(-1)!);
    // reflect-metadata installs Reflect.getMetadata, and lib/pki/x509.ts loads it right before @peculiar/x509.
    assert.deepEqual(result, { dnsNames: ["a.example.com"], reflect: "undefined" });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
