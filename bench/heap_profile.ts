/**
 * Heap snapshots of an operator process through its V8 inspector: attaches to the process listening on
 * the port (start the operator with `--inspect-wait`, as for `bench/cpu_profile.ts`), lets it run, and at
 * the chosen moment reads `Deno.memoryUsage()`, takes a heap snapshot (`HeapProfiler.takeHeapSnapshot`,
 * which collects garbage first), writes it to `<out>-<n>.heapsnapshot` (open it in Chrome DevTools) and
 * prints a summary: total, self size by node type and by constructor, the largest retainers (retained
 * size from the dominator tree), the largest strings and duplicated string contents with who holds them.
 *
 * When: `--at-seconds 40,90` (seconds after attaching; one snapshot each), or `--after-busy <s>`: once
 * the operator has been busy (over 30 % of a core for 2 s: the fan-out) and then quiet (under 5 %) for
 * `<s>` seconds: the steady state after a fan-out, whatever its length.
 *
 * `PLUMBER_OPERATOR_V8_FLAGS` is one argument of the operator's `deno run`, in place of its V8 limits: what
 * the snapshot holds does not depend on them (it is taken after a full collection), only the RSS does.
 *
 * ```sh
 * PLUMBER_OPERATOR_V8_FLAGS=--inspect-wait=127.0.0.1:9339 \
 *   deno task bench --scenarios fan-out,idle,memory --replicators 200 --idle-seconds 60 &
 * deno run -A bench/heap_profile.ts --port 9339 --after-busy 15 --out /tmp/heap
 * deno run -A bench/heap_profile.ts --summary /tmp/heap-1.heapsnapshot   # the summary of a snapshot again
 * ```
 *
 * Taking a snapshot grows the operator's RSS (V8 serializes the heap in its own process): do not read the
 * memory rows of a benchmark run that was snapshotted.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { inspectorUrl } from "./cpu_profile.ts";

/** The parts of a `.heapsnapshot` this summary reads. */
export interface HeapSnapshot {
  snapshot: {
    meta: {
      node_fields: string[];
      node_types: [string[], ...unknown[]];
      edge_fields: string[];
      edge_types: [string[], ...unknown[]];
    };
  };
  nodes: number[];
  edges: number[];
  strings: string[];
}

/** One row of a summary table. */
export interface SizeRow {
  name: string;
  count: number;
  bytes: number;
}

/** A heap snapshot as flat arrays: node i's fields, its outgoing edges, its first retainer. */
export class HeapGraph {
  readonly count: number;
  readonly types: string[];
  readonly edgeTypes: string[];
  readonly type: Uint8Array;
  readonly name: Uint32Array;
  readonly selfSize: Float64Array;
  /** Edges of node i: firstEdge[i] .. firstEdge[i + 1] (in edge units). */
  readonly firstEdge: Uint32Array;
  readonly edgeType: Uint8Array;
  readonly edgeName: Uint32Array;
  readonly edgeTo: Uint32Array;
  readonly strings: string[];
  #retainer?: { node: Int32Array; edge: Int32Array };
  #retained?: Float64Array;

  constructor(s: HeapSnapshot) {
    const meta = s.snapshot.meta;
    const nf = meta.node_fields.length;
    const ef = meta.edge_fields.length;
    const at = (fields: string[], f: string) => {
      const i = fields.indexOf(f);
      if (i < 0) throw new Error(`Heap snapshot has no field "${f}" (fields: ${fields.join(", ")})`);
      return i;
    };
    const [nType, nName, nSelf, nEdges] = ["type", "name", "self_size", "edge_count"].map((f) =>
      at(meta.node_fields, f)
    ) as [number, number, number, number];
    const [eType, eName, eTo] = ["type", "name_or_index", "to_node"].map((f) => at(meta.edge_fields, f)) as [
      number,
      number,
      number,
    ];
    this.types = meta.node_types[0];
    this.edgeTypes = meta.edge_types[0];
    this.strings = s.strings;
    this.count = s.nodes.length / nf;
    this.type = new Uint8Array(this.count);
    this.name = new Uint32Array(this.count);
    this.selfSize = new Float64Array(this.count);
    this.firstEdge = new Uint32Array(this.count + 1);
    const edges = s.edges.length / ef;
    this.edgeType = new Uint8Array(edges);
    this.edgeName = new Uint32Array(edges);
    this.edgeTo = new Uint32Array(edges);
    let e = 0;
    for (let i = 0; i < this.count; i++) {
      const base = i * nf;
      this.type[i] = s.nodes[base + nType]!;
      this.name[i] = s.nodes[base + nName]!;
      this.selfSize[i] = s.nodes[base + nSelf]!;
      this.firstEdge[i] = e;
      e += s.nodes[base + nEdges]!;
    }
    this.firstEdge[this.count] = e;
    for (let j = 0; j < edges; j++) {
      this.edgeType[j] = s.edges[j * ef + eType]!;
      this.edgeName[j] = s.edges[j * ef + eName]!;
      this.edgeTo[j] = s.edges[j * ef + eTo]! / nf;
    }
  }

