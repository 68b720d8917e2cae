import assert from "node:assert/strict";
import { KubeApiError } from "../lib/kube/client.ts";
import { KubeconfigStorageError } from "../lib/kubeconfig/storage.ts";
import {
  absolutePath,
  CliError,
  type Command,
  commandHelp,
  configPath,
  connect,
  errorLine,
  EXIT_USAGE,
  explainKubeError,
  formatAge,
  formatConfig,
  formatDuration,
  loadKubeconfig,
  NOT_ACTIVATED,
  parseConfig,
  parseDuration,
  parseFlags,
  parseOutputFormat,
  readConfig,
  renderTable,
  UsageError,
  wantsHelp,
  writeConfig,
} from "./common.ts";

const demo: Command = {
  name: "demo",
  summary: "A command for tests",
  usage: "plumberctl demo --target <x> [flags]",
  description: "Demo.",
  flags: [
    { name: "target", type: "string", value: "<x>", description: "Target", required: true },
    {
      name: "output",
      short: "o",
      type: "string",
      value: "<format>",
      default: "table",
      description: "Format",
    },
    { name: "cleanup", type: "boolean", description: "Clean up" },
    { name: "no-wait", type: "boolean", description: "Do not wait" },
  ],
  examples: ["plumberctl demo --target a"],
  run: () => Promise.resolve(),
};

function usageError(fn: () => unknown, message: RegExp): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof UsageError, `expected a UsageError, got ${error}`);
    assert.equal(error.exitCode, EXIT_USAGE);
    assert.match(error.message, message);
    assert.equal(error.hint, "see plumberctl demo --help");
    return true;
  });
}

Deno.test("parseFlags() reads long, short, attached and `=` values and booleans", () => {
  assert.deepEqual(
    parseFlags(demo, ["--target", "a", "-o", "json", "--cleanup", "--no-wait", "-n", "ns", "--debug"]),
    {
      target: "a",
      output: "json",
      cleanup: true,
      "no-wait": true,
      namespace: "ns",
      debug: true,
      help: undefined,
    },
  );
  assert.equal(parseFlags(demo, ["--target=a", "-ojson"]).output, "json");
  assert.equal(parseFlags(demo, ["--target=a", "-o=yaml"]).output, "yaml");
  assert.equal(parseFlags(demo, ["--target=a", "--output=wide"]).output, "wide");
  assert.equal(parseFlags(demo, ["--target=a"]).namespace, undefined, "defaults are applied by the command");
});

Deno.test("parseFlags() turns every parse failure into a one-line usage error (exit 2)", () => {
  usageError(() => parseFlags(demo, ["--target", "a", "--foo"]), /^unknown flag --foo$/);
  usageError(() => parseFlags(demo, ["--target", "a", "-x"]), /^unknown flag -x$/);
  usageError(() => parseFlags(demo, []), /^missing required flag --target <x>$/);
  usageError(() => parseFlags(demo, ["--target"]), /^flag --target needs a value$/);
  usageError(() => parseFlags(demo, ["--target", "a", "-o"]), /^flag --output needs a value$/);
  usageError(() => parseFlags(demo, ["--target", "a", "--cleanup=yes"]), /^flag --cleanup takes no value$/);
  usageError(() => parseFlags(demo, ["--target="]), /^flag --target needs a non-empty value$/);
  usageError(() => parseFlags(demo, ["--target", "a", "extra"]), /^unexpected argument "extra"/);
  usageError(
    () => parseFlags(demo, ["--output", "--cleanup", "--target", "a"]),
    /^flag --output needs a value$/,
  );
});

Deno.test("wantsHelp() finds -h and --help before a -- terminator", () => {
  assert.equal(wantsHelp(["--target", "a", "-h"]), true);
  assert.equal(wantsHelp(["--help"]), true);
  assert.equal(wantsHelp(["--", "--help"]), false);
  assert.equal(wantsHelp(["--target", "a"]), false);
});

