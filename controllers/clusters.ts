/**
 * The clusters plumber knows: the primary (its own cluster) and every context
 * of the kubeconfig Secret, each with a REST client built from its stored
 * credentials. The ClusterDetector controller keeps it up to date; the
 * Replicator controller reads clients and health from it.
 *
 * Clients are rebuilt only for clusters whose credentials changed (compared by
 * hash), so an edit of one context does not disturb the others. A replaced or
 * removed client is not closed at once: listeners (the Replicator's caches) may
 * still use it until they have switched, so it is closed once every listener
 * of that change has settled, plus a grace period for requests already under way.
 *
 * @module
 */

import { KubeClient, type KubeClientOptions } from "../lib/kube/client.ts";
import {
  type ClusterConnection,
  clusterDetectorName,
  type Kubeconfig,
  kubeconfigHash,
  listContexts,
  resolveConnection,
  storageProblems,
} from "../lib/kubeconfig/mod.ts";
import type { ReplicationRole } from "../lib/api.ts";

/** One registered cluster. */
export interface RegisteredCluster {
  /** ClusterDetector name: `<cluster>.<user>`. */
  name: string;
  context: string;
  cluster: string;
  user: string;
  role: ReplicationRole;
  /** Why the stored context cannot be used (exec plugin, missing CA, ...); no client then. */
  problem?: string;
  /** Client with the stored credentials; absent when `problem` is set. */
  client?: KubeClient;
  /** Credentials hash; a change rebuilds the client. */
  hash: string;
}

/** A context of the Secret that could not become a ClusterDetector at all (no valid name). */
export interface RejectedContext {
  context: string;
  message: string;
}

/** What {@linkcode ClusterRegistry.setSecondaries} changed. */
export interface RegistryChange {
  added: string[];
  removed: string[];
  /** Credentials changed: the client was rebuilt. */
  changed: string[];
  rejected: RejectedContext[];
}

/**
 * Listener of cluster changes (name, and the new entry or undefined when removed). A listener
 * that still uses the previous client returns a promise that settles once it no longer does;
 * it must settle (the previous client stays open until it has).
 */
export type ClusterListener = (
  name: string,
  cluster: RegisteredCluster | undefined,
) => unknown;

/** Options of {@linkcode ClusterRegistry} besides the clients' own. */
export interface ClusterRegistryOptions {
  /**
   * How long a replaced or removed client stays open after the listeners of its change have
   * settled, for requests already under way with it (default 30 s, the default request timeout).
   */
  retireGraceMs?: number;
}

/** A replaced client waiting to be closed. */
interface Retiring {
  client: KubeClient;
  timer?: ReturnType<typeof setTimeout>;
}

/** The set of known clusters with their clients. */
export class ClusterRegistry {
  #clusters = new Map<string, RegisteredCluster>();
  #listeners = new Set<ClusterListener>();
  #clientOptions: KubeClientOptions;
  #retireGraceMs: number;
  #retiring = new Set<Retiring>();

  constructor(clientOptions: KubeClientOptions = {}, options: ClusterRegistryOptions = {}) {
    this.#clientOptions = clientOptions;
    this.#retireGraceMs = options.retireGraceMs ?? 30_000;
  }

  /** Registers the primary with the operator's own client (its credentials are never stored in a Secret). */
  setPrimary(
    identity: { context: string; cluster: string; user: string },
    client: KubeClient,
  ): RegisteredCluster {
    const name = clusterDetectorName(identity.cluster, identity.user);
    const entry: RegisteredCluster = { ...identity, name, role: "primary", client, hash: "primary" };
    this.#clusters.set(name, entry);
    this.#notify(name, entry);
    return entry;
  }

