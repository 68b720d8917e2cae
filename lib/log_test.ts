import assert from "node:assert/strict";
import { createLogger, type LogFormat, type LogLevel, parseLogLevel, redact } from "./log.ts";

// Real-looking secrets; none of their bodies may appear in a log line.
const PRIVATE_KEY_BODY = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj";
const PRIVATE_KEY = [
  "-----BEGIN PRIVATE KEY-----",
  PRIVATE_KEY_BODY,
  "MYzkdT8ZHfAgOOl0lq3N5hxJp5y0dgFAfTmW4x7gYKGQk2d8gjKcMRHwfpwQ6qbY",
  "-----END PRIVATE KEY-----",
].join("\n");
const CERT_BODY = "MIIDazCCAlOgAwIBAgIUW1Zn0i8sVNKlJxJ1jK2sq0F5mR0wDQYJKoZIhvcNAQEL";
const CERTIFICATE = `-----BEGIN CERTIFICATE-----\n${CERT_BODY}\n-----END CERTIFICATE-----\n`;
const JWT = "eyJhbGciOiJSUzI1NiIsImtpZCI6IkJ4c0gifQ" +
  ".eyJpc3MiOiJrdWJlcm5ldGVzL3NlcnZpY2VhY2NvdW50Iiwic3ViIjoic3lzdGVtOnNlcnZpY2VhY2NvdW50In0" +
  ".SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c";
const OPAQUE_TOKEN = "sha256~Xk9vQ2pLm3nR7tY1uW5zA8bC4dE6fG0hJ2kL";
const KEY_DATA_B64 = btoa(PRIVATE_KEY);
const CERT_DATA_B64 = btoa(CERTIFICATE);

const SECRETS = [PRIVATE_KEY_BODY, CERT_BODY, JWT, OPAQUE_TOKEN, KEY_DATA_B64, CERT_DATA_B64, "hunter2"];

function capture(level: LogLevel = "debug", format: LogFormat = "json") {
  const lines: string[] = [];
  const logger = createLogger({
    level,
    format,
    write: (line) => lines.push(line),
    now: () => new Date("2026-01-01T00:00:00.000Z"),
  });
  return { logger, lines };
}

function assertNoSecrets(text: string): void {
  for (const secret of SECRETS) {
    assert.ok(!text.includes(secret), `log output leaks ${secret.slice(0, 24)}...: ${text}`);
  }
  // Fragments of the JWT segments must not survive either.
  assert.ok(!text.includes("eyJhbGciOiJSUzI1NiIs"), text);
}

const kubeconfig = {
  apiVersion: "v1",
  kind: "Config",
  clusters: [{
    name: "east",
    cluster: { server: "https://10.0.0.1:6443", "certificate-authority-data": CERT_DATA_B64 },
  }],
  users: [{
    name: "admin",
    user: { "client-certificate-data": CERT_DATA_B64, "client-key-data": KEY_DATA_B64, token: OPAQUE_TOKEN },
  }],
  contexts: [{ name: "east", context: { cluster: "east", user: "admin" } }],
};

for (const format of ["json", "text"] as const) {
  Deno.test(`a ${format} logger never writes a PEM private key, bearer header, JWT, kubeconfig or token in an Error`, () => {
    const { logger, lines } = capture("debug", format);
    logger.info("Loaded key", { pem: PRIVATE_KEY });
    logger.info(`Request failed with header Authorization: Bearer ${OPAQUE_TOKEN}`);
    logger.info("Got service account token", { note: `token is ${JWT} for now` });
    logger.info("Registered cluster", { config: kubeconfig });
    logger.error("Apply failed", { error: new Error(`Unauthorized: Bearer ${JWT} rejected`) });
    logger.warn("Secret data", { data: { "tls.crt": CERTIFICATE }, password: "hunter2" });
    logger.debug("Headers", { headers: new Headers({ Authorization: `Bearer ${OPAQUE_TOKEN}` }) });
    logger.info(PRIVATE_KEY);
    logger.child({ kubeconfig: KEY_DATA_B64 }).info("Child carries a kubeconfig field");
    assert.deepEqual(lines.length, 9);
    for (const line of lines) assertNoSecrets(line);
    assert.ok(lines.join("\n").includes("[REDACTED]"), lines.join("\n"));
  });
}

