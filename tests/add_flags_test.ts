/**
 * `plumberctl add --allow-kind`, `--server` / `--tls-server-name` and the loopback warning, against the
 * real control plane: what the stored token may do with and without the extra grant, the address the
 * operator probes through, and the ClusterDetector reason for an unreachable loopback address.
 */

import assert from "node:assert/strict";
import { KubeApiError, KubeClient, type KubeObjectLike } from "../lib/kube/client.ts";
import { resolveConnection, serializeKubeconfig } from "../lib/kubeconfig/mod.ts";
import type { ControlPlaneState } from "./control_plane.ts";
import { freePort } from "./control_plane.ts";
import { startTcpForwarder } from "./fixtures/tcp_forwarder.ts";
import { eventually } from "./harness.ts";
import { startOperator } from "./operator.ts";
import { expectError, expectOk, plumberctl, plumberctlHarness } from "./plumberctl_run.ts";

const RBAC = "rbac.authorization.k8s.io/v1";

const { state, cluster, withAdmin, withActivatedHome, storedKubeconfig } = await plumberctlHarness(
  "addflags",
);

const forbidden = (e: unknown) => e instanceof KubeApiError && e.status === 403;

function pdb(namespace: string, name: string): KubeObjectLike {
  return {
    apiVersion: "policy/v1",
    kind: "PodDisruptionBudget",
    metadata: { name, namespace },
    spec: { minAvailable: 1, selector: { matchLabels: { app: name } } },
  };
}

function networkPolicy(namespace: string, name: string): KubeObjectLike {
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: { name, namespace },
    spec: { podSelector: {}, policyTypes: ["Ingress"] },
  };
}

