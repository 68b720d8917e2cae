import assert from "node:assert/strict";
import { parseKubeconfig } from "./parse.ts";
import { serializeKubeconfig } from "./serialize.ts";
import { everySecret, oneContext, seedText } from "./_test_util.ts";

Deno.test("serializeKubeconfig() output parses back to the same kubeconfig", () => {
  const config = parseKubeconfig(seedText());
  const text = serializeKubeconfig(config);
  assert.deepEqual(parseKubeconfig(text), config);
  assert.equal(serializeKubeconfig(parseKubeconfig(text)), text);

  const rich = everySecret();
  rich.clusters[0]!.cluster["tls-server-name"] = "api.internal";
  rich.clusters[0]!.cluster["insecure-skip-tls-verify"] = false;
  rich.users[0]!.user["as-groups"] = ["system:masters"];
  rich.users[0]!.user["as-user-extra"] = { scopes: ["a", "b"] };
  rich.contexts[0]!.context.extensions = [{ name: "ext", extension: { nested: [1, 2] } }];
  rich["current-context"] = "a";
  rich.preferences = { colors: true };
  assert.deepEqual(parseKubeconfig(serializeKubeconfig(rich)), rich);
});

Deno.test("serializeKubeconfig() writes kubectl's key order and quotes YAML 1.1 booleans", () => {
  const text = serializeKubeconfig(oneContext((c) => c.contexts[0]!.context.namespace = "on"));
  const topKeys = text.split("\n").filter((l) => /^[a-z-]+:/i.test(l)).map((l) => l.split(":")[0]);
  assert.deepEqual(topKeys, [
    "apiVersion",
    "kind",
    "clusters",
    "contexts",
    "current-context",
    "preferences",
    "users",
  ]);
  assert.match(text, /namespace: "on"/);
  assert.ok(!text.includes("&"), "no YAML anchors");
});
