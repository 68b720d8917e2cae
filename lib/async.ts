/**
 * Bounded concurrency for I/O fan-out (clusters of a reconcile, Replicators of a benchmark).
 *
 * @module
 */

/**
 * Maps `items` through `fn` with at most `limit` calls in flight; results keep the input order. A
 * rejection rejects the whole call, after the calls already started have settled.
 */
export async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!);
    }
  });
  await Promise.all(workers);
  return results;
}

/** Like `Promise.all`, but waits for every promise before throwing the first error (no work left running unseen). */
export async function settleAll<T>(promises: Promise<T>[]): Promise<T[]> {
  const results = await Promise.allSettled(promises);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
  if (failed) throw failed.reason;
  return results.map((r) => (r as PromiseFulfilledResult<T>).value);
}
