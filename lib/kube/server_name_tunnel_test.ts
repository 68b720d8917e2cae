/**
 * The tunnel that lets `fetch` verify against `tls-server-name`, with a local TLS
 * server whose certificate (from `lib/pki/`) names only `api.internal`: what it
 * tunnels, what it refuses, and that certificate verification stays Deno's own. The
 * client's use of it against a real API server is tested in `tests/client_test.ts`.
 */

import assert from "node:assert/strict";
import { createCertificateAuthority, issueServerCertificate } from "../pki/mod.ts";
import { ServerNameTunnel } from "./server_name_tunnel.ts";
import { openTransport } from "./transport.ts";

async function withTlsServer(body: (port: number, caPem: string) => Promise<void>): Promise<void> {
  const ca = await createCertificateAuthority({ commonName: "tunnel-test-ca" });
  const cert = await issueServerCertificate(ca, { commonName: "api", dnsNames: ["api.internal"] });
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, cert: cert.certPem, key: cert.keyPem, onListen() {} },
    (request) => new Response(`served ${new URL(request.url).host}`),
  );
  try {
    await body(server.addr.port, ca.certPem);
  } finally {
    await server.shutdown();
  }
}

/** Sends `request` to the tunnel and returns its status line. */
async function statusLine(port: number, request: string): Promise<string> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await conn.write(new TextEncoder().encode(request));
    const buffer = new Uint8Array(1024);
    const n = await conn.read(buffer);
    return new TextDecoder().decode(buffer.subarray(0, n ?? 0)).split("\r\n")[0]!;
  } finally {
    conn.close();
  }
}

Deno.test("openTransport() with tlsServerName verifies the certificate against that name, not the server URL's host", async () => {
  await withTlsServer(async (port, caPem) => {
    const connection = {
      contextName: "c",
      cluster: "c",
      user: "u",
      server: `https://127.0.0.1:${port}`,
      caPem,
    };
    const plain = openTransport(connection);
    try {
      await assert.rejects(fetch(`${plain.base}/x`, { client: plain.http }), (error: Error) => {
        assert.match(String(error.cause), /not valid for name "127\.0\.0\.1"/);
        return true;
      });
    } finally {
      plain.close();
    }
    const named = openTransport({ ...connection, tlsServerName: "api.internal" });
    try {
      assert.equal(named.base, `https://api.internal:${port}`);
      const response = await fetch(`${named.base}/x`, { client: named.http });
      assert.equal(await response.text(), `served api.internal:${port}`);
    } finally {
      named.close();
    }
    const wrong = openTransport({ ...connection, tlsServerName: "other.internal" });
    try {
      await assert.rejects(fetch(`${wrong.base}/x`, { client: wrong.http }), (error: Error) => {
        assert.match(String(error.cause), /not valid for name "other\.internal"/);
        return true;
      });
    } finally {
      wrong.close();
    }
  });
});

Deno.test("ServerNameTunnel serves only its own client, only for the expected name, and only CONNECT", async () => {
  await withTlsServer(async (port) => {
    const tunnel = new ServerNameTunnel({
      serverName: "api.internal",
      target: { hostname: "127.0.0.1", port },
    });
    const proxyPort = Number(new URL(tunnel.proxy.url).port);
    const { username, password } = tunnel.proxy.basicAuth;
    const auth = `Proxy-Authorization: Basic ${btoa(`${username}:${password}`)}\r\n`;
    try {
      assert.equal(new URL(tunnel.proxy.url).hostname, "127.0.0.1");
      assert.match(password, /^[0-9a-f]{48}$/);
      assert.equal(
        await statusLine(proxyPort, `CONNECT api.internal:${port} HTTP/1.1\r\n\r\n`),
        "HTTP/1.1 407 Proxy Authentication Required",
      );
      const wrongAuth = `Proxy-Authorization: Basic ${btoa(`${username}:guess`)}\r\n`;
      assert.equal(
        await statusLine(proxyPort, `CONNECT api.internal:${port} HTTP/1.1\r\n${wrongAuth}\r\n`),
        "HTTP/1.1 407 Proxy Authentication Required",
      );
      assert.equal(
        await statusLine(proxyPort, `CONNECT 127.0.0.1:22 HTTP/1.1\r\n${auth}\r\n`),
        "HTTP/1.1 403 Forbidden",
      );
      assert.equal(
        await statusLine(proxyPort, `GET http://api.internal:${port}/ HTTP/1.1\r\n${auth}\r\n`),
        "HTTP/1.1 405 Method Not Allowed",
      );
      assert.equal(
        await statusLine(proxyPort, `CONNECT API.internal:${port} HTTP/1.1\r\n${auth}\r\n`),
        "HTTP/1.1 200 Connection established",
      );
    } finally {
      tunnel.close();
    }
  });
});

Deno.test("ServerNameTunnel answers 502 when the server or the upstream proxy cannot be reached", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const closedPort = (listener.addr as Deno.NetAddr).port;
  listener.close();
  for (const upstream of [undefined, { hostname: "127.0.0.1", port: closedPort }]) {
    const tunnel = new ServerNameTunnel({
      serverName: "api.internal",
      target: { hostname: "127.0.0.1", port: closedPort },
      upstream,
    });
    const { username, password } = tunnel.proxy.basicAuth;
    try {
      assert.equal(
        await statusLine(
          Number(new URL(tunnel.proxy.url).port),
          `CONNECT api.internal:${closedPort} HTTP/1.1\r\nProxy-Authorization: Basic ${
            btoa(`${username}:${password}`)
          }\r\n\r\n`,
        ),
        "HTTP/1.1 502 Bad Gateway",
      );
    } finally {
      tunnel.close();
    }
  }
});

Deno.test("openTransport() refuses what it cannot honour, naming the context, the field and the value", () => {
  const connection = { contextName: "east", cluster: "c", user: "u", server: "https://10.0.0.1:6443" };
  assert.throws(() => openTransport({ ...connection, proxyUrl: "socks4://u:secret@proxy:1080" }), {
    name: "TypeError",
    message:
      'Cannot connect with context "east": proxy-url "socks4://u:REDACTED@proxy:1080" has the unsupported scheme "socks4"; use http://, https:// or socks5://',
  });
  assert.throws(
    () => openTransport({ ...connection, tlsServerName: "api.internal", proxyUrl: "socks5://proxy:1080" }),
    /^TypeError: Cannot connect with context "east": tls-server-name "api\.internal" is set together with proxy-url "socks5:\/\/proxy:1080"/,
  );
  assert.throws(
    () => openTransport({ ...connection, server: "http://127.0.0.1:8001", tlsServerName: "api.internal" }),
    /Cannot connect with context "east": tls-server-name is set but server "http:\/\/127\.0\.0\.1:8001" does not use https/,
  );
});
