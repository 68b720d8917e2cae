/**
 * Builds the Go programs the local clusters run, each into a per-user cache
 * outside the checkout keyed by a hash of what decides the binary, so a fresh
 * clone on the same machine reuses them and only a change rebuilds:
 *
 * - the control plane (etcd, kube-apiserver, kube-controller-manager and
 *   kube-scheduler in one Go program, see `tests/controlplane/`);
 * - KWOK (`sigs.k8s.io/kwok`, its own module in `tests/kwok/` because its
 *   Kubernetes libraries are older than the control plane's), which simulates
 *   Nodes and Pods.
 *
 * A first build takes minutes; it reports its phase, packages compiled of the
 * total and the elapsed time as it goes (see `tests/build_progress.ts`).
 *
 * @module
 */

import { BuildProgress, formatElapsed, packages, stalePackages } from "./build_progress.ts";

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

/** The tests/kwok/ module: a go.mod that pins `sigs.k8s.io/kwok` as a tool. */
const KWOK_DIR = new URL("./kwok/", import.meta.url);

/** One Go program to build. */
interface GoProgram {
  /** For people: `control plane`, `KWOK`. */
  label: string;
  /** Cache folder prefix and binary name. */
  name: string;
  /** The module folder. */
  dir: URL;
  /** The package to build, relative to the module (`.`) or an import path. */
  pkg: string;
  /** Import path of the main package (what `go build -v` prints last). */
  mainPackage: string;
  ldflags: string;
}

/** SHA-256 over what decides a binary: every .go file, go.mod, go.sum, the package and the linker flags. */
export async function sourceHash(dir: URL = SOURCE_DIR, extra?: string): Promise<string> {
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
  parts.push(encoder.encode(extra ?? await versionLdflags(dir)));
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

/** Options of {@linkcode ensureControlPlaneBinary} and {@linkcode ensureKwokBinary}. */
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
  return await ensureGoBinary({
    label: "control plane",
    name: "controlplane",
    dir: SOURCE_DIR,
    pkg: ".",
    mainPackage: "plumber.local/tests/controlplane",
    ldflags: await versionLdflags(),
  }, options);
}

/** The KWOK version pinned in tests/kwok/go.mod. */
export async function kwokVersion(dir: URL = KWOK_DIR): Promise<string> {
  const goMod = await Deno.readTextFile(new URL("go.mod", dir));
  const version = /sigs\.k8s\.io\/kwok (v\d+\.\d+\.\d+\S*)/.exec(goMod);
  if (!version?.[1]) throw new Error("Cannot find the sigs.k8s.io/kwok version in tests/kwok/go.mod");
  return version[1];
}

/** Returns the path of the KWOK binary, building it first (about 3 minutes) when the cache holds none. */
export async function ensureKwokBinary(options: BuildOptions = {}): Promise<string> {
  return await ensureGoBinary({
    label: `KWOK ${await kwokVersion()}`,
    name: "kwok",
    dir: KWOK_DIR,
    pkg: "sigs.k8s.io/kwok/cmd/kwok",
    mainPackage: "sigs.k8s.io/kwok/cmd/kwok",
    ldflags: "",
  }, options);
}

const GO_NOT_FOUND = "the Go toolchain (go >= 1.26) is not on PATH; install it and retry";

async function goOutput(args: string[], cwd: URL): Promise<Deno.CommandOutput> {
  return await new Deno.Command("go", { args, cwd: cwd.pathname, stdout: "piped", stderr: "piped" }).output();
}

async function ensureGoBinary(program: GoProgram, options: BuildOptions): Promise<string> {
  const log = options.log ?? ((line: string) => console.error(line));
  const hash = await sourceHash(program.dir, `${program.pkg}\0${program.ldflags}`);
  const dir = `${cacheDir()}/${program.name}-${hash}`;
  const binary = `${dir}/${program.name}`;
  if (await exists(binary)) return binary;

  let goVersion: string;
  try {
    goVersion = new TextDecoder().decode((await goOutput(["version"], program.dir)).stdout).trim();
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new Error(`Cannot build the ${program.label}: ${GO_NOT_FOUND}`);
    }
    throw error;
  }
  const started = performance.now();
  log(`Building the ${program.label} (${goVersion}) into ${dir}; a first build takes minutes.`);
  await Deno.mkdir(dir, { recursive: true });
  const flags = ["-trimpath", "-ldflags", program.ldflags];

  // Phase 1: download modules and find what the build cache lacks.
  log(`${program.label}: downloading Go modules and planning the build...`);
  const list = await goOutput(
    ["list", ...flags, "-deps", "-f", "{{.ImportPath}} {{.Stale}}", program.pkg],
    program.dir,
  );
  if (!list.success) {
    const tail = new TextDecoder().decode(list.stderr).trim().split("\n").slice(-25).join("\n");
    throw new Error(`Cannot build the ${program.label}: go list failed (exit ${list.code}):\n${tail}`);
  }
  const planned = stalePackages(new TextDecoder().decode(list.stdout));
  log(
    `${program.label}: ${packages(planned.size)} to compile (planned in ${
      formatElapsed(performance.now() - started)
    })`,
  );

  // Phase 2: compile (go build -v names each package as it compiles it), then link.
  const progress = new BuildProgress({
    label: program.label,
    planned,
    mainPackage: program.mainPackage,
    startedAt: started,
  });
  const tmp = `${binary}.tmp-${Deno.pid}`;
  const child = new Deno.Command("go", {
    args: ["build", "-v", ...flags, "-o", tmp, program.pkg],
    cwd: program.dir.pathname,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const heartbeat = setInterval(() => {
    const line = progress.tick(performance.now());
    if (line) log(line);
  }, 1000);
  const readLines = async (stream: ReadableStream<Uint8Array>) => {
    let buffered = "";
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
      buffered += chunk;
      const lines = buffered.split("\n");
      buffered = lines.pop() ?? "";
      for (const text of lines) {
        const line = progress.line(text, performance.now());
        if (line) log(line);
      }
    }
    if (buffered) progress.line(buffered, performance.now());
  };
  let status: Deno.CommandStatus;
  try {
    [status] = await Promise.all([child.status, readLines(child.stderr), readLines(child.stdout)]);
  } finally {
    clearInterval(heartbeat);
  }
  if (!status.success) {
    await Deno.remove(tmp).catch(() => {});
    const tail = progress.other.join("\n").trim().split("\n").slice(-25).join("\n");
    throw new Error(`Cannot build the ${program.label}: go build failed (exit ${status.code}):\n${tail}`);
  }
  // Rename is atomic, so a concurrent run never sees a half-written binary.
  await Deno.rename(tmp, binary);
  log(`Built the ${program.label} in ${formatElapsed(performance.now() - started)}: ${binary}`);
  return binary;
}

if (import.meta.main) {
  console.log(await ensureControlPlaneBinary());
  console.log(await ensureKwokBinary());
}
