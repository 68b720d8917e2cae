/**
 * CPU and memory of issuing a Replicator's TLS material (CA + server + client certificate, and the
 * validity that `ensureTls` writes in the Secret's annotation), as the operator does at creation.
 *
 * ```sh
 * deno run -A bench/pki.ts                          # this checkout: ms per set over 200 sets
 * deno run -A bench/pki.ts --root /work/main        # another checkout (read-only), same script
 * deno run -A bench/pki.ts --compare /work/main     # alternates this checkout and the other, --rounds times
 * deno run -A bench/pki.ts --probe                  # fresh process: RSS before/after one set, what got loaded
 * ```
 *
 * Each measurement runs in a fresh `deno run` with the V8 flags of the `run` task, so figures match
 * the operator's process. CPU is the process's user + system time (all threads, from
 * /proc/self/stat), wall is elapsed time; both per set, after `--warmup` sets that are not counted.
 * A checkout whose tls_material.ts has no `issueTlsWithValidity` (before this change) is measured as
 * its `ensureTls` worked: `issueTls` then `validityOf` (which parses the three certificates).
 *
 * @module
 */

import { parseArgs } from "node:util";

const ROOT = new URL("../", import.meta.url).pathname;
const CONFIG = `${ROOT}deno.json`;
const V8_FLAGS = "--max-semi-space-size=1,--max-old-space-size=48";
const HOSTS = ["app.example.com", "www.example.com"];
const ALL = { ca: true, server: true, client: true };

interface TlsModule {
  issueTls?: (stored: undefined, plan: typeof ALL, hosts: string[], now: Date) => Promise<unknown>;
  validityOf?: (stored: unknown) => Promise<unknown>;
  issueTlsWithValidity?: (
    stored: undefined,
    validity: undefined,
    plan: typeof ALL,
    hosts: string[],
    now: Date,
  ) => Promise<unknown>;
}

/** User + system CPU time of this process in milliseconds (clock ticks of 10 ms). */
function cpuMs(): number {
  const stat = Deno.readTextFileSync("/proc/self/stat");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // Fields 14 and 15 (utime, stime) of proc(5); the slice starts at field 3.
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

function rssMib(): number {
  const m = /^VmRSS:\s+(\d+)\s+kB$/m.exec(Deno.readTextFileSync("/proc/self/status"));
  return Number(m![1]) / 1024;
}

async function loadTls(root: string): Promise<{ issueSet: () => Promise<unknown>; kind: string }> {
  const tls = await import(
    `file://${root.replace(/\/$/, "")}/controllers/replicator/tls_material.ts`
  ) as TlsModule;
  if (tls.issueTlsWithValidity) {
    const issue = tls.issueTlsWithValidity;
    return {
      kind: "issueTlsWithValidity",
      issueSet: () => issue(undefined, undefined, ALL, HOSTS, new Date()),
    };
  }
  const { issueTls, validityOf } = tls;
  return {
    kind: "issueTls+validityOf",
    issueSet: async () => await validityOf!(await issueTls!(undefined, ALL, HOSTS, new Date())),
  };
}

/** The in-process measurement (run in a child). */
async function measure(root: string, sets: number, warmup: number) {
  const { issueSet, kind } = await loadTls(root);
  const first = performance.now();
  await issueSet();
  const firstMs = performance.now() - first;
  for (let i = 1; i < warmup; i++) await issueSet();
  const cpu0 = cpuMs();
  const t0 = performance.now();
  for (let i = 0; i < sets; i++) await issueSet();
  const wall = performance.now() - t0;
  const cpu = cpuMs() - cpu0;
  return {
    root,
    kind,
    sets,
    firstSetMs: round(firstMs),
    wallMsPerSet: round(wall / sets),
    cpuMsPerSet: round(cpu / sets),
    rssMib: round(rssMib()),
  };
}

/** RSS after importing tls_material.ts, and after issuing one set; whether reflect-metadata got loaded. */
async function probe(root: string) {
  const afterImportBaseline = rssMib();
  const { issueSet, kind } = await loadTls(root);
  const afterImport = rssMib();
  await issueSet();
  const afterOneSet = rssMib();
  return {
    root,
    kind,
    rssBareMib: round(afterImportBaseline),
    rssAfterImportMib: round(afterImport),
    rssAfterOneSetMib: round(afterOneSet),
    // reflect-metadata installs Reflect.getMetadata; lib/pki/x509.ts loads it right before @peculiar/x509.
    x509Loaded: typeof (Reflect as unknown as { getMetadata?: unknown }).getMetadata === "function",
  };
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}

async function child(args: string[]): Promise<Record<string, unknown>> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "--quiet",
      "--no-lock",
      `--config=${CONFIG}`,
      `--v8-flags=${V8_FLAGS}`,
      import.meta.filename!,
      "--child",
      ...args,
    ],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
  }).output();
  const text = new TextDecoder().decode(out.stdout).trim().split("\n").at(-1) ?? "";
  if (!out.success) throw new Error(`bench child failed: ${new TextDecoder().decode(out.stderr)}`);
  return JSON.parse(text);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      root: { type: "string", default: ROOT },
      compare: { type: "string" },
      rounds: { type: "string", default: "3" },
      sets: { type: "string", default: "200" },
      warmup: { type: "string", default: "5" },
      probe: { type: "boolean", default: false },
      child: { type: "boolean", default: false },
    },
  });
  const sets = Number(values.sets);
  const warmup = Number(values.warmup);
  if (values.child) {
    const result = values.probe ? await probe(values.root) : await measure(values.root, sets, warmup);
    console.log(JSON.stringify(result));
  } else {
    const flags = (root: string) => [
      `--root=${root}`,
      `--sets=${sets}`,
      `--warmup=${warmup}`,
      ...(values.probe ? ["--probe"] : []),
    ];
    const roots = values.compare ? [values.compare, ROOT] : [values.root];
    const results = new Map<string, Record<string, unknown>[]>(roots.map((r) => [r, []]));
    const rounds = values.compare ? Number(values.rounds) : 1;
    for (let i = 0; i < rounds; i++) {
      for (const root of roots) {
        const result = await child(flags(root));
        results.get(root)!.push(result);
        console.log(JSON.stringify(result));
      }
    }
    if (values.compare) {
      for (const [root, list] of results) {
        const numeric = Object.keys(list[0]!).filter((k) => typeof list[0]![k] === "number" && k !== "sets");
        const summary = Object.fromEntries(numeric.map((k) => [k, median(list.map((r) => r[k] as number))]));
        console.log(`median of ${list.length} (${root}): ${JSON.stringify(summary)}`);
      }
    }
  }
}
