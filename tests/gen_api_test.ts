/**
 * The generated API clients against a real API server: `lib/generated/` (types) and
 * `lib/kube/generated/` (clients) are exactly what `deno task gen:api` makes from this API server's OpenAPI (plumber's CRDs
 * installed), and the generated clients work through `restClientOf(KubeClient)`.
 */

import assert from "node:assert/strict";
import { isNotFound } from "../lib/kube/client.ts";
import { CoreV1Api } from "../lib/kube/generated/core_v1.ts";
import type { ConfigMap } from "../lib/kube/generated/core_v1.ts";
import { PlumberV1Api, type Replicator } from "../lib/kube/generated/plumber_v1.ts";
import type { WatchEvent } from "../lib/kube/rest.ts";
import { restClientOf } from "../lib/kube/rest_adapter.ts";
import { CLIENTS_PATH, fetchDocuments, REPOSITORY_ROOT, TYPES_PATH } from "../tools/gen_api.ts";
import { installCrds } from "./crds.ts";
import { eventually, sharedControlPlane, uniqueName, withPrimary } from "./harness.ts";

const state = await sharedControlPlane();
const FIELD_MANAGER = "plumber-gen-api-test";

/** The first lines where two texts differ, for a readable failure. */
function firstDifference(expected: string, actual: string): string | undefined {
  const a = expected.split("\n");
  const b = actual.split("\n");
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (a[i] !== b[i]) {
      return `line ${i + 1}:\n  checked in: ${a[i] ?? "<end>"}\n  generated:  ${b[i] ?? "<end>"}`;
    }
  }
  return undefined;
}

async function tsFiles(dir: URL | string): Promise<string[]> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    if (entry.isFile && entry.name.endsWith(".ts")) names.push(entry.name);
  }
  return names.sort();
}

