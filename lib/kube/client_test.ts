/**
 * Unit tests of the client's own policies: when it retries, how long it waits,
 * when it gives up, and how it words a failed TLS handshake.
 *
 * The small `Deno.serve` servers here do not pretend to be Kubernetes. They
 * answer 429, 503 or nothing on cue, which no real kube-apiserver can be made
 * to do on demand, so that the client's retry policy (its own behaviour, not
 * the API server's) can be tested exactly; and they serve certificates from
 * `lib/pki/` so the TLS errors below are Deno's real ones. Everything the
 * client does with a real API server (error bodies, paging, dry run, auth) is
 * tested in `tests/client_test.ts`.
 */

import assert from "node:assert/strict";
import {
  connectionMessage,
  describeConnectionError,
  isFenced,
  isNoKindMatch,
  isNotFound,
  KubeApiError,
  KubeClient,
  type KubeClientOptions,
  retryAfterMs,
} from "./client.ts";
import { type CertificateAndKey, createCertificateAuthority, issueServerCertificate } from "../pki/mod.ts";
import { AGGREGATED_DISCOVERY_ACCEPT, type ApiResource, type Discovery } from "./discovery.ts";

const CONFIG_MAP_REF = { apiVersion: "v1", kind: "ConfigMap", namespace: "ns", name: "cm" };
const CONFIG_MAP = { ...CONFIG_MAP_REF, metadata: { name: "cm", namespace: "ns" } };

const CONFIG_MAPS: ApiResource = {
  group: "",
  version: "v1",
  resource: "configmaps",
  kind: "ConfigMap",
  namespaced: true,
  verbs: ["get", "list", "watch", "create", "update", "patch", "delete"],
  preferred: true,
};
/**
 * What the policy tests start their clients from, so that every request the server sees is the
 * one under test (discovery itself is tested below, with a server that serves it).
 */
const KNOWN: Discovery = { resources: [CONFIG_MAPS], failures: [], source: "aggregated" };

/** What the server saw of one request. */
interface Seen {
  method: string;
  path: string;
}

/** A plain-http server answering with `respond(n)` to its n-th request (from 0); records requests. */
async function withServer(
  respond: (n: number, request: Request) => Response | Promise<Response>,
  body: (client: (options?: KubeClientOptions) => KubeClient, seen: Seen[]) => Promise<void>,
): Promise<void> {
  const seen: Seen[] = [];
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    (request) =>
      respond(seen.push({ method: request.method, path: new URL(request.url).pathname }) - 1, request),
  );
  const clients: KubeClient[] = [];
  const connection = {
    contextName: "local",
    cluster: "local",
    user: "local",
    server: `http://127.0.0.1:${server.addr.port}`,
  };
  try {
    await body((options) => {
      const client = new KubeClient(connection, { discovery: KNOWN, ...options });
      clients.push(client);
      return client;
    }, seen);
  } finally {
    for (const client of clients) client.close();
    await server.shutdown();
  }
}

function json(status: number, value: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(value), {
    status,
    headers: { "Content-Type": "application/json", ...headers },
  });
}

function status(code: number, reason: string): Response {
  return json(code, { kind: "Status", apiVersion: "v1", status: "Failure", reason, code, message: reason });
}

async function rejection(promise: Promise<unknown>): Promise<KubeApiError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof KubeApiError, `expected a KubeApiError, got ${error}`);
    return error;
  }
  throw new assert.AssertionError({ message: "expected the request to fail" });
}

function tooManyRequests(headers: Record<string, string> = {}): Response {
  const body = {
    kind: "Status",
    status: "Failure",
    reason: "TooManyRequests",
    code: 429,
    message: "slow down",
  };
  return json(429, body, headers);
}

