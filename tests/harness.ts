/**
 * What integration tests use to reach the local clusters.
 *
 * Under `deno task test` one control plane serves the whole run and its state
 * comes in `PLUMBER_TEST_STATE`. A test file run on its own
 * (`deno test -A tests/x_test.ts`) starts its own control plane instead.
 * Tests that stop or break a cluster use {@linkcode privateControlPlane} so
 * they never disturb the others.
 *
 * @module
 */

import { ensureControlPlaneBinary } from "./build.ts";
import { type ClusterInfo, type ClusterSpec, ControlPlane, type ControlPlaneState } from "./control_plane.ts";
import { KubeClient, type RequestRecord } from "../lib/kube/client.ts";
import { adminConnection } from "./admin_connection.ts";

let shared: Promise<ControlPlaneState> | undefined;

/** The control plane shared by every test of this run. */
export function sharedControlPlane(): Promise<ControlPlaneState> {
  shared ??= (async () => {
    const statePath = Deno.env.get("PLUMBER_TEST_STATE");
    if (statePath) return JSON.parse(await Deno.readTextFile(statePath)) as ControlPlaneState;
    const cp = await ControlPlane.start({ binary: await ensureControlPlaneBinary() });
    // Processes exit with their parent (see tests/controlplane/main.go); remove the files too.
    globalThis.addEventListener("unload", () => {
      try {
        Deno.removeSync(cp.dir, { recursive: true });
      } catch {
        // best effort
      }
    });
    return cp.state;
  })();
  return shared;
}

/** A control plane of its own for a test that stops or breaks clusters. Stop it in `finally`. */
export async function privateControlPlane(
  clusters: readonly ClusterSpec[],
  options: { controllerManager?: boolean; nodes?: number | false } = {},
): Promise<ControlPlane> {
  return await ControlPlane.start({ binary: await ensureControlPlaneBinary(), clusters, ...options });
}

export { adminConnection } from "./admin_connection.ts";

/** An admin client for one cluster of a state; close it when done. */
export function adminClient(
  state: { clusters: ClusterInfo[] },
  context: string,
  observer?: (record: RequestRecord) => void,
): KubeClient {
  const cluster = state.clusters.find((c) => c.context === context);
  if (!cluster) throw new RangeError(`No cluster with context "${context}" in the test control plane`);
  return new KubeClient(adminConnection(cluster), { observer });
}

/** Runs `body` with an admin client of the shared control plane's primary, closing it afterwards. */
export async function withPrimary<T>(body: (client: KubeClient) => Promise<T>): Promise<T> {
  const client = adminClient(await sharedControlPlane(), "primary");
  try {
    return await body(client);
  } finally {
    client.close();
  }
}

/** Polls `check` until it returns a value other than undefined/false, or throws after `timeoutMs`. */
export async function eventually<T>(
  what: string,
  check: () => Promise<T | undefined | false> | T | undefined | false,
  options: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  let lastError: unknown;
  while (true) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      const detail = lastError instanceof Error ? `: last error: ${lastError.message}` : "";
      throw new Error(`Timed out after ${options.timeoutMs ?? 30_000} ms waiting for ${what}${detail}`);
    }
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 50));
  }
}

/** A name unique to this test run, for namespaces and objects. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${crypto.randomUUID().slice(0, 8)}`;
}
