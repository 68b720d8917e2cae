/**
 * Import-only RSS: for each module, a fresh `deno run` of a two-line script that imports it and
 * prints its own VmRSS. The difference to the bare script is what loading the module costs at
 * start-up, before any work. Run from the repository root:
 *
 * ```sh
 * deno run -A bench/imports.ts                 # the default list: npm packages and main.ts's graph
 * deno run -A bench/imports.ts --runs 5 lib/kube/metrics.ts npm:yaml
 * deno run -A bench/imports.ts --markdown      # a table for docs/benchmarks.md
 * ```
 *
 * Each module is measured `--runs` times (default 3) and the median is reported; the V8 flags of
 * the `run` task are used so the figures match the operator's.
 *
 * @module
 */

import { parseArgs } from "node:util";

const ROOT = new URL("../", import.meta.url).pathname;
const CONFIG = `${ROOT}deno.json`;

/** What the operator's process (main.ts) loads, heaviest suspects first, then main.ts itself. */
export const DEFAULT_MODULES: readonly string[] = [
  "npm:prom-client@15.1.3",
  "yaml",
  "js-yaml",
  "smol-toml",
  "reflect-metadata",
  "@peculiar/x509",
  "rfc6902",
  "node:util",
  "lib/overrides.ts",
  "lib/kube/metrics.ts",
  "lib/kubeconfig/mod.ts",
  "lib/pki/mod.ts",
  "lib/kube/client.ts",
  "lib/kube/manager.ts",
  "controllers/clusters.ts",
  "controllers/replicator/mod.ts",
  "main.ts",
];

/** The import statement for a module name: a bare/npm specifier as is, a path from the root. */
export function importLine(module: string): string {
  if (module === "") return "";
  const isPath = module.endsWith(".ts") || module.startsWith("./") || module.startsWith("/");
  const spec = isPath ? new URL(module.replace(/^\.\//, ""), `file://${ROOT}`).href : module;
  // reflect-metadata must come first for @peculiar/x509, as lib/pki/x509.ts does it.
  const prelude = module === "@peculiar/x509" ? `import "reflect-metadata";\n` : "";
  return `${prelude}import ${JSON.stringify(spec)};\n`;
}

/** The VmRSS line of /proc/self/status in KiB. */
export function parseVmRssKib(status: string): number {
  const m = /^VmRSS:\s+(\d+)\s+kB$/m.exec(status);
  if (!m) throw new Error("no VmRSS line in /proc/self/status");
  return Number(m[1]);
}

const PRINT_RSS = `console.log(/^VmRSS:\\s+(\\d+)/m.exec(Deno.readTextFileSync("/proc/self/status"))[1]);\n`;

async function rssOnce(module: string, v8Flags: string): Promise<number> {
  const dir = await Deno.makeTempDir({ prefix: "plumber-imports-" });
  try {
    const script = `${dir}/probe.ts`;
    await Deno.writeTextFile(script, importLine(module) + PRINT_RSS);
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--quiet", "--no-lock", `--config=${CONFIG}`, `--v8-flags=${v8Flags}`, script],
      cwd: ROOT,
      stdout: "piped",
      stderr: "piped",
      stdin: "null",
    }).output();
    const text = new TextDecoder().decode(out.stdout).trim().split("\n").at(-1) ?? "";
    if (!out.success || !/^\d+$/.test(text)) {
      throw new Error(`importing ${module || "(nothing)"} failed: ${new TextDecoder().decode(out.stderr)}`);
    }
    return Number(text) / 1024;
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Median import-only RSS (MiB) of each module, and of an empty script under the name "(bare)". */
export async function measureImports(
  modules: readonly string[],
  runs: number,
  v8Flags: string,
): Promise<Map<string, number>> {
  const result = new Map<string, number>();
  for (const module of ["", ...modules]) {
    const samples: number[] = [];
    for (let i = 0; i < runs; i++) samples.push(await rssOnce(module, v8Flags));
    result.set(module || "(bare)", median(samples));
  }
  return result;
}

if (import.meta.main) {
  const { values, positionals } = parseArgs({
    args: Deno.args,
    options: {
      runs: { type: "string", default: "3" },
      markdown: { type: "boolean", default: false },
      "v8-flags": { type: "string", default: "--max-semi-space-size=1,--max-old-space-size=48" },
    },
    allowPositionals: true,
  });
  const runs = Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1) {
    throw new Error(`--runs: expected a positive integer, got ${values.runs}`);
  }
  const modules = positionals.length ? positionals : DEFAULT_MODULES;
  const rss = await measureImports(modules, runs, values["v8-flags"]);
  const bare = rss.get("(bare)")!;
  if (values.markdown) {
    console.log("| module | import-only RSS (MiB) | over bare Deno (MiB) |");
    console.log("| --- | --: | --: |");
  }
  for (const [module, mib] of rss) {
    const over = (mib - bare).toFixed(1);
    console.log(
      values.markdown
        ? `| \`${module}\` | ${mib.toFixed(1)} | ${over} |`
        : `${module.padEnd(32)} ${mib.toFixed(1).padStart(6)} MiB  +${over}`,
    );
  }
  const load = (await Deno.readTextFile("/proc/loadavg")).split(" ").slice(0, 3).join(" ");
  console.log(`(median of ${runs} runs; load ${load}; v8 flags ${values["v8-flags"]})`);
}
