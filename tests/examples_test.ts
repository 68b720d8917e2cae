/**
 * examples/ holds what users copy: the seed's sample, unchanged, and a README
 * naming every file there.
 *
 * @module
 */

import assert from "node:assert/strict";
import { EXAMPLES, SAMPLE } from "./replicators.ts";

/** The seed's own copy of its sample, beside the repository (CI has it at ../shared). */
const SEED_SAMPLE = new URL("../../shared/samples/replicator-sample.yaml", import.meta.url);

async function readIfPresent(url: URL): Promise<string | undefined> {
  try {
    return await Deno.readTextFile(url);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
}

Deno.test("examples/replicator-sample.yaml is the seed's sample, byte for byte", async () => {
  const ours = await Deno.readTextFile(SAMPLE);
  const seed = await readIfPresent(SEED_SAMPLE);
  if (seed === undefined) {
    console.log(`not compared with the seed's sample: ${SEED_SAMPLE.pathname} is absent (no ../shared here)`);
  } else {
    assert.equal(ours, seed);
  }
  // Whatever the seed folder: the sample is the seed's Replicator, not a reformatted copy of it.
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
