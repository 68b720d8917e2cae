import assert from "node:assert/strict";
import { ClusterRegistry } from "./clusters.ts";
import { KubeClient } from "../lib/kube/client.ts";
import type { Kubeconfig } from "../lib/kubeconfig.ts";
import { createCertificateAuthority } from "../lib/pki.ts";

const CA = btoa((await createCertificateAuthority({ commonName: "test-ca" })).certPem);
const BROKEN_CA = btoa("-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n");

function config(
  entries: Array<
    { context: string; cluster: string; user: string; token?: string; exec?: boolean; ca?: string }
  >,
): Kubeconfig {
  return {
    apiVersion: "v1",
    kind: "Config",
    clusters: entries.map((e) => ({
      name: e.cluster,
      cluster: { server: `https://${e.cluster}.example:6443`, "certificate-authority-data": e.ca ?? CA },
    })),
    users: entries.map((e) => ({
      name: e.user,
      user: e.exec
        ? { exec: { apiVersion: "client.authentication.k8s.io/v1", command: "aws" } }
        : { token: e.token ?? "t" },
    })),
    contexts: entries.map((e) => ({ name: e.context, context: { cluster: e.cluster, user: e.user } })),
  };
}

Deno.test("ClusterRegistry rebuilds only the clients whose credentials changed", async () => {
  const registry = new ClusterRegistry();
  const seen: string[] = [];
  registry.onChange((name, c) => seen.push(`${c ? "set" : "removed"} ${name}`));
  try {
    const first = await registry.setSecondaries(config([
      { context: "s1", cluster: "one", user: "admin1", token: "a" },
      { context: "s2", cluster: "two", user: "admin2", token: "b" },
    ]));
    assert.deepEqual(first.added.sort(), ["one.admin1", "two.admin2"]);
    const clientOne = registry.get("one.admin1")!.client;
    const clientTwo = registry.get("two.admin2")!.client;
    assert.ok(clientOne instanceof KubeClient);

    const same = await registry.setSecondaries(config([
      { context: "s1", cluster: "one", user: "admin1", token: "a" },
      { context: "s2", cluster: "two", user: "admin2", token: "b" },
    ]));
    assert.deepEqual([same.added, same.changed, same.removed], [[], [], []]);

    const rotated = await registry.setSecondaries(config([
      { context: "s1", cluster: "one", user: "admin1", token: "a" },
      { context: "s2", cluster: "two", user: "admin2", token: "new" },
    ]));
    assert.deepEqual(rotated.changed, ["two.admin2"]);
    assert.equal(registry.get("one.admin1")!.client, clientOne, "untouched cluster keeps its client");
    assert.notEqual(registry.get("two.admin2")!.client, clientTwo, "changed credentials get a new client");

    const removed = await registry.setSecondaries(
      config([{ context: "s1", cluster: "one", user: "admin1", token: "a" }]),
    );
    assert.deepEqual(removed.removed, ["two.admin2"]);
    assert.equal(registry.get("two.admin2"), undefined);
    assert.deepEqual(seen, ["set one.admin1", "set two.admin2", "set two.admin2", "removed two.admin2"]);
  } finally {
    registry.close();
  }
});

Deno.test("ClusterRegistry keeps invalid contexts as problems and rejects names that cannot be ClusterDetectors", async () => {
  const registry = new ClusterRegistry();
  try {
    const primaryClient = new KubeClient({
      contextName: "p",
      cluster: "kubernetes",
      user: "admin",
      server: "https://p.example",
    });
    registry.setPrimary({ context: "p", cluster: "kubernetes", user: "admin" }, primaryClient);
    const change = await registry.setSecondaries(config([
      { context: "plugin", cluster: "exec-cluster", user: "exec-user", exec: true },
      { context: "bad", cluster: "Bad_Name", user: "u" },
      { context: "clash", cluster: "kubernetes", user: "admin" },
      { context: "broken", cluster: "broken", user: "u", ca: BROKEN_CA },
      { context: "good", cluster: "good", user: "u" },
    ]));
    assert.ok(registry.get("good.u")?.client, "a broken context does not stop the others");
    assert.match(registry.get("broken.u")?.problem ?? "", /TLS credentials|certificate/);
    const plugin = registry.get("exec-cluster.exec-user")!;
    assert.equal(plugin.client, undefined);
    assert.match(plugin.problem ?? "", /exec/);
    assert.deepEqual(change.rejected.map((r) => r.context).sort(), ["bad", "clash"]);
    assert.match(change.rejected.find((r) => r.context === "bad")!.message, /RFC 1123/);
    assert.match(change.rejected.find((r) => r.context === "clash")!.message, /primary/);
    assert.equal(registry.primary?.name, "kubernetes.admin");
    primaryClient.close();
  } finally {
    registry.close();
  }
});
