import assert from "node:assert/strict";
import { finalSummary, parseSummary } from "./run.ts";

Deno.test("parseSummary() reads deno test's coloured result line, not a test's own output", () => {
  const output = [
    "running 2 tests from ./tests/x_test.ts",
    "prints tests: 9 passed, 9 failed ... ok (1ms)",
    "",
    "\x1b[0m\x1b[32mok\x1b[0m | 12 passed (3 steps) | 0 failed | 1 ignored \x1b[0m\x1b[38;5;245m(4s)\x1b[0m",
    "a line after it that says 7 passed and 7 failed",
  ].join("\n");
  assert.deepEqual(parseSummary(output), { passed: 12, failed: 0 });
  assert.deepEqual(
    parseSummary("\x1b[0m\x1b[31mFAILED\x1b[0m | 118 passed | 2 failed \x1b[0m\x1b[38;5;245m(3m)\x1b[0m\n"),
    { passed: 118, failed: 2 },
  );
  assert.deepEqual(parseSummary("something: 3 passed, 1 failed"), { passed: 3, failed: 1 });
  assert.equal(parseSummary("error: Module not found"), undefined);
});

Deno.test("finalSummary() adds the secret scan as one more test, and a crash as one failure", () => {
  assert.equal(finalSummary({ passed: 10, failed: 0 }, true).line, "tests: 11 passed, 0 failed");
  assert.equal(finalSummary({ passed: 10, failed: 1 }, false).line, "tests: 10 passed, 2 failed");
  assert.equal(finalSummary(undefined, true).line, "tests: 1 passed, 1 failed");
  assert.equal(finalSummary({ passed: 4, failed: 0 }, undefined).line, "tests: 4 passed, 0 failed");
});
