import assert from "node:assert/strict";
import type { KubeClient } from "../../lib/kube/client.ts";
import { DashboardHub } from "./hub.ts";
import { dashboardHandler, serveDashboard } from "./server.ts";

// The hub is never started here: no request reaches a cluster.
const hub = () => new DashboardHub({ client: {} as KubeClient, namespace: "plumber-system" });
const HOST = "127.0.0.1:8088";
const get = (path: string, init: RequestInit = {}, host = HOST) =>
  dashboardHandler(hub(), () => [HOST])(
    new Request(`http://${host}${path}`, { ...init, headers: { host, ...init.headers } }),
  );

Deno.test("the dashboard serves its page, script and style with a same-origin-only content policy", async () => {
  const assets: [string, string][] = [["/", "text/html"], ["/app.js", "text/javascript"], [
    "/app.css",
    "text/css",
  ]];
  for (const [path, type] of assets) {
    const response = get(path);
    assert.equal(response.status, 200, path);
    assert.match(response.headers.get("content-type") ?? "", new RegExp(`^${type}`));
    assert.match(
      response.headers.get("content-security-policy") ?? "",
      /default-src 'none'; script-src 'self'/,
    );
    const body = await response.text();
    assert.doesNotMatch(body, /https?:\/\/(?!127\.0\.0\.1)/, `${path} refers to nothing outside plumberctl`);
  }
});

Deno.test("the dashboard refuses a foreign Host (DNS rebinding), any write method and unknown paths", async () => {
  const foreign = get("/", {}, "evil.example:8088");
  assert.equal(foreign.status, 403);
  await foreign.body?.cancel();
  for (const method of ["POST", "PUT", "PATCH", "DELETE"]) {
    const response = get("/api/cell", { method });
    assert.equal(response.status, 405, method);
    assert.match(await response.text(), /read-only/);
  }
  const missing = get("/nope");
  assert.equal(missing.status, 404);
  await missing.body?.cancel();
  const unknown = get("/api/cell?replicator=web&cluster=a");
  assert.equal(unknown.status, 404);
  assert.equal(await unknown.text(), 'Replicator "web" is not in the primary\n');
});

Deno.test("the event stream starts with the whole picture, and ends when the server stops", async () => {
  const stop = new AbortController();
  const server = serveDashboard(hub(), { port: 0, signal: stop.signal });
  assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
  const response = await fetch(new URL("/events", server.url));
  assert.equal(response.headers.get("content-type"), "text/event-stream");
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!text.includes("data: ")) text += (await reader.read()).value ?? "";
  while (!text.endsWith("\n\n")) text += (await reader.read()).value ?? "";
  const first = JSON.parse(text.slice(text.indexOf("data: ") + 6));
  assert.equal(first.full, true);
  assert.deepEqual(first.rows, []);
  assert.deepEqual(first.watches.map((w: { kind: string }) => w.kind), [
    "Replicator",
    "ClusterDetector",
    "Event",
  ]);
  stop.abort();
  // The stream ends, cleanly or with the connection.
  const ending = (async () => {
    try {
      while (!(await reader.read()).done) { /* drain */ }
      return "done";
    } catch {
      return "closed";
    }
  })();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const ended = await Promise.race([
    ending,
    new Promise<string>((resolve) => timer = setTimeout(() => resolve("still open after 10 s"), 10_000)),
  ]);
  clearTimeout(timer);
  assert.notEqual(ended, "still open after 10 s");
  await server.finished;
});