Deno.test("lib/generated/ and lib/kube/generated/ are what deno task gen:api makes from this API server", async () => {
  await withPrimary(async (client) => {
    await installCrds(client);
    // The API server publishes a new CRD's OpenAPI a moment after it is Established.
    await fetchDocuments(client, { waitMs: 30_000 });
  });
  const out = await Deno.makeTempDir({ prefix: "plumber-gen-api-" });
  try {
    const result = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        new URL("../tools/gen_api.ts", import.meta.url).pathname,
        "--kubeconfig",
        state.kubeconfigPath,
        "--context",
        "primary",
        "--out",
        out,
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(result.stderr);
    assert.equal(result.code, 0, stderr);
    for (const dir of [TYPES_PATH, CLIENTS_PATH]) {
      const names = await tsFiles(`${out}/${dir}`);
      assert.deepEqual(names, await tsFiles(new URL(dir, REPOSITORY_ROOT)), `the same files in ${dir}`);
      for (const name of names) {
        const checkedIn = await Deno.readTextFile(new URL(`${dir}${name}`, REPOSITORY_ROOT));
        const generated = await Deno.readTextFile(`${out}/${dir}${name}`);
        assert.ok(
          checkedIn === generated,
          `${dir}${name} differs from what gen:api makes (run deno task gen:api): ${
            firstDifference(checkedIn, generated)
          }`,
        );
      }
    }
    assert.match(stderr, /gen:api: \d+ files from kube-apiserver v\d+\.\d+/);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("generated core/v1 client: create, get, list, apply, watch and delete a ConfigMap", async () => {
  await withPrimary(async (client) => {
    const core = new CoreV1Api(restClientOf(client));
    const namespace = uniqueName("gen-api");
    await core.createNamespace({ metadata: { name: namespace } });
    const configMaps = core.namespace(namespace);
    const controller = new AbortController();
    try {
      const initial = await configMaps.listConfigMaps();
      const events: WatchEvent<ConfigMap>[] = [];
      const watching = (async () => {
        for await (
          const event of configMaps.watchConfigMaps({
            resourceVersion: initial.metadata?.resourceVersion,
            signal: controller.signal,
          })
        ) {
          events.push(event);
        }
      })();

      const created = await configMaps.createConfigMap({ metadata: { name: "settings" }, data: { a: "1" } });
      assert.equal(created.kind, "ConfigMap");
      assert.equal(created.metadata?.namespace, namespace);
      const read = await configMaps.getConfigMap("settings");
      assert.deepEqual(read.data, { a: "1" });
      assert.equal(read.metadata?.uid, created.metadata?.uid);

      const list = await configMaps.listConfigMaps({ fieldSelector: "metadata.name=settings" });
      assert.deepEqual(list.items.map((item) => item.metadata?.name), ["settings"]);

      const applied = await configMaps.applyConfigMap(
        { metadata: { name: "settings", labels: { tier: "gen" } }, data: { b: "2" } },
        { fieldManager: FIELD_MANAGER, force: true },
      );
      assert.equal(applied.metadata?.labels?.tier, "gen");
      assert.equal(applied.data?.b, "2");
      assert.ok(applied.metadata?.managedFields?.some((entry) => entry.manager === FIELD_MANAGER));

      const patched = await configMaps.patchConfigMap("settings", { data: { c: "3" } });
      assert.equal(patched.data?.c, "3");

      await eventually(
        "the watch to see the ConfigMap added and modified",
        () =>
          events.some((e) => e.type === "ADDED" && e.object.metadata?.name === "settings") &&
          events.some((e) => e.type === "MODIFIED" && e.object.data?.c === "3"),
      );

      await assert.rejects(
        configMaps.deleteConfigMap("settings", { preconditions: { uid: "not-the-uid" } }),
        (error: Error & { status?: number }) => error.status === 409,
      );
      await configMaps.deleteConfigMap("settings", { preconditions: { uid: created.metadata?.uid } });
      await assert.rejects(configMaps.getConfigMap("settings"), (error) => isNotFound(error));
      await eventually(
        "the watch to see the ConfigMap deleted",
        () => events.some((e) => e.type === "DELETED" && e.object.metadata?.name === "settings"),
      );
      controller.abort();
      await watching;
    } finally {
      controller.abort();
      await core.deleteNamespace(namespace).catch(() => {});
    }
  });
});

Deno.test("generated plumber/v1 client: apply a Replicator and its status subresource", async () => {
  await withPrimary(async (client) => {
    await installCrds(client);
    const plumber = new PlumberV1Api(restClientOf(client));
    const name = uniqueName("gen-api");
    // Labelled so that no test operator's Replicator selector takes it up.
    const replicator: Replicator = {
      metadata: { name, labels: { "plumber-tests/owner": "gen-api-test" } },
      spec: { replicationNamespace: name, configMapName: "settings", configMapData: { a: "1" } },
    };
    try {
      const applied = await plumber.applyReplicator(replicator, { fieldManager: FIELD_MANAGER });
      assert.equal(applied.apiVersion, "plumber.jnytnai0613.github.io/v1");
      assert.equal(applied.spec.replicationNamespace, name);

      const withStatus = await plumber.applyReplicatorStatus(
        {
          metadata: { name },
          status: { synced: "not synced", observedGeneration: applied.metadata?.generation },
        },
        { fieldManager: FIELD_MANAGER, force: true },
      );
      assert.equal(withStatus.status?.synced, "not synced");
      const status = await plumber.getReplicatorStatus(name);
      assert.equal(status.status?.synced, "not synced");
      assert.equal(status.status?.observedGeneration, applied.metadata?.generation);
      // The status subresource ignores spec changes.
      const spec = await plumber.getReplicator(name);
      assert.deepEqual(spec.spec.configMapData, { a: "1" });

      await assert.rejects(
        plumber.applyReplicator({ metadata: { name }, spec: { replicationNamespace: "Not A Label" } }, {
          fieldManager: FIELD_MANAGER,
        }),
        (error: Error & { status?: number }) =>
          error.status === 422 && /replicationNamespace/.test(error.message),
      );
    } finally {
      await plumber.deleteReplicator(name).catch(() => {});
      await eventually(`Replicator ${name} to be gone`, async () => {
        try {
          await plumber.getReplicator(name);
          return false;
        } catch (error) {
          if (isNotFound(error)) return true;
          throw error;
        }
      });
    }
  });
});
