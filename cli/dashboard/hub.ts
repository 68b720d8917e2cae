/**
 * The dashboard's live model: watches of the primary's Replicators, ClusterDetectors and Replicator
 * Events, turned into columns and rows (see `model.ts`), and the changes pushed to every page as
 * server-sent events: a full snapshot when a page connects, then only the rows that changed. Changes
 * are coalesced for a short moment so that a burst (a list of 200 Replicators) is one message.
 *
 * @module
 */

import { API_VERSION, CLUSTER_DETECTOR_KIND, type Replicator, REPLICATOR_KIND } from "../../lib/api.ts";
import type { Event } from "../../lib/generated/core_v1.ts";
import type { ClusterDetector } from "../../lib/generated/plumber_v1.ts";
import type { KubeClient } from "../../lib/kube/client.ts";
import { type CellDetail, cellDetail } from "./detail.ts";
import {
  type ClusterColumn,
  clusterColumns,
  nextDriftExpiry,
  type ReplicatorRow,
  replicatorRow,
} from "./model.ts";
import { WatchCache, type WatchHealth } from "./watch_cache.ts";

/** A message to the page. */
export interface Update {
  /** The whole picture (first message), or only what changed. */
  full: boolean;
  clusters?: ClusterColumn[];
  rows?: ReplicatorRow[];
  removed?: string[];
  watches?: WatchHealth[];
  /** Replicators whose Events changed (an open panel of theirs reloads). */
  events?: string[];
}

/** Options of {@linkcode DashboardHub}. */
export interface DashboardHubOptions {
  client: KubeClient;
  /** Namespace of the ClusterDetectors. */
  namespace: string;
  now?: () => Date;
  /** How long changes are gathered before they are sent (default 50 ms). */
  coalesceMs?: number;
}

/** Watches the primary and keeps every connected page up to date. */
export class DashboardHub {
  #now: () => Date;
  #coalesceMs: number;
  #replicators: WatchCache<Replicator>;
  #detectors: WatchCache<ClusterDetector>;
  #events: WatchCache<Event>;
  #subscribers = new Set<(update: Update) => void>();
  #flushTimer?: ReturnType<typeof setTimeout>;
  #driftTimer?: ReturnType<typeof setTimeout>;
  #clusters: ClusterColumn[] = [];
  #rows = new Map<string, { row: ReplicatorRow; json: string }>();
  #watchesJson = "";
  #eventVersions = new Map<string, string>();
  #stopped = false;

  constructor(options: DashboardHubOptions) {
    this.#now = options.now ?? (() => new Date());
    this.#coalesceMs = options.coalesceMs ?? 50;
    const onChange = () => this.#schedule();
    const common = { client: options.client, apiVersion: API_VERSION, onChange };
    this.#replicators = new WatchCache({ ...common, kind: REPLICATOR_KIND });
    this.#detectors = new WatchCache({
      ...common,
      kind: CLUSTER_DETECTOR_KIND,
      namespace: options.namespace,
    });
    this.#events = new WatchCache({
      client: options.client,
      apiVersion: "v1",
      kind: "Event",
      fieldSelector: `involvedObject.kind=${REPLICATOR_KIND}`,
      onChange,
    });
  }

  start(): void {
    this.#replicators.start();
    this.#detectors.start();
    this.#events.start();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#flushTimer);
    clearTimeout(this.#driftTimer);
    await Promise.all([this.#replicators.stop(), this.#detectors.stop(), this.#events.stop()]);
  }

  /** Registers a page; it gets the full picture at once. Returns the function that unregisters it. */
  subscribe(send: (update: Update) => void): () => void {
    this.#subscribers.add(send);
    send(this.snapshot());
    return () => this.#subscribers.delete(send);
  }

  /** The whole picture as last computed. */
  snapshot(): Update {
    return {
      full: true,
      clusters: this.#clusters,
      rows: [...this.#rows.values()].map((r) => r.row),
      watches: this.#watches(),
    };
  }

  /** The side panel of one cell, or undefined when the Replicator is unknown. */
  detail(replicator: string, cluster: string): CellDetail | undefined {
    const rep = this.#replicators.get(replicator);
    return rep && cellDetail(rep, cluster, this.#events.list(), this.#now());
  }

  #watches(): WatchHealth[] {
    return [this.#replicators.health, this.#detectors.health, this.#events.health];
  }

  #schedule(): void {
    if (this.#stopped || this.#flushTimer !== undefined) return;
    this.#flushTimer = setTimeout(() => {
      this.#flushTimer = undefined;
      this.#flush();
    }, this.#coalesceMs);
  }

  #flush(): void {
    const now = this.#now();
    const replicators = this.#replicators.list().sort((a, b) =>
      a.metadata.name.localeCompare(b.metadata.name)
    );
    const clusters = clusterColumns(this.#detectors.list(), replicators);
    const update: Update = { full: false };
    const clustersChanged = JSON.stringify(clusters) !== JSON.stringify(this.#clusters);
    if (clustersChanged) update.clusters = clusters;
    this.#clusters = clusters;
    const names = clusters.map((c) => c.name);
    const rows = new Map<string, { row: ReplicatorRow; json: string }>();
    const changed: ReplicatorRow[] = [];
    for (const rep of replicators) {
      const row = replicatorRow(rep, names, now);
      const json = JSON.stringify(row);
      if (clustersChanged || this.#rows.get(row.name)?.json !== json) changed.push(row);
      rows.set(row.name, { row, json });
    }
    const removed = [...this.#rows.keys()].filter((name) => !rows.has(name));
    this.#rows = rows;
    if (changed.length > 0) update.rows = changed;
    if (removed.length > 0) update.removed = removed;
    const watches = this.#watches();
    const watchesJson = JSON.stringify(watches);
    if (watchesJson !== this.#watchesJson) update.watches = watches;
    this.#watchesJson = watchesJson;
    const events = this.#changedEventSubjects();
    if (events.length > 0) update.events = events;
    if (Object.keys(update).length > 1) { for (const send of this.#subscribers) send(update); }
    this.#scheduleDriftExpiry(replicators, now);
  }

  #changedEventSubjects(): string[] {
    const versions = new Map<string, string>();
    for (const event of this.#events.list()) {
      const name = event.involvedObject?.name ?? "";
      versions.set(name, (versions.get(name) ?? "") + (event.metadata?.resourceVersion ?? "") + ",");
    }
    const changed = [...versions.keys()].filter((name) =>
      this.#eventVersions.get(name) !== versions.get(name)
    );
    this.#eventVersions = versions;
    return changed;
  }

  /** A recent drift stops colouring its cell after a while: derive the rows again then (a timer, not a poll). */
  #scheduleDriftExpiry(replicators: Replicator[], now: Date): void {
    clearTimeout(this.#driftTimer);
    const next = nextDriftExpiry(replicators, now);
    if (next === undefined || this.#stopped) return;
    this.#driftTimer = setTimeout(() => this.#schedule(), next - now.getTime() + 10);
  }
}
