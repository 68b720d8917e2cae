/**
 * A scanner for secret material (private keys, certificates, tokens,
 * kubeconfig credentials) in what plumber shows to people: log lines,
 * Events and status. `deno task test` runs it over the whole end-to-end
 * suite's output (see `tests/run.ts`); a finding fails the run.
 *
 * The scan functions are pure and say where a secret is, never what it is:
 * a finding's excerpt shows the text before the secret and the secret's rule
 * and length in its place.
 *
 * @example
 * ```ts
 * const findings = scanText(line, "operator-1.log:12");
 * for (const f of findings) console.log(formatFinding(f));
 * ```
 *
 * @module
 */

import type { KubeClient } from "../lib/kube/client.ts";

/** One piece of secret material found. */
export interface Finding {
  /** Where: `file:line`, `event <cluster> <ns>/<name> .message`, `status Replicator x .conditions[1].message`. */
  source: string;
  /** What kind of secret, e.g. `PEM private key`, `JWT`, `credential field token`. */
  rule: string;
  /** Offset of the secret in the scanned string. */
  offset: number;
  /** Length of the secret. */
  length: number;
  /** The text before the secret, itself masked, and the rule in the secret's place. */
  excerpt: string;
}

/** Keys whose value is a credential in a kubeconfig, a Secret or an HTTP request. */
export const CREDENTIAL_KEYS = [
  "client-key-data",
  "client-certificate-data",
  "certificate-authority-data",
  "client-key",
  "token",
  "id-token",
  "refresh-token",
  "access-token",
  "client-secret",
  "password",
  "tls.key",
  "ca.key",
  "client.key",
] as const;

/** Values that stand for a removed secret (or no secret) rather than a secret. */
const PLACEHOLDER = /^(?:\[?REDACTED\]?|<redacted>|\*+|true|false|null|undefined|none|)$/i;

