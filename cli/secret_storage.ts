/**
 * The kubeconfig Secret in the primary (one context per registered secondary): read
 * and parsed, and changed with optimistic concurrency.
 *
 * @module
 */

import { KUBECONFIG_SECRET_KEY, KUBECONFIG_SECRET_NAME } from "../lib/api.ts";
import { decodeBase64Text, encodeBase64Text } from "../lib/base64.ts";
import { CliError } from "../lib/errors.ts";
import { isConflict, isNotFound } from "../lib/kube/client.ts";
import { CoreV1Api, type Secret } from "../lib/kube/generated/core_v1.ts";
import { type Kubeconfig, parseKubeconfig, serializeKubeconfig } from "../lib/kubeconfig/mod.ts";
import { type Cluster, onCluster } from "./connection.ts";
import { explainKubeError } from "./error_text.ts";
import { findObject } from "./reads.ts";

/** The stored kubeconfig and the Secret it came from (undefined when there is none yet). */
export interface StoredKubeconfig {
  secret?: Secret;
  config: Kubeconfig;
}

function emptyKubeconfig(): Kubeconfig {
  return { apiVersion: "v1", kind: "Config", clusters: [], users: [], contexts: [] };
}

/** Reads the kubeconfig Secret of the primary. @throws {CliError} when it is unreadable. */
export async function readStoredKubeconfig(primary: Cluster, namespace: string): Promise<StoredKubeconfig> {
  const secrets = new CoreV1Api(primary.rest).namespace(namespace);
  const secret = await onCluster(primary, () => findObject(() => secrets.getSecret(KUBECONFIG_SECRET_NAME)));
  if (!secret) return { config: emptyKubeconfig() };
  const data = secret.data?.[KUBECONFIG_SECRET_KEY];
  if (!data) return { secret, config: emptyKubeconfig() };
  const source = `Secret ${namespace}/${KUBECONFIG_SECRET_NAME} in context "${primary.context}"`;
  try {
    return { secret, config: parseKubeconfig(decodeBase64Text(data), source) };
  } catch (error) {
    throw new CliError(
      `${error instanceof Error ? error.message : String(error)}; fix or delete the Secret`,
      { cause: error },
    );
  }
}

/**
 * Reads the stored kubeconfig, lets `change` compute the new one, and writes it back
 * with optimistic concurrency (PUT with the read resourceVersion; re-read and retry on
 * a conflict, create the Secret when missing). `change` may be called more than once.
 * Returns what `change` returned the last time and whether the content changed.
 */
export async function updateStoredKubeconfig<T>(
  primary: Cluster,
  namespace: string,
  change: (stored: Kubeconfig) => { config: Kubeconfig; result: T },
): Promise<{ result: T; changed: boolean }> {
  const secrets = new CoreV1Api(primary.rest).namespace(namespace);
  for (let attempt = 0;; attempt++) {
    const stored = await readStoredKubeconfig(primary, namespace);
    const { config, result } = change(stored.config);
    const text = serializeKubeconfig(config);
    const data = encodeBase64Text(text);
    if (stored.secret?.data?.[KUBECONFIG_SECRET_KEY] === data) return { result, changed: false };
    try {
      if (stored.secret) {
        await secrets.replaceSecret({
          ...stored.secret,
          data: { ...stored.secret.data, [KUBECONFIG_SECRET_KEY]: data },
        });
      } else {
        await secrets.createSecret({
          metadata: {
            name: KUBECONFIG_SECRET_NAME,
            namespace,
            labels: { "app.kubernetes.io/managed-by": "plumber" },
          },
          type: "Opaque",
          data: { [KUBECONFIG_SECRET_KEY]: data },
        });
      }
      return { result, changed: true };
    } catch (error) {
      // 409: someone else wrote the Secret (or created it) between our read and write.
      if (isConflict(error) && attempt < 5) continue;
      if (isNotFound(error)) {
        throw new CliError(
          `Namespace "${namespace}" does not exist in the primary (context "${primary.context}"); deploy the plumber operator there first, or pass --namespace`,
          { cause: error },
        );
      }
      throw explainKubeError(error, primary);
    }
  }
}
