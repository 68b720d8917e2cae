import assert from "node:assert/strict";
import { UsageError } from "../../lib/errors.ts";
import type { Kubeconfig } from "../../lib/kubeconfig/mod.ts";
import { loopbackWarning, parseServerOverride, withServer } from "./add_server.ts";

function config(cluster: Kubeconfig["clusters"][number]["cluster"]): Kubeconfig {
  return {
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name: "kind-east", cluster }],
    users: [{ name: "kind-east", user: { token: "t" } }],
    contexts: [{ name: "kind-east", context: { cluster: "kind-east", user: "kind-east" } }],
  };
}

Deno.test("parseServerOverride() accepts an https URL and a DNS name, and refuses anything else naming the flag", () => {
  assert.deepEqual(parseServerOverride(), {});
  assert.deepEqual(parseServerOverride("https://east-control-plane:6443/", "east-control-plane"), {
    server: "https://east-control-plane:6443",
    tlsServerName: "east-control-plane",
  });
  for (
    const [server, name, message] of [
      [
        "east:6443",
        undefined,
        /^invalid value "east:6443" for --server: the API server address must use https/,
      ],
      ["nonsense", undefined, /^invalid value "nonsense" for --server: not a URL/],
      ["http://10.0.0.5:6443", undefined, /for --server: the API server address must use https/],
      ["https://u:p@10.0.0.5", undefined, /for --server: give scheme, host, port and path only/],
      [undefined, "bad name!", /^invalid value "bad name!" for --tls-server-name: /],
    ] as const
  ) {
    assert.throws(() => parseServerOverride(server, name), (e: unknown) => {
      assert.ok(e instanceof UsageError, String(e));
      assert.match(e.message, message);
      return true;
    });
  }
});

Deno.test("withServer() replaces the server, drops the old tls-server-name unless one is given, keeps the CA", () => {
  const base = config({
    server: "https://127.0.0.1:40123",
    "certificate-authority-data": "Q0E=",
    "tls-server-name": "old",
  });
  assert.equal(withServer(base, {}), base);
  assert.deepEqual(withServer(base, { server: "https://east-control-plane:6443" }).clusters[0]!.cluster, {
    server: "https://east-control-plane:6443",
    "certificate-authority-data": "Q0E=",
  });
  assert.deepEqual(
    withServer(base, { server: "https://172.18.0.3:6443", tlsServerName: "east-control-plane" }).clusters[0]!
      .cluster,
    {
      server: "https://172.18.0.3:6443",
      "certificate-authority-data": "Q0E=",
      "tls-server-name": "east-control-plane",
    },
  );
  assert.equal(base.clusters[0]!.cluster.server, "https://127.0.0.1:40123", "the input is not changed");
});

Deno.test("loopbackWarning() names the context, the address, the Deployment and the flags to use", () => {
  assert.equal(
    loopbackWarning("https://127.0.0.1:40123", "kind-east", "plumber-system"),
    "Warning: the address stored for context kind-east, https://127.0.0.1:40123, is a loopback address, and the operator runs in the primary (Deployment plumber-system/plumber): inside its Pod that address is the Pod itself. Re-run with --server <address reachable from the Pod> (and --tls-server-name <name in the certificate> if the certificate does not name that address)\n",
  );
});
