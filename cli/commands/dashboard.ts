/**
 * `plumberctl dashboard`: a local web page with the clusters × Replicators picture, live. Like `kubectl
 * proxy`, it runs on the user's machine with the activated primary's own credentials, on the loopback
 * interface only: nothing is installed in any cluster, nothing is written, and the page receives only the
 * values plumberctl derives (see `cli/dashboard/`), never a credential.
 *
 * @module
 */

import { browserCommand } from "../browser_opener.ts";
import { API_VERSION, REPLICATOR_KIND } from "../../lib/api.ts";
import { CliError, UsageError } from "../../lib/errors.ts";
import { isNotFound } from "../../lib/kube/client.ts";
import { connectPrimary, onCluster } from "../connection.ts";
import type { CliContext } from "../context.ts";
import { DashboardHub } from "../dashboard/hub.ts";
import { type DashboardServer, serveDashboard } from "../dashboard/server.ts";
import { booleanFlag, type Command, namespaceFlag, stringFlag } from "../flags.ts";

/** Options of {@linkcode dashboard}. */
export interface DashboardOptions {
  /** Port on 127.0.0.1; 0 picks a free one. */
  port: number;
  namespace: string;
  /** Open the page in the default browser. */
  open?: boolean;
  /** Stops the server (Ctrl-C in a real run). */
  signal: AbortSignal;
  /** Called once the page is served, with its URL. */
  onReady?(server: DashboardServer): void;
}

/** Reads `--port`. @throws {UsageError} naming the flag and the value. */
export function parsePortFlag(text: string | undefined): number {
  if (text === undefined) return 0;
  const port = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!(port >= 0 && port <= 65535)) {
    throw new UsageError(
      `invalid value "${text}" for --port: expected a port number from 0 to 65535`,
      "dashboard",
    );
  }
  return port;
}

async function openBrowser(url: string, ctx: CliContext): Promise<void> {
  const { command, args } = browserCommand(Deno.build.os, url);
  try {
    const { success } = await new Deno.Command(command, { args, stdout: "null", stderr: "null" }).output();
    if (!success) throw new Error(`${command} failed`);
  } catch (error) {
    ctx.stderr(`Cannot open a browser (${(error as Error).message}); open ${url} yourself\n`);
  }
}

/** Serves the dashboard until `options.signal` aborts. */
export async function dashboard(options: DashboardOptions, ctx: CliContext): Promise<void> {
  const primary = await connectPrimary(ctx);
  try {
    // Fail now, with a clear message, rather than on the page.
    await onCluster(primary, async () => {
      try {
        await primary.client.list(API_VERSION, REPLICATOR_KIND, { limit: 1 });
      } catch (error) {
        if (!isNotFound(error)) throw error;
        throw new CliError(
          `The Replicator CRD is not installed in the primary (context "${primary.context}", ${primary.server}); install the plumber operator there`,
        );
      }
    });
    const hub = new DashboardHub({
      client: primary.client,
      namespace: options.namespace,
      now: () => ctx.now(),
    });
    let server: DashboardServer;
    try {
      server = serveDashboard(hub, { port: options.port, signal: options.signal });
    } catch (error) {
      if (error instanceof Deno.errors.AddrInUse) {
        throw new CliError(
          `Cannot serve the dashboard: port ${options.port} of 127.0.0.1 is in use; pick another --port`,
        );
      }
      throw error;
    }
    hub.start();
    ctx.stdout(
      `Serving the dashboard of ${primary.context} (${primary.server}) at ${server.url}\nRead-only; press Ctrl-C to stop.\n`,
    );
    options.onReady?.(server);
    if (options.open) await openBrowser(server.url, ctx);
    await server.finished;
    await hub.stop();
  } finally {
    primary.client.close();
  }
}

/** The `dashboard` command. */
export const dashboardCommand: Command = {
  name: "dashboard",
  summary: "Serve a live clusters × Replicators page on this machine (read-only)",
  usage: "plumberctl dashboard [--port <port>] [--open] [flags]",
  description: `
Serve a web page on 127.0.0.1 showing the registered clusters as columns (Running or
Unknown, reason, Kubernetes version, labels) and the Replicators as rows, each cell
coloured by that Replicator's state in that cluster: synced and ready, applying, not
ready (ready/desired), drift corrected in the last 5 minutes, rollout halted, conflict,
failed or not targeted. Hover a cell for the reason; select it (click, or arrow keys and
Enter) for its objects, the last drift and the Replicator's recent Events.

The page updates live from watches on the primary. plumberctl connects with the
activated primary's credentials, as kubectl proxy does: nothing is installed in any
cluster, nothing is written, and no credential reaches the page.`,
  flags: [
    {
      name: "port",
      type: "string",
      value: "<port>",
      description: "Port on 127.0.0.1 (default: a free port)",
    },
    { name: "open", type: "boolean", description: "Open the page in the default browser" },
  ],
  examples: ["plumberctl dashboard --open", "plumberctl dashboard --port 8088"],
  async run(flags, ctx) {
    const port = parsePortFlag(stringFlag(flags, "port"));
    const stop = new AbortController();
    const onSignal = () => stop.abort();
    Deno.addSignalListener("SIGINT", onSignal);
    try {
      await dashboard({
        port,
        namespace: namespaceFlag(flags),
        open: booleanFlag(flags, "open"),
        signal: stop.signal,
      }, ctx);
    } finally {
      Deno.removeSignalListener("SIGINT", onSignal);
    }
  },
};
