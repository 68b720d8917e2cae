import assert from "node:assert/strict";
import { stringify } from "yaml";
import { createCertificateAuthority, issueClientCertificate } from "../lib/pki/mod.ts";
import { createLogger } from "../lib/log.ts";
import { redactText } from "../lib/redact.ts";
import {
  type Finding,
  formatFinding,
  looksLikeDer,
  scanLines,
  scanText,
  scanValue,
  summarizeScan,
} from "./secret_scan.ts";

const ca = await createCertificateAuthority({ commonName: "scan-ca" });
const client = await issueClientCertificate(ca, { commonName: "scan-user" });
const CERT = client.certPem;
const KEY = client.keyPem;
// A service account token's shape: header.payload.signature, each base64url.
const JWT = "eyJhbGciOiJSUzI1NiIsImtpZCI6IkJ4c0gifQ" +
  ".eyJpc3MiOiJrdWJlcm5ldGVzL3NlcnZpY2VhY2NvdW50Iiwic3ViIjoic3lzdGVtOnNlcnZpY2VhY2NvdW50In0" +
  ".SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c";
const OPAQUE_TOKEN = "sha256~Xk9vQ2pLm3nR7tY1uW5zA8bC4dE6fG0hJ2kL";

function kubeconfig(user: Record<string, string>): string {
  return stringify({
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name: "c", cluster: { server: "https://127.0.0.1:6443" } }],
    users: [{ name: "u", user }],
    contexts: [{ name: "x", context: { cluster: "c", user: "u" } }],
  });
}

function pemBody(pem: string): string {
  return pem.split("\n").filter((l) => l && !l.startsWith("-----")).join("");
}

/** Asserts at least one finding, of the rule, and that nothing printed contains the secret. */
function assertFinds(findings: Finding[], rule: RegExp, secret: string): void {
  assert.ok(findings.length > 0, `no finding for ${rule}`);
  assert.ok(findings.some((f) => rule.test(f.rule)), findings.map((f) => f.rule).join(", "));
  for (const f of findings) {
    const printed = formatFinding(f);
    for (let i = 0; i + 16 <= secret.length; i += 8) {
      assert.ok(!printed.includes(secret.slice(i, i + 16)), `a finding prints the secret: ${printed}`);
    }
  }
}

Deno.test("scanText() finds a PEM certificate and a PEM private key, raw and JSON-escaped", () => {
  assertFinds(scanText(`loaded ${CERT}`, "t"), /^PEM certificate$/, CERT);
  assertFinds(scanText(`key ${KEY}`, "t"), /^PEM private key$/, KEY);
  const jsonLine = JSON.stringify({ level: "info", msg: "x", body: KEY });
  assertFinds(scanText(jsonLine, "t"), /^PEM private key$/, KEY);
  // An unterminated block (a message cut short) is still a key.
  assertFinds(scanText(KEY.slice(0, 80), "t"), /^PEM private key$/, KEY.slice(0, 80));
});

Deno.test("scanText() finds a bearer token, a JWT and basic credentials", () => {
  assertFinds(scanText(`Authorization: Bearer ${OPAQUE_TOKEN}`, "t"), /^bearer token$/, OPAQUE_TOKEN);
  assertFinds(scanText(`token is ${JWT} for now`, "t"), /^JWT$/, JWT);
  const basic = btoa("admin:hunter22");
  assertFinds(scanText(`authorization: Basic ${basic}`, "t"), /^basic credentials$/, basic);
});

Deno.test("scanText() finds base64-encoded PEM at every alignment and base64 DER", () => {
  for (const prefix of ["", "a", "ab"]) {
    const encoded = btoa(prefix + KEY);
    const findings = scanText(`"tls.crt-ish": "${encoded}"`, "t");
    assertFinds(findings, /base64-encoded/, encoded);
  }
  const der = pemBody(CERT);
  assert.ok(looksLikeDer(Uint8Array.from(atob(der), (c) => c.charCodeAt(0))));
  assertFinds(scanText(`certificate body ${der}`, "t"), /DER/, der);
});

