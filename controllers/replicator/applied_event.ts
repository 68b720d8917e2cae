/**
 * The one `Applied` part of a reconcile's Event (pure): what was written in every cluster, clusters that got
 * the same objects named together, so a fan-out says it once per Replicator and reconcile, not once per
 * cluster; the reconcile folds it with its other parts into one Event (`reconcile_events.ts`).
 * `plumberctl status` (`cli/status_tree.ts`) parses it, within the folded message, for each object's last
 * change:
 *
 * `Applied <Kind> <ns>/<name>, <Kind> <ns>/<name> in <cluster>, <cluster>; <Kind> <ns>/<name> in <cluster>`
 *
 * @module
 */

/** Most an Event message holds (`lib/kube/events.ts` cuts it there). */
export const EVENT_MESSAGE_LIMIT = 1024;

/** The message of a reconcile's `Applied` part, or undefined when nothing was written. */
export function appliedMessage(
  outcomes: readonly { cluster: string; written: readonly string[] }[],
  limit = EVENT_MESSAGE_LIMIT,
): string | undefined {
  // Objects -> the clusters that got exactly these (in the order first seen).
  const groups = new Map<string, string[]>();
  for (const { cluster, written } of outcomes) {
    if (written.length === 0) continue;
    const objects = written.join(", ");
    groups.set(objects, [...(groups.get(objects) ?? []), cluster]);
  }
  const parts = [...groups].map(([objects, clusters]) => `${objects} in ${clusters.join(", ")}`);
  if (parts.length === 0) return undefined;
  // Whole parts only, so a reader never sees half a cluster's list; what does not fit is counted.
  let message = `Applied ${parts[0]}`;
  for (let i = 1; i < parts.length; i++) {
    const rest = parts.slice(i).reduce((n, p) => n + p.split(" in ")[1]!.split(", ").length, 0);
    const more = `; and in ${rest} more cluster${rest === 1 ? "" : "s"}`;
    const next = `${message}; ${parts[i]}`;
    const fitsWithTail = i === parts.length - 1 ? next.length <= limit : next.length + more.length <= limit;
    if (!fitsWithTail) return message + more;
    message = next;
  }
  return message;
}
