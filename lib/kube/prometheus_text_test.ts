import assert from "node:assert/strict";
import { Counter, escapeLabelValue, formatValue, Gauge, Histogram, Registry } from "./prometheus_text.ts";

Deno.test("a counter renders HELP, TYPE and one line per label set in creation order", () => {
  const registry = new Registry();
  const c = registry.register(new Counter("x_total", "Things.\nCounted \\ here", ["code", "method"]));
  c.inc({ code: "200", method: "GET" });
  c.inc({ code: "200", method: "GET" }, 2);
  c.inc({ code: "404", method: "PUT" }, 0);
  assert.equal(
    registry.metrics(),
    [
      "# HELP x_total Things.\\nCounted \\\\ here",
      "# TYPE x_total counter",
      'x_total{code="200",method="GET"} 3',
      'x_total{code="404",method="PUT"} 0',
      "",
    ].join("\n"),
  );
});

Deno.test("a counter refuses to go down and label sets must match the label names", () => {
  const c = new Counter("y_total", "h", ["a"]);
  assert.throws(() => c.inc({ a: "1" }, -1), /cannot change by -1/);
  assert.throws(() => c.inc({}), /label "a" missing/);
  assert.throws(() => c.inc({ a: "1", b: "2" }), /unknown label "b"/);
});

Deno.test("label values escape backslash, quote and newline; values print +Inf/-Inf/NaN", () => {
  assert.equal(escapeLabelValue('a\\b"c\nd'), 'a\\\\b\\"c\\nd');
  assert.deepEqual([Infinity, -Infinity, NaN, 0.25, 1e-8].map(formatValue), [
    "+Inf",
    "-Inf",
    "NaN",
    "0.25",
    "1e-8",
  ]);
  const registry = new Registry();
  registry.register(new Gauge("g", "h", ["host"])).set({ host: 'x"y' }, -1.5);
  assert.match(registry.metrics(), /^g\{host="x\\"y"\} -1\.5$/m);
});

Deno.test("a gauge without labels and one computed at scrape time", () => {
  const registry = new Registry();
  registry.register(new Gauge("plain", "h")).set({}, 7);
  let n = 0;
  registry.register(new Gauge("scraped", "h", ["q"], (g) => g.set({ q: "a" }, ++n)));
  assert.match(registry.metrics(), /^plain 7$/m);
  assert.match(registry.metrics(), /^scraped\{q="a"\} 2$/m);
});

Deno.test("a histogram has cumulative le buckets (le first), +Inf, _sum and _count", () => {
  const registry = new Registry();
  const h = registry.register(new Histogram("d_seconds", "h", ["name"], [1, 0.1]));
  h.zero({ name: "empty" });
  for (const v of [0.05, 0.5, 0.1, 3]) h.observe({ name: "q" }, v);
  const text = registry.metrics();
  assert.equal(
    text,
    [
      "# HELP d_seconds h",
      "# TYPE d_seconds histogram",
      'd_seconds_bucket{le="0.1",name="empty"} 0',
      'd_seconds_bucket{le="1",name="empty"} 0',
      'd_seconds_bucket{le="+Inf",name="empty"} 0',
      'd_seconds_sum{name="empty"} 0',
      'd_seconds_count{name="empty"} 0',
      'd_seconds_bucket{le="0.1",name="q"} 2',
      'd_seconds_bucket{le="1",name="q"} 3',
      'd_seconds_bucket{le="+Inf",name="q"} 4',
      'd_seconds_sum{name="q"} 3.65',
      'd_seconds_count{name="q"} 4',
      "",
    ].join("\n"),
  );
});

Deno.test("a registry refuses a family registered twice", () => {
  const registry = new Registry();
  registry.register(new Counter("dup_total", "h"));
  assert.throws(() => registry.register(new Counter("dup_total", "h")), /registered twice/);
});
