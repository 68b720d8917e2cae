/**
 * The resourceVersions of the replicator's own writes, so the watch events they cause (their echoes) do
 * not reconcile the Replicator again: the reconcile that wrote the object already acted on what it wrote.
 * During a fan-out every create and the status write came back as events and reconciled each Replicator
 * once more for nothing (`bench/fan_out.ts`, reconciles per Replicator).
 *
 * Only a version known to be this write's is an echo: a create-only apply (nothing of that name existed), a
 * replace with a resourceVersion precondition, a status write that produced a new version of the
 * reconciled generation (`isOwnStatusWrite`). Any other change, by anyone, has another version and
 * reconciles as before; deletes are never echoes. The echo may arrive before the write's response: events
 * of an object whose write is in flight are held back ({@linkcode OwnWrites.begin}) and, when the write
 * ends, any that was not its echo is reported so the caller enqueues the Replicator. A write whose echo
 * never comes is forgotten after {@linkcode OWN_WRITE_TTL_MS}.
 *
 * @module
 */

/** The source of the Replicators' own writes (finalizer, status); no cluster is named so (DNS labels). */
export const REPLICATORS = "replicators:primary";

/** How long a write waits for its echo. */
export const OWN_WRITE_TTL_MS = 60_000;

/** What identifies a written object and its version. */
export interface Written {
  apiVersion?: string;
  kind?: string;
  metadata?: { namespace?: string; name?: string; resourceVersion?: string };
}

interface Entry {
  /** The version written, once known. */
  version?: string;
  at: number;
  /** Writes of the object still in flight. */
  flights: number;
  /** Versions whose events arrived while a write was in flight. */
  seen?: Set<string>;
}

/** Own writes by (source, object), waiting for their echo. */
export class OwnWrites {
  readonly #entries = new Map<string, Entry>();
  readonly #now: () => number;
  #oldest = Infinity;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  /** A write of `object` to `source` (a cluster's name) starts: its events are held until {@linkcode end}. */
  begin(source: string, object: Written): void {
    const key = keyOf(source, object);
    if (key === undefined) return;
    const now = this.#now();
    if (now - this.#oldest > OWN_WRITE_TTL_MS) this.#expire(now);
    const entry = this.#entries.get(key);
    if (entry) {
      entry.flights++;
      entry.at = now;
    } else {
      this.#entries.set(key, { at: now, flights: 1 });
    }
    this.#oldest = Math.min(this.#oldest, now);
  }

  /**
   * The write begun for `object` ended: `written` is the version it produced when that is known to be this
   * write's (undefined when it failed or may have changed nothing). Returns true when an event held back
   * meanwhile was not its echo: the caller must reconcile.
   */
  end(source: string, object: Written, written?: Written): boolean {
    const key = keyOf(source, object);
    const entry = key === undefined ? undefined : this.#entries.get(key);
    if (!entry || entry.flights === 0) return false;
    entry.flights--;
    const version = written?.metadata?.resourceVersion;
    const seen = entry.seen;
    let missed = false;
    if (seen) {
      for (const v of seen) if (v !== version) missed = true;
      // The echo came first: nothing more to wait for.
      if (version && seen.has(version)) entry.version = undefined;
      else entry.version = version;
      if (entry.flights === 0) entry.seen = undefined;
    } else {
      entry.version = version;
    }
    entry.at = this.#now();
    if (entry.flights === 0 && entry.version === undefined) this.#entries.delete(key!);
    return missed;
  }

  /**
   * Runs `write` of `object` to `source` as a tracked write ({@linkcode begin} ... {@linkcode end}): the
   * version it returns counts as its echo when `isOwn` says it is this write's, and `missed` is called when
   * an event held meanwhile was not (the caller reconciles). Errors of `write` are passed on.
   */
  async write<T extends Written>(
    source: string,
    object: Written,
    write: () => Promise<T>,
    isOwn: (written: T) => boolean,
    missed: () => void,
  ): Promise<T> {
    this.begin(source, object);
    let written: T | undefined;
    try {
      written = await write();
      return written;
    } finally {
      if (this.end(source, object, written !== undefined && isOwn(written) ? written : undefined)) missed();
    }
  }

  /** True for the event of a version this controller wrote (consumed), or of an object being written. */
  isEcho(source: string, object: Written): boolean {
    const key = keyOf(source, object);
    if (key === undefined) return false;
    const entry = this.#entries.get(key);
    const version = object.metadata?.resourceVersion;
    if (!entry || !version) return false;
    if (entry.flights > 0) {
      (entry.seen ??= new Set()).add(version);
      return true;
    }
    if (entry.version !== version) return false;
    this.#entries.delete(key);
    return this.#now() - entry.at <= OWN_WRITE_TTL_MS;
  }

  /** Writes in flight or waiting for their echo. */
  get size(): number {
    return this.#entries.size;
  }

  #expire(now: number): void {
    this.#oldest = Infinity;
    for (const [key, entry] of this.#entries) {
      if (entry.flights === 0 && now - entry.at > OWN_WRITE_TTL_MS) this.#entries.delete(key);
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
