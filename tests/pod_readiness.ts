/**
 * Ways for tests to keep a cluster's Pods from becoming ready, so stuck
 * rollouts can be tested against the local clusters' simulated nodes:
 *
 * - {@linkcode blockNewPods}: taints every Node of one cluster so that no new
 *   Pod is scheduled there (Pods stay Pending, not ready); Pods already running
 *   keep running. A Deployment's rollout in that cluster then stalls (and after
 *   its `progressDeadlineSeconds`, reports `ProgressDeadlineExceeded`).
 *   {@linkcode unblockNewPods} removes the taint and the Pending Pods run.
 *   Affects the whole cluster: use it on a private control plane, or restore it
 *   in `finally`.
 * - {@linkcode NEVER_READY_LABEL}: a Pod (template) label the KWOK stages of
 *   `tests/kwok/stages.yaml` honour: such Pods are scheduled and Running but
 *   never Ready. Scoped to the objects that carry it, so safe on the shared
 *   control plane (e.g. through one cluster's override of the pod template).
 *
 * @module
 */

import type { KubeClient } from "../lib/kube/client.ts";
import { isConflict } from "../lib/kube/errors.ts";

/** Pod label: KWOK runs a Pod carrying it with value `"true"` but never marks it Ready. */
export const NEVER_READY_LABEL = "plumber.test/never-ready";

/** The taint {@linkcode blockNewPods} puts on every Node. */
export const BLOCK_TAINT: Taint = { key: "plumber.test/pods-blocked", value: "true", effect: "NoSchedule" };

/** A Node taint. */
export interface Taint {
  key: string;
  value?: string;
  effect: string;
}

interface NodeLike {
  metadata: { name: string; resourceVersion?: string };
  spec?: { taints?: Taint[] };
}

/** `taints` with `taint` added (once) or removed (every entry with its key and effect). */
export function withTaint(taints: readonly Taint[] | undefined, taint: Taint, present: boolean): Taint[] {
  const others = (taints ?? []).filter((t) => !(t.key === taint.key && t.effect === taint.effect));
  return present ? [...others, taint] : others;
}

async function setTaintOnEveryNode(client: KubeClient, present: boolean): Promise<number> {
  const nodes = await client.listAll<NodeLike>("v1", "Node");
  for (const listed of nodes.items) {
    let node = listed;
    for (let attempt = 0;; attempt++) {
      const taints = withTaint(node.spec?.taints, BLOCK_TAINT, present);
      try {
        await client.update({ ...node, apiVersion: "v1", kind: "Node", spec: { ...node.spec, taints } });
        break;
      } catch (error) {
        // KWOK and the node controller write Nodes too: reread and retry.
        if (!isConflict(error) || attempt >= 10) throw error;
        node = await client.get<NodeLike>({ apiVersion: "v1", kind: "Node", name: node.metadata.name });
      }
    }
  }
  return nodes.items.length;
}

/**
 * Keeps new Pods of this cluster from being scheduled (so from becoming
 * ready); returns how many Nodes it tainted. Throws when the cluster has no
 * Nodes (a control plane started with `nodes: false`): Pods never run there anyway.
 */
export async function blockNewPods(client: KubeClient): Promise<number> {
  const count = await setTaintOnEveryNode(client, true);
  if (count === 0) {
    throw new Error("blockNewPods: the cluster has no Nodes (control plane started with nodes: false?)");
  }
  return count;
}

/** Undoes {@linkcode blockNewPods}: Pending Pods get scheduled and become ready. */
export async function unblockNewPods(client: KubeClient): Promise<void> {
  await setTaintOnEveryNode(client, false);
}
