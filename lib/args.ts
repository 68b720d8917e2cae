/**
 * A small strict command-line flag parser for the operator (`main.ts`): `--name value`,
 * `--name=value`, boolean `--name`, one-letter aliases (`-h`), no positionals.
 *
 * Why not `node:util`'s `parseArgs` (what `plumberctl` uses): importing any `node:` module loads
 * part of Deno's Node compatibility layer, +3.7 MiB of the operator's RSS at start-up for the
 * handful of flags below (measured with `bench/imports.ts`), and the operator imports nothing
 * else from Node.
 *
 * @module
 */

import { UsageError } from "./errors.ts";

/** One flag: a string takes a value, a boolean does not. */
export interface FlagOption {
  type: "string" | "boolean";
  /** One-letter alias without the dash: `h`. */
  short?: string;
  default?: string | boolean;
}

/** The values of a parsed command line: a string flag's value, a boolean's presence. */
export type FlagValues<S extends Record<string, FlagOption>> = {
  [K in keyof S]: S[K]["type"] extends "boolean" ? boolean : S[K]["default"] extends string ? string
  : string | undefined;
};

/**
 * Parses `args` against `options` (keys are the long names without dashes). A flag given twice keeps
 * its last value, as `parseArgs` does.
 *
 * @throws {UsageError} `unknown flag --bogus`, `--kubeconfig needs a value`, `--leader-elect takes no
 * value`, `unexpected argument "x"`.
 * @example
 * ```ts
 * const v = parseFlagArgs(["--namespace", "ops", "-h"], {
 *   namespace: { type: "string", default: "plumber-system" },
 *   help: { type: "boolean", short: "h" },
 * });
 * // v.namespace === "ops", v.help === true
 * ```
 */
export function parseFlagArgs<S extends Record<string, FlagOption>>(
  args: readonly string[],
  options: S,
): FlagValues<S> {
  const values: Record<string, string | boolean | undefined> = {};
  const byShort = new Map<string, string>();
  for (const [name, option] of Object.entries(options)) {
    values[name] = option.default ?? (option.type === "boolean" ? false : undefined);
    if (option.short) byShort.set(option.short, name);
  }
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    let name: string | undefined;
    let inline: string | undefined;
    if (arg.startsWith("--") && arg.length > 2) {
      const eq = arg.indexOf("=");
      name = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
      inline = eq < 0 ? undefined : arg.slice(eq + 1);
      if (!Object.hasOwn(options, name)) throw new UsageError(`unknown flag --${name}`);
    } else if (/^-[^-]$/.test(arg)) {
      name = byShort.get(arg.slice(1));
      if (name === undefined) throw new UsageError(`unknown flag ${arg}`);
    } else {
      throw new UsageError(`unexpected argument "${arg}" (flags only)`);
    }
    const option = options[name]!;
    if (option.type === "boolean") {
      if (inline !== undefined) throw new UsageError(`--${name} takes no value (got "${inline}")`);
      values[name] = true;
      continue;
    }
    if (inline === undefined) {
      const next = args[i + 1];
      if (next === undefined || (next.startsWith("-") && next.length > 1)) {
        throw new UsageError(`--${name} needs a value`);
      }
      inline = next;
      i++;
    }
    values[name] = inline;
  }
  return values as FlagValues<S>;
}
