/**
 * What every `plumberctl` command shares: errors with exit codes, the run
 * context (environment, output, clock), flag parsing and help, the config file
 * `~/.plumber/config.toml`, kubeconfig loading, connections to clusters with
 * errors that say what went wrong, the kubeconfig Secret in the primary, and
 * table / age formatting.
 *
 * Commands throw {@linkcode CliError}s; only `cli/plumberctl.ts` turns them into
 * exit codes, so tests can call commands as functions.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { isAbsolute, resolve } from "node:path";
import { parse as parseToml, stringify as stringifyToml, TomlError } from "smol-toml";
import { DEFAULT_NAMESPACE } from "../lib/api.ts";
import { KubeApiError, KubeClient, type KubeClientOptions, type KubeObjectLike } from "../lib/kube/client.ts";
import {
  type ClusterConnection,
  type Kubeconfig,
  KubeconfigStorageError,
  parseKubeconfig,
  resolveConnection,
  serializeKubeconfig,
} from "../lib/kubeconfig/mod.ts";
import { redactText } from "../lib/redact.ts";
import { KUBECONFIG_SECRET_KEY, KUBECONFIG_SECRET_NAME } from "../lib/api.ts";
import { decodeBase64Text, encodeBase64Text } from "../lib/base64.ts";
import { formatDuration, parseDuration as parseDurationText } from "../lib/duration.ts";
import { CliError, EXIT_FAILURE, EXIT_USAGE, UsageError } from "../lib/errors.ts";

export { decodeBase64Text, encodeBase64Text };

// ---------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------

export { CliError, EXIT_FAILURE, EXIT_USAGE, UsageError };

/** The message of not being activated, shared by every command but `activate`. */
export const NOT_ACTIVATED =
  "plumberctl is not activated; run plumberctl activate --path <kubeconfig> --activate-context <context>";

/**
 * The line printed for an error: one line, secrets redacted. Multi-line library
 * messages (a list of problems) are joined with "; ".
 */
export function errorLine(error: unknown): string {
  let message = error instanceof Error ? error.message : String(error);
  if (error instanceof KubeconfigStorageError) {
    // Its own text puts one problem per line (and "kubeconfig:" would look like a secret to redactText).
    const count = `${error.problems.length} problem${error.problems.length === 1 ? "" : "s"}`;
    message = `Cannot store the kubeconfig (${count}): ${
      error.problems.map((p) => `${p.field}${p.context ? ` (context ${p.context})` : ""}: ${p.message}`).join(
        "; ",
      )
    }`;
  }
  if (error instanceof UsageError) message = `${message}; ${error.hint}`;
  // Redact first: a PEM block spans lines.
  const oneLine = redactText(message)
    .replace(/:[ \t]*\n\s*- /, ": ")
    .replace(/\s*\n\s*- /g, "; ")
    .replace(/\s*\n\s*/g, " ");
  return `plumberctl: ${oneLine}`;
}

// ---------------------------------------------------------------------------
// Run context
// ---------------------------------------------------------------------------

/** Everything a command takes from its surroundings, injectable for tests. */
export interface CliContext {
  /** Reads an environment variable (HOME, KUBECONFIG). */
  env(name: string): string | undefined;
  /** The working directory, for relative paths. */
  cwd(): string;
  /** Writes to standard output (text is written as is; add the newline). */
  stdout(text: string): void;
  /** Writes to standard error. */
  stderr(text: string): void;
  /** Whether standard error is a terminal (progress lines are rewritten in place then). */
  stderrIsTerminal: boolean;
  now(): Date;
  sleep(ms: number): Promise<void>;
  /** Options for every {@linkcode KubeClient} the command makes. */
  clientOptions: KubeClientOptions;
}

function writeAll(file: { writeSync(p: Uint8Array): number }, text: string): void {
  const bytes = new TextEncoder().encode(text);
  let written = 0;
  while (written < bytes.length) written += file.writeSync(bytes.subarray(written));
}

/** The context of a real run: process environment, stdout/stderr, wall clock. */
export function processContext(): CliContext {
  return {
    env: (name) => Deno.env.get(name),
    cwd: () => Deno.cwd(),
    stdout: (text) => writeAll(Deno.stdout, text),
    stderr: (text) => writeAll(Deno.stderr, text),
    stderrIsTerminal: Deno.stderr.isTerminal(),
    now: () => new Date(),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    clientOptions: { timeoutMs: 15_000, maxRetries: 2, userAgent: "plumberctl" },
  };
}