Deno.test("KubeClient waits for Retry-After on 429 and then succeeds", async () => {
  await withServer(
    (n) => n === 0 ? tooManyRequests({ "Retry-After": "1" }) : json(200, CONFIG_MAP),
    async (client, seen) => {
      const started = performance.now();
      const got = await client().get(CONFIG_MAP_REF);
      const elapsed = performance.now() - started;
      assert.equal(got.metadata?.name, "cm");
      assert.equal(seen.length, 2);
      assert.ok(elapsed >= 900, `waited only ${Math.round(elapsed)} ms`);
      assert.ok(elapsed < 3000, `waited ${Math.round(elapsed)} ms`);
    },
  );
});

Deno.test("KubeClient repeats even a create answered 429 (not processed), backing off without Retry-After", async () => {
  await withServer(
    (n) => n === 0 ? tooManyRequests() : json(201, CONFIG_MAP),
    async (client, seen) => {
      const started = performance.now();
      await client().create(CONFIG_MAP);
      const elapsed = performance.now() - started;
      assert.deepEqual(seen.map((r) => r.method), ["POST", "POST"]);
      assert.ok(elapsed < 900, `waited ${Math.round(elapsed)} ms, not the first backoff step`);
    },
  );
});

Deno.test("KubeClient retries a GET after 503 and succeeds", async () => {
  await withServer(
    (n) => n < 2 ? status(503, "ServiceUnavailable") : json(200, CONFIG_MAP),
    async (client, seen) => {
      const got = await client().get(CONFIG_MAP_REF);
      assert.equal(got.metadata?.name, "cm");
      assert.equal(seen.length, 3);
    },
  );
});

Deno.test("KubeClient gives up on a GET after maxRetries and reports the last status", async () => {
  await withServer(() => status(503, "ServiceUnavailable"), async (client, seen) => {
    const error = await rejection(client({ maxRetries: 2 }).get(CONFIG_MAP_REF));
    assert.equal(seen.length, 3);
    assert.equal(error.status, 503);
    assert.equal(error.reason, "ServiceUnavailable");
    assert.deepEqual(error.ref, CONFIG_MAP_REF);
  });
});

Deno.test("KubeClient does not repeat a create answered with 503 (it may have been applied)", async () => {
  await withServer(() => status(503, "ServiceUnavailable"), async (client, seen) => {
    const error = await rejection(client().create(CONFIG_MAP));
    assert.equal(seen.length, 1);
    assert.equal(seen[0]!.method, "POST");
    assert.equal(error.status, 503);
  });
});

Deno.test("KubeClient reports a request that outlives its timeout as Timeout, retrying it only when safe", async () => {
  // The server answers only once the test is over; the client has long given up by then.
  const over = Promise.withResolvers<void>();
  const hang = () => over.promise.then(() => new Response(null, { status: 204 }));
  await withServer(hang, async (client, seen) => {
    try {
      const post = await rejection(client({ timeoutMs: 200 }).create(CONFIG_MAP));
      assert.equal(post.status, 0);
      assert.equal(post.reason, "Timeout");
      assert.match(post.message, /Cannot create ConfigMap ns\/cm on local: request timed out/);
      assert.equal(seen.length, 1);

      const get = await rejection(client({ timeoutMs: 200, maxRetries: 1 }).get(CONFIG_MAP_REF));
      assert.equal(get.reason, "Timeout");
      assert.equal(seen.length, 3, "the GET was tried twice");
    } finally {
      over.resolve();
    }
  });
});

Deno.test("KubeClient reports a refused connection as ConnectionError with status 0", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  const codes: string[] = [];
  const client = new KubeClient(
    { contextName: "gone", cluster: "gone", user: "u", server: `http://127.0.0.1:${port}` },
    { maxRetries: 1, observer: (r) => codes.push(r.code), discovery: KNOWN },
  );
  try {
    const error = await rejection(client.get(CONFIG_MAP_REF));
    assert.equal(error.status, 0);
    assert.equal(error.reason, "ConnectionError");
    assert.match(error.message, /Cannot get ConfigMap ns\/cm on gone: .*Connection refused/);
    assert.deepEqual(codes, ["<error>", "<error>"]);
  } finally {
    client.close();
  }
});

