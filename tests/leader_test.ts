/**
 * Leader election on a real kube-apiserver: two candidate processes
 * (`tests/fixtures/elector.ts`) killed and stopped, a leader cut off from the
 * API server by a frozen TCP proxy, `tryAcquireOrRenew()` step by step, and
 * two operators (`main.ts --leader-elect`) replicating under load while the
 * leader is cut off from the primary only: its fence stops every request to
 * the secondaries by the renew deadline and it exits before the other writes.
 *
 * Short times (lease 3 s, renew deadline 2 s, retry 0.5 s) keep it quick.
 */

import assert from "node:assert/strict";
import { KubeClient, type RequestRecord } from "../lib/kube/client.ts";
import { LeaderElectionLostError, LeaderElector } from "../lib/kube/leader.ts";
import { adminClient, adminConnection, eventually, sharedControlPlane, uniqueName } from "./harness.ts";
import type { ClusterConnection } from "../lib/kubeconfig.ts";
import { TcpProxy } from "./fixtures/tcp_proxy.ts";
import { stringify } from "yaml";
import { kubeconfigFor } from "./control_plane.ts";
import {
  kubeconfigFor as secretKubeconfig,
  operatorArgs,
  OperatorProcess,
  prepareOperatorNamespace,
  startOperator,
  writeKubeconfigSecret,
} from "./operator.ts";
import {
  clients,
  deleteAndWaitGone,
  ref,
  REP,
  replicatorManifest,
  SECONDARY1,
  SECONDARY2,
  waitSynced,
} from "./replicators.ts";

const FIXTURE = new URL("./fixtures/elector.ts", import.meta.url).pathname;
const REPO_ROOT = new URL("../", import.meta.url).pathname;
const LEASE_MS = 3000;
const RENEW_MS = 2000;
const RETRY_MS = 500;

interface Lease {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace: string; resourceVersion: string };
  spec: {
    holderIdentity?: string;
    leaseDurationSeconds?: number;
    acquireTime?: string;
    renewTime?: string;
    leaseTransitions?: number;
  };
}

interface ElectorEvent {
  event: "candidate" | "leading" | "work" | "stopped";
  identity: string;
  at: number;
  writtenAt?: number;
  resourceVersion?: string;
  lost?: boolean;
}

type WorkConfigMap = { metadata: { resourceVersion: string }; data: { at: string; first: string } };

/** One `tests/fixtures/elector.ts` process and the JSON lines it printed. */
class Candidate {
  readonly identity: string;
  readonly events: ElectorEvent[] = [];
  readonly status: Promise<Deno.CommandStatus>;
  exited = false;
  #child: Deno.ChildProcess;
  #stdout: Promise<void>;
  #stderr: Promise<string>;

  constructor(identity: string, args: string[]) {
    this.identity = identity;
    this.#child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", FIXTURE, ...args, "--identity", identity],
      cwd: REPO_ROOT,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    this.status = this.#child.status.then((status) => {
      this.exited = true;
      return status;
    });
    this.#stdout = this.#readLines(this.#child.stdout, (line) => {
      try {
        this.events.push(JSON.parse(line));
      } catch {
        // not one of ours (a Deno warning, say); it shows in the logs on failure
      }
    });
    this.#stderr = new Response(this.#child.stderr).text();
  }

  async #readLines(stream: ReadableStream<Uint8Array>, onLine: (line: string) => void): Promise<void> {
    let buffer = "";
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
      buffer += chunk;
      let newline: number;
      while ((newline = buffer.indexOf("\n")) >= 0) {
        onLine(buffer.slice(0, newline));
        buffer = buffer.slice(newline + 1);
      }
    }
    if (buffer) onLine(buffer);
  }

  /** The first event of a type, if printed. */
  first(type: ElectorEvent["event"]): ElectorEvent | undefined {
    return this.events.find((e) => e.event === type);
  }

  all(type: ElectorEvent["event"]): ElectorEvent[] {
    return this.events.filter((e) => e.event === type);
  }

  get workConfigMap(): string {
    return `work-${this.identity}`;
  }

  kill(signal: Deno.Signal): void {
    if (this.exited) return;
    try {
      this.#child.kill(signal);
    } catch {
      // already gone
    }
  }

  /** Kills the process if still running and waits for it and its output; returns its stderr. */
  async close(): Promise<string> {
    this.kill("SIGKILL");
    await this.status;
    await this.#stdout;
    return await this.#stderr;
  }
}

