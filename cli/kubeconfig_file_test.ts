import assert from "node:assert/strict";
import { CliError } from "../lib/errors.ts";
import { absolutePath, loadKubeconfig } from "./kubeconfig_file.ts";

Deno.test("absolutePath() expands ~ and resolves relative paths against the working directory", () => {
  const ctx = { env: () => "/home/me", cwd: () => "/work" };
  assert.equal(absolutePath("~/.kube/config", ctx), "/home/me/.kube/config");
  assert.equal(absolutePath("kube/../config", ctx), "/work/config");
  assert.equal(absolutePath("/etc/k", ctx), "/etc/k");
});

Deno.test("loadKubeconfig() says when a file is missing or not a kubeconfig", async () => {
  const dir = await Deno.makeTempDir({ prefix: "plumberctl-kc-" });
  try {
    const ctx = { env: () => undefined, cwd: () => dir };
    await assert.rejects(
      loadKubeconfig("missing", ctx),
      /^CliError: Cannot read kubeconfig .*\/missing: no such file$/,
    );
    await Deno.writeTextFile(`${dir}/notes`, "- just\n- a list\n");
    await assert.rejects(
      loadKubeconfig("notes", ctx),
      (error: unknown) =>
        error instanceof CliError &&
        /Cannot parse kubeconfig .*notes: .*\(is .*notes a kubeconfig\?\)/.test(error.message),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
