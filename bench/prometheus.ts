/**
 * Reads Prometheus text exposition (the operator's `/metrics` and every
 * kube-apiserver's `/metrics`) into samples, and sums what the benchmarks
 * count: write requests.
 *
 * @module
 */

/** One sample line: name, labels, value. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\d+)?$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*,?\s*/g;

/** Parses the samples of a text exposition; comments and malformed lines are skipped. */
export function parseMetrics(text: string, only?: string): Sample[] {
  const samples: Sample[] = [];
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    if (only !== undefined && !line.startsWith(only)) continue;
    const match = LINE.exec(line);
    if (!match) continue;
    const name = match[1]!;
    if (only !== undefined && name !== only) continue;
    const labels: Record<string, string> = {};
    for (const m of (match[2] ?? "").matchAll(LABEL)) {
      labels[m[1]!] = m[2]!.replace(/\\n/g, "\n").replace(/\\"/g, '"').replace(/\\\\/g, "\\");
    }
    const value = Number(match[3]);
    if (Number.isNaN(value)) continue;
    samples.push({ name, labels, value });
  }
  return samples;
}

/** HTTP methods that write. */
export const WRITE_METHODS: ReadonlySet<string> = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/**
 * Verbs of `apiserver_request_total` that write: the API server labels
 * requests with its own verbs (`POST`/`CREATE`, `PUT`/`UPDATE`, `PATCH`,
 * `APPLY` for server-side apply, `DELETE`, `DELETECOLLECTION`), depending on
 * the version; compared case-insensitively.
 */
export const WRITE_VERBS: ReadonlySet<string> = new Set([
  "post",
  "create",
  "put",
  "update",
  "patch",
  "apply",
  "delete",
  "deletecollection",
]);

/** `rest_client_requests_total` of the operator, keyed `host method`. */
export function clientRequests(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const s of parseMetrics(text, "rest_client_requests_total")) {
    const key = `${s.labels.host ?? ""} ${s.labels.method ?? ""}`;
    out.set(key, (out.get(key) ?? 0) + s.value);
  }
  return out;
}

/** Sum of the operator's write requests (POST/PUT/PATCH/DELETE) in `rest_client_requests_total`. */
export function clientWrites(text: string): number {
  let total = 0;
  for (const [key, value] of clientRequests(text)) {
    if (WRITE_METHODS.has(key.split(" ")[1]!)) total += value;
  }
  return total;
}

/** `apiserver_request_total` write requests, keyed `verb resource[/subresource]`. */
export function apiserverWrites(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const s of parseMetrics(text, "apiserver_request_total")) {
    const verb = s.labels.verb ?? "";
    if (!WRITE_VERBS.has(verb.toLowerCase())) continue;
    const resource = s.labels.subresource
      ? `${s.labels.resource}/${s.labels.subresource}`
      : s.labels.resource ?? "";
    const key = `${verb} ${resource}`;
    out.set(key, (out.get(key) ?? 0) + s.value);
  }
  return out;
}

/** `after - before` per key, keeping only keys that changed. */
export function delta(before: Map<string, number>, after: Map<string, number>): Map<string, number> {
  const out = new Map<string, number>();
  for (const [key, value] of after) {
    const d = value - (before.get(key) ?? 0);
    if (d !== 0) out.set(key, d);
  }
  return out;
}

/** Sum of a map's values. */
export function total(counts: Map<string, number>): number {
  let sum = 0;
  for (const value of counts.values()) sum += value;
  return sum;
}