function electorArgs(kubeconfigPath: string, namespace: string, lease: string): string[] {
  return [
    "--kubeconfig",
    kubeconfigPath,
    "--context",
    "primary",
    "--namespace",
    namespace,
    "--name",
    lease,
    "--lease-ms",
    String(LEASE_MS),
    "--renew-ms",
    String(RENEW_MS),
    "--retry-ms",
    String(RETRY_MS),
  ];
}

/** Runs `body` with two candidate processes, closing both (and showing their logs on failure). */
async function withCandidates(
  namespace: string,
  lease: string,
  body: (candidates: [Candidate, Candidate]) => Promise<void>,
): Promise<void> {
  const state = await sharedControlPlane();
  const args = electorArgs(state.kubeconfigPath, namespace, lease);
  const candidates: [Candidate, Candidate] = [
    new Candidate(uniqueName("a"), args),
    new Candidate(uniqueName("b"), args),
  ];
  let failure: unknown;
  try {
    await body(candidates);
  } catch (error) {
    failure = error;
  } finally {
    const logs = await Promise.all(candidates.map((c) => c.close()));
    if (failure !== undefined) {
      const detail = candidates.map((c, i) =>
        `--- ${c.identity} stdout ---\n${c.events.map((e) => JSON.stringify(e)).join("\n")}\n` +
        `--- ${c.identity} stderr (last lines) ---\n${logs[i]!.trimEnd().split("\n").slice(-15).join("\n")}`
      ).join("\n");
      if (failure instanceof Error) failure.message += `\n${detail}`;
    }
  }
  if (failure !== undefined) throw failure;
}

/** The one candidate that printed `leading`, once exactly one has. */
function soleLeader(candidates: Candidate[]): Candidate | undefined {
  const leading = candidates.filter((c) => c.first("leading"));
  return leading.length === 1 ? leading[0] : undefined;
}

async function withNamespace(client: KubeClient, body: (namespace: string) => Promise<void>): Promise<void> {
  const namespace = uniqueName("leader");
  await client.create({ apiVersion: "v1", kind: "Namespace", metadata: { name: namespace } });
  try {
    await body(namespace);
  } finally {
    await client.delete({ apiVersion: "v1", kind: "Namespace", name: namespace });
  }
}

function leaseRef(namespace: string, name: string) {
  return { apiVersion: "coordination.k8s.io/v1", kind: "Lease", namespace, name };
}

/** Every version of a lease, from a watch started before anyone writes it. */
class LeaseHistory {
  readonly versions: Lease["spec"][] = [];
  #abort = new AbortController();
  #done: Promise<void>;

  constructor(client: KubeClient, namespace: string, name: string) {
    this.#done = (async () => {
      const events = client.watch<Lease>("coordination.k8s.io/v1", "Lease", {
        namespace,
        fieldSelector: `metadata.name=${name}`,
        signal: this.#abort.signal,
      });
      for await (const event of events) {
        if (event.type !== "BOOKMARK") this.versions.push(event.object.spec ?? {});
      }
    })();
  }

  /** Holders in order, each repeated one only once. */
  get holders(): string[] {
    const holders: string[] = [];
    for (const spec of this.versions) {
      const holder = spec.holderIdentity ?? "";
      if (holders.at(-1) !== holder) holders.push(holder);
    }
    return holders;
  }

  /** The last renewTime written by `holder`, in ms epoch. */
  lastRenewal(holder: string): number | undefined {
    const spec = this.versions.findLast((s) => s.holderIdentity === holder);
    return spec?.renewTime ? Date.parse(spec.renewTime) : undefined;
  }

  async stop(): Promise<void> {
    this.#abort.abort();
    await this.#done;
  }
}