// A PEM body may sit in a string with real newlines or with JSON's `\n` escapes.
const PEM = /-----BEGIN ([A-Z0-9 ]+)-----(?:\s|\\[nr])*[A-Za-z0-9+/=]{16,}/g;
// "-----BEGIN" in base64 at each of its three alignments.
const BASE64_PEM = /(?:LS0tLS1CRUdJT|0tLS0tQkVHSU|tLS0tLUJFR0lO)[A-Za-z0-9+/]{8,}={0,2}/g;
const JWT = /\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g;
const BEARER = /\bBearer\s+(?!\[?REDACTED)([A-Za-z0-9\-._~+/]{8,}=*)/gi;
const BASIC = /\bBasic\s+([A-Za-z0-9+/]{8,}={0,2})/g;
const CREDENTIAL_FIELD = new RegExp(
  `(?<![\\w.-])(\\\\?["']?)(${CREDENTIAL_KEYS.map((k) => k.replace(".", "\\.")).join("|")})\\1` +
    `\\s*[:=]\\s*(\\\\?["']?)([^\\s"'\\\\,;}\\]]{8,})`,
  "gi",
);
// Long base64 runs are decoded and scanned again: encoded PEM, kubeconfigs and DER keys hide there.
const BASE64_RUN = /[A-Za-z0-9+/]{40,}={0,2}/g;
const MAX_DEPTH = 2;

interface Hit {
  rule: string;
  offset: number;
  length: number;
}

function pemRule(label: string): string {
  if (/PRIVATE KEY/.test(label)) return "PEM private key";
  if (/CERTIFICATE/.test(label)) return "PEM certificate";
  return `PEM ${label.toLowerCase()}`;
}

function decodeBase64(run: string): Uint8Array | undefined {
  const clean = run.replace(/=+$/, "");
  const usable = clean.slice(0, clean.length - (clean.length % 4 === 1 ? 1 : 0));
  const padded = usable + "=".repeat((4 - (usable.length % 4)) % 4);
  try {
    return Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
  } catch {
    return undefined;
  }
}

/** True when bytes are one DER SEQUENCE of exactly their length (a certificate or key). */
export function looksLikeDer(bytes: Uint8Array): boolean {
  if (bytes.length < 32 || bytes[0] !== 0x30) return false;
  const first = bytes[1]!;
  let header = 2;
  let length = first;
  if (first & 0x80) {
    const count = first & 0x7f;
    if (count < 1 || count > 3) return false;
    length = 0;
    for (let i = 0; i < count; i++) length = (length << 8) | bytes[2 + i]!;
    header += count;
  }
  // Base64 without padding may lose a trailing byte or two.
  const total = header + length;
  return total >= bytes.length && total <= bytes.length + 2;
}

function printableText(bytes: Uint8Array): string | undefined {
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
  // deno-lint-ignore no-control-regex
  const control = text.match(/[\x00-\x08\x0e-\x1f\x7f]/g)?.length ?? 0;
  return control === 0 ? text : undefined;
}

function hits(text: string, depth: number): Hit[] {
  const found: Hit[] = [];
  const add = (rule: string, offset: number, length: number) => found.push({ rule, offset, length });
  for (const m of text.matchAll(PEM)) add(pemRule(m[1]!), m.index, m[0].length);
  for (const m of text.matchAll(BASE64_PEM)) add("base64-encoded PEM", m.index, m[0].length);
  for (const m of text.matchAll(JWT)) add("JWT", m.index, m[0].length);
  for (const m of text.matchAll(BEARER)) add("bearer token", m.index, m[0].length);
  for (const m of text.matchAll(BASIC)) {
    const decoded = decodeBase64(m[1]!);
    if (decoded && printableText(decoded)?.includes(":")) add("basic credentials", m.index, m[0].length);
  }
  for (const m of text.matchAll(CREDENTIAL_FIELD)) {
    const value = m[4]!;
    if (PLACEHOLDER.test(value) || /^REDACTED/.test(value)) continue;
    const start = m.index + m[0].length - value.length;
    add(`credential field ${m[2]!.toLowerCase()}`, start, value.length);
  }
  if (depth < MAX_DEPTH) {
    for (const m of text.matchAll(BASE64_RUN)) {
      const bytes = decodeBase64(m[0]);
      if (!bytes) continue;
      if (looksLikeDer(bytes)) {
        add("base64-encoded DER key or certificate", m.index, m[0].length);
        continue;
      }
      const decoded = printableText(bytes);
      if (decoded === undefined) continue;
      const inner = hits(decoded, depth + 1);
      if (inner.length > 0) add(`base64-encoded ${inner[0]!.rule}`, m.index, m[0].length);
    }
  }
  // One finding per region: the earliest-starting, longest hit wins.
  found.sort((a, b) => a.offset - b.offset || b.length - a.length);
  const kept: Hit[] = [];
  for (const hit of found) {
    const last = kept.at(-1);
    if (last && hit.offset < last.offset + last.length) continue;
    kept.push(hit);
  }
  return kept;
}

/** Masks what could be part of a secret in context text: long base64-like runs. */
function maskContext(text: string): string {
  return text.replace(/[A-Za-z0-9+/=_-]{16,}/g, (run) => `‹${run.length} chars›`);
}

/** Finds secret material in one string. */
export function scanText(text: string, source: string): Finding[] {
  return hits(text, 0).map((hit) => {
    const before = text.slice(Math.max(0, hit.offset - 40), hit.offset);
    return {
      source,
      rule: hit.rule,
      offset: hit.offset,
      length: hit.length,
      excerpt: `${maskContext(before).replace(/\s+/g, " ")}‹${hit.rule}, ${hit.length} chars›`,
    };
  });
}

/** Scans log lines; sources are `<name>:<line number>`. */
export function scanLines(lines: readonly string[], name: string): Finding[] {
  return lines.flatMap((line, i) => scanText(line, `${name}:${i + 1}`));
}

function isCredentialKey(key: string): boolean {
  return (CREDENTIAL_KEYS as readonly string[]).includes(key.toLowerCase());
}

/**
 * Scans every string in a JSON-like value (an Event, a status). A credential
 * key with a non-placeholder string value is a finding in itself.
 */
export function scanValue(value: unknown, source: string, path = ""): Finding[] {
  if (typeof value === "string") return scanText(value, `${source} ${path || "."}`);
  if (Array.isArray(value)) return value.flatMap((v, i) => scanValue(v, source, `${path}[${i}]`));
  if (value === null || typeof value !== "object") return [];
  const out: Finding[] = [];
  for (const [key, v] of Object.entries(value)) {
    const at = `${path}.${key}`;
    if (isCredentialKey(key) && typeof v === "string" && !PLACEHOLDER.test(v)) {
      out.push({
        source: `${source} ${at}`,
        rule: `credential field ${key}`,
        offset: 0,
        length: v.length,
        excerpt: `${key}: ‹credential field ${key}, ${v.length} chars›`,
      });
      continue;
    }
    out.push(...scanValue(v, source, at));
  }
  return out;
}

/** One line per finding, safe to print. */
export function formatFinding(finding: Finding): string {
  return `${finding.source}: ${finding.rule} at offset ${finding.offset} (${finding.length} chars): …${finding.excerpt}`;
}

/** What a whole scan looked at and found. */
export interface ScanReport {
  logFiles: number;
  logLines: number;
  events: number;
  statuses: number;
  findings: Finding[];
  /** Sources that could not be read (a cluster that did not answer): the scan is then incomplete. */
  errors: string[];
}

/** `secret scan: N log lines, N events, N statuses, N findings` */
export function summarizeScan(report: ScanReport): string {
  return `secret scan: ${report.logLines} log lines, ${report.events} events, ${report.statuses} statuses, ` +
    `${report.findings.length} findings`;
}

/** Scans every file of a folder as log lines. */
export async function scanLogDir(
  dir: string,
): Promise<Pick<ScanReport, "logFiles" | "logLines" | "findings">> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(dir)) if (entry.isFile) names.push(entry.name);
  names.sort();
  let logLines = 0;
  const findings: Finding[] = [];
  for (const name of names) {
    const text = await Deno.readTextFile(`${dir}/${name}`);
    const lines = text.split("\n");
    if (lines.at(-1) === "") lines.pop();
    logLines += lines.length;
    findings.push(...scanLines(lines, name));
  }
  return { logFiles: names.length, logLines, findings };
}

