/**
 * Leader election with a `coordination.k8s.io/v1` Lease, after client-go:
 * lease 15 s, renew deadline 10 s, retry 2 s by default.
 *
 * Safety: a candidate takes over only after it has seen the lease unchanged
 * for a whole lease duration (measured on its own clock, so clock skew between
 * machines does not matter), while a leader that cannot renew for the renew
 * deadline (shorter than the lease) stops leading first. The deadline counts
 * from the start of the last successful renewal (the write cannot have reached
 * the server earlier) and also bounds each renewal request, so a hanging
 * request cannot stretch it. A leader that sees the lease held by someone else
 * stops at once. Loss is declared by a timer at the renew deadline, whatever a
 * renewal in flight is doing, and the work's signal aborts first, with a
 * {@linkcode LeaderElectionLostError} as its reason, so its listeners (the
 * operator's client fence) run before anything else. Two leaders never act at
 * once as long as the work stops promptly when its signal aborts (the operator
 * fences its clients and exits).
 *
 * @module
 */

import type { KubeClient } from "./client.ts";
import { isConflict, isNotFound } from "./client.ts";
import {
  CoordinationV1Api,
  type CoordinationV1NamespacedApi,
  type Lease,
  type LeaseSpec,
} from "./generated/coordination_v1.ts";
import { restClientOf } from "./rest_adapter.ts";
import type { Logger } from "../log.ts";
import { sleep } from "./sleep.ts";

/** Times of a leader election, in milliseconds. */
export interface LeaderElectionTimes {
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
}

/** controller-runtime's defaults. */
export const DEFAULT_LEADER_ELECTION_TIMES: LeaderElectionTimes = {
  leaseDurationMs: 15_000,
  renewDeadlineMs: 10_000,
  retryPeriodMs: 2_000,
};

/** jitter()'s factor, as client-go's `JitterFactor`: a retry waits up to 1.2 retry periods. */
const JITTER_FACTOR = 1.2;

/**
 * What is wrong with a set of election times, or undefined when they are
 * usable: as client-go, the lease must outlast the renew deadline, and the
 * renew deadline must leave room for more than one jittered retry.
 *
 * @example
 * ```ts
 * leaderElectionTimesProblem({ leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 }); // undefined
 * ```
 */
export function leaderElectionTimesProblem(times: LeaderElectionTimes): string | undefined {
  const { leaseDurationMs, renewDeadlineMs, retryPeriodMs } = times;
  for (const [name, value] of Object.entries(times)) {
    if (!Number.isFinite(value) || value <= 0) {
      return `${name} ${value} must be a positive number of milliseconds`;
    }
  }
  if (renewDeadlineMs >= leaseDurationMs) {
    return `renew deadline ${renewDeadlineMs} ms must be shorter than the lease duration ${leaseDurationMs} ms`;
  }
  if (renewDeadlineMs <= JITTER_FACTOR * retryPeriodMs) {
    return `renew deadline ${renewDeadlineMs} ms must be longer than ${JITTER_FACTOR} times the retry period ${retryPeriodMs} ms`;
  }
  return undefined;
}

/** The reason a leader's work signal aborts with when the lease is lost (not when the elector is stopped). */
export class LeaderElectionLostError extends Error {
  /** The identity that holds the lease now, when known. */
  readonly holder?: string;

  constructor(lease: string, holder?: string) {
    super(
      holder
        ? `Lost the leader election lease "${lease}": it is held by "${holder}"`
        : `Lost the leader election lease "${lease}": not renewed within the renew deadline`,
    );
    this.name = "LeaderElectionLostError";
    this.holder = holder;
  }
}

/** Options of {@linkcode LeaderElector}. */
export interface LeaderElectorOptions extends Partial<LeaderElectionTimes> {
  client: KubeClient;
  namespace: string;
  /** Lease name. */
  name: string;
  /** This candidate's identity (hostname + random suffix by default). */
  identity?: string;
  logger?: Logger;
  /** Called with the new state whenever leadership changes (for metrics). */
  onChange?: (leading: boolean) => void;
}

function microTime(date: Date): string {
  // MicroTime: RFC 3339 with microseconds.
  return date.toISOString().replace(/\.(\d{3})Z$/, ".$1000Z");
}

function jitter(ms: number): number {
  return ms + Math.random() * ms * (JITTER_FACTOR - 1);
}

/** One candidate in a leader election. */
export class LeaderElector {
  readonly identity: string;
  #options: LeaderElectorOptions;
  #times: LeaderElectionTimes;
  #leading = false;
  #observed?: { key: string; at: number };
  /** Holder seen by the last attempt that reached the server. */
  #observedHolder?: string;
  #lease?: Lease;
  #stop = new AbortController();
  #leases: CoordinationV1NamespacedApi;