Deno.test("Leader election processes: one leads, a SIGKILLed leader is replaced within the lease duration, and their work never overlaps", async () => {
  const client = adminClient(await sharedControlPlane(), "primary");
  try {
    await withNamespace(client, async (namespace) => {
      const lease = "plumber-leader";
      const history = new LeaseHistory(client, namespace, lease);
      await withCandidates(namespace, lease, async (candidates) => {
        const first = await eventually("one candidate to lead", () => soleLeader(candidates), {
          timeoutMs: 20_000,
        });
        const second = candidates.find((c) => c !== first)!;
        await eventually("the other candidate to start campaigning", () => second.first("candidate"), {
          timeoutMs: 20_000,
        });
        // A whole lease duration and more of work while the other campaigns: it must not lead meanwhile.
        const campaigning = second.first("candidate")!.at;
        await eventually(
          "the leader to keep working for longer than a lease duration",
          () => first.all("work").filter((w) => w.at > campaigning + LEASE_MS + RETRY_MS).length > 0,
          { timeoutMs: 20_000 },
        );
        assert.equal(second.first("leading"), undefined, "only one candidate leads");
        const held = await client.get<Lease>(leaseRef(namespace, lease));
        assert.equal(held.spec.holderIdentity, first.identity);
        assert.equal(held.spec.leaseDurationSeconds, LEASE_MS / 1000);

        const killedAt = Date.now();
        first.kill("SIGKILL");
        await first.status;
        const leading = await eventually("the other candidate to take over", () => second.first("leading"), {
          timeoutMs: 20_000,
        });
        const takeoverMs = leading.at - killedAt;
        await eventually("the watch to see the new holder", () => history.holders.at(-1) === second.identity);
        const lastRenewal = history.lastRenewal(first.identity)!;
        console.log(
          `takeover after SIGKILL: ${takeoverMs} ms; ${leading.at - lastRenewal} ms after the last renewal ` +
            `(lease ${LEASE_MS} ms, retry ${RETRY_MS} ms)`,
        );
        // It waited for the lease to expire: a whole lease duration after the dead leader's last renewal.
        assert.ok(
          leading.at - lastRenewal >= LEASE_MS,
          `took over ${leading.at - lastRenewal} ms after renewal`,
        );
        // The renewal is seen within a retry period (+20 % jitter), the expiry acted on within another;
        // the rest is slack for a loaded machine.
        const bound = LEASE_MS + 2 * RETRY_MS * 1.2 + 1000;
        assert.ok(takeoverMs <= bound, `took over after ${takeoverMs} ms, more than ${bound} ms`);
        assert.deepEqual(history.holders, [first.identity, second.identity]);

        // No overlap, as the server saw it: the killed leader's last write landed before the new one's first.
        const newFirst = await eventually("the new leader's first work write", () => second.first("work"));
        const oldLast = await client.get<WorkConfigMap>({
          apiVersion: "v1",
          kind: "ConfigMap",
          namespace,
          name: first.workConfigMap,
        });
        assert.ok(
          Number(oldLast.data.at) < newFirst.writtenAt!,
          "the new leader acted before the old one stopped",
        );
        // resourceVersions are opaque to clients, but on one etcd they are its global revision: a total order.
        assert.ok(Number(oldLast.metadata.resourceVersion) < Number(newFirst.resourceVersion));
        const taken = await client.get<Lease>(leaseRef(namespace, lease));
        assert.equal(taken.spec.holderIdentity, second.identity);
        assert.equal(taken.spec.leaseTransitions, (held.spec.leaseTransitions ?? 0) + 1);
      }).finally(() => history.stop());
    });
  } finally {
    client.close();
  }
});

Deno.test("Leader election processes: a leader stopped with SIGTERM releases the lease and the other takes over at once", async () => {
  const client = adminClient(await sharedControlPlane(), "primary");
  try {
    await withNamespace(client, async (namespace) => {
      const lease = "plumber-leader";
      const history = new LeaseHistory(client, namespace, lease);
      try {
        await withCandidates(namespace, lease, async (candidates) => {
          const first = await eventually("one candidate to lead", () => soleLeader(candidates), {
            timeoutMs: 20_000,
          });
          const second = candidates.find((c) => c !== first)!;
          const campaigning = await eventually("the other to campaign", () => second.first("candidate"), {
            timeoutMs: 20_000,
          });
          // Let the other candidate look at the held lease a few times first.
          await eventually(
            "a few more work writes",
            () => first.all("work").filter((w) => w.at > campaigning.at + 3 * RETRY_MS).length > 0,
            { timeoutMs: 20_000 },
          );
          assert.equal(second.first("leading"), undefined);

          const terminatedAt = Date.now();
          first.kill("SIGTERM");
          const status = await first.status;
          assert.equal(status.code, 0, "SIGTERM ends the candidate with exit code 0");
          assert.equal(first.first("stopped")?.lost, false);
          const leading = await eventually(
            "the other candidate to take over",
            () => second.first("leading"),
            {
              timeoutMs: 20_000,
            },
          );
          const takeoverMs = leading.at - terminatedAt;
          console.log(
            `takeover after SIGTERM: ${takeoverMs} ms (lease ${LEASE_MS} ms, retry ${RETRY_MS} ms)`,
          );
          assert.ok(takeoverMs < LEASE_MS / 2, `took over after ${takeoverMs} ms, not well under the lease`);
          await eventually(
            "the watch to see the new holder",
            () => history.holders.at(-1) === second.identity,
          );
          assert.deepEqual(history.holders, [first.identity, "", second.identity], "released, then taken");

          // No overlap: every write of the old leader (it exited cleanly, so all are printed) came first.
          const newFirst = await eventually("the new leader's first work write", () => second.first("work"));
          const oldWork = first.all("work");
          const oldLast = oldWork.at(-1)!;
          assert.ok(oldLast.writtenAt! < newFirst.writtenAt!);
          assert.ok(Number(oldLast.resourceVersion) < Number(newFirst.resourceVersion));
          assert.ok(first.first("stopped")!.at <= leading.at, "the old leader had stopped working");
          const oldOnServer = await client.get<WorkConfigMap>({
            apiVersion: "v1",
            kind: "ConfigMap",
            namespace,
            name: first.workConfigMap,
          });
          assert.equal(oldOnServer.metadata.resourceVersion, oldLast.resourceVersion, "no unreported write");

          second.kill("SIGTERM");
          assert.equal((await second.status).code, 0);
          const released = await client.get<Lease>(leaseRef(namespace, lease));
          assert.equal(released.spec.holderIdentity, "");
          assert.equal(released.spec.leaseDurationSeconds, 1);
        });
      } finally {
        await history.stop();
      }
    });
  } finally {
    client.close();
  }
});

