import assert from "node:assert/strict";
import { KubeApiError } from "../lib/kube/client.ts";
import type { ListOptions } from "../lib/kube/rest.ts";
import { findObject, gitVersionOf, listEvery } from "./reads.ts";

Deno.test("findObject() turns a 404 into undefined and keeps every other error", async () => {
  assert.deepEqual(await findObject(() => Promise.resolve({ a: 1 })), { a: 1 });
  const missing = new KubeApiError("Cannot get Secret ns/x on c: 404 NotFound", 404, "NotFound");
  assert.equal(await findObject(() => Promise.reject(missing)), undefined);
  const forbidden = new KubeApiError("Cannot get Secret ns/x on c: 403 Forbidden", 403, "Forbidden");
  await assert.rejects(findObject(() => Promise.reject(forbidden)), (error) => error === forbidden);
});

Deno.test("listEvery() follows continue tokens and passes the caller's options on every page", async () => {
  const calls: ListOptions[] = [];
  const pages: Record<string, { items: number[]; metadata: { continue?: string } }> = {
    "": { items: [1, 2], metadata: { continue: "b" } },
    b: { items: [3], metadata: { continue: "c" } },
    c: { items: [4], metadata: { continue: "" } },
  };
  const items = await listEvery((options) => {
    calls.push(options);
    return Promise.resolve(pages[options.continue ?? ""] ?? { items: [], metadata: {} });
  }, { labelSelector: "role=primary" });
  assert.deepEqual(items, [1, 2, 3, 4]);
  assert.deepEqual(calls, [
    { limit: 500, labelSelector: "role=primary" },
    { limit: 500, labelSelector: "role=primary", continue: "b" },
    { limit: 500, labelSelector: "role=primary", continue: "c" },
  ]);
});

Deno.test("gitVersionOf() reads /version's gitVersion and nothing that is not a string", () => {
  assert.equal(gitVersionOf({ major: "1", gitVersion: "v1.30.2" }), "v1.30.2");
  for (const info of [undefined, null, "v1.30.2", {}, { gitVersion: 130 }]) {
    assert.equal(gitVersionOf(info), undefined, JSON.stringify(info));
  }
});
