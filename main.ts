/**
 * The plumber operator: ClusterDetector and Replicator controllers under
 * leader election, with health probes and Prometheus metrics.
 *
 * Runs in a cluster (in-cluster ServiceAccount) or against a kubeconfig
 * context (`deno task run`). `--help` lists the flags.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { parseDuration as parseDurationText } from "./lib/duration.ts";
import { UsageError } from "./lib/errors.ts";
import { ClusterRegistry } from "./controllers/clusters.ts";
import { ClusterDetectorController, KUBECONFIG_SECRET_NAME } from "./controllers/cluster_detector.ts";
import { ReplicatorController } from "./controllers/replicator.ts";
import { DEFAULT_NAMESPACE } from "./lib/api.ts";
import { KubeClient, type RequestRecord } from "./lib/kube/client.ts";
import { EventRecorder } from "./lib/kube/events.ts";
import {
  LeaderElectionLostError,
  type LeaderElectionTimes,
  leaderElectionTimesProblem,
  LeaderElector,
} from "./lib/kube/leader.ts";
import { Metrics } from "./lib/kube/metrics.ts";
import { describeFailure } from "./lib/kube/probe.ts";
import { startHealthServer } from "./lib/kube/http_server.ts";
import {
  type ClusterConnection,
  inClusterConnection,
  isRfc1123Subdomain,
  listContexts,
  parseKubeconfig,
  resolveConnection,
} from "./lib/kubeconfig.ts";
import { createLogger, type Logger, parseLogFormat, parseLogLevel } from "./lib/log.ts";

export { UsageError };

/** The operator's settings, from flags. */
export interface OperatorFlags {
  kubeconfig?: string;
  context?: string;
  namespace: string;
  leaderElect: boolean;
  leaderElectionId: string;
  /** Lease duration, renew deadline and retry period of the leader election. */
  leaderElection: LeaderElectionTimes;
  healthProbeBindAddress: string;
  metricsBindAddress: string;
  probeIntervalMs: number;
  probeTimeoutMs: number;
  failureThreshold: number;
  concurrency: number;
  logFormat: "json" | "text";
  logLevel: "debug" | "info" | "warn" | "error";
  secretName: string;
  clusterName?: string;
  userName?: string;
  replicatorSelector?: string;
}

export const HELP =
  `plumber: replicates a workload from this (primary) cluster into registered secondary clusters.

Usage: plumber [flags]     (deno run main.ts [flags]; deno task run)

Flags:
  --kubeconfig <path>                  kubeconfig of the primary cluster (default: in-cluster ServiceAccount,
                                       else $KUBECONFIG, else ~/.kube/config)
  --context <name>                     kubeconfig context of the primary (default: current-context)
  --namespace <ns>                     namespace of ClusterDetectors, the kubeconfig Secret and the lease
                                       (default ${DEFAULT_NAMESPACE})
  --leader-elect                       run controllers only while holding the leader lease (default false)
  --leader-election-id <name>          lease name (default plumber-leader)
  --leader-elect-lease-duration <d>    how long a standby waits on an unrenewed lease before taking it
                                       (default 15s)
  --leader-elect-renew-deadline <d>    how long the leader keeps trying to renew; then it stops every request
                                       and exits 1 (default 10s; shorter than the lease duration)
  --leader-elect-retry-period <d>      wait between attempts to acquire or renew (default 2s)
  --health-probe-bind-address <addr>   /healthz and /readyz (default :8081; 0 disables)
  --metrics-bind-address <addr>        /metrics (default :8080; 0 disables)
  --probe-interval <duration>          cluster health probe interval (default 10s)
  --probe-timeout <duration>           timeout of one probe (default 3s)
  --failure-threshold <n>              failed probes before Running turns Unknown (default 3)
  --concurrency <n>                    parallel Replicator reconciles (default 8)
  --log-format json|text               (default: text on a terminal, json otherwise)
  --log-level debug|info|warn|error    (default info)
  --secret-name <name>                 kubeconfig Secret of the secondaries (default ${KUBECONFIG_SECRET_NAME})
  --replicator-selector <selector>     serve only Replicators matching this label selector (default: all)
  --cluster-name <name>, --user-name <name>
                                       the primary's ClusterDetector name parts (default: from the kubeconfig
                                       context; in-cluster: kubernetes and plumber)
  -h, --help                           show this help

Durations: 500ms, 10s, 1m. Example:
  deno run --allow-net --allow-env --allow-read --allow-sys=hostname main.ts --kubeconfig ~/.kube/config --context kind-primary
`;

