/**
 * Watches, from the benchmark's side, what the operator produces: the
 * benchmark Replicators (status) in the primary, and plumber's objects and
 * namespaces in every cluster. Each milestone is timestamped when its watch
 * event arrives, so measured times do not depend on a polling interval and the
 * benchmark puts no polling load on the API servers.
 *
 * @module
 */

import type { KubeClient, KubeObjectLike } from "../lib/kube/client.ts";
import { Informer } from "../lib/kube/informer.ts";
import type { EventHandler } from "../lib/kube/events_source.ts";
import type { Replicator } from "../lib/api.ts";
import { SET_LABEL } from "./env.ts";

const REPLICATOR_LABEL = "plumber.jnytnai0613.github.io/replicator";
const MANAGED = "app.kubernetes.io/managed-by=plumber";

/** The kinds plumber replicates (besides the Namespace). */
const KINDS = [
  { apiVersion: "v1", kind: "ConfigMap" },
  { apiVersion: "v1", kind: "Secret" },
  { apiVersion: "apps/v1", kind: "Deployment" },
  { apiVersion: "v1", kind: "Service" },
  { apiVersion: "networking.k8s.io/v1", kind: "Ingress" },
];

/** Milestones of one Replicator, in `performance.now()` milliseconds. */
export interface Progress {
  name: string;
  namespace?: string;
  createdAt?: number;
  /** First time `status.synced` was `synced` for the current generation. */
  syncedAt?: number;
  /** First time `status.clusters[]` said ready, by ClusterDetector name. */
  readyAt: Map<string, number>;
  /** First time every expected object and the namespace were in a cluster, by context. */
  objectsAt: Map<string, number>;
}

type Obj = KubeObjectLike & {
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; resourceVersion?: string };
};

/** What a Replicator counts as done. */
export interface DoneWhen {
  /** Contexts that must hold every object and the namespace. */
  objectsIn: string[];
  /** `status.synced == synced` for the current generation. */
  synced?: boolean;
  /** ClusterDetector names that `status.clusters[]` must report ready. */
  readyClusters?: string[];
}

/** Tracks benchmark Replicators and plumber's objects in every cluster. */
export class Tracker {
  readonly #clients: ReadonlyMap<string, KubeClient>;
  readonly #expected: number;
  readonly #replicators: Informer<Replicator & Obj>;
  readonly #objects = new Map<string, Map<string, Informer<Obj>>>();
  readonly #namespaces = new Map<string, Informer<Obj>>();
  readonly #progress = new Map<string, Progress>();
  /** context -> replicator -> object keys present. */
  readonly #present = new Map<string, Map<string, Set<string>>>();

