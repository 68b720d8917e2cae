import assert from "node:assert/strict";
import { describeCensus, type NamespaceCensus } from "./census.ts";

const base: NamespaceCensus = {
  empty: false,
  foreign: [],
  unknown: [],
  complete: true,
  typesListed: 31,
  requests: 32,
};

Deno.test("describeCensus() says what keeps a namespace: a few foreign objects, then what could not be counted", () => {
  assert.equal(
    describeCensus({ ...base, empty: true }),
    "nothing but plumber's objects and Kubernetes defaults",
  );
  assert.equal(
    describeCensus({
      ...base,
      foreign: [
        { kind: "PersistentVolumeClaim", group: "", name: "data" },
        { kind: "Role", group: "rbac.authorization.k8s.io", name: "reader" },
      ],
    }),
    "holds PersistentVolumeClaim data, Role reader",
  );
  assert.equal(
    describeCensus({
      ...base,
      complete: false,
      foreign: [1, 2, 3, 4, 5].map((i) => ({ kind: "Pod", group: "", name: `p${i}` })),
      unknown: [
        { resource: "roles.rbac.authorization.k8s.io", reason: "403 Forbidden" },
        { resource: "metrics.k8s.io/v1beta1", reason: "stale" },
      ],
    }),
    "holds Pod p1, Pod p2, Pod p3 and more; cannot count roles.rbac.authorization.k8s.io: 403 Forbidden (and 1 more)",
  );
  assert.equal(
    describeCensus({ ...base, unknown: [{ resource: "widgets.example.com", reason: "boom" }] }),
    "cannot count widgets.example.com: boom",
  );
});
