import assert from "node:assert/strict";
import { createLogger } from "../log.ts";
import { Manager, requestObserver, type Runnable } from "./manager.ts";
import { Metrics } from "./metrics.ts";

function recordingLogger() {
  const lines: Array<Record<string, unknown>> = [];
  const logger = createLogger({ level: "debug", write: (line) => lines.push(JSON.parse(line)) });
  return { logger, lines };
}

class FakeController implements Runnable {
  synced = false;
  stopped = false;
  #release!: () => void;
  readonly started = new Promise<void>((resolve) => this.#release = resolve);
  readonly log: string[];
  readonly name: string;
  constructor(name: string, log: string[], readonly fail = false) {
    this.name = name;
    this.log = log;
  }
  /** Resolves when `sync()` is called, as a controller does when its caches are in. */
  async start(): Promise<void> {
    this.log.push(`start ${this.name}`);
    if (this.fail) throw new Error(`${this.name} cannot list ClusterDetectors: forbidden`);
    await this.started;
    this.synced = true;
  }
  sync(): void {
    this.#release();
  }
  stop(): Promise<void> {
    this.log.push(`stop ${this.name}`);
    this.stopped = true;
    return Promise.resolve();
  }
}

async function readyz(port: number): Promise<number> {
  const response = await fetch(`http://127.0.0.1:${port}/readyz`);
  await response.body?.cancel();
  return response.status;
}

async function until(what: string, condition: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

Deno.test("Manager starts controllers in order, is ready once their caches are synced, and stops them with exit code 0", async () => {
  const { logger, lines } = recordingLogger();
  const order: string[] = [];
  const detector = new FakeController("clusterdetector", order);
  const replicator = new FakeController("replicator", order);
  const manager = new Manager({
    logger,
    metrics: new Metrics(),
    healthProbeAddress: { hostname: "127.0.0.1", port: 0 },
    handleSignals: false,
  });
  manager.add(detector);
  manager.add(replicator);
  assert.equal(manager.fence, undefined, "no leader election: nothing to fence");
  const running = manager.run({ startedFields: () => ({ primary: "kubernetes.admin" }) });
  const port = manager.addresses[0]!.port;
  assert.equal(await readyz(port), 500, "not ready before the caches are synced");
  await until("the detector to start", () => order.length === 1);
  assert.deepEqual(order, ["start clusterdetector"], "the replicator waits for the detector");
  detector.sync();
  await until("the replicator to start", () => order.length === 2);
  replicator.sync();
  await until("Controllers started", () => lines.some((l) => l.msg === "Controllers started"));
  assert.equal(lines.find((l) => l.msg === "Controllers started")?.primary, "kubernetes.admin");
  assert.equal(await readyz(port), 200);
  await manager.stop("SIGTERM");
  assert.equal(await running, 0);
  assert.ok(detector.stopped && replicator.stopped);
  assert.ok(lines.some((l) => l.msg === "Shutting down" && l.signal === "SIGTERM"));
});

Deno.test("Manager.run() returns 1 when a controller cannot start, naming why", async () => {
  const { logger, lines } = recordingLogger();
  const manager = new Manager({ logger, metrics: new Metrics(), handleSignals: false });
  manager.add(new FakeController("clusterdetector", [], true));
  assert.equal(await manager.run(), 1);
  const line = lines.find((l) => l.msg === "Cannot start the controllers");
  assert.match(String(line?.error), /cannot list ClusterDetectors: forbidden/);
});

Deno.test("Manager.stop() during a start that never syncs still ends run() with 0", async () => {
  const { logger } = recordingLogger();
  const stuck = new FakeController("clusterdetector", []);
  const manager = new Manager({ logger, metrics: new Metrics(), handleSignals: false });
  manager.add(stuck);
  const running = manager.run();
  await manager.stop();
  assert.equal(await running, 0);
  assert.ok(stuck.stopped);
});

Deno.test("requestObserver() counts each request and logs its target, never a body", async () => {
  const { logger, lines } = recordingLogger();
  const metrics = new Metrics();
  const observe = requestObserver(metrics, logger);
  observe({
    method: "PATCH",
    path: "/api/v1/namespaces/a/configmaps/b",
    code: "200",
    host: "h:6443",
    startedAt: 0,
    durationMs: 3.4,
  });
  assert.equal(lines[0]?.msg, "Write request");
  assert.equal(lines[0]?.path, "/api/v1/namespaces/a/configmaps/b");
  assert.equal(lines[0]?.durationMs, 3);
  assert.match(await metrics.text(), /rest_client_requests_total\{[^}]*method="PATCH"[^}]*\} 1/);
});
