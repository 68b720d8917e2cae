/**
 * The HTTP transport of one {@linkcode ClusterConnection}: Deno's `HttpClient` with
 * the cluster's CA and client certificate, its `proxy-url`, and its `tls-server-name`
 * (through {@linkcode ServerNameTunnel}, as Deno's `fetch` cannot set the TLS server
 * name itself). Certificate verification is always on.
 *
 * @module
 */

import { parseProxyUrl, tlsServerNameProblem } from "../cluster_transport.ts";
import type { ClusterConnection } from "../kubeconfig/connection.ts";
import { ServerNameTunnel } from "./server_name_tunnel.ts";

/** What a client sends its requests with. */
export interface Transport {
  http: Deno.HttpClient;
  /**
   * Where requests go: the server URL without its trailing slash, or with
   * `tls-server-name` the same URL with that name as its host (the tunnel connects to
   * the real one).
   */
  base: string;
  /** Releases the connection pool and the tunnel, if any. */
  close(): void;
}

/**
 * Builds the transport for `connection`.
 *
 * @example
 * ```ts
 * const transport = openTransport({ ...connection, tlsServerName: "kubernetes" });
 * await fetch(`${transport.base}/version`, { client: transport.http });
 * transport.close();
 * ```
 *
 * @throws {TypeError} For a `proxyUrl` or `tlsServerName` plumber cannot honour; the
 * message names the context, the field and the value.
 */
export function openTransport(connection: ClusterConnection): Transport {
  const refuse = (message: string): never => {
    throw new TypeError(`Cannot connect with context "${connection.contextName}": ${message}`);
  };
  const server = connection.server.replace(/\/+$/, "");
  const options: Deno.CreateHttpClientOptions = {};
  if (connection.caPem) options.caCerts = [connection.caPem];
  let proxy;
  try {
    proxy = connection.proxyUrl ? parseProxyUrl(connection.proxyUrl) : undefined;
  } catch (error) {
    refuse((error as Error).message.replace(/^Cannot use /, ""));
  }

  let base = server;
  let tunnel: ServerNameTunnel | undefined;
  const serverName = connection.tlsServerName;
  if (serverName) {
    const problem = tlsServerNameProblem(serverName, connection.proxyUrl);
    if (problem !== undefined) refuse(`tls-server-name ${problem}`);
    const url = new URL(server);
    if (url.protocol !== "https:") refuse(`tls-server-name is set but server "${server}" does not use https`);
    const port = url.port === "" ? 443 : Number(url.port);
    tunnel = new ServerNameTunnel({
      serverName,
      target: { hostname: url.hostname.replace(/^\[(.*)\]$/, "$1"), port },
      upstream: proxy && { hostname: proxy.hostname, port: proxy.port, basicAuth: proxy.basicAuth },
    });
    url.hostname = serverName;
    base = url.href.replace(/\/+$/, "");
    options.proxy = tunnel.proxy;
  } else if (proxy) {
    options.proxy = proxy.basicAuth ? { url: proxy.url, basicAuth: proxy.basicAuth } : { url: proxy.url };
  }

  let http: Deno.HttpClient;
  try {
    http = connection.certPem && connection.keyPem
      ? Deno.createHttpClient({ ...options, cert: connection.certPem, key: connection.keyPem })
      : Deno.createHttpClient(options);
  } catch (error) {
    tunnel?.close();
    throw error;
  }
  return {
    http,
    base,
    close() {
      http.close();
      tunnel?.close();
    },
  };
}
