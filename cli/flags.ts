/**
 * The flags of `plumberctl` commands: what a command declares ({@linkcode Command},
 * {@linkcode FlagSpec}), parsing its arguments into values with one-line usage errors,
 * typed reads of those values, and the kubectl-style help text.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { DEFAULT_NAMESPACE } from "../lib/api.ts";
import { parseDuration as parseDurationText } from "../lib/duration.ts";
import { UsageError } from "../lib/errors.ts";
import type { CliContext } from "./context.ts";

/** One flag of a command. */
export interface FlagSpec {
  /** Long name without dashes: `target-context`. */
  name: string;
  /** One-letter alias: `o`. */
  short?: string;
  type: "string" | "boolean";
  /** Placeholder in help: `<context>`. */
  value?: string;
  /** Default as shown in help (the command applies it). */
  default?: string;
  description: string;
  required?: boolean;
}

/** The flags every command takes. */
export const COMMON_FLAGS: readonly FlagSpec[] = [
  {
    name: "namespace",
    short: "n",
    type: "string",
    value: "<namespace>",
    default: DEFAULT_NAMESPACE,
    description: "Namespace of the plumber operator, its kubeconfig Secret and ClusterDetectors",
  },
  { name: "debug", type: "boolean", description: "Show stack traces of errors" },
  { name: "help", short: "h", type: "boolean", description: "Show this help" },
];

/** A command: its flags and help, and what it does with them. */
export interface Command {
  name: string;
  /** One line for `plumberctl --help`. */
  summary: string;
  /** `plumberctl add --target-context <context> [flags]` */
  usage: string;
  /** A paragraph or two for the command's help. */
  description: string;
  flags: readonly FlagSpec[];
  examples: readonly string[];
  run(flags: ParsedFlags, ctx: CliContext): Promise<void>;
}

/** Flag values by long name; absent flags are undefined. */
export type ParsedFlags = Record<string, string | boolean | undefined>;

/** The value of a string flag, or undefined when it was not given. */
export function stringFlag(flags: ParsedFlags, name: string): string | undefined {
  const value = flags[name];
  return typeof value === "string" ? value : undefined;
}

/**
 * The value of a required string flag ({@linkcode parseFlags} has checked it is there).
 *
 * @throws {RangeError} when it is missing: a command read a flag it did not declare required.
 */
export function requiredFlag(flags: ParsedFlags, name: string): string {
  const value = stringFlag(flags, name);
  if (value === undefined) throw new RangeError(`Flag --${name} is required but was not parsed`);
  return value;
}

/** Whether a boolean flag was given. */
export function booleanFlag(flags: ParsedFlags, name: string): boolean {
  return flags[name] === true;
}

/** The `--namespace` flag, defaulting to the operator's namespace. */
export function namespaceFlag(flags: ParsedFlags): string {
  return stringFlag(flags, "namespace") ?? DEFAULT_NAMESPACE;
}

function allFlags(command: Command): FlagSpec[] {
  return [...command.flags, ...COMMON_FLAGS];
}

/** Whether the arguments ask for help (before a `--` terminator). */
export function wantsHelp(args: readonly string[]): boolean {
  for (const arg of args) {
    if (arg === "--") return false;
    if (arg === "-h" || arg === "--help") return true;
  }
  return false;
}

/**
 * Parses a command's arguments with `node:util` parseArgs (strict, no positionals),
 * turning its errors into one-line {@linkcode UsageError}s and checking required flags.
 *
 * @example
 * ```ts
 * parseFlags(viewCommand, ["-o", "json"]); // { output: "json", ... }
 * ```
 */
