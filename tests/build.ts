/**
 * Builds the local control-plane binary (etcd, kube-apiserver and
 * kube-controller-manager in one Go program, see `tests/controlplane/`) into a
 * per-user cache outside the checkout, keyed by a hash of the Go sources, so a
 * fresh clone on the same machine reuses it and only a change rebuilds.
 *
 * @module
 */

const SOURCE_DIR = new URL("./controlplane/", import.meta.url);

/** Where build output lives: `$XDG_CACHE_HOME/plumber` or `~/.cache/plumber`. */
export function cacheDir(env: (name: string) => string | undefined = (n) => Deno.env.get(n)): string {
  const xdg = env("XDG_CACHE_HOME");
  if (xdg) return `${xdg}/plumber`;
  const home = env("HOME");
  if (!home) throw new Error("Cannot find a cache folder: neither XDG_CACHE_HOME nor HOME is set");
  return `${home}/.cache/plumber`;
}

/**
 * Linker flags that stamp the Kubernetes version (read from go.mod) into the
 * binary, as Kubernetes' own build does; without them `/version` says v0.0.0.
 */
export async function versionLdflags(dir: URL = SOURCE_DIR): Promise<string> {
  const goMod = await Deno.readTextFile(new URL("go.mod", dir));
  const version = /k8s\.io\/kubernetes (v(\d+)\.(\d+)\.\d+)/.exec(goMod);
  if (!version) throw new Error("Cannot find the k8s.io/kubernetes version in tests/controlplane/go.mod");
  const pkg = "k8s.io/component-base/version";
  return [
    `-X ${pkg}.gitVersion=${version[1]}`,
    `-X ${pkg}.gitMajor=${version[2]}`,
    `-X ${pkg}.gitMinor=${version[3]}`,
    `-X ${pkg}.gitTreeState=clean`,
  ].join(" ");
}

/** SHA-256 over what decides the binary: every .go file, go.mod, go.sum and the linker flags. */
export async function sourceHash(dir: URL = SOURCE_DIR): Promise<string> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    if (entry.isFile && (entry.name.endsWith(".go") || entry.name === "go.mod" || entry.name === "go.sum")) {
      names.push(entry.name);
    }
  }
  names.sort();
  const parts: Uint8Array[] = [];
  const encoder = new TextEncoder();
  for (const name of names) {
    parts.push(encoder.encode(`${name}\0`));
    parts.push(await Deno.readFile(new URL(name, dir)));
    parts.push(encoder.encode("\0"));
  }
  parts.push(encoder.encode(await versionLdflags(dir)));
  const total = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    total.set(part, offset);
    offset += part.length;
  }
  const digest = await crypto.subtle.digest("SHA-256", total);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("").slice(0, 16);
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

/** Options of {@linkcode ensureControlPlaneBinary}. */
export interface BuildOptions {
  /** Called with progress lines (default: stderr). */
  log?: (line: string) => void;
}

/**
 * Returns the path of the control-plane binary, building it first when the
 * cache holds none for the current sources. Throws with the tail of Go's
 * output when the build fails, and a clear message when Go is missing.
 */
export async function ensureControlPlaneBinary(options: BuildOptions = {}): Promise<string> {
  const log = options.log ?? ((line: string) => console.error(line));
  const hash = await sourceHash();
  const dir = `${cacheDir()}/controlplane-${hash}`;
  const binary = `${dir}/controlplane`;
  if (await exists(binary)) return binary;

  let goVersion: string;
  try {
    const out = await new Deno.Command("go", { args: ["version"], stdout: "piped", stderr: "piped" })
      .output();
    goVersion = new TextDecoder().decode(out.stdout).trim();
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new Error(
        "Cannot build the local control plane: the Go toolchain (go >= 1.26) is not on PATH; install it and retry",
      );
    }
    throw error;
  }
  log(`Building the local control plane (${goVersion}); the first build takes several minutes...`);
  await Deno.mkdir(dir, { recursive: true });
  const tmp = `${binary}.tmp-${Deno.pid}`;
  const started = performance.now();
  const result = await new Deno.Command("go", {
    args: ["build", "-trimpath", "-ldflags", await versionLdflags(), "-o", tmp, "."],
    cwd: SOURCE_DIR.pathname,
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!result.success) {
    await Deno.remove(tmp).catch(() => {});
    const output = new TextDecoder().decode(result.stderr) + new TextDecoder().decode(result.stdout);
    const tail = output.trim().split("\n").slice(-25).join("\n");
    throw new Error(`Cannot build the local control plane: go build failed (exit ${result.code}):\n${tail}`);
  }
  // Rename is atomic, so a concurrent run never sees a half-written binary.
  await Deno.rename(tmp, binary);
  log(`Built the local control plane in ${((performance.now() - started) / 1000).toFixed(0)} s: ${binary}`);
  return binary;
}

if (import.meta.main) {
  console.log(await ensureControlPlaneBinary());
}