  /**
   * @param clients admin clients by context; the `primary` one holds the Replicators.
   * @param expectedObjects objects one Replicator makes in each cluster (6 for the seed's sample).
   */
  constructor(clients: ReadonlyMap<string, KubeClient>, expectedObjects: number) {
    this.#clients = clients;
    this.#expected = expectedObjects;
    this.#replicators = new Informer({
      client: clients.get("primary")!,
      apiVersion: "plumber.jnytnai0613.github.io/v1",
      kind: "Replicator",
      labelSelector: SET_LABEL,
    });
    this.#replicators.addEventHandler({
      add: (r) => this.#onReplicator(r),
      update: (_, r) => this.#onReplicator(r),
    });
    for (const [context, client] of clients) {
      const byKind = new Map<string, Informer<Obj>>();
      for (const k of KINDS) {
        const informer = new Informer<Obj>({ client, ...k, labelSelector: `${MANAGED},${REPLICATOR_LABEL}` });
        informer.addEventHandler({
          add: (o) => this.#onObject(context, o, true),
          update: (_, o) => this.#onObject(context, o, true),
          delete: (o) => this.#onObject(context, o, false),
        });
        byKind.set(k.kind, informer);
      }
      this.#objects.set(context, byKind);
      const namespaces = new Informer<Obj>({
        client,
        apiVersion: "v1",
        kind: "Namespace",
        labelSelector: MANAGED,
      });
      namespaces.addEventHandler({
        add: () => this.#checkAll(context),
        update: () => this.#checkAll(context),
      });
      this.#namespaces.set(context, namespaces);
      this.#present.set(context, new Map());
    }
  }

  get #all(): Informer<Obj>[] {
    return [
      this.#replicators,
      ...[...this.#objects.values()].flatMap((m) => [...m.values()]),
      ...this.#namespaces.values(),
    ];
  }

  /** Starts every watch and waits for the first lists. */
  async start(): Promise<void> {
    for (const informer of this.#all) informer.start();
    await Promise.all(this.#all.map((i) => i.waitForSync()));
  }

  async stop(): Promise<void> {
    await Promise.all(this.#all.map((i) => i.stop()));
  }

  /** Progress of a Replicator (created on first use). */
  progress(name: string): Progress {
    let p = this.#progress.get(name);
    if (!p) {
      p = { name, readyAt: new Map(), objectsAt: new Map() };
      this.#progress.set(name, p);
    }
    return p;
  }

  /** Notes when the benchmark sent the create of a Replicator. */
  markCreated(name: string, namespace: string, at: number): void {
    const p = this.progress(name);
    p.createdAt = at;
    p.namespace = namespace;
  }

  /** A cached object of a cluster (Deployments for the drift scenario). */
  cached(context: string, kind: string, namespace: string, name: string): Obj | undefined {
    return this.#objects.get(context)?.get(kind)?.get(namespace, name);
  }

  /** Adds a handler for one kind in one cluster; returns its removal. */
  on(context: string, kind: string, handler: EventHandler<Obj>): () => void {
    const informer = this.#objects.get(context)?.get(kind);
    if (!informer) throw new RangeError(`Not tracking ${kind} in "${context}"`);
    return informer.addEventHandler(handler);
  }

  /** When a Replicator reached `when`, or undefined if it has not. */
  doneAt(name: string, when: DoneWhen): number | undefined {
    const p = this.#progress.get(name);
    if (!p) return undefined;
    const times: (number | undefined)[] = when.objectsIn.map((c) => p.objectsAt.get(c));
    if (when.synced) times.push(p.syncedAt);
    for (const cluster of when.readyClusters ?? []) times.push(p.readyAt.get(cluster));
    if (times.some((t) => t === undefined)) return undefined;
    return Math.max(...(times as number[]));
  }

  /**
   * Waits until every named Replicator is done; returns when each got there.
   * The state is in memory, so checking it often costs the API servers nothing.
   *
   * @throws {Error} after `timeoutMs`, or when none got done for `stallMs` (default 180 s),
   * naming how many are not done and one of them.
   */
  async waitDone(
    names: string[],
    when: DoneWhen,
    timeoutMs: number,
    stallMs = 180_000,
  ): Promise<Map<string, number>> {
    const deadline = performance.now() + timeoutMs;
    let progress = -1;
    let progressAt = performance.now();
    while (true) {
      const done = new Map<string, number>();
      let missing: string | undefined;
      let missingCount = 0;
      for (const name of names) {
        const at = this.doneAt(name, when);
        if (at === undefined) {
          missing ??= name;
          missingCount++;
        } else done.set(name, at);
      }
      if (missingCount === 0) return done;
      if (done.size !== progress) {
        progress = done.size;
        progressAt = performance.now();
      }
      const stalled = performance.now() - progressAt > stallMs;
      if (performance.now() > deadline || stalled) {
        const why = stalled
          ? `no progress for ${Math.round(stallMs / 1000)} s`
          : `timed out after ${Math.round(timeoutMs / 1000)} s`;
        throw new Error(
          `${why}: ${missingCount} of ${names.length} Replicators not done ` +
            `(e.g. ${missing}: ${this.describe(missing!)})`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  /** What is known of a Replicator, for timeout messages. */
  describe(name: string): string {
    const p = this.#progress.get(name);
    const r = this.#replicators.get(undefined, name);
    const present = [...this.#present].map(([c, m]) => `${c}:${m.get(name)?.size ?? 0}`).join(" ");
    const status = r?.status
      ? `${r.status.synced}; ${r.status.clusters?.map((c) => `${c.name}=${c.ready}`).join(", ")}`
      : "no status";
    return `objects ${present}; ${status}; synced ${p?.syncedAt !== undefined}`;
  }

  #onReplicator(r: Replicator & Obj): void {
    const now = performance.now();
    const p = this.progress(r.metadata.name);
    p.namespace ??= r.spec?.replicationNamespace;
    const status = r.status;
    if (
      p.syncedAt === undefined && status?.synced === "synced" &&
      status.observedGeneration === r.metadata.generation
    ) {
      p.syncedAt = now;
    }
    for (const c of status?.clusters ?? []) {
      // The bench runs without a controller manager (bench/env.ts): a Deployment never rolls out, so a
      // cluster counts once everything is applied there (its status waits for the first generation).
      const applied = c.ready || /^waiting for the Deployment to observe generation/.test(c.message ?? "");
      if (applied && !p.readyAt.has(c.name)) p.readyAt.set(c.name, now);
    }
    for (const context of this.#clients.keys()) this.#check(context, r.metadata.name, now);
  }

  #onObject(context: string, o: Obj, present: boolean): void {
    const owner = o.metadata.labels?.[REPLICATOR_LABEL];
    if (!owner) return;
    const byOwner = this.#present.get(context)!;
    let keys = byOwner.get(owner);
    if (!keys) byOwner.set(owner, keys = new Set());
    const key = `${o.kind}/${o.metadata.namespace}/${o.metadata.name}`;
    if (present) keys.add(key);
    else keys.delete(key);
    this.#check(context, owner, performance.now());
  }

  #checkAll(context: string): void {
    const now = performance.now();
    for (const owner of this.#present.get(context)!.keys()) this.#check(context, owner, now);
  }

  #check(context: string, name: string, now: number): void {
    const p = this.progress(name);
    if (p.objectsAt.has(context) || !p.namespace) return;
    const count = this.#present.get(context)?.get(name)?.size ?? 0;
    if (count < this.#expected) return;
    if (!this.#namespaces.get(context)?.get(undefined, p.namespace)) return;
    p.objectsAt.set(context, now);
  }
}
