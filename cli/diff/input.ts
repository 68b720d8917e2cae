/**
 * The Replicator `plumberctl diff -f` compares: read from a file or stdin and checked before any
 * request, with errors naming the file and the field. The API server checks the rest (the CRD schema,
 * admission) in a dry run, see `replicator_source.ts`.
 *
 * @module
 */

import { parseAllDocuments } from "yaml";
import { API_VERSION, REPLICATOR_KIND } from "../../lib/api.ts";
import { UsageError } from "../../lib/errors.ts";

/** A Replicator as read from a manifest: only what `parseReplicatorManifest` checked is typed. */
export interface ReplicatorManifest {
  apiVersion: typeof API_VERSION;
  kind: typeof REPLICATOR_KIND;
  metadata: { name: string; [k: string]: unknown };
  spec: Record<string, unknown> & { replicationNamespace: string };
  [k: string]: unknown;
}

function fail(source: string, reason: string): never {
  throw new UsageError(`Cannot diff ${source}: ${reason}`, "diff");
}

/**
 * Parses the text of a Replicator manifest (YAML or JSON, one document; `---` separators and empty
 * documents are allowed around it). `source` names the file in errors (`replicator.yaml`, `stdin`).
 *
 * @throws {UsageError} naming the source and the field: invalid YAML (with line and column), not one
 * Replicator of `plumber.jnytnai0613.github.io/v1`, no `metadata.name`, no `spec.replicationNamespace`.
 */
export function parseReplicatorManifest(text: string, source: string): ReplicatorManifest {
  const documents = parseAllDocuments(text);
  if (!Array.isArray(documents)) fail(source, "it is not a YAML document");
  for (const doc of documents) {
    const error = doc.errors[0];
    if (error) {
      const at = error.linePos?.[0];
      fail(
        source,
        `invalid YAML${at ? ` at line ${at.line}, column ${at.col}` : ""}: ${error.message.split("\n")[0]}`,
      );
    }
  }
  const values = documents.map((d) => d.toJS() as unknown).filter((v) => v !== null && v !== undefined);
  if (values.length === 0) fail(source, "it holds no object");
  if (values.length > 1) fail(source, `it holds ${values.length} objects; give one Replicator per diff`);
  const object = values[0];
  if (typeof object !== "object" || Array.isArray(object)) fail(source, "it is not an object");
  const o = object as Record<string, unknown>;
  if (o.kind !== REPLICATOR_KIND) {
    fail(source, `kind is ${JSON.stringify(o.kind ?? null)}, expected "${REPLICATOR_KIND}"`);
  }
  if (o.apiVersion !== API_VERSION) {
    fail(source, `apiVersion is ${JSON.stringify(o.apiVersion ?? null)}, expected "${API_VERSION}"`);
  }
  const metadata = o.metadata as Record<string, unknown> | undefined;
  if (typeof metadata?.name !== "string" || metadata.name === "") {
    fail(source, "metadata.name is missing");
  }
  const spec = o.spec as Record<string, unknown> | undefined;
  if (typeof spec !== "object" || spec === null || Array.isArray(spec)) fail(source, "spec is missing");
  if (typeof spec.replicationNamespace !== "string" || spec.replicationNamespace === "") {
    fail(source, "spec.replicationNamespace is missing");
  }
  return o as ReplicatorManifest;
}

/** Reads `-f <file>` (`-` for stdin) and parses it. @throws {UsageError} when it cannot be read or parsed. */
export async function readReplicatorManifest(
  file: string,
  cwd: string,
  readStdin: () => Promise<string> = () => new Response(Deno.stdin.readable).text(),
): Promise<ReplicatorManifest> {
  if (file === "-") return parseReplicatorManifest(await readStdin(), "stdin");
  const path = file.startsWith("/") ? file : `${cwd.replace(/\/+$/, "")}/${file}`;
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    const reason = error instanceof Deno.errors.NotFound ? "no such file" : (error as Error).message;
    fail(file, `cannot read ${path}: ${reason}`);
  }
  return parseReplicatorManifest(text, file);
}