Deno.test("commandHelp() shows usage, flags with defaults and required marks, common flags and examples", () => {
  const help = commandHelp(demo);
  assert.match(help, /^Demo\.\n\nUsage:\n {2}plumberctl demo --target <x> \[flags\]\n/);
  assert.match(help, /--target <x> +Target \(required\)/);
  assert.match(help, /-o, --output <format> +Format \(default table\)/);
  assert.match(help, /-n, --namespace <namespace> +.*\(default plumber-system\)/);
  assert.match(help, /--debug +Show stack traces/);
  assert.match(help, /Examples:\n {2}plumberctl demo --target a\n/);
});

Deno.test("parseDuration() reads Go-style durations and refuses the rest with a usage error", () => {
  assert.equal(parseDuration("60s", "timeout", "add"), 60_000);
  assert.equal(parseDuration("2m", "timeout", "add"), 120_000);
  assert.equal(parseDuration("1m30s", "timeout", "add"), 90_000);
  assert.equal(parseDuration("500ms", "timeout", "add"), 500);
  assert.equal(parseDuration("1h", "timeout", "add"), 3_600_000);
  assert.equal(parseDuration("1.5s", "timeout", "add"), 1500);
  for (const bad of ["abc", "60", "0s", "-5s", "5 s", "5d", ""]) {
    assert.throws(() => parseDuration(bad, "timeout", "add"), (error: unknown) => {
      assert.ok(error instanceof UsageError);
      assert.equal(
        error.message,
        `invalid value "${bad}" for --timeout: expected a positive duration such as 60s, 2m or 1m30s`,
      );
      return true;
    });
  }
});

Deno.test("formatDuration() writes durations as a user would", () => {
  assert.equal(formatDuration(60_000), "1m");
  assert.equal(formatDuration(90_000), "1m30s");
  assert.equal(formatDuration(5_000), "5s");
  assert.equal(formatDuration(0), "0ms");
  assert.equal(formatDuration(3_600_000), "1h");
  assert.equal(formatDuration(250), "250ms");
});

Deno.test("parseOutputFormat() accepts table, wide, json and yaml only", () => {
  assert.equal(parseOutputFormat("json", "view"), "json");
  assert.throws(
    () => parseOutputFormat("xml", "view"),
    (error: unknown) =>
      error instanceof UsageError && error.exitCode === 2 &&
      error.message === 'invalid value "xml" for --output: expected one of table, wide, json, yaml',
  );
});

Deno.test("formatAge() matches kubectl's HumanDuration", () => {
  const s = 1000, m = 60 * s, h = 60 * m, d = 24 * h;
  const cases: [number, string][] = [
    [-5 * s, "<invalid>"],
    [-500, "0s"],
    [0, "0s"],
    [59 * s, "59s"],
    [119 * s, "119s"],
    [2 * m, "2m"],
    [2 * m + 5 * s, "2m5s"],
    [9 * m + 59 * s, "9m59s"],
    [10 * m + 30 * s, "10m"],
    [179 * m, "179m"],
    [3 * h, "3h"],
    [3 * h + 20 * m, "3h20m"],
    [8 * h + 20 * m, "8h"],
    [37 * h, "37h"],
    [2 * d, "2d"],
    [2 * d + 5 * h, "2d5h"],
    [8 * d, "8d"],
    [400 * d, "400d"],
    [2 * 365 * d + 10 * d, "2y10d"],
    [3 * 365 * d, "3y"],
    [9 * 365 * d, "9y"],
  ];
  for (const [ms, age] of cases) assert.equal(formatAge(ms), age, `formatAge(${ms})`);
});

Deno.test("renderTable() aligns columns three spaces apart without trailing blanks", () => {
  assert.equal(
    renderTable(["NAME", "STATUS", "AGE"], [["primary", "Running", "5m"], ["s1", "Unknown", "37h"]]),
    "NAME      STATUS    AGE\n" +
      "primary   Running   5m\n" +
      "s1        Unknown   37h\n",
  );
});

