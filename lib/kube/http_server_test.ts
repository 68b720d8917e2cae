import assert from "node:assert/strict";
import { startHealthServer } from "./http_server.ts";
import { Metrics } from "./metrics.ts";
import { createLogger } from "../log.ts";

async function get(
  port: number,
  path: string,
  method = "GET",
): Promise<{ status: number; body: string; type: string }> {
  const response = await fetch(`http://127.0.0.1:${port}${path}`, { method });
  return {
    status: response.status,
    body: await response.text(),
    type: response.headers.get("content-type") ?? "",
  };
}

Deno.test("/healthz and /readyz answer 200 ok when every check passes", async () => {
  const server = startHealthServer({
    hostname: "127.0.0.1",
    port: 0,
    healthChecks: { ping: () => true },
    readyChecks: { informers: () => Promise.resolve(true), leader: () => true },
  });
  try {
    assert.ok(server.port > 0);
    assert.deepEqual(await get(server.port, "/healthz"), {
      status: 200,
      body: "ok",
      type: "text/plain; charset=utf-8",
    });
    assert.equal((await get(server.port, "/livez")).body, "ok");
    assert.equal((await get(server.port, "/readyz")).status, 200);
    assert.equal((await get(server.port, "/readyz")).body, "ok");
  } finally {
    await server.close();
  }
});

Deno.test("/readyz answers 500 listing each failed check as [-]name failed", async () => {
  let synced = false;
  const server = startHealthServer({
    hostname: "127.0.0.1",
    port: 0,
    readyChecks: {
      informers: () => synced,
      leader: () => true,
      throws: () => {
        throw new Error("boom");
      },
    },
  });
  try {
    const failing = await get(server.port, "/readyz");
    assert.equal(failing.status, 500);
    assert.equal(failing.body, "[-]informers failed\n[+]leader ok\n[-]throws failed\nreadyz check failed\n");
    synced = true;
    assert.equal((await get(server.port, "/readyz/informers")).body, "ok");
    assert.equal((await get(server.port, "/readyz/throws")).status, 500);
    assert.equal((await get(server.port, "/readyz/nope")).status, 404);
  } finally {
    await server.close();
  }
});

Deno.test("/readyz?verbose lists passing checks with 200", async () => {
  const server = startHealthServer({ hostname: "127.0.0.1", port: 0, readyChecks: { a: () => true } });
  try {
    assert.deepEqual(await get(server.port, "/readyz?verbose"), {
      status: 200,
      body: "[+]a ok\nreadyz check passed\n",
      type: "text/plain; charset=utf-8",
    });
  } finally {
    await server.close();
  }
});

Deno.test("/metrics serves the registry in the Prometheus text format", async () => {
  const metrics = new Metrics();
  metrics.controller("replicator");
  const server = startHealthServer({ hostname: "127.0.0.1", port: 0, metrics });
  try {
    const response = await get(server.port, "/metrics");
    assert.equal(response.status, 200);
    assert.match(response.type, /^text\/plain; version=0\.0\.4/);
    assert.match(
      response.body,
      /^controller_runtime_reconcile_total\{controller="replicator",result="success"\} 0$/m,
    );
  } finally {
    await server.close();
  }
});

Deno.test("probes and metrics can be served by two servers on separate ports", async () => {
  const metrics = new Metrics();
  const probes = startHealthServer({ hostname: "127.0.0.1", port: 0, metrics, serveMetrics: false });
  const scrape = startHealthServer({ hostname: "127.0.0.1", port: 0, metrics, serveProbes: false });
  try {
    assert.notEqual(probes.port, scrape.port);
    assert.equal((await get(probes.port, "/healthz")).status, 200);
    assert.equal((await get(probes.port, "/metrics")).status, 404);
    assert.equal((await get(scrape.port, "/metrics")).status, 200);
    assert.equal((await get(scrape.port, "/healthz")).status, 404);
  } finally {
    await Promise.all([probes.close(), scrape.close()]);
  }
});

Deno.test("the health server answers 404 to unknown paths and 405 to writes", async () => {
  const server = startHealthServer({ hostname: "127.0.0.1", port: 0 });
  try {
    assert.equal((await get(server.port, "/")).status, 404);
    assert.equal((await get(server.port, "/metrics")).status, 404, "no metrics were given");
    assert.equal((await get(server.port, "/healthz", "POST")).status, 405);
    assert.equal((await get(server.port, "/healthz", "HEAD")).status, 200);
  } finally {
    await server.close();
  }
});

Deno.test("startHealthServer() refuses serveMetrics without a registry", () => {
  assert.throws(() => startHealthServer({ port: 0, serveMetrics: true }), {
    name: "TypeError",
    message: "Cannot serve /metrics: no metrics registry was given",
  });
});

Deno.test("startHealthServer() names the address when the port is taken", async () => {
  const first = startHealthServer({ hostname: "127.0.0.1", port: 0 });
  try {
    assert.throws(() => startHealthServer({ hostname: "127.0.0.1", port: first.port }), {
      message: new RegExp(`^Cannot start health server on 127\\.0\\.0\\.1:${first.port}: `),
    });
  } finally {
    await first.close();
  }
});

Deno.test("closing the health server twice is harmless and logs its start", async () => {
  const lines: string[] = [];
  const server = startHealthServer({
    hostname: "127.0.0.1",
    port: 0,
    logger: createLogger({ write: (line) => lines.push(line) }),
  });
  await server.close();
  await server.close();
  assert.equal(JSON.parse(lines[0]!).port, server.port);
});
