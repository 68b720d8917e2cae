/**
 * A kubeconfig made safe to print: secrets a kubeconfig can carry replaced by
 * `REDACTED`, with the structure kept.
 *
 * @module
 */

import { isSecretFlag, REDACTED, redactText, redactUrl } from "../redact.ts";
import { hasValue } from "./_util.ts";
import type { Kubeconfig } from "./types.ts";

/**
 * A copy of `config` safe to print: every `*-data`, `token`, `password` and `client-key`
 * becomes `REDACTED`, as do exec env values, auth-provider config values and passwords
 * in server or proxy URLs; exec args go through `redactText`.
 *
 * @example
 * ```ts
 * console.log(serializeKubeconfig(redactKubeconfig(config)));
 * ```
 */
export function redactKubeconfig(config: Kubeconfig): Kubeconfig {
  const copy = structuredClone(config);
  for (const { cluster } of copy.clusters) {
    if (hasValue(cluster["certificate-authority-data"])) cluster["certificate-authority-data"] = REDACTED;
    if (hasValue(cluster.server)) cluster.server = redactUrl(cluster.server);
    if (hasValue(cluster["proxy-url"])) cluster["proxy-url"] = redactUrl(cluster["proxy-url"]);
  }
  for (const { user } of copy.users) {
    for (
      const key of ["client-certificate-data", "client-key-data", "client-key", "token", "password"] as const
    ) {
      if (hasValue(user[key])) user[key] = REDACTED;
    }
    if (user.exec) {
      for (const variable of user.exec.env ?? []) variable.value = REDACTED;
      if (user.exec.args) {
        // `--token X` as two args: the value has nothing that marks it as a secret.
        user.exec.args = user.exec.args.map((arg, i, args) =>
          isSecretFlag(args[i - 1] ?? "") ? REDACTED : redactText(arg)
        );
      }
    }
    const providerConfig = user["auth-provider"]?.config;
    if (providerConfig) { for (const key of Object.keys(providerConfig)) providerConfig[key] = REDACTED; }
  }
  return copy;
}
