/**
 * Verifying an API server's certificate against a kubeconfig's `tls-server-name`
 * instead of the server URL's host, with Deno's `fetch`.
 *
 * Deno's `fetch` verifies against, and sends as SNI, the host of the request URL, and
 * has no option to change that (its `tcp` and `unix` proxy transports speak plain
 * HTTP, no TLS). So the client puts the TLS server name in the URL and gives `fetch`
 * this tunnel as its HTTP proxy: `fetch` sends `CONNECT <name>:<port>`, the tunnel
 * opens a TCP connection to the real address (directly, or through an upstream
 * `http://` proxy with its own `CONNECT`), and `fetch` then runs TLS end to end through
 * it with SNI and full certificate verification on the name. The tunnel only copies
 * bytes; it never sees plaintext and cannot weaken verification.
 *
 * It listens on 127.0.0.1 and serves only its own client: every CONNECT must carry a
 * random password (as proxy basic auth) and name exactly the expected server name and
 * port; it always connects to the one configured address.
 *
 * @module
 */

/** Where the tunnel sends bytes: the host and port of the kubeconfig's server URL. */
export interface TunnelAddress {
  hostname: string;
  port: number;
}

/** An `http://` proxy to reach the server through, as client-go would. */
export interface UpstreamProxy extends TunnelAddress {
  basicAuth?: { username: string; password: string };
}

/** Options of {@linkcode ServerNameTunnel}. */
export interface ServerNameTunnelOptions {
  /** `tls-server-name`: what `fetch` names in its CONNECT and verifies. */
  serverName: string;
  /** The real address (the server URL's host and port). */
  target: TunnelAddress;
  upstream?: UpstreamProxy;
}

const HEAD_LIMIT = 16 * 1024;
const HEAD_TIMEOUT_MS = 10_000;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** `host:port`, with brackets around an IPv6 host. */
export function authority(hostname: string, port: number): string {
  return `${hostname.includes(":") ? `[${hostname}]` : hostname}:${port}`;
}

/** A loopback CONNECT relay for one client; see the module doc. `close()` ends every connection. */
export class ServerNameTunnel {
  /** What to pass as `Deno.createHttpClient({ proxy })`. */
  readonly proxy: { url: string; basicAuth: { username: string; password: string } };
  #options: ServerNameTunnelOptions;
  #listener: Deno.Listener;
  #conns = new Set<Deno.Conn>();
  #authorization: string;
  #expected: string;

