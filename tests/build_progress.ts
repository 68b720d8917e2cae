/**
 * Progress of a long `go build` that a person can follow: the phase, packages
 * compiled of those that need compiling, and the elapsed time, as plain lines
 * (no carriage returns, so CI logs read the same as a terminal).
 *
 * The plan comes from `go list -deps -f '{{.ImportPath}} {{.Stale}}'` (the
 * packages the build cache lacks); `go build -v` then prints each package's
 * import path as it compiles it, and the main package last, before linking.
 *
 * @module
 */

/** `1 package`, `3 packages`. */
export function packages(count: number): string {
  return `${count} package${count === 1 ? "" : "s"}`;
}

/** `1m05s`, `42s`. */
export function formatElapsed(ms: number): string {
  const seconds = Math.max(0, Math.floor(ms / 1000));
  const minutes = Math.floor(seconds / 60);
  return minutes > 0 ? `${minutes}m${String(seconds % 60).padStart(2, "0")}s` : `${seconds}s`;
}

/** Import paths of the packages `go build` will compile, from `go list -deps -f '{{.ImportPath}} {{.Stale}}'`. */
export function stalePackages(goListOutput: string): Set<string> {
  const stale = new Set<string>();
  for (const line of goListOutput.split("\n")) {
    const [path, flag] = line.trim().split(/\s+/);
    if (path && flag === "true") stale.add(path);
  }
  return stale;
}

/** Options of {@linkcode BuildProgress}. */
export interface BuildProgressOptions {
  /** What is being built, e.g. `control plane`. */
  label: string;
  /** Packages that need compiling (see {@linkcode stalePackages}). */
  planned: Set<string>;
  /** Import path of the main package: once it compiles, the build links. */
  mainPackage: string;
  /** When the build started (ms, same clock as the `now` arguments). */
  startedAt: number;
  /** Report at most every this many percent (default 10). */
  percentStep?: number;
  /** Report at least this often while something is happening (default 20 s). */
  heartbeatMs?: number;
}

/**
 * Counts `go build -v` lines and decides when to say something. Pure: the
 * caller feeds lines and clock ticks and prints what comes back.
 */
export class BuildProgress {
  readonly #options: BuildProgressOptions;
  #compiled = 0;
  #linking = false;
  #lastPercent = 0;
  #lastReportAt: number;
  /** Lines of output that were not package names (compiler errors and the like). */
  readonly other: string[] = [];

  constructor(options: BuildProgressOptions) {
    // The main package always compiles (its link flags may differ from go list's view).
    this.#options = { ...options, planned: new Set([...options.planned, options.mainPackage]) };
    this.#lastReportAt = options.startedAt;
  }

  get compiled(): number {
    return this.#compiled;
  }

  get total(): number {
    return this.#options.planned.size;
  }

  /** The current state as one line. */
  status(now: number): string {
    const { label, startedAt } = this.#options;
    const elapsed = `${formatElapsed(now - startedAt)} elapsed`;
    if (this.#linking) return `${label}: linking, ${elapsed}`;
    // Every dependency compiled: what remains is the main package and the link.
    if (this.#compiled >= this.total - 1) {
      return `${label}: compiled ${this.#compiled}/${this.total} packages, now the main package and linking, ${elapsed}`;
    }
    const percent = this.total === 0 ? 100 : Math.floor((this.#compiled / this.total) * 100);
    return `${label}: compiling ${this.#compiled}/${this.total} packages (${percent}%), ${elapsed}`;
  }

  /** Feeds one line of `go build -v` output; returns a line to print, if it is time to. */
  line(text: string, now: number): string | undefined {
    const path = text.trim();
    if (!path) return undefined;
    if (!this.#options.planned.has(path)) {
      this.other.push(text);
      return undefined;
    }
    this.#compiled++;
    if (path === this.#options.mainPackage) {
      this.#linking = true;
      return this.#report(now);
    }
    const percent = this.total === 0 ? 100 : (this.#compiled / this.total) * 100;
    const step = this.#options.percentStep ?? 10;
    if (percent >= this.#lastPercent + step) {
      this.#lastPercent = Math.floor(percent / step) * step;
      return this.#report(now);
    }
    return this.tick(now);
  }

  /** A clock tick: returns a line when nothing was said for the heartbeat interval. */
  tick(now: number): string | undefined {
    if (now - this.#lastReportAt < (this.#options.heartbeatMs ?? 20_000)) return undefined;
    return this.#report(now);
  }

  #report(now: number): string {
    this.#lastReportAt = now;
    return this.status(now);
  }
}
