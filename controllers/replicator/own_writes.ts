/**
 * The resourceVersions of the replicator's own writes, so the watch events they cause (their echoes) do
 * not reconcile the Replicator again: the reconcile that wrote the object already acted on what it wrote.
 * During a fan-out every apply, the status write and the TLS Secret came back as events and reconciled
 * each Replicator two or three more times for nothing (`bench/fan_out.ts`, reconciles per Replicator).
 *
 * Only the exact version written is an echo: any later change, by anyone, has another resourceVersion and
 * reconciles as before, and deletes are never echoes. An entry is consumed by its echo, and a write whose
 * echo never comes (an apply that changed nothing returns the version already there, and no event
 * follows) is forgotten after {@linkcode OWN_WRITE_TTL_MS}; a stale entry can at worst drop an event of
 * that same version, which the write had already taken into account.
 *
 * @module
 */

/** The source of the Replicators' own status writes (no cluster is named so: names are DNS labels). */
export const REPLICATOR_STATUS = "replicators:status";

/** How long a write waits for its echo. */
export const OWN_WRITE_TTL_MS = 60_000;

/** What identifies a written object and its version. */
export interface Written {
  apiVersion?: string;
  kind?: string;
  metadata?: { namespace?: string; name?: string; resourceVersion?: string };
}

/** Own writes by (source, object), waiting for their echo. */
export class OwnWrites {
  readonly #versions = new Map<string, { version: string; at: number }>();
  readonly #now: () => number;
  #oldest = Infinity;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  /** Notes that `object` (as the API server returned it) was written to `source` (a cluster's name). */
  record(source: string, object: Written | undefined): void {
    const version = object?.metadata?.resourceVersion;
    const key = keyOf(source, object);
    if (!version || key === undefined) return;
    const now = this.#now();
    if (now - this.#oldest > OWN_WRITE_TTL_MS) this.#expire(now);
    this.#versions.set(key, { version, at: now });
    this.#oldest = Math.min(this.#oldest, now);
  }

  /** True once for the event of a version this controller wrote (the entry is consumed). */
  isEcho(source: string, object: Written): boolean {
    const key = keyOf(source, object);
    if (key === undefined) return false;
    const entry = this.#versions.get(key);
    if (!entry || entry.version !== object.metadata?.resourceVersion) return false;
    this.#versions.delete(key);
    return this.#now() - entry.at <= OWN_WRITE_TTL_MS;
  }

  /** Writes waiting for their echo. */
  get size(): number {
    return this.#versions.size;
  }

  #expire(now: number): void {
    this.#oldest = Infinity;
    for (const [key, entry] of this.#versions) {
      if (now - entry.at > OWN_WRITE_TTL_MS) this.#versions.delete(key);
      else this.#oldest = Math.min(this.#oldest, entry.at);
    }
  }
}

function keyOf(source: string, object: Written | undefined): string | undefined {
  const name = object?.metadata?.name;
  if (!name) return undefined;
  return `${source}\n${object.apiVersion ?? ""}/${object.kind ?? ""}/${
    object.metadata?.namespace ?? ""
  }/${name}`;
}
