import assert from "node:assert/strict";
import { UsageError } from "../../lib/errors.ts";
import { browserCommand, openerForTarget } from "../browser_opener.ts";
import { parsePortFlag } from "./dashboard.ts";

Deno.test("parsePortFlag() takes 0 to 65535 (none: a free port) and names the flag and value otherwise", () => {
  assert.equal(parsePortFlag(undefined), 0);
  assert.equal(parsePortFlag("8088"), 8088);
  for (const bad of ["-1", "65536", "http", "80.5", ""]) {
    assert.throws(() => parsePortFlag(bad), (e: unknown) =>
      e instanceof UsageError &&
      e.message === `invalid value "${bad}" for --port: expected a port number from 0 to 65535`);
  }
});

Deno.test("browserCommand() opens the URL with xdg-open, open or start", () => {
  const url = "http://127.0.0.1:1/";
  assert.deepEqual(browserCommand("linux", url), { command: "/usr/bin/xdg-open", args: [url] });
  assert.deepEqual(browserCommand("darwin", url), { command: "/usr/bin/open", args: [url] });
  assert.deepEqual(browserCommand("windows", url), {
    command: "C:\\Windows\\System32\\cmd.exe",
    args: ["/c", "start", "", url],
  });
  assert.equal(openerForTarget("x86_64-unknown-linux-gnu"), "/usr/bin/xdg-open");
  assert.equal(openerForTarget("aarch64-apple-darwin"), "/usr/bin/open");
  assert.equal(openerForTarget("x86_64-pc-windows-msvc"), "C:\\Windows\\System32\\cmd.exe");
});
