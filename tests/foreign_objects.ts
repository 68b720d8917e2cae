/**
 * Objects that are not plumber's, for tests that prove plumber leaves them alone: Pods, a custom resource
 * of a CRD made for the test, and RBAC rules that leave one type out.
 *
 * @module
 */

import type { KubeClient, KubeObjectLike } from "../lib/kube/client.ts";
import { type ApiResource, discoverResources, groupResource } from "../lib/kube/discovery.ts";
import { censusPlan } from "../lib/namespace_census.ts";
import { eventually, uniqueName } from "./harness.ts";

/** Runs `fn` over `items`, `size` at a time. */
export async function inBatches<T>(
  items: T[],
  size: number,
  fn: (item: T) => Promise<unknown>,
): Promise<void> {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(fn));
}

/** A Pod (no node will run it: the local clusters have none). */
export function pod(namespace: string, name: string, labels: Record<string, string> = {}): KubeObjectLike {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace, labels },
    spec: { containers: [{ name: "app", image: "registry.invalid/app:1" }] },
  };
}

/** A namespaced CRD of a group of its own; resolves once discovery serves it. */
export async function installWidgetCrd(
  client: KubeClient,
): Promise<{ group: string; remove: () => Promise<void> }> {
  const group = `${uniqueName("census")}.example.com`;
  const name = `widgets.${group}`;
  await client.create({
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: { name },
    spec: {
      group,
      scope: "Namespaced",
      names: { plural: "widgets", singular: "widget", kind: "Widget" },
      versions: [{
        name: "v1",
        served: true,
        storage: true,
        schema: { openAPIV3Schema: { type: "object", "x-kubernetes-preserve-unknown-fields": true } },
      }],
    },
  });
  await eventually(`discovery to serve ${group}`, async () => {
    const discovery = await discoverResources(client);
    return discovery.resources.some((r) => r.group === group && r.resource === "widgets");
  }, { timeoutMs: 30_000, intervalMs: 200 });
  return {
    group,
    remove: async () => {
      await client.delete({ apiVersion: "apiextensions.k8s.io/v1", kind: "CustomResourceDefinition", name });
    },
  };
}

/** RBAC rules listing every namespaced type a census lists, less one (`resource.group`). */
export function rulesWithout(
  resources: ApiResource[],
  left: string,
): Array<{ apiGroups: string[]; resources: string[]; verbs: string[] }> {
  const byGroup = new Map<string, string[]>();
  for (const type of censusPlan(resources).list) {
    if (groupResource(type) === left) continue;
    byGroup.set(type.group, [...(byGroup.get(type.group) ?? []), type.resource]);
  }
  return [...byGroup].map(([group, names]) => ({ apiGroups: [group], resources: names, verbs: ["list"] }));
}

/** Creates a PVC, a Role, a Widget (of `crdGroup`) and `pods` Pods in `namespace`: data a user would lose. */
export async function plantForeignObjects(
  client: KubeClient,
  namespace: string,
  crdGroup: string,
  pods: number,
): Promise<void> {
  await client.raw("POST", `/api/v1/namespaces/${namespace}/persistentvolumeclaims`, {
    body: {
      apiVersion: "v1",
      kind: "PersistentVolumeClaim",
      metadata: { name: "data" },
      spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } } },
    },
  });
  await client.create({
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "Role",
    metadata: { name: "reader", namespace },
    rules: [{ apiGroups: [""], resources: ["configmaps"], verbs: ["get"] }],
  });
  await client.raw("POST", `/apis/${crdGroup}/v1/namespaces/${namespace}/widgets`, {
    body: { apiVersion: `${crdGroup}/v1`, kind: "Widget", metadata: { name: "w1" }, spec: { size: 3 } },
  });
  const names = Array.from({ length: pods }, (_, i) => `foreign-${String(i).padStart(2, "0")}`);
  await inBatches(names, 10, (name) => client.create(pod(namespace, name)));
}
