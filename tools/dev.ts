/**
 * `deno task dev`: plumber running with nothing else set up. Starts the local
 * three-cluster control plane, installs the CRDs, starts the operator,
 * registers both secondaries with `plumberctl add` (labelled `region=east` and
 * `region=west`), applies the seed's sample,
 * and shows ClusterDetectors and the Replicator converging (the local clusters' simulated nodes run
 * its Pods: every cluster reaches READY true with 3/3 replicas within seconds) until Ctrl-C,
 * which tears everything down.
 *
 * @module
 */

import { parse } from "yaml";
import { ensureControlPlaneBinary } from "../tests/build.ts";
import { ControlPlane } from "../tests/control_plane.ts";
import { KubeClient } from "../lib/kube/client.ts";
import { parseKubeconfig, resolveConnection } from "../lib/kubeconfig/mod.ts";
import type { ClusterDetector, Replicator } from "../lib/api.ts";
import { formatLabels, userLabels } from "../lib/cluster_labels.ts";

const ROOT = new URL("../", import.meta.url).pathname;
const SAMPLE = `${ROOT}examples/replicator-sample.yaml`;
const CRDS = [
  "plumber.jnytnai0613.github.io_replicators.yaml",
  "plumber.jnytnai0613.github.io_clusterdetectors.yaml",
];
const NAMESPACE = "plumber-system";

function say(line: string): void {
  console.log(`\x1b[1m==>\x1b[0m ${line}`);
}

async function run(args: string[], env: Record<string, string>): Promise<void> {
  const out = await new Deno.Command(Deno.execPath(), { args, env, stdout: "piped", stderr: "piped" })
    .output();
  // Progress goes to stderr and the result to stdout: show them in that order.
  const text = new TextDecoder().decode(out.stderr) + new TextDecoder().decode(out.stdout);
  for (const line of text.trim().split("\n")) if (line) console.log(`    ${line}`);
  if (!out.success) throw new Error(`${args.slice(0, 4).join(" ")} ... failed with exit code ${out.code}`);
}

function age(since: string | undefined): string {
  if (!since) return "-";
  const s = Math.max(0, Math.round((Date.now() - Date.parse(since)) / 1000));
  return s < 120 ? `${s}s` : `${Math.round(s / 60)}m`;
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length)));
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join("   ").trimEnd()).join("\n");
}

async function snapshot(client: KubeClient): Promise<string> {
  const cds = await client.list<ClusterDetector>("plumber.jnytnai0613.github.io/v1", "ClusterDetector", {
    namespace: NAMESPACE,
  });
  const reps = await client.list<Replicator>("plumber.jnytnai0613.github.io/v1", "Replicator");
  const cdRows = [["CLUSTERDETECTOR", "ROLE", "CLUSTERSTATUS", "VERSION", "LABELS", "REASON", "AGE"]];
  for (const cd of cds.items) {
    cdRows.push([
      cd.metadata.name,
      cd.metadata.labels?.["app.kubernetes.io/role"] ?? "",
      cd.status?.clusterstatus ?? "",
      cd.status?.kubernetesVersion ?? "",
      formatLabels(userLabels(cd.metadata.labels)),
      (cd.status?.reason ?? "").slice(0, 50),
      age(cd.metadata.creationTimestamp),
    ]);
  }
  const repRows = [[
    "REPLICATOR",
    "SYNCED",
    "AVAILABLE",
    "CLUSTER",
    "READY",
    "REPLICAS",
    "REVISION",
    "MESSAGE",
  ]];
  const rollouts: string[] = [];
  for (const r of reps.items) {
    const available = r.status?.conditions?.find((c) => c.type === "Available")?.status ?? "";
    for (const c of r.status?.clusters ?? [{ name: "-", ready: false }]) {
      repRows.push([
        r.metadata.name,
        r.status?.synced ?? "",
        available,
        c.name,
        String(c.ready),
        c.replicas === undefined ? "-" : `${c.readyReplicas ?? 0}/${c.replicas}`,
        c.revision ?? "-",
        (c.message ?? "").slice(0, 50),
      ]);
    }
    const rollout = r.status?.rollout;
    if (rollout) {
      rollouts.push(`${r.metadata.name}: rollout ${rollout.strategy} ${rollout.phase}: ${rollout.message}`);
    }
  }
  return `${table(cdRows)}\n\n${table(repRows)}\n${rollouts.join("\n")}`;
}

const binary = await ensureControlPlaneBinary();
say("Starting the local control plane: three real Kubernetes API servers...");
const cp = await ControlPlane.start({ binary });
const home = await Deno.makeTempDir({ prefix: "plumber-dev-home-" });
let operator: Deno.ChildProcess | undefined;
let stopping = false;

