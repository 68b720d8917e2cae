/**
 * examples/ holds what users copy: the seed's sample, unchanged, and a README
 * naming every file there.
 *
 * @module
 */

import assert from "node:assert/strict";
import { EXAMPLES, SAMPLE } from "./replicators.ts";

/** The folder shared beside the repository (CI has it at ../shared), holding the seed's own sample. */
const SHARED = new URL("../../shared/", import.meta.url);
const SEED_SAMPLE = new URL("samples/replicator-sample.yaml", SHARED);

async function exists(url: URL): Promise<boolean> {
  try {
    await Deno.stat(url);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

Deno.test("examples/replicator-sample.yaml is the seed's sample, byte for byte", async () => {
  const ours = await Deno.readTextFile(SAMPLE);
  if (await exists(SHARED)) {
    assert.equal(ours, await Deno.readTextFile(SEED_SAMPLE));
  } else {
    console.log(`Not compared with the seed's sample: the shared folder ${SHARED.pathname} is absent`);
  }
  // Whatever the shared folder: the sample is the seed's Replicator, not a reformatted copy of it.
  assert.match(ours, /^apiVersion: plumber\.jnytnai0613\.github\.io\/v1\nkind: Replicator\n/);
  assert.match(ours, /^ {12}command: $/m, "the seed's trailing space is kept (deno fmt must not touch it)");
});

Deno.test("examples/README.md names every file of examples/", async () => {
  const readme = await Deno.readTextFile(new URL("README.md", EXAMPLES));
  const files: string[] = [];
  for await (const entry of Deno.readDir(EXAMPLES)) {
    if (entry.name !== "README.md") files.push(entry.name);
  }
  assert.ok(files.length > 0);
  for (const file of files) assert.ok(readme.includes(`(${file})`), `examples/README.md links ${file}`);
});
