/**
 * `plumberctl` as a subprocess in end-to-end tests: `deno run cli/plumberctl.ts` with the permissions
 * `cli/compile.ts` bakes into the release binaries (write access narrowed to `<HOME>/.plumber`, so a test
 * passing proves the binary's permissions suffice), a temporary HOME, and a check that no key,
 * certificate or token reaches the terminal. {@linkcode plumberctlHarness} adds a HOME activated on the
 * primary with its own operator namespace.
 *
 * @module
 */

import assert from "node:assert/strict";
import { RUNTIME_PERMISSIONS } from "../cli/compile.ts";
import type { KubeClient } from "../lib/kube/client.ts";
import { type Kubeconfig, parseKubeconfig } from "../lib/kubeconfig/mod.ts";
import type { ClusterInfo, ControlPlaneState } from "./control_plane.ts";
import { installCrds } from "./crds.ts";
import { adminClient, sharedControlPlane, uniqueName } from "./harness.ts";

/** The CLI's entry point. */
export const CLI = new URL("../cli/plumberctl.ts", import.meta.url).pathname;
const ROOT = new URL("..", import.meta.url).pathname;
const RBAC = "rbac.authorization.k8s.io/v1";

/** Key, certificate or token material: PEM, base64 of PEM, a JWT. */
export const SECRET_MATERIAL = /-----BEGIN|LS0tLS1CRUdJT|eyJ[A-Za-z0-9_-]+\.eyJ/;

let denoDirCache: Promise<string> | undefined;

/** The real Deno cache: a temporary HOME would otherwise move it and download everything again. */
export function denoDir(): Promise<string> {
  denoDirCache ??= (async () => {
    const fromEnv = Deno.env.get("DENO_DIR");
    if (fromEnv) return fromEnv;
    const { stdout } = await new Deno.Command(Deno.execPath(), { args: ["info", "--json"], stderr: "null" })
      .output();
    return (JSON.parse(new TextDecoder().decode(stdout)) as { denoDir: string }).denoDir;
  })();
  return denoDirCache;
}

/** How a plumberctl subprocess ended. */
export interface Run {
  code: number;
  stdout: string;
  stderr: string;
  /** Wall time, ms. */
  ms: number;
}

/** Options of {@linkcode plumberctlCommand} and {@linkcode plumberctl}. */
export interface PlumberctlOptions {
  /** Working directory (default: the repository root). */
  cwd?: string;
  /** Environment besides HOME, DENO_DIR, NO_COLOR and PATH. */
  env?: Record<string, string>;
  /** "piped" to write to its stdin (default "null"). */
  stdin?: "piped" | "null";
}

/** plumberctl as the compiled binary runs, stdout and stderr piped (`.output()` or `.spawn()` it). */
export async function plumberctlCommand(
  home: string,
  args: string[],
  options: PlumberctlOptions = {},
): Promise<Deno.Command> {
  const permissions = RUNTIME_PERMISSIONS.map((
    p,
  ) => (p === "--allow-write" ? `--allow-write=${home}/.plumber` : p));
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "--no-check", ...permissions, CLI, ...args],
    cwd: options.cwd ?? ROOT,
    clearEnv: true,
    env: {
      HOME: home,
      DENO_DIR: await denoDir(),
      NO_COLOR: "1",
      PATH: Deno.env.get("PATH") ?? "",
      ...options.env,
    },
    stdin: options.stdin ?? "null",
    stdout: "piped",
    stderr: "piped",
  });
}

/** Asserts that no secret material is in a run's output. */
export function assertNoSecretMaterial(texts: string[], args: string[], material = SECRET_MATERIAL): void {
  for (const text of texts) {
    assert.doesNotMatch(text, material, `secret material in output of ${args.join(" ")}`);
  }
}

/** Runs plumberctl as the compiled binary would run (same permissions, write limited to HOME/.plumber). */
export async function plumberctl(
  home: string,
  args: string[],
  options: PlumberctlOptions = {},
): Promise<Run> {
  const command = await plumberctlCommand(home, args, options);
  const started = performance.now();
  const output = await command.output();
  const run = {
    code: output.code,
    stdout: new TextDecoder().decode(output.stdout),
    stderr: new TextDecoder().decode(output.stderr),
    ms: performance.now() - started,
  };
  // Whatever happens, no key, certificate or token reaches the terminal.
  assertNoSecretMaterial([run.stdout, run.stderr], args);
  return run;
}

