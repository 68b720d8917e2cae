/**
 * Reads over the generated typed clients that the clients leave to their callers: an
 * object that may not exist, every page of a list, and the server's version.
 *
 * @module
 */

import { isNotFound, type KubeClient } from "../lib/kube/client.ts";
import type { ListOptions } from "../lib/kube/rest.ts";

/**
 * The object `get` reads, or `undefined` when it does not exist (404).
 *
 * @example
 * ```ts
 * const secret = await findObject(() => core.namespace("ns").getSecret("name"));
 * ```
 */
export async function findObject<T>(get: () => Promise<T>): Promise<T | undefined> {
  try {
    return await get();
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

/** One page of a list, as the generated `list*` methods return it. */
export interface ListPage<T> {
  items: T[];
  metadata?: { continue?: string };
}

/**
 * Every item of a list, page by page (500 a page).
 *
 * @example
 * ```ts
 * const detectors = await listEvery((options) => plumber.namespace(ns).listClusterDetectors(options));
 * ```
 */
export async function listEvery<T>(
  list: (options: ListOptions) => Promise<ListPage<T>>,
  options: ListOptions = {},
): Promise<T[]> {
  const items: T[] = [];
  let next: string | undefined;
  do {
    const page = await list({ limit: 500, ...options, ...(next ? { continue: next } : {}) });
    items.push(...page.items);
    next = page.metadata?.continue || undefined;
  } while (next);
  return items;
}

/** `gitVersion` of the `/version` document, when it has one. */
export function gitVersionOf(info: unknown): string | undefined {
  if (typeof info !== "object" || info === null || !("gitVersion" in info)) return undefined;
  return typeof info.gitVersion === "string" ? info.gitVersion : undefined;
}

/** The API server's version (`v1.30.2`), or undefined when `/version` names none. */
export async function serverVersion(client: KubeClient): Promise<string | undefined> {
  // `/version` is not a resource, so no generated client covers it; the document is checked, not cast.
  return gitVersionOf(await client.raw<unknown>("GET", "/version"));
}
