/**
 * A local multi-cluster Kubernetes control plane for tests: one etcd shared by
 * every cluster (each under its own `--etcd-prefix`, or an etcd of its own on
 * request), one real kube-apiserver and one kube-controller-manager per cluster,
 * all on loopback with free ports, every certificate made by `lib/pki/`.
 *
 * With nodes (the default when the controller manager runs), each cluster also
 * runs kube-scheduler and KWOK, which plays the kubelet of a few fake Nodes
 * (`tests/kwok/stages.yaml`): Deployments' Pods are scheduled, become Running
 * and Ready, and rollouts complete, without containers. `nodes: false` leaves
 * them out (Pods then stay Pending forever).
 *
 * This is what controller-runtime's envtest does, with more than one cluster.
 *
 * @example
 * ```ts
 * const cp = await ControlPlane.start({ binary: await ensureControlPlaneBinary() });
 * console.log(cp.kubeconfigPath); // contexts primary, secondary1, secondary2
 * await cp.stop();
 * ```
 * @module
 */

import { stringify } from "yaml";
import { ensureKwokBinary } from "./build.ts";
import {
  type CertificateAndKey,
  createCertificateAuthority,
  generateKeyPairPem,
  issueClientCertificate,
  issueServerCertificate,
} from "../lib/pki/mod.ts";

/** One cluster to start: its kubeconfig names and extra kube-apiserver flags. */
export interface ClusterSpec {
  /** Context name in the written kubeconfig. */
  context: string;
  /** Cluster name in the kubeconfig. */
  cluster: string;
  /** User name in the kubeconfig, also the CN of its admin client certificate. */
  user: string;
  /** Extra kube-apiserver flags, e.g. `--etcd-compaction-interval=5s`. */
  apiserverArgs?: string[];
  /** Give this cluster an etcd of its own (compaction then affects no one else). */
  ownEtcd?: boolean;
}

/** The default clusters: their names make the seed's sample apply verbatim. */
export const DEFAULT_CLUSTERS: readonly ClusterSpec[] = [
  { context: "primary", cluster: "kubernetes", user: "kubernetes-admin" },
  { context: "secondary1", cluster: "v1262-cluster", user: "kubernetes-admin2" },
  { context: "secondary2", cluster: "v1252-cluster", user: "kubernetes-admin3" },
];

/** What a test needs to reach one running cluster. */
export interface ClusterInfo {
  context: string;
  cluster: string;
  user: string;
  /** `https://127.0.0.1:<port>` */
  server: string;
  port: number;
  /** The cluster CA; its key lets tests issue further client certificates. */
  ca: CertificateAndKey;
  /** Admin client certificate (O=system:masters). */
  admin: CertificateAndKey;
}

/** The state a running control plane publishes for test processes. */
export interface ControlPlaneState {
  dir: string;
  kubeconfigPath: string;
  clusters: ClusterInfo[];
}

/** Options of {@linkcode ControlPlane.start}. */
export interface ControlPlaneOptions {
  /** Path of the control-plane binary (see `tests/build.ts`). */
  binary: string;
  clusters?: readonly ClusterSpec[];
  /** Working folder; a new temporary one by default, removed by `stop()`. */
  dir?: string;
  /** Start kube-controller-manager for every cluster (default true). */
  controllerManager?: boolean;
  /**
   * Fake Nodes per cluster, run by kube-scheduler and KWOK (default 3 when the
   * controller manager runs, else none); `false` or 0 for none.
   */
  nodes?: number | false;
  /** Path of the KWOK binary (default: built or found by `ensureKwokBinary`). */
  kwokBinary?: string;
  /** How long each component may take to become ready (default 120 s). */
  readyTimeoutMs?: number;
  /** Progress lines (default: none). */
  log?: (line: string) => void;
}

const usedPorts = new Set<number>();

/** A free TCP port on 127.0.0.1, never one handed out before by this process. */
export function freePort(): number {
  for (let attempt = 0; attempt < 50; attempt++) {
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = (listener.addr as Deno.NetAddr).port;
    listener.close();
    if (!usedPorts.has(port)) {
      usedPorts.add(port);
      return port;
    }
  }
  throw new Error("Cannot find a free port on 127.0.0.1");
}

