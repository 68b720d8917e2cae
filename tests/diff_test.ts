/**
 * `plumberctl diff` against the real clusters and a real operator: a new Replicator (everything to create,
 * exit 1), the same after the operator synced it (exit 0), a changed image (that line only, in every
 * cluster), an override of one cluster, a dropped object (pruned), someone else's object (conflict), an
 * unreachable cluster (reported, the others diffed, exit 2), bad input (exit 2), Secret masking and the
 * `-o json` report. plumberctl runs in-process through `main()` (its exit code), and once as a subprocess
 * with the release binary's permissions reading the manifest from stdin.
 */

import assert from "node:assert/strict";
import { stringify } from "yaml";
import { processContext } from "../cli/context.ts";
import { main } from "../cli/plumberctl.ts";
import type { Replicator } from "../lib/api.ts";
import type { DiffReport } from "../lib/diff_report.ts";
import type { Override } from "../lib/overrides.ts";
import { adminClient, eventually, sharedControlPlane, uniqueName } from "./harness.ts";
import { freePort } from "./control_plane.ts";
import { kubeconfigFor, prepareOperatorNamespace, withOperator, writeKubeconfigSecret } from "./operator.ts";
import {
  getRep,
  PRIMARY,
  type ReplicatorManifest,
  replicatorManifest,
  SECONDARY1,
  SECONDARY2,
  waitSynced,
} from "./replicators.ts";
import { plumberctlCommand } from "./plumberctl_run.ts";

const state = await sharedControlPlane();
const CLUSTERS = [PRIMARY, SECONDARY1, SECONDARY2];
/** Key, certificate or token material (PEM, base64 of PEM, a JWT) or the test's secret value. */
const SECRET_MATERIAL = /-----BEGIN|LS0tLS1CRUdJT|eyJ[A-Za-z0-9_-]+\.eyJ|dG9wLXNlY3JldA|top-secret/;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** A HOME activated on the primary (`~/.plumber/config.toml`), as `plumberctl activate` writes it. */
async function activatedHome(): Promise<string> {
  const home = await Deno.makeTempDir({ prefix: "plumberctl-diff-" });
  await Deno.mkdir(`${home}/.plumber`);
  await Deno.writeTextFile(
    `${home}/.plumber/config.toml`,
    `cluster = 'primary'\npath = '${state.kubeconfigPath}'\n`,
  );
  return home;
}

/** Runs plumberctl in-process; asserts that no secret material reaches its output. */
async function plumberctl(home: string, args: string[]): Promise<Run> {
  let stdout = "";
  let stderr = "";
  const ctx = {
    ...processContext(),
    env: (name: string) => (name === "HOME" ? home : undefined),
    cwd: () => home,
    stdout: (text: string) => void (stdout += text),
    stderr: (text: string) => void (stderr += text),
    stderrIsTerminal: false,
  };
  const code = await main(args, ctx);
  for (const text of [stdout, stderr]) {
    assert.doesNotMatch(text, SECRET_MATERIAL, `secret material in the output of ${args.join(" ")}`);
  }
  return { code, stdout, stderr };
}

async function writeManifest(home: string, manifest: ReplicatorManifest, file = "rep.yaml"): Promise<string> {
  await Deno.writeTextFile(`${home}/${file}`, stringify(manifest));
  return file;
}

async function jsonReport(home: string, args: string[]): Promise<{ run: Run; report: DiffReport }> {
  const run = await plumberctl(home, [...args, "-o", "json"]);
  return { run, report: JSON.parse(run.stdout) as DiffReport };
}

/** The changed lines (`-`/`+`, headers excluded) of a diff. */
function changedLines(diff: string): string[] {
  return diff.split("\n").filter((l) => /^[-+]/.test(l) && !/^(---|\+\+\+) /.test(l));
}

function withImage(manifest: ReplicatorManifest, image: string): ReplicatorManifest {
  const copy = structuredClone(manifest);
  copy.spec.deploymentSpec!.template!.spec!.containers[0]!.image = image;
  return copy;
}

