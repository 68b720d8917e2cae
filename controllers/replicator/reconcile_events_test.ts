import assert from "node:assert/strict";
import type { Replicator } from "../../lib/api.ts";
import { type EventPart, foldEvents, foldMessages, hasPart, ReconcileEvents } from "./reconcile_events.ts";

const normal = (reason: string, message: string): EventPart => ({ type: "Normal", reason, message });
const warning = (reason: string, message: string): EventPart => ({ type: "Warning", reason, message });

const APPLIED = normal(
  "Applied",
  "Applied Namespace web, ConfigMap web/nginx in primary, s1; ConfigMap web/nginx in s2",
);
const ISSUED = normal("CertificatesIssued", "Issued certificates: ca, server, client");
const SYNCED = normal("Synced", "Replicated to primary, s1, s2");

Deno.test("foldEvents() writes one Event whose message keeps every part's wording, in order", () => {
  assert.deepEqual(foldEvents([ISSUED, APPLIED, SYNCED]), {
    type: "Normal",
    reason: "Synced",
    message: "Issued certificates: ca, server, client; " +
      "Applied Namespace web, ConfigMap web/nginx in primary, s1; ConfigMap web/nginx in s2; " +
      "Replicated to primary, s1, s2",
  });
  assert.equal(foldEvents([]), undefined);
  // One part: the Event as it was before folding.
  assert.deepEqual(foldEvents([APPLIED]), APPLIED);
});

Deno.test("foldEvents() names the Event by precedence: Synced, DriftCorrected, Applied, ... CertificatesIssued", () => {
  const drift = normal(
    "DriftCorrected",
    "cluster s1: Deployment web/nginx: spec.replicas changed by kubectl; reverted",
  );
  assert.equal(foldEvents([ISSUED, APPLIED])!.reason, "Applied");
  assert.equal(foldEvents([APPLIED, drift])!.reason, "DriftCorrected");
  assert.equal(foldEvents([drift, APPLIED, SYNCED])!.reason, "Synced");
  assert.equal(foldEvents([normal("Pruned", "Deleted ConfigMap web/a in s1"), ISSUED])!.reason, "Pruned");
  // A reason not in the list ranks last; ties go to the earlier part.
  assert.equal(foldEvents([normal("Whatever", "x"), ISSUED])!.reason, "CertificatesIssued");
  assert.equal(foldEvents([normal("Whatever", "x"), normal("Other", "y")])!.reason, "Whatever");
  const pruned = [
    normal("Pruned", "Deleted ConfigMap web/a in s1"),
    normal("Pruned", "Deleted ConfigMap web/b in s1"),
  ];
  assert.equal(foldEvents(pruned)!.message, "Deleted ConfigMap web/a in s1; Deleted ConfigMap web/b in s1");
});

Deno.test("foldEvents() is a Warning named by a Warning part when any part is one", () => {
  const failed = warning("ApplyFailed", 'cluster "s2": cannot apply ConfigMap web/nginx: forbidden');
  const folded = foldEvents([APPLIED, SYNCED, failed])!;
  assert.equal(folded.type, "Warning");
  assert.equal(folded.reason, "ApplyFailed");
  assert.ok(folded.message.startsWith("Applied ") && folded.message.endsWith(failed.message));
  const notSynced = warning("NotSynced", 'cluster "s2": cannot apply');
  assert.equal(foldEvents([failed, SYNCED, notSynced])!.reason, "NotSynced");
  assert.equal(foldEvents([notSynced, warning("CleanupFailed", "Cannot clean up")])!.reason, "CleanupFailed");
  // A Warning of an unlisted reason still beats every Normal part.
  assert.deepEqual(
    [foldEvents([SYNCED, warning("Odd", "x")])!.type, foldEvents([SYNCED, warning("Odd", "x")])!.reason],
    ["Warning", "Odd"],
  );
});