/** An aggregated discovery document (`/api` or `/apis`) serving `resources`. */
function aggregated(resources: ApiResource[], core: boolean): Response {
  const groups = new Map<string, ApiResource[]>();
  for (const r of resources.filter((r) => (r.group === "") === core)) {
    groups.set(r.group, [...(groups.get(r.group) ?? []), r]);
  }
  return json(200, {
    kind: "APIGroupDiscoveryList",
    apiVersion: "apidiscovery.k8s.io/v2",
    items: [...groups].map(([group, rs]) => ({
      metadata: { name: group },
      versions: [{
        version: rs[0]!.version,
        freshness: "Current",
        resources: rs.map((r) => ({
          resource: r.resource,
          responseKind: { kind: r.kind },
          scope: r.namespaced ? "Namespaced" : "Cluster",
          verbs: r.verbs,
        })),
      }],
    })),
  });
}

const NAMESPACES: ApiResource = {
  ...CONFIG_MAPS,
  resource: "namespaces",
  kind: "Namespace",
  namespaced: false,
};
const DEPLOYMENTS: ApiResource = {
  ...CONFIG_MAPS,
  group: "apps",
  resource: "deployments",
  kind: "Deployment",
};
const WIDGETS: ApiResource = { ...CONFIG_MAPS, group: "example.com", resource: "widgets", kind: "Widget" };

/** A server serving aggregated discovery of `served` (which the test may change) and `{}` for anything else. */
function discoveryServer(served: ApiResource[], accepts: string[]) {
  return (_n: number, request: Request) => {
    const path = new URL(request.url).pathname;
    if (path === "/api" || path === "/apis") {
      accepts.push(request.headers.get("Accept") ?? "");
      return aggregated(served, path === "/api");
    }
    return json(200, { metadata: {}, items: [] });
  };
}

Deno.test("KubeClient reads discovery on its first object request, once for all in flight, and maps kinds through it", async () => {
  const accepts: string[] = [];
  const served = [CONFIG_MAPS, NAMESPACES, DEPLOYMENTS];
  await withServer(discoveryServer(served, accepts), async (client, seen) => {
    const kube = client({ discovery: undefined });
    assert.equal(seen.length, 0, "constructing a client sends nothing");
    await Promise.all([
      kube.get(CONFIG_MAP_REF),
      kube.get({ apiVersion: "v1", kind: "Namespace", name: "ns", namespace: "ignored" }),
      kube.list("apps/v1", "Deployment", { namespace: "ns" }),
      kube.list("apps/v1", "Deployment"),
    ]);
    assert.equal(kube.discoveries, 1);
    assert.deepEqual(seen.slice(0, 2).map((r) => r.path).sort(), ["/api", "/apis"]);
    assert.deepEqual(accepts, [AGGREGATED_DISCOVERY_ACCEPT, AGGREGATED_DISCOVERY_ACCEPT]);
    assert.deepEqual(seen.slice(2).map((r) => r.path).sort(), [
      "/api/v1/namespaces/ns",
      "/api/v1/namespaces/ns/configmaps/cm",
      "/apis/apps/v1/deployments",
      "/apis/apps/v1/namespaces/ns/deployments",
    ]);
    await kube.get(CONFIG_MAP_REF);
    assert.equal(seen.length, 7, "a known kind costs its own request only");
    assert.equal(
      await kube.collectionPath("apps/v1", "Deployment", "a b"),
      "/apis/apps/v1/namespaces/a%20b/deployments",
    );
    await assert.rejects(
      kube.get({ apiVersion: "apps/v1", kind: "Deployment", name: "d" }),
      /Cannot address Deployment "d": metadata\.namespace is required/,
    );
    await assert.rejects(kube.list("apps/v1/x", "Deployment"), /Invalid apiVersion "apps\/v1\/x"/);
  });
});

