/**
 * Kubernetes Events about plumber's objects (`core/v1` Events, what
 * `kubectl describe` shows). Messages pass through redaction, so no key,
 * token or certificate can reach an Event, and the same event repeated within
 * a few minutes is written once: a steady state writes nothing.
 *
 * @module
 */

import type { KubeClient } from "./client.ts";
import { CoreV1Api } from "./generated/core_v1.ts";
import { restClientOf } from "./rest_adapter.ts";
import { redactText } from "../redact.ts";
import type { Logger } from "../log.ts";

/** The object an Event is about. */
export interface EventSubject {
  apiVersion: string;
  kind: string;
  name: string;
  namespace?: string;
  uid?: string;
}

/** Options of {@linkcode EventRecorder}. */
export interface EventRecorderOptions {
  client: KubeClient;
  /** `source.component` / `reportingComponent`. */
  component: string;
  logger?: Logger;
  /** Identical events within this window are written once (default 5 min). */
  dedupeWindowMs?: number;
  now?: () => Date;
}

/** Writes Events; failures are logged, never thrown (an Event is never worth failing a reconcile). */
export class EventRecorder {
  #options: EventRecorderOptions;
  #core: CoreV1Api;
  #recent = new Map<string, number>();

  constructor(options: EventRecorderOptions) {
    this.#options = options;
    this.#core = new CoreV1Api(restClientOf(options.client));
  }

  /** Records a `Normal` or `Warning` event with a CamelCase reason. */
  async record(
    subject: EventSubject,
    type: "Normal" | "Warning",
    reason: string,
    message: string,
  ): Promise<void> {
    const o = this.#options;
    const now = o.now?.() ?? new Date();
    const safeMessage = redactText(message).slice(0, 1024);
    const key = `${subject.kind}/${subject.namespace ?? ""}/${subject.name}/${type}/${reason}/${safeMessage}`;
    const last = this.#recent.get(key);
    if (last !== undefined && now.getTime() - last < (o.dedupeWindowMs ?? 300_000)) return;
    this.#recent.set(key, now.getTime());
    if (this.#recent.size > 5000) this.#prune(now.getTime());
    // Events about cluster-scoped objects must live in "default" (the API server requires it).
    const namespace = subject.namespace ?? "default";
    const timestamp = now.toISOString().replace(/\.\d{3}Z$/, "Z");
    try {
      await this.#core.namespace(namespace).createEvent({
        apiVersion: "v1",
        kind: "Event",
        metadata: { generateName: `${subject.name}.`, namespace },
        involvedObject: {
          apiVersion: subject.apiVersion,
          kind: subject.kind,
          name: subject.name,
          namespace: subject.namespace,
          uid: subject.uid,
        },
        type,
        reason,
        message: safeMessage,
        source: { component: o.component },
        reportingComponent: o.component,
        reportingInstance: o.component,
        firstTimestamp: timestamp,
        lastTimestamp: timestamp,
        count: 1,
      });
    } catch (error) {
      o.logger?.warn("Cannot record event", {
        reason,
        error: error instanceof Error ? error.message : String(error),
      });
    }
  }

  #prune(now: number): void {
    const window = this.#options.dedupeWindowMs ?? 300_000;
    for (const [key, at] of this.#recent) if (now - at >= window) this.#recent.delete(key);
  }
}
