import assert from "node:assert/strict";
import { LAST_APPLIED_ANNOTATION, stripManagedFields, stripManagedFieldsAndLastApplied } from "./informer.ts";

function deployment() {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: {
      name: "web",
      namespace: "app",
      managedFields: [{ manager: "kubectl", operation: "Update" }],
      annotations: { [LAST_APPLIED_ANNOTATION]: '{"big":"copy"}', "plumber/intent-hash": "abc" },
    },
    spec: { replicas: 2 },
    status: { readyReplicas: 2 },
  };
}

Deno.test("stripManagedFields drops managedFields only, in place", () => {
  const o = deployment();
  assert.equal(stripManagedFields(o), o);
  assert.equal("managedFields" in o.metadata, false);
  assert.equal(o.metadata.annotations[LAST_APPLIED_ANNOTATION], '{"big":"copy"}');
  assert.deepEqual(o.status, { readyReplicas: 2 });
});

Deno.test("stripManagedFieldsAndLastApplied also drops the last-applied annotation and keeps the others", () => {
  const o = stripManagedFieldsAndLastApplied(deployment());
  assert.equal("managedFields" in o.metadata, false);
  assert.deepEqual(o.metadata.annotations, { "plumber/intent-hash": "abc" });
  assert.deepEqual(o.spec, { replicas: 2 });
  // Objects without metadata or annotations pass through.
  assert.deepEqual(stripManagedFieldsAndLastApplied({ kind: "X" } as never), { kind: "X" });
});

/**
 * Runs `body` in a fresh Deno with V8's natives syntax, where `fast(o)` is `%HasFastProperties(o)`
 * (whether V8 keeps `o`'s properties in fast mode); returns what it prints.
 */
export async function withNatives(body: string): Promise<string> {
  const informer = new URL("./informer.ts", import.meta.url).href;
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "eval",
      "--v8-flags=--allow-natives-syntax",
      `import * as informer from "${informer}";\n` +
      `const fast = new Function("o", "return %HasFastProperties(o)");\n${body}`,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout).trim();
  if (!out.success) throw new Error(`deno eval failed: ${new TextDecoder().decode(out.stderr)}`);
  return text;
}

Deno.test("the transforms leave a parsed object's metadata and annotations in V8's fast mode (no delete)", async () => {
  const body = `
    const parsed = () => JSON.parse(JSON.stringify({
      apiVersion: "v1", kind: "ConfigMap",
      metadata: { name: "a", namespace: "b", uid: "u", resourceVersion: "1", labels: { x: "y" },
        annotations: { "${LAST_APPLIED_ANNOTATION}": "{}", other: "v" }, managedFields: [{ manager: "m" }] },
      data: { k: "v" },
    }));
    const a = informer.stripManagedFields(parsed());
    const b = informer.stripManagedFieldsAndLastApplied(parsed());
    // The way the old code dropped a field, for contrast: the check can tell the two apart.
    const c = parsed(); delete c.metadata.uid;
    console.log(JSON.stringify([fast(a.metadata), fast(b.metadata), fast(b.metadata.annotations),
      fast(c.metadata), Object.keys(b.metadata)]));`;
  assert.deepEqual(JSON.parse(await withNatives(body)), [
    true,
    true,
    true,
    false,
    ["name", "namespace", "uid", "resourceVersion", "labels", "annotations"],
  ]);
});
