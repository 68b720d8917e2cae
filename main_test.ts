import assert from "node:assert/strict";
import { HELP, parseBindAddress, parseDuration, parseFlags, primarySource, UsageError } from "./main.ts";

Deno.test("parseFlags() applies the documented defaults", () => {
  const flags = parseFlags([]);
  assert.notEqual(flags, "help");
  if (flags === "help") return;
  assert.equal(flags.namespace, "plumber-system");
  assert.equal(flags.leaderElect, false);
  assert.deepEqual(flags.leaderElection, {
    leaseDurationMs: 15_000,
    renewDeadlineMs: 10_000,
    retryPeriodMs: 2000,
  });
  assert.equal(flags.probeIntervalMs, 10_000);
  assert.equal(flags.probeTimeoutMs, 3000);
  assert.equal(flags.failureThreshold, 3);
  assert.equal(flags.concurrency, 8);
  assert.equal(flags.healthProbeBindAddress, ":8081");
  assert.equal(flags.metricsBindAddress, ":8080");
  assert.equal(flags.logFormat, "json");
  assert.equal(
    parseFlags([], true) !== "help" && (parseFlags([], true) as { logFormat: string }).logFormat,
    "text",
  );
});

Deno.test("parseFlags() reads every flag", () => {
  const flags = parseFlags([
    "--kubeconfig=/k",
    "--context",
    "c",
    "--namespace",
    "ops",
    "--leader-elect",
    "--probe-interval",
    "500ms",
    "--concurrency",
    "8",
    "--log-level",
    "debug",
    "--log-format",
    "text",
    "--replicator-selector",
    "team=a",
    "--leader-elect-lease-duration",
    "3s",
    "--leader-elect-renew-deadline=2s",
    "--leader-elect-retry-period",
    "500ms",
  ]);
  assert.deepEqual(
    flags !== "help" &&
      [flags.kubeconfig, flags.context, flags.namespace, flags.leaderElect, flags.probeIntervalMs],
    ["/k", "c", "ops", true, 500],
  );
  assert.equal(flags !== "help" && flags.replicatorSelector, "team=a");
  assert.deepEqual(flags !== "help" && flags.leaderElection, {
    leaseDurationMs: 3000,
    renewDeadlineMs: 2000,
    retryPeriodMs: 500,
  });
  assert.equal(parseFlags(["-h"]), "help");
});

Deno.test("parseFlags() refuses bad input with a UsageError naming the flag and value", () => {
  const cases: Array<[string[], RegExp]> = [
    [["--bogus"], /bogus/],
    [["--probe-interval", "soon"], /--probe-interval: "soon" is not a positive duration/],
    [["--probe-interval", "0s"], /--probe-interval: "0s" is not a positive duration/],
    [["--concurrency", "0"], /--concurrency: "0" is not a positive whole number/],
    [["--failure-threshold", "2.5"], /--failure-threshold/],
    [["--log-level", "loud"], /loud/],
    [["--log-format", "xml"], /xml/],
    [["--namespace", "Bad_NS"], /--namespace: "Bad_NS"/],
    [
      ["--leader-elect-lease-duration", "15"],
      /--leader-elect-lease-duration: "15" is not a positive duration/,
    ],
    [
      ["--leader-elect-renew-deadline", "15s"],
      /--leader-elect-renew-deadline.*: renew deadline 15000 ms must be shorter than the lease duration 15000 ms/,
    ],
    [
      ["--leader-elect-retry-period", "9s"],
      /: renew deadline 10000 ms must be longer than 1.2 times the retry period 9000 ms/,
    ],
  ];
  for (const [args, message] of cases) {
    assert.throws(() => parseFlags(args), (error: unknown) => {
      assert.ok(error instanceof UsageError, `${args.join(" ")} gives a UsageError`);
      assert.match((error as Error).message, message);
      return true;
    });
  }
});

Deno.test("parseDuration() and parseBindAddress() read what the help text promises", () => {
  assert.equal(parseDuration("x", "1m"), 60_000);
  assert.equal(parseDuration("x", "1.5s"), 1500);
  assert.equal(parseDuration("x", "2h"), 7_200_000);
  assert.deepEqual(parseBindAddress("x", ":8080"), { hostname: "0.0.0.0", port: 8080 });
  assert.deepEqual(parseBindAddress("x", "127.0.0.1:0"), { hostname: "127.0.0.1", port: 0 });
  assert.equal(parseBindAddress("x", "0"), undefined);
  assert.throws(() => parseBindAddress("metrics-bind-address", "8080"), /--metrics-bind-address: "8080"/);
  assert.throws(() => parseBindAddress("x", ":70000"), /out of range/);
});

Deno.test("primarySource() takes the kubeconfig's context names for the primary's ClusterDetector", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/config`;
    await Deno.writeTextFile(
      path,
      `apiVersion: v1
kind: Config
clusters: [{name: kubernetes, cluster: {server: "https://127.0.0.1:6443"}}]
users: [{name: kubernetes-admin, user: {token: abc}}]
contexts: [{name: primary, context: {cluster: kubernetes, user: kubernetes-admin}}]
current-context: primary
`,
    );
    const flags = parseFlags(["--kubeconfig", path]);
    if (flags === "help") throw new Error("unexpected help");
    const source = primarySource(flags, () => undefined);
    assert.deepEqual(source.identity, {
      context: "primary",
      cluster: "kubernetes",
      user: "kubernetes-admin",
    });
    assert.equal(source.connection.server, "https://127.0.0.1:6443");
    const unknown = parseFlags(["--kubeconfig", path, "--context", "nope"]);
    if (unknown === "help") throw new Error("unexpected help");
    assert.throws(
      () => primarySource(unknown, () => undefined),
      /--context: "nope" is not in .*contexts: primary/,
    );
    const renamed = parseFlags(["--kubeconfig", path, "--cluster-name", "hub", "--user-name", "op"]);
    if (renamed === "help") throw new Error("unexpected help");
    assert.deepEqual(primarySource(renamed, () => undefined).identity.cluster, "hub");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("The help text lists the leader election flags", () => {
  for (
    const flag of [
      "--leader-elect ",
      "--leader-election-id",
      "--leader-elect-lease-duration",
      "--leader-elect-renew-deadline",
      "--leader-elect-retry-period",
    ]
  ) {
    assert.ok(HELP.includes(flag), `${flag} is in --help`);
  }
});
