import assert from "node:assert/strict";
import { CliError } from "../lib/errors.ts";
import { configPath, formatConfig, NOT_ACTIVATED, parseConfig, readConfig, writeConfig } from "./config.ts";

Deno.test("formatConfig() writes the seed's format and parseConfig() reads it back", () => {
  const text = formatConfig({ cluster: "primary", path: "/home/me/.kube/config" });
  assert.equal(text, "cluster = 'primary'\npath = '/home/me/.kube/config'\n");
  assert.deepEqual(parseConfig(text, "config.toml"), { cluster: "primary", path: "/home/me/.kube/config" });
  // A quote cannot be in a literal string: a basic string then.
  const quoted = formatConfig({ cluster: "it's", path: "/tmp/a'b" });
  assert.deepEqual(parseConfig(quoted, "config.toml"), { cluster: "it's", path: "/tmp/a'b" });
  // The seed's file (basic strings are fine too).
  assert.deepEqual(parseConfig('cluster = "primary"\npath = "/x"\n', "c"), {
    cluster: "primary",
    path: "/x",
  });
});

Deno.test("parseConfig() names the file and what is wrong, and says how to fix it", () => {
  assert.throws(() => parseConfig("cluster = 'primary'\n", "/h/.plumber/config.toml"), (error: unknown) => {
    assert.ok(error instanceof CliError);
    assert.match(
      error.message,
      /^Cannot read \/h\/\.plumber\/config\.toml: path is missing; run plumberctl activate/,
    );
    return true;
  });
  assert.throws(
    () => parseConfig("cluster = \npath = 'x'", "c.toml"),
    /Cannot read c\.toml: invalid TOML at line 1/,
  );
  assert.throws(() => parseConfig("cluster = 3\npath = 'x'", "c.toml"), /cluster must be a non-empty string/);
});

Deno.test("writeConfig() writes ~/.plumber/config.toml with mode 0600 in a 0700 folder; readConfig() reads it", async () => {
  const home = await Deno.makeTempDir({ prefix: "plumberctl-home-" });
  try {
    const ctx = { env: (name: string) => (name === "HOME" ? home : undefined) };
    await assert.rejects(readConfig(ctx), (error: unknown) => {
      assert.ok(error instanceof CliError);
      assert.equal(error.message, NOT_ACTIVATED);
      assert.equal(error.exitCode, 1);
      return true;
    });
    const path = await writeConfig(ctx, { cluster: "primary", path: "/k/config" });
    assert.equal(path, `${home}/.plumber/config.toml`);
    assert.equal(configPath(ctx), path);
    assert.equal((await Deno.stat(path)).mode! & 0o777, 0o600);
    assert.equal((await Deno.stat(`${home}/.plumber`)).mode! & 0o777, 0o700);
    assert.equal(await Deno.readTextFile(path), "cluster = 'primary'\npath = '/k/config'\n");
    assert.deepEqual(await readConfig(ctx), { cluster: "primary", path: "/k/config" });
    // Rewriting replaces the file and keeps the mode; no temporary file is left.
    await writeConfig(ctx, { cluster: "other", path: "/k/config" });
    assert.equal((await readConfig(ctx)).cluster, "other");
    assert.deepEqual([...Deno.readDirSync(`${home}/.plumber`)].map((e) => e.name), ["config.toml"]);
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("configPath() refuses to guess when HOME is not set", () => {
  assert.throws(() => configPath({ env: () => undefined }), /HOME is not set/);
});