function withoutManagedFields<T extends { metadata?: Record<string, unknown> }>(object: T): T {
  const { managedFields: _, ...metadata } = object.metadata ?? {};
  return { ...object, metadata };
}

/**
 * Scans every Event of every cluster, and the status of every Replicator and
 * ClusterDetector of the primary.
 */
export async function scanClusters(
  clusters: ReadonlyArray<{ name: string; client: KubeClient }>,
  primary: KubeClient,
): Promise<Pick<ScanReport, "events" | "statuses" | "findings" | "errors">> {
  let events = 0;
  let statuses = 0;
  const findings: Finding[] = [];
  const errors: string[] = [];
  for (const { name, client } of clusters) {
    try {
      const list = await client.listAll<{ metadata: { namespace?: string; name?: string } }>("v1", "Event");
      for (const event of list.items) {
        events++;
        const where = `event ${name} ${event.metadata.namespace}/${event.metadata.name}`;
        findings.push(...scanValue(withoutManagedFields(event), where));
      }
    } catch (error) {
      errors.push(`cannot list Events in ${name}: ${(error as Error).message}`);
    }
  }
  for (const kind of ["Replicator", "ClusterDetector"]) {
    try {
      const list = await primary.listAll<
        { metadata: { namespace?: string; name?: string }; status?: unknown }
      >(
        "plumber.jnytnai0613.github.io/v1",
        kind,
      );
      for (const object of list.items) {
        statuses++;
        const where = `status ${kind} ${
          object.metadata.namespace ? `${object.metadata.namespace}/` : ""
        }${object.metadata.name}`;
        findings.push(...scanValue(object.status ?? {}, where));
      }
    } catch (error) {
      errors.push(`cannot list ${kind}s in the primary: ${(error as Error).message}`);
    }
  }
  return { events, statuses, findings, errors };
}