Deno.test("formatConfig() writes the seed's format and parseConfig() reads it back", () => {
  const text = formatConfig({ cluster: "primary", path: "/home/me/.kube/config" });
  assert.equal(text, "cluster = 'primary'\npath = '/home/me/.kube/config'\n");
  assert.deepEqual(parseConfig(text, "config.toml"), { cluster: "primary", path: "/home/me/.kube/config" });
  // A quote cannot be in a literal string: a basic string then.
  const quoted = formatConfig({ cluster: "it's", path: "/tmp/a'b" });
  assert.deepEqual(parseConfig(quoted, "config.toml"), { cluster: "it's", path: "/tmp/a'b" });
  // The seed's file (basic strings are fine too).
  assert.deepEqual(parseConfig('cluster = "primary"\npath = "/x"\n', "c"), {
    cluster: "primary",
    path: "/x",
  });
});

Deno.test("parseConfig() names the file and what is wrong, and says how to fix it", () => {
  assert.throws(() => parseConfig("cluster = 'primary'\n", "/h/.plumber/config.toml"), (error: unknown) => {
    assert.ok(error instanceof CliError);
    assert.match(
      error.message,
      /^Cannot read \/h\/\.plumber\/config\.toml: path is missing; run plumberctl activate/,
    );
    return true;
  });
  assert.throws(
    () => parseConfig("cluster = \npath = 'x'", "c.toml"),
    /Cannot read c\.toml: invalid TOML at line 1/,
  );
  assert.throws(() => parseConfig("cluster = 3\npath = 'x'", "c.toml"), /cluster must be a non-empty string/);
});