Deno.test("plumberctl diff: a new Replicator, the synced one, a changed image, an override, a prune, a conflict, Secret masking, bad input", async () => {
  await withOperator({ prefix: "diff" }, async (f) => {
    const home = await activatedHome();
    f.cleanup(() => Deno.remove(home, { recursive: true }));
    const name = uniqueName("diff");
    const ns = uniqueName("diffapp");
    const manifest = replicatorManifest(name, ns, {
      test: f.test,
      targets: [SECONDARY1, SECONDARY2],
      tlsHosts: ["web.example"],
    });
    const file = await writeManifest(home, manifest);
    const diffArgs = ["diff", "-f", file, "-n", f.namespace];

    // New: every object to create, whole, in every cluster; exit 1.
    const created = await plumberctl(home, diffArgs);
    assert.equal(created.code, 1, created.stderr);
    assert.match(
      created.stderr,
      /^plumberctl: differences found: 21 to create, 0 to update, 0 to prune in 3 of 3 clusters\n$/,
    );
    for (const cluster of CLUSTERS) {
      for (
        const path of [
          "ConfigMap/web",
          "Secret/ca-secret",
          "Secret/cli-secret",
          "Deployment/web",
          "Service/web",
          "Ingress/web",
        ]
      ) {
        const [kind, object] = path.split("/");
        assert.ok(
          created.stdout.includes(`--- live ${cluster}/${kind}/${ns}/${object}\n+++ plumber\n@@ -0,0 +1,`),
          `${cluster} ${path} shown as created:\n${created.stdout}`,
        );
      }
      assert.ok(created.stdout.includes(`--- live ${cluster}/Namespace/${ns}\n+++ plumber\n`));
    }
    assert.ok(created.stdout.includes('+  ca.crt: "***"'), "masked Secret values are shown as ***");
    const createdJson = await jsonReport(home, diffArgs);
    assert.equal(createdJson.run.code, 1);
    assert.equal(createdJson.report.replicator, name);
    assert.deepEqual(
      createdJson.report.clusters.map((c) => [c.cluster, c.reachable, c.error]),
      CLUSTERS.map((c) => [c, true, undefined]),
    );
    for (const c of createdJson.report.clusters) {
      assert.deepEqual(new Set(c.objects.map((o) => o.action)), new Set(["create"]));
      const deployment = c.objects.find((o) => o.kind === "Deployment")!;
      assert.deepEqual(Object.keys(deployment).sort(), [
        "action",
        "diff",
        "kind",
        "message",
        "name",
        "namespace",
      ]);
      assert.equal(deployment.namespace, ns);
      assert.match(deployment.diff, /\n\+ +(- )?image: nginx:1\.27\n/);
    }

    // Synced by the operator: no differences, for the manifest and for the stored Replicator.
    await f.clients.primary.apply(manifest, { fieldManager: "plumber-tests", force: true });
    await waitSynced(f.clients.primary, name, 60_000);
    const same = await plumberctl(home, diffArgs);
    assert.deepEqual([same.code, same.stdout, same.stderr], [0, "", ""]);
    const stored = await plumberctl(home, ["diff", name, "-n", f.namespace]);
    assert.deepEqual([stored.code, stored.stdout], [0, ""], stored.stderr);
    const unchanged = await jsonReport(home, diffArgs);
    for (const c of unchanged.report.clusters) {
      assert.equal(c.objects.length, 6, `${c.cluster}: 6 objects`);
      assert.ok(c.objects.every((o) => o.action === "unchanged" && o.diff === ""), JSON.stringify(c));
    }

    // A changed image: that line only, in every cluster's Deployment.
    await writeManifest(home, withImage(manifest, "nginx:1.28"));
    const image = await jsonReport(home, diffArgs);
    assert.equal(image.run.code, 1);
    for (const c of image.report.clusters) {
      const changed = c.objects.filter((o) => o.action !== "unchanged");
      assert.deepEqual(changed.map((o) => `${o.kind}/${o.action}`), ["Deployment/update"], c.cluster);
      assert.ok(changed[0]!.diff.startsWith(`--- live ${c.cluster}/Deployment/${ns}/web\n+++ plumber\n`));
      const lines = changedLines(changed[0]!.diff);
      assert.equal(lines.length, 2, changed[0]!.diff);
      assert.match(lines[0]!, /^- +(- )?image: nginx:1\.27$/);
      assert.match(lines[1]!, /^\+ +(- )?image: nginx:1\.28$/);
    }

    // An override of one cluster: only that cluster differs.
    const overridden = structuredClone(manifest);
    overridden.spec.overrides = [{ clusterNames: [SECONDARY1], replicas: 3 }] satisfies Override[];
    await writeManifest(home, overridden);
    const override = await jsonReport(home, diffArgs);
    assert.equal(override.run.code, 1);
    const differing = override.report.clusters.flatMap((c) =>
      c.objects.filter((o) => o.action !== "unchanged").map((o) => `${c.cluster}/${o.kind}`)
    );
    assert.deepEqual(differing, [`${SECONDARY1}/Deployment`]);
    const s1 = override.report.clusters.find((c) => c.cluster === SECONDARY1)!;
    assert.deepEqual(changedLines(s1.objects.find((o) => o.kind === "Deployment")!.diff), [
      "-  replicas: 1",
      "+  replicas: 3",
    ]);

    // A dropped Service is pruned everywhere, shown whole as deleted; someone else's ConfigMap is a conflict.
    const dropped = structuredClone(manifest);
    delete dropped.spec.serviceName;
    delete dropped.spec.serviceSpec;
    dropped.spec.configMapName = "theirs";
    await f.clients.secondary1.apply({
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "theirs", namespace: ns },
      data: { mine: "yes" },
    }, { fieldManager: "someone-else" });
    await writeManifest(home, dropped);
    const pruned = await jsonReport(home, diffArgs);
    assert.equal(pruned.run.code, 1);
    for (const c of pruned.report.clusters) {
      const service = c.objects.find((o) => o.kind === "Service")!;
      assert.equal(service.action, "prune", c.cluster);
      assert.match(service.diff, /^--- live .*\n\+\+\+ plumber\n@@ -1,\d+ \+0,0 @@\n-apiVersion: v1\n/);
      const theirs = c.objects.find((o) => o.kind === "ConfigMap" && o.name === "theirs")!;
      assert.equal(theirs.action, c.cluster === SECONDARY1 ? "conflict" : "create", c.cluster);
      assert.equal(c.objects.find((o) => o.kind === "ConfigMap" && o.name === "web")?.action, "prune");
    }
    assert.match(
      pruned.run.stderr,
      new RegExp(
        `cluster ${SECONDARY1}: ConfigMap/${ns}/theirs: conflict: exists and is not managed by plumber`,
      ),
    );

    // A changed TLS Secret value is shown as changed, never shown. Suspended, so that the operator leaves
    // the hand edit in place (it would revert it at once).
    const suspended = await f.clients.primary.apply<Replicator>({
      ...manifest,
      spec: { ...manifest.spec, suspend: true },
    }, {
      fieldManager: "plumber-tests",
      force: true,
    });
    await eventually("the suspension observed", async () => {
      const r = await getRep(f.clients.primary, name);
      return r?.status?.observedGeneration === suspended.metadata.generation;
    }, { timeoutMs: 30_000 });
    await f.clients.secondary2.mergePatch({
      apiVersion: "v1",
      kind: "Secret",
      namespace: ns,
      name: "cli-secret",
    }, {
      data: { "client.key": btoa("top-secret") },
    });
    // The stored (suspended) Replicator: what the operator would revert on resuming.
    const secret = await jsonReport(home, ["diff", name, "-n", f.namespace]);
    const cli = secret.report.clusters.find((c) => c.cluster === SECONDARY2)!.objects.find((o) =>
      o.name === "cli-secret"
    )!;
    assert.equal(cli.action, "update");
    assert.match(secret.run.stderr, /warning: Replicator .* is suspended \(spec\.suspend\)/);
    assert.deepEqual(changedLines(cli.diff), [
      '-  client.key: "*** (before)"',
      '+  client.key: "*** (after)"',
    ]);

    // Bad input: exit 2, naming the file and the field.
    const missing = await plumberctl(home, ["diff", "-f", "missing.yaml", "-n", f.namespace]);
    assert.equal(missing.code, 2);
    assert.match(
      missing.stderr,
      /^plumberctl: Cannot diff missing\.yaml: cannot read .*missing\.yaml: no such file/,
    );
    await Deno.writeTextFile(`${home}/cm.yaml`, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n");
    const notRep = await plumberctl(home, ["diff", "-f", "cm.yaml", "-n", f.namespace]);
    assert.equal(notRep.code, 2);
    assert.match(notRep.stderr, /Cannot diff cm\.yaml: kind is "ConfigMap", expected "Replicator"/);
    const invalid = structuredClone(manifest);
    (invalid.spec as Record<string, unknown>).targetCluster = "not-a-list";
    await writeManifest(home, invalid, "invalid.yaml");
    const refused = await plumberctl(home, ["diff", "-f", "invalid.yaml", "-n", f.namespace]);
    assert.equal(refused.code, 2);
    assert.match(
      refused.stderr,
      new RegExp(
        `Cannot diff invalid\\.yaml: the primary refuses Replicator "${name}": .*spec\\.targetCluster`,
      ),
    );
    const unknown = await plumberctl(home, ["diff", "no-such-rep", "-n", f.namespace]);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /Cannot diff Replicator "no-such-rep": there is none in the primary/);
  });
});

