/**
 * The HTTP endpoints kubelet and Prometheus scrape: `/healthz` (and `/livez`),
 * `/readyz` and `/metrics`.
 *
 * Probe responses follow the Kubernetes API server's: `200 ok` when every check
 * passes, otherwise `500` with one `[+]name ok` / `[-]name failed` line a check.
 * `?verbose` lists the checks on success too; `/readyz/<name>` runs one check.
 *
 * @example
 * ```ts
 * const probes = startHealthServer({ port: 8081, serveMetrics: false, readyChecks: { informers: () => synced } });
 * const scrape = startHealthServer({ port: 8080, metrics, serveProbes: false });
 * await Promise.all([probes.close(), scrape.close()]);
 * ```
 *
 * @module
 */

import type { Logger } from "../log.ts";
import type { Metrics } from "./metrics.ts";

export type Check = () => boolean | Promise<boolean>;

export interface HealthServerOptions {
  /** Default "0.0.0.0", so kubelet can reach the probes on the pod IP. */
  hostname?: string;
  /** 0 picks any free port; read the chosen one from the result. */
  port: number;
  /** Served on /metrics when given (and serveMetrics is not false). */
  metrics?: Metrics;
  /** Run by /readyz; the server is ready when all pass. */
  readyChecks?: Record<string, Check>;
  /** Run by /healthz and /livez; the process is alive when all pass. */
  healthChecks?: Record<string, Check>;
  logger?: Logger;
  /** Serve /healthz, /livez and /readyz; default true. */
  serveProbes?: boolean;
  /** Serve /metrics; default true when `metrics` is given. */
  serveMetrics?: boolean;
}

export interface HealthServer {
  /** The port actually bound (useful with port 0). */
  readonly port: number;
  readonly hostname: string;
  /** Stops accepting connections and waits for open requests to finish. */
  close(): Promise<void>;
}

const TEXT = "text/plain; charset=utf-8";

async function runCheck(check: Check): Promise<boolean> {
  try {
    return (await check()) === true;
  } catch {
    return false;
  }
}

async function probe(
  kind: string,
  checks: Record<string, Check>,
  only: string | undefined,
  verbose: boolean,
): Promise<Response> {
  let names = Object.keys(checks);
  if (only !== undefined) {
    if (!Object.hasOwn(checks, only)) {
      return new Response(`${kind} check "${only}" not found\n`, {
        status: 404,
        headers: { "content-type": TEXT },
      });
    }
    names = [only];
  }
  const results = await Promise.all(
    names.map(async (name) => [name, await runCheck(checks[name]!)] as const),
  );
  const failed = results.some(([, ok]) => !ok);
  if (!failed && !verbose) return new Response("ok", { status: 200, headers: { "content-type": TEXT } });
  const lines = results.map(([name, ok]) => ok ? `[+]${name} ok` : `[-]${name} failed`);
  lines.push(failed ? `${kind} check failed` : `${kind} check passed`);
  return new Response(lines.join("\n") + "\n", {
    status: failed ? 500 : 200,
    headers: { "content-type": TEXT },
  });
}

/**
 * Starts an HTTP server for probes and/or metrics. Throws if the port cannot be bound.
 * Start two (one with `serveMetrics: false`, one with `serveProbes: false`) to serve
 * them on separate ports.
 */
export function startHealthServer(options: HealthServerOptions): HealthServer {
  const serveProbes = options.serveProbes ?? true;
  const serveMetrics = options.serveMetrics ?? options.metrics !== undefined;
  const metrics = options.metrics;
  if (serveMetrics && metrics === undefined) {
    throw new TypeError("Cannot serve /metrics: no metrics registry was given");
  }
  const readyChecks = options.readyChecks ?? {};
  const healthChecks = options.healthChecks ?? {};
  const hostname = options.hostname ?? "0.0.0.0";
  const log = options.logger;

  const handler = async (request: Request): Promise<Response> => {
    const url = new URL(request.url);
    const path = url.pathname.replace(/\/+$/, "") || "/";
    if (request.method !== "GET" && request.method !== "HEAD") {
      return new Response("method not allowed\n", { status: 405, headers: { allow: "GET, HEAD" } });
    }
    const verbose = url.searchParams.has("verbose");
    if (serveProbes) {
      const [, root, only] = /^\/(healthz|livez|readyz)(?:\/([^/]+))?$/.exec(path) ?? [];
      if (root !== undefined) {
        const checks = root === "readyz" ? readyChecks : healthChecks;
        return await probe(root, checks, only === undefined ? undefined : decodeURIComponent(only), verbose);
      }
    }
    if (serveMetrics && metrics && path === "/metrics") {
      return new Response(await metrics.text(), {
        status: 200,
        headers: { "content-type": metrics.contentType },
      });
    }
    return new Response("not found\n", { status: 404, headers: { "content-type": TEXT } });
  };

  let server: Deno.HttpServer<Deno.NetAddr>;
  try {
    server = Deno.serve({
      hostname,
      port: options.port,
      onListen: () => {},
      onError: (error) => {
        log?.error("Health server request failed", { error });
        return new Response("internal server error\n", { status: 500, headers: { "content-type": TEXT } });
      },
    }, handler);
  } catch (error) {
    throw new Error(
      `Cannot start health server on ${hostname}:${options.port}: ${(error as Error)?.message ?? error}`,
      { cause: error },
    );
  }
  const port = server.addr.port;
  log?.info("Health server listening", { hostname, port, probes: serveProbes, metrics: serveMetrics });

  let closing: Promise<void> | undefined;
  return {
    port,
    hostname,
    close() {
      closing ??= server.shutdown();
      return closing;
    },
  };
}
