import assert from "node:assert/strict";
import { UsageError } from "../lib/errors.ts";
import { parse } from "yaml";
import { formatAge, formatList, parseOutputFormat, renderTable, toYaml } from "./output.ts";

Deno.test("parseOutputFormat() accepts table, wide, json and yaml only", () => {
  assert.equal(parseOutputFormat("json", "view"), "json");
  assert.throws(
    () => parseOutputFormat("xml", "view"),
    (error: unknown) =>
      error instanceof UsageError && error.exitCode === 2 &&
      error.message === 'invalid value "xml" for --output: expected one of table, wide, json, yaml',
  );
});

Deno.test("formatAge() matches kubectl's HumanDuration", () => {
  const s = 1000, m = 60 * s, h = 60 * m, d = 24 * h;
  const cases: [number, string][] = [
    [-5 * s, "<invalid>"],
    [-500, "0s"],
    [0, "0s"],
    [59 * s, "59s"],
    [119 * s, "119s"],
    [2 * m, "2m"],
    [2 * m + 5 * s, "2m5s"],
    [9 * m + 59 * s, "9m59s"],
    [10 * m + 30 * s, "10m"],
    [179 * m, "179m"],
    [3 * h, "3h"],
    [3 * h + 20 * m, "3h20m"],
    [8 * h + 20 * m, "8h"],
    [37 * h, "37h"],
    [2 * d, "2d"],
    [2 * d + 5 * h, "2d5h"],
    [8 * d, "8d"],
    [400 * d, "400d"],
    [2 * 365 * d + 10 * d, "2y10d"],
    [3 * 365 * d, "3y"],
    [9 * 365 * d, "9y"],
  ];
  for (const [ms, age] of cases) assert.equal(formatAge(ms), age, `formatAge(${ms})`);
});

Deno.test("renderTable() aligns columns three spaces apart without trailing blanks", () => {
  assert.equal(
    renderTable(["NAME", "STATUS", "AGE"], [["primary", "Running", "5m"], ["s1", "Unknown", "37h"]]),
    "NAME      STATUS    AGE\n" +
      "primary   Running   5m\n" +
      "s1        Unknown   37h\n",
  );
});

Deno.test("formatList() writes indented JSON, and YAML with [] for an empty list", () => {
  assert.equal(formatList([{ a: 1 }], "json"), '[\n  {\n    "a": 1\n  }\n]\n');
  assert.equal(formatList([{ a: 1 }], "yaml"), "- a: 1\n");
  assert.equal(formatList([], "yaml"), "[]\n");
  assert.equal(formatList([], "json"), "[]\n");
});

Deno.test("toYaml() keeps long lines whole, leaves out undefined fields and quotes what YAML 1.1 reads as another type", () => {
  const long = "x".repeat(150);
  const value = {
    name: "a",
    switch: "on",
    mode: "0777",
    version: "1.10",
    lastProbeTime: "2026-12-02T13:00:00Z",
    message: long,
    labels: {},
  };
  const yaml = toYaml({ ...value, reason: undefined });
  assert.equal(
    yaml,
    `name: a\nswitch: 'on'\nmode: '0777'\nversion: '1.10'\nlastProbeTime: '2026-12-02T13:00:00Z'\nmessage: ${long}\nlabels: {}\n`,
  );
  assert.deepEqual(parse(yaml), value);
});