Deno.test("KubeClient reads discovery again, rate-limited, for a missing kind: a CRD installed later is found, an unserved kind named", async () => {
  const served = [CONFIG_MAPS];
  await withServer(discoveryServer(served, []), async (client, seen) => {
    const kube = client({ discovery: undefined, discoveryRefreshMs: 300 });
    const discoveredAt: number[] = [];
    const discoveries = () => seen.filter((r) => r.path === "/apis").length;
    await kube.get(CONFIG_MAP_REF);
    discoveredAt.push(performance.now());
    assert.equal(discoveries(), 1);

    served.push(WIDGETS);
    const widget = { apiVersion: "example.com/v1", kind: "Widget", namespace: "ns", name: "w" };
    await kube.get(widget);
    discoveredAt.push(performance.now());
    assert.equal(discoveries(), 2);
    assert.equal(seen.at(-1)!.path, "/apis/example.com/v1/namespaces/ns/widgets/w");
    assert.ok(discoveredAt[1]! - discoveredAt[0]! >= 250, "the second discovery waited for the rate limit");

    // Three requests for a kind nobody serves, at once: one discovery between them, then a clear error.
    const gadget = { apiVersion: "example.com/v1", kind: "Gadget", name: "g" };
    const errors = await Promise.all([1, 2, 3].map(() => rejection(kube.get(gadget))));
    assert.equal(discoveries(), 3);
    for (const error of errors) {
      assert.equal(
        error.message,
        `Cannot map kind "Gadget" in "example.com/v1" on local: the cluster does not serve it`,
      );
      assert.ok(isNoKindMatch(error) && isNotFound(error), "NoKindMatch, a 404 as the server would answer");
      assert.deepEqual(error.ref, gadget);
    }
    assert.equal(await kube.find(gadget), undefined, "find(): no such object");
    assert.equal(await kube.delete(gadget), false, "delete(): already gone");
    assert.equal(kube.discoveries, 5, "each miss read discovery again");
    assert.ok(!seen.some((r) => r.path.includes("gadgets")), "nothing was sent for the unmapped kind");
  });
});

Deno.test("KubeClient names the object when the discovery it needs fails, with the discovery's status", async () => {
  const respond = (_n: number, request: Request) =>
    new URL(request.url).pathname === "/apis" ? status(403, "Forbidden") : aggregated([CONFIG_MAPS], true);
  await withServer(respond, async (client) => {
    const error = await rejection(client({ discovery: undefined }).get(CONFIG_MAP_REF));
    assert.equal(error.status, 403);
    assert.equal(error.reason, "Forbidden");
    assert.deepEqual(error.ref, CONFIG_MAP_REF);
    assert.equal(
      error.message,
      "Cannot get ConfigMap ns/cm on local: API discovery failed: Cannot get /apis on local: 403 Forbidden: Forbidden",
    );
  });
});

const LEADERSHIP_LOST = new Error("leadership lost: no further requests");

/** Asserts a request failed because its client is fenced, naming the request and the fence's reason. */
async function fencedRejection(promise: Promise<unknown>, what: RegExp): Promise<void> {
  const error = await rejection(promise);
  assert.ok(isFenced(error), `expected Fenced, got ${error.reason}: ${error.message}`);
  assert.equal(error.status, 0);
  assert.match(error.message, what);
  assert.match(error.message, /: leadership lost: no further requests$/);
}

