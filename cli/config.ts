/**
 * `~/.plumber/config.toml`: which context of which kubeconfig is the primary, as
 * `plumberctl activate` writes it and every other command reads it.
 *
 * @module
 */

import { parse as parseToml, stringify as stringifyToml, TomlError } from "smol-toml";
import { CliError } from "../lib/errors.ts";
import type { CliContext } from "./context.ts";

/** The message of not being activated, shared by every command but `activate`. */
export const NOT_ACTIVATED =
  "plumberctl is not activated; run plumberctl activate --path <kubeconfig> --activate-context <context>";

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
    data = parseToml(text);
  } catch (error) {
    if (error instanceof TomlError) {
      throw broken(
        `invalid TOML at line ${error.line}, column ${error.column}: ${error.message.split("\n")[0]}`,
      );
    }
    throw broken(String(error));
  }
  const read = (key: keyof PlumberConfig): string => {
    const value = data[key];
    if (typeof value !== "string" || value === "") {
      throw broken(value === undefined ? `${key} is missing` : `${key} must be a non-empty string`);
    }
    return value;
  };
  const cluster = read("cluster");
  return { cluster, path: read("path") };
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
