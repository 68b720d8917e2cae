/**
 * One Event per Replicator and reconcile (issue 18): while a Replicator is reconciled its steps record the
 * Events they have to say (`ctx.event(...)`) into a {@linkcode ReconcileEvents}; when the reconcile ends
 * (done, requeued or failed) they are folded into one Event ({@linkcode foldEvents}, pure) and written.
 *
 * The folded Event:
 * - type `Warning` when any part is a Warning, else `Normal`;
 * - reason: the reason of the part of that type that comes first in {@linkcode REASON_PRECEDENCE} (the
 *   status flip first, as it answers "did it work", then the most specific cause); a reason not in the list
 *   ranks after every listed one, and ties go to the earlier part;
 * - message: every part's own message (its own wording, so `plumberctl status` and the drift audit still
 *   read `Applied ...` and `cluster <c>: <Kind> <ns>/<name>: ...` parts), in the order they were recorded,
 *   joined with `"; "`, cut at whole parts within the 1024 characters an Event message keeps; the parts
 *   left out are counted with their reasons: `; and 3 more (Pruned, NamespaceDeleted)`.
 *
 * @module
 */

import type { Replicator } from "../../lib/api.ts";
import { EVENT_MESSAGE_LIMIT } from "./applied_event.ts";

/** `Normal` or `Warning`, as Kubernetes Events have. */
export type EventType = "Normal" | "Warning";

/** One Event a reconcile step had to say. */
export interface EventPart {
  type: EventType;
  reason: string;
  message: string;
}

/**
 * Which part names the folded Event, most telling first (within the folded Event's type). A Warning
 * part always wins over Normal ones (the Event's type is Warning then).
 */
export const REASON_PRECEDENCE: readonly string[] = [
  // Warnings: deletion blocked, the status flip, then causes.
  "CleanupFailed",
  "NotSynced",
  "ApplyFailed",
  "OverrideFailed",
  "RolloutHalted",
  "Conflict",
  "InvalidClusterSelector",
  "NoClustersSelected",
  // Normal: the status flip, then what was done to objects, then the rest.
  "Synced",
  "DriftCorrected",
  "Applied",
  "Pruned",
  "Orphaned",
  "NamespaceDeleted",
  "CertificatesIssued",
  "ClustersSelected",
  // Either type.
  "NamespaceKept",
  "Abandoned",
];

function rank(reason: string): number {
  const i = REASON_PRECEDENCE.indexOf(reason);
  return i === -1 ? REASON_PRECEDENCE.length : i;
}

/** The one Event that says what `parts` say (pure), or undefined when there is nothing to say. */
export function foldEvents(parts: readonly EventPart[], limit = EVENT_MESSAGE_LIMIT): EventPart | undefined {
  if (parts.length === 0) return undefined;
  const type: EventType = parts.some((p) => p.type === "Warning") ? "Warning" : "Normal";
  let named = parts.find((p) => p.type === type)!;
  for (const p of parts) if (p.type === type && rank(p.reason) < rank(named.reason)) named = p;
  return { type, reason: named.reason, message: foldMessages(parts, limit) };
}

/** The parts' messages joined with "; ", whole parts only within `limit`, the rest counted. */
export function foldMessages(parts: readonly EventPart[], limit = EVENT_MESSAGE_LIMIT): string {
  const tail = (from: number) => {
    const left = parts.slice(from);
    const reasons = [...new Set(left.map((p) => p.reason))].join(", ");
    return `; and ${left.length} more (${reasons})`;
  };
  let message = parts[0]!.message;
  for (let i = 1; i < parts.length; i++) {
    const next = `${message}; ${parts[i]!.message}`;
    const fits = i === parts.length - 1 ? next.length <= limit : next.length + tail(i + 1).length <= limit;
    if (!fits) return cut(message, tail(i), limit);
    message = next;
  }
  return cut(message, "", limit);
}

/** A message with its tail within `limit`: only a first part longer than the limit is cut inside. */
function cut(message: string, tail: string, limit: number): string {
  if (message.length + tail.length <= limit) return message + tail;
  const room = Math.max(0, limit - tail.length - 1);
  return `${message.slice(0, room)}…${tail}`.slice(0, limit);
}

/**
 * The Events recorded during one reconcile, kept per Replicator (by UID, else name) so that two
 * Replicators' parts are never folded together, even if a step ever reports on another one.
 */
export class ReconcileEvents {
  readonly #parts = new Map<string, { replicator: Replicator; parts: EventPart[] }>();
  #closed = false;

  /** Records a part; false once the reconcile has ended (the caller writes it on its own then). */
  add(replicator: Replicator, type: EventType, reason: string, message: string): boolean {
    if (this.#closed) return false;
    const key = replicator.metadata.uid ?? `name:${replicator.metadata.name}`;
    const entry = this.#parts.get(key) ?? { replicator, parts: [] };
    entry.parts.push({ type, reason, message });
    this.#parts.set(key, entry);
    return true;
  }

  /** Ends the reconcile: one folded Event per Replicator that had something to say (usually one). */
  close(limit = EVENT_MESSAGE_LIMIT): { replicator: Replicator; event: EventPart }[] {
    this.#closed = true;
    const out = [...this.#parts.values()].flatMap(({ replicator, parts }) => {
      const event = foldEvents(parts, limit);
      return event ? [{ replicator, event }] : [];
    });
    this.#parts.clear();
    return out;
  }
}

/**
 * Whether a folded message holds a part (pure, for readers and tests): a string is compared with whole
 * parts; a RegExp is tried where each part may start (the start, and after every "; "), so `^` anchors it
 * to a part's start.
 *
 * @example
 * ```ts
 * hasPart("Issued certificates: server; Applied ConfigMap web/nginx in s1", "Issued certificates: server"); // true
 * hasPart("Deleted ConfigMap web/a in s1; Kept namespace web in s2: it holds Pods", /^Kept namespace web in s2: /); // true
 * ```
 */
export function hasPart(message: string | undefined, part: string | RegExp): boolean {
  if (message === undefined) return false;
  const holds = (rest: string) =>
    typeof part === "string" ? rest === part || rest.startsWith(`${part}; `) : part.test(rest);
  for (let at = 0;;) {
    if (holds(message.slice(at))) return true;
    const next = message.indexOf("; ", at);
    if (next === -1) return false;
    at = next + 2;
  }
}
