import assert from "node:assert/strict";
import { LABELS_EXTENSION, readContextLabels, withContextLabels } from "./labels.ts";
import { parseKubeconfig } from "./parse.ts";
import { serializeKubeconfig } from "./serialize.ts";
import { storageProblems } from "./storage.ts";
import { oneContext } from "./_test_util.ts";

Deno.test("withContextLabels() stores labels as the context's extension, and parse/serialize keep it intact", () => {
  const config = withContextLabels(oneContext(), "east-ctx", { tier: "big", region: "east" });
  assert.deepEqual(config.contexts[0]!.context.extensions, [
    { name: LABELS_EXTENSION, extension: { labels: { region: "east", tier: "big" } } },
  ]);
  const text = serializeKubeconfig(config);
  assert.match(
    text,
    /extensions:\n\s+- name: plumber.jnytnai0613.github.io\/labels\n\s+extension:\n\s+labels:/,
  );
  const back = parseKubeconfig(text);
  assert.deepEqual(back.contexts, config.contexts);
  assert.deepEqual(readContextLabels(back, "east-ctx"), {
    labels: { region: "east", tier: "big" },
    problems: [],
  });
  assert.deepEqual(storageProblems(back), []);
});

Deno.test("withContextLabels() keeps other extensions in place and drops its own when no labels are left", () => {
  const base = oneContext((c) => {
    c.contexts[0]!.context.extensions = [
      { name: "before", extension: { a: 1 } },
      { name: LABELS_EXTENSION, extension: { labels: { old: "x" } } },
      { name: "after", extension: null },
    ];
  });
  const set = withContextLabels(base, "east-ctx", { region: "west" });
  assert.deepEqual(set.contexts[0]!.context.extensions!.map((e) => e.name), [
    "before",
    LABELS_EXTENSION,
    "after",
  ]);
  const cleared = withContextLabels(set, "east-ctx", {});
  assert.deepEqual(cleared.contexts[0]!.context.extensions!.map((e) => e.name), ["before", "after"]);
  assert.equal(withContextLabels(oneContext(), "east-ctx", {}).contexts[0]!.context.extensions, undefined);
  assert.equal(readContextLabels(oneContext(), "east-ctx").labels, undefined);
  assert.throws(() => withContextLabels(base, "nope", {}), /context "nope" is not in the kubeconfig/);
  // Other extensions are opaque to the storage policy.
  assert.deepEqual(storageProblems(cleared), []);
});

Deno.test("the storage policy refuses bad, reserved and malformed labels, marked as label problems", () => {
  const withExtension = (extension: unknown) =>
    oneContext((c) => {
      c.contexts[0]!.context.extensions = [{ name: LABELS_EXTENSION, extension }];
    });
  const field = `contexts[east-ctx].context.extensions[${LABELS_EXTENSION}]`;
  const bad = withExtension({
    labels: { ok: "v", "bad key": "x", region: "-x", "app.kubernetes.io/role": "p", n: 1 },
  });
  const problems = storageProblems(bad);
  assert.deepEqual(problems.map((p) => [p.context, p.field, p.labels]), [
    ["east-ctx", `${field}.extension.labels`, true],
    ["east-ctx", `${field}.extension.labels`, true],
    ["east-ctx", `${field}.extension.labels`, true],
    ["east-ctx", `${field}.extension.labels.n`, true],
  ]);
  assert.match(problems[0]!.message, /"bad key" is not a valid label key/);
  assert.match(problems[1]!.message, /value "-x" of label "region" is not a valid label value/);
  assert.match(problems[2]!.message, /"app.kubernetes.io\/role" is reserved/);
  assert.equal(problems[3]!.message, "must be a string");
  assert.deepEqual(readContextLabels(bad, "east-ctx").labels, { ok: "v" }, "valid entries are still read");
  const malformed = storageProblems(withExtension(["region"]));
  assert.deepEqual(malformed.map((p) => [p.field, p.message]), [
    [`${field}.extension`, "must be a mapping {labels: {key: value}}"],
  ]);
});
