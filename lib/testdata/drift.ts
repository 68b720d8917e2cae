/**
 * A drift record for tests: `kubectl scale` changed a Deployment's replicas at 10:42:07 and plumber
 * reverted it a second later, as `driftRecord()` records it and `status.clusters[].lastDrift` holds it.
 *
 * @module
 */

import type { DriftRecord } from "../drift_audit.ts";

/** `kubectl scale deployment nginx`, reverted at 2026-12-02T10:42:08Z. */
export const SCALE_DRIFT: DriftRecord = {
  time: "2026-12-02T10:42:08Z",
  kind: "Deployment",
  name: "nginx",
  fields: ["spec.replicas"],
  deleted: false,
  manager: "kubectl-scale",
  operation: "Update",
  changedAt: "2026-12-02T10:42:07Z",
};
