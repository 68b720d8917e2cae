import assert from "node:assert/strict";
import { connect } from "./connection.ts";

Deno.test("connect() names the context and field of a credential plugin it cannot run", () => {
  const file = {
    path: "/k",
    baseDir: "/",
    config: {
      apiVersion: "v1",
      kind: "Config",
      clusters: [{ name: "c", cluster: { server: "https://127.0.0.1:1" } }],
      users: [{ name: "u", user: { exec: { command: "aws", args: ["eks", "get-token"] } } }],
      contexts: [{ name: "eks", context: { cluster: "c", user: "u" } }],
    },
  };
  assert.throws(
    () => connect(file, "eks", { clientOptions: {} }),
    /^CliError: Cannot connect with context "eks": users\[u\]\.user\.exec is a credential plugin \(command "aws"\), which plumberctl does not run/,
  );
  assert.throws(
    () => connect(file, "nope", { clientOptions: {} }),
    /Context "nope" is not in kubeconfig \/k; its contexts are eks/,
  );
});