async function tail(path: string, lines = 30): Promise<string> {
  try {
    const text = await Deno.readTextFile(path);
    return text.trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "(no log)";
  }
}

/** A child process whose output goes to a log file. */
class Component {
  readonly name: string;
  readonly logPath: string;
  #child: Deno.ChildProcess;
  #status: Promise<Deno.CommandStatus>;
  exited = false;

  constructor(name: string, binary: string, args: string[], logPath: string) {
    this.name = name;
    this.logPath = logPath;
    // sh only redirects and then execs, so the pid is the component's own.
    this.#child = new Deno.Command("/bin/sh", {
      args: ["-c", 'log="$1"; shift; exec "$@" >>"$log" 2>&1', "sh", logPath, binary, ...args],
      stdin: "null",
      stdout: "null",
      stderr: "null",
      env: { PLUMBER_CP_EXIT_WITH_PARENT: "1" },
    }).spawn();
    this.#status = this.#child.status.then((status) => {
      this.exited = true;
      return status;
    });
  }

  get pid(): number {
    return this.#child.pid;
  }

  get status(): Promise<Deno.CommandStatus> {
    return this.#status;
  }

  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone. */
  async stop(graceMs = 5000): Promise<void> {
    if (this.exited) return;
    try {
      this.#child.kill("SIGTERM");
    } catch {
      // already gone
    }
    const timer = setTimeout(() => {
      try {
        this.#child.kill("SIGKILL");
      } catch {
        // already gone
      }
    }, graceMs);
    await this.#status;
    clearTimeout(timer);
  }

  /** Immediate SIGKILL. */
  async kill(): Promise<void> {
    if (this.exited) return;
    try {
      this.#child.kill("SIGKILL");
    } catch {
      // already gone
    }
    await this.#status;
  }

  /** Explains why the component is not running, from the tail of its log. */
  async failure(what: string): Promise<Error> {
    const log = await tail(this.logPath);
    const portInUse = /address already in use/.test(log) ? " (a port it needs is in use)" : "";
    return new Error(`${this.name} ${what}${portInUse}; last lines of ${this.logPath}:\n${log}`);
  }
}

