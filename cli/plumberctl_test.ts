import assert from "node:assert/strict";
import type { CliContext } from "./context.ts";
import { COMMANDS, main, VERSION } from "./plumberctl.ts";

/** A context that captures output; HOME is an empty folder unless given. */
function capture(env: Record<string, string> = {}) {
  const out = { stdout: "", stderr: "" };
  const ctx: CliContext = {
    env: (name) => env[name],
    cwd: () => "/",
    stdout: (text) => void (out.stdout += text),
    stderr: (text) => void (out.stderr += text),
    stderrIsTerminal: false,
    now: () => new Date(),
    sleep: () => Promise.resolve(),
    clientOptions: { timeoutMs: 2000, maxRetries: 0 },
  };
  return { ctx, out };
}

async function run(args: string[], env?: Record<string, string>) {
  const { ctx, out } = capture(env ?? { HOME: "/nonexistent-plumberctl-home" });
  const code = await main(args, ctx);
  return { code, ...out };
}

Deno.test("plumberctl --help lists every command and exits 0", async () => {
  for (const args of [["--help"], ["-h"], [], ["help"]]) {
    const { code, stdout, stderr } = await run(args);
    assert.equal(code, 0, args.join(" "));
    assert.equal(stderr, "");
    assert.match(stdout, /^Usage:\n {2}plumberctl <command> \[flags\]$/m);
    for (const command of COMMANDS) assert.match(stdout, new RegExp(`^  ${command.name} +\\S`, "m"));
  }
});

Deno.test("every command has --help and -h with usage, flags with defaults and an example", async () => {
  for (const command of COMMANDS) {
    for (
      const args of [[command.name, "--help"], [command.name, "-h"], ["help", command.name], [
        "-h",
        command.name,
      ]]
    ) {
      const { code, stdout } = await run(args);
      assert.equal(code, 0, args.join(" "));
      assert.match(stdout, new RegExp(`Usage:\\n  plumberctl ${command.name}`));
      assert.match(stdout, /\(default plumber-system\)/);
      assert.match(stdout, new RegExp(`Examples:\\n  plumberctl ${command.name}\\b`));
    }
  }
  // Help wins over other flags, even bad ones, as in kubectl.
  assert.equal((await run(["add", "--bogus", "--help"])).code, 0);
});

Deno.test("plumberctl --version prints the version", async () => {
  const { code, stdout } = await run(["--version"]);
  assert.equal(code, 0);
  assert.equal(stdout, `plumberctl ${VERSION}\n`);
});

Deno.test("usage errors exit 2 with one line naming the reason and the help to read", async () => {
  const cases: [string[], string][] = [
    [
      ["frobnicate"],
      'plumberctl: unknown command "frobnicate"; commands: activate, add, label, remove, view, diff, status, dashboard, completion; see plumberctl --help',
    ],
    [
      ["--kubeconfig", "x", "view"],
      "plumberctl: unknown flag --kubeconfig before the command (command flags go after it); see plumberctl --help",
    ],
    [["help", "nope"], 'plumberctl: unknown command "nope"; see plumberctl --help'],
    [["view", "--bogus"], "plumberctl: unknown flag --bogus; see plumberctl view --help"],
    [
      ["view", "-o", "xml"],
      'plumberctl: invalid value "xml" for --output: expected one of table, wide, json, yaml; see plumberctl view --help',
    ],
    [["view", "-o"], "plumberctl: flag --output needs a value; see plumberctl view --help"],
    [
      ["view", "extra"],
      'plumberctl: unexpected argument "extra" (this command takes flags only); see plumberctl view --help',
    ],
    [
      ["activate", "--path", "/k"],
      "plumberctl: missing required flag --activate-context <context>; see plumberctl activate --help",
    ],
    [["add"], "plumberctl: missing required flag --target-context <context>; see plumberctl add --help"],
    [
      ["add", "--target-context", "s1", "--timeout", "abc"],
      'plumberctl: invalid value "abc" for --timeout: expected a positive duration such as 60s, 2m or 1m30s; see plumberctl add --help',
    ],
    [
      ["add", "--target-context", "s1", "--no-wait=yes"],
      "plumberctl: flag --no-wait takes no value; see plumberctl add --help",
    ],
    [["remove"], "plumberctl: missing required flag --context <context>; see plumberctl remove --help"],
    [
      ["add", "--target-context", "s1", "--label", "Bad Key=x"],
      "plumberctl: invalid value \"Bad Key=x\" for --label: \"Bad Key\" is not a valid label key ([prefix/]name: the name at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit; the prefix a DNS subdomain); see plumberctl add --help",
    ],
    [
      ["add", "--target-context", "s1", "--label", "app.kubernetes.io/role=x"],
      'plumberctl: invalid value "app.kubernetes.io/role=x" for --label: "app.kubernetes.io/role" is reserved: plumber sets app.kubernetes.io/role, app.kubernetes.io/managed-by and every key under plumber.jnytnai0613.github.io/ itself; see plumberctl add --help',
    ],
    [
      ["view", "-l", "region in east"],
      'plumberctl: invalid value "region in east" for --selector: expected "(" after "in" at position 11; see plumberctl view --help',
    ],
    [
      ["label"],
      "plumberctl: missing the cluster (a ClusterDetector or context name); see plumberctl label --help",
    ],
    [
      ["label", "s1"],
      "plumberctl: no label changes given: pass key=value to set or key- to remove, or --list; see plumberctl label --help",
    ],
    [
      ["label", "s1", "region=we st"],
      "plumberctl: invalid label argument \"region=we st\": value \"we st\" of label \"region\" is not a valid label value (at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit, or empty); see plumberctl label --help",
    ],
    [
      ["remove", "--context", "s1", "--cleanup=false"],
      "plumberctl: flag --cleanup takes no value; see plumberctl remove --help",
    ],
  ];
  for (const [args, line] of cases) {
    const { code, stdout, stderr } = await run(args);
    assert.equal(code, 2, args.join(" "));
    assert.equal(stdout, "");
    assert.equal(stderr, `${line}\n`, args.join(" "));
  }
});