/** Parses `10s`, `500ms`, `1m`, `1m30s`, `1h` into milliseconds; throws a UsageError naming the flag. */
export function parseDuration(flag: string, value: string): number {
  const ms = parseDurationText(value);
  if (ms === undefined) {
    throw new UsageError(`--${flag}: "${value}" is not a positive duration (e.g. 500ms, 10s, 1m)`);
  }
  return ms;
}

function positiveInt(flag: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) {
    throw new UsageError(`--${flag}: "${value}" is not a positive whole number`);
  }
  return n;
}

/** Parses the command line (pure; throws UsageError). */
export function parseFlags(args: string[], isTerminal = false): OperatorFlags | "help" {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      strict: true,
      allowPositionals: false,
      options: {
        kubeconfig: { type: "string" },
        context: { type: "string" },
        namespace: { type: "string", default: DEFAULT_NAMESPACE },
        "leader-elect": { type: "boolean", default: false },
        "leader-election-id": { type: "string", default: "plumber-leader" },
        "leader-elect-lease-duration": { type: "string", default: "15s" },
        "leader-elect-renew-deadline": { type: "string", default: "10s" },
        "leader-elect-retry-period": { type: "string", default: "2s" },
        "health-probe-bind-address": { type: "string", default: ":8081" },
        "metrics-bind-address": { type: "string", default: ":8080" },
        "probe-interval": { type: "string", default: "10s" },
        "probe-timeout": { type: "string", default: "3s" },
        "failure-threshold": { type: "string", default: "3" },
        concurrency: { type: "string", default: "8" },
        "log-format": { type: "string" },
        "log-level": { type: "string", default: "info" },
        "secret-name": { type: "string", default: KUBECONFIG_SECRET_NAME },
        "cluster-name": { type: "string" },
        "user-name": { type: "string" },
        "replicator-selector": { type: "string" },
        help: { type: "boolean", short: "h", default: false },
      },
    });
  } catch (error) {
    throw new UsageError(
      (error as Error).message.split("\n")[0]!.replace(/^Unknown option '(.+)'.*/, "unknown flag $1"),
    );
  }
  const v = parsed.values;
  if (v.help) return "help";
  if (!isRfc1123Subdomain(v.namespace!)) {
    throw new UsageError(`--namespace: "${v.namespace}" is not a valid namespace name`);
  }
  const leaderElection: LeaderElectionTimes = {
    leaseDurationMs: parseDuration("leader-elect-lease-duration", v["leader-elect-lease-duration"]!),
    renewDeadlineMs: parseDuration("leader-elect-renew-deadline", v["leader-elect-renew-deadline"]!),
    retryPeriodMs: parseDuration("leader-elect-retry-period", v["leader-elect-retry-period"]!),
  };
  const timesProblem = leaderElectionTimesProblem(leaderElection);
  if (timesProblem) {
    throw new UsageError(
      `--leader-elect-lease-duration, --leader-elect-renew-deadline, --leader-elect-retry-period: ${timesProblem}`,
    );
  }
  let logLevel: OperatorFlags["logLevel"];
  let logFormat: OperatorFlags["logFormat"];
  try {
    logLevel = parseLogLevel(v["log-level"]!);
    logFormat = v["log-format"] ? parseLogFormat(v["log-format"]) : isTerminal ? "text" : "json";
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  return {
    kubeconfig: v.kubeconfig,
    context: v.context,
    namespace: v.namespace!,
    leaderElect: v["leader-elect"]!,
    leaderElectionId: v["leader-election-id"]!,
    leaderElection,
    healthProbeBindAddress: v["health-probe-bind-address"]!,
    metricsBindAddress: v["metrics-bind-address"]!,
    probeIntervalMs: parseDuration("probe-interval", v["probe-interval"]!),
    probeTimeoutMs: parseDuration("probe-timeout", v["probe-timeout"]!),
    failureThreshold: positiveInt("failure-threshold", v["failure-threshold"]!),
    concurrency: positiveInt("concurrency", v.concurrency!),
    logFormat,
    logLevel,
    secretName: v["secret-name"]!,
    clusterName: v["cluster-name"],
    userName: v["user-name"],
    replicatorSelector: v["replicator-selector"],
  };
}

/** `:8080` / `127.0.0.1:0` / `0` (off) -> listen options. */
export function parseBindAddress(
  flag: string,
  value: string,
): { hostname: string; port: number } | undefined {
  if (value === "0") return undefined;
  const match = /^(.*):(\d+)$/.exec(value);
  if (!match) throw new UsageError(`--${flag}: "${value}" is not host:port, :port or 0`);
  const port = Number(match[2]);
  if (port > 65535) throw new UsageError(`--${flag}: port ${port} is out of range`);
  return { hostname: match[1] || "0.0.0.0", port };
}

/** Where the primary is and what its ClusterDetector is called. */
export interface PrimarySource {
  connection: ClusterConnection;
  identity: { context: string; cluster: string; user: string };
}