Deno.test("redact() replaces values under sensitive keys, deeply, and keeps the rest", () => {
  assert.deepEqual(redact({ name: "east", token: "abc", nested: [{ password: "x", user: "bob" }] }), {
    name: "east",
    token: "[REDACTED]",
    nested: [{ password: "[REDACTED]", user: "bob" }],
  });
  assert.deepEqual(
    redact({ "client-key-data": "abc", "client-certificate-data": "def", privateKey: "ghi" }),
    {
      "client-key-data": "[REDACTED]",
      "client-certificate-data": "[REDACTED]",
      privateKey: "[REDACTED]",
    },
  );
  assert.deepEqual(redact({ kubeconfig: { anything: 1 }, Authorization: "Basic abc" }), {
    kubeconfig: "[REDACTED]",
    Authorization: "[REDACTED]",
  });
});

Deno.test("redact() keeps booleans and absent values under sensitive keys", () => {
  assert.deepEqual(redact({ tokenExpired: true, secretRef: null, password: undefined }), {
    tokenExpired: true,
    secretRef: null,
    password: undefined,
  });
});

Deno.test("redact() scrubs only the secret part of a string", () => {
  assert.deepEqual(redact(`key:\n${PRIVATE_KEY}\ndone`), "key:\n[REDACTED]\ndone");
  assert.deepEqual(redact(`Authorization: Bearer ${OPAQUE_TOKEN}`), "Authorization: Bearer [REDACTED]");
  assert.deepEqual(redact(`token ${JWT} expired`), "token [REDACTED] expired");
  assert.deepEqual(redact(`data: ${KEY_DATA_B64}`), "data: [REDACTED]");
  assert.deepEqual(redact("GET /api?watch=1&token=abc123 200"), "GET /api?watch=1&token=[REDACTED] 200");
  assert.deepEqual(redact("-----BEGIN RSA PRIVATE KEY-----\nMIIE truncated"), "[REDACTED]");
  assert.deepEqual(redact("plain text stays"), "plain text stays");
});

Deno.test("redact() renders Errors as name and message with scrubbed stack, cause and properties", () => {
  const cause = new TypeError(`bad ${JWT}`);
  const error = Object.assign(new Error(`Bearer ${OPAQUE_TOKEN} rejected`, { cause }), {
    statusCode: 401,
    headers: { authorization: "Bearer x" },
  });
  const out = redact(error) as Record<string, unknown>;
  assert.deepEqual(out.name, "Error");
  assert.deepEqual(out.message, "Bearer [REDACTED] rejected");
  assert.deepEqual(out.statusCode, 401);
  assert.deepEqual(out.headers, { authorization: "[REDACTED]" });
  assert.deepEqual((out.cause as Record<string, unknown>).message, "bad [REDACTED]");
  assertNoSecrets(JSON.stringify(out));
});

Deno.test("redact() survives cycles, byte arrays and exotic values", () => {
  const a: Record<string, unknown> = { name: "a" };
  a.self = a;
  assert.deepEqual(redact(a), { name: "a", self: "[Circular]" });
  assert.deepEqual(redact({ bytes: new Uint8Array(32) }), { bytes: "[Uint8Array 32 bytes]" });
  assert.deepEqual(redact({ n: 10n, d: new Date("2026-01-01T00:00:00Z") }), {
    n: "10",
    d: "2026-01-01T00:00:00.000Z",
  });
  assert.deepEqual(redact(new Map([["token", "x"], ["k", "v"]])), { token: "[REDACTED]", k: "v" });
  // The same object twice (not a cycle) is rendered twice.
  const shared = { v: 1 };
  assert.deepEqual(redact({ x: shared, y: shared }), { x: { v: 1 }, y: { v: 1 } });
});

Deno.test("a JSON logger writes one object a line with ts, level, msg and fields", () => {
  const { logger, lines } = capture("info", "json");
  logger.child({ controller: "replicator" }).info("Reconciled", { key: "ns/a", clusters: 2 });
  assert.deepEqual(lines.length, 1);
  assert.deepEqual(JSON.parse(lines[0]!), {
    ts: "2026-01-01T00:00:00.000Z",
    level: "info",
    msg: "Reconciled",
    controller: "replicator",
    key: "ns/a",
    clusters: 2,
  });
  assert.deepEqual(lines[0]!.indexOf('{"ts":'), 0);
});

Deno.test("a JSON logger renders an Error as {message, name}, with the stack only at debug", () => {
  const info = capture("info", "json");
  info.logger.error("Failed", { error: new RangeError("out of range") });
  assert.deepEqual(JSON.parse(info.lines[0]!).error, { name: "RangeError", message: "out of range" });

  const debug = capture("debug", "json");
  debug.logger.error("Failed", { error: new RangeError("out of range") });
  const rendered = JSON.parse(debug.lines[0]!).error;
  assert.deepEqual(rendered.message, "out of range");
  assert.ok(rendered.stack.includes("RangeError: out of range"), rendered.stack);
});

