import assert from "node:assert/strict";
import { BuildProgress, formatElapsed, packages, stalePackages } from "./build_progress.ts";

Deno.test("formatElapsed: seconds, then minutes with padded seconds", () => {
  assert.equal(formatElapsed(0), "0s");
  assert.equal(formatElapsed(42_900), "42s");
  assert.equal(formatElapsed(65_000), "1m05s");
  assert.equal(formatElapsed(600_000), "10m00s");
  assert.equal(packages(1), "1 package");
  assert.equal(packages(3), "3 packages");
});

Deno.test("stalePackages: keeps only packages go list marks stale", () => {
  const plan = stalePackages("fmt false\nk8s.io/a true\n\nk8s.io/b true\nk8s.io/c false\n");
  assert.deepEqual([...plan], ["k8s.io/a", "k8s.io/b"]);
});

function ten(): Set<string> {
  return new Set(Array.from({ length: 9 }, (_, i) => `pkg/${i}`));
}

Deno.test("BuildProgress: reports every 10% of compiled packages, then linking", () => {
  const progress = new BuildProgress({ label: "cp", planned: ten(), mainPackage: "main", startedAt: 0 });
  assert.equal(progress.total, 10); // nine dependencies and the main package
  const said: string[] = [];
  for (let i = 0; i < 9; i++) {
    const line = progress.line(`pkg/${i}`, 1000 * (i + 1));
    if (line) said.push(line);
  }
  assert.equal(said[0], "cp: compiling 1/10 packages (10%), 1s elapsed");
  assert.equal(said.length, 9);
  assert.equal(said.at(-1), "cp: compiled 9/10 packages, now the main package and linking, 9s elapsed");
  assert.equal(progress.line("main", 70_000), "cp: linking, 1m10s elapsed");
});

Deno.test("BuildProgress: heartbeat while nothing prints, silence in between", () => {
  const planned = new Set(Array.from({ length: 99 }, (_, i) => `p${i}`));
  const progress = new BuildProgress({ label: "kwok", planned, mainPackage: "m", startedAt: 0 });
  assert.equal(progress.line("p0", 500), undefined); // 1% < the 10% step, no heartbeat yet
  assert.equal(progress.tick(10_000), undefined);
  assert.equal(progress.tick(20_000), "kwok: compiling 1/100 packages (1%), 20s elapsed");
  assert.equal(progress.tick(30_000), undefined);
  assert.equal(progress.tick(40_000), "kwok: compiling 1/100 packages (1%), 40s elapsed");
});

Deno.test("BuildProgress: other output is kept for the error message", () => {
  const progress = new BuildProgress({ label: "x", planned: new Set(["a"]), mainPackage: "m", startedAt: 0 });
  assert.equal(progress.line("# a", 1), undefined);
  assert.equal(progress.line("a/x.go:3:1: syntax error", 2), undefined);
  assert.equal(progress.compiled, 0);
  assert.match(progress.other.join("\n"), /syntax error/);
});
