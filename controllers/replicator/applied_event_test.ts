import assert from "node:assert/strict";
import { appliedMessage } from "./applied_event.ts";

const SAMPLE = ["Namespace web", "ConfigMap web/nginx", "Deployment web/nginx"];

Deno.test("appliedMessage() names clusters that got the same objects together, in one message", () => {
  assert.equal(
    appliedMessage([
      { cluster: "primary", written: SAMPLE },
      { cluster: "s1", written: [] },
      { cluster: "s2", written: SAMPLE },
      { cluster: "s3", written: ["ConfigMap web/nginx"] },
    ]),
    "Applied Namespace web, ConfigMap web/nginx, Deployment web/nginx in primary, s2; ConfigMap web/nginx in s3",
  );
  assert.equal(appliedMessage([{ cluster: "primary", written: [] }]), undefined);
  assert.equal(appliedMessage([]), undefined);
});

Deno.test("appliedMessage() keeps whole clusters within the Event's limit and counts the rest", () => {
  const outcomes = Array.from({ length: 20 }, (_, i) => ({
    cluster: `cluster-${i}`,
    written: [`ConfigMap web/config-${i}`, `Deployment web/app-${i}`],
  }));
  const message = appliedMessage(outcomes, 300)!;
  assert.ok(message.length <= 300, message);
  const shown = message.match(/ in cluster-\d+/g)!.length;
  assert.ok(shown >= 3, message);
  assert.match(message, new RegExp(`; and in ${20 - shown} more clusters$`));
  // Everything fits: no tail.
  assert.doesNotMatch(appliedMessage(outcomes.slice(0, 5))!, /more cluster/);
  assert.ok(appliedMessage(outcomes)!.length <= 1024);
});