Deno.test("plumberctl diff reports an unreachable cluster and still diffs the others (exit 2); reads stdin with the binary's permissions", async () => {
  const namespace = uniqueName("diffdown");
  await prepareOperatorNamespace(state, namespace, ["secondary1"]);
  const primary = adminClient(state, "primary");
  const home = await activatedHome();
  try {
    // secondary2's context, stored with an address nothing listens on.
    const s1 = state.clusters.find((c) => c.context === "secondary1")!;
    const s2 = state.clusters.find((c) => c.context === "secondary2")!;
    const port = freePort();
    await writeKubeconfigSecret(
      primary,
      namespace,
      kubeconfigFor([s1, { ...s2, server: `https://127.0.0.1:${port}`, port }]),
    );
    const manifest = replicatorManifest(uniqueName("down"), uniqueName("downapp"), {
      targets: [SECONDARY1, SECONDARY2],
      configMapOnly: true,
    });
    const file = await writeManifest(home, manifest);
    const { run, report } = await jsonReport(home, ["diff", "-f", file, "-n", namespace]);
    assert.equal(run.code, 2, run.stderr);
    assert.deepEqual(report.clusters.map((c) => [c.cluster, c.reachable]), [[PRIMARY, true], [
      SECONDARY1,
      true,
    ], [SECONDARY2, false]]);
    assert.match(report.clusters[2]!.error ?? "", /refused|connect/i);
    for (const c of report.clusters.slice(0, 2)) {
      assert.deepEqual(c.objects.map((o) => `${o.kind}/${o.action}`), [
        "Namespace/create",
        "ConfigMap/create",
      ]);
    }
    assert.match(run.stderr, new RegExp(`cluster ${SECONDARY2} \\(unreachable\\): `));
    assert.match(run.stderr, /plumberctl: the diff is incomplete: 1 of 3 clusters could not be diffed/);

    // The same from stdin, as the release binary runs (its permissions), with the exit code of the process.
    const child = (await plumberctlCommand(home, ["diff", "-f", "-", "-n", namespace], { stdin: "piped" }))
      .spawn();
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(stringify(manifest)));
    await writer.close();
    const output = await child.output();
    const stdout = new TextDecoder().decode(output.stdout);
    assert.equal(output.code, 2, new TextDecoder().decode(output.stderr));
    assert.ok(
      stdout.includes(
        `--- live ${SECONDARY1}/ConfigMap/${manifest.spec.replicationNamespace}/web\n+++ plumber\n`,
      ),
    );
  } finally {
    await primary.delete({ apiVersion: "v1", kind: "Namespace", name: namespace });
    primary.close();
    await Deno.remove(home, { recursive: true });
  }
});
