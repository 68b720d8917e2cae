import assert from "node:assert/strict";
import { parseLabelSelector } from "./selector_parse.ts";
import { formatSelector, matchesSelector } from "./selector.ts";

Deno.test("parseLabelSelector() reads every kubectl operator", () => {
  assert.deepEqual(
    parseLabelSelector("region=east,tier!=small, zone in (a, b),env notin (dev),gpu,!legacy,x==y"),
    {
      matchLabels: { region: "east", x: "y" },
      matchExpressions: [
        { key: "tier", operator: "NotIn", values: ["small"] },
        { key: "zone", operator: "In", values: ["a", "b"] },
        { key: "env", operator: "NotIn", values: ["dev"] },
        { key: "gpu", operator: "Exists" },
        { key: "legacy", operator: "DoesNotExist" },
      ],
    },
  );
});

Deno.test("parseLabelSelector() takes prefixed keys, empty values, and an empty text as everything", () => {
  assert.deepEqual(parseLabelSelector("example.com/tier=,a"), {
    matchLabels: { "example.com/tier": "" },
    matchExpressions: [{ key: "a", operator: "Exists" }],
  });
  assert.deepEqual(parseLabelSelector(""), {});
  assert.deepEqual(parseLabelSelector("  "), {});
});

Deno.test("parseLabelSelector() turns a key given twice with = into an In requirement that matches nothing", () => {
  const selector = parseLabelSelector("a=b,a=c");
  assert.deepEqual(selector, {
    matchLabels: { a: "b" },
    matchExpressions: [{ key: "a", operator: "In", values: ["c"] }],
  });
  assert.equal(matchesSelector(selector, { a: "b" }), false);
  assert.equal(matchesSelector(selector, { a: "c" }), false);
});

Deno.test("parseLabelSelector() agrees with matchesSelector() and round-trips through formatSelector()", () => {
  const text = "region=east,tier in (big,huge),!legacy";
  const selector = parseLabelSelector(text);
  assert.equal(matchesSelector(selector, { region: "east", tier: "big" }), true);
  assert.equal(matchesSelector(selector, { region: "east", tier: "big", legacy: "" }), false);
  assert.equal(matchesSelector(selector, { region: "west", tier: "big" }), false);
  assert.deepEqual(parseLabelSelector(formatSelector(selector)), selector);
});

Deno.test("parseLabelSelector() refuses bad selectors with the text and the reason", () => {
  const cases: [string, RegExp][] = [
    ["a in b", /"a in b": expected "\(" after "in" at position 6/],
    ["a in (b", /expected "," or "\)" at the end/],
    ["a in ()", /"in" needs at least one value/],
    ["a foo (b)", /expected =, ==, !=, in or notin after "a" at position 3, found "foo"/],
    ["Bad Key=x", /expected =, ==, !=, in or notin after "Bad" at position 5, found "Key"/],
    ["-bad=x", /"-bad" \(position 1\) is not a valid label key/],
    ["a=b c", /expected =, ==, !=, in or notin|expected ","/],
    ["a=bad value!", /expected ","/],
    ["a=-x", /"-x" is not a valid label value/],
    [",a", /expected a label key at position 1/],
    ["a,", /expected a label key at the end/],
    ["!", /expected a label key at the end/],
    ["a=(b)", /expected ","|is not a valid label value/],
  ];
  for (const [text, message] of cases) {
    assert.throws(() => parseLabelSelector(text), (e: unknown) => {
      assert.ok(e instanceof RangeError, text);
      assert.match(e.message, /^Cannot parse label selector "/, text);
      assert.match(e.message, message, text);
      return true;
    });
  }
});