/** Asserts exit 0. */
export function expectOk(run: Run, what: string): Run {
  assert.equal(run.code, 0, `${what} failed (${run.code}):\n${run.stderr}`);
  return run;
}

/** One line `plumberctl: <reason>` and the exit code. */
export function expectError(run: Run, code: number, reason: RegExp): void {
  assert.equal(run.code, code, `expected exit ${code}, got ${run.code}: ${run.stderr}`);
  const lines = run.stderr.trimEnd().split("\n");
  assert.equal(lines.length, 1, `one line expected:\n${run.stderr}`);
  assert.match(lines[0]!, /^plumberctl: /);
  assert.match(lines[0]!, reason);
}

/** The arguments of `plumberctl activate` on the primary of `state` with the operator namespace `namespace`. */
export function activateArgs(state: ControlPlaneState, namespace: string): string[] {
  return ["activate", "--path", state.kubeconfigPath, "--activate-context", "primary", "-n", namespace];
}

/** What {@linkcode plumberctlHarness} gives a test file. */
export interface PlumberctlHarness {
  /** The shared control plane, with plumber's CRDs installed in the primary. */
  state: ControlPlaneState;
  /** The cluster of a kubeconfig context. */
  cluster(context: string): ClusterInfo;
  /** Runs `body` with an admin client of `context`, closed afterwards. */
  withAdmin<T>(context: string, body: (client: KubeClient) => Promise<T>): Promise<T>;
  /**
   * A temporary HOME activated on the primary with its own namespace (`options.namespace`, else a unique
   * name with `prefix`); removes what it made everywhere: the HOME, the namespace, the replicator's
   * ClusterRoleBinding and the extra grant of `add --allow-kind`.
   */
  withActivatedHome(
    body: (home: string, namespace: string) => Promise<void>,
    options?: { namespace?: string },
  ): Promise<void>;
  /** The kubeconfig plumberctl stored in the Secret `plumber-kubeconfig` of `namespace`, if any. */
  storedKubeconfig(namespace: string): Promise<Kubeconfig | undefined>;
}

/**
 * Reaches (or starts) the shared control plane, installs plumber's CRDs in the primary and returns helpers
 * bound to it; activated namespaces are named `<prefix>-…`.
 */
export async function plumberctlHarness(prefix: string): Promise<PlumberctlHarness> {
  const state = await sharedControlPlane();
  const cluster = (context: string) => state.clusters.find((c) => c.context === context)!;
  async function withAdmin<T>(context: string, body: (client: KubeClient) => Promise<T>): Promise<T> {
    const client = adminClient(state, context);
    try {
      return await body(client);
    } finally {
      client.close();
    }
  }
  async function withActivatedHome(
    body: (home: string, namespace: string) => Promise<void>,
    options: { namespace?: string } = {},
  ): Promise<void> {
    const home = await Deno.makeTempDir({ prefix: "plumberctl-home-" });
    const namespace = options.namespace ?? uniqueName(prefix);
    await withAdmin(
      "primary",
      (client) => client.create({ apiVersion: "v1", kind: "Namespace", metadata: { name: namespace } }),
    );
    try {
      expectOk(await plumberctl(home, activateArgs(state, namespace)), "activate");
      await body(home, namespace);
    } finally {
      await Deno.remove(home, { recursive: true });
      for (const c of state.clusters) {
        await withAdmin(c.context, async (client) => {
          await client.delete({ apiVersion: "v1", kind: "Namespace", name: namespace });
          for (const name of [`plumber-replicator-${namespace}`, `plumber-replicator-extra-${namespace}`]) {
            await client.delete({ apiVersion: RBAC, kind: "ClusterRoleBinding", name });
          }
          await client.delete({
            apiVersion: RBAC,
            kind: "ClusterRole",
            name: `plumber-replicator-extra-${namespace}`,
          });
        });
      }
    }
  }
  async function storedKubeconfig(namespace: string): Promise<Kubeconfig | undefined> {
    const secret = await withAdmin("primary", (client) =>
      client.find<{ data?: Record<string, string> }>({
        apiVersion: "v1",
        kind: "Secret",
        namespace,
        name: "plumber-kubeconfig",
      }));
    if (!secret) return undefined;
    return parseKubeconfig(atob(secret.data?.kubeconfig ?? ""), "the Secret");
  }
  await withAdmin("primary", installCrds);
  return { state, cluster, withAdmin, withActivatedHome, storedKubeconfig };
}