  /** The primary entry. */
  get primary(): RegisteredCluster | undefined {
    for (const c of this.#clusters.values()) if (c.role === "primary") return c;
    return undefined;
  }

  /**
   * Replaces the secondaries with the contexts of a kubeconfig. A context
   * whose name collides with the primary is rejected.
   */
  async setSecondaries(config: Kubeconfig): Promise<RegistryChange> {
    const change: RegistryChange = { added: [], removed: [], changed: [], rejected: [] };
    const desired = new Map<string, Omit<RegisteredCluster, "client"> & { connection?: ClusterConnection }>();
    // A bad label is reported by the ClusterDetector controller; the credentials stay usable.
    const problems = storageProblems(config).filter((p) => !p.labels);
    for (const ctx of listContexts(config)) {
      let name: string;
      try {
        name = clusterDetectorName(ctx.cluster, ctx.user);
      } catch (error) {
        change.rejected.push({ context: ctx.name, message: (error as Error).message });
        continue;
      }
      if (this.#clusters.get(name)?.role === "primary") {
        change.rejected.push({
          context: ctx.name,
          message: `Cannot register context "${ctx.name}": its name "${name}" is the primary cluster's`,
        });
        continue;
      }
      if (desired.has(name)) {
        change.rejected.push({
          context: ctx.name,
          message:
            `Cannot register context "${ctx.name}": another context already uses cluster "${ctx.cluster}" with user "${ctx.user}" (${name})`,
        });
        continue;
      }
      const own = problems.filter((p) => p.context === ctx.name).map((p) => `${p.field}: ${p.message}`);
      let problem = own.length > 0 ? own.join("; ") : undefined;
      let connection: ClusterConnection | undefined;
      let hash = "invalid";
      if (!problem) {
        try {
          connection = resolveConnection(config, ctx.name, { readFile: refuseFiles });
          hash = await kubeconfigHash(config, ctx.name);
        } catch (error) {
          problem = (error as Error).message;
        }
      }
      desired.set(name, {
        name,
        context: ctx.name,
        cluster: ctx.cluster,
        user: ctx.user,
        role: "secondary",
        problem,
        hash,
        connection,
      });
    }
    for (const [name, old] of this.#clusters) {
      if (old.role === "secondary" && !desired.has(name)) {
        this.#clusters.delete(name);
        change.removed.push(name);
        this.#retire(old.client, this.#notify(name, undefined));
      }
    }
    for (const [name, next] of desired) {
      const old = this.#clusters.get(name);
      if (old && old.hash === next.hash && old.problem === next.problem && old.context === next.context) {
        continue;
      }
      const { connection, ...rest } = next;
      const entry: RegisteredCluster = { ...rest };
      if (connection) {
        try {
          entry.client = new KubeClient(connection, { ...this.#clientOptions, name });
        } catch (error) {
          // E.g. certificate data that is PEM-shaped but not a certificate: this context only.
          entry.problem = `cannot load its TLS credentials: ${(error as Error).message}`;
        }
      }
      this.#clusters.set(name, entry);
      (old ? change.changed : change.added).push(name);
      this.#retire(old?.client, this.#notify(name, entry));
    }
    return change;
  }

  /**
   * Registers, without a client, secondaries known only from their ClusterDetectors while the
   * kubeconfig Secret cannot be read (e.g. at start with the Secret missing), so that they stay
   * registered and nothing treats them as gone. Names already registered are left as they are.
   * The next {@linkcode setSecondaries} replaces them. Returns the names added.
   */
  keepUnavailable(
    clusters: ReadonlyArray<{ name: string; context: string; cluster: string; user: string }>,
    problem: string,
  ): string[] {
    const added: string[] = [];
    for (const c of clusters) {
      if (this.#clusters.has(c.name)) continue;
      const entry: RegisteredCluster = {
        name: c.name,
        context: c.context,
        cluster: c.cluster,
        user: c.user,
        role: "secondary",
        problem,
        hash: "unavailable",
      };
      this.#clusters.set(c.name, entry);
      added.push(c.name);
      void this.#notify(c.name, entry);
    }
    return added;
  }

  /** Replaced or removed clients not closed yet (listeners still switching, or the grace period). */
  get retiringClients(): number {
    return this.#retiring.size;
  }

  /** One cluster by ClusterDetector name. */
  get(name: string): RegisteredCluster | undefined {
    return this.#clusters.get(name);
  }

  /** Every cluster. */
  list(): RegisteredCluster[] {
    return [...this.#clusters.values()];
  }

  /** Subscribes to additions, credential changes and removals. */
  onChange(listener: ClusterListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Tells every listener; resolves once each has settled (a listener's failure is its own). */
  async #notify(name: string, entry: RegisteredCluster | undefined): Promise<void> {
    const pending: unknown[] = [];
    for (const listener of this.#listeners) {
      try {
        pending.push(listener(name, entry));
      } catch {
        // A throwing listener does not keep the others from hearing of the change.
      }
    }
    await Promise.allSettled(pending);
  }

  /** Closes a client no longer registered once the listeners are done with it and the grace period is over. */
  #retire(client: KubeClient | undefined, listenersDone: Promise<void>): void {
    if (!client) return;
    const retiring: Retiring = { client };
    this.#retiring.add(retiring);
    void listenersDone.then(() => {
      if (!this.#retiring.has(retiring)) return; // closed by close() meanwhile
      retiring.timer = setTimeout(() => {
        this.#retiring.delete(retiring);
        client.close();
      }, this.#retireGraceMs);
    });
  }

  /** Closes every secondary client, replaced ones too (the primary's belongs to the caller). */
  close(): void {
    for (const c of this.#clusters.values()) if (c.role === "secondary") c.client?.close();
    this.#clusters.clear();
    for (const retiring of this.#retiring) {
      clearTimeout(retiring.timer);
      retiring.client.close();
    }
    this.#retiring.clear();
  }
}

function refuseFiles(path: string): Uint8Array {
  // storageProblems() already refuses file references; this is the last line of defence.
  throw new Error(`Stored kubeconfigs must be self-contained, but it refers to the file "${path}"`);
}
