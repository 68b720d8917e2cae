/**
 * Unit tests of what {@linkcode LeaderElector} decides before it talks to an
 * API server. Elections themselves run on a real kube-apiserver in
 * `tests/leader_test.ts`.
 */

import assert from "node:assert/strict";
import type { KubeClient } from "./client.ts";
import {
  DEFAULT_LEADER_ELECTION_TIMES,
  LeaderElectionLostError,
  leaderElectionTimesProblem,
  LeaderElector,
} from "./leader.ts";

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

Deno.test("leaderElectionTimesProblem() accepts client-go's defaults and names what is wrong with bad times", () => {
  assert.equal(leaderElectionTimesProblem(DEFAULT_LEADER_ELECTION_TIMES), undefined);
  assert.equal(
    leaderElectionTimesProblem({ leaseDurationMs: 3000, renewDeadlineMs: 2000, retryPeriodMs: 500 }),
    undefined,
  );
  assert.equal(
    leaderElectionTimesProblem({ leaseDurationMs: 10_000, renewDeadlineMs: 10_000, retryPeriodMs: 2000 }),
    "renew deadline 10000 ms must be shorter than the lease duration 10000 ms",
  );
  // client-go's rule: a renew deadline that fits at most one jittered retry (1.2 x retry period) is refused.
  assert.equal(
    leaderElectionTimesProblem({ leaseDurationMs: 15_000, renewDeadlineMs: 2400, retryPeriodMs: 2000 }),
    "renew deadline 2400 ms must be longer than 1.2 times the retry period 2000 ms",
  );
  assert.equal(
    leaderElectionTimesProblem({ leaseDurationMs: 15_000, renewDeadlineMs: 2401, retryPeriodMs: 2000 }),
    undefined,
  );
  assert.equal(
    leaderElectionTimesProblem({ leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 0 }),
    "retryPeriodMs 0 must be a positive number of milliseconds",
  );
  assert.throws(
    () =>
      new LeaderElector({ client, namespace: "ns", name: "l", renewDeadlineMs: 1000, retryPeriodMs: 1000 }),
    { name: "RangeError", message: /^Invalid leader election times: renew deadline 1000 ms must be longer/ },
  );
});

Deno.test("LeaderElectionLostError says whether the lease was taken or not renewed in time", () => {
  const taken = new LeaderElectionLostError("plumber-leader", "other_1234");
  assert.equal(taken.message, 'Lost the leader election lease "plumber-leader": it is held by "other_1234"');
  assert.equal(taken.holder, "other_1234");
  assert.equal(taken.name, "LeaderElectionLostError");
  assert.match(new LeaderElectionLostError("l").message, /not renewed within the renew deadline$/);
});
