/**
 * `deno task cluster:up`: runs the local three-cluster control plane in the
 * foreground (with kube-scheduler and three KWOK-simulated Nodes per cluster,
 * so Pods run; `--no-nodes` leaves them out) and tears it down on Ctrl-C.
 *
 * @module
 */

import { ensureControlPlaneBinary } from "./build.ts";
import { ControlPlane } from "./control_plane.ts";

const binary = await ensureControlPlaneBinary();
const started = performance.now();
const nodes = Deno.args.includes("--no-nodes") ? false : undefined;
const cp = await ControlPlane.start({ binary, nodes, log: (line) => console.error(line) });
console.log(`Local control plane ready in ${((performance.now() - started) / 1000).toFixed(1)} s.`);
console.log(`\n  export KUBECONFIG=${cp.kubeconfigPath}\n`);
for (const c of cp.clusters) {
  console.log(
    `  kubectl --context ${c.context} get nodes,ns    # cluster ${c.cluster}, user ${c.user}, ${c.server}`,
  );
}
console.log("\nPress Ctrl-C to stop and remove everything.");

const stop = async () => {
  console.error("\nStopping the control plane...");
  await cp.stop();
  Deno.exit(0);
};
Deno.addSignalListener("SIGINT", stop);
Deno.addSignalListener("SIGTERM", stop);
