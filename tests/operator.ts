/**
 * Runs the real operator (`main.ts`) as a subprocess for end-to-end tests,
 * with exactly the Deno permissions the container image grants, and the
 * set-up it needs in a cluster: its namespace and the kubeconfig Secret.
 *
 * @module
 */

import { parse, stringify } from "yaml";
import {
  type ClusterInfo,
  type ControlPlaneState,
  kubeconfigFor as controlPlaneKubeconfig,
} from "./control_plane.ts";
import { adminClient, eventually, sharedControlPlane, uniqueName } from "./harness.ts";
import { type Clients, clients, REP } from "./replicators.ts";
import { installCrds } from "./crds.ts";
import type { KubeClient } from "../lib/kube/client.ts";

/**
 * The permissions the operator runs with: the Dockerfile's ENTRYPOINT has exactly these
 * (tests/deploy_test.ts checks it). `LOG_TOKENS` and `LOG_STREAM` are read by the yaml
 * package on every parse. Tests add read access to their kubeconfig file, see
 * {@linkcode operatorPermissions}.
 */
export const OPERATOR_PERMISSIONS: readonly string[] = [
  "--allow-net",
  "--allow-env=KUBERNETES_SERVICE_HOST,KUBERNETES_SERVICE_PORT,LOG_TOKENS,LOG_STREAM",
  "--allow-read=/var/run/secrets/kubernetes.io/serviceaccount",
  "--allow-sys=hostname",
];

/**
 * V8 limits the operator runs with (the Dockerfile's ENTRYPOINT too): a small young generation
 * and a small old space. Without limits V8 grows to ~190 MiB RSS in a fan-out of 100 Replicators
 * and never gives it back; in a fan-out of 200, old space 96/semi-space 2 peaked at 130 MiB,
 * 48/1 at 118 MiB with the same operator CPU (docs/benchmarks.md). `PLUMBER_OPERATOR_V8_FLAGS` (a whole `--v8-flags=...` argument) replaces
 * them, for benchmarking other limits.
 */
export const OPERATOR_V8_FLAGS = Deno.env.get("PLUMBER_OPERATOR_V8_FLAGS") ??
  "--v8-flags=--max-semi-space-size=1,--max-old-space-size=48";

/**
 * {@linkcode OPERATOR_PERMISSIONS} with read access to more files added to its one
 * `--allow-read` flag: what a test needs to run the operator with `--kubeconfig <path>`.
 */
export function operatorPermissions(readPaths: string[] = []): string[] {
  return OPERATOR_PERMISSIONS.map((flag) =>
    flag.startsWith("--allow-read=") && readPaths.length > 0 ? `${flag},${readPaths.join(",")}` : flag
  );
}

/** The value of `--kubeconfig` in an operator command line. */
function kubeconfigArg(args: string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    if (args[i] === "--kubeconfig") return args[i + 1];
    if (args[i]!.startsWith("--kubeconfig=")) return args[i]!.slice("--kubeconfig=".length);
  }
  return undefined;
}

const MAIN = new URL("../main.ts", import.meta.url).pathname;

/**
 * Env naming a folder where every operator process also writes its output, one
 * file a process (`deno task test` scans them for secrets after the run).
 */
export const LOG_DIR_ENV = "PLUMBER_TEST_LOG_DIR";

let logFiles = 0;

function openLogFile(pid: number): Deno.FsFile | undefined {
  const dir = Deno.env.get(LOG_DIR_ENV);
  if (!dir) return undefined;
  const path = `${dir}/operator-${Deno.pid}-${++logFiles}-${pid}.log`;
  return Deno.openSync(path, { create: true, append: true });
}

/** A running operator process. */
export class OperatorProcess {
  readonly lines: string[] = [];
  readonly #child: Deno.ChildProcess;
  readonly #done: Promise<Deno.CommandStatus>;
  #exited = false;