  constructor(options: ServerNameTunnelOptions) {
    this.#options = options;
    this.#expected = authority(options.serverName, options.target.port).toLowerCase();
    this.#listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const password = Array.from(
      crypto.getRandomValues(new Uint8Array(24)),
      (b) => b.toString(16).padStart(2, "0"),
    )
      .join("");
    const basicAuth = { username: "plumber", password };
    this.#authorization = `Basic ${btoa(`${basicAuth.username}:${password}`)}`;
    this.proxy = { url: `http://127.0.0.1:${(this.#listener.addr as Deno.NetAddr).port}`, basicAuth };
    this.#accept();
  }

  /** Stops listening and closes every open connection. */
  close(): void {
    try {
      this.#listener.close();
    } catch {
      // already closed
    }
    for (const conn of this.#conns) closeQuietly(conn);
    this.#conns.clear();
  }

  async #accept(): Promise<void> {
    try {
      for await (const conn of this.#listener) this.#serve(conn);
    } catch {
      // the listener was closed
    }
  }

  async #serve(client: Deno.Conn): Promise<void> {
    this.#conns.add(client);
    let server: Deno.Conn | undefined;
    try {
      const head = await readHead(client);
      const refusal = head === undefined ? "400 Bad Request" : this.#refusal(head.text);
      if (refusal !== undefined) {
        await writeAll(client, encoder.encode(`HTTP/1.1 ${refusal}\r\nContent-Length: 0\r\n\r\n`));
        return;
      }
      let early: Uint8Array;
      try {
        [server, early] = await this.#dial();
      } catch {
        await writeAll(client, encoder.encode("HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n"));
        return;
      }
      this.#conns.add(server);
      await writeAll(client, encoder.encode("HTTP/1.1 200 Connection established\r\n\r\n"));
      if (early.length > 0) await writeAll(client, early);
      if (head!.rest.length > 0) await writeAll(server, head!.rest);
      await Promise.all([copy(client, server), copy(server, client)]);
    } catch {
      // a broken connection ends the tunnel; fetch reports it to its caller
    } finally {
      for (const conn of [client, server]) {
        if (conn && this.#conns.delete(conn)) closeQuietly(conn);
      }
    }
  }

  /** The status to answer instead of tunnelling, or `undefined` to tunnel. */
  #refusal(head: string): string | undefined {
    const [requestLine = "", ...lines] = head.split("\r\n");
    const [method, target] = requestLine.split(" ");
    const authorization = lines.find((l) => /^proxy-authorization:/i.test(l))?.replace(/^[^:]*:\s*/, "");
    if (authorization !== this.#authorization) {
      return '407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="plumber"';
    }
    if (method !== "CONNECT") return "405 Method Not Allowed";
    if (target?.toLowerCase() !== this.#expected) return "403 Forbidden";
    return undefined;
  }

  /** A connection to the target, and any bytes the upstream proxy sent past its answer. */
  async #dial(): Promise<[Deno.Conn, Uint8Array]> {
    const { target, upstream } = this.#options;
    if (!upstream) return [await Deno.connect(target), new Uint8Array()];
    const conn = await Deno.connect({ hostname: upstream.hostname, port: upstream.port });
    try {
      const to = authority(target.hostname, target.port);
      const auth = upstream.basicAuth
        ? `Proxy-Authorization: Basic ${
          btoa(
            String.fromCharCode(
              ...encoder.encode(`${upstream.basicAuth.username}:${upstream.basicAuth.password}`),
            ),
          )
        }\r\n`
        : "";
      await writeAll(conn, encoder.encode(`CONNECT ${to} HTTP/1.1\r\nHost: ${to}\r\n${auth}\r\n`));
      const answer = await readHead(conn);
      const status = answer?.text.split("\r\n")[0]?.split(" ")[1];
      if (answer === undefined || status !== "200") throw new Error("the upstream proxy refused the tunnel");
      return [conn, answer.rest];
    } catch (error) {
      closeQuietly(conn);
      throw error;
    }
  }
}

/** Reads an HTTP head (up to the blank line); `undefined` when it is too long, slow or cut short. */
async function readHead(conn: Deno.Conn): Promise<{ text: string; rest: Uint8Array } | undefined> {
  const buffer = new Uint8Array(HEAD_LIMIT);
  let length = 0;
  const timer = setTimeout(() => closeQuietly(conn), HEAD_TIMEOUT_MS);
  try {
    while (length < HEAD_LIMIT) {
      const n = await conn.read(buffer.subarray(length));
      if (n === null) return undefined;
      const from = Math.max(0, length - 3);
      length += n;
      const end = indexOfBlankLine(buffer.subarray(0, length), from);
      if (end >= 0) {
        return { text: decoder.decode(buffer.subarray(0, end)), rest: buffer.slice(end + 4, length) };
      }
    }
    return undefined;
  } finally {
    clearTimeout(timer);
  }
}

/** Where `\r\n\r\n` starts in `bytes`, searching from `from`; -1 when absent. */
function indexOfBlankLine(bytes: Uint8Array, from: number): number {
  for (let i = from; i + 3 < bytes.length; i++) {
    if (bytes[i] === 13 && bytes[i + 1] === 10 && bytes[i + 2] === 13 && bytes[i + 3] === 10) return i;
  }
  return -1;
}

async function copy(from: Deno.Conn, to: Deno.Conn): Promise<void> {
  const buffer = new Uint8Array(32 * 1024);
  try {
    for (;;) {
      const n = await from.read(buffer);
      if (n === null) break;
      await writeAll(to, buffer.subarray(0, n));
    }
  } catch {
    // either side went away
  }
  try {
    await to.closeWrite();
  } catch {
    // already closed
  }
}

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  for (let written = 0; written < bytes.length;) written += await conn.write(bytes.subarray(written));
}

function closeQuietly(conn: Deno.Conn): void {
  try {
    conn.close();
  } catch {
    // already closed
  }
}