  constructor(options: LeaderElectorOptions) {
    this.#options = options;
    this.#times = { ...DEFAULT_LEADER_ELECTION_TIMES, ...definedOnly(options) };
    const problem = leaderElectionTimesProblem(this.#times);
    if (problem) throw new RangeError(`Invalid leader election times: ${problem}`);
    this.identity = options.identity ?? `${Deno.hostname()}_${crypto.randomUUID().slice(0, 8)}`;
    this.#leases = new CoordinationV1Api(restClientOf(options.client)).namespace(options.namespace);
  }

  /** True while this candidate holds the lease. */
  get isLeader(): boolean {
    return this.#leading;
  }

  /** The lease, or `undefined` when it does not exist. */
  async #find(signal?: AbortSignal): Promise<Lease | undefined> {
    try {
      return await this.#leases.getLease(this.#options.name, { signal });
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  #setLeading(leading: boolean): void {
    if (this.#leading === leading) return;
    this.#leading = leading;
    this.#options.onChange?.(leading);
  }

  /**
   * One attempt to acquire or renew; true when this candidate holds the lease
   * afterwards. False when another candidate holds an unexpired lease or won a
   * race for it (409 Conflict); other errors are thrown. `signal` bounds the
   * attempt.
   */
  async tryAcquireOrRenew(options: { signal?: AbortSignal } = {}): Promise<boolean> {
    const signal = options.signal;
    const now = new Date();
    const existing = await this.#find(signal);
    const durationSeconds = Math.ceil(this.#times.leaseDurationMs / 1000);
    if (!existing) {
      try {
        this.#lease = await this.#leases.createLease({
          apiVersion: "coordination.k8s.io/v1",
          kind: "Lease",
          metadata: { name: this.#options.name, namespace: this.#options.namespace },
          spec: {
            holderIdentity: this.identity,
            leaseDurationSeconds: durationSeconds,
            acquireTime: microTime(now),
            renewTime: microTime(now),
            leaseTransitions: 0,
          },
        }, { signal });
        this.#observed = { key: observedKey(this.#lease.spec ?? {}), at: Date.now() };
        this.#observedHolder = this.identity;
        return true;
      } catch (error) {
        if (isConflict(error)) return false; // someone else created it first
        throw error;
      }
    }
    const spec = existing.spec ?? {};
    const key = observedKey(spec);
    if (!this.#observed || this.#observed.key !== key) this.#observed = { key, at: Date.now() };
    const holder = spec.holderIdentity ?? "";
    this.#observedHolder = holder;
    const heldByOther = holder !== "" && holder !== this.identity;
    const leaseMs = (spec.leaseDurationSeconds ?? durationSeconds) * 1000;
    if (heldByOther && this.#observed.at + leaseMs > Date.now()) return false;
    const next: LeaseSpec = {
      holderIdentity: this.identity,
      leaseDurationSeconds: durationSeconds,
      acquireTime: holder === this.identity ? spec.acquireTime : microTime(now),
      renewTime: microTime(now),
      leaseTransitions: holder === this.identity
        ? spec.leaseTransitions ?? 0
        : (spec.leaseTransitions ?? 0) + 1,
    };
    try {
      this.#lease = await this.#leases.replaceLease({ ...existing, spec: next }, { signal });
      this.#observed = { key: observedKey(next), at: Date.now() };
      this.#observedHolder = this.identity;
      return true;
    } catch (error) {
      if (isConflict(error) || isNotFound(error)) return false;
      throw error;
    }
  }

  /**
   * Campaigns until elected, then calls `lead` with a signal that aborts when
   * leadership is lost (its reason a {@linkcode LeaderElectionLostError}) or
   * `stop()` is called. Resolves when leading has ended; `lost` tells whether
   * the lease was lost (rather than released by `stop()`).
   */
  async run(lead: (signal: AbortSignal) => void | Promise<void>): Promise<{ lost: boolean }> {
    const log = this.#options.logger;
    const stop = this.#stop.signal;
    const renewDeadlineMs = this.#times.renewDeadlineMs;
    // Start of the last successful attempt: its write reached the server no earlier.
    let lastRenew = 0;
    let acquired = false;
    while (!stop.aborted && !acquired) {
      const attemptStarted = Date.now();
      try {
        acquired = await this.tryAcquireOrRenew({ signal: AbortSignal.timeout(renewDeadlineMs) });
        if (acquired) lastRenew = attemptStarted;
      } catch (error) {
        log?.warn("Cannot reach the leader election lease", {
          lease: this.#options.name,
          error: String(error),
        });
      }
      if (!acquired) await sleep(jitter(this.#times.retryPeriodMs), stop);
    }
    if (!acquired) return { lost: false };
    if (stop.aborted) {
      // Stopped while the winning attempt was in flight: hand the lease back at once.
      await this.#release();
      return { lost: false };
    }
    log?.info("Became the leader", { lease: this.#options.name, identity: this.identity });
    this.#setLeading(true);
    const leadership = new AbortController();
    let lost = false;
    const lose = (holder?: string) => {
      if (lost || leadership.signal.aborted) return;
      lost = true;
      // The work's signal first: its listeners (the operator's fence) run before this returns.
      leadership.abort(new LeaderElectionLostError(this.#options.name, holder));
      log?.error("Lost the leader election lease", {
        lease: this.#options.name,
        identity: this.identity,
        holder,
        renewDeadline: new Date(lastRenew + renewDeadlineMs).toISOString(),
      });
      this.#setLeading(false);
    };
    // Loss at the renew deadline, on the dot, even while a renewal is still on its way.
    let deadlineTimer = setTimeout(lose, lastRenew + renewDeadlineMs - Date.now());
    const active = AbortSignal.any([stop, leadership.signal]);
    const work = Promise.resolve().then(() => lead(leadership.signal));
    while (!active.aborted) {
      const deadline = lastRenew + renewDeadlineMs;
      await sleep(Math.min(this.#times.retryPeriodMs, Math.max(0, deadline - Date.now())), active);
      if (active.aborted) break;
      let renewed = false;
      const attemptStarted = Date.now();
      try {
        // Bounded by the renew deadline: a request still hanging then must not keep us leading.
        const timeout = AbortSignal.timeout(Math.max(1, deadline - attemptStarted));
        renewed = await this.tryAcquireOrRenew({ signal: AbortSignal.any([timeout, active]) });
      } catch (error) {
        if (!active.aborted) {
          log?.warn("Cannot renew the leader election lease", {
            lease: this.#options.name,
            error: String(error),
          });
        }
      }
      // Lost (or stopped) while renewing: a renewal that got through too late does not count.
      if (active.aborted) break;
      if (renewed) {
        lastRenew = attemptStarted;
        clearTimeout(deadlineTimer);
        deadlineTimer = setTimeout(lose, lastRenew + renewDeadlineMs - Date.now());
        continue;
      }
      const holder = this.#observedHolder;
      const takenOver = holder !== undefined && holder !== "" && holder !== this.identity;
      if (takenOver) lose(holder);
      else if (Date.now() >= deadline) lose();
    }
    clearTimeout(deadlineTimer);
    this.#setLeading(false);
    leadership.abort();
    await work.catch(() => {});
    if (!lost) await this.#release();
    return { lost };
  }

  /** Stops campaigning or leading; a held lease is released. */
  stop(): void {
    this.#stop.abort();
  }

  async #release(): Promise<void> {
    const lease = this.#lease;
    if (!lease || lease.spec?.holderIdentity !== this.identity) return;
    // Bounded, so a shutdown never waits on an API server that does not answer.
    const signal = AbortSignal.timeout(this.#times.renewDeadlineMs);
    try {
      const current = await this.#find(signal);
      if (!current || current.spec?.holderIdentity !== this.identity) return;
      // As client-go: an empty holder and a 1 s duration let the next candidate take over at once.
      await this.#leases.replaceLease({
        ...current,
        spec: {
          ...current.spec,
          holderIdentity: "",
          leaseDurationSeconds: 1,
          renewTime: microTime(new Date()),
        },
      }, { signal });
      this.#options.logger?.info("Released the leader election lease", { lease: this.#options.name });
    } catch (error) {
      this.#options.logger?.warn("Cannot release the leader election lease", { error: String(error) });
    }
  }
}

function observedKey(spec: LeaseSpec): string {
  return `${spec.holderIdentity ?? ""}|${spec.renewTime ?? ""}|${spec.leaseTransitions ?? 0}`;
}

function definedOnly(options: Partial<LeaderElectionTimes>): Partial<LeaderElectionTimes> {
  const out: Partial<LeaderElectionTimes> = {};
  if (options.leaseDurationMs !== undefined) out.leaseDurationMs = options.leaseDurationMs;
  if (options.renewDeadlineMs !== undefined) out.renewDeadlineMs = options.renewDeadlineMs;
  if (options.retryPeriodMs !== undefined) out.retryPeriodMs = options.retryPeriodMs;
  return out;
}
