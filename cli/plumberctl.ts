/**
 * `plumberctl`: register clusters with the plumber operator.
 *
 * The only place where errors become exit codes: 0 ok, 1 runtime error, 2 usage
 * error, each error as one line `plumberctl: <reason>` on stderr (`--debug` adds the
 * stack). Compiled with `deno compile` (see `cli/compile.ts`).
 *
 * @example
 * ```sh
 * deno run -A cli/plumberctl.ts activate --path ~/.kube/config --activate-context primary
 * deno run -A cli/plumberctl.ts add --target-context secondary1
 * deno run -A cli/plumberctl.ts view
 * ```
 *
 * @module
 */

import denoJson from "../deno.json" with { type: "json" };
import { CliError, EXIT_FAILURE, UsageError } from "../lib/errors.ts";
import { redactText } from "../lib/redact.ts";
import { type CliContext, processContext } from "./context.ts";
import { errorLine } from "./error_text.ts";
import { COMMANDS, ROOT_FLAGS as ROOT_FLAG_SPECS } from "./command_list.ts";
import { commandHelp, parseFlags, wantsHelp } from "./flags.ts";

/** Version printed by `--version`. */
export const VERSION: string = denoJson.version;

export { type CommandEntry, COMMANDS } from "./command_list.ts";

/** `plumberctl --help` (loads every command for its summary). */
export async function rootHelp(): Promise<string> {
  const commands = await Promise.all(COMMANDS.map((entry) => entry.load()));
  const width = Math.max(...commands.map((c) => c.name.length)) + 3;
  return [
    "plumberctl registers Kubernetes clusters with the plumber replication operator.",
    "",
    "Usage:",
    "  plumberctl <command> [flags]",
    "",
    "Commands:",
    ...commands.map((c) => `  ${c.name.padEnd(width)}${c.summary}`),
    "",
    "Flags:",
    ...ROOT_FLAG_SPECS.map((f) =>
      `  ${f.short ? `-${f.short}, ` : "    "}${`--${f.name}`.padEnd(12)}${f.description}`
    ),
    "",
    "Examples:",
    "  plumberctl activate --path ~/.kube/config --activate-context primary",
    "  plumberctl add --target-context secondary1",
    "  plumberctl add --target-context secondary2 --label region=west",
    "  plumberctl label secondary1 region=east",
    "  plumberctl view --show-labels -l region=east",
    "  plumberctl remove --context secondary1 --cleanup",
    "  source <(plumberctl completion bash)",
    "",
    'As a kubectl plugin: install the binary as "kubectl-plumber" on PATH, then "kubectl plumber view".',
    'Configuration: ~/.plumber/config.toml (written by "plumberctl activate").',
    "Exit codes: 0 success, 1 error, 2 usage error.",
    "",
  ].join("\n");
}

const ROOT_FLAGS = new Set(
  ROOT_FLAG_SPECS.flatMap((f) => [`--${f.name}`, ...(f.short ? [`-${f.short}`] : [])]),
);

/**
 * Runs plumberctl with `args` and returns the exit code; never throws.
 *
 * @example
 * ```ts
 * Deno.exit(await main(Deno.args));
 * ```
 */
export async function main(args: readonly string[], ctx: CliContext = processContext()): Promise<number> {
  const debug = args.includes("--debug");
  try {
    const index = args.findIndex((arg) => !arg.startsWith("-"));
    const before = index === -1 ? args : args.slice(0, index);
    for (const arg of before) {
      if (!ROOT_FLAGS.has(arg)) {
        throw new UsageError(
          arg.startsWith("-")
            ? `unknown flag ${arg.split("=")[0]} before the command (command flags go after it)`
            : `unexpected argument "${arg}"`,
          "",
        );
      }
    }
    if (index === -1) {
      if (before.includes("--version")) {
        ctx.stdout(`plumberctl ${VERSION}\n`);
        return 0;
      }
      ctx.stdout(await rootHelp());
      return 0;
    }
    const name = args[index] ?? "";
    const rest = [...before.filter((arg) => arg === "--debug"), ...args.slice(index + 1)];
    if (name === "help") {
      const topic = rest.find((arg) => !arg.startsWith("-"));
      const entry = COMMANDS.find((c) => c.name === topic);
      if (topic !== undefined && !entry) throw new UsageError(`unknown command "${topic}"`, "");
      ctx.stdout(entry ? commandHelp(await entry.load()) : await rootHelp());
      return 0;
    }
    const entry = COMMANDS.find((c) => c.name === name);
    if (!entry) {
      throw new UsageError(
        `unknown command "${name}"; commands: ${COMMANDS.map((c) => c.name).join(", ")}`,
        "",
      );
    }
    const command = await entry.load();
    if (wantsHelp(rest) || before.includes("-h") || before.includes("--help")) {
      ctx.stdout(commandHelp(command));
      return 0;
    }
    await command.run(parseFlags(command, rest), ctx);
    return 0;
  } catch (error) {
    ctx.stderr(`${errorLine(error)}\n`);
    if (debug && error instanceof Error && error.stack) {
      let detail = error.stack;
      for (let cause = error.cause; cause instanceof Error; cause = cause.cause) {
        detail += `\nCaused by: ${cause.stack ?? cause.message}`;
      }
      ctx.stderr(`${redactText(detail)}\n`);
    }
    return error instanceof CliError ? error.exitCode : EXIT_FAILURE;
  }
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
