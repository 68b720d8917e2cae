import assert from "node:assert/strict";
import { parseProxyUrl, proxyUrlProblem, redactProxyUrl, tlsServerNameProblem } from "./cluster_transport.ts";

Deno.test("proxyUrlProblem() accepts the schemes client-go accepts and names the value of anything else", () => {
  for (
    const ok of [
      "http://proxy:3128",
      "https://proxy.example",
      "socks5://127.0.0.1:1080",
      "http://u:p@proxy:1/",
    ]
  ) {
    assert.equal(proxyUrlProblem(ok), undefined, ok);
  }
  assert.equal(
    proxyUrlProblem("socks4://proxy:1080"),
    '"socks4://proxy:1080" has the unsupported scheme "socks4"; use http://, https:// or socks5://',
  );
  assert.equal(
    proxyUrlProblem("socks5h://proxy:1080"),
    '"socks5h://proxy:1080" has the unsupported scheme "socks5h"; use http://, https:// or socks5://',
  );
  assert.match(proxyUrlProblem("proxy:3128")!, /"proxy:3128" has the unsupported scheme "proxy"/);
  assert.match(proxyUrlProblem("not a url")!, /^"not a url" is not a URL; write it as http:\/\/host:port/);
  assert.match(proxyUrlProblem("http://proxy:3128/path")!, /has a path, query or fragment/);
  assert.equal(
    proxyUrlProblem("ftp://user:secret@proxy"),
    '"ftp://user:REDACTED@proxy/" has the unsupported scheme "ftp"; use http://, https:// or socks5://',
  );
});

Deno.test("parseProxyUrl() splits the credentials off, percent-decoded, and fills in the default port", () => {
  assert.deepEqual(parseProxyUrl("http://plumber:p%40ss%20word@proxy.example:3128"), {
    scheme: "http",
    url: "http://proxy.example:3128",
    hostname: "proxy.example",
    port: 3128,
    basicAuth: { username: "plumber", password: "p@ss word" },
  });
  assert.deepEqual(parseProxyUrl("https://proxy.example"), {
    scheme: "https",
    url: "https://proxy.example",
    hostname: "proxy.example",
    port: 443,
  });
  assert.deepEqual(parseProxyUrl("socks5://[::1]:1080"), {
    scheme: "socks5",
    url: "socks5://[::1]:1080",
    hostname: "::1",
    port: 1080,
  });
  assert.throws(() => parseProxyUrl("socks4://x:1"), {
    name: "TypeError",
    message: /unsupported scheme "socks4"/,
  });
});

Deno.test("tlsServerNameProblem() wants a DNS name or IPv4 address, alone or with an http:// proxy", () => {
  for (const ok of ["kubernetes", "api.internal", "Kubernetes.Default.svc", "10.0.0.1"]) {
    assert.equal(tlsServerNameProblem(ok), undefined, ok);
    assert.equal(tlsServerNameProblem(ok, "http://proxy:3128"), undefined, ok);
  }
  for (const bad of ["api internal", "-api", "a/b", "api.internal:443", "::1", "x".repeat(64)]) {
    assert.match(tlsServerNameProblem(bad)!, /is not a DNS name or an IPv4 address/, bad);
  }
  for (const proxy of ["https://proxy:3128", "socks5://u:secret@proxy:1080"]) {
    const problem = tlsServerNameProblem("api.internal", proxy)!;
    assert.match(problem, /^"api\.internal" is set together with proxy-url "(https|socks5):\/\//);
    assert.match(problem, /use an http:\/\/ proxy, or drop tls-server-name/);
    assert.ok(!problem.includes("secret"));
  }
  // An invalid proxy-url is its own problem, not this one's.
  assert.equal(tlsServerNameProblem("api.internal", "socks4://proxy:1080"), undefined);
});

Deno.test("redactProxyUrl() hides the password, even in a value that is not a URL", () => {
  assert.equal(redactProxyUrl("http://u:secret@proxy:3128"), "http://u:REDACTED@proxy:3128/");
  assert.equal(redactProxyUrl("http://proxy:3128"), "http://proxy:3128");
  assert.equal(redactProxyUrl("http://u:sec ret@pro xy"), "http://u:REDACTED@pro xy");
});
