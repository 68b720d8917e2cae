/**
 * `drift`: a hand edit of a replicated Deployment in a secondary
 * (`spec.replicas` by JSON merge patch, another field manager), timed from
 * sending the edit to the watch event that shows it reverted.
 *
 * @module
 */

import type { KubeObjectLike } from "../lib/kube/client.ts";
import { SAMPLE_DEPLOYMENT, SAMPLE_REPLICAS, sleep } from "./sample.ts";
import { type BenchContext, load1 } from "./scenario.ts";
import { summarize } from "./stats.ts";

const EDITED_REPLICAS = 7;

/** Edits the Deployments of `names` in turn (secondary1, secondary2, ...) and times each revert. */
export async function runDrift(ctx: BenchContext, names: string[]): Promise<void> {
  const load = load1();
  const secondaries = ["secondary1", "secondary2"];
  ctx.say(`drift: ${ctx.sizes.samples} hand edits of spec.replicas`);
  const seconds: number[] = [];
  for (let i = 0; i < ctx.sizes.samples; i++) {
    const namespace = names[i % names.length]!;
    const context = secondaries[i % secondaries.length]!;
    const seen: { rv: number; replicas?: number; at: number }[] = [];
    const off = ctx.tracker.on(context, "Deployment", {
      update: (_, o) => {
        if (o.metadata.namespace !== namespace || o.metadata.name !== SAMPLE_DEPLOYMENT) return;
        const replicas = (o as { spec?: { replicas?: number } }).spec?.replicas;
        seen.push({ rv: Number(o.metadata.resourceVersion), replicas, at: performance.now() });
      },
    });
    try {
      const ref = { apiVersion: "apps/v1", kind: "Deployment", namespace, name: SAMPLE_DEPLOYMENT };
      const started = performance.now();
      const edited = await ctx.env.client(context).mergePatch<KubeObjectLike>(
        ref,
        { spec: { replicas: EDITED_REPLICAS } },
        { fieldManager: "bench-hand-edit" },
      );
      const editedRv = Number(edited.metadata?.resourceVersion);
      const deadline = performance.now() + 15_000;
      let revertedAt: number | undefined;
      while (revertedAt === undefined) {
        revertedAt = seen.find((e) => e.rv > editedRv && e.replicas === SAMPLE_REPLICAS)?.at;
        if (revertedAt !== undefined) break;
        if (performance.now() > deadline) {
          throw new Error(`Drift of ${context} ${namespace}/${SAMPLE_DEPLOYMENT} not reverted after 15 s`);
        }
        await sleep(5);
      }
      seconds.push((revertedAt - started) / 1000);
    } finally {
      off();
    }
    await sleep(500);
  }
  const summary = summarize(seconds);
  ctx.rows.push({
    scenario: "drift",
    metric: "hand edit in a secondary -> reverted",
    unit: "s",
    summary,
    goal: "p50 < 0.5 s",
    pass: summary.median < 0.5,
    load,
  });
  ctx.details.drift = { seconds };
  ctx.say(`drift: median ${summary.median.toFixed(3)} s, p90 ${summary.p90.toFixed(3)} s`);
}