  typeOf(i: number): string {
    return this.types[this.type[i]!] ?? "?";
  }

  nameOf(i: number): string {
    return this.strings[this.name[i]!] ?? "";
  }

  /** What a node is, for tables: the constructor of an object, `(type)` otherwise, or a closure's name. */
  label(i: number): string {
    const t = this.typeOf(i);
    if (t === "object" || t === "closure" || t === "native") return this.nameOf(i) || `(${t})`;
    if (t === "hidden" || t === "array" || t === "code") return `(${t}) ${this.nameOf(i).slice(0, 40)}`;
    return `(${t})`;
  }

  /** The name of edge j: a property name, or `[index]`. */
  edgeLabel(j: number): string {
    const t = this.edgeTypes[this.edgeType[j]!];
    if (t === "element" || t === "hidden") return `[${this.edgeName[j]}]`;
    return this.strings[this.edgeName[j]!] ?? "?";
  }

  #weak(j: number): boolean {
    const t = this.edgeTypes[this.edgeType[j]!];
    return t === "weak" || t === "shortcut";
  }

  /** First strong retainer of every node (node and edge index), -1 for none. */
  get retainer(): { node: Int32Array; edge: Int32Array } {
    if (this.#retainer) return this.#retainer;
    const node = new Int32Array(this.count).fill(-1);
    const edge = new Int32Array(this.count).fill(-1);
    // Breadth first from the root, so the first retainer is on a shortest path from it.
    const queue = new Uint32Array(this.count);
    const seen = new Uint8Array(this.count);
    let head = 0, tail = 0;
    queue[tail++] = 0;
    seen[0] = 1;
    while (head < tail) {
      const i = queue[head++]!;
      for (let j = this.firstEdge[i]!; j < this.firstEdge[i + 1]!; j++) {
        if (this.#weak(j)) continue;
        const to = this.edgeTo[j]!;
        if (seen[to]) continue;
        seen[to] = 1;
        node[to] = i;
        edge[to] = j;
        queue[tail++] = to;
      }
    }
    this.#retainer = { node, edge };
    return this.#retainer;
  }

  /** A path from a GC root to node i, at most `depth` steps shown (nearest last). */
  path(i: number, depth = 6): string {
    const parts: string[] = [];
    let at = i;
    for (let k = 0; k < depth; k++) {
      const p = this.retainer.node[at]!;
      if (p <= 0) break;
      parts.unshift(`${this.label(p)}.${this.edgeLabel(this.retainer.edge[at]!)}`);
      at = p;
    }
    return parts.join(" > ");
  }

  /** Retained size of every node (Cooper-Harvey-Kennedy dominators over strong edges from node 0). */
  get retained(): Float64Array {
    if (this.#retained) return this.#retained;
    const n = this.count;
    // Post order by an iterative depth-first search.
    const order = new Int32Array(n).fill(-1);
    const post: number[] = [];
    const stack: number[] = [0];
    const cursor = new Uint32Array(n);
    const visited = new Uint8Array(n);
    visited[0] = 1;
    for (let i = 0; i < n; i++) cursor[i] = this.firstEdge[i]!;
    while (stack.length > 0) {
      const i = stack[stack.length - 1]!;
      if (cursor[i]! < this.firstEdge[i + 1]!) {
        const j = cursor[i]!++;
        if (this.#weak(j)) continue;
        const to = this.edgeTo[j]!;
        if (!visited[to]) {
          visited[to] = 1;
          stack.push(to);
        }
      } else {
        stack.pop();
        order[i] = post.length;
        post.push(i);
      }
    }
    // Predecessors (strong edges, reachable nodes only).
    const predCount = new Uint32Array(n + 1);
    for (let i = 0; i < n; i++) {
      if (!visited[i]) continue;
      for (let j = this.firstEdge[i]!; j < this.firstEdge[i + 1]!; j++) {
        if (!this.#weak(j)) predCount[this.edgeTo[j]! + 1]!++;
      }
    }
    for (let i = 0; i < n; i++) predCount[i + 1]! += predCount[i]!;
    const preds = new Uint32Array(predCount[n]!);
    const fill = predCount.slice(0, n);
    for (let i = 0; i < n; i++) {
      if (!visited[i]) continue;
      for (let j = this.firstEdge[i]!; j < this.firstEdge[i + 1]!; j++) {
        if (!this.#weak(j)) preds[fill[this.edgeTo[j]!]!++] = i;
      }
    }
    const idom = new Int32Array(n).fill(-1);
    idom[0] = 0;
    const intersect = (a: number, b: number) => {
      while (a !== b) {
        while (order[a]! < order[b]!) a = idom[a]!;
        while (order[b]! < order[a]!) b = idom[b]!;
      }
      return a;
    };
    let changed = true;
    while (changed) {
      changed = false;
      for (let k = post.length - 2; k >= 0; k--) {
        const i = post[k]!;
        let dom = -1;
        for (let p = predCount[i]!; p < predCount[i + 1]!; p++) {
          const pred = preds[p]!;
          if (idom[pred] === -1) continue;
          dom = dom === -1 ? pred : intersect(pred, dom);
        }
        if (dom !== -1 && idom[i] !== dom) {
          idom[i] = dom;
          changed = true;
        }
      }
    }
    const retained = new Float64Array(n);
    for (const i of post) retained[i]! += this.selfSize[i]!;
    for (const i of post) if (i !== 0 && idom[i]! >= 0) retained[idom[i]!]! += retained[i]!;
    this.#retained = retained;
    return retained;
  }
}

function table(rows: Map<string, { count: number; bytes: number }>): SizeRow[] {
  return [...rows].map(([name, r]) => ({ name, ...r })).sort((a, b) => b.bytes - a.bytes);
}

function add(rows: Map<string, { count: number; bytes: number }>, key: string, bytes: number): void {
  const row = rows.get(key) ?? { count: 0, bytes: 0 };
  row.count++;
  row.bytes += bytes;
  rows.set(key, row);
}

/** Self size by node type, and by constructor (objects) or type (the rest). */
export function selfSizes(g: HeapGraph): { total: number; byType: SizeRow[]; byLabel: SizeRow[] } {
  const byType = new Map<string, { count: number; bytes: number }>();
  const byLabel = new Map<string, { count: number; bytes: number }>();
  let total = 0;
  for (let i = 0; i < g.count; i++) {
    const bytes = g.selfSize[i]!;
    total += bytes;
    add(byType, g.typeOf(i), bytes);
    add(byLabel, g.label(i), bytes);
  }
  return { total, byType: table(byType), byLabel: table(byLabel) };
}

/** Strings with the same content held more than once: content, copies, bytes of all copies. */
export function duplicateStrings(
  g: HeapGraph,
): { content: string; count: number; bytes: number; node: number }[] {
  const byContent = new Map<string, { count: number; bytes: number; node: number }>();
  for (let i = 0; i < g.count; i++) {
    if (g.typeOf(i) !== "string") continue;
    const content = g.nameOf(i);
    const row = byContent.get(content) ?? { count: 0, bytes: 0, node: i };
    row.count++;
    row.bytes += g.selfSize[i]!;
    byContent.set(content, row);
  }
  return [...byContent].filter(([, r]) => r.count > 1).map(([content, r]) => ({ content, ...r }))
    .sort((a, b) => (b.bytes - b.bytes / b.count) - (a.bytes - a.bytes / a.count));
}

/** Self size of strings and arrays by what holds them: `Constructor.property` of the nearest object. */
export function byOwner(g: HeapGraph, types: ReadonlySet<string>): SizeRow[] {
  const rows = new Map<string, { count: number; bytes: number }>();
  const { node, edge } = g.retainer;
  for (let i = 0; i < g.count; i++) {
    if (!types.has(g.typeOf(i))) continue;
    // Up through internal arrays (properties, elements, a Map's table) to the first object.
    let at = i;
    let via = "";
    for (let k = 0; k < 4 && node[at]! > 0; k++) {
      const p = node[at]!;
      via = via || g.edgeLabel(edge[at]!);
      if (g.typeOf(p) === "object" || g.typeOf(p) === "closure") {
        via = g.edgeLabel(edge[at]!) === via ? via : `${g.edgeLabel(edge[at]!)}..${via}`;
        at = p;
        break;
      }
      at = p;
    }
    add(rows, `${g.typeOf(i)} in ${g.label(at)}.${via.slice(0, 50)}`, g.selfSize[i]!);
  }
  return table(rows);
}

const mib = (bytes: number) => (bytes / 1048576).toFixed(2);
const kib = (bytes: number) => (bytes / 1024).toFixed(1);
const cell = (s: string) => `\`${s.replaceAll("`", "'").replaceAll("|", "/").replace(/\s+/g, " ")}\``;

/** Prints the summary tables of a snapshot (markdown). */
export function printSummary(snapshot: HeapSnapshot, top: number): void {
  const g = new HeapGraph(snapshot);
  const { total, byType, byLabel } = selfSizes(g);
  console.log(`\nheap snapshot: ${g.count} nodes, ${mib(total)} MiB self size in total`);
  console.log("\n| node type | count | MiB |\n| --- | ---: | ---: |");
  for (const r of byType) console.log(`| ${r.name} | ${r.count} | ${mib(r.bytes)} |`);
  console.log("\n| constructor / type | count | self KiB |\n| --- | ---: | ---: |");
  for (const r of byLabel.slice(0, top)) console.log(`| ${cell(r.name)} | ${r.count} | ${kib(r.bytes)} |`);

  const retained = g.retained;
  const big: number[] = [];
  for (let i = 1; i < g.count; i++) {
    const t = g.typeOf(i);
    if (t === "synthetic" || t === "hidden" || t === "code") continue;
    if (retained[i]! > total / 200) big.push(i);
  }
  big.sort((a, b) => retained[b]! - retained[a]!);
  console.log("\n| retained KiB | self KiB | node | path from a root |\n| ---: | ---: | --- | --- |");
  for (const i of big.slice(0, top * 2)) {
    console.log(
      `| ${kib(retained[i]!)} | ${kib(g.selfSize[i]!)} | ${cell(g.label(i))} | ${cell(g.path(i))} |`,
    );
  }

  const strings: number[] = [];
  for (let i = 0; i < g.count; i++) if (g.typeOf(i) === "string") strings.push(i);
  strings.sort((a, b) => g.selfSize[b]! - g.selfSize[a]!);
  console.log("\n| largest strings: KiB | content (start) | path |\n| ---: | --- | --- |");
  for (const i of strings.slice(0, top)) {
    console.log(`| ${kib(g.selfSize[i]!)} | ${cell(g.nameOf(i).slice(0, 40))} | ${cell(g.path(i, 4))} |`);
  }
  const dups = duplicateStrings(g);
  const wasted = dups.reduce((n, d) => n + d.bytes - d.bytes / d.count, 0);
  console.log(
    `\nduplicated string contents: ${dups.length}, ${mib(wasted)} MiB in copies beyond the first`,
  );
  console.log("| copies | KiB all copies | content (start) | one holder |\n| ---: | ---: | --- | --- |");
  for (const d of dups.slice(0, top)) {
    console.log(
      `| ${d.count} | ${kib(d.bytes)} | ${cell(d.content.slice(0, 40))} | ${cell(g.path(d.node, 3))} |`,
    );
  }
  console.log("\n| strings and arrays by holder | count | KiB |\n| --- | ---: | ---: |");
  for (
    const r of byOwner(g, new Set(["string", "concatenated string", "sliced string", "array"])).slice(0, top)
  ) {
    console.log(`| ${cell(r.name)} | ${r.count} | ${kib(r.bytes)} |`);
  }
}

/** An inspector session: commands, and the chunks of a heap snapshot. */
class Session {
  readonly #ws: WebSocket;
  #next = 0;
  readonly #pending = new Map<number, { resolve: (r: unknown) => void; reject: (e: Error) => void }>();
  #chunks: string[] = [];

  private constructor(ws: WebSocket) {
    this.#ws = ws;
    ws.onmessage = (m) => {
      const msg = JSON.parse(m.data as string) as {
        id?: number;
        result?: unknown;
        error?: { message: string };
        method?: string;
        params?: { chunk?: string };
      };
      if (msg.method === "HeapProfiler.addHeapSnapshotChunk") this.#chunks.push(msg.params!.chunk!);
      if (msg.id === undefined) return;
      const p = this.#pending.get(msg.id);
      this.#pending.delete(msg.id);
      if (msg.error) p?.reject(new Error(`Inspector: ${msg.error.message}`));
      else p?.resolve(msg.result);
    };
  }

  static async open(url: string): Promise<Session> {
    const ws = new WebSocket(url);
    await new Promise((resolve, reject) => {
      ws.onopen = resolve;
      ws.onerror = reject;
    });
    return new Session(ws);
  }

  send(method: string, params: Record<string, unknown> = {}): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const id = ++this.#next;
      this.#pending.set(id, { resolve, reject });
      this.#ws.send(JSON.stringify({ id, method, params }));
    });
  }

  async evaluate<T>(expression: string): Promise<T> {
    const r = await this.send("Runtime.evaluate", { expression, returnByValue: true }) as {
      result: { value: T };
    };
    return r.result.value;
  }

  async snapshot(): Promise<string> {
    this.#chunks = [];
    await this.send("HeapProfiler.takeHeapSnapshot", { reportProgress: false, captureNumericValue: false });
    const text = this.#chunks.join("");
    this.#chunks = [];
    return text;
  }

  close(): void {
    this.#ws.close();
  }
}

/** CPU seconds (user + system) of a process so far. */
function cpuSeconds(pid: number): number {
  const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime (fields 14, 15), USER_HZ 100
}

/** Resolves once the process has been busy (> 30 % for 2 s) and then quiet (< 5 %) for `quietS`. */
async function waitBusyThenQuiet(pid: number, quietS: number, say: (s: string) => void): Promise<void> {
  let busy = 0, quiet = 0, wasBusy = false;
  let last = cpuSeconds(pid);
  while (true) {
    await new Promise((r) => setTimeout(r, 1000));
    const now = cpuSeconds(pid);
    const share = now - last;
    last = now;
    if (share > 0.3) {
      busy++;
      quiet = 0;
      if (busy >= 2 && !wasBusy) say("operator busy");
      if (busy >= 2) wasBusy = true;
    } else {
      busy = 0;
      if (share < 0.05 && wasBusy) quiet++;
      else quiet = 0;
      if (wasBusy && quiet >= quietS) return;
    }
  }
}

interface MemoryUsage {
  rss: number;
  heapTotal: number;
  heapUsed: number;
  external: number;
}

if (import.meta.main) {
  const { values } = parseArgs({
    options: {
      port: { type: "string", default: "9339" },
      "at-seconds": { type: "string" },
      "after-busy": { type: "string" },
      out: { type: "string", default: "/tmp/plumber-operator" },
      top: { type: "string", default: "25" },
      summary: { type: "string" },
    },
  });
  const top = Number(values.top);
  const say = (line: string) => console.error(`[heap_profile] ${line}`);
  if (values.summary) {
    printSummary(JSON.parse(await Deno.readTextFile(values.summary)), top);
  } else {
    const url = await inspectorUrl(Number(values.port), Date.now() + 600_000);
    say(`attached to ${url}`);
    const session = await Session.open(url);
    await session.send("Runtime.enable");
    await session.send("HeapProfiler.enable");
    await session.send("Runtime.runIfWaitingForDebugger");
    const pid = await session.evaluate<number>("Deno.pid");
    const attached = performance.now();
    const moments = values["after-busy"]
      ? [{ afterBusy: Number(values["after-busy"]) }]
      : (values["at-seconds"] ?? "60").split(",").map((s) => ({ at: Number(s) }));
    for (const [n, moment] of moments.entries()) {
      if ("afterBusy" in moment) await waitBusyThenQuiet(pid, moment.afterBusy, say);
      else {await new Promise((r) =>
          setTimeout(r, Math.max(0, moment.at * 1000 - (performance.now() - attached)))
        );}
      const usage = JSON.parse(
        await session.evaluate<string>("JSON.stringify(Deno.memoryUsage())"),
      ) as MemoryUsage;
      console.log(
        `\n## snapshot ${n + 1} at ${
          ((performance.now() - attached) / 1000).toFixed(0)
        } s: Deno.memoryUsage() ` +
          `rss ${mib(usage.rss)} MiB, heapTotal ${mib(usage.heapTotal)}, heapUsed ${mib(usage.heapUsed)}, ` +
          `external ${mib(usage.external)}`,
      );
      const text = await session.snapshot();
      const after = JSON.parse(
        await session.evaluate<string>("JSON.stringify(Deno.memoryUsage())"),
      ) as MemoryUsage;
      console.log(
        `after the snapshot (collected): heapUsed ${mib(after.heapUsed)} MiB, rss ${mib(after.rss)}`,
      );
      const path = `${values.out}-${n + 1}.heapsnapshot`;
      await Deno.writeTextFile(path, text);
      say(`wrote ${path} (${mib(text.length)} MiB)`);
      printSummary(JSON.parse(text), top);
    }
    session.close();
  }
}