  constructor(args: string[], env: Record<string, string> = {}) {
    this.#child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        OPERATOR_V8_FLAGS,
        ...operatorPermissions([kubeconfigArg(args)].filter((p) => p !== undefined)),
        MAIN,
        ...args,
      ],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      env,
    }).spawn();
    const logFile = openLogFile(this.#child.pid);
    const encoder = new TextEncoder();
    const keep = (line: string) => {
      this.lines.push(line);
      if (!logFile) return;
      const bytes = encoder.encode(line + "\n");
      let offset = 0;
      while (offset < bytes.length) offset += logFile.writeSync(bytes.subarray(offset));
    };
    const collect = async (stream: ReadableStream<Uint8Array>) => {
      const reader = stream.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = "";
      while (true) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let i: number;
        while ((i = buffer.indexOf("\n")) >= 0) {
          keep(buffer.slice(0, i));
          buffer = buffer.slice(i + 1);
        }
      }
      if (buffer) keep(buffer);
    };
    const out = Promise.all([collect(this.#child.stdout), collect(this.#child.stderr)])
      .finally(() => logFile?.close());
    this.#done = this.#child.status.then(async (status) => {
      await out;
      this.#exited = true;
      return status;
    });
  }

  get pid(): number {
    return this.#child.pid;
  }

  get exited(): boolean {
    return this.#exited;
  }

  get status(): Promise<Deno.CommandStatus> {
    return this.#done;
  }

  /** Parsed JSON log lines. */
  get logs(): Array<Record<string, unknown>> {
    return this.lines.flatMap((line) => {
      try {
        return [JSON.parse(line)];
      } catch {
        return [];
      }
    });
  }

  /** Waits for a log line whose `msg` matches. */
  async waitForLog(msg: string | RegExp, timeoutMs = 30_000): Promise<Record<string, unknown>> {
    return await eventually(`operator log "${msg}"`, () => {
      if (this.#exited) {
        throw new Error(`the operator exited; last lines:\n${this.lines.slice(-15).join("\n")}`);
      }
      return this.logs.find((l) =>
        typeof l.msg === "string" && (typeof msg === "string" ? l.msg === msg : msg.test(l.msg))
      );
    }, { timeoutMs });
  }

  /** The port a server was bound to, from its "Serving ..." log line. */
  async port(what: "metrics" | "health probes"): Promise<number> {
    const line = await this.waitForLog(`Serving ${what}`);
    return Number(String(line.address).split(":").at(-1));
  }

  /** Sends a signal and waits for the exit. */
  async stop(signal: Deno.Signal = "SIGTERM"): Promise<Deno.CommandStatus> {
    if (!this.#exited) {
      try {
        this.#child.kill(signal);
      } catch {
        // already gone
      }
    }
    return await this.#done;
  }
}

/** Options of {@linkcode startOperator}. */
export interface StartOperatorOptions {
  /** Operator namespace (default plumber-system). Tests use their own to stay apart. */
  namespace?: string;
  /** Only Replicators with this label selector (tests label theirs). */
  replicatorSelector?: string;
  extraArgs?: string[];
  probeInterval?: string;
  /** The kubeconfig of the primary (default: the control plane's, with admin certificates). */
  kubeconfigPath?: string;
  /** The kubeconfig context of the primary (default `primary`). */
  context?: string;
}

/** The command line {@linkcode startOperator} runs the operator with (JSON logs, request log on). */
export function operatorArgs(state: ControlPlaneState, options: StartOperatorOptions = {}): string[] {
  return [
    "--kubeconfig",
    options.kubeconfigPath ?? state.kubeconfigPath,
    "--context",
    options.context ?? "primary",
    "--namespace",
    options.namespace ?? "plumber-system",
    "--health-probe-bind-address",
    "127.0.0.1:0",
    "--metrics-bind-address",
    "127.0.0.1:0",
    "--probe-interval",
    options.probeInterval ?? "1s",
    "--probe-timeout",
    "1s",
    "--log-format",
    "json",
    "--log-level",
    "debug",
    ...(options.replicatorSelector ? ["--replicator-selector", options.replicatorSelector] : []),
    ...(options.extraArgs ?? []),
  ];
}

/** Starts the operator against the primary of a control plane and waits until its controllers run. */
export async function startOperator(
  state: ControlPlaneState,
  options: StartOperatorOptions = {},
): Promise<OperatorProcess> {
  const operator = new OperatorProcess(operatorArgs(state, options));
  try {
    await operator.waitForLog("Controllers started", 60_000);
  } catch (error) {
    await operator.stop("SIGKILL");
    throw error;
  }
  return operator;
}

/** A self-contained kubeconfig (admin certificates) for some clusters, as `plumberctl add --use-current-credentials` stores. */
export function kubeconfigFor(clusters: ClusterInfo[]): string {
  const config = controlPlaneKubeconfig(clusters.map((c) => ({ ...c, cert: c.admin })));
  // A stored kubeconfig names no current context.
  delete config["current-context"];
  return stringify(config);
}

/** A kubeconfig as tests edit it. */
export interface EditableKubeconfig {
  clusters: Array<{ name: string; cluster: Record<string, unknown> }>;
  users: Array<{ name: string; user: Record<string, unknown> }>;
  contexts: Array<{ name: string; context: { cluster: string; user: string } }>;
}

/**
 * A kubeconfig of secondary1 and secondary2 whose contexts parse but cannot all be used: secondary2 with
 * secondary1's CA (its serving certificate does not verify), and a context `exec` (ClusterDetector
 * `exec-cluster.exec-user`) whose user runs an exec plugin.
 */
export function kubeconfigWithUnusableContexts(state: ControlPlaneState): EditableKubeconfig {
  const cluster = (context: string) => state.clusters.find((c) => c.context === context)!;
  const good = cluster("secondary1");
  const config = parse(kubeconfigFor([good, cluster("secondary2")])) as EditableKubeconfig;
  config.clusters[1]!.cluster["certificate-authority-data"] = btoa(good.ca.certPem);
  config.clusters.push({
    name: "exec-cluster",
    cluster: { server: good.server, "certificate-authority-data": btoa(good.ca.certPem) },
  });
  config.users.push({
    name: "exec-user",
    user: { exec: { apiVersion: "client.authentication.k8s.io/v1", command: "aws" } },
  });
  config.contexts.push({ name: "exec", context: { cluster: "exec-cluster", user: "exec-user" } });
  return config;
}