Deno.test("A fenced KubeClient sends nothing: every kind of request fails at once with reason Fenced", async () => {
  await withServer(() => json(200, CONFIG_MAP), async (client, seen) => {
    const fence = new AbortController();
    const records: string[] = [];
    const fenced = client({ signal: fence.signal, observer: (r) => records.push(`${r.method} ${r.code}`) });
    assert.equal((await fenced.get(CONFIG_MAP_REF)).metadata?.name, "cm", "works until fenced");
    assert.equal(seen.length, 1);
    fence.abort(LEADERSHIP_LOST);

    const started = performance.now();
    await fencedRejection(fenced.get(CONFIG_MAP_REF), /^Cannot get ConfigMap ns\/cm on local: /);
    await fencedRejection(fenced.find(CONFIG_MAP_REF), /^Cannot get ConfigMap ns\/cm on local: /);
    await fencedRejection(fenced.list("v1", "ConfigMap", { namespace: "ns" }), /^Cannot list ConfigMap /);
    await fencedRejection(fenced.create(CONFIG_MAP), /^Cannot create ConfigMap ns\/cm /);
    await fencedRejection(fenced.update(CONFIG_MAP), /^Cannot update ConfigMap ns\/cm /);
    await fencedRejection(fenced.mergePatch(CONFIG_MAP_REF, { data: {} }), /^Cannot patch ConfigMap /);
    await fencedRejection(fenced.apply(CONFIG_MAP, { fieldManager: "t" }), /^Cannot apply ConfigMap /);
    await fencedRejection(fenced.applyStatus(CONFIG_MAP, { fieldManager: "t" }), /^Cannot apply status of /);
    await fencedRejection(fenced.delete(CONFIG_MAP_REF), /^Cannot delete ConfigMap ns\/cm /);
    await fencedRejection(fenced.getText("/version"), /^Cannot get \/version /);
    await fencedRejection(fenced.raw("GET", "/api"), /^Cannot get \/api /);
    await fencedRejection(
      fenced.watch("v1", "ConfigMap").next(),
      /^Cannot watch ConfigMap \/api\/v1\/configmaps /,
    );

    const undiscovered = client({ signal: fence.signal, discovery: undefined });
    await fencedRejection(undiscovered.get(CONFIG_MAP_REF), /^Cannot get ConfigMap ns\/cm on local: /);
    await fencedRejection(undiscovered.watch("v1", "ConfigMap").next(), /^Cannot watch ConfigMap on local: /);
    await fencedRejection(undiscovered.list("v1", "ConfigMap"), /^Cannot list ConfigMap on local: /);
    const elapsed = performance.now() - started;

    assert.equal(seen.length, 1, "nothing reached the server after the fence");
    assert.deepEqual(records, ["GET 200"], "nothing was sent, so nothing was observed");
    assert.ok(elapsed < 500, `refusing took ${Math.round(elapsed)} ms`);
    // Another client of the same server, not fenced, is not affected.
    assert.equal((await client().get(CONFIG_MAP_REF)).metadata?.name, "cm");
  });
});

Deno.test("Fencing a KubeClient aborts a request in flight and its backoff wait, and sends no retry", async () => {
  const over = Promise.withResolvers<void>();
  const arrived = [Promise.withResolvers<void>(), Promise.withResolvers<void>()];
  // Request 0 hangs until the test ends; request 1 is told to come back in 30 s.
  const respond = (n: number) => {
    arrived[n]?.resolve();
    return n === 0
      ? over.promise.then(() => new Response(null, { status: 204 }))
      : tooManyRequests({ "Retry-After": "30" });
  };
  await withServer(respond, async (client, seen) => {
    try {
      const inFlight = new AbortController();
      const hanging = client({ signal: inFlight.signal }).apply(CONFIG_MAP, { fieldManager: "t" });
      await arrived[0]!.promise;
      let started = performance.now();
      inFlight.abort(LEADERSHIP_LOST);
      await fencedRejection(hanging, /^Cannot apply ConfigMap ns\/cm on local: /);
      assert.ok(performance.now() - started < 500, "the request in flight was cut at once");

      const backingOff = new AbortController();
      const waiting = client({ signal: backingOff.signal }).get(CONFIG_MAP_REF);
      await arrived[1]!.promise;
      started = performance.now();
      backingOff.abort(LEADERSHIP_LOST);
      await fencedRejection(waiting, /^Cannot get ConfigMap ns\/cm on local: /);
      assert.ok(performance.now() - started < 500, "the wait for Retry-After was cut at once");
      await new Promise((resolve) => setTimeout(resolve, 200));
      assert.equal(seen.length, 2, "no retry was sent after the fence");
    } finally {
      over.resolve();
    }
  });
});

