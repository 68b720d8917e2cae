/**
 * Every object lib/render.ts produces is a valid server-side apply body for a
 * real API server (dryRun=All: validated and defaulted, nothing stored).
 */

import assert from "node:assert/strict";
import { parse } from "yaml";
import { renderReplicator, type TlsMaterial } from "../lib/render.ts";
import type { Replicator } from "../lib/api.ts";
import { issueTls } from "../controllers/replicator/tls_material.ts";
import { adminClient, sharedControlPlane, uniqueName } from "./harness.ts";

const SAMPLE = new URL("../examples/replicator-sample.yaml", import.meta.url);

Deno.test("renderReplicator() output of the seed's sample passes server-side apply with dryRun=All, for both roles", async () => {
  const state = await sharedControlPlane();
  const client = adminClient(state, "primary");
  const namespace = uniqueName("render");
  const sample = parse(await Deno.readTextFile(SAMPLE)) as Replicator;
  sample.spec.replicationNamespace = namespace;
  sample.metadata.uid = "0b9a1c4e-7f7e-4c1d-9a55-2f6f7a0e9e11";
  const tls: TlsMaterial = await issueTls(undefined, { ca: true, server: true, client: true }, [
    "nginx.example.com",
  ], new Date());
  try {
    // The namespace must exist for namespaced dry runs; create it for real, everything else is a dry run.
    await client.create({ apiVersion: "v1", kind: "Namespace", metadata: { name: namespace } });
    for (const role of ["primary", "secondary"] as const) {
      const objects = renderReplicator({ replicator: sample, role, tls });
      assert.deepEqual(objects.map((o) => o.kind), [
        "Namespace",
        "ConfigMap",
        "Secret",
        "Secret",
        "Deployment",
        "Service",
        "Ingress",
      ]);
      for (const object of objects) {
        const result = await client.apply<{ metadata: { name: string } }>(object, {
          fieldManager: "plumber",
          force: true,
          dryRun: true,
        });
        assert.equal(result.metadata.name, object.metadata.name);
      }
      // Nothing was stored by the dry runs.
      assert.equal(
        await client.find({ apiVersion: "apps/v1", kind: "Deployment", namespace, name: "nginx" }),
        undefined,
      );
    }
  } finally {
    await client.delete({ apiVersion: "v1", kind: "Namespace", name: namespace });
    client.close();
  }
});
