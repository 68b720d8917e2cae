/**
 * Unit tests of what {@linkcode LeaderElector} decides before it talks to an
 * API server. Elections themselves run on a real kube-apiserver in
 * `tests/leader_test.ts`.
 */

import assert from "node:assert/strict";
import type { KubeClient } from "./client.ts";
import { DEFAULT_LEADER_ELECTION_TIMES, LeaderElector } from "./leader.ts";

// Never called: the constructor does not touch the client.
const client = {} as KubeClient;

Deno.test("LeaderElector refuses a renew deadline that is not shorter than the lease duration", () => {
  assert.throws(
    () =>
      new LeaderElector({ client, namespace: "ns", name: "l", leaseDurationMs: 3000, renewDeadlineMs: 3000 }),
    { name: "RangeError", message: /renew deadline 3000 ms must be shorter than the lease duration 3000 ms/ },
  );
  // Only the times given replace the defaults (15 s lease): a 20 s renew deadline alone is refused too.
  assert.throws(
    () => new LeaderElector({ client, namespace: "ns", name: "l", renewDeadlineMs: 20_000 }),
    RangeError,
  );
});

Deno.test("LeaderElector uses controller-runtime's times and a hostname-based identity by default", () => {
  assert.deepEqual(DEFAULT_LEADER_ELECTION_TIMES, {
    leaseDurationMs: 15_000,
    renewDeadlineMs: 10_000,
    retryPeriodMs: 2_000,
  });
  const a = new LeaderElector({ client, namespace: "ns", name: "l" });
  const b = new LeaderElector({ client, namespace: "ns", name: "l" });
  assert.ok(a.identity.startsWith(`${Deno.hostname()}_`), a.identity);
  assert.notEqual(a.identity, b.identity, "two candidates on one host differ");
  assert.equal(new LeaderElector({ client, namespace: "ns", name: "l", identity: "me" }).identity, "me");
  assert.equal(a.isLeader, false);
});
