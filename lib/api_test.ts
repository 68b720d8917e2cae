import assert from "node:assert/strict";
import { type Condition, findCondition, kubeTime, setCondition } from "./api.ts";

const T0 = new Date("2024-05-01T12:00:00.000Z");
const T1 = new Date("2024-05-01T12:05:30.250Z");

Deno.test("kubeTime() formats RFC 3339 in UTC with second precision", () => {
  assert.equal(kubeTime(new Date("2024-05-01T12:34:56.789Z")), "2024-05-01T12:34:56Z");
  assert.equal(kubeTime(T0), "2024-05-01T12:00:00Z");
});

Deno.test("setCondition() appends a condition of a new type with the current time", () => {
  const conditions = setCondition(undefined, {
    type: "Ready",
    status: "True",
    reason: "Applied",
    message: "Applied to 3 clusters",
    observedGeneration: 2,
  }, T0);
  assert.deepStrictEqual(conditions, [{
    type: "Ready",
    status: "True",
    reason: "Applied",
    message: "Applied to 3 clusters",
    observedGeneration: 2,
    lastTransitionTime: "2024-05-01T12:00:00Z",
  }]);
});

Deno.test("setCondition() keeps lastTransitionTime when the status did not change", () => {
  const before = setCondition(undefined, { type: "Ready", status: "False", reason: "A", message: "a" }, T0);
  const after = setCondition(before, {
    type: "Ready",
    status: "False",
    reason: "B",
    message: "b",
    observedGeneration: 5,
  }, T1);
  assert.deepStrictEqual(after, [{
    type: "Ready",
    status: "False",
    reason: "B",
    message: "b",
    observedGeneration: 5,
    lastTransitionTime: "2024-05-01T12:00:00Z",
  }]);
});

Deno.test("setCondition() moves lastTransitionTime when the status changed", () => {
  const before = setCondition(undefined, { type: "Ready", status: "False", reason: "A", message: "a" }, T0);
  const after = setCondition(before, { type: "Ready", status: "True", reason: "A", message: "a" }, T1);
  assert.equal(after[0]?.lastTransitionTime, "2024-05-01T12:05:30Z");
  assert.equal(after[0]?.status, "True");
});

Deno.test("setCondition() keeps other conditions and their order, and does not modify its input", () => {
  const input: Condition[] = [
    {
      type: "Ready",
      status: "True",
      reason: "Applied",
      message: "",
      lastTransitionTime: "2024-01-01T00:00:00Z",
    },
    {
      type: "Degraded",
      status: "False",
      reason: "Ok",
      message: "",
      lastTransitionTime: "2024-01-01T00:00:00Z",
    },
  ];
  const snapshot = structuredClone(input);
  Object.freeze(input);
  input.forEach((condition) => Object.freeze(condition));
  const result = setCondition(input, { type: "Ready", status: "False", reason: "Failed", message: "x" }, T1);
  assert.deepStrictEqual(input, snapshot);
  assert.notEqual(result, input);
  assert.deepStrictEqual(result.map((c) => c.type), ["Ready", "Degraded"]);
  assert.deepStrictEqual(result[1], snapshot[1]);
  assert.notEqual(result[1], input[1]);
  assert.equal(result[0]?.lastTransitionTime, "2024-05-01T12:05:30Z");
});

Deno.test("setCondition() drops observedGeneration when the next condition has none", () => {
  const before = setCondition(undefined, {
    type: "Ready",
    status: "True",
    reason: "A",
    message: "",
    observedGeneration: 1,
  }, T0);
  const after = setCondition(before, { type: "Ready", status: "True", reason: "A", message: "" }, T1);
  assert.equal(after[0]?.observedGeneration, undefined);
  assert.ok(!("observedGeneration" in after[0]!));
});

Deno.test("findCondition() finds a condition by type", () => {
  const conditions = setCondition(undefined, { type: "Ready", status: "True", reason: "A", message: "" }, T0);
  assert.equal(findCondition(conditions, "Ready")?.status, "True");
  assert.equal(findCondition(conditions, "Degraded"), undefined);
  assert.equal(findCondition(undefined, "Ready"), undefined);
});
