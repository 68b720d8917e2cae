/**
 * What the generators (`gen_crds.ts`, `gen_api.ts`) share: their command line
 * (`--kubeconfig`, `--context`, `--out`), the API server they read (a given cluster, or a
 * private local control plane started for the run) and how they name its version.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { dirname } from "node:path";
import { KubeClient } from "../lib/kube/client.ts";
import { parseKubeconfig, resolveConnection } from "../lib/kubeconfig/mod.ts";

/** The command line every generator takes. */
export interface GeneratorArgs {
  kubeconfig?: string;
  context?: string;
  out?: string;
  help?: boolean;
}

/**
 * Parses a generator's command line; returns an exit code (2, after printing the problem
 * and `usage`) when it is wrong.
 */
export function parseGeneratorArgs(args: string[], usage: string): GeneratorArgs | number {
  let values: GeneratorArgs;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        kubeconfig: { type: "string" },
        context: { type: "string" },
        out: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    }));
  } catch (error) {
    console.error(`${error instanceof Error ? error.message : error}\n${usage}`);
    return 2;
  }
  if (values.context && !values.kubeconfig) {
    console.error(`--context needs --kubeconfig\n${usage}`);
    return 2;
  }
  return values;
}

/**
 * Runs `fn` with a client of the API server to read: the `--kubeconfig` cluster, or a
 * private local control plane (one cluster, no controller manager) started for the run
 * and stopped after it. `prepare` runs first on a private control plane only (e.g. to
 * install CRDs there). `label` prefixes the progress message.
 */
export async function withApiServer<T>(
  args: GeneratorArgs,
  label: string,
  fn: (client: KubeClient) => Promise<T>,
  prepare?: (client: KubeClient) => Promise<void>,
): Promise<T> {
  let stopControlPlane: (() => Promise<void>) | undefined;
  let client: KubeClient;
  if (args.kubeconfig) {
    const config = parseKubeconfig(await Deno.readTextFile(args.kubeconfig), args.kubeconfig);
    client = new KubeClient(resolveConnection(config, args.context, { baseDir: dirname(args.kubeconfig) }));
  } else {
    // Imported here so that the generators' library functions do not load the test harness.
    const { privateControlPlane, adminClient } = await import("../tests/harness.ts");
    console.error(`${label}: starting a private local API server (pass --kubeconfig to use a cluster)`);
    const cp = await privateControlPlane(
      [{ context: "primary", cluster: "kubernetes", user: "kubernetes-admin" }],
      { controllerManager: false },
    );
    stopControlPlane = () => cp.stop();
    client = adminClient(cp, "primary");
  }
  try {
    if (stopControlPlane && prepare) await prepare(client);
    return await fn(client);
  } finally {
    client.close();
    await stopControlPlane?.();
  }
}

/**
 * The version to name in the generated files: the API server's `gitVersion`, or
 * `v<major>.<minor>` for a development build that reports `v0.0.0-...` (as the local test
 * control plane, built from Go modules, does).
 */
export function serverVersionOf(version: { gitVersion?: string; major?: string; minor?: string }): string {
  const git = version.gitVersion ?? "";
  if (/^v\d+\.\d+\.\d+/.test(git) && !git.startsWith("v0.0.0")) return git;
  const minor = (version.minor ?? "").replace(/\D+$/, "");
  if (version.major && minor) return `v${version.major}.${minor}`;
  return git || "unknown";
}

/** The version of the API server behind `client`, as {@linkcode serverVersionOf} names it. */
export async function fetchServerVersion(client: KubeClient): Promise<string> {
  return serverVersionOf(
    await client.raw<{ gitVersion?: string; major?: string; minor?: string }>("GET", "/version"),
  );
}
