/**
 * Reading the kubeconfig Secret, and what a ClusterDetector says about it
 * (pure). A Secret that is missing or cannot be read is "no change": the
 * clusters registered before stay, with their last known credentials; only a
 * readable Secret that no longer names a context unregisters it.
 *
 * @module
 */

import { type Condition, KUBECONFIG_SECRET_KEY, KUBECONFIG_SECRET_NAME } from "../lib/api.ts";
import { type Kubeconfig, parseKubeconfig } from "../lib/kubeconfig/mod.ts";
import { decodeBase64Text } from "../lib/base64.ts";

export { KUBECONFIG_SECRET_KEY, KUBECONFIG_SECRET_NAME };

/** Condition type on secondary ClusterDetectors: whether their credentials could be read from the Secret. */
export const CREDENTIALS_CONDITION = "CredentialsAvailable";

/** Why the Secret cannot be used (a condition reason and an Event reason). */
export type SecretProblemReason = "KubeconfigSecretMissing" | "KubeconfigSecretInvalid";

/** A Secret that cannot be used: why, and a message naming the Secret (never its content). */
export interface SecretProblem {
  reason: SecretProblemReason;
  message: string;
}

/** The result of {@linkcode readKubeconfigSecret}. */
export type SecretReading = { config: Kubeconfig; problem?: undefined } | { problem: SecretProblem };

/**
 * Reads the kubeconfig out of the Secret. A missing Secret, a missing or empty
 * key, data that is not base64 and a document that is not a kubeconfig are
 * problems, never an empty kubeconfig: removing every cluster takes a Secret
 * that is a kubeconfig without contexts (what `plumberctl remove` writes).
 *
 * @example
 * ```ts
 * readKubeconfigSecret(undefined, { namespace: "plumber-system", name: "plumber-kubeconfig" }).problem;
 * // { reason: "KubeconfigSecretMissing", message: "Secret plumber-system/plumber-kubeconfig does not exist" }
 * ```
 */
export function readKubeconfigSecret(
  secret: { data?: Record<string, string> } | undefined,
  where: { namespace: string; name: string },
): SecretReading {
  const id = `Secret ${where.namespace}/${where.name}`;
  const invalid = (message: string): SecretReading => ({
    problem: { reason: "KubeconfigSecretInvalid", message },
  });
  if (!secret) return { problem: { reason: "KubeconfigSecretMissing", message: `${id} does not exist` } };
  const encoded = secret.data?.[KUBECONFIG_SECRET_KEY];
  if (encoded === undefined) return invalid(`${id} has no key "${KUBECONFIG_SECRET_KEY}"`);
  let text: string;
  try {
    text = decodeBase64Text(encoded);
  } catch {
    return invalid(
      `Cannot parse kubeconfig ${id}: key "${KUBECONFIG_SECRET_KEY}" is not base64 of UTF-8 text`,
    );
  }
  if (text.trim() === "") return invalid(`${id}: key "${KUBECONFIG_SECRET_KEY}" is empty`);
  try {
    return { config: parseKubeconfig(text, id) };
  } catch (error) {
    // parseKubeconfig's messages name the problem, never quote the document.
    return invalid((error as Error).message);
  }
}

/**
 * The {@linkcode CREDENTIALS_CONDITION} of a secondary's ClusterDetector: True while the
 * Secret is readable and its context usable; False with the Secret's problem (the cluster
 * keeps the credentials read before, if any) or with the context's own problem.
 */
export function credentialsCondition(
  secretProblem: SecretProblem | undefined,
  cluster: { context: string; problem?: string; hasClient: boolean },
  where: { namespace: string; name: string },
): Omit<Condition, "lastTransitionTime"> {
  if (secretProblem) {
    return {
      type: CREDENTIALS_CONDITION,
      status: "False",
      reason: secretProblem.reason,
      message: `${secretProblem.message}; ${
        cluster.hasClient
          ? "the cluster stays registered with the credentials read before"
          : "the cluster stays registered, without credentials until the Secret is readable"
      }`,
    };
  }
  if (cluster.problem || !cluster.hasClient) {
    return {
      type: CREDENTIALS_CONDITION,
      status: "False",
      reason: "InvalidContext",
      message: `Context "${cluster.context}" of Secret ${where.namespace}/${where.name} cannot be used: ${
        cluster.problem ?? "no client"
      }`,
    };
  }
  return {
    type: CREDENTIALS_CONDITION,
    status: "True",
    reason: "KubeconfigSecretRead",
    message: `Credentials of context "${cluster.context}" read from Secret ${where.namespace}/${where.name}`,
  };
}