Deno.test("Fencing a KubeClient ends a watch that is streaming with a Fenced error", async () => {
  const over = Promise.withResolvers<void>();
  const event = (name: string) =>
    JSON.stringify({ type: "ADDED", object: { ...CONFIG_MAP, metadata: { name } } });
  // One event, then the stream stays open until the test ends, as a quiet watch does.
  const respond = () =>
    new Response(
      new ReadableStream({
        async start(controller) {
          controller.enqueue(new TextEncoder().encode(event("first") + "\n"));
          await over.promise;
          controller.close();
        },
      }),
      { headers: { "Content-Type": "application/json" } },
    );
  await withServer(respond, async (client, seen) => {
    try {
      const fence = new AbortController();
      const watch = client({ signal: fence.signal }).watch<typeof CONFIG_MAP>("v1", "ConfigMap");
      const first = await watch.next();
      assert.equal(first.done, false);
      assert.equal(first.value?.object.metadata.name, "first");
      const next = watch.next();
      const started = performance.now();
      fence.abort(LEADERSHIP_LOST);
      await fencedRejection(next, /^Cannot watch ConfigMap \/api\/v1\/configmaps on local: /);
      assert.ok(performance.now() - started < 500, "the streaming watch was cut at once");
      assert.equal(seen.length, 1);
    } finally {
      over.resolve();
    }
  });
});

Deno.test("retryAfterMs() reads delay-seconds and HTTP dates, and falls back on anything else", () => {
  assert.equal(retryAfterMs("1", 50), 1000);
  assert.equal(retryAfterMs("0", 50), 0);
  assert.equal(retryAfterMs(" 2 ", 50), 2000);
  assert.equal(retryAfterMs("120", 50), 30_000, "capped");
  assert.equal(retryAfterMs("120", 50, 5000), 5000);
  const inTenSeconds = new Date(Date.now() + 10_000).toUTCString();
  const wait = retryAfterMs(inTenSeconds, 50);
  assert.ok(wait > 8000 && wait <= 10_000, `${inTenSeconds} gave ${wait} ms`);
  assert.equal(retryAfterMs("Wed, 21 Oct 2015 07:28:00 GMT", 50), 0, "a date in the past: no wait");
  assert.equal(retryAfterMs("Sunday, 06-Nov-94 08:49:37 GMT", 50), 0, "RFC 850 date");
  assert.equal(retryAfterMs("Sun Nov  6 08:49:37 1994", 50), 0, "asctime date");
  for (const garbage of ["", "soon", "garbage 1", "-1", "0x10", "1.5", "1e3", "12abc"]) {
    assert.equal(retryAfterMs(garbage, 50), 50, `"${garbage}"`);
  }
  assert.equal(retryAfterMs(null, 50), 50);
});

/** Fetches over TLS from a server with `cert`, trusting `caPem`, and returns the KubeApiError. */
async function tlsFailure(cert: CertificateAndKey, caPem: string): Promise<KubeApiError> {
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, cert: cert.certPem, key: cert.keyPem, onListen() {} },
    () => json(200, {}),
  );
  const client = new KubeClient(
    { contextName: "tls", cluster: "tls", user: "u", server: `https://127.0.0.1:${server.addr.port}`, caPem },
    { maxRetries: 0 },
  );
  try {
    const error = await rejection(client.getText("/version"));
    assert.equal(error.status, 0);
    assert.equal(error.reason, "ConnectionError");
    return error;
  } finally {
    client.close();
    await server.shutdown();
  }
}