Deno.test("foldMessages() keeps whole parts within the limit and counts the rest with their reasons", () => {
  const parts = Array.from(
    { length: 40 },
    (_, i) => normal("Pruned", `Deleted ConfigMap web/config-${i} in s1`),
  );
  parts.push(normal("NamespaceDeleted", "Deleted namespace web in s1"));
  const message = foldMessages(parts, 300);
  assert.ok(message.length <= 300, message);
  const shown = message.split("; ").filter((p) => p.startsWith("Deleted ConfigMap"));
  assert.ok(shown.length >= 5, message);
  // Every shown part is whole, in order.
  shown.forEach((p, i) => assert.equal(p, `Deleted ConfigMap web/config-${i} in s1`));
  assert.match(message, new RegExp(`; and ${41 - shown.length} more \\(Pruned, NamespaceDeleted\\)$`));
  // The real limit: 1024.
  const full = foldMessages(parts);
  assert.ok(full.length <= 1024 && full.length > 900, `${full.length}`);
  // All fit: no tail, and exactly the limit is allowed.
  const two = foldMessages([normal("A", "x".repeat(10)), normal("B", "y".repeat(10))], 22);
  assert.equal(two, `${"x".repeat(10)}; ${"y".repeat(10)}`);
  // One character short: the second part goes, and the first is cut inside to leave room for the count.
  assert.equal(
    foldMessages([normal("A", "x".repeat(10)), normal("B", "y".repeat(10))], 21),
    "xxxx…; and 1 more (B)",
  );
});

Deno.test("foldMessages() cuts inside only a first part longer than the limit", () => {
  const message = foldMessages(
    [normal("NotSynced", "z".repeat(2000)), normal("Applied", "Applied x in y")],
    100,
  );
  assert.equal(message.length, 100);
  assert.ok(message.endsWith("…; and 1 more (Applied)"), message);
  assert.equal(foldMessages([normal("NotSynced", "z".repeat(200))], 100).length, 100);
});

const rep = (name: string, uid?: string) => ({ metadata: { name, uid } }) as unknown as Replicator;

Deno.test("ReconcileEvents folds per Replicator, never mixing two, and refuses parts once closed", () => {
  const events = new ReconcileEvents();
  const a = rep("a", "uid-a");
  const b = rep("b", "uid-b");
  assert.equal(events.add(a, "Normal", "Applied", "Applied ConfigMap web/x in s1"), true);
  assert.equal(
    events.add(b, "Warning", "Conflict", "ConfigMap web/x in s1 is not plumber's; left unchanged"),
    true,
  );
  assert.equal(events.add(a, "Normal", "Synced", "Replicated to s1"), true);
  // Same name, another UID: a re-created Replicator is another one.
  assert.equal(
    events.add(rep("a", "uid-a2"), "Normal", "CertificatesIssued", "Issued certificates: ca"),
    true,
  );
  const out = events.close();
  assert.deepEqual(
    out.map((o) => [o.replicator.metadata.uid, o.event.type, o.event.reason, o.event.message]),
    [
      ["uid-a", "Normal", "Synced", "Applied ConfigMap web/x in s1; Replicated to s1"],
      ["uid-b", "Warning", "Conflict", "ConfigMap web/x in s1 is not plumber's; left unchanged"],
      ["uid-a2", "Normal", "CertificatesIssued", "Issued certificates: ca"],
    ],
  );
  assert.equal(events.add(a, "Normal", "Applied", "late"), false);
  assert.deepEqual(events.close(), []);
  assert.deepEqual(new ReconcileEvents().close(), []);
});

Deno.test("hasPart() finds a whole part, or a pattern at a part's start, in a folded message", () => {
  const message = foldMessages([
    ISSUED,
    normal("Pruned", "Deleted ConfigMap web/a in s1"),
    warning("Conflict", "ConfigMap web/x in s2 is not plumber's; left unchanged"),
    SYNCED,
  ]);
  assert.equal(hasPart(message, "Issued certificates: ca, server, client"), true);
  assert.equal(hasPart(message, "ConfigMap web/x in s2 is not plumber's; left unchanged"), true);
  assert.equal(hasPart(message, "Replicated to primary, s1, s2"), true);
  assert.equal(hasPart(message, "Issued certificates: ca"), false, "a part's beginning is not the part");
  assert.equal(hasPart(message, "left unchanged"), true, "the tail of a part holding '; '");
  assert.equal(hasPart(message, "s1"), false);
  assert.equal(hasPart(message, /^Deleted ConfigMap web\/a in s1(; |$)/), true);
  assert.equal(hasPart(message, /^ConfigMap web\/a/), false, "not at a part's start");
  assert.equal(hasPart(undefined, "x"), false);
});