Deno.test("plumberctl add --allow-kind lets the stored token manage that kind only, replaces the grant when re-run, and remove --cleanup deletes it", async () => {
  await withActivatedHome(async (home, namespace) => {
    const add = ["add", "--target-context", "secondary1", "--no-wait", "-n", namespace];
    const plain = expectOk(await plumberctl(home, add), "add");
    assert.doesNotMatch(plain.stderr, /plumber-replicator-extra/);
    // The stored token stays the same across re-adds (the token Secret is reused).
    const stored = (await storedKubeconfig(namespace))!;
    const token = () => new KubeClient(resolveConnection(stored, "secondary1"), { maxRetries: 0 });
    let client = token();
    try {
      await assert.rejects(client.create(pdb(namespace, "web")), forbidden, "the default role has no PDBs");
      await assert.rejects(client.create(networkPolicy(namespace, "deny")), forbidden);
    } finally {
      client.close();
    }

    const granted = expectOk(
      await plumberctl(home, [
        ...add,
        "--allow-kind",
        "policy/PodDisruptionBudget",
        "--allow-kind",
        "ServiceAccount",
      ]),
      "add --allow-kind",
    );
    assert.match(
      granted.stderr,
      new RegExp(
        `Applied ClusterRole and ClusterRoleBinding plumber-replicator-extra-${namespace} \\(poddisruptionbudgets\\.policy, serviceaccounts\\) in context secondary1`,
      ),
    );
    client = token();
    try {
      // RBAC is read from the API server's cache: the grant shows within moments.
      await eventually("the PDB can be created", () => client.create(pdb(namespace, "web")).then(() => true));
      const patched = await client.mergePatch<{ spec: { minAvailable: number } }>(
        { apiVersion: "policy/v1", kind: "PodDisruptionBudget", namespace, name: "web" },
        { spec: { minAvailable: 2 } },
      );
      assert.equal(patched.spec.minAvailable, 2);
      await client.apply(
        { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "app", namespace } },
        { fieldManager: "plumber", force: true },
      );
      await client.delete({ apiVersion: "v1", kind: "ServiceAccount", namespace, name: "app" });
      await assert.rejects(client.create(networkPolicy(namespace, "deny")), forbidden, "not granted");
    } finally {
      client.close();
    }
    await withAdmin("secondary1", async (admin) => {
      const role = await admin.get<{ metadata: { labels?: Record<string, string> } }>({
        apiVersion: RBAC,
        kind: "ClusterRole",
        name: `plumber-replicator-extra-${namespace}`,
      });
      assert.equal(role.metadata.labels?.["app.kubernetes.io/managed-by"], "plumber");
      const base = await admin.get<{ rules: { resources: string[] }[] }>({
        apiVersion: RBAC,
        kind: "ClusterRole",
        name: "plumber-replicator",
      });
      assert.ok(
        !base.rules.some((r) => r.resources.includes("poddisruptionbudgets")),
        "the default role stays narrow",
      );
    });

    // Re-run with another kind: the grant is replaced.
    expectOk(
      await plumberctl(home, [...add, "--allow-kind", "networking.k8s.io/NetworkPolicy"]),
      "add again",
    );
    client = token();
    try {
      await eventually(
        "the NetworkPolicy can be created",
        () => client.create(networkPolicy(namespace, "deny")).then(() => true),
      );
      await eventually(
        "PDBs are no longer granted",
        () =>
          client.mergePatch(
            { apiVersion: "policy/v1", kind: "PodDisruptionBudget", namespace, name: "web" },
            { spec: { minAvailable: 1 } },
          ).then(() => false, (e) => forbidden(e)),
      );
    } finally {
      client.close();
    }
    // Re-adding without --allow-kind keeps the grant.
    expectOk(await plumberctl(home, add), "add without --allow-kind");
    await withAdmin("secondary1", async (admin) => {
      const role = await admin.get<{ rules: { resources: string[] }[] }>({
        apiVersion: RBAC,
        kind: "ClusterRole",
        name: `plumber-replicator-extra-${namespace}`,
      });
      assert.deepEqual(role.rules.map((r) => r.resources), [["networkpolicies"]]);
    });

    // Bad values: unknown kinds and cluster-scoped kinds are refused before anything is written.
    expectError(
      await plumberctl(home, [...add, "--allow-kind", "example.com/Widget"]),
      1,
      /^plumberctl: invalid value "example\.com\/Widget" for --allow-kind: context "secondary1" serves no kind Widget in group example\.com$/,
    );
    expectError(
      await plumberctl(home, [...add, "--allow-kind", "rbac.authorization.k8s.io/ClusterRole"]),
      1,
      /for --allow-kind: ClusterRole is cluster-scoped in context "secondary1"/,
    );
    expectError(
      await plumberctl(home, [...add, "--allow-kind", "policy/poddisruptionbudgets"]),
      2,
      /invalid value "policy\/poddisruptionbudgets" for --allow-kind: "poddisruptionbudgets" is not a kind/,
    );

    const removed = expectOk(
      await plumberctl(home, ["remove", "--context", "secondary1", "--cleanup", "-n", namespace]),
      "remove --cleanup",
    );
    assert.match(removed.stdout, new RegExp(`ClusterRoleBinding plumber-replicator-extra-${namespace}`));
    assert.match(removed.stdout, new RegExp(`ClusterRole plumber-replicator-extra-${namespace}`));
    await withAdmin("secondary1", async (admin) => {
      for (const kind of ["ClusterRole", "ClusterRoleBinding"]) {
        assert.equal(
          await admin.find({ apiVersion: RBAC, kind, name: `plumber-replicator-extra-${namespace}` }),
          undefined,
          kind,
        );
      }
    });

    // Someone else's ClusterRole of that name (not labelled as plumber's) survives remove --cleanup.
    const foreign = await withAdmin("secondary1", (admin) =>
      admin.create<{ metadata: { uid?: string } }>({
        apiVersion: RBAC,
        kind: "ClusterRole",
        metadata: { name: `plumber-replicator-extra-${namespace}` },
        rules: [],
      }));
    expectOk(await plumberctl(home, add), "add again, without --allow-kind");
    const again = expectOk(
      await plumberctl(home, ["remove", "--context", "secondary1", "--cleanup", "-n", namespace]),
      "remove --cleanup with a foreign ClusterRole",
    );
    assert.match(
      again.stdout + again.stderr,
      new RegExp(`ClusterRole plumber-replicator-extra-${namespace} \\(not labelled`),
    );
    await withAdmin("secondary1", async (admin) => {
      const kept = await admin.find<{ metadata: { uid?: string } }>({
        apiVersion: RBAC,
        kind: "ClusterRole",
        name: `plumber-replicator-extra-${namespace}`,
      });
      assert.equal(kept?.metadata.uid, foreign.metadata.uid, "the foreign ClusterRole is left alone");
    });
  });
});

