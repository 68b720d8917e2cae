/**
 * The plumber operator: ClusterDetector and Replicator controllers under
 * leader election, with health probes and Prometheus metrics.
 *
 * Runs in a cluster (in-cluster ServiceAccount) or against a kubeconfig
 * context (`deno task run`). `--help` lists the flags.
 *
 * @module
 */

import { parseFlagArgs } from "./lib/args.ts";
import { parseDuration as parseDurationText } from "./lib/duration.ts";
import { UsageError } from "./lib/errors.ts";
import { ClusterRegistry } from "./controllers/clusters.ts";
import {
  ClusterDetectorController,
  clusterDetectorInformer,
  KUBECONFIG_SECRET_NAME,
} from "./controllers/cluster_detector.ts";
import { ReplicatorController } from "./controllers/replicator/mod.ts";
import { DEFAULT_NAMESPACE } from "./lib/api.ts";
import { KubeClient } from "./lib/kube/client.ts";
import { EventRecorder } from "./lib/kube/events.ts";
import { type LeaderElectionTimes, leaderElectionTimesProblem } from "./lib/kube/leader.ts";
import { Manager, parseBindAddress } from "./lib/kube/manager.ts";
import { Metrics } from "./lib/kube/metrics.ts";
import { connectPrimary, type PrimarySource, primarySource } from "./lib/kube/primary.ts";
import { isRfc1123Subdomain } from "./lib/kubeconfig/mod.ts";
import { createLogger, type Logger, parseLogFormat, parseLogLevel } from "./lib/log.ts";

export { parseBindAddress, type PrimarySource, primarySource, UsageError };

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
  const v = parseFlagArgs(args, {
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
  });
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

/** Runs the operator until SIGTERM/SIGINT; returns the exit code (1 when the leader lease is lost). */
export async function runOperator(flags: OperatorFlags, log: Logger): Promise<number> {
  const source = primarySource(flags, (n) => Deno.env.get(n));
  const metrics = new Metrics({ processMetrics: true });
  const name = source.identity.context;
  const manager = new Manager({
    logger: log,
    metrics,
    healthProbeAddress: parseBindAddress("health-probe-bind-address", flags.healthProbeBindAddress),
    metricsAddress: parseBindAddress("metrics-bind-address", flags.metricsBindAddress),
    leaderElection: flags.leaderElect
      ? {
        connect: (options) => new KubeClient(source.connection, { name, ...options }),
        namespace: flags.namespace,
        name: flags.leaderElectionId,
        ...flags.leaderElection,
      }
      : undefined,
  });
  // One writer: every client the controllers use (the primary's here, each secondary's in the registry)
  // shares the manager's fence, aborted the moment the lease is lost.
  const primary = await connectPrimary(source, manager.clientOptions, log);
  const registry = new ClusterRegistry(manager.clientOptions);
  const events = new EventRecorder({ client: primary, component: "plumber", logger: log });
  manager.add(
    new ClusterDetectorController({
      primary,
      primaryIdentity: source.identity,
      registry,
      namespace: flags.namespace,
      secretName: flags.secretName,
      informers: manager.informers,
      logger: log.child({ controller: "clusterdetector" }),
      events,
      metrics,
      probeIntervalMs: flags.probeIntervalMs,
      probeTimeoutMs: flags.probeTimeoutMs,
      failureThreshold: flags.failureThreshold,
    }),
  );
  manager.add(
    new ReplicatorController({
      primary,
      registry,
      namespace: flags.namespace,
      logger: log.child({ controller: "replicator" }),
      events,
      metrics,
      concurrency: flags.concurrency,
      replicatorSelector: flags.replicatorSelector,
      // The ClusterDetector controller's informer: one watch of ClusterDetectors for both controllers.
      detectors: clusterDetectorInformer(manager.informers, primary, flags.namespace),
    }),
  );
  const code = await manager.run({ startedFields: () => ({ primary: registry.primary?.name }) });
  registry.close();
  primary.close();
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
