/**
 * The dashboard's HTTP server, on the loopback interface only: the page and its assets, the live
 * updates as server-sent events (`/events`) and one cell's details (`/api/cell`). Every route is a GET
 * that reads the hub's derived values: the server never writes to a cluster, and what it sends never
 * holds a credential. Requests whose Host is not the loopback address it listens on are refused, so a
 * web page elsewhere cannot read it through DNS rebinding.
 *
 * @module
 */

import type { DashboardHub, Update } from "./hub.ts";
import { PAGE_CSS } from "./page_css.ts";
import { PAGE_HTML } from "./page_html.ts";
import { PAGE_JS } from "./page_js.ts";

/** A running dashboard server. */
export interface DashboardServer {
  /** `http://127.0.0.1:<port>/`. */
  url: string;
  port: number;
  /** Resolves when the server has stopped. */
  finished: Promise<void>;
  shutdown(): Promise<void>;
}

const SECURITY_HEADERS = {
  "content-security-policy":
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "cache-control": "no-store",
};

function respond(body: string, type: string, status = 200): Response {
  return new Response(body, { status, headers: { ...SECURITY_HEADERS, "content-type": type } });
}

/** The request handler over a hub; `hosts` are the Host header values accepted. */
export function dashboardHandler(
  hub: DashboardHub,
  hosts: () => readonly string[],
  closing: AbortSignal = new AbortController().signal,
) {
  return (request: Request): Response => {
    if (!hosts().includes(request.headers.get("host") ?? "")) {
      return respond("Forbidden: the dashboard answers only on its loopback address\n", "text/plain", 403);
    }
    if (request.method !== "GET") {
      return respond("Method not allowed: the dashboard is read-only\n", "text/plain", 405);
    }
    const url = new URL(request.url);
    switch (url.pathname) {
      case "/":
        return respond(PAGE_HTML, "text/html; charset=utf-8");
      case "/app.js":
        return respond(PAGE_JS, "text/javascript; charset=utf-8");
      case "/app.css":
        return respond(PAGE_CSS, "text/css; charset=utf-8");
      case "/events":
        // Not request.signal: a client that goes away cancels the stream instead.
        return eventStream(hub, closing);
      case "/api/cell": {
        const replicator = url.searchParams.get("replicator") ?? "";
        const cluster = url.searchParams.get("cluster") ?? "";
        const detail = hub.detail(replicator, cluster);
        if (!detail) return respond(`Replicator "${replicator}" is not in the primary\n`, "text/plain", 404);
        return respond(JSON.stringify(detail), "application/json");
      }
      default:
        return respond("Not found\n", "text/plain", 404);
    }
  };
}

function eventStream(hub: DashboardHub, signal: AbortSignal): Response {
  const encoder = new TextEncoder();
  let unsubscribe = () => {};
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      // EventSource reconnects after this delay when the stream drops.
      controller.enqueue(encoder.encode("retry: 1000\n\n"));
      unsubscribe = () => {};
      const off = hub.subscribe((update: Update) => {
        try {
          controller.enqueue(encoder.encode(`data: ${JSON.stringify(update)}\n\n`));
        } catch {
          off();
        }
      });
      unsubscribe = () => off();
      signal.addEventListener("abort", () => {
        unsubscribe();
        try {
          controller.close();
        } catch {
          // already closed
        }
      });
    },
    cancel() {
      unsubscribe();
    },
  });
  return new Response(body, {
    headers: { ...SECURITY_HEADERS, "content-type": "text/event-stream", connection: "keep-alive" },
  });
}

/**
 * Starts serving on 127.0.0.1 (`port` 0: a free port chosen by the system).
 *
 * @throws {Deno.errors.AddrInUse} when the port is taken.
 */
export function serveDashboard(
  hub: DashboardHub,
  options: { port: number; signal?: AbortSignal },
): DashboardServer {
  let port = 0;
  // Streams of server-sent events never end on their own: end them when the server stops.
  const closing = new AbortController();
  options.signal?.addEventListener("abort", () => closing.abort());
  const hosts = () => [`127.0.0.1:${port}`, `localhost:${port}`];
  const server = Deno.serve({
    hostname: "127.0.0.1",
    port: options.port,
    signal: options.signal,
    onListen: () => {},
  }, dashboardHandler(hub, hosts, closing.signal));
  port = server.addr.port;
  return {
    url: `http://127.0.0.1:${port}/`,
    port,
    finished: server.finished,
    shutdown: () => {
      closing.abort();
      return server.shutdown();
    },
  };
}