Deno.test("writeConfig() writes ~/.plumber/config.toml with mode 0600 in a 0700 folder; readConfig() reads it", async () => {
  const home = await Deno.makeTempDir({ prefix: "plumberctl-home-" });
  try {
    const ctx = { env: (name: string) => (name === "HOME" ? home : undefined) };
    await assert.rejects(readConfig(ctx), (error: unknown) => {
      assert.ok(error instanceof CliError);
      assert.equal(error.message, NOT_ACTIVATED);
      assert.equal(error.exitCode, 1);
      return true;
    });
    const path = await writeConfig(ctx, { cluster: "primary", path: "/k/config" });
    assert.equal(path, `${home}/.plumber/config.toml`);
    assert.equal(configPath(ctx), path);
    assert.equal((await Deno.stat(path)).mode! & 0o777, 0o600);
    assert.equal((await Deno.stat(`${home}/.plumber`)).mode! & 0o777, 0o700);
    assert.equal(await Deno.readTextFile(path), "cluster = 'primary'\npath = '/k/config'\n");
    assert.deepEqual(await readConfig(ctx), { cluster: "primary", path: "/k/config" });
    // Rewriting replaces the file and keeps the mode; no temporary file is left.
    await writeConfig(ctx, { cluster: "other", path: "/k/config" });
    assert.equal((await readConfig(ctx)).cluster, "other");
    assert.deepEqual([...Deno.readDirSync(`${home}/.plumber`)].map((e) => e.name), ["config.toml"]);
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("configPath() refuses to guess when HOME is not set", () => {
  assert.throws(() => configPath({ env: () => undefined }), /HOME is not set/);
});

Deno.test("absolutePath() expands ~ and resolves relative paths against the working directory", () => {
  const ctx = { env: () => "/home/me", cwd: () => "/work" };
  assert.equal(absolutePath("~/.kube/config", ctx), "/home/me/.kube/config");
  assert.equal(absolutePath("kube/../config", ctx), "/work/config");
  assert.equal(absolutePath("/etc/k", ctx), "/etc/k");
});

Deno.test("loadKubeconfig() says when a file is missing or not a kubeconfig", async () => {
  const dir = await Deno.makeTempDir({ prefix: "plumberctl-kc-" });
  try {
    const ctx = { env: () => undefined, cwd: () => dir };
    await assert.rejects(
      loadKubeconfig("missing", ctx),
      /^CliError: Cannot read kubeconfig .*\/missing: no such file$/,
    );
    await Deno.writeTextFile(`${dir}/notes`, "- just\n- a list\n");
    await assert.rejects(
      loadKubeconfig("notes", ctx),
      (error: unknown) =>
        error instanceof CliError &&
        /Cannot parse kubeconfig .*notes: .*\(is .*notes a kubeconfig\?\)/.test(error.message),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("connect() names the context and field of a credential plugin it cannot run", () => {
  const file = {
    path: "/k",
    baseDir: "/",
    config: {
      apiVersion: "v1",
      kind: "Config",
      clusters: [{ name: "c", cluster: { server: "https://127.0.0.1:1" } }],
      users: [{ name: "u", user: { exec: { command: "aws", args: ["eks", "get-token"] } } }],
      contexts: [{ name: "eks", context: { cluster: "c", user: "u" } }],
    },
  };
  assert.throws(
    () => connect(file, "eks", { clientOptions: {} }),
    /^CliError: Cannot connect with context "eks": users\[u\]\.user\.exec is a credential plugin \(command "aws"\), which plumberctl does not run/,
  );
  assert.throws(
    () => connect(file, "nope", { clientOptions: {} }),
    /Context "nope" is not in kubeconfig \/k; its contexts are eks/,
  );
});

Deno.test("explainKubeError() names the server when unreachable and the verb and resource when forbidden", () => {
  const cluster = { context: "secondary1", server: "https://127.0.0.1:1", user: "admin" };
  const refused = new KubeApiError(
    "Cannot get /version on secondary1: error sending request for url (https://127.0.0.1:1/version): client error (Connect): tcp connect error: Connection refused (os error 111)",
    0,
    "ConnectionError",
  );
  assert.equal(
    explainKubeError(refused, cluster).message,
    'Cannot reach the API server of context "secondary1" (https://127.0.0.1:1): connection refused',
  );
  const forbidden = new KubeApiError(
    "Cannot list nodes on secondary1: 403 Forbidden: ...",
    403,
    "Forbidden",
    undefined,
    {
      message:
        'nodes is forbidden: User "system:serviceaccount:plumber-system:plumber" cannot list resource "nodes" in API group "" at the cluster scope',
    },
  );
  assert.equal(
    explainKubeError(forbidden, cluster).message,
    'Forbidden by RBAC in context "secondary1" (https://127.0.0.1:1): nodes is forbidden: User "system:serviceaccount:plumber-system:plumber" cannot list resource "nodes" in API group "" at the cluster scope',
  );
  assert.match(
    explainKubeError(new KubeApiError("x", 401, "Unauthorized"), cluster).message,
    /refused the credentials of user "admin"/,
  );
  const other = new CliError("kept");
  assert.equal(explainKubeError(other, cluster), other);
});

Deno.test("errorLine() prints one line, with the usage hint, and never a secret", () => {
  assert.equal(
    errorLine(new UsageError("unknown flag --foo", "add")),
    "plumberctl: unknown flag --foo; see plumberctl add --help",
  );
  assert.equal(
    errorLine(new UsageError('unknown command "x"', "")),
    'plumberctl: unknown command "x"; see plumberctl --help',
  );
  const storage = new KubeconfigStorageError([
    { context: "a", field: "users[a].user.exec", message: "a credential plugin" },
    { context: "a", field: "clusters[c].cluster.server", message: "missing" },
  ]);
  assert.equal(
    errorLine(storage),
    "plumberctl: Cannot store the kubeconfig (2 problems): users[a].user.exec (context a): a credential plugin; clusters[c].cluster.server (context a): missing",
  );
  assert.equal(errorLine(new Error("first\nsecond")), "plumberctl: first second");
  const jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW0ifQ.c2lnbmF0dXJl";
  const line = errorLine(
    new Error(
      `token: ${jwt} and Bearer ${jwt}\n-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----`,
    ),
  );
  assert.ok(!line.includes(jwt) && !line.includes("MIIB"), line);
  assert.ok(!line.includes("\n"));
});