/** Writes the kubeconfig Secret of an operator namespace. */
export async function writeKubeconfigSecret(
  client: KubeClient,
  namespace: string,
  kubeconfig: string,
): Promise<void> {
  await client.apply({
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: "plumber-kubeconfig", namespace },
    type: "Opaque",
    data: { kubeconfig: btoa(kubeconfig) },
  }, { fieldManager: "plumber-tests", force: true });
}

/**
 * Prepares the primary for an operator: CRDs, the operator namespace, and a
 * kubeconfig Secret registering the given secondaries (default: both).
 */
export async function prepareOperatorNamespace(
  state: ControlPlaneState,
  namespace: string,
  secondaries: string[] = ["secondary1", "secondary2"],
): Promise<void> {
  const primary = adminClient(state, "primary");
  try {
    await installCrds(primary);
    await primary.apply({ apiVersion: "v1", kind: "Namespace", metadata: { name: namespace } }, {
      fieldManager: "plumber-tests",
    });
    const clusters = secondaries.map((ctx) => state.clusters.find((c) => c.context === ctx)!);
    await writeKubeconfigSecret(primary, namespace, kubeconfigFor(clusters));
  } finally {
    primary.close();
  }
}

/** Options of {@linkcode withOperator}. */
export interface WithOperatorOptions {
  /** Prefix of the operator namespace's name; a unique suffix is added. */
  prefix: string;
  /** The control plane (default: the shared one). */
  state?: ControlPlaneState;
  /** Secondaries registered in the kubeconfig Secret (default: both). */
  secondaries?: string[];
  /** The operator's `--replicator-selector` (default `plumber-test=<test>`). */
  replicatorSelector?: string;
}

/** What {@linkcode withOperator} gives a test. */
export interface OperatorFixture {
  state: ControlPlaneState;
  /** The running operator ({@linkcode OperatorFixture.restartOperator} replaces it). */
  operator: OperatorProcess;
  /** Admin clients of the three clusters. */
  clients: Clients;
  /** Value of the `plumber-test` label the operator serves (unless `replicatorSelector` said otherwise). */
  test: string;
  /** The operator namespace. */
  namespace: string;
  /** Stops the operator (returning how it exited) and starts a new one with the same options. */
  restartOperator(): Promise<Deno.CommandStatus>;
  /**
   * Runs `fn` at the end, once the test's Replicators are released and before the operator stops (last
   * registered first); its errors are logged, not thrown. For what the test made outside plumber.
   */
  cleanup(fn: () => Promise<unknown>): void;
}

/**
 * Runs `body` with an operator of its own: prepares an operator namespace and its kubeconfig Secret,
 * starts the operator serving only the test's Replicators (label `plumber-test=<test>`), and opens admin
 * clients. Afterwards, whatever happened, deletes the Replicators the operator serves and waits until it
 * has released them, runs the test's {@linkcode OperatorFixture.cleanup} functions, stops the operator and
 * closes the clients.
 */
export async function withOperator<T>(
  options: WithOperatorOptions,
  body: (fixture: OperatorFixture) => Promise<T>,
): Promise<T> {
  const state = options.state ?? await sharedControlPlane();
  const namespace = uniqueName(options.prefix);
  const test = uniqueName("t");
  const start = { namespace, replicatorSelector: options.replicatorSelector ?? `plumber-test=${test}` };
  await prepareOperatorNamespace(state, namespace, options.secondaries);
  const cleanups: Array<() => Promise<unknown>> = [];
  const fixture: OperatorFixture = {
    state,
    operator: await startOperator(state, start),
    clients: clients(state),
    test,
    namespace,
    async restartOperator() {
      const status = await fixture.operator.stop();
      fixture.operator = await startOperator(state, start);
      return status;
    },
    cleanup(fn) {
      cleanups.unshift(fn);
    },
  };
  try {
    return await body(fixture);
  } finally {
    await releaseReplicators(fixture.clients.primary, start.replicatorSelector).catch((error) =>
      console.warn(`Cleaning up the Replicators of ${start.replicatorSelector}: ${(error as Error).message}`)
    );
    for (const fn of cleanups) {
      await fn().catch((error) => console.warn(`Cleaning up: ${(error as Error).message}`));
    }
    await fixture.operator.stop();
    fixture.clients.close();
  }
}

/** Deletes every Replicator a selector matches and waits until the operator has released them all. */
async function releaseReplicators(primary: KubeClient, selector: string): Promise<void> {
  const names = async () =>
    (await primary.list<{ metadata: { name: string } }>(REP.apiVersion, REP.kind, {
      labelSelector: selector,
    }))
      .items.map((r) => r.metadata.name);
  for (const name of await names()) await primary.delete({ ...REP, name }).catch(() => false);
  await eventually(`Replicators of ${selector} released`, async () => (await names()).length === 0, {
    timeoutMs: 60_000,
  });
}
