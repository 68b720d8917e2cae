/**
 * A cluster held back by an override that cannot be applied to it (`lib/overrides.ts`): nothing is
 * applied or pruned there until the spec is fixed, and the status says so. Pure.
 *
 * @module
 */

import type { AppliedResource, KubeObject, Replicator } from "../../lib/api.ts";
import { heldIn } from "../../lib/holdings.ts";
import type { OverrideError } from "../../lib/overrides.ts";
import { type ClusterOutcome, emptyOutcome } from "./plan.ts";

/** The message of a held-back cluster, in its `status.clusters[]` entry, the Degraded condition and the Event. */
export function heldBackMessage(cluster: string, error: OverrideError): string {
  return `cluster "${cluster}" held back: ${error.message}`;
}

/**
 * The outcome of a held-back cluster. What the last status says plumber applied there stays `applied`
 * (it is still there, as it was: the record of what plumber holds, see `lib/holdings.ts`); every other
 * rendered object is `failed: held back by <field>`. Not retried with backoff: only a spec change can
 * fix it, and a spec change reconciles at once.
 *
 * @param rendered The cluster's objects before overrides (Namespace first, which is never listed).
 */
export function heldBackOutcome(
  replicator: Replicator,
  cluster: string,
  rendered: readonly KubeObject[],
  error: OverrideError,
): ClusterOutcome {
  const held = heldIn(replicator.status, cluster);
  const isHeld = (o: KubeObject) => held.some((a) => a.kind === o.kind && a.name === o.metadata.name);
  const failed: AppliedResource[] = rendered.filter((o) => o.kind !== "Namespace" && !isHeld(o)).map((o) => ({
    cluster,
    kind: o.kind,
    name: o.metadata.name,
    applyStatus: `failed: held back by ${error.field}`,
  }));
  return {
    ...emptyOutcome(cluster),
    applied: [...held, ...failed],
    message: heldBackMessage(cluster, error),
  };
}

/** True when the stored status already reports this message for the cluster (its Event was recorded then). */
export function alreadyReported(replicator: Replicator, cluster: string, message: string): boolean {
  const stored = replicator.status?.clusters?.find((c) => c.name === cluster)?.message;
  return stored !== undefined && stored === message.slice(0, 500);
}
