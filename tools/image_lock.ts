/**
 * Narrows `deno.json` and `deno.lock` to the npm packages an entrypoint's module
 * graph uses, for the container image: Deno caches every package of the lockfile's
 * npm snapshot whatever the entrypoint imports (`deno install --entrypoint main.ts`
 * included), so without this the image would hold the test-only packages
 * (`@kubernetes/client-node`, `@sinonjs/fake-timers`) too.
 *
 * Versions and integrity hashes are kept exactly as the lockfile has them, so
 * `deno install --frozen` with the narrowed files installs the same packages.
 *
 * Usage (the Dockerfile's build stage): `deno run --allow-read --allow-write --allow-run=deno
 * --allow-env tools/image_lock.ts main.ts` rewrites `deno.json` and `deno.lock` in the
 * current directory.
 *
 * @module
 */

/** The parts of a version 5 `deno.lock` this reads. */
export interface DenoLock {
  version: string;
  specifiers?: Record<string, string>;
  npm?: Record<string, { integrity?: string; dependencies?: string[]; [key: string]: unknown }>;
  workspace?: { dependencies?: string[]; [key: string]: unknown };
  [key: string]: unknown;
}

/** The parts of `deno.json` this reads. */
export interface DenoConfig {
  imports?: Record<string, string>;
  [key: string]: unknown;
}

/** `npm:/yaml@2.9.1/dist/index.js` or `npm:/@peculiar/x509@1.14.3` -> `yaml@2.9.1` / `@peculiar/x509@1.14.3`. */
export function npmPackageOf(specifier: string): string | undefined {
  const match = /^npm:\/?((?:@[^/@]+\/)?[^/@]+@[^/]+)/.exec(specifier);
  return match?.[1];
}

function nameOf(pkg: string): string {
  return pkg.slice(0, pkg.indexOf("@", 1));
}

/**
 * Narrows `config` and `lock` to the npm packages `roots` (`name@version`, from the entrypoint's graph)
 * and what they depend on (pure).
 */
export function narrowToGraph(
  config: DenoConfig,
  lock: DenoLock,
  roots: Iterable<string>,
): { config: DenoConfig; lock: DenoLock } {
  const npm = lock.npm ?? {};
  const keys = Object.keys(npm);
  // A lock key is `name@version`, with `_peer@version` suffixes when peers were resolved.
  const find = (ref: string): string => {
    const versioned = ref.indexOf("@", 1) > 0;
    const found = keys.filter((key) =>
      versioned ? key === ref || key.startsWith(`${ref}_`) : nameOf(key) === ref
    );
    if (found.length !== 1) {
      throw new Error(`Cannot narrow deno.lock: "${ref}" matches ${found.length} npm packages (${found})`);
    }
    return found[0]!;
  };
  const rootKeys = [...new Set(roots)].map(find);
  const kept = new Set<string>();
  const queue = [...rootKeys];
  while (queue.length > 0) {
    const key = queue.pop()!;
    if (kept.has(key)) continue;
    kept.add(key);
    for (const dependency of npm[key]?.dependencies ?? []) queue.push(find(dependency));
  }
  const rootPackages = new Set(rootKeys.map((key) => key.split("_")[0]!));
  const rootNames = new Set([...rootPackages].map(nameOf));
  // `npm:yaml@^2.9.1` (deno.json and the lock's workspace) or `npm:yaml@2` (the lock's specifiers).
  const keepSpecifier = (value: string) =>
    !value.startsWith("npm:") || rootNames.has(nameOf(value.slice("npm:".length)));
  const specifiers = Object.fromEntries(
    Object.entries(lock.specifiers ?? {}).filter(([specifier]) => keepSpecifier(specifier)),
  );
  const imports = Object.fromEntries(
    Object.entries(config.imports ?? {}).filter(([, value]) => keepSpecifier(value)),
  );
  const narrowedLock: DenoLock = {
    ...lock,
    specifiers,
    npm: Object.fromEntries(keys.filter((key) => kept.has(key)).map((key) => [key, npm[key]!])),
  };
  if (lock.workspace) {
    narrowedLock.workspace = {
      ...lock.workspace,
      dependencies: (lock.workspace.dependencies ?? []).filter(keepSpecifier),
    };
  }
  return { config: { ...config, imports }, lock: narrowedLock };
}

/** The npm packages (`name@version`) in the module graph of `entrypoint`, from `deno info --json`. */
export async function graphPackages(entrypoint: string): Promise<string[]> {
  const output = await new Deno.Command("deno", { args: ["info", "--json", entrypoint] }).output();
  if (!output.success) {
    throw new Error(
      `Cannot read the module graph of ${entrypoint}: ${new TextDecoder().decode(output.stderr)}`,
    );
  }
  const info: { modules: Array<{ specifier: string }> } = JSON.parse(new TextDecoder().decode(output.stdout));
  return [...new Set(info.modules.flatMap((m) => npmPackageOf(m.specifier) ?? []))].sort();
}

if (import.meta.main) {
  const entrypoint = Deno.args[0];
  if (!entrypoint) {
    console.error("Usage: deno run -A tools/image_lock.ts <entrypoint>");
    Deno.exit(2);
  }
  const roots = await graphPackages(entrypoint);
  const narrowed = narrowToGraph(
    JSON.parse(await Deno.readTextFile("deno.json")),
    JSON.parse(await Deno.readTextFile("deno.lock")),
    roots,
  );
  await Deno.writeTextFile("deno.json", JSON.stringify(narrowed.config, null, 2) + "\n");
  await Deno.writeTextFile("deno.lock", JSON.stringify(narrowed.lock, null, 2) + "\n");
  console.log(`deno.json and deno.lock narrowed to ${entrypoint}'s npm packages: ${roots.join(", ")}`);
}