/** Polls `probe` until true; fails early when `component` (or one of `alsoRunning`) exits. */
async function waitFor(
  component: Component,
  timeoutMs: number,
  probe: () => Promise<boolean>,
  alsoRunning: Component[] = [],
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    for (const c of [component, ...alsoRunning]) {
      if (c.exited) throw await c.failure("exited before it was ready");
    }
    try {
      if (await probe()) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
  throw await component.failure(`was not ready within ${Math.round(timeoutMs / 1000)} s`);
}

interface RunningCluster {
  spec: ClusterSpec;
  info: ClusterInfo;
  dir: string;
  etcdUrl: string;
  apiserver?: Component;
  /** Further kube-apiservers of the same cluster (same etcd prefix), as in an HA control plane. */
  extraApiServers: Component[];
  controllerManager?: Component;
  scheduler?: Component;
  kwok?: Component;
  http: Deno.HttpClient;
}

/** Annotation KWOK is told to manage Nodes by. */
const KWOK_NODE_ANNOTATION = "kwok.x-k8s.io/node";
const STAGES = new URL("./kwok/stages.yaml", import.meta.url);

/** Room for the tests' and the sample's Pods on every fake Node. */
export const FAKE_NODE_CAPACITY = { cpu: "32", memory: "128Gi", pods: "110" } as const;

/** The Node object of fake Node `name`, for KWOK to run. */
export function fakeNode(name: string): Record<string, unknown> {
  return {
    apiVersion: "v1",
    kind: "Node",
    metadata: {
      name,
      annotations: { [KWOK_NODE_ANNOTATION]: "fake" },
      labels: {
        "kubernetes.io/hostname": name,
        "kubernetes.io/os": "linux",
        "kubernetes.io/arch": "amd64",
        type: "kwok",
      },
    },
    spec: {},
    status: { capacity: { ...FAKE_NODE_CAPACITY }, allocatable: { ...FAKE_NODE_CAPACITY } },
  };
}

/** A running set of local clusters. Create with {@linkcode ControlPlane.start}. */
export class ControlPlane {
  readonly dir: string;
  readonly kubeconfigPath: string;
  #options: ControlPlaneOptions;
  #ownsDir: boolean;
  #etcds: Component[] = [];
  #clusters = new Map<string, RunningCluster>();
  #stopped = false;

  private constructor(dir: string, ownsDir: boolean, options: ControlPlaneOptions) {
    this.dir = dir;
    this.#ownsDir = ownsDir;
    this.kubeconfigPath = `${dir}/kubeconfig`;
    this.#options = options;
  }

  /** Starts etcd, then every cluster in parallel, and writes the kubeconfig. */
  static async start(options: ControlPlaneOptions): Promise<ControlPlane> {
    const dir = options.dir ?? await Deno.makeTempDir({ prefix: "plumber-cp-" });
    const cp = new ControlPlane(dir, options.dir === undefined, options);
    try {
      await cp.#start();
      return cp;
    } catch (error) {
      await cp.stop();
      throw error;
    }
  }

  get #timeout(): number {
    return this.#options.readyTimeoutMs ?? 120_000;
  }

  #log(line: string): void {
    this.#options.log?.(line);
  }

  async #startEtcd(name: string): Promise<string> {
    const clientPort = freePort();
    const peerPort = freePort();
    const dataDir = `${this.dir}/etcd-${name}`;
    await Deno.mkdir(dataDir, { recursive: true });
    const client = `http://127.0.0.1:${clientPort}`;
    const peer = `http://127.0.0.1:${peerPort}`;
    const etcd = new Component(`etcd (${name})`, this.#options.binary, [
      "etcd",
      `--name=${name}`,
      `--data-dir=${dataDir}`,
      `--listen-client-urls=${client}`,
      `--advertise-client-urls=${client}`,
      `--listen-peer-urls=${peer}`,
      `--initial-advertise-peer-urls=${peer}`,
      `--initial-cluster=${name}=${peer}`,
      "--unsafe-no-fsync",
      "--log-level=warn",
    ], `${this.dir}/etcd-${name}.log`);
    this.#etcds.push(etcd);
    await waitFor(etcd, this.#timeout, async () => {
      const response = await fetch(`${client}/health`);
      const body = await response.text();
      return response.ok && body.includes('"health":"true"');
    });
    return client;
  }

  async #start(): Promise<void> {
    const started = performance.now();
    const specs = this.#options.clusters ?? DEFAULT_CLUSTERS;
    const needsShared = specs.some((s) => !s.ownEtcd);
    const sharedEtcd = needsShared ? await this.#startEtcd("shared") : "";
    this.#log(`etcd ready after ${Math.round(performance.now() - started)} ms`);
    await Promise.all(specs.map(async (spec) => {
      const etcdUrl = spec.ownEtcd ? await this.#startEtcd(spec.context) : sharedEtcd;
      await this.#prepareCluster(spec, etcdUrl);
    }));
    await this.#writeKubeconfig();
    const kwokBinary = this.nodeCount > 0
      ? this.#options.kwokBinary ?? await ensureKwokBinary({ log: this.#options.log })
      : undefined;
    await Promise.all([...this.#clusters.values()].map((c) => this.#startCluster(c, kwokBinary)));
    const nodes = kwokBinary ? `, ${this.nodeCount} Ready nodes each` : "";
    this.#log(`${specs.length} clusters ready${nodes} after ${Math.round(performance.now() - started)} ms`);
  }

  async #prepareCluster(spec: ClusterSpec, etcdUrl: string): Promise<void> {
    const dir = `${this.dir}/${spec.context}`;
    await Deno.mkdir(dir, { recursive: true });
    const port = freePort();
    const ca = await createCertificateAuthority({ commonName: `${spec.cluster}-ca` });
    const serving = await issueServerCertificate(ca, {
      commonName: "kube-apiserver",
      dnsNames: [
        "localhost",
        "kubernetes",
        "kubernetes.default",
        "kubernetes.default.svc",
        "kubernetes.default.svc.cluster.local",
      ],
      ipAddresses: ["127.0.0.1", "10.0.0.1"],
    });
    const admin = await issueClientCertificate(ca, {
      commonName: spec.user,
      organizations: ["system:masters"],
    });
    // The controller manager acts for every controller with one identity, so it
    // gets system:masters here (production clusters give each controller its own account).
    const kcm = await issueClientCertificate(ca, {
      commonName: "system:kube-controller-manager",
      organizations: ["system:masters"],
    });
    // The same for kube-scheduler and KWOK (which writes Node and Pod status as kubelets would).
    const scheduler = await issueClientCertificate(ca, {
      commonName: "system:kube-scheduler",
      organizations: ["system:masters"],
    });
    const kwok = await issueClientCertificate(ca, { commonName: "kwok", organizations: ["system:masters"] });
    const serviceAccount = await generateKeyPairPem("ecdsa-p256");
    const files: Record<string, string> = {
      "ca.crt": ca.certPem,
      "ca.key": ca.keyPem,
      "apiserver.crt": serving.certPem,
      "apiserver.key": serving.keyPem,
      "sa.key": serviceAccount.privateKeyPem,
      "sa.pub": serviceAccount.publicKeyPem,
    };
    for (const [name, content] of Object.entries(files)) {
      await Deno.writeTextFile(`${dir}/${name}`, content, { mode: 0o600 });
    }
    const server = `https://127.0.0.1:${port}`;
    for (const [name, cert] of [["kcm", kcm], ["scheduler", scheduler], ["kwok", kwok]] as const) {
      await Deno.writeTextFile(
        `${dir}/${name}.kubeconfig`,
        stringify(kubeconfigFor([{ context: name, cluster: spec.cluster, user: name, server, ca, cert }])),
        { mode: 0o600 },
      );
    }
    const info: ClusterInfo = { ...pick(spec), server, port, ca, admin };
    const http = Deno.createHttpClient({ caCerts: [ca.certPem], cert: admin.certPem, key: admin.keyPem });
    this.#clusters.set(spec.context, { spec, info, dir, etcdUrl, http, extraApiServers: [] });
  }

  /** How many fake Nodes each cluster gets. */
  get nodeCount(): number {
    const nodes = this.#options.nodes ?? (this.#options.controllerManager === false ? 0 : 3);
    return nodes === false ? 0 : nodes;
  }

  async #startCluster(c: RunningCluster, kwokBinary: string | undefined): Promise<void> {
    await this.#startApiServer(c);
    await Promise.all([
      this.#options.controllerManager !== false ? this.#startControllerManager(c) : undefined,
      kwokBinary ? this.#startNodes(c, kwokBinary) : undefined,
    ]);
  }

  async #startApiServer(c: RunningCluster): Promise<void> {
    c.apiserver = await this.#launchApiServer(c, c.info.port, "kube-apiserver");
  }

  async #launchApiServer(c: RunningCluster, port: number, logName: string): Promise<Component> {
    const d = c.dir;
    const server = `https://127.0.0.1:${port}`;
    const apiserver = new Component(`${logName} (${c.spec.context})`, this.#options.binary, [
      "kube-apiserver",
      `--etcd-servers=${c.etcdUrl}`,
      `--etcd-prefix=/${c.spec.context}/registry`,
      `--cert-dir=${d}/cert`,
      `--secure-port=${port}`,
      "--bind-address=127.0.0.1",
      "--advertise-address=127.0.0.1",
      "--service-cluster-ip-range=10.0.0.0/24",
      "--allow-privileged=true",
      "--authorization-mode=RBAC",
      `--client-ca-file=${d}/ca.crt`,
      `--tls-cert-file=${d}/apiserver.crt`,
      `--tls-private-key-file=${d}/apiserver.key`,
      "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
      `--service-account-key-file=${d}/sa.pub`,
      `--service-account-signing-key-file=${d}/sa.key`,
      "--endpoint-reconciler-type=none",
      "--profiling=false",
      ...(c.spec.apiserverArgs ?? []),
    ], `${d}/${logName}.log`);
    await waitFor(apiserver, this.#timeout, async () => {
      // Authenticated: during RBAC bootstrap an anonymous probe gets 403.
      const response = await fetch(`${server}/readyz`, { client: c.http });
      await response.body?.cancel();
      return response.ok;
    });
    return apiserver;
  }

  /**
   * Starts one more kube-apiserver for a cluster (same etcd prefix and
   * certificates, another port), as in an HA control plane, and returns its URL.
   */
  async startExtraApiServer(context: string): Promise<string> {
    const c = this.#get(context);
    const port = freePort();
    c.extraApiServers.push(
      await this.#launchApiServer(c, port, `kube-apiserver-${c.extraApiServers.length + 2}`),
    );
    return `https://127.0.0.1:${port}`;
  }

  async #startControllerManager(c: RunningCluster): Promise<void> {
    const d = c.dir;
    c.controllerManager = new Component(`kube-controller-manager (${c.spec.context})`, this.#options.binary, [
      "kube-controller-manager",
      `--kubeconfig=${d}/kcm.kubeconfig`,
      "--leader-elect=false",
      "--controllers=*",
      `--service-account-private-key-file=${d}/sa.key`,
      `--root-ca-file=${d}/ca.crt`,
      `--cluster-signing-cert-file=${d}/ca.crt`,
      `--cluster-signing-key-file=${d}/ca.key`,
      "--secure-port=0",
      "--concurrent-gc-syncs=5",
    ], `${d}/kube-controller-manager.log`);
    // Ready once its service-account controller has made the default namespace's account.
    await waitFor(c.controllerManager, this.#timeout, async () => {
      const response = await fetch(`${c.info.server}/api/v1/namespaces/default/serviceaccounts/default`, {
        client: c.http,
      });
      await response.body?.cancel();
      return response.ok;
    });
  }

  /**
   * Starts kube-scheduler and KWOK for a cluster, registers its fake Nodes and
   * waits until KWOK reports them Ready.
   */
  async #startNodes(c: RunningCluster, kwokBinary: string): Promise<void> {
    const d = c.dir;
    c.scheduler = new Component(`kube-scheduler (${c.spec.context})`, this.#options.binary, [
      "kube-scheduler",
      `--kubeconfig=${d}/scheduler.kubeconfig`,
      "--leader-elect=false",
      "--secure-port=0",
    ], `${d}/kube-scheduler.log`);
    // KWOK cannot notice its parent is gone; `controlplane run` ends it with the test process.
    c.kwok = new Component(`kwok (${c.spec.context})`, this.#options.binary, [
      "run",
      kwokBinary,
      `--kubeconfig=${d}/kwok.kubeconfig`,
      `--config=${STAGES.pathname}`,
      "--manage-all-nodes=false",
      `--manage-nodes-with-annotation-selector=${KWOK_NODE_ANNOTATION}=fake`,
      "--node-ip=127.0.0.1",
      "--cidr=10.244.0.0/16",
      "--node-lease-duration-seconds=40",
    ], `${d}/kwok.log`);
    const names = Array.from({ length: this.nodeCount }, (_, i) => `kwok-node-${i}`);
    for (const name of names) {
      const response = await fetch(`${c.info.server}/api/v1/nodes`, {
        method: "POST",
        client: c.http,
        headers: { "content-type": "application/json" },
        body: JSON.stringify(fakeNode(name)),
      });
      if (!response.ok) {
        throw new Error(`Cannot create fake Node ${name} in ${c.spec.context}: ${await response.text()}`);
      }
      await response.body?.cancel();
    }
    const scheduler = c.scheduler;
    await waitFor(c.kwok, this.#timeout, async () => {
      const response = await fetch(`${c.info.server}/api/v1/nodes`, { client: c.http });
      const list = await response.json() as {
        items?: {
          metadata: { name: string };
          status?: { conditions?: { type: string; status: string }[] };
        }[];
      };
      const ready = new Set(
        (list.items ?? [])
          .filter((n) =>
            n.status?.conditions?.some((cond) => cond.type === "Ready" && cond.status === "True")
          )
          .map((n) => n.metadata.name),
      );
      return names.every((name) => ready.has(name));
    }, [scheduler]);
  }

  async #writeKubeconfig(): Promise<void> {
    const entries = [...this.#clusters.values()].map((c) => ({
      context: c.spec.context,
      cluster: c.spec.cluster,
      user: c.spec.user,
      server: c.info.server,
      ca: c.info.ca,
      cert: c.info.admin,
    }));
    await Deno.writeTextFile(this.kubeconfigPath, stringify(kubeconfigFor(entries)), { mode: 0o600 });
    await Deno.writeTextFile(`${this.dir}/state.json`, JSON.stringify(this.state), { mode: 0o600 });
  }

  /** Path of the JSON {@linkcode ControlPlaneState} for other processes. */
  get statePath(): string {
    return `${this.dir}/state.json`;
  }

  /** What tests pass around: the folder, the kubeconfig and the clusters. */
  get state(): ControlPlaneState {
    return { dir: this.dir, kubeconfigPath: this.kubeconfigPath, clusters: this.clusters };
  }

  /** Every cluster, in start order. */
  get clusters(): ClusterInfo[] {
    return [...this.#clusters.values()].map((c) => c.info);
  }

  /** One cluster by context name. */
  cluster(context: string): ClusterInfo {
    return this.#get(context).info;
  }

  #get(context: string): RunningCluster {
    const c = this.#clusters.get(context);
    if (!c) {
      throw new RangeError(
        `Unknown cluster context "${context}"; known: ${[...this.#clusters.keys()].join(", ")}`,
      );
    }
    return c;
  }

  /** Stops one cluster's kube-apiserver (SIGKILL, like a crash, by default). */
  async stopApiServer(context: string, options: { graceful?: boolean } = {}): Promise<void> {
    const c = this.#get(context);
    if (options.graceful) await c.apiserver?.stop();
    else await c.apiserver?.kill();
  }

  /** Starts a stopped kube-apiserver again on the same port with the same certificates. */
  async startApiServer(context: string): Promise<void> {
    const c = this.#get(context);
    if (c.apiserver && !c.apiserver.exited) return;
    await this.#startApiServer(c);
  }

  /** Resident memory of every process of the control plane (KWOK included), in bytes. */
  async residentBytes(): Promise<number> {
    const pids = [
      ...this.#etcds,
      ...[...this.#clusters.values()].flatMap((c) => [
        c.apiserver,
        c.controllerManager,
        c.scheduler,
        c.kwok,
      ]),
    ]
      .filter((p): p is Component => p !== undefined && !p.exited)
      .map((p) => p.pid);
    let total = 0;
    const pending = [...pids];
    while (pending.length > 0) {
      const pid = pending.pop()!;
      try {
        const status = await Deno.readTextFile(`/proc/${pid}/status`);
        const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
        total += kb * 1024;
        // `controlplane run` holds KWOK as its child: count children too.
        const children = await Deno.readTextFile(`/proc/${pid}/task/${pid}/children`);
        pending.push(...children.trim().split(/\s+/).filter(Boolean).map(Number));
      } catch {
        // gone
      }
    }
    return total;
  }

  /** Ends every process it started and removes its files (when it made the folder). */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    const clusters = [...this.#clusters.values()];
    await Promise.all(
      clusters.flatMap((c) => [c.kwok, c.scheduler, c.controllerManager]).map((p) => p?.stop()),
    );
    await Promise.all(clusters.flatMap((c) => [c.apiserver, ...c.extraApiServers]).map((a) => a?.stop()));
    await Promise.all(this.#etcds.map((e) => e.stop()));
    for (const c of clusters) c.http.close();
    if (this.#ownsDir) await Deno.remove(this.dir, { recursive: true }).catch(() => {});
  }
}

function pick(spec: ClusterSpec): Pick<ClusterInfo, "context" | "cluster" | "user"> {
  return { context: spec.context, cluster: spec.cluster, user: spec.user };
}

function b64(text: string): string {
  return btoa(text);
}

/** One context of a kubeconfig the control plane writes. */
export interface KubeconfigEntry {
  context: string;
  cluster: string;
  user: string;
  server: string;
  ca: CertificateAndKey;
  cert: CertificateAndKey;
}

/** A self-contained kubeconfig (data inlined) with one context per entry; the first is current. */
export function kubeconfigFor(entries: KubeconfigEntry[]): Record<string, unknown> {
  return {
    apiVersion: "v1",
    kind: "Config",
    clusters: entries.map((e) => ({
      name: e.cluster,
      cluster: { server: e.server, "certificate-authority-data": b64(e.ca.certPem) },
    })),
    users: entries.map((e) => ({
      name: e.user,
      user: { "client-certificate-data": b64(e.cert.certPem), "client-key-data": b64(e.cert.keyPem) },
    })),
    contexts: entries.map((e) => ({ name: e.context, context: { cluster: e.cluster, user: e.user } })),
    "current-context": entries[0]?.context,
  };
}