Deno.test("plumberctl add warns about a loopback address only when the operator's Deployment is in the primary", async () => {
  await withActivatedHome(async (home, namespace) => {
    const add = ["add", "--target-context", "secondary1", "--no-wait", "-n", namespace];
    const quiet = expectOk(await plumberctl(home, add), "add");
    assert.doesNotMatch(quiet.stderr, /loopback/);
    await withAdmin("primary", (admin) =>
      admin.create({
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: { name: "plumber", namespace },
        spec: {
          replicas: 0,
          selector: { matchLabels: { app: "plumber" } },
          template: {
            metadata: { labels: { app: "plumber" } },
            spec: { containers: [{ name: "operator", image: "ghcr.io/plumber/plumber:0.1.0" }] },
          },
        },
      }));
    const warned = expectOk(await plumberctl(home, add), "add with the operator in-cluster");
    assert.ok(
      warned.stderr.includes(
        `Warning: the address stored for context secondary1, ${
          cluster("secondary1").server
        }, is a loopback address, and the operator runs in the primary (Deployment ${namespace}/plumber)`,
      ),
      warned.stderr,
    );
    const elsewhere = expectOk(
      await plumberctl(home, [...add, "--server", "https://plumber-test.invalid:6443"]),
      "add --server",
    );
    assert.doesNotMatch(elsewhere.stderr, /loopback/);
    assert.equal(
      (await storedKubeconfig(namespace))!.clusters[0]!.cluster.server,
      "https://plumber-test.invalid:6443",
    );
  });
});

Deno.test("plumberctl add --server --tls-server-name: the operator reaches the cluster through that address; an unreachable loopback address gets a reason saying what to do", async () => {
  await withActivatedHome(async (home, namespace) => {
    const target = new URL(cluster("secondary2").server);
    // 127.0.0.2: an address the API server's certificate does not name.
    const forwarder = startTcpForwarder("127.0.0.2", {
      hostname: target.hostname,
      port: Number(target.port),
    });
    const operator = await startOperator(state as ControlPlaneState, {
      namespace,
      replicatorSelector: "none=none",
    });
    try {
      const server = `https://127.0.0.2:${forwarder.port}`;
      const added = expectOk(
        await plumberctl(home, [
          "add",
          "--target-context",
          "secondary2",
          "--server",
          server,
          "--tls-server-name",
          "kubernetes",
          "--timeout",
          "60s",
          "-n",
          namespace,
        ]),
        "add --server --tls-server-name",
      );
      assert.match(added.stdout, /is registered and Running/);
      const stored = (await storedKubeconfig(namespace))!.clusters[0]!.cluster;
      assert.equal(stored.server, server);
      assert.equal(stored["tls-server-name"], "kubernetes");
      assert.ok(
        forwarder.serverNames.includes("kubernetes"),
        `SNI seen: ${forwarder.serverNames.join(", ")}`,
      );

      // A context stored with a loopback address where nothing listens.
      const s1 = cluster("secondary1");
      const deadPath = `${home}/dead.kubeconfig`;
      await Deno.writeTextFile(
        deadPath,
        serializeKubeconfig({
          apiVersion: "v1",
          kind: "Config",
          clusters: [{
            name: "dead-cluster",
            cluster: {
              server: `https://127.0.0.1:${freePort()}`,
              "certificate-authority-data": btoa(s1.ca.certPem),
            },
          }],
          users: [{
            name: "dead-admin",
            user: {
              "client-certificate-data": btoa(s1.admin.certPem),
              "client-key-data": btoa(s1.admin.keyPem),
            },
          }],
          contexts: [{ name: "dead", context: { cluster: "dead-cluster", user: "dead-admin" } }],
        }),
      );
      expectOk(
        await plumberctl(home, [
          "add",
          "--target-context",
          "dead",
          "--kubeconfig",
          deadPath,
          "--use-current-credentials",
          "--no-wait",
          "-n",
          namespace,
        ]),
        "add dead",
      );
      const reason = await withAdmin(
        "primary",
        (admin) =>
          eventually("the dead cluster's reason", async () => {
            const detector = await admin.find<{ status?: { reason?: string } }>({
              apiVersion: "plumber.jnytnai0613.github.io/v1",
              kind: "ClusterDetector",
              namespace,
              name: "dead-cluster.dead-admin",
            });
            return detector?.status?.reason || undefined;
          }, { timeoutMs: 60_000 }),
      );
      assert.equal(
        reason,
        "connection refused; 127.0.0.1 is the operator's own Pod when plumber runs in a cluster: re-register with plumberctl add --target-context dead --server <address reachable from the Pod>",
      );
    } finally {
      await operator.stop();
      forwarder.close();
    }
  });
});
