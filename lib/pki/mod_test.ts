import assert from "node:assert/strict";
import { ca } from "./_test_util.ts";

const ROOT = new URL("../../", import.meta.url);
const HEAVY = ["npm:@peculiar/x509", "npm:reflect-metadata"];

interface InfoModule {
  specifier: string;
  dependencies?: { specifier: string; code?: { specifier: string }; isDynamic?: boolean }[];
}

/** The specifiers that loading `entry` evaluates: its static (non-type, non-dynamic) imports, transitively. */
async function staticImports(entry: string): Promise<Set<string>> {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", new URL(entry, ROOT).pathname],
    cwd: ROOT.pathname,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(code, 0, new TextDecoder().decode(stderr));
  const info: { roots: string[]; modules: InfoModule[] } = JSON.parse(new TextDecoder().decode(stdout));
  const graph = new Map(info.modules.map((module) => [module.specifier, module]));
  const seen = new Set<string>(info.roots);
  const queue = [...info.roots];
  for (let next = queue.pop(); next !== undefined; next = queue.pop()) {
    for (const dependency of graph.get(next)?.dependencies ?? []) {
      if (dependency.isDynamic || !dependency.code) continue;
      // Bare specifiers as written (npm:...), and what they resolve to, both count.
      for (const specifier of [dependency.specifier, dependency.code.specifier]) {
        if (seen.has(specifier)) continue;
        seen.add(specifier);
        queue.push(specifier);
      }
    }
  }
  return seen;
}

Deno.test("neither lib/pki/mod.ts nor the operator's main.ts imports @peculiar/x509 or reflect-metadata statically", async () => {
  for (const entry of ["lib/pki/mod.ts", "main.ts"]) {
    const loaded = [...await staticImports(entry)];
    assert.ok(loaded.some((s) => s.endsWith("/lib/pki/mod.ts")), `${entry} reaches lib/pki/mod.ts`);
    for (const heavy of HEAVY) {
      const found = loaded.filter((s) => s.startsWith(heavy) || s.startsWith(heavy.replace("npm:", "npm:/")));
      assert.deepEqual(found, [], `${entry} loads ${heavy} at start-up`);
    }
  }
});

Deno.test("lib/pki/ loads reflect-metadata and @peculiar/x509 only when a certificate is first read", async () => {
  const script = `
    const pki = await import(${JSON.stringify(new URL("lib/pki/mod.ts", ROOT).href)});
    const before = typeof Reflect.getMetadata;
    const info = await pki.readCertificate(${JSON.stringify(ca.certPem)});
    console.log(JSON.stringify([before, typeof Reflect.getMetadata, info.commonName]));
  `;
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["eval", script],
    cwd: ROOT.pathname,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(code, 0, new TextDecoder().decode(stderr));
  assert.deepEqual(JSON.parse(new TextDecoder().decode(stdout)), [
    "undefined",
    "function",
    "plumber-test-ca",
  ]);
});
