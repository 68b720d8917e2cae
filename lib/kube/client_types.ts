/**
 * The shapes `KubeClient`'s methods take and return: its options, any object as JSON,
 * list pages, and object references read from a body.
 *
 * @module
 */

import type { Discovery } from "./discovery.ts";
import type { RequestRecord } from "./request.ts";
import type { ObjectRef } from "./resources.ts";
import type { WatchPathOptions } from "./watch.ts";
/** Options of {@linkcode KubeClient}. */
export interface KubeClientOptions {
  /** Name for messages (defaults to the connection's context name). */
  name?: string;
  /** Per-request timeout (default 30 s); watches use their own. */
  timeoutMs?: number;
  /** Retries for safe verbs (default 3). */
  maxRetries?: number;
  /** Called after every HTTP response or failure. */
  observer?: (record: RequestRecord) => void;
  userAgent?: string;
  /** Reads the token file (injectable for tests). */
  readTextFile?: (path: string) => string;
  /** The clock deciding when the token file is read again (injectable for tests). */
  now?: () => number;
  /**
   * The fence: once it aborts, every request in flight (its retries and
   * backoff waits, and watches) is aborted, and every new one fails at once
   * with reason `Fenced`, sending nothing. Errors quote its reason's message.
   * The operator aborts it when it loses its leader lease.
   */
  signal?: AbortSignal;
  /**
   * A discovery result to start the RESTMapper from (tests; a client sharing another's); the
   * client still discovers again when a kind is missing from it.
   */
  discovery?: Discovery;
  /** The least time between two discoveries on a missing kind (default 1000 ms). */
  discoveryRefreshMs?: number;
}

/** A list response. */
export interface ObjectList<T> {
  apiVersion?: string;
  kind?: string;
  metadata: { resourceVersion?: string; continue?: string };
  items: T[];
}

/** Options of {@linkcode KubeClient.list}. */
export interface ListOptions {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
  resourceVersion?: string;
  signal?: AbortSignal;
}

/** Options of {@linkcode KubeClient.watch}. */
export interface WatchOptions extends WatchPathOptions {
  namespace?: string;
}

/** Options of {@linkcode KubeClient.apply}. */
export interface ApplyOptions {
  fieldManager: string;
  force?: boolean;
  dryRun?: boolean;
  signal?: AbortSignal;
}

/** Any Kubernetes object as JSON. */
export interface KubeObjectLike {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string; resourceVersion?: string; [key: string]: unknown };
  [key: string]: unknown;
}

/** The reference of an object body; throws naming what is missing. */
export function refOf(object: KubeObjectLike): ObjectRef {
  const name = object.metadata?.name;
  if (!object.apiVersion || !object.kind || !name) {
    throw new RangeError(
      `Cannot address object: apiVersion, kind and metadata.name are required (got ${
        object.apiVersion ?? "?"
      } ${object.kind ?? "?"} "${name ?? ""}")`,
    );
  }
  return { apiVersion: object.apiVersion, kind: object.kind, name, namespace: object.metadata?.namespace };
}
