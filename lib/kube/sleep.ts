/**
 * Waiting that an AbortSignal can cut short.
 *
 * @module
 */

/**
 * Resolves after `ms`, or as soon as `signal` aborts (never rejects: callers
 * check `signal.aborted` when an abort must stop them).
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}