Deno.test("a JSON logger does not let fields overwrite ts, level or msg", () => {
  const { logger, lines } = capture("info", "json");
  logger.info("Real message", { msg: "fake", level: "error" });
  const record = JSON.parse(lines[0]!);
  assert.deepEqual([record.msg, record.level, record["fields.msg"], record["fields.level"]], [
    "Real message",
    "info",
    "fake",
    "error",
  ]);
});

Deno.test("a text logger writes a timestamp, padded level, message and key=value pairs", () => {
  const { logger, lines } = capture("debug", "text");
  logger.child({ controller: "replicator" }).info("Reconciled object", {
    key: "ns/a",
    note: "two words",
    n: 3,
    ok: true,
    obj: { a: 1 },
    skipped: undefined,
  });
  logger.warn("Careful");
  assert.deepEqual(
    lines[0],
    '2026-01-01T00:00:00.000Z INFO  Reconciled object controller=replicator key=ns/a note="two words" n=3 ok=true obj={"a":1}',
  );
  assert.deepEqual(lines[1], "2026-01-01T00:00:00.000Z WARN  Careful");
});

Deno.test("a logger drops records below its level and exposes the level", () => {
  const { logger, lines } = capture("warn", "json");
  logger.debug("d");
  logger.info("i");
  logger.warn("w");
  logger.error("e");
  assert.deepEqual(lines.map((l) => JSON.parse(l).level), ["warn", "error"]);
  assert.deepEqual(logger.level, "warn");
  assert.deepEqual(logger.child({ a: 1 }).level, "warn");
});

Deno.test("a child's fields are merged with its parent's and do not leak back", () => {
  const { logger, lines } = capture("info", "json");
  const child = logger.child({ a: 1, b: 1 });
  child.child({ b: 2 }).info("x", { c: 3 });
  logger.info("y");
  assert.deepEqual(JSON.parse(lines[0]!), {
    ts: "2026-01-01T00:00:00.000Z",
    level: "info",
    msg: "x",
    a: 1,
    b: 2,
    c: 3,
  });
  assert.deepEqual(Object.keys(JSON.parse(lines[1]!)), ["ts", "level", "msg"]);
});

Deno.test("a logger whose writer throws does not throw to the caller", () => {
  const logger = createLogger({
    write: () => {
      throw new Error("stderr closed");
    },
  });
  logger.error("still fine");
});

Deno.test("parseLogLevel() accepts known levels case-insensitively", () => {
  assert.deepEqual(parseLogLevel("DEBUG"), "debug");
  assert.deepEqual(parseLogLevel(" info "), "info");
  assert.deepEqual(parseLogLevel("warning"), "warn");
  assert.deepEqual(parseLogLevel("error"), "error");
});

Deno.test("parseLogLevel() throws a RangeError naming the value and the allowed levels", () => {
  assert.throws(() => parseLogLevel("verbose"), {
    name: "RangeError",
    message: 'Invalid log level "verbose": expected one of debug, info, warn, error',
  });
});

Deno.test("a logger redacts an opaque token quoted as `token: <value>` in a message or a string field", () => {
  const { logger, lines } = capture("debug", "json");
  const yaml = `users:\n- name: u\n  user:\n    token: ${OPAQUE_TOKEN}\n`;
  logger.info(`Cannot use the kubeconfig: ${yaml}`);
  logger.info("Rejected", { detail: `password=hunter2 token: ${OPAQUE_TOKEN}` });
  for (const line of lines) assertNoSecrets(line);
  assert.match(lines[0]!, /token: \[REDACTED\]/);
});

Deno.test("a logger keeps ordinary words that merely resemble secret keys", () => {
  const { logger, lines } = capture("debug", "text");
  const messages = [
    "Cannot read kubeconfig /x/kubeconfig: no such file",
    "open /var/run/secrets/kubernetes.io/serviceaccount/token: permission denied",
    "the bearer token is invalid",
    'secrets "plumber-kubeconfig" is forbidden: User "system:serviceaccount:plumber-system:plumber" cannot get resource "secrets"',
  ];
  for (const message of messages) logger.warn(message);
  assert.equal(lines.length, messages.length);
  messages.forEach((message, i) => assert.ok(lines[i]!.includes(message), lines[i]));
});
