import assert from "node:assert/strict";
import { UsageError } from "../../lib/errors.ts";
import { browserCommand, parsePortFlag } from "./dashboard.ts";

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
  assert.deepEqual(browserCommand("linux", url), { command: "xdg-open", args: [url] });
  assert.deepEqual(browserCommand("darwin", url), { command: "open", args: [url] });
  assert.deepEqual(browserCommand("windows", url), { command: "cmd", args: ["/c", "start", "", url] });
});
