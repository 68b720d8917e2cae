/**
 * Builds `plumberctl` binaries with `deno compile` for every release target, with the
 * least permissions that work baked in (compiled binaries never prompt):
 *
 * - `--allow-net`: any API server a kubeconfig names;
 * - `--allow-read`: the kubeconfig, files it references (CA, client certificate and key,
 *   token files, anywhere) and `~/.plumber/config.toml`;
 * - `--allow-write`: `~/.plumber/config.toml` only is ever written, but a permission path
 *   is fixed at build time and the home folder is only known at run time, so it cannot be
 *   narrowed (`tests/plumberctl_test.ts` runs the CLI with write access limited to
 *   `<HOME>/.plumber` to prove nothing else is written);
 * - `--allow-env=HOME,KUBECONFIG`: the config file's folder and the default kubeconfig;
 * - `--ignore-env`: any other variable reads as unset instead of failing (the `yaml`
 *   package looks at `LOG_TOKENS` and `LOG_STREAM`, debug switches plumberctl never needs).
 *
 * `--allow-run` only for the target's browser opener, by absolute path, for `plumberctl dashboard
 * --open` (`cli/browser_opener.ts`); no `--allow-sys` or `--allow-ffi`. `--exclude-unused-npm` leaves out the
 * npm packages plumberctl does not import (`@kubernetes/client-node` is imported for
 * types only).
 *
 * `deno compile` downloads its `denort` base binary for each target, so this needs the
 * network access to dl.deno.land that the development machine lacks.
 *
 * @example
 * ```sh
 * deno run --allow-run=deno --allow-read --allow-write=dist cli/compile.ts            # all targets
 * deno run --allow-run=deno --allow-read --allow-write=dist cli/compile.ts --dry-run  # print the commands
 * deno run --allow-run=deno --allow-read --allow-write=dist cli/compile.ts x86_64-unknown-linux-gnu
 * ```
 *
 * @module
 */

import { openerForTarget } from "./browser_opener.ts";

/**
 * Release targets (`deno compile --target`; Deno 2.9.6's list of possible values has all six).
 * Windows outputs get `.exe` appended by `deno compile`.
 */
export const TARGETS = [
  "x86_64-unknown-linux-gnu",
  "aarch64-unknown-linux-gnu",
  "x86_64-apple-darwin",
  "aarch64-apple-darwin",
  "x86_64-pc-windows-msvc",
  "aarch64-pc-windows-msvc",
] as const;

/** Permissions baked into the binary; see the module documentation for why each. */
export const RUNTIME_PERMISSIONS: readonly string[] = [
  "--allow-net",
  "--allow-read",
  "--allow-write",
  "--allow-env=HOME,KUBECONFIG",
  "--ignore-env",
];

const ENTRY = "cli/plumberctl.ts";

/** The `deno compile` arguments for one target (run from the repository root). */
export function compileArgs(target: string, outDir = "dist"): string[] {
  return [
    "compile",
    "--target",
    target,
    ...RUNTIME_PERMISSIONS,
    `--allow-run=${openerForTarget(target)}`,
    "--exclude-unused-npm",
    "--output",
    `${outDir}/plumberctl-${target}`,
    ENTRY,
  ];
}

async function main(args: string[]): Promise<number> {
  const dryRun = args.includes("--dry-run");
  const wanted = args.filter((arg) => !arg.startsWith("--"));
  const unknown = wanted.filter((t) => !TARGETS.some((target) => target === t));
  if (unknown.length > 0) {
    console.error(`compile: unknown target ${unknown.join(", ")}; targets: ${TARGETS.join(", ")}`);
    return 2;
  }
  for (const target of wanted.length > 0 ? wanted : TARGETS) {
    const command = compileArgs(target);
    console.error(`deno ${command.join(" ")}`);
    if (dryRun) continue;
    const { code } = await new Deno.Command("deno", { args: command, stdout: "inherit", stderr: "inherit" })
      .output();
    if (code !== 0) return code;
  }
  return 0;
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