Deno.test("usage errors are reported before anything else, even when not activated", async () => {
  // Not activated AND a bad flag value: the usage error wins (nothing was attempted).
  const { code } = await run(["add", "--target-context", "s1", "--timeout", "0s"]);
  assert.equal(code, 2);
});

Deno.test("every command but activate says how to activate when plumberctl is not activated", async () => {
  for (
    const args of [["view"], ["add", "--target-context", "s1", "--no-wait"], ["remove", "--context", "s1"]]
  ) {
    const { code, stderr } = await run(args);
    assert.equal(code, 1, args.join(" "));
    assert.equal(
      stderr,
      "plumberctl: plumberctl is not activated; run plumberctl activate --path <kubeconfig> --activate-context <context>\n",
    );
  }
});

Deno.test("--debug adds the stack trace of an error", async () => {
  const plain = await run(["view"]);
  assert.equal(plain.stderr.split("\n").length, 2, "one line and the final newline");
  const debug = await run(["view", "--debug"]);
  assert.equal(debug.code, 1);
  assert.match(
    debug.stderr,
    /^plumberctl: plumberctl is not activated.*\nCliError: plumberctl is not activated.*\n\s+at /,
  );
  // Also before the command.
  assert.match((await run(["--debug", "view"])).stderr, /\n\s+at /);
});

Deno.test("activate refuses a file that is not a kubeconfig, and an unknown context", async () => {
  const dir = await Deno.makeTempDir({ prefix: "plumberctl-main-" });
  try {
    await Deno.writeTextFile(`${dir}/notes.txt`, "just: [a, list\n");
    const bad = await run(["activate", "--path", `${dir}/notes.txt`, "--activate-context", "p"], {
      HOME: dir,
    });
    assert.equal(bad.code, 1);
    assert.match(
      bad.stderr,
      /^plumberctl: Cannot parse kubeconfig .*notes\.txt: invalid YAML at line \d+, column \d+/,
    );
    await Deno.writeTextFile(
      `${dir}/kubeconfig`,
      "apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: 'https://127.0.0.1:1'}}]\n" +
        "users: [{name: u, user: {token: abc}}]\ncontexts: [{name: one, context: {cluster: c, user: u}}]\n",
    );
    const unknown = await run(["activate", "--path", `${dir}/kubeconfig`, "--activate-context", "two"], {
      HOME: dir,
    });
    assert.equal(unknown.code, 1);
    assert.equal(
      unknown.stderr,
      `plumberctl: Context "two" is not in kubeconfig ${dir}/kubeconfig; its contexts are one\n`,
    );
    await assert.rejects(Deno.stat(`${dir}/.plumber/config.toml`), Deno.errors.NotFound);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("activate with a missing kubeconfig says there is no such file, without redacting words", async () => {
  const dir = await Deno.makeTempDir({ prefix: "plumberctl-main-" });
  try {
    // The case: a path ending in "kubeconfig" followed by ":" is not a secret key.
    const missing = await run(["activate", "--path", "/x/kubeconfig", "--activate-context", "c"], {
      HOME: dir,
    });
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /^plumberctl: Cannot read kubeconfig \/x\/kubeconfig: no such file/i);
    assert.ok(/No such file/i.test(missing.stderr), missing.stderr);
    assert.doesNotMatch(missing.stderr, /REDACTED/);
    // A relative path named like the key resolves against the working directory ("/" here).
    const relative = await run(["activate", "--path", "kubeconfig", "--activate-context", "c"], {
      HOME: dir,
    });
    assert.equal(relative.stderr, "plumberctl: Cannot read kubeconfig /kubeconfig: no such file\n");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
