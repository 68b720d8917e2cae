/**
 * Wall time of `plumberctl diff -f <sample>` as a user runs it (`deno run -A cli/plumberctl.ts`, a new
 * process each time), warm (one unmeasured run first; Deno's module cache where it already is), on the
 * seed's sample (ConfigMap, Deployment, Service, Ingress with mTLS: 6 objects and a namespace per
 * cluster) targeting the primary and two secondaries: once before the Replicator exists (everything to
 * create, exit 1) and once after the operator synced it (no differences, exit 0). p50 of `--runs` (7).
 *
 * ```sh
 * deno run -A bench/diff.ts [--runs 7]
 * ```
 *
 * @module
 */

import { parseArgs } from "node:util";
import { parse, stringify } from "yaml";
import { sharedControlPlane, uniqueName } from "../tests/harness.ts";
import { withOperator } from "../tests/operator.ts";
import { waitSynced } from "../tests/replicators.ts";
import { denoDir, timedPlumberctl } from "./plumberctl.ts";
import { load1 } from "./scenario.ts";
import { summarize } from "./stats.ts";

const SAMPLE = new URL("../examples/replicator-sample.yaml", import.meta.url);

async function measure(
  label: string,
  runs: number,
  args: string[],
  env: Record<string, string>,
  code: number,
): Promise<void> {
  console.error(`${label}: warming up`);
  await timedPlumberctl(["diff", ...args], env, code); // warm-up, unmeasured
  const load = load1();
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) ms.push((await timedPlumberctl(["diff", ...args], env, code)).ms);
  const s = summarize(ms);
  console.log(
    `plumberctl diff, ${label}: p50 ${s.median.toFixed(0)} ms (min ${s.min.toFixed(0)}, max ${
      s.max.toFixed(0)
    }, n ${s.n}, load1 ${load.toFixed(2)})`,
  );
}

if (import.meta.main) {
  const { values } = parseArgs({ args: Deno.args, options: { runs: { type: "string", default: "7" } } });
  const runs = Number(values.runs);
  console.error("starting or reaching the control plane");
  const state = await sharedControlPlane();
  await withOperator({ prefix: "bench-diff", state }, async (f) => {
    const home = await Deno.makeTempDir({ prefix: "plumber-bench-diff-" });
    f.cleanup(() => Deno.remove(home, { recursive: true }));
    await Deno.mkdir(`${home}/.plumber`);
    await Deno.writeTextFile(
      `${home}/.plumber/config.toml`,
      `cluster = 'primary'\npath = '${state.kubeconfigPath}'\n`,
    );
    const sample = parse(await Deno.readTextFile(SAMPLE)) as {
      metadata: { name: string; labels?: Record<string, string> };
      spec: { replicationNamespace: string };
    };
    sample.metadata.name = uniqueName("bench-diff");
    sample.metadata.labels = { ...sample.metadata.labels, "plumber-test": f.test };
    sample.spec.replicationNamespace = uniqueName("bench-diff");
    await Deno.writeTextFile(`${home}/sample.yaml`, stringify(sample));
    const env = { HOME: home, DENO_DIR: await denoDir(), NO_COLOR: "1" };
    const args = ["-f", `${home}/sample.yaml`, "-n", f.namespace];
    await measure("new Replicator (3 clusters, 7 objects each to create)", runs, args, env, 1);
    console.error("creating the Replicator and waiting for the operator to sync it");
    await f.clients.primary.apply(sample as never, { fieldManager: "plumber-bench", force: true });
    await waitSynced(f.clients.primary, sample.metadata.name, 120_000);
    await measure("synced Replicator (3 clusters x 6 objects dry-run, no differences)", runs, args, env, 0);
  });
  // A control plane this script started keeps running children (they exit with it): exit explicitly.
  Deno.exit(0);
}
