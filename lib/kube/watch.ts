/**
 * A watch of one collection path: the request (with `watch=true` and a server-side
 * timeout), and its stream of newline-delimited JSON events read until the server ends
 * it, the caller's signal aborts, the fence aborts (an error), or an `ERROR` event
 * arrives (thrown as a {@linkcode KubeApiError}; 410 when the resourceVersion is too old).
 *
 * @module
 */

import { describeConnectionError, KubeApiError } from "./errors.ts";
import type { Requester } from "./request.ts";

/** One watch event. `BOOKMARK` objects carry only `metadata.resourceVersion`. */
export interface WatchEvent<T> {
  type: "ADDED" | "MODIFIED" | "DELETED" | "BOOKMARK" | "ERROR";
  object: T;
}

/** Options of a watch by path (`KubeClient.watchPath`). */
export interface WatchPathOptions {
  labelSelector?: string;
  fieldSelector?: string;
  resourceVersion?: string;
  allowWatchBookmarks?: boolean;
  sendInitialEvents?: boolean;
  resourceVersionMatch?: string;
  /** Server-side watch timeout; the server closes the watch after it (default 300 s). */
  timeoutSeconds?: number;
  signal?: AbortSignal;
}

/** Watches `path` (a collection path) through `requester`; `kind` names it in messages. */
export async function* watchCollection<T>(
  requester: Requester,
  path: string,
  kind: string,
  options: WatchPathOptions = {},
): AsyncGenerator<WatchEvent<T>> {
  const { signal, timeoutSeconds, ...rest } = options;
  const query = { ...rest, watch: true, timeoutSeconds: timeoutSeconds ?? 300 };
  // The request timeout covers only the response head; the body streams until the server ends it.
  const controller = new AbortController();
  // Aborting the fetch does not end a body that is already being read: cancel the reader too,
  // or a busy watch keeps an operator's shutdown waiting until the server's timeout.
  const body: { reader?: ReadableStreamDefaultReader<string> } = {};
  const fence = requester.fence;
  const onAbort = () => {
    controller.abort(signal?.reason);
    body.reader?.cancel().catch(() => {});
  };
  signal?.addEventListener("abort", onAbort, { once: true });
  fence?.addEventListener("abort", onAbort, { once: true });
  const unlisten = () => {
    signal?.removeEventListener("abort", onAbort);
    fence?.removeEventListener("abort", onAbort);
  };
  const action = `watch ${kind}`;
  const fenced = () => requester.fenced(action, ` ${path}`);
  let response: Response;
  try {
    response = await requester.send("GET", path, {
      query,
      signal: controller.signal,
      action,
      timeoutMs: ((timeoutSeconds ?? 300) + 30) * 1000,
    });
  } catch (error) {
    unlisten();
    throw fenced() ?? error;
  }
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  body.reader = reader;
  if (signal?.aborted || fence?.aborted) {
    // Aborted while the response head was on its way: the listener has already run.
    await reader.cancel().catch(() => {});
    unlisten();
    requester.release(response);
    const error = fenced();
    if (error) throw error;
    return;
  }
  let buffer = "";
  try {
    while (true) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value;
      let newline: number;
      while ((newline = buffer.indexOf("\n")) >= 0) {
        const line = buffer.slice(0, newline).trim();
        buffer = buffer.slice(newline + 1);
        if (!line) continue;
        const event = JSON.parse(line) as WatchEvent<T>;
        if (event.type === "ERROR") throw watchError(event.object, kind, requester.name);
        // A fenced client hands out nothing more, not even events already received.
        if (fence?.aborted) break;
        yield event;
      }
      if (fence?.aborted) break;
    }
  } catch (error) {
    const cut = fenced();
    if (cut) throw cut;
    if (signal?.aborted) return;
    if (error instanceof KubeApiError) throw error;
    throw new KubeApiError(
      `Watch of ${kind} on ${requester.name} broke: ${describeConnectionError(error)}`,
      0,
      "ConnectionError",
    );
  } finally {
    unlisten();
    controller.abort();
    reader.releaseLock();
    requester.release(response);
  }
  // A watch the fence ended is an error, not the server's normal end of a watch.
  const cut = fenced();
  if (cut) throw cut;
}

/** The error of a watch's `ERROR` event (its object is a Status). */
function watchError(object: unknown, kind: string, cluster: string): KubeApiError {
  const status = object as { code?: number; reason?: string; message?: string };
  return new KubeApiError(
    `Cannot watch ${kind} on ${cluster}: ${status.code ?? 0} ${status.reason ?? "Error"}: ${
      status.message ?? ""
    }`,
    status.code ?? 0,
    status.reason ?? "Error",
    undefined,
    status,
  );
}