const teardown = async (code: number) => {
  if (stopping) return;
  stopping = true;
  console.log();
  say("Stopping the operator and the control plane...");
  try {
    operator?.kill("SIGTERM");
    await operator?.status;
  } catch {
    // gone
  }
  await cp.stop();
  await Deno.remove(home, { recursive: true }).catch(() => {});
  Deno.exit(code);
};
Deno.addSignalListener("SIGINT", () => void teardown(0));
Deno.addSignalListener("SIGTERM", () => void teardown(0));

try {
  const config = parseKubeconfig(await Deno.readTextFile(cp.kubeconfigPath), cp.kubeconfigPath);
  const primary = new KubeClient(resolveConnection(config, "primary"));
  say("Installing plumber's CRDs in primary...");
  for (const file of CRDS) {
    await primary.apply(parse(await Deno.readTextFile(`${ROOT}crds/${file}`)), {
      fieldManager: "plumber-dev",
      force: true,
    });
  }
  await primary.apply({ apiVersion: "v1", kind: "Namespace", metadata: { name: NAMESPACE } }, {
    fieldManager: "plumber-dev",
  });
  for (const plural of ["replicators", "clusterdetectors"]) {
    const name = `${plural}.plumber.jnytnai0613.github.io`;
    for (let i = 0; i < 100; i++) {
      const crd = await primary.get<{ status?: { conditions?: { type: string; status: string }[] } }>({
        apiVersion: "apiextensions.k8s.io/v1",
        kind: "CustomResourceDefinition",
        name,
      });
      if (crd.status?.conditions?.some((c) => c.type === "Established" && c.status === "True")) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  const logPath = `${home}/operator.log`;
  say(`Starting the operator (log: ${logPath})...`);
  const log = await Deno.open(logPath, { write: true, create: true });
  operator = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--v8-flags=--max-semi-space-size=1,--max-old-space-size=48",
      "--allow-net",
      "--allow-env",
      "--allow-read",
      "--allow-sys=hostname",
      `${ROOT}main.ts`,
      "--kubeconfig",
      cp.kubeconfigPath,
      "--context",
      "primary",
      "--probe-interval",
      "2s",
      "--health-probe-bind-address",
      "127.0.0.1:0",
      "--metrics-bind-address",
      "127.0.0.1:0",
      "--log-format",
      "text",
    ],
    // The operator logs to stderr.
    stdout: "null",
    stderr: "piped",
    stdin: "null",
  }).spawn();
  void operator.stderr.pipeTo(log.writable).catch(() => {});

  // A temporary HOME keeps the user's ~/.plumber untouched; DENO_DIR keeps Deno's cache where it is.
  const cacheHome = Deno.env.get("XDG_CACHE_HOME") ?? `${Deno.env.get("HOME")}/.cache`;
  const env = { HOME: home, DENO_DIR: Deno.env.get("DENO_DIR") ?? `${cacheHome}/deno` };
  const ctl = ["run", "-A", `${ROOT}cli/plumberctl.ts`];
  say("plumberctl activate --path <kubeconfig> --activate-context primary");
  await run([...ctl, "activate", "--path", cp.kubeconfigPath, "--activate-context", "primary"], env);
  // Labelled by region, so Replicators can select them (spec.clusterSelector) and vary per region.
  for (const [ctx, region] of [["secondary1", "east"], ["secondary2", "west"]]) {
    say(`plumberctl add --target-context ${ctx} --label region=${region}`);
    await run(
      [...ctl, "add", "--target-context", ctx!, "--label", `region=${region}`, "--timeout", "60s"],
      env,
    );
  }
  say("Applying the seed's sample Replicator (replicator-sample, namespace test-ns)...");
  await primary.create(parse(await Deno.readTextFile(SAMPLE)));

  const help = `
Point kubectl at the clusters meanwhile:
  export KUBECONFIG=${cp.kubeconfigPath}
  kubectl --context primary    -n plumber-system get clusterdetectors -o wide -L region
  kubectl --context primary    -n plumber-system get clusterdetectors -l region=east
  kubectl --context primary    get replicators
  kubectl --context secondary1 -n test-ns get all,configmap,secret,ingress
  kubectl --context secondary2 -n test-ns get deployment nginx -o yaml
Try a hand edit and watch it being reverted:
  kubectl --context secondary1 -n test-ns scale deployment nginx --replicas=1
Press Ctrl-C to stop and remove everything.
`;
  console.log(help);
  const tty = Deno.stdout.isTerminal();
  let last = "";
  while (!stopping) {
    const view = await snapshot(primary).catch((error) => `(cannot read status: ${error.message})`);
    // Ages tick every second; only a change of anything else is worth printing again.
    const key = view.replace(/ +\d+[sm]$/gm, "");
    if (key !== last) {
      if (tty) console.log("\x1b[2J\x1b[H" + `plumber dev — ${new Date().toISOString()}\n${help}`);
      console.log(view + "\n");
      last = key;
    }
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
} catch (error) {
  console.error(`plumber dev: ${(error as Error).message}`);
  await teardown(1);
}
