/**
 * The ClusterDetector controller's label sync: a secondary's user labels live with its
 * registration (the context's labels extension in the kubeconfig Secret) and on its
 * ClusterDetector, and `kubectl label clusterdetector` edits the latter. This decides
 * which copy wins ({@linkcode decideLabelSync}, pure) and writes the Secret when the
 * object's labels win. The object itself is written by the controller's apply.
 *
 * Decisions are taken from the caches; one that needs a write is taken again on a fresh
 * read of the Secret, so a cache that has not seen `plumberctl label`'s Secret write yet
 * never reverts the labels it also set on the object.
 *
 * @module
 */

import { KUBECONFIG_SECRET_KEY } from "../lib/api.ts";
import { encodeBase64Text } from "../lib/base64.ts";
import {
  decideLabelSync,
  formatSyncedLabels,
  type Labels,
  parseSyncedLabels,
  SYNCED_LABELS_ANNOTATION,
  userLabels,
} from "../lib/cluster_labels.ts";
import { isNotFound } from "../lib/kube/client.ts";
import type { CoreV1Api } from "../lib/kube/generated/core_v1.ts";
import {
  type Kubeconfig,
  readContextLabels,
  serializeKubeconfig,
  withContextLabels,
} from "../lib/kubeconfig/mod.ts";
import type { Logger } from "../lib/log.ts";
import { readKubeconfigSecret } from "./kubeconfig_secret.ts";

/** The labels part of a ClusterDetector. */
export interface LabelledObject {
  metadata: { labels?: Record<string, string>; annotations?: Record<string, string> };
}

/** The user labels and synced-labels annotation the ClusterDetector should carry. */
export interface DesiredLabels {
  labels: Labels;
  /** The {@linkcode SYNCED_LABELS_ANNOTATION} value; undefined leaves the annotation out. */
  synced?: string;
  /** True when the Secret's copy wins and the object's user labels must become `labels`. */
  set?: boolean;
}

/** What the label sync reads and writes. */
export interface LabelSyncDeps {
  /** Core API of the primary, namespaced to the operator's namespace. */
  secrets: ReturnType<CoreV1Api["namespace"]>;
  secretName: string;
  namespace: string;
  logger: Logger;
  /** Counts Secret writes (tests assert there is no write loop). */
  onSecretWrite?: () => void;
  /**
   * Context -> the labels (formatted) this operator last wrote into the Secret. A Secret that still holds
   * them changed through this operator only, so the object's labels win: the synced-labels annotation may
   * not have landed yet when the user edits the object again, and must not make a stale Secret win.
   */
  written?: Map<string, string>;
}

/** The labels an object keeps when plumber does not sync them (primary, unreadable Secret). */
export function keptLabels(existing: LabelledObject | undefined): DesiredLabels {
  return {
    labels: userLabels(existing?.metadata.labels),
    synced: existing?.metadata.annotations?.[SYNCED_LABELS_ANNOTATION],
  };
}

/**
 * The user labels a secondary's ClusterDetector should carry, given the kubeconfig read from
 * the cached Secret; writes the Secret when the object's labels win.
 */
export async function syncLabels(
  deps: LabelSyncDeps,
  context: string,
  cached: Kubeconfig,
  existing: LabelledObject | undefined,
): Promise<DesiredLabels> {
  const object = existing ? userLabels(existing.metadata.labels) : undefined;
  const annotated = parseSyncedLabels(existing?.metadata.annotations?.[SYNCED_LABELS_ANNOTATION]);
  // What the Secret holds was written by this operator: it is the base (see LabelSyncDeps.written).
  const baseFor = (secret: Labels | undefined) =>
    secret !== undefined && deps.written?.get(context) === formatSyncedLabels(secret) ? secret : annotated;
  const cachedLabels = readContextLabels(cached, context).labels;
  const first = decideLabelSync({ secret: cachedLabels, object, base: baseFor(cachedLabels) });
  if (first.action === "none") return keptLabels(existing);

  const where = { namespace: deps.namespace, name: deps.secretName };
  let secret;
  try {
    secret = await deps.secrets.getSecret(deps.secretName);
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
  const reading = readKubeconfigSecret(secret, where);
  if (reading.problem || !reading.config.contexts.some((c) => c.name === context)) {
    return keptLabels(existing); // the Secret reconcile reports it; labels wait
  }
  const fresh = readContextLabels(reading.config, context).labels;
  const decision = decideLabelSync({ secret: fresh, object, base: baseFor(fresh) });
  switch (decision.action) {
    case "none":
      return keptLabels(existing);
    case "object":
      return { labels: decision.labels, synced: formatSyncedLabels(decision.labels), set: true };
    case "base":
      return { labels: decision.labels, synced: formatSyncedLabels(decision.labels) };
    case "secret": {
      const config = withContextLabels(reading.config, context, decision.labels);
      const data = encodeBase64Text(serializeKubeconfig(config));
      if (secret && secret.data?.[KUBECONFIG_SECRET_KEY] !== data) {
        // PUT with the resourceVersion just read: a concurrent writer makes this a 409, retried.
        await deps.secrets.replaceSecret({
          ...secret,
          data: { ...secret.data, [KUBECONFIG_SECRET_KEY]: data },
        });
        deps.onSecretWrite?.();
        deps.written?.set(context, formatSyncedLabels(decision.labels));
        deps.logger.info("Stored labels set on a ClusterDetector in the kubeconfig Secret", {
          context,
          labels: decision.labels,
        });
      }
      return { labels: decision.labels, synced: formatSyncedLabels(decision.labels) };
    }
  }
}