Deno.test("LeaderElector.run(): a leader cut off from the API server stops acting by its renew deadline, before another candidate takes over", async () => {
  const state = await sharedControlPlane();
  const primary = state.clusters.find((c) => c.context === "primary")!;
  const admin = adminClient(state, "primary");
  const proxy = new TcpProxy(primary.port);
  const cutOff = new KubeClient({ ...adminConnection(primary), server: `https://127.0.0.1:${proxy.port}` });
  try {
    await withNamespace(admin, async (namespace) => {
      const times = { leaseDurationMs: 2000, renewDeadlineMs: 1200, retryPeriodMs: 300 };
      const a = new LeaderElector({ client: cutOff, namespace, name: "cut", identity: "a", ...times });
      const b = new LeaderElector({ client: admin, namespace, name: "cut", identity: "b", ...times });
      const acted: Record<string, { from?: number; to?: number; reason?: unknown }> = { a: {}, b: {} };
      const lead = (who: string) => async (signal: AbortSignal) => {
        acted[who]!.from = Date.now();
        await new Promise((resolve) => signal.addEventListener("abort", resolve, { once: true }));
        acted[who]!.to = Date.now();
        acted[who]!.reason = signal.reason;
      };
      const history = new LeaseHistory(admin, namespace, "cut");
      const runA = a.run(lead("a"));
      await eventually("a to lead", () => a.isLeader);
      const runB = b.run(lead("b"));
      try {
        const frozenAt = Date.now();
        proxy.freeze();
        const resultA = await runA;
        assert.deepEqual(resultA, { lost: true });
        assert.ok(acted.a!.reason instanceof LeaderElectionLostError, `aborted with ${acted.a!.reason}`);
        assert.match(acted.a!.reason.message, /not renewed within the renew deadline/);
        const stoppedMs = acted.a!.to! - frozenAt;
        // The last renewal started before the freeze and the deadline counts from it (+ slack for a busy machine).
        assert.ok(stoppedMs <= times.renewDeadlineMs + 500, `a acted ${stoppedMs} ms into the partition`);
        // On the deadline itself, though a renewal was hanging then: the renewal that got through last
        // was stamped (renewTime) when its attempt started, so the deadline is no later than this.
        const lastRenewal = history.lastRenewal("a")!;
        const lateMs = acted.a!.to! - (lastRenewal + times.renewDeadlineMs);
        assert.ok(lateMs <= 200, `a stopped ${lateMs} ms after its renew deadline`);
        await eventually("b to take over", () => b.isLeader, { timeoutMs: 10_000 });
        assert.ok(acted.a!.to! < acted.b!.from!, "a stopped before b started");
        console.log(
          `partitioned leader stopped after ${stoppedMs} ms (${lateMs} ms from its renew deadline); ` +
            `the other led ${acted.b!.from! - acted.a!.to!} ms later`,
        );
      } finally {
        b.stop();
        await runB;
        a.stop();
        await runA;
        await history.stop();
      }
    });
  } finally {
    cutOff.close();
    await proxy.close();
    admin.close();
  }
});

