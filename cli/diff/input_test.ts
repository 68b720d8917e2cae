import assert from "node:assert/strict";
import { UsageError } from "../../lib/errors.ts";
import { parseReplicatorManifest, readReplicatorManifest } from "./input.ts";

const GOOD = `
apiVersion: plumber.jnytnai0613.github.io/v1
kind: Replicator
metadata:
  name: web
spec:
  replicationNamespace: app
`;

Deno.test("parseReplicatorManifest() reads one Replicator, --- separators allowed", () => {
  const r = parseReplicatorManifest(`---\n${GOOD}---\n`, "r.yaml");
  assert.equal(r.metadata.name, "web");
  assert.equal(r.spec.replicationNamespace, "app");
});

Deno.test("parseReplicatorManifest() names the file and the field that is wrong", () => {
  const cases: Array<[string, RegExp]> = [
    ["kind: [", /^Cannot diff r\.yaml: invalid YAML at line 1, column \d+/],
    [GOOD.replace("kind: Replicator", "kind: Deployment"), /kind is "Deployment", expected "Replicator"/],
    [GOOD.replace("/v1", "/v2"), /apiVersion is "plumber\.jnytnai0613\.github\.io\/v2"/],
    [GOOD.replace("  name: web\n", "  labels: {}\n"), /metadata\.name is missing/],
    [
      GOOD.replace("  replicationNamespace: app\n", "  targetCluster: []\n"),
      /spec\.replicationNamespace is missing/,
    ],
    [`${GOOD}---\n${GOOD}`, /holds 2 objects/],
    ["", /holds no object/],
  ];
  for (const [text, message] of cases) {
    assert.throws(() => parseReplicatorManifest(text, "r.yaml"), (e: unknown) => {
      assert.ok(e instanceof UsageError);
      assert.equal(e.exitCode, 2);
      assert.match(e.message, message);
      assert.match(e.message, /^Cannot diff r\.yaml: /);
      return true;
    });
  }
});

Deno.test("readReplicatorManifest() reads stdin for - and says when a file is missing", async () => {
  const r = await readReplicatorManifest("-", "/", () => Promise.resolve(GOOD));
  assert.equal(r.metadata.name, "web");
  await assert.rejects(
    () => readReplicatorManifest("missing.yaml", "/nonexistent-dir"),
    /Cannot diff missing\.yaml: cannot read \/nonexistent-dir\/missing\.yaml: no such file/,
  );
});
