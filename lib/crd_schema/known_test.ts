import assert from "node:assert/strict";
import { QUANTITY_PATTERN } from "./known.ts";

Deno.test("QUANTITY_PATTERN accepts Kubernetes quantities and refuses other strings", () => {
  const pattern = new RegExp(QUANTITY_PATTERN);
  for (const quantity of ["1", "500m", "1.5Gi", "128Mi", "2e3", "+1k", "-0.5", ".5", "1E-3"]) {
    assert.ok(pattern.test(quantity), quantity);
  }
  for (const other of ["", "lots", "1.5 Gi", "1GB", "Mi", "1.2.3", "e3"]) {
    assert.ok(!pattern.test(other), other);
  }
});