Deno.test("LeaderElector.run(): a leader stopped while cut off from the API server ends within the renew deadline", async () => {
  const state = await sharedControlPlane();
  const primary = state.clusters.find((c) => c.context === "primary")!;
  const admin = adminClient(state, "primary");
  const proxy = new TcpProxy(primary.port);
  const cutOff = new KubeClient({ ...adminConnection(primary), server: `https://127.0.0.1:${proxy.port}` });
  try {
    await withNamespace(admin, async (namespace) => {
      const times = { leaseDurationMs: 2000, renewDeadlineMs: 1200, retryPeriodMs: 300 };
      const a = new LeaderElector({ client: cutOff, namespace, name: "shutdown", identity: "a", ...times });
      const running = a.run(() => {});
      await eventually("a to lead", () => a.isLeader);
      proxy.freeze();
      const stoppedAt = Date.now();
      a.stop();
      assert.deepEqual(await running, { lost: false });
      const tookMs = Date.now() - stoppedAt;
      // The release cannot get through; it is given up after the renew deadline.
      assert.ok(tookMs <= times.renewDeadlineMs + 500, `stopping took ${tookMs} ms`);
      const lease = await admin.get<Lease>(leaseRef(namespace, "shutdown"));
      assert.equal(lease.spec.holderIdentity, "a", "not released: it will expire instead");
    });
  } finally {
    cutOff.close();
    await proxy.close();
    admin.close();
  }
});

/** A client whose next create or update first lets a rival act: a race, deterministically. */
class RacedClient extends KubeClient {
  rival?: () => Promise<unknown>;

  constructor(connection: ClusterConnection, observer: (record: RequestRecord) => void) {
    super(connection, { observer });
  }

  async #race(): Promise<void> {
    const rival = this.rival;
    this.rival = undefined;
    await rival?.();
  }

  override async create<T>(...args: Parameters<KubeClient["create"]>): Promise<T> {
    await this.#race();
    return await super.create<T>(...args);
  }

  override async update<T>(...args: Parameters<KubeClient["update"]>): Promise<T> {
    await this.#race();
    return await super.update<T>(...args);
  }
}

Deno.test("tryAcquireOrRenew() creates the lease, renews it, refuses while another holds it, and takes it once expired", async () => {
  const client = adminClient(await sharedControlPlane(), "primary");
  try {
    await withNamespace(client, async (namespace) => {
      const times = { leaseDurationMs: 2000, renewDeadlineMs: 1000, retryPeriodMs: 200 };
      const a = new LeaderElector({ client, namespace, name: "step", identity: "a", ...times });
      const b = new LeaderElector({ client, namespace, name: "step", identity: "b", ...times });
      const read = () => client.get<Lease>(leaseRef(namespace, "step"));

      assert.equal(await a.tryAcquireOrRenew(), true, "creates the lease");
      const created = await read();
      assert.equal(created.spec.holderIdentity, "a");
      assert.equal(created.spec.leaseDurationSeconds, 2);
      assert.equal(created.spec.leaseTransitions, 0);
      assert.equal(created.spec.acquireTime, created.spec.renewTime);
      assert.match(created.spec.renewTime!, /\.\d{6}Z$/, "MicroTime has microseconds");

      assert.equal(await a.tryAcquireOrRenew(), true, "renews");
      const renewed = await read();
      assert.equal(renewed.spec.acquireTime, created.spec.acquireTime);
      assert.ok(Date.parse(renewed.spec.renewTime!) >= Date.parse(created.spec.renewTime!));
      assert.notEqual(renewed.metadata.resourceVersion, created.metadata.resourceVersion);
      assert.equal(renewed.spec.leaseTransitions, 0);

      // While a keeps renewing, b is refused for longer than a lease duration.
      const watchingSince = Date.now();
      while (Date.now() - watchingSince < times.leaseDurationMs + 500) {
        assert.equal(await b.tryAcquireOrRenew(), false, "refused while held and renewed");
        assert.equal(await a.tryAcquireOrRenew(), true);
      }
      assert.equal((await read()).spec.holderIdentity, "a");

      // a stops renewing: b takes over, but only after seeing the lease unchanged for a lease duration.
      const lastSeen = Date.now();
      assert.equal(await b.tryAcquireOrRenew(), false);
      await eventually("b to take the expired lease", () => b.tryAcquireOrRenew(), {
        timeoutMs: 10_000,
        intervalMs: 100,
      });
      const waitedMs = Date.now() - lastSeen;
      assert.ok(waitedMs >= times.leaseDurationMs, `took over after ${waitedMs} ms`);
      const taken = await read();
      assert.equal(taken.spec.holderIdentity, "b");
      assert.equal(taken.spec.leaseTransitions, 1);
      assert.notEqual(taken.spec.acquireTime, created.spec.acquireTime);
      assert.equal(await a.tryAcquireOrRenew(), false, "a, back, is refused");
      assert.equal(a.isLeader, false);
    });
  } finally {
    client.close();
  }
});

