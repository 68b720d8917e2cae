import assert from "node:assert/strict";
import { formatDuration } from "../lib/duration.ts";
import { EXIT_USAGE, UsageError } from "../lib/errors.ts";
import {
  booleanFlag,
  type Command,
  commandHelp,
  namespaceFlag,
  parseDuration,
  parseFlags,
  requiredFlag,
  stringFlag,
  wantsHelp,
} from "./flags.ts";

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

Deno.test("stringFlag(), requiredFlag(), booleanFlag() and namespaceFlag() read parsed values by type", () => {
  const flags = parseFlags(demo, ["--target", "a", "--cleanup", "-n", "team-a"]);
  assert.equal(stringFlag(flags, "target"), "a");
  assert.equal(stringFlag(flags, "output"), undefined);
  assert.equal(stringFlag(flags, "cleanup"), undefined, "a boolean is not a string");
  assert.equal(requiredFlag(flags, "target"), "a");
  assert.throws(() => requiredFlag(flags, "output"), RangeError);
  assert.equal(booleanFlag(flags, "cleanup"), true);
  assert.equal(booleanFlag(flags, "no-wait"), false);
  assert.equal(namespaceFlag(flags), "team-a");
  assert.equal(namespaceFlag(parseFlags(demo, ["--target", "a"])), "plumber-system");
});
