/**
 * How an object the API server refused is reported: its `status.applied[]` entry says
 * `failed: <reason>` (the server's message, one line, secrets redacted), and the cluster's message
 * names every object that failed. Pure.
 *
 * @module
 */

import type { AppliedResource, KubeObject } from "../../lib/api.ts";
import { redactText } from "../../lib/redact.ts";

/** The longest reason kept in an `applyStatus` (the server's messages can list many fields). */
export const MAX_REASON_LENGTH = 300;

/** `applyStatus` of an object that could not be applied: `failed: <reason>`, one line, secrets redacted. */
export function failedApplyStatus(reason: string): string {
  const line = redactText(reason).replace(/\s+/g, " ").trim() || "unknown error";
  return `failed: ${line.length > MAX_REASON_LENGTH ? `${line.slice(0, MAX_REASON_LENGTH - 1)}…` : line}`;
}

/** Whether an `applied[]` entry reports a failure (as opposed to `applied` or `conflict: ...`). */
export function isFailed(entry: AppliedResource): boolean {
  return entry.applyStatus.startsWith("failed:");
}

/** An `applied[]` entry for every object of a cluster that could not be applied for one reason. */
export function allFailed(
  cluster: string,
  objects: readonly KubeObject[],
  reason: string,
): AppliedResource[] {
  const applyStatus = failedApplyStatus(reason);
  return objects.map((o) => ({ cluster, kind: o.kind, name: o.metadata.name, applyStatus }));
}

/** The cluster's message for the objects that failed (`Service web: failed: ...; ...`), or undefined if none. */
export function failureSummary(applied: readonly AppliedResource[]): string | undefined {
  const failed = applied.filter(isFailed);
  return failed.length === 0
    ? undefined
    : failed.map((a) => `${a.kind} ${a.name}: ${a.applyStatus}`).join("; ");
}
