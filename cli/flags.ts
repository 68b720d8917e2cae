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
  /** A string flag that may be given more than once (`--label a=b --label c=d`); read with `listFlag`. */
  multiple?: boolean;
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
  /** Positional arguments the command takes, for help (`<cluster> <key>=<value>...`); none when absent. */
  args?: string;
  examples: readonly string[];
  run(flags: ParsedFlags, ctx: CliContext): Promise<void>;
}

/** Flag values by long name; absent flags are undefined. Positional arguments under {@linkcode ARGS}. */
export type ParsedFlags = Record<string, string | boolean | string[] | undefined>;

/** The key of {@linkcode ParsedFlags} holding a command's positional arguments. */
export const ARGS = "--";

/** Every value of a repeatable flag, in order (empty when not given). */
export function listFlag(flags: ParsedFlags, name: string): string[] {
  const value = flags[name];
  return Array.isArray(value) ? value : typeof value === "string" ? [value] : [];
}

/** The positional arguments of a command that declares {@linkcode Command.args}. */
export function positionalArgs(flags: ParsedFlags): string[] {
  const value = flags[ARGS];
  return Array.isArray(value) ? value : [];
}

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
  const options: Record<string, { type: "string" | "boolean"; short?: string; multiple?: boolean }> = {};
  for (const flag of flags) {
    options[flag.name] = { type: flag.type, multiple: true, ...(flag.short ? { short: flag.short } : {}) };
  }
  let values: Record<string, string | boolean | (string | boolean)[] | undefined>;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: [...args],
      options,
      strict: true,
      allowPositionals: command.args !== undefined,
    }));
  } catch (error) {
    throw new UsageError(parseArgsMessage(error, flags), command.name);
  }
  const parsed: ParsedFlags = {};
  const clean = (flag: FlagSpec, value: string) => {
    // kubectl accepts `-o=json`; parseArgs hands the "=" over with the value.
    const v = flag.short && value.startsWith("=") ? value.slice(1) : value;
    if (v === "") throw new UsageError(`flag --${flag.name} needs a non-empty value`, command.name);
    return v;
  };
  for (const flag of flags) {
    const all = values[flag.name];
    const list = all === undefined ? [] : Array.isArray(all) ? all : [all];
    if (flag.multiple) {
      parsed[flag.name] = list.length === 0 ? undefined : list.map((v) => clean(flag, String(v)));
      continue;
    }
    const value = list.at(-1);
    parsed[flag.name] = typeof value === "string" ? clean(flag, value) : value;
  }
  if (command.args !== undefined) parsed[ARGS] = positionals;
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
      const extra = (f.required ? " (required)" : f.default !== undefined ? ` (default ${f.default})` : "") +
        (f.multiple ? " (repeatable)" : "");
      return `  ${(heads[i] ?? "").padEnd(width)}${f.description}${extra}`;
    }).join("\n");
  };
  return [
    command.description.trim(),
    "",
    "Usage:",
    `  ${command.usage}`,
    ...(command.args !== undefined ? ["", "Arguments:", `  ${command.args}`] : []),
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
