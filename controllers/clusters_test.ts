import assert from "node:assert/strict";
import { ClusterRegistry } from "./clusters.ts";
import { KubeClient } from "../lib/kube/client.ts";
import type { Kubeconfig } from "../lib/kubeconfig/types.ts";
import { createCertificateAuthority } from "../lib/pki/mod.ts";

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

/** Polls until `check` holds, failing after `ms`. */
async function until(what: string, check: () => boolean, ms = 2000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

Deno.test("ClusterRegistry closes a replaced or removed client only after its listeners settled and the grace period", async () => {
  const registry = new ClusterRegistry({}, { retireGraceMs: 30 });
  let release!: () => void;
  const switched = new Promise<void>((resolve) => release = resolve);
  registry.onChange(() => switched);
  try {
    await registry.setSecondaries(config([{ context: "s1", cluster: "one", user: "admin1", token: "a" }]));
    const old = registry.get("one.admin1")!.client!;
    let closedAt: number | undefined;
    const close = old.close.bind(old);
    old.close = () => {
      closedAt = Date.now();
      close();
    };
    await registry.setSecondaries(config([{ context: "s1", cluster: "one", user: "admin1", token: "b" }]));
    assert.notEqual(registry.get("one.admin1")!.client, old);
    assert.equal(registry.retiringClients, 1);
    await new Promise((resolve) => setTimeout(resolve, 80));
    assert.equal(closedAt, undefined, "not closed while a listener still switches");
    const releasedAt = Date.now();
    release();
    await until("the old client to be closed", () => closedAt !== undefined);
    assert.ok(closedAt! - releasedAt >= 25, `closed ${closedAt! - releasedAt} ms after the listener settled`);
    assert.equal(registry.retiringClients, 0);

    const current = registry.get("one.admin1")!.client!;
    let currentClosed = false;
    const closeCurrent = current.close.bind(current);
    current.close = () => {
      currentClosed = true;
      closeCurrent();
    };
    await registry.setSecondaries(config([]));
    assert.equal(registry.retiringClients, 1, "a removed cluster's client retires too");
    await until("the removed client to be closed", () => currentClosed);
  } finally {
    registry.close();
  }
});

Deno.test("ClusterRegistry.close() closes clients still retiring and cancels their timers", async () => {
  const registry = new ClusterRegistry({}, { retireGraceMs: 60_000 });
  await registry.setSecondaries(config([{ context: "s1", cluster: "one", user: "admin1", token: "a" }]));
  const old = registry.get("one.admin1")!.client!;
  let closed = false;
  const close = old.close.bind(old);
  old.close = () => {
    closed = true;
    close();
  };
  await registry.setSecondaries(config([{ context: "s1", cluster: "one", user: "admin1", token: "b" }]));
  await until("the grace timer to start", () => registry.retiringClients === 1);
  registry.close();
  assert.ok(closed);
  assert.equal(registry.retiringClients, 0);
});

Deno.test("ClusterRegistry.keepUnavailable() registers unknown secondaries without a client until the Secret names them", async () => {
  const registry = new ClusterRegistry();
  const seen: string[] = [];
  registry.onChange((name, c) => void seen.push(`${c ? "set" : "removed"} ${name}`));
  try {
    await registry.setSecondaries(config([{ context: "s1", cluster: "one", user: "admin1", token: "a" }]));
    const kept = registry.get("one.admin1")!;
    const added = registry.keepUnavailable([
      { name: "one.admin1", context: "s1", cluster: "one", user: "admin1" },
      { name: "two.admin2", context: "s2", cluster: "two", user: "admin2" },
    ], "the kubeconfig Secret is missing");
    assert.deepEqual(added, ["two.admin2"]);
    assert.equal(registry.get("one.admin1"), kept, "a registered cluster keeps its client");
    const placeholder = registry.get("two.admin2")!;
    assert.equal(placeholder.client, undefined);
    assert.equal(placeholder.role, "secondary");
    assert.equal(placeholder.problem, "the kubeconfig Secret is missing");

    const change = await registry.setSecondaries(config([
      { context: "s1", cluster: "one", user: "admin1", token: "a" },
      { context: "s2", cluster: "two", user: "admin2", token: "b" },
    ]));
    assert.deepEqual([change.added, change.changed, change.removed], [[], ["two.admin2"], []]);
    assert.ok(registry.get("two.admin2")!.client instanceof KubeClient);
    assert.equal(registry.get("two.admin2")!.problem, undefined);
    assert.deepEqual(seen, ["set one.admin1", "set two.admin2", "set two.admin2"]);
  } finally {
    registry.close();
  }
});
