/**
 * The ClusterDetector controller's pure decisions: how probe results turn into
 * the status a user sees, and whether a new status differs from the stored one.
 * No I/O: the controller (`cluster_detector.ts`) probes, then calls these.
 *
 * @module
 */

import { type ClusterDetectorStatus, type Condition, kubeTime, setCondition } from "../lib/api.ts";
import { canonicalJson } from "../lib/json.ts";
import { isLoopbackServer } from "../lib/loopback.ts";
import type { ProbeResult } from "../lib/kube/probe.ts";
import { credentialsCondition, type SecretProblem } from "./kubeconfig_secret.ts";

/** What the controller remembers of one cluster's probes between reconciles. */
export interface ProbeState {
  lastProbeAt: number;
  lastProbeTime: string;
  failures: number;
  result?: ProbeResult;
  /** The status last computed from probes (Running stays until the threshold). */
  clusterstatus?: "Running" | "Unknown";
  reason?: string;
  version?: string;
}

/** Decides the user-visible status from the probe history (pure). */
export function nextClusterStatus(
  previous: "Running" | "Unknown" | undefined,
  result: ProbeResult,
  failures: number,
  threshold: number,
): { clusterstatus: "Running" | "Unknown"; flipped: boolean } {
  if (result.healthy) return { clusterstatus: "Running", flipped: previous !== "Running" };
  if (previous === "Running" && failures < threshold) return { clusterstatus: "Running", flipped: false };
  return { clusterstatus: "Unknown", flipped: previous !== "Unknown" };
}

/** Status equality ignoring timestamps that change without the user-visible state changing. */
export function sameStatus(a: ClusterDetectorStatus | undefined, b: ClusterDetectorStatus): boolean {
  const strip = (s: ClusterDetectorStatus | undefined) =>
    canonicalJson({
      clusterstatus: s?.clusterstatus,
      reason: s?.reason ?? "",
      kubernetesVersion: s?.kubernetesVersion ?? "",
      observedGeneration: s?.observedGeneration,
      conditions: (s?.conditions ?? []).map((c: Condition) => [c.type, c.status, c.reason, c.message]),
    });
  return strip(a) === strip(b);
}

/** The first probe state of a cluster, continued from its stored status so a restart flips nothing. */
export function initialProbeState(stored: ClusterDetectorStatus | undefined, now: Date): ProbeState {
  return {
    lastProbeAt: 0,
    lastProbeTime: kubeTime(now),
    failures: 0,
    clusterstatus: stored?.clusterstatus,
    reason: stored?.reason,
    version: stored?.kubernetesVersion,
  };
}

/**
 * Folds one probe result into `state` (modified in place). `lastProbeTime` moves only when what a
 * user sees changes: a flip, or a new reason while Unknown (`storedReason` is the reason stored now).
 */
export function recordProbe(
  state: ProbeState,
  result: ProbeResult,
  at: { now: Date; nowMs: number },
  threshold: number,
  storedReason: string | undefined,
): void {
  state.lastProbeAt = at.nowMs;
  state.failures = result.healthy ? 0 : state.failures + 1;
  const next = nextClusterStatus(state.clusterstatus, result, state.failures, threshold);
  if (result.healthy) {
    state.version = result.version;
    state.reason = "";
  } else if (next.clusterstatus === "Unknown") {
    state.reason = result.reason;
  }
  if (
    next.flipped || (!result.healthy && next.clusterstatus === "Unknown" && state.reason !== storedReason)
  ) {
    state.lastProbeTime = kubeTime(at.now);
  }
  state.clusterstatus = next.clusterstatus;
  state.result = result;
}

/** What the status of one cluster is computed from. */
export interface DetectorStatusInput {
  state: ProbeState;
  role: "primary" | "secondary";
  context: string;
  /** Why the stored context cannot be used; undefined when it can. */
  problem?: string;
  hasClient: boolean;
  /** Why the kubeconfig Secret cannot be read now; undefined while it can. */
  secretProblem?: SecretProblem;
  secret: { namespace: string; name: string };
  /** The stored object's status conditions and generation. */
  storedConditions?: readonly Condition[];
  generation?: number;
  now: Date;
}

/** The status to store for one cluster (pure). */
export function detectorStatus(input: DetectorStatusInput): ClusterDetectorStatus {
  const { state, secretProblem, now } = input;
  const running = state.clusterstatus === "Running";
  const unusable = Boolean(input.problem) || !input.hasClient;
  let conditions = setCondition(input.storedConditions, {
    type: "Ready",
    status: running ? "True" : "False",
    reason: running
      ? "Reachable"
      : unusable && secretProblem
      ? secretProblem.reason
      : input.problem
      ? "InvalidKubeconfig"
      : "Unreachable",
    message: running ? `readyz ok, ${state.version ?? ""}`.trim() : state.reason ?? "not probed yet",
    observedGeneration: input.generation,
  }, now);
  if (input.role === "secondary") {
    conditions = setCondition(conditions, {
      ...credentialsCondition(
        secretProblem,
        { context: input.context, problem: input.problem, hasClient: input.hasClient },
        input.secret,
      ),
      observedGeneration: input.generation,
    }, now);
  }
  const status: ClusterDetectorStatus = {
    clusterstatus: state.clusterstatus ?? "Unknown",
    reason: running ? "" : state.reason ?? "",
    conditions,
    lastProbeTime: state.lastProbeTime,
    observedGeneration: input.generation,
  };
  if (state.version) status.kubernetesVersion = state.version;
  return status;
}

/**
 * The probe result with what to do appended when the cluster could not be reached at a loopback
 * address: from an operator running in a cluster, 127.0.0.1 is its own Pod (a kind cluster's
 * kubeconfig names `https://127.0.0.1:<port>`). Answers from a server (401, 403, readyz) are left as is.
 */
export function explainProbeFailure(result: ProbeResult, server: string, context: string): ProbeResult {
  if (result.healthy || !isLoopbackServer(server)) return result;
  if (/^\d{3} |^readyz answered/.test(result.reason)) return result;
  const host = new URL(server).hostname;
  return {
    healthy: false,
    reason: `${result.reason}; ${host} is the operator's own Pod when plumber runs in a cluster: ` +
      `re-register with plumberctl add --target-context ${context} --server <address reachable from the Pod>`,
  };
}