Deno.test("KubeClient names TLS certificate failures as kubectl does, keeping Deno's words", async () => {
  const day = 86_400_000;
  const ca = await createCertificateAuthority({ commonName: "tls-test-ca" });
  const serving = await issueServerCertificate(ca, { commonName: "s", ipAddresses: ["127.0.0.1"] });

  const foreign = await createCertificateAuthority({ commonName: "someone-else" });
  assert.match(
    (await tlsFailure(serving, foreign.certPem)).message,
    /: x509: certificate signed by unknown authority \(invalid peer certificate: UnknownIssuer\)$/,
  );

  // A CA with the same name but another key, as after `kubeadm reset` (every kubeadm CA is "kubernetes").
  const sameName = await createCertificateAuthority({ commonName: "tls-test-ca" });
  assert.match(
    (await tlsFailure(serving, sameName.certPem)).message,
    /x509: certificate signed by unknown authority \(the signature does not verify\) \(invalid peer certificate: BadSignature\)$/,
  );

  const otherName = await issueServerCertificate(ca, { commonName: "s", dnsNames: ["api.example.com"] });
  assert.match(
    (await tlsFailure(otherName, ca.certPem)).message,
    /x509: certificate is not valid for the server's name \(invalid peer certificate: certificate not valid for name "127\.0\.0\.1".*api\.example\.com/,
  );

  const oldCa = await createCertificateAuthority({
    commonName: "old-ca",
    now: new Date(Date.now() - 30 * day),
  });
  const expired = await issueServerCertificate(oldCa, {
    commonName: "s",
    ipAddresses: ["127.0.0.1"],
    validityDays: 1,
    now: new Date(Date.now() - 30 * day),
  });
  assert.match(
    (await tlsFailure(expired, oldCa.certPem)).message,
    /x509: certificate has expired or is not yet valid \(invalid peer certificate: certificate expired: /,
  );

  const early = await issueServerCertificate(ca, {
    commonName: "s",
    ipAddresses: ["127.0.0.1"],
    now: new Date(Date.now() + day),
  });
  assert.match(
    (await tlsFailure(early, ca.certPem)).message,
    /x509: certificate has expired or is not yet valid \(not yet valid\) \(invalid peer certificate: certificate not valid yet/,
  );
});

Deno.test("describeConnectionError() maps rustls' names for certificate errors and leaves other errors alone", () => {
  const fetchError = (detail: string) =>
    new TypeError("fetch failed", {
      cause: new Error(
        `error sending request for url (https://10.0.0.1:6443/version): client error (Connect): ${detail}`,
      ),
    });
  const cases: Array<[string, string]> = [
    ["invalid peer certificate: UnknownIssuer", "x509: certificate signed by unknown authority"],
    [
      "invalid peer certificate: BadSignature",
      "x509: certificate signed by unknown authority (the signature does not verify)",
    ],
    ["invalid peer certificate: Expired", "x509: certificate has expired or is not yet valid"],
    [
      "invalid peer certificate: NotValidYet",
      "x509: certificate has expired or is not yet valid (not yet valid)",
    ],
    ["invalid peer certificate: NotValidForName", "x509: certificate is not valid for the server's name"],
    ["invalid peer certificate: Revoked", "x509: certificate has been revoked"],
    ["received fatal alert: BadCertificate", "remote error: tls: bad certificate"],
    ["received fatal alert: UnknownCA", "remote error: tls: bad certificate"],
  ];
  for (const [detail, reason] of cases) {
    assert.equal(describeConnectionError(fetchError(detail)), `${reason} (${detail})`);
  }
  const refused = fetchError("tcp connect error: Connection refused (os error 111)");
  assert.equal(describeConnectionError(refused), connectionMessage(refused));
  assert.equal(describeConnectionError("plain string"), "plain string");
});
