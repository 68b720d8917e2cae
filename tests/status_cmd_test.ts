/**
 * `plumberctl status` end to end: the CLI as a subprocess (the release binary's permissions) against the
 * real operator and the three local clusters, with the seed's sample (under a name and namespace of the
 * test's own) replicated to primary, secondary1 and secondary2.
 */

import assert from "node:assert/strict";
import { parse } from "yaml";
import type { StatusReport } from "../cli/status_tree.ts";
import { eventually, uniqueName } from "./harness.ts";
import { withOperator } from "./operator.ts";
import { activateArgs, plumberctl, plumberctlCommand } from "./plumberctl_run.ts";
import { getRep, PRIMARY, ref, SAMPLE, SECONDARY1, SECONDARY2, waitSynced } from "./replicators.ts";

Deno.test("plumberctl status shows the sample's tree in three clusters, its drifts, -o json, -w, and an unknown name", async () => {
  await withOperator({ prefix: "status-cmd" }, async ({ clients: c, test, namespace, state }) => {
    const home = await Deno.makeTempDir({ prefix: "plumberctl-home-" });
    try {
      const activated = await plumberctl(home, activateArgs(state, namespace));
      assert.equal(activated.code, 0, activated.stderr);

      const name = uniqueName("sample");
      const ns = uniqueName("sample-ns");
      const sample = parse(await Deno.readTextFile(SAMPLE)) as {
        metadata: { name: string; labels: Record<string, string> };
        spec: { replicationNamespace: string };
      };
      sample.metadata.name = name;
      sample.metadata.labels = { ...sample.metadata.labels, "plumber-test": test };
      sample.spec.replicationNamespace = ns;
      await c.primary.create(sample);
      await waitSynced(c.primary, name, 60_000);
      await eventually("the workload ready in the three clusters", async () => {
        const clusters = (await getRep(c.primary, name))?.status?.clusters ?? [];
        return clusters.length === 3 && clusters.every((x) => x.readyReplicas === 3);
      }, { timeoutMs: 90_000, intervalMs: 500 });

      // A drift, as kubectl scale makes it.
      await c.secondary1.mergePatch(ref("Deployment", ns, "nginx"), { spec: { replicas: 4 } }, {
        subresource: "scale",
        fieldManager: "kubectl-scale",
      });
      await eventually("the drift in the status and the workload settled", async () => {
        const clusters = (await getRep(c.primary, name))?.status?.clusters ?? [];
        const s1 = clusters.find((x) => x.name === SECONDARY1);
        return s1?.lastDrift?.manager === "kubectl-scale" && clusters.every((x) => x.readyReplicas === 3);
      }, { timeoutMs: 90_000, intervalMs: 500 });

      const tree = await plumberctl(home, ["status", name]);
      assert.equal(tree.code, 0, tree.stderr);
      console.log(tree.stdout);
      const lines = tree.stdout.split("\n");
      assert.match(
        lines[0]!,
        new RegExp(`^Replicator ${name}  SYNCED synced  AVAILABLE \\S+  generation 1 \\(observed 1\\)$`),
      );
      assert.match(lines[1]!, /^Conditions: Ready=True \(Synced\); Degraded=False \(AsExpected\)/);
      for (
        const [cluster, role] of [[PRIMARY, "primary"], [SECONDARY1, "targetCluster"], [
          SECONDARY2,
          "targetCluster",
        ]]
      ) {
        const at = lines.findIndex((l) => l.startsWith(`${cluster} (${role})`));
        assert.ok(at > 0, `a line for ${cluster}:\n${tree.stdout}`);
        assert.match(lines[at]!, /\bready\s+replicas 3\/3/);
        const objects = lines.slice(at + 1, at + 7);
        assert.deepEqual(
          objects.map((l) => l.replace(/^[├└]─ /, "").split(/\s+/).slice(0, 3).join(" ")).sort(),
          [
            "ConfigMap nginx applied",
            "Deployment nginx applied",
            "Ingress nginx applied",
            "Secret ca-secret applied",
            "Secret cli-secret applied",
            "Service nginx applied",
          ],
          `six applied objects under ${cluster}:\n${tree.stdout}`,
        );
        assert.ok(objects.at(-1)!.startsWith("└─ "));
        if (cluster === SECONDARY1) {
          assert.match(lines[at]!, /drifts 1$/);
          const deployment = objects.find((l) => l.includes("Deployment"))!;
          assert.match(
            deployment,
            /applied\s+drifts 1, last \d\d:\d\d:\d\d spec\.replicas by kubectl-scale$/,
          );
        } else {
          assert.doesNotMatch(lines[at]!, /drifts/);
        }
      }

      const json = await plumberctl(home, ["status", name, "-o", "json"]);
      assert.equal(json.code, 0, json.stderr);
      const report = JSON.parse(json.stdout) as StatusReport;
      assert.equal(report.name, name);
      assert.equal(report.synced, "synced");
      assert.deepEqual(report.clusters.map((x) => x.name), [PRIMARY, SECONDARY1, SECONDARY2]);
      assert.ok(
        report.clusters.every((x) => x.objects.length === 6 && x.readyReplicas === 3 && x.replicas === 3),
      );
      const s1 = report.clusters[1]!;
      assert.equal(s1.driftCorrections, 1);
      assert.deepEqual(s1.lastDrift?.fields, ["spec.replicas"]);
      assert.equal(s1.objects.find((o) => o.kind === "Deployment")?.drifts, 1);
      // Each object's last change is read from the Applied part of the operator's one Event per reconcile
      // (at creation it is named after its Synced part).
      for (const cluster of report.clusters) {
        for (const o of cluster.objects) {
          assert.match(
            o.lastChange ?? "",
            /^\d{4}-\d\d-\d\dT/,
            `${cluster.name} ${o.kind} ${o.name}: last change`,
          );
        }
      }
      assert.equal(report.conditions.find((x) => x.type === "Ready")?.reason, "Synced");

      // -w prints again on a change (a second drift) and ends on SIGINT.
      const child = (await plumberctlCommand(home, ["status", name, "-w", "-o", "json"])).spawn();
      const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
      let seen = "";
      const readUntil = async (what: string, done: (text: string) => boolean) => {
        const deadline = Date.now() + 60_000;
        while (!done(seen)) {
          const left = deadline - Date.now();
          let timer: ReturnType<typeof setTimeout> | undefined;
          const timeout = new Promise<never>((_, reject) => {
            timer = setTimeout(
              () => reject(new Error(`Timed out waiting for ${what}; output:\n${seen}`)),
              left,
            );
          });
          try {
            const { value, done: ended } = await Promise.race([reader.read(), timeout]);
            if (ended) throw new Error(`plumberctl status -w ended before ${what}; output:\n${seen}`);
            seen += value;
          } finally {
            clearTimeout(timer);
          }
        }
      };
      await readUntil("the first report", (t) => t.includes('"clusters"'));
      await c.secondary2.mergePatch(ref("Deployment", ns, "nginx"), { spec: { replicas: 5 } }, {
        subresource: "scale",
        fieldManager: "kubectl-scale",
      });
      await readUntil(
        "a report naming secondary2's drift",
        (t) =>
          /"driftCorrections": 1,\s*"lastDrift"[^}]*"fields": \[\s*"spec.replicas"/.test(
            t.slice(t.indexOf(`"name": "${SECONDARY2}"`)),
          ),
      );
      child.kill("SIGINT");
      const status = await child.status;
      assert.ok(!status.success || status.code === 0, "the watch ends on SIGINT");
      reader.releaseLock();
      await child.stdout.cancel().catch(() => {});
      await child.stderr.cancel();

      const unknown = await plumberctl(home, ["status", "no-such-replicator"]);
      assert.equal(unknown.code, 1);
      assert.match(
        unknown.stderr,
        /^plumberctl: Replicator "no-such-replicator" not found in the primary \(context "primary", https:\/\/[^)]+\)\n$/,
      );
      const usage = await plumberctl(home, ["status"]);
      assert.equal(usage.code, 2);
      assert.match(usage.stderr, /missing Replicator name/);
      const help = await plumberctl(home, ["status", "--help"]);
      assert.equal(help.code, 0);
      assert.match(help.stdout, /plumberctl status <replicator> \[-w\] \[-o tree\|json\|yaml\]/);
    } finally {
      await Deno.remove(home, { recursive: true });
    }
  });
});
