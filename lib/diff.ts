/**
 * Decides whether a server-side apply would change anything, so steady-state
 * reconciles make no write requests.
 *
 * Two checks, both needed:
 * - `isSubset(desired, live)`: every field plumber wants has that value in the
 *   live object (fields the API server defaulted, or others own, are ignored).
 *   A hand edit of a field plumber sets fails it: that is drift.
 * - the intent hash annotation: a field plumber stopped setting is still in
 *   the live object (the subset check cannot see that), but the hash of what
 *   was last applied differs from the new intent, so the apply happens and
 *   server-side apply removes the field.
 *
 * @module
 */

import { canonicalJson } from "./json.ts";
import { sha256Hex } from "./sha256.ts";

export { canonicalJson };

/** Annotation holding the hash of the intent plumber last applied. */
export const INTENT_HASH_ANNOTATION = "plumber.jnytnai0613.github.io/intent-hash";

/** True when every value in `desired` is present and equal in `live` (arrays element by element, same length). */
export function isSubset(desired: unknown, live: unknown): boolean {
  return firstDifference(desired, live) === undefined;
}

/**
 * The path of the first value of `desired` that `live` lacks or has otherwise
 * (`spec.template.spec.containers[0].image`), or undefined when `desired ⊆ live`.
 */
export function firstDifference(desired: unknown, live: unknown, path = ""): string | undefined {
  if (desired === live) return undefined;
  if (desired === null || live === null || typeof desired !== "object" || typeof live !== "object") {
    // Compared strictly: an int-or-string given as "80" is not 80.
    return path || "(root)";
  }
  if (Array.isArray(desired)) {
    if (!Array.isArray(live) || live.length !== desired.length) return path || "(root)";
    for (let i = 0; i < desired.length; i++) {
      const found = firstDifference(desired[i], live[i], `${path}[${i}]`);
      if (found) return found;
    }
    return undefined;
  }
  if (Array.isArray(live)) return path || "(root)";
  const l = live as Record<string, unknown>;
  for (const [key, value] of Object.entries(desired as Record<string, unknown>)) {
    if (value === undefined) continue;
    const child = path ? `${path}.${key}` : key;
    if (!(key in l)) {
      // An empty map or list the server dropped (e.g. `data: {}`) is still "the same".
      if (isEmpty(value)) continue;
      return child;
    }
    const found = firstDifference(value, l[key], child);
    if (found) return found;
  }
  return undefined;
}

function isEmpty(value: unknown): boolean {
  if (Array.isArray(value)) return value.length === 0;
  return typeof value === "object" && value !== null && Object.keys(value).length === 0;
}

/**
 * Short SHA-256 hex of an object's canonical JSON. Synchronous: WebCrypto's `digest` costs a round trip to
 * another thread per call (~85 us for 2 KiB against ~20 us to hash it here), and the operator hashes every
 * object of every cluster at a Replicator's first reconcile.
 */
export function intentHash(value: unknown): string {
  return sha256Hex(canonicalJson(value), 12);
}