Deno.test("tryAcquireOrRenew() answers false when a rival wins the race to create or update the lease (409)", async () => {
  const state = await sharedControlPlane();
  const admin = adminClient(state, "primary");
  const codes: string[] = [];
  const primary = state.clusters.find((c) => c.context === "primary")!;
  const raced = new RacedClient(adminConnection(primary), (r) => codes.push(`${r.method} ${r.code}`));
  try {
    await withNamespace(admin, async (namespace) => {
      const times = { leaseDurationMs: 2000, renewDeadlineMs: 1000, retryPeriodMs: 200 };
      const a = new LeaderElector({ client: raced, namespace, name: "race", identity: "a", ...times });
      const b = new LeaderElector({ client: admin, namespace, name: "race", identity: "b", ...times });
      const c = new LeaderElector({ client: admin, namespace, name: "race", identity: "c", ...times });
      const holder = async () => (await admin.get<Lease>(leaseRef(namespace, "race"))).spec.holderIdentity;

      // a finds no lease, b creates one, a's create fails with 409 AlreadyExists.
      raced.rival = () => b.tryAcquireOrRenew();
      assert.equal(await a.tryAcquireOrRenew(), false);
      assert.deepEqual(codes, ["GET 404", "POST 409"]);
      assert.equal(await holder(), "b");

      // b releases (run + stop); a reads the free lease, c takes it first, a's update fails with 409 Conflict.
      const running = b.run(() => {});
      await eventually("b to lead", () => b.isLeader);
      b.stop();
      assert.deepEqual(await running, { lost: false });
      assert.equal(await holder(), "");
      codes.length = 0;
      raced.rival = () => c.tryAcquireOrRenew();
      assert.equal(await a.tryAcquireOrRenew(), false);
      assert.deepEqual(codes, ["GET 200", "PUT 409"]);
      assert.equal(await holder(), "c");

      // A free lease deleted between a's read and its write: the server answers 409 (not 404) to an
      // update that carries the resourceVersion of a deleted object; false either way, not an error.
      await admin.delete(leaseRef(namespace, "race"));
      await admin.create({ ...leaseRef(namespace, "race"), metadata: { name: "race", namespace }, spec: {} });
      codes.length = 0;
      raced.rival = () => admin.delete(leaseRef(namespace, "race"));
      assert.equal(await a.tryAcquireOrRenew(), false);
      assert.deepEqual(codes, ["GET 200", "PUT 409"]);
    });
  } finally {
    raced.close();
    admin.close();
  }
});

Deno.test("LeaderElector.run(): a leader that sees the lease held by someone else stops at once", async () => {
  const client = adminClient(await sharedControlPlane(), "primary");
  try {
    await withNamespace(client, async (namespace) => {
      const times = { leaseDurationMs: 3000, renewDeadlineMs: 2000, retryPeriodMs: 200 };
      const a = new LeaderElector({ client, namespace, name: "stolen", identity: "a", ...times });
      let stoppedAt = 0;
      const running = a.run(async (signal) => {
        await new Promise((resolve) => signal.addEventListener("abort", resolve, { once: true }));
        stoppedAt = Date.now();
      });
      try {
        await eventually("a to lead", () => a.isLeader);
        // Another writer (a misconfigured second operator, say) takes the lease over.
        const stolenAt = await eventually("the lease to be taken by an intruder", async () => {
          const lease = await client.get<Lease>(leaseRef(namespace, "stolen"));
          const renewTime = new Date().toISOString().replace(/Z$/, "000Z"); // MicroTime
          await client.update({ ...lease, spec: { ...lease.spec, holderIdentity: "intruder", renewTime } });
          return Date.now();
        });
        assert.deepEqual(await running, { lost: true });
        const afterMs = stoppedAt - stolenAt;
        assert.ok(afterMs < times.renewDeadlineMs, `stopped ${afterMs} ms after the lease was taken`);
        // A lost lease is not released: it is not ours.
        assert.equal(
          (await client.get<Lease>(leaseRef(namespace, "stolen"))).spec.holderIdentity,
          "intruder",
        );
      } finally {
        a.stop();
        await running;
      }
    });
  } finally {
    client.close();
  }
});

/** One line of an operator's request log (`--log-level debug`). */
interface LoggedRequest {
  method: string;
  path: string;
  host: string;
  code: string;
  /** When it was sent and when its answer (or failure) came, ms epoch. */
  startedAt: number;
  endedAt: number;
}

function requestLog(operator: OperatorProcess): LoggedRequest[] {
  return operator.logs
    .filter((l) => l.msg === "Read request" || l.msg === "Write request")
    .map((l) => ({
      method: String(l.method),
      path: String(l.path),
      host: String(l.host),
      code: String(l.code),
      startedAt: Date.parse(String(l.startedAt)),
      endedAt: Date.parse(String(l.ts)),
    }));
}

