/**
 * Counters, gauges and histograms with labels, exposed in the Prometheus text format (0.0.4).
 *
 * The operator's own replacement for `prom-client`: importing `prom-client` costs about 20 MiB of
 * resident memory at start-up (its CommonJS build pulls in Deno's Node compatibility layer; measured
 * with `deno run -A bench/imports.ts npm:prom-client@15.1.3`), more than a third of the operator's idle RSS,
 * for the dozen series plumber exports. The format is small and stable:
 * https://prometheus.io/docs/instrumenting/exposition_formats/
 *
 * @module
 */

export const CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

type Labels = Readonly<Record<string, string>>;

/** A label value escaped for the text format: backslash, double quote and line feed. */
export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

/** HELP text escaped for the text format: backslash and line feed. */
export function escapeHelp(help: string): string {
  return help.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
}

/** A sample value as Prometheus writes it (`+Inf`, `-Inf`, `NaN`, else the shortest JS form). */
export function formatValue(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Infinity) return "+Inf";
  if (value === -Infinity) return "-Inf";
  return String(value);
}

/** `{a="1",b="2"}` in the order given, or "" without labels. */
export function formatLabels(pairs: ReadonlyArray<readonly [string, string]>): string {
  if (pairs.length === 0) return "";
  return `{${pairs.map(([k, v]) => `${k}="${escapeLabelValue(v)}"`).join(",")}}`;
}

interface Family {
  readonly name: string;
  render(): string;
}

abstract class Metric<S> implements Family {
  readonly #series = new Map<string, { pairs: Array<[string, string]>; state: S }>();

  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly string[],
    readonly type: "counter" | "gauge" | "histogram",
  ) {}

  protected abstract initial(): S;
  protected abstract lines(name: string, pairs: Array<[string, string]>, state: S): string[];

  protected series(labels: Labels = {}): S {
    const values = this.labelNames.map((n) => {
      const v = labels[n];
      if (v === undefined) throw new Error(`metric ${this.name}: label "${n}" missing`);
      return v;
    });
    for (const k of Object.keys(labels)) {
      if (!this.labelNames.includes(k)) throw new Error(`metric ${this.name}: unknown label "${k}"`);
    }
    const key = values.join("\u0000");
    let entry = this.#series.get(key);
    if (!entry) {
      entry = { pairs: this.labelNames.map((n, i) => [n, values[i]!]), state: this.initial() };
      this.#series.set(key, entry);
    }
    return entry.state;
  }

  /** Called before rendering; gauges computed at scrape time set their values here. */
  collect?(): void;

  render(): string {
    this.collect?.();
    const out = [`# HELP ${this.name} ${escapeHelp(this.help)}`, `# TYPE ${this.name} ${this.type}`];
    for (const { pairs, state } of this.#series.values()) out.push(...this.lines(this.name, pairs, state));
    return out.join("\n") + "\n";
  }
}

/** A monotonically increasing value per label set. */
export class Counter extends Metric<{ v: number }> {
  constructor(name: string, help: string, labelNames: readonly string[] = []) {
    super(name, help, labelNames, "counter");
  }
  protected initial() {
    return { v: 0 };
  }
  protected lines(name: string, pairs: Array<[string, string]>, s: { v: number }): string[] {
    return [`${name}${formatLabels(pairs)} ${formatValue(s.v)}`];
  }
  /** Adds `by` (default 1, must not be negative); `inc(labels, 0)` creates the series at 0. */
  inc(labels: Labels = {}, by = 1): void {
    if (!(by >= 0)) throw new Error(`metric ${this.name}: a counter cannot change by ${by}`);
    this.series(labels).v += by;
  }
}

/** A value per label set that goes up and down. */
export class Gauge extends Metric<{ v: number }> {
  constructor(
    name: string,
    help: string,
    labelNames: readonly string[] = [],
    readonly onCollect?: (gauge: Gauge) => void,
  ) {
    super(name, help, labelNames, "gauge");
  }
  protected initial() {
    return { v: 0 };
  }
  protected lines(name: string, pairs: Array<[string, string]>, s: { v: number }): string[] {
    return [`${name}${formatLabels(pairs)} ${formatValue(s.v)}`];
  }
  override collect(): void {
    this.onCollect?.(this);
  }
  set(labels: Labels, value: number): void {
    this.series(labels).v = value;
  }
  inc(labels: Labels, by = 1): void {
    this.series(labels).v += by;
  }
}

interface HistogramState {
  counts: number[];
  sum: number;
  count: number;
}

/** Observations counted into cumulative `le` buckets, with `_sum` and `_count`. */
export class Histogram extends Metric<HistogramState> {
  readonly buckets: readonly number[];

  constructor(name: string, help: string, labelNames: readonly string[], buckets: readonly number[]) {
    super(name, help, labelNames, "histogram");
    this.buckets = [...buckets].sort((a, b) => a - b);
  }
  protected initial(): HistogramState {
    return { counts: this.buckets.map(() => 0), sum: 0, count: 0 };
  }
  protected lines(name: string, pairs: Array<[string, string]>, s: HistogramState): string[] {
    const out: string[] = [];
    let cumulative = 0;
    this.buckets.forEach((le, i) => {
      cumulative += s.counts[i]!;
      out.push(`${name}_bucket${formatLabels([["le", formatValue(le)], ...pairs])} ${cumulative}`);
    });
    out.push(`${name}_bucket${formatLabels([["le", "+Inf"], ...pairs])} ${s.count}`);
    out.push(`${name}_sum${formatLabels(pairs)} ${formatValue(s.sum)}`);
    out.push(`${name}_count${formatLabels(pairs)} ${s.count}`);
    return out;
  }
  observe(labels: Labels, value: number): void {
    const s = this.series(labels);
    const i = this.buckets.findIndex((le) => value <= le);
    if (i >= 0) s.counts[i]! += 1;
    s.sum += value;
    s.count += 1;
  }
  /** Creates the series with every bucket at 0. */
  zero(labels: Labels): void {
    this.series(labels);
  }
}

/** The metric families of one process, rendered in registration order. */
export class Registry {
  readonly contentType = CONTENT_TYPE;
  readonly #families = new Map<string, Family>();

  register<T extends Family>(family: T): T {
    if (this.#families.has(family.name)) throw new Error(`metric ${family.name} registered twice`);
    this.#families.set(family.name, family);
    return family;
  }

  /** Every family in the text format. */
  metrics(): string {
    return [...this.#families.values()].map((f) => f.render()).join("");
  }
}
