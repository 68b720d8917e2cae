/**
 * The user's kubeconfig files: paths as the user writes them (`~/x`, relative), read
 * and parsed with errors that name the file and what is wrong.
 *
 * @module
 */

import { isAbsolute, resolve } from "node:path";
import { type Kubeconfig, parseKubeconfig } from "../lib/kubeconfig/mod.ts";
import { CliError } from "../lib/errors.ts";
import type { CliContext } from "./context.ts";

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
