import assert from "node:assert/strict";
import { narrowToGraph, npmPackageOf } from "./image_lock.ts";

Deno.test("npmPackageOf() reads the package of a module specifier, scoped or not", () => {
  assert.equal(npmPackageOf("npm:/yaml@2.9.1/dist/index.js"), "yaml@2.9.1");
  assert.equal(npmPackageOf("npm:/@peculiar/x509@1.14.3"), "@peculiar/x509@1.14.3");
  assert.equal(npmPackageOf("file:///app/main.ts"), undefined);
});

Deno.test("narrowToGraph() keeps the graph's packages and their dependencies, at the locked versions", () => {
  const config = {
    nodeModulesDir: "none",
    imports: { yaml: "npm:yaml@^2.9.1", kube: "npm:@kubernetes/client-node@^1.4.0", local: "./lib/x.ts" },
  };
  const lock = {
    version: "5",
    specifiers: { "npm:yaml@^2.9.1": "2.9.1", "npm:@kubernetes/client-node@^1.4.0": "1.4.0" },
    npm: {
      "yaml@2.9.1": { integrity: "sha512-y", dependencies: ["tslib@2.9.1"] },
      "tslib@2.9.1": { integrity: "sha512-t2" },
      "tslib@1.14.1": { integrity: "sha512-t1" },
      "@kubernetes/client-node@1.4.0": { integrity: "sha512-k", dependencies: ["ws", "tslib@1.14.1"] },
      "ws@8.23.0": { integrity: "sha512-w" },
    },
    workspace: { dependencies: ["npm:@kubernetes/client-node@^1.4.0", "npm:yaml@^2.9.1"] },
  };
  const narrowed = narrowToGraph(config, lock, ["yaml@2.9.1"]);
  assert.deepEqual(narrowed.config, {
    nodeModulesDir: "none",
    imports: { yaml: "npm:yaml@^2.9.1", local: "./lib/x.ts" },
  });
  assert.deepEqual(narrowed.lock, {
    version: "5",
    specifiers: { "npm:yaml@^2.9.1": "2.9.1" },
    npm: { "yaml@2.9.1": lock.npm["yaml@2.9.1"], "tslib@2.9.1": lock.npm["tslib@2.9.1"] },
    workspace: { dependencies: ["npm:yaml@^2.9.1"] },
  });
});

Deno.test("narrowToGraph() refuses a dependency it cannot tell apart, naming it", () => {
  const lock = {
    version: "5",
    npm: {
      "a@1.0.0": { dependencies: ["tslib"] },
      "tslib@1.14.1": {},
      "tslib@2.9.1": {},
    },
  };
  assert.throws(() => narrowToGraph({}, lock, ["a@1.0.0"]), /"tslib" matches 2 npm packages/);
});
