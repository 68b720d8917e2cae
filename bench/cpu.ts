/**
 * CPU time of the processes a scenario involves (the operator, the control
 * plane's API servers and etcd, the benchmark itself) and of the whole
 * machine, from /proc, so a result says what the two cores were busy with,
 * including other people's work on a shared machine.
 *
 * @module
 */

/** Clock ticks per second of /proc times (USER_HZ; 100 on every Linux build in practice). */
const TICKS = 100;

/** utime + stime of a process in seconds, or 0 when it is gone. */
export function processCpuSeconds(pid: number): number {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    // Fields after the command name, which may hold spaces, in parentheses.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / TICKS;
  } catch {
    return 0;
  }
}

/** Busy CPU seconds of the whole machine (every core; not idle, not iowait). */
export function machineBusySeconds(): number {
  try {
    const line = Deno.readTextFileSync("/proc/stat").split("\n")[0]!;
    const v = line.trim().split(/\s+/).slice(1).map(Number);
    const total = v.slice(0, 8).reduce((a, b) => a + b, 0);
    return (total - v[3]! - v[4]!) / TICKS;
  } catch {
    return 0;
  }
}

/** Pids whose command line mentions `needle` (the control plane's folder names its processes). */
export function pidsMentioning(needle: string): number[] {
  const pids: number[] = [];
  for (const entry of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    try {
      const cmdline = Deno.readTextFileSync(`/proc/${entry.name}/cmdline`);
      if (cmdline.includes(needle) && !cmdline.includes("/main.ts")) pids.push(Number(entry.name));
    } catch {
      // gone
    }
  }
  return pids;
}

/** CPU seconds by group, measured between `start()` and `stop()`. */
export class CpuMeter {
  readonly #groups: Record<string, () => number[]>;
  #before: Record<string, number> = {};
  #machine = 0;
  #startedAt = 0;

  /** @param groups name -> the pids to add up (re-read at start and stop). */
  constructor(groups: Record<string, () => number[]>) {
    this.#groups = groups;
  }

  #sample(): Record<string, number> {
    return Object.fromEntries(
      Object.entries(this.#groups).map(([name, pids]) => [
        name,
        pids().reduce((sum, pid) => sum + processCpuSeconds(pid), 0),
      ]),
    );
  }

  start(): this {
    this.#before = this.#sample();
    this.#machine = machineBusySeconds();
    this.#startedAt = performance.now();
    return this;
  }

  /** Seconds of CPU per group, `machine` (all processes), `other` (machine minus the groups) and `wall`. */
  stop(): Record<string, number> {
    const after = this.#sample();
    const out: Record<string, number> = {};
    let ours = 0;
    for (const [name, value] of Object.entries(after)) {
      out[name] = round(value - (this.#before[name] ?? 0));
      ours += out[name]!;
    }
    out.machine = round(machineBusySeconds() - this.#machine);
    out.other = round(out.machine - ours);
    out.wall = round((performance.now() - this.#startedAt) / 1000);
    return out;
  }
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}