Deno.test("scanText() finds a kubeconfig with client-key-data or a token, in YAML, JSON and base64", () => {
  const withKey = kubeconfig({ "client-certificate-data": btoa(CERT), "client-key-data": btoa(KEY) });
  assertFinds(scanText(withKey, "t"), /base64-encoded PEM|credential field/, btoa(KEY));
  const withToken = kubeconfig({ token: OPAQUE_TOKEN });
  assertFinds(scanText(withToken, "t"), /^credential field token$/, OPAQUE_TOKEN);
  assertFinds(
    scanText(JSON.stringify({ users: [{ user: { token: OPAQUE_TOKEN } }] }), "t"),
    /token/,
    OPAQUE_TOKEN,
  );
  // A whole kubeconfig Secret's data, base64 of the YAML.
  const encoded = btoa(withToken);
  assertFinds(
    scanText(JSON.stringify({ kubeconfig: encoded }), "t"),
    /^base64-encoded credential field token$/,
    encoded,
  );
});

Deno.test("scanValue() finds secrets in objects, including a credential key's bare value, and says where", () => {
  const findings = scanValue(
    { status: { conditions: [{ message: `failed: ${KEY}` }] }, data: { token: "s3cr3t-v4lue" } },
    "status Replicator r",
  );
  assert.deepEqual(findings.map((f) => f.source), [
    "status Replicator r .status.conditions[0].message",
    "status Replicator r .data.token",
  ]);
  assert.ok(!findings.map(formatFinding).join("\n").includes("s3cr3t-v4lue"));
  assert.deepEqual(scanValue({ token: "[REDACTED]", password: "", tokenExpired: true }, "x"), []);
});

Deno.test("scanLines() does not flag normal operator log lines, nor secrets after plumber's redaction", () => {
  const lines: string[] = [];
  const log = createLogger({ level: "debug", format: "json", write: (l) => lines.push(l) });
  log.info("Connected to the primary cluster", {
    server: "https://127.0.0.1:35821",
    context: "primary",
    version: "v1.37.0",
  });
  log.debug("Write request", {
    method: "PATCH",
    path: "/api/v1/namespaces/test-ns/secrets/ca-secret",
    code: "200",
    host: "127.0.0.1:41179",
  });
  log.info("Applied", {
    replicator: "replicator-sample",
    cluster: "v1262-cluster.kubernetes-admin2",
    object: "Secret/test-ns/ca-secret",
    difference: "new object",
  });
  log.info("Issued TLS certificates", { replicator: "replicator-sample", issued: "ca, server, client" });
  log.info("Cluster status changed", {
    cluster: "v1252-cluster.kubernetes-admin3",
    status: "Unknown",
    reason: "tls: failed to verify certificate: x509: certificate signed by unknown authority",
  });
  log.debug("Watch restarted", {
    kind: "ConfigMap",
    resourceVersion: "123456",
    uid: "3f2a9c1e-5b7d-4e8f-9a0b-1c2d3e4f5a6b",
    hash: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
  });
  log.error("Cannot reach the primary cluster", {
    error: new Error("connect ECONNREFUSED 127.0.0.1:6443"),
    path: "file:///work/main/lib/kube/client.ts",
  });
  log.info("Kubeconfig Secret applied", { added: ["v1262-cluster.kubernetes-admin2"], tokenExpired: false });
  // Secrets that went through plumber's redaction leave nothing to find.
  log.warn("Secret data", { data: { "tls.key": KEY }, password: "hunter2", note: `Bearer ${OPAQUE_TOKEN}` });
  log.info(`kubeconfig: ${kubeconfig({ "client-key-data": btoa(KEY), token: OPAQUE_TOKEN })}`);
  log.info(redactText(`user:\n  token: ${OPAQUE_TOKEN}\n  client-key-data: ${btoa(KEY)}\ncert: ${CERT}`));
  const findings = scanLines(lines, "operator.log");
  assert.deepEqual(findings.map(formatFinding), []);
  // The same lines written without redaction are caught, line by line.
  const raw = [`{"msg":"x","data":{"tls.key":${JSON.stringify(KEY)}}}`, `{"msg":"Bearer ${OPAQUE_TOKEN}"}`];
  assert.deepEqual(scanLines(raw, "raw.log").map((f) => f.source), ["raw.log:1", "raw.log:2"]);
});

Deno.test("summarizeScan() gives the counts in one line", () => {
  assert.equal(
    summarizeScan({ logFiles: 2, logLines: 10, events: 3, statuses: 4, findings: [], errors: [] }),
    "secret scan: 10 log lines, 3 events, 4 statuses, 0 findings",
  );
});
