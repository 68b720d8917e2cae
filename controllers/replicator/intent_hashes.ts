/**
 * Intent hashes reused between reconciles. A Replicator's objects for a cluster are a pure function of
 * what renders them (its uid and spec, the cluster's role and ClusterDetector labels, the TLS material,
 * the primary's identity): while none of these changed, an object's intent hash (canonical JSON and
 * SHA-256, ~0.1 ms each through WebCrypto) is the one computed last time. A fan-out reconciles each
 * Replicator several times while its objects' watch events arrive; only the first hashes.
 *
 * Holds one short hash per object and cluster (no copy of the objects), as a string once computed.
 *
 * @module
 */

import type { KubeObject } from "../../lib/api.ts";
import { intentHash } from "../../lib/diff.ts";

/** Hashes an object (of the render the hasher was made for). */
export type Hasher = (object: KubeObject) => Promise<string>;

/** What a render depends on; undefined when that cannot be told (then nothing is reused). */
export interface RenderInputs {
  uid?: string;
  /** `metadata.generation` of the Replicator whose spec is rendered; undefined for another revision's. */
  generation?: number;
  role: string;
  primaryId: string;
  /** The cluster's ClusterDetector labels (overrides select by them). */
  labels?: Record<string, string>;
  /** The TLS material rendered, by identity (a renewal makes a new object). */
  tls?: object;
}

/** Intent hashes per Replicator and cluster, reused while the render's inputs are the same. */
export class IntentHashes {
  readonly #sets = new Map<string, { key: string; hashes: Map<string, string | Promise<string>> }>();
  readonly #tlsIds = new WeakMap<object, number>();
  #nextTlsId = 0;

  /** A hasher for `replicator`'s objects in `cluster`, rendered from `inputs`. */
  for(replicator: string, cluster: string, inputs: RenderInputs): Hasher {
    const key = this.#key(inputs);
    if (key === undefined) return intentHash;
    const id = `${replicator}\n${cluster}`;
    let set = this.#sets.get(id);
    if (!set || set.key !== key) {
      set = { key, hashes: new Map() };
      this.#sets.set(id, set);
    }
    const hashes = set.hashes;
    return (object) => {
      const { apiVersion, kind, metadata: { namespace, name } } = object;
      const objectKey = `${apiVersion}/${kind}/${namespace ?? ""}/${name}`;
      const known = hashes.get(objectKey);
      if (typeof known === "string") return Promise.resolve(known);
      if (known) return known;
      const hash = intentHash(object);
      hashes.set(objectKey, hash);
      // Once known, the hash is kept as a string (a settled Promise costs as much again); a failed one
      // is not kept.
      hash.then(
        (value) => hashes.get(objectKey) === hash && hashes.set(objectKey, value),
        () => hashes.get(objectKey) === hash && hashes.delete(objectKey),
      );
      return hash;
    };
  }

  /** Forgets a Replicator's hashes (it is gone). */
  forget(replicator: string): void {
    for (const id of this.#sets.keys()) if (id.startsWith(`${replicator}\n`)) this.#sets.delete(id);
  }

  /** Number of (Replicator, cluster) sets held. */
  get size(): number {
    return this.#sets.size;
  }

  #key(inputs: RenderInputs): string | undefined {
    if (inputs.generation === undefined || !inputs.uid) return undefined;
    let tls = "";
    if (inputs.tls) {
      let n = this.#tlsIds.get(inputs.tls);
      if (n === undefined) this.#tlsIds.set(inputs.tls, n = ++this.#nextTlsId);
      tls = String(n);
    }
    const labels = inputs.labels ? JSON.stringify(Object.entries(inputs.labels).sort()) : "";
    return [inputs.uid, inputs.generation, inputs.role, inputs.primaryId, tls, labels].join("\n");
  }
}