/** Finds the primary cluster: --kubeconfig, else in-cluster, else $KUBECONFIG / ~/.kube/config. */
export function primarySource(
  flags: OperatorFlags,
  env: (name: string) => string | undefined,
): PrimarySource {
  const path = flags.kubeconfig ??
    (env("KUBERNETES_SERVICE_HOST")
      ? undefined
      : env("KUBECONFIG")?.split(":")[0] ?? `${env("HOME")}/.kube/config`);
  if (!path) {
    const connection = inClusterConnection();
    return {
      connection,
      identity: {
        context: "in-cluster",
        cluster: flags.clusterName ?? "kubernetes",
        user: flags.userName ?? "plumber",
      },
    };
  }
  let text: string;
  try {
    text = Deno.readTextFileSync(path);
  } catch (error) {
    throw new Error(`Cannot read kubeconfig "${path}": ${(error as Error).message}`);
  }
  const config = parseKubeconfig(text, path);
  const contextName = flags.context ?? config["current-context"];
  if (!contextName) {
    throw new UsageError(`--context: the kubeconfig "${path}" has no current-context; name one`);
  }
  const ctx = listContexts(config).find((c) => c.name === contextName);
  if (!ctx) {
    throw new UsageError(
      `--context: "${contextName}" is not in ${path} (contexts: ${
        listContexts(config).map((c) => c.name).join(", ")
      })`,
    );
  }
  const dir = path.includes("/") ? path.slice(0, path.lastIndexOf("/")) : ".";
  return {
    connection: resolveConnection(config, contextName, { baseDir: dir }),
    identity: {
      context: ctx.name,
      cluster: flags.clusterName ?? ctx.cluster,
      user: flags.userName ?? ctx.user,
    },
  };
}

/** Resolves when the signal aborts (at once if it already has). */
function aborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener("abort", () => resolve(), { once: true }));
}