/** Writes of the controllers (not of the leader election). */
function workWrites(requests: LoggedRequest[]): LoggedRequest[] {
  return requests.filter((r) => r.method !== "GET" && !r.path.includes("/leases/"));
}

Deno.test("Operator: a leader cut off from the primary stops every request to the secondaries by its renew deadline, exits 1, and the new leader writes only after its last write", async () => {
  const state = await sharedControlPlane();
  const info = (context: string) => state.clusters.find((c) => c.context === context)!;
  const namespace = uniqueName("fence");
  const test = uniqueName("fence");
  await prepareOperatorNamespace(state, namespace);
  const c = clients(state);
  // The old leader reaches the primary only through this proxy; the other operator directly.
  const primaryProxy = new TcpProxy(info("primary").port);
  // Both reach secondary2 through this one (the Secret says so), secondary1 directly: a request to
  // secondary2 can be held in flight across the old leader's renew deadline.
  const secondary2Proxy = new TcpProxy(info("secondary2").port);
  const secondary2Server = `https://127.0.0.1:${secondary2Proxy.port}`;
  await writeKubeconfigSecret(
    c.primary,
    namespace,
    secretKubeconfig([info("secondary1"), { ...info("secondary2"), server: secondary2Server }]),
  );
  const secondaryHosts = new Set([new URL(info("secondary1").server).host, new URL(secondary2Server).host]);
  const dir = await Deno.makeTempDir();
  const kubeconfigPath = `${dir}/kubeconfig`;
  const primary = info("primary");
  await Deno.writeTextFile(
    kubeconfigPath,
    stringify(
      kubeconfigFor([{ ...primary, server: `https://127.0.0.1:${primaryProxy.port}`, cert: primary.admin }]),
    ),
  );
  const leaderArgs = [
    "--leader-elect",
    "--leader-elect-lease-duration",
    "3s",
    "--leader-elect-renew-deadline",
    "2s",
    "--leader-elect-retry-period",
    "500ms",
  ];
  const options = { namespace, replicatorSelector: `plumber-test=${test}`, extraArgs: leaderArgs };
  const names = [0, 1, 2].map((i) => `${test}-${i}`);
  const edited = names[0]!;
  const operators: OperatorProcess[] = [];
  const drift = new AbortController();
  let drifting: Promise<void> = Promise.resolve();
  let failure: unknown;
  try {
    const old = await startOperator(state, { ...options, kubeconfigPath });
    operators.push(old);
    const standby = new OperatorProcess(operatorArgs(state, options));
    operators.push(standby);
    await standby.waitForLog("Waiting to become the leader");
    for (const name of names) {
      await c.primary.create(replicatorManifest(name, name, { test, targets: [SECONDARY1, SECONDARY2] }));
    }
    for (const name of names) await waitSynced(c.primary, name);

    // Load both leaders want to act on: hand edits of the replicated ConfigMaps in secondary1, which
    // the leader reverts, a few times a second.
    let round = 0;
    drifting = (async () => {
      while (!drift.signal.aborted) {
        round++;
        await Promise.all(
          names.map((name) =>
            c.secondary1.mergePatch(ref("ConfigMap", name, "web"), {
              data: { "index.html": `drift ${round}` },
            })
              .catch(() => {})
          ),
        );
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    })();
    await eventually("the leader to revert drift", () => old.logs.some((l) => l.msg === "Reverted drift"));

    // A reconcile in flight: a spec change (new ConfigMap data, the Service dropped) is applied to
    // secondary1 and pruned there, while its apply to secondary2 hangs; it would prune there next.
    const frozenAt = Date.now();
    secondary2Proxy.freeze();
    await c.primary.mergePatch({ ...REP, name: edited }, {
      spec: { configMapData: { "index.html": "edited" }, serviceName: null, serviceSpec: null },
    });
    await eventually(
      "the leader to prune the Service in secondary1 while secondary2 hangs",
      () => old.logs.some((l) => l.msg === "Pruned" && l.replicator === edited && l.cluster === SECONDARY1),
    );

    const cutAt = Date.now();
    primaryProxy.cut();
    await eventually(
      "the old leader to lose its lease",
      () => old.logs.some((l) => l.msg === "Lost the leader election lease"),
      { timeoutMs: 10_000, intervalMs: 10 },
    );
    // Past its deadline: what secondary2 held is dropped and secondary2 refuses; an old leader that
    // still acted would now retry or go on to prune, with requests sent after its deadline.
    secondary2Proxy.cut();
    const status = await old.status;
    const exitedAt = Date.now();
    secondary2Proxy.restore();
    // (b) It exits 1, at once.
    assert.equal(status.code, 1, "a leader that lost its lease exits 1");
    const lost = old.logs.find((l) => l.msg === "Lost the leader election lease")!;
    const deadline = Date.parse(String(lost.renewDeadline));
    const fenced = old.logs.find((l) => l.msg === "Leadership lost: every request stopped, exiting");
    assert.ok(fenced, "the old leader fenced its clients");
    const fencedAt = Date.parse(String(fenced.ts));
    // Its last renewal started before the cut, and the deadline counts from it.
    assert.ok(deadline <= cutAt + 2000, `renew deadline ${deadline - cutAt} ms after the cut`);
    assert.ok(fencedAt - deadline <= 200, `fenced ${fencedAt - deadline} ms after the renew deadline`);
    assert.ok(exitedAt - fencedAt <= 2000, `exited ${exitedAt - fencedAt} ms after the fence`);

    // (a) After the deadline, not one request to a secondary was sent; the one in flight was cut short.
    const oldRequests = requestLog(old);
    const toSecondaries = oldRequests.filter((r) => secondaryHosts.has(r.host));
    const afterCut = toSecondaries.filter((r) => r.startedAt >= cutAt);
    assert.ok(afterCut.length > 0, "the old leader kept working with the secondaries after the cut");
    const late = toSecondaries.filter((r) => r.startedAt >= deadline);
    assert.deepEqual(late, [], "requests to secondaries sent after the renew deadline");
    const held = toSecondaries.find((r) =>
      r.method === "PATCH" && r.path === `/api/v1/namespaces/${edited}/configmaps/web` &&
      r.host === new URL(secondary2Server).host && r.startedAt >= frozenAt && r.startedAt < cutAt
    );
    assert.ok(held, "the apply to secondary2 was sent between the freeze and the cut");
    assert.equal(held.code, "<error>", JSON.stringify(held));
    assert.ok(
      held.endedAt - deadline <= 200,
      `the held apply ended ${held.endedAt - deadline} ms after the deadline`,
    );

    // (c) The new leader's first write comes after the old leader's last (sent or cut short).
    await standby.waitForLog("Controllers started", 30_000);
    const newFirst = await eventually(
      "the new leader's first write",
      () => workWrites(requestLog(standby))[0],
      {
        timeoutMs: 30_000,
      },
    );
    const oldLast = workWrites(oldRequests).reduce((a, b) => (a.endedAt >= b.endedAt ? a : b));
    const gapMs = newFirst.startedAt - oldLast.endedAt;
    console.log(
      `old leader: cut off at 0 ms, renew deadline ${deadline - cutAt} ms, fenced ${fencedAt - cutAt} ms, ` +
        `exited ${
          exitedAt - cutAt
        } ms; ${afterCut.length} requests to secondaries after the cut, the last sent ` +
        `${Math.max(...toSecondaries.map((r) => r.startedAt)) - cutAt} ms; held apply cut at ${
          held.endedAt - cutAt
        } ms; last write ended ${
          oldLast.endedAt - cutAt
        } ms (${oldLast.method} ${oldLast.path} ${oldLast.code}); ` +
        `new leader's first write ${newFirst.startedAt - cutAt} ms (${newFirst.method} ${newFirst.path}): ` +
        `gap ${gapMs} ms`,
    );
    assert.ok(gapMs > 0, `the new leader wrote ${-gapMs} ms before the old leader's last write ended`);
    // The new leader finishes what the old one was cut off from.
    await eventually(
      "the Service pruned in secondary2 by the new leader",
      async () => !(await c.secondary2.find(ref("Service", edited, "web"))),
      { timeoutMs: 30_000 },
    );
    assert.equal(
      (await c.secondary2.get<{ data: Record<string, string> }>(ref("ConfigMap", edited, "web")))
        .data["index.html"],
      "edited",
    );
  } catch (error) {
    failure = error;
  } finally {
    drift.abort();
    await drifting;
    secondary2Proxy.restore();
    try {
      for (const name of names) await deleteAndWaitGone(c.primary, name).catch(() => {});
    } finally {
      for (const operator of operators) await operator.stop();
      if (failure !== undefined && failure instanceof Error) {
        failure.message += operators.map((o, i) =>
          `\n--- operator ${i} (last lines) ---\n${o.lines.slice(-20).join("\n")}`
        ).join("");
      }
      await primaryProxy.close();
      await secondary2Proxy.close();
      await c.primary.delete({ apiVersion: "v1", kind: "Namespace", name: namespace }).catch(() => {});
      c.close();
      await Deno.remove(dir, { recursive: true });
    }
  }
  if (failure !== undefined) throw failure;
});