export function parseFlags(command: Command, args: readonly string[]): ParsedFlags {
  const flags = allFlags(command);
  const options: Record<string, { type: "string" | "boolean"; short?: string }> = {};
  for (const flag of flags) {
    options[flag.name] = flag.short ? { type: flag.type, short: flag.short } : { type: flag.type };
  }
  let values: Record<string, string | boolean | (string | boolean)[] | undefined>;
  try {
    values = parseArgs({ args: [...args], options, strict: true, allowPositionals: false }).values;
  } catch (error) {
    throw new UsageError(parseArgsMessage(error, flags), command.name);
  }
  const parsed: ParsedFlags = {};
  for (const flag of flags) {
    let value = values[flag.name];
    if (Array.isArray(value)) value = value.at(-1);
    if (typeof value === "string") {
      // kubectl accepts `-o=json`; parseArgs hands the "=" over with the value.
      if (flag.short && value.startsWith("=")) value = value.slice(1);
      if (value === "") throw new UsageError(`flag --${flag.name} needs a non-empty value`, command.name);
    }
    parsed[flag.name] = value;
  }
  for (const flag of flags) {
    if (flag.required && parsed[flag.name] === undefined) {
      throw new UsageError(
        `missing required flag --${flag.name} ${flag.value ?? ""}`.trimEnd(),
        command.name,
      );
    }
  }
  return parsed;
}

function flagLabel(name: string, flags: readonly FlagSpec[]): string {
  const bare = name.replace(/^-+/, "");
  const flag = flags.find((f) => f.name === bare || f.short === bare);
  return flag ? `--${flag.name}` : name;
}

/** The `code` of a Node-style error (`ERR_PARSE_ARGS_UNKNOWN_OPTION`), if it has one. */
function errorCode(error: unknown): string | undefined {
  if (!(error instanceof Error) || !("code" in error)) return undefined;
  return typeof error.code === "string" ? error.code : undefined;
}

/** A one-line reason from a parseArgs error (its own messages are multi-line and Node-flavoured). */
function parseArgsMessage(error: unknown, flags: readonly FlagSpec[]): string {
  const message = error instanceof Error ? error.message : String(error);
  const quoted = /'([^']+)'/.exec(message)?.[1] ?? "";
  switch (errorCode(error)) {
    case "ERR_PARSE_ARGS_UNKNOWN_OPTION":
      return `unknown flag ${quoted.split(/[ ,]/)[0] ?? quoted}`;
    case "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL":
      return `unexpected argument "${quoted}" (this command takes flags only)`;
    case "ERR_PARSE_ARGS_INVALID_OPTION_VALUE": {
      // "Option '-o, --output <value>' argument missing" / "Option '--cleanup' does not take an argument"
      const names = quoted.split(/[ ,]+/).filter((part) => part.startsWith("-"));
      const label = flagLabel(names.at(-1) ?? quoted, flags);
      if (/does not take an argument/.test(message)) return `flag ${label} takes no value`;
      return `flag ${label} needs a value`;
    }
    default:
      return message.split("\n")[0] ?? message;
  }
}

/** The help of one command, kubectl-style: description, usage, flags with defaults, examples. */
export function commandHelp(command: Command): string {
  const render = (flags: readonly FlagSpec[]) => {
    const heads = flags.map((f) =>
      `${f.short ? `-${f.short}, ` : "    "}--${f.name}${f.value ? ` ${f.value}` : ""}`
    );
    const width = Math.max(...heads.map((h) => h.length)) + 3;
    return flags.map((f, i) => {
      const extra = f.required ? " (required)" : f.default !== undefined ? ` (default ${f.default})` : "";
      return `  ${(heads[i] ?? "").padEnd(width)}${f.description}${extra}`;
    }).join("\n");
  };
  return [
    command.description.trim(),
    "",
    "Usage:",
    `  ${command.usage}`,
    "",
    "Flags:",
    render(command.flags),
    "",
    "Common flags:",
    render(COMMON_FLAGS),
    "",
    "Examples:",
    ...command.examples.map((e) => `  ${e}`),
    "",
  ].join("\n");
}

/**
 * Parses a Go-style duration flag value (`60s`, `2m`, `1m30s`, `500ms`, `1h`) into milliseconds.
 *
 * @throws {UsageError} `invalid value "abc" for --timeout: expected a duration such as 60s, 2m or 1m30s`
 */
export function parseDuration(text: string, flag: string, command: string): number {
  const ms = parseDurationText(text);
  if (ms === undefined) {
    throw new UsageError(
      `invalid value "${text}" for --${flag}: expected a positive duration such as 60s, 2m or 1m30s`,
      command,
    );
  }
  return ms;
}
