import assert from "node:assert/strict";
import { COMMANDS } from "./plumberctl.ts";

interface InfoModule {
  specifier: string;
  dependencies?: { code?: { specifier: string }; isDynamic?: boolean }[];
}

/** The module graph `deno info` reports for `entry`, by specifier. */
async function moduleGraph(entry: string): Promise<Map<string, InfoModule>> {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", new URL(entry, import.meta.url).pathname],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(code, 0, new TextDecoder().decode(stderr));
  const info: { modules: InfoModule[] } = JSON.parse(new TextDecoder().decode(stdout));
  return new Map(info.modules.map((module) => [module.specifier, module]));
}

/** What loading `entry` evaluates: its static (non-type, non-dynamic) imports, transitively. */
async function loadedFiles(entry: string): Promise<string[]> {
  const graph = await moduleGraph(entry);
  const start = new URL(entry, import.meta.url).href;
  const seen = new Set<string>([start]);
  const queue = [start];
  for (let next = queue.pop(); next !== undefined; next = queue.pop()) {
    for (const dependency of graph.get(next)?.dependencies ?? []) {
      const specifier = dependency.code?.specifier;
      if (!specifier || dependency.isDynamic || seen.has(specifier)) continue;
      seen.add(specifier);
      queue.push(specifier);
    }
  }
  const root = new URL("../", import.meta.url).href;
  return [...seen].filter((s) => s.startsWith(root)).map((s) => s.slice(root.length)).sort();
}

Deno.test("plumberctl view loads neither the other commands nor the RBAC, CRD or PKI modules", async () => {
  const entry = await loadedFiles("./plumberctl.ts");
  assert.ok(!entry.some((file) => file.startsWith("cli/commands/")), `plumberctl.ts imports ${entry}`);
  const view = new Set([...entry, ...await loadedFiles("./commands/view.ts")]);
  assert.ok(view.has("cli/commands/view.ts") && view.has("lib/kube/generated/plumber_v1.ts"));
  for (
    const file of [
      "cli/commands/activate.ts",
      "cli/commands/add.ts",
      "cli/commands/add_target.ts",
      "cli/commands/add_wait.ts",
      "cli/commands/remove.ts",
      "cli/commands/dashboard.ts",
      "cli/dashboard/hub.ts",
      "cli/secret_storage.ts",
      "lib/kube/generated/rbac_v1.ts",
      "lib/kube/generated/apiextensions_v1.ts",
      "lib/pki/mod.ts",
    ]
  ) {
    assert.ok(!view.has(file), `plumberctl view loads ${file}`);
  }
});

Deno.test("every lazily loaded command is the command its entry names", async () => {
  for (const entry of COMMANDS) assert.equal((await entry.load()).name, entry.name);
});
