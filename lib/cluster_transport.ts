/**
 * The transport settings of a kubeconfig cluster entry that plumber honours besides
 * the server and its CA: `proxy-url` and `tls-server-name`. Pure checks shared by
 * storage validation, `resolveConnection` and the REST client, so a value the client
 * could not use is refused with the same words wherever it is first seen.
 *
 * What is supported, and why:
 * - `proxy-url` with the schemes client-go accepts (`http`, `https`, `socks5`): Deno's
 *   `createHttpClient({ proxy })` speaks all three. Credentials in the URL are sent as
 *   the proxy's basic auth.
 * - `tls-server-name`: the server certificate is verified against it and SNI carries
 *   it. Deno's `fetch` has no option for that, so the client tunnels through a loopback
 *   CONNECT relay (`lib/kube/server_name_tunnel.ts`); through a proxy that works only
 *   when the proxy speaks HTTP CONNECT in plain HTTP (`http://`), which the relay can
 *   chain to.
 *
 * @module
 */

/** The schemes client-go accepts in `proxy-url`; Deno supports each. */
export const PROXY_SCHEMES = ["http", "https", "socks5"] as const;

/** A `proxy-url` taken apart: the URL without credentials, and the credentials. */
export interface ProxySettings {
  scheme: (typeof PROXY_SCHEMES)[number];
  /** E.g. `http://proxy.example:3128` (no user info). */
  url: string;
  hostname: string;
  port: number;
  /** From the URL's user info, percent-decoded. */
  basicAuth?: { username: string; password: string };
}

const DEFAULT_PROXY_PORT: Record<ProxySettings["scheme"], number> = { http: 80, https: 443, socks5: 1080 };

/**
 * `raw` with the password of its user info replaced, for messages.
 *
 * @example
 * ```ts
 * redactProxyUrl("http://u:secret@proxy:3128"); // "http://u:REDACTED@proxy:3128/"
 * ```
 */
export function redactProxyUrl(raw: string): string {
  try {
    const url = new URL(raw);
    if (url.password === "") return raw;
    url.password = "REDACTED";
    return url.href;
  } catch {
    return raw.replace(/\/\/([^/@:]*):[^/@]*@/, "//$1:REDACTED@");
  }
}

/**
 * Why `raw` cannot be used as `proxy-url`, or `undefined` when it can. The value in
 * the message has its password redacted.
 *
 * @example
 * ```ts
 * proxyUrlProblem("socks4://proxy:1080");
 * // '"socks4://proxy:1080" has the unsupported scheme "socks4"; use http://, https:// or socks5://'
 * ```
 */
export function proxyUrlProblem(raw: string): string | undefined {
  const shown = `"${redactProxyUrl(raw)}"`;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return `${shown} is not a URL; write it as http://host:port, https://host:port or socks5://host:port`;
  }
  const scheme = url.protocol.replace(/:$/, "");
  if (!(PROXY_SCHEMES as readonly string[]).includes(scheme)) {
    return `${shown} has the unsupported scheme "${scheme}"; use http://, https:// or socks5://`;
  }
  if (url.hostname === "") return `${shown} names no host`;
  if ((url.pathname !== "/" && url.pathname !== "") || url.search !== "" || url.hash !== "") {
    return `${shown} has a path, query or fragment; a proxy URL is scheme://[user:password@]host[:port]`;
  }
  return undefined;
}

/**
 * Takes a valid `proxy-url` apart for `Deno.createHttpClient`.
 *
 * @throws {TypeError} When `proxyUrlProblem(raw)` finds a problem; the message names it.
 */
export function parseProxyUrl(raw: string): ProxySettings {
  const problem = proxyUrlProblem(raw);
  if (problem !== undefined) throw new TypeError(`Cannot use proxy-url ${problem}`);
  const url = new URL(raw);
  const scheme = url.protocol.replace(/:$/, "") as ProxySettings["scheme"];
  const settings: ProxySettings = {
    scheme,
    url: `${scheme}://${url.host}`,
    hostname: url.hostname.replace(/^\[(.*)\]$/, "$1"),
    port: url.port === "" ? DEFAULT_PROXY_PORT[scheme] : Number(url.port),
  };
  if (url.username !== "" || url.password !== "") {
    settings.basicAuth = {
      username: decodeURIComponent(url.username),
      password: decodeURIComponent(url.password),
    };
  }
  return settings;
}

const DNS_NAME = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*$/i;
const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/**
 * Why `name` cannot be used as `tls-server-name` together with `proxyUrl`, or
 * `undefined` when it can: it must be a DNS name or an IPv4 address (what a server
 * certificate names), and a proxy must be plain `http://` (see the module doc).
 *
 * @example
 * ```ts
 * tlsServerNameProblem("api.internal", "socks5://proxy:1080");
 * // 'is set together with proxy-url "socks5://proxy:1080"; ...'
 * ```
 */
export function tlsServerNameProblem(name: string, proxyUrl?: string): string | undefined {
  if (!DNS_NAME.test(name) && !IPV4.test(name)) {
    return `"${name}" is not a DNS name or an IPv4 address, so no server certificate can name it`;
  }
  if (proxyUrl !== undefined && proxyUrl !== "" && proxyUrlProblem(proxyUrl) === undefined) {
    const scheme = new URL(proxyUrl).protocol;
    if (scheme !== "http:") {
      return `"${name}" is set together with proxy-url "${
        redactProxyUrl(proxyUrl)
      }"; plumber can verify the server certificate against tls-server-name only directly or through an http:// proxy (Deno's fetch cannot set the TLS server name, so plumber tunnels the connection itself and speaks HTTP CONNECT to the proxy); use an http:// proxy, or drop tls-server-name and use a server URL whose host the certificate names`;
    }
  }
  return undefined;
}