/** Runs the operator until SIGTERM/SIGINT; returns the exit code. */
export async function runOperator(flags: OperatorFlags, log: Logger): Promise<number> {
  const source = primarySource(flags, (n) => Deno.env.get(n));
  const metrics = new Metrics({ processMetrics: true });
  const observer = (r: RequestRecord) => {
    metrics.recordRequest({ method: r.method, code: r.code, host: r.host });
    // The request log: every request with its target (paths name objects, never their content) and
    // when it was sent; the line itself is written when the answer (or failure) came.
    log.debug(r.method === "GET" ? "Read request" : "Write request", {
      method: r.method,
      path: r.path,
      code: r.code,
      host: r.host,
      startedAt: new Date(r.startedAt).toISOString(),
      durationMs: Math.round(r.durationMs),
    });
  };
  // One writer: with leader election, every client the controllers use (the primary's here, each
  // secondary's in the registry) shares this fence, aborted the moment the lease is lost; the lease
  // itself is renewed by a client of its own, outside the fence.
  const fence = new AbortController();
  const clientOptions = { observer, signal: flags.leaderElect ? fence.signal : undefined };
  const primary = new KubeClient(source.connection, { name: source.identity.context, ...clientOptions });
  try {
    const version = JSON.parse(await primary.getText("/version", { timeoutMs: 10_000 })) as {
      gitVersion?: string;
    };
    log.info("Connected to the primary cluster", {
      server: primary.server,
      context: source.identity.context,
      version: version.gitVersion,
    });
  } catch (error) {
    primary.close();
    throw new Error(`Cannot reach the primary cluster at ${primary.server}: ${describeFailure(error)}`);
  }

  const registry = new ClusterRegistry(clientOptions);
  const events = new EventRecorder({
    client: primary,
    component: "plumber",
    logger: log,
  });
  let detector: ClusterDetectorController | undefined;
  let replicator: ReplicatorController | undefined;
  let leading = !flags.leaderElect;

  const probes = parseBindAddress("health-probe-bind-address", flags.healthProbeBindAddress);
  const metricsAddress = parseBindAddress("metrics-bind-address", flags.metricsBindAddress);
  const servers = [];
  if (probes) {
    const server = startHealthServer({
      ...probes,
      serveMetrics: false,
      logger: log,
      readyChecks: {
        // A standby replica is ready (it serves probes); the leader once its caches are in.
        informers: () => !leading || (detector?.synced === true && replicator?.synced === true),
      },
    });
    servers.push(server);
    log.info("Serving health probes", { address: `${server.hostname}:${server.port}` });
  }
  if (metricsAddress) {
    const server = startHealthServer({ ...metricsAddress, metrics, serveProbes: false, logger: log });
    servers.push(server);
    log.info("Serving metrics", { address: `${server.hostname}:${server.port}` });
  }

  // Starting can take long (caches that cannot sync, e.g. while access is denied): it stops at the next
  // step once `signal` aborts, so a shutdown or a lost lease never waits for it.
  const startControllers = async (signal: AbortSignal) => {
    detector = new ClusterDetectorController({
      primary,
      primaryIdentity: source.identity,
      registry,
      namespace: flags.namespace,
      secretName: flags.secretName,
      logger: log.child({ controller: "clusterdetector" }),
      events,
      metrics,
      probeIntervalMs: flags.probeIntervalMs,
      probeTimeoutMs: flags.probeTimeoutMs,
      failureThreshold: flags.failureThreshold,
    });
    replicator = new ReplicatorController({
      primary,
      registry,
      namespace: flags.namespace,
      logger: log.child({ controller: "replicator" }),
      events,
      metrics,
      concurrency: flags.concurrency,
      replicatorSelector: flags.replicatorSelector,
    });
    await Promise.race([detector.start(), aborted(signal)]);
    if (signal.aborted) return;
    await Promise.race([replicator.start(), aborted(signal)]);
    if (signal.aborted) return;
    log.info("Controllers started", { primary: registry.primary?.name });
  };
  const stopControllers = async () => {
    await Promise.all([replicator?.stop(), detector?.stop()]);
  };

  let stopping = false;
  const running = new AbortController();
  let elector: LeaderElector | undefined;
  let finished!: (code: number) => void;
  const done = new Promise<number>((resolve) => finished = resolve);
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info("Shutting down", { signal });
    if (elector) elector.stop();
    else {
      running.abort();
      await stopControllers();
      finished(0);
    }
  };
  const onTerm = () => void shutdown("SIGTERM");
  const onInt = () => void shutdown("SIGINT");
  Deno.addSignalListener("SIGTERM", onTerm);
  Deno.addSignalListener("SIGINT", onInt);

  let leaseClient: KubeClient | undefined;
  if (flags.leaderElect) {
    leaseClient = new KubeClient(source.connection, { name: source.identity.context, observer });
    elector = new LeaderElector({
      client: leaseClient,
      ...flags.leaderElection,
      namespace: flags.namespace,
      name: flags.leaderElectionId,
      logger: log,
      onChange: (isLeader) => {
        leading = isLeader;
        metrics.setLeader(flags.leaderElectionId, isLeader);
      },
    });
    metrics.setLeader(flags.leaderElectionId, false);
    log.info("Waiting to become the leader", { lease: `${flags.namespace}/${flags.leaderElectionId}` });
    elector.run(async (signal) => {
      // As controller-runtime: a lost lease ends the process; reconciles are not waited for, the fence
      // stops their requests. This listener runs inside the elector's abort, before it logs the loss.
      const onLost = () => {
        if (!(signal.reason instanceof LeaderElectionLostError)) return;
        fence.abort(new Error("leadership lost: no further requests"));
        log.error("Leadership lost: every request stopped, exiting", { reason: signal.reason.message });
        finished(1);
      };
      if (signal.aborted) onLost();
      else signal.addEventListener("abort", onLost, { once: true });
      await startControllers(signal);
      await aborted(signal);
      if (fence.signal.aborted) return;
      await stopControllers();
    }).then(({ lost }) => finished(lost ? 1 : 0));
  } else {
    startControllers(running.signal).catch((error) => {
      log.error("Cannot start the controllers", { error: (error as Error).message });
      finished(1);
    });
  }

  const code = await done;
  Deno.removeSignalListener("SIGTERM", onTerm);
  Deno.removeSignalListener("SIGINT", onInt);
  const closing = Promise.all(servers.map((server) => server.close()));
  if (fence.signal.aborted) {
    // Leadership lost: a bounded, best-effort close; the process exits whatever is still running.
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([closing, new Promise((resolve) => timer = setTimeout(resolve, 1000))]);
    clearTimeout(timer);
  } else {
    await closing;
  }
  registry.close();
  primary.close();
  leaseClient?.close();
  log.info("Stopped", { exitCode: code });
  return code;
}

if (import.meta.main) {
  let flags: OperatorFlags | "help";
  try {
    flags = parseFlags(Deno.args, Deno.stderr.isTerminal());
  } catch (error) {
    console.error(`plumber: ${(error as Error).message}\nRun plumber --help for usage.`);
    Deno.exit(2);
  }
  if (flags === "help") {
    console.log(HELP);
    Deno.exit(0);
  }
  const log = createLogger({ level: flags.logLevel, format: flags.logFormat });
  try {
    Deno.exit(await runOperator(flags, log));
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`plumber: ${error.message}`);
      Deno.exit(2);
    }
    log.error((error as Error).message);
    Deno.exit(1);
  }
}