// ---------------------------------------------------------------------------
// Flags and help
// ---------------------------------------------------------------------------

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

/** A one-line reason from a parseArgs error (its own messages are multi-line and Node-flavoured). */
function parseArgsMessage(error: unknown, flags: readonly FlagSpec[]): string {
  const code = (error as { code?: string }).code;
  const message = error instanceof Error ? error.message : String(error);
  const quoted = /'([^']+)'/.exec(message)?.[1] ?? "";
  switch (code) {
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

function pad(text: string, width: number): string {
  return text + " ".repeat(Math.max(0, width - text.length));
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
      return `  ${pad(heads[i] ?? "", width)}${f.description}${extra}`;
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

// ---------------------------------------------------------------------------
// Values: durations and output formats
// ---------------------------------------------------------------------------

/**
 * Parses a Go-style duration (`60s`, `2m`, `1m30s`, `500ms`, `1h`) into milliseconds.
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

export { formatDuration };

/** Output formats of `view`. */
export const OUTPUT_FORMATS = ["table", "wide", "json", "yaml"] as const;
/** One of {@linkcode OUTPUT_FORMATS}. */
export type OutputFormat = typeof OUTPUT_FORMATS[number];

/** Checks an `-o` value. @throws {UsageError} for anything but table, wide, json, yaml. */
export function parseOutputFormat(text: string, command: string): OutputFormat {
  if ((OUTPUT_FORMATS as readonly string[]).includes(text)) return text as OutputFormat;
  throw new UsageError(
    `invalid value "${text}" for --output: expected one of ${OUTPUT_FORMATS.join(", ")}`,
    command,
  );
}

/**
 * kubectl's age (apimachinery `duration.HumanDuration`): `45s`, `2m5s`, `12m`, `3h20m`,
 * `37h`, `2d5h`, `90d`, `2y10d`.
 */
export function formatAge(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < -1) return "<invalid>";
  if (seconds < 0) return "0s";
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10) {
    const s = seconds % 60;
    return s === 0 ? `${minutes}m` : `${minutes}m${s}s`;
  }
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.floor(seconds / 3600);
  if (hours < 8) {
    const m = minutes % 60;
    return m === 0 ? `${hours}h` : `${hours}h${m}m`;
  }
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8) {
    const h = hours % 24;
    return h === 0 ? `${Math.floor(hours / 24)}d` : `${Math.floor(hours / 24)}d${h}h`;
  }
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24)}d`;
  if (hours < 24 * 365 * 8) {
    const days = Math.floor(hours / 24) % 365;
    const years = Math.floor(hours / 24 / 365);
    return days === 0 ? `${years}y` : `${years}y${days}d`;
  }
  return `${Math.floor(hours / 24 / 365)}y`;
}

/** A kubectl-style table: upper-case headers, columns separated by three spaces, no trailing blanks. */
export function renderTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: readonly string[]) =>
    cells.map((cell, i) => (i === cells.length - 1 ? cell : pad(cell, widths[i] ?? 0))).join("   ").trimEnd();
  return [line(headers), ...rows.map(line)].join("\n") + "\n";
}

// ---------------------------------------------------------------------------
// Config file
// ---------------------------------------------------------------------------

/** What `activate` stores: the primary's context and the absolute path of its kubeconfig. */
export interface PlumberConfig {
  /** Context of the primary cluster (the seed called the key `cluster`). */
  cluster: string;
  /** Absolute path of the kubeconfig holding that context. */
  path: string;
}

/** `$HOME/.plumber/config.toml`. @throws {CliError} when HOME is not set. */
export function configPath(ctx: Pick<CliContext, "env">): string {
  const home = ctx.env("HOME");
  if (!home) throw new CliError("Cannot find the plumberctl configuration: HOME is not set");
  return `${home.replace(/\/+$/, "")}/.plumber/config.toml`;
}

function tomlString(value: string): string {
  // The seed wrote literal strings; keep them unless the value cannot be one (a quote or a control character).
  const literal = [...value].every((ch) =>
    ch !== "'" && ch.charCodeAt(0) >= 0x20 && ch.charCodeAt(0) !== 0x7f
  );
  return literal ? `'${value}'` : stringifyToml({ v: value }).slice(4).trim();
}

/** The config file text in the seed's format: `cluster = '<context>'` and `path = '<path>'`. */
export function formatConfig(config: PlumberConfig): string {
  return `cluster = ${tomlString(config.cluster)}\npath = ${tomlString(config.path)}\n`;
}

/**
 * Reads a config file's text. @throws {CliError} naming the file and what is wrong.
 */
export function parseConfig(text: string, source: string): PlumberConfig {
  const broken = (reason: string) =>
    new CliError(
      `Cannot read ${source}: ${reason}; run plumberctl activate --path <kubeconfig> --activate-context <context> to rewrite it`,
    );
  let data: Record<string, unknown>;
  try {
    data = parseToml(text) as Record<string, unknown>;
  } catch (error) {
    if (error instanceof TomlError) {
      throw broken(
        `invalid TOML at line ${error.line}, column ${error.column}: ${error.message.split("\n")[0]}`,
      );
    }
    throw broken(String(error));
  }
  for (const key of ["cluster", "path"] as const) {
    const value = data[key];
    if (typeof value !== "string" || value === "") {
      throw broken(value === undefined ? `${key} is missing` : `${key} must be a non-empty string`);
    }
  }
  return { cluster: data.cluster as string, path: data.path as string };
}

/** Reads `~/.plumber/config.toml`. @throws {CliError} {@linkcode NOT_ACTIVATED} when it does not exist. */
export async function readConfig(ctx: Pick<CliContext, "env">): Promise<PlumberConfig> {
  const path = configPath(ctx);
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) throw new CliError(NOT_ACTIVATED);
    throw new CliError(`Cannot read ${path}: ${error instanceof Error ? error.message : String(error)}`);
  }
  return parseConfig(text, path);
}

/** Writes `~/.plumber/config.toml` (folder 0700, file 0600, replaced atomically); returns its path. */
export async function writeConfig(ctx: Pick<CliContext, "env">, config: PlumberConfig): Promise<string> {
  const path = configPath(ctx);
  const dir = path.slice(0, path.lastIndexOf("/"));
  try {
    await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
    const temporary = `${path}.${crypto.randomUUID().slice(0, 8)}.tmp`;
    await Deno.writeTextFile(temporary, formatConfig(config), { mode: 0o600 });
    await Deno.chmod(temporary, 0o600); // mode is subject to umask on create
    await Deno.rename(temporary, path);
  } catch (error) {
    throw new CliError(`Cannot write ${path}: ${error instanceof Error ? error.message : String(error)}`);
  }
  return path;
}

// ---------------------------------------------------------------------------
// Kubeconfig files
// ---------------------------------------------------------------------------

/** A parsed kubeconfig file. */
export interface KubeconfigFile {
  /** Absolute path. */
  path: string;
  /** Folder relative references in the file are resolved against. */
  baseDir: string;
  config: Kubeconfig;
}

/** `~/x` and relative paths made absolute. */
export function absolutePath(path: string, ctx: Pick<CliContext, "env" | "cwd">): string {
  const home = ctx.env("HOME");
  if ((path === "~" || path.startsWith("~/")) && home) path = home + path.slice(1);
  return isAbsolute(path) ? resolve(path) : resolve(ctx.cwd(), path);
}

/** Reads and parses a kubeconfig. @throws {CliError} when unreadable or not a kubeconfig. */
export async function loadKubeconfig(
  path: string,
  ctx: Pick<CliContext, "env" | "cwd">,
): Promise<KubeconfigFile> {
  const absolute = absolutePath(path, ctx);
  let text: string;
  try {
    text = await Deno.readTextFile(absolute);
  } catch (error) {
    const reason = error instanceof Deno.errors.NotFound
      ? "no such file"
      : error instanceof Error
      ? error.message
      : String(error);
    throw new CliError(`Cannot read kubeconfig ${absolute}: ${reason}`);
  }
  let config: Kubeconfig;
  try {
    config = parseKubeconfig(text, absolute);
  } catch (error) {
    // "Cannot parse kubeconfig /x: ..." names the file and field already.
    const message = error instanceof Error ? error.message : String(error);
    const hint = message.startsWith("Cannot parse kubeconfig") ? ` (is ${absolute} a kubeconfig?)` : "";
    throw new CliError(`${message}${hint}`, { cause: error });
  }
  return { path: absolute, baseDir: absolute.slice(0, absolute.lastIndexOf("/")) || "/", config };
}

/** Context names of a kubeconfig, quoted, for messages. */
export function contextList(config: Kubeconfig): string {
  return config.contexts.length === 0
    ? "it has no contexts (is it a kubeconfig?)"
    : `its contexts are ${config.contexts.map((c) => c.name).join(", ")}`;
}

// ---------------------------------------------------------------------------
// Clusters
// ---------------------------------------------------------------------------

/** A connected cluster: its kubeconfig names, server and a client. Close it when done. */
export interface Cluster {
  context: string;
  cluster: string;
  user: string;
  server: string;
  client: KubeClient;
}

/**
 * Connects to a context of a kubeconfig file with its own credentials.
 *
 * @throws {CliError} when the context is unknown (listing the known ones) or its
 * credentials cannot be used by plumberctl (credential plugins, files that cannot be read).
 */
export function connect(
  file: KubeconfigFile,
  context: string,
  ctx: Pick<CliContext, "clientOptions">,
): Cluster {
  const entry = file.config.contexts.find((c) => c.name === context);
  if (!entry) {
    throw new CliError(`Context "${context}" is not in kubeconfig ${file.path}; ${contextList(file.config)}`);
  }
  // The library's own message advises `plumberctl add`, which is what is running here.
  const user = file.config.users.find((u) => u.name === entry.context.user)?.user;
  const plugin = user?.exec
    ? `exec is a credential plugin (command "${user.exec.command}")`
    : user?.["auth-provider"]
    ? `auth-provider is a credential plugin ("${user["auth-provider"].name}")`
    : undefined;
  if (plugin) {
    throw new CliError(
      `Cannot connect with context "${context}": users[${entry.context.user}].user.${plugin}, which plumberctl does not run; use a context with a client certificate or token for this cluster`,
    );
  }
  let connection: ClusterConnection;
  try {
    connection = resolveConnection(file.config, context, { baseDir: file.baseDir });
  } catch (error) {
    throw new CliError(error instanceof Error ? error.message : String(error), { cause: error });
  }
  return {
    context,
    cluster: connection.cluster,
    user: connection.user,
    server: connection.server,
    client: new KubeClient(connection, { ...ctx.clientOptions, name: context }),
  };
}

/** Short cause of a connection failure: "connection refused", a TLS failure with a hint, ... */
function connectionCause(message: string): string {
  const detail = message.replace(/^Cannot .*? on [^:]+: /, "");
  if (/connection refused/i.test(detail)) return "connection refused";
  if (/^request timed out$/i.test(detail)) return "no answer within the request timeout";
  if (/dns error|failed to lookup|name or service not known/i.test(detail)) {
    return "cannot resolve the host name";
  }
  if (/certificate|UnknownIssuer|NotValidForName|handshake|fatal alert/i.test(detail)) {
    return `TLS failed: ${detail}; check the certificate-authority-data of this cluster`;
  }
  return detail;
}

/** The message of a Kubernetes Status, when the server sent one. */
function statusMessage(error: KubeApiError): string {
  const details = error.details as { message?: string } | undefined;
  return details?.message ?? error.message.replace(/^Cannot [^:]*: /, "");
}

/**
 * Explains a failed request to `cluster` in one sentence: unreachable (naming the
 * server), credentials refused, forbidden by RBAC (with the Status message, which
 * names the verb and resource); other errors keep the client's message.
 */
export function explainKubeError(
  error: unknown,
  cluster: Pick<Cluster, "context" | "server" | "user">,
): CliError {
  if (error instanceof CliError) return error;
  if (!(error instanceof KubeApiError)) {
    return new CliError(error instanceof Error ? error.message : String(error), { cause: error });
  }
  const where = `context "${cluster.context}" (${cluster.server})`;
  if (error.status === 0) {
    return new CliError(`Cannot reach the API server of ${where}: ${connectionCause(error.message)}`, {
      cause: error,
    });
  }
  if (error.status === 401) {
    return new CliError(
      `The API server of ${where} refused the credentials of user "${cluster.user}" (401 Unauthorized); they may have expired or been revoked`,
      { cause: error },
    );
  }
  if (error.status === 403) {
    return new CliError(`Forbidden by RBAC in ${where}: ${statusMessage(error)}`, { cause: error });
  }
  return new CliError(error.message, { cause: error });
}

/** Runs `fn` against a cluster, explaining any API error it throws. */
export async function onCluster<T>(cluster: Cluster, fn: (client: KubeClient) => Promise<T>): Promise<T> {
  try {
    return await fn(cluster.client);
  } catch (error) {
    throw explainKubeError(error, cluster);
  }
}

/** The activated primary: its config, its kubeconfig file and a connection. */
export interface Primary extends Cluster {
  config: PlumberConfig;
  file: KubeconfigFile;
}

/** Connects to the activated primary. @throws {CliError} {@linkcode NOT_ACTIVATED} when not activated. */
export async function connectPrimary(ctx: CliContext): Promise<Primary> {
  const config = await readConfig(ctx);
  let file: KubeconfigFile;
  try {
    file = await loadKubeconfig(config.path, ctx);
  } catch (error) {
    throw new CliError(
      `${
        (error as Error).message
      }; it is the activated kubeconfig of the primary: run plumberctl activate again`,
    );
  }
  return { ...connect(file, config.cluster, ctx), config, file };
}

// ---------------------------------------------------------------------------
// The kubeconfig Secret in the primary
// ---------------------------------------------------------------------------

/** Name of the Secret holding the secondaries' kubeconfig (one context per secondary). */
export { KUBECONFIG_SECRET_KEY };
/** Name of the kubeconfig Secret in the operator namespace. */
export const KUBECONFIG_SECRET = KUBECONFIG_SECRET_NAME;
/** Field manager of everything plumberctl applies. */
export const CLI_FIELD_MANAGER = "plumberctl";

/** A Secret as JSON. */
export interface SecretObject extends KubeObjectLike {
  metadata: { name: string; namespace?: string; resourceVersion?: string; [key: string]: unknown };
  type?: string;
  data?: Record<string, string>;
}

/** The stored kubeconfig and the Secret it came from (undefined when there is none yet). */
export interface StoredKubeconfig {
  secret?: SecretObject;
  config: Kubeconfig;
}

function emptyKubeconfig(): Kubeconfig {
  return { apiVersion: "v1", kind: "Config", clusters: [], users: [], contexts: [] };
}

/** Reads the kubeconfig Secret of the primary. @throws {CliError} when it is unreadable. */
export async function readStoredKubeconfig(primary: Cluster, namespace: string): Promise<StoredKubeconfig> {
  const secret = await onCluster(
    primary,
    (client) =>
      client.find<SecretObject>({ apiVersion: "v1", kind: "Secret", namespace, name: KUBECONFIG_SECRET }),
  );
  if (!secret) return { config: emptyKubeconfig() };
  const data = secret.data?.[KUBECONFIG_SECRET_KEY];
  if (!data) return { secret, config: emptyKubeconfig() };
  const source = `Secret ${namespace}/${KUBECONFIG_SECRET} in context "${primary.context}"`;
  try {
    return { secret, config: parseKubeconfig(decodeBase64Text(data), source) };
  } catch (error) {
    throw new CliError(
      `${error instanceof Error ? error.message : String(error)}; fix or delete the Secret`,
      { cause: error },
    );
  }
}

/**
 * Reads the stored kubeconfig, lets `change` compute the new one, and writes it back
 * with optimistic concurrency (PUT with the read resourceVersion; re-read and retry on
 * a conflict, create the Secret when missing). `change` may be called more than once.
 * Returns what `change` returned the last time and whether the content changed.
 */
export async function updateStoredKubeconfig<T>(
  primary: Cluster,
  namespace: string,
  change: (stored: Kubeconfig) => { config: Kubeconfig; result: T },
): Promise<{ result: T; changed: boolean }> {
  for (let attempt = 0;; attempt++) {
    const stored = await readStoredKubeconfig(primary, namespace);
    const { config, result } = change(stored.config);
    const text = serializeKubeconfig(config);
    const data = encodeBase64Text(text);
    if (stored.secret?.data?.[KUBECONFIG_SECRET_KEY] === data) return { result, changed: false };
    try {
      if (stored.secret) {
        const secret: SecretObject = {
          ...stored.secret,
          data: { ...stored.secret.data, [KUBECONFIG_SECRET_KEY]: data },
        };
        await primary.client.update(secret);
      } else {
        await primary.client.create({
          apiVersion: "v1",
          kind: "Secret",
          metadata: {
            name: KUBECONFIG_SECRET,
            namespace,
            labels: { "app.kubernetes.io/managed-by": "plumber" },
          },
          type: "Opaque",
          data: { [KUBECONFIG_SECRET_KEY]: data },
        });
      }
      return { result, changed: true };
    } catch (error) {
      // 409: someone else wrote the Secret (or created it) between our read and write.
      if (error instanceof KubeApiError && error.status === 409 && attempt < 5) continue;
      if (error instanceof KubeApiError && error.status === 404) {
        throw new CliError(
          `Namespace "${namespace}" does not exist in the primary (context "${primary.context}"); deploy the plumber operator there first, or pass --namespace`,
          { cause: error },
        );
      }
      throw explainKubeError(error, primary);
    }
  }
}
