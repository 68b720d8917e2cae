import assert from "node:assert/strict";
import type { KubeObject, Replicator } from "../../lib/api.ts";
import { OverrideError } from "../../lib/overrides.ts";
import { alreadyReported, heldBackMessage, heldBackOutcome } from "./held_back.ts";

const object = (kind: string, name: string): KubeObject => ({ apiVersion: "v1", kind, metadata: { name } });
const RENDERED = [object("Namespace", "shop"), object("ConfigMap", "web"), object("Deployment", "web")];
const ERROR = new OverrideError(
  "spec.overrides[1].patches[0].patch[0]",
  "path /spec/foo does not exist in Deployment web",
);

function replicator(status?: Replicator["status"]): Replicator {
  return {
    apiVersion: "plumber.jnytnai0613.github.io/v1",
    kind: "Replicator",
    metadata: { name: "web" },
    spec: { replicationNamespace: "shop" },
    status,
  } as Replicator;
}

Deno.test("heldBackOutcome() keeps what the cluster holds as applied and marks the rest failed, naming the field", () => {
  const outcome = heldBackOutcome(
    replicator({
      applied: [
        { cluster: "east", kind: "ConfigMap", name: "web", applyStatus: "applied" },
        { cluster: "west", kind: "Deployment", name: "web", applyStatus: "applied" },
      ],
    }),
    "east",
    RENDERED,
    ERROR,
  );
  assert.equal(outcome.ok, false);
  assert.equal(outcome.retry, false, "only a spec change can fix it: no backoff loop");
  assert.equal(outcome.wrote, 0);
  assert.deepEqual(outcome.applied, [
    { cluster: "east", kind: "ConfigMap", name: "web", applyStatus: "applied" },
    {
      cluster: "east",
      kind: "Deployment",
      name: "web",
      applyStatus: "failed: held back by spec.overrides[1].patches[0].patch[0]",
    },
  ]);
  assert.equal(
    outcome.message,
    'cluster "east" held back: spec.overrides[1].patches[0].patch[0]: path /spec/foo does not exist in Deployment web',
  );
});

Deno.test("alreadyReported() is true only when the stored status carries the same message for that cluster", () => {
  const message = heldBackMessage("east", ERROR);
  assert.ok(!alreadyReported(replicator(), "east", message));
  assert.ok(
    alreadyReported(replicator({ clusters: [{ name: "east", ready: false, message }] }), "east", message),
  );
  assert.ok(
    !alreadyReported(replicator({ clusters: [{ name: "west", ready: false, message }] }), "east", message),
  );
  assert.ok(
    !alreadyReported(
      replicator({ clusters: [{ name: "east", ready: false, message: "other" }] }),
      "east",
      message,
    ),
  );
});
