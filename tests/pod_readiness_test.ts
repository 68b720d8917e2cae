import assert from "node:assert/strict";
import { DEFAULT_CLUSTERS } from "./control_plane.ts";
import { adminClient, eventually, privateControlPlane, uniqueName } from "./harness.ts";
import { BLOCK_TAINT, blockNewPods, NEVER_READY_LABEL, unblockNewPods, withTaint } from "./pod_readiness.ts";
import type { KubeClient } from "../lib/kube/client.ts";

Deno.test("withTaint: adds once, removes by key and effect, keeps the others", () => {
  const other = { key: "x", effect: "NoExecute" };
  assert.deepEqual(withTaint(undefined, BLOCK_TAINT, true), [BLOCK_TAINT]);
  assert.deepEqual(withTaint([other, BLOCK_TAINT], BLOCK_TAINT, true), [other, BLOCK_TAINT]);
  assert.deepEqual(withTaint([BLOCK_TAINT, other], BLOCK_TAINT, false), [other]);
  assert.deepEqual(withTaint([{ ...BLOCK_TAINT, effect: "NoExecute" }], BLOCK_TAINT, false), [
    { ...BLOCK_TAINT, effect: "NoExecute" },
  ]);
});

interface Condition {
  type: string;
  status: string;
  reason?: string;
}
interface DeploymentLike {
  status?: { readyReplicas?: number; updatedReplicas?: number; conditions?: Condition[] };
}
interface PodLike {
  metadata: { name: string };
  spec?: { nodeName?: string };
  status?: { phase?: string; podIP?: string; conditions?: Condition[] };
}

function deployment(namespace: string, name: string, replicas: number, labels: Record<string, string> = {}) {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { namespace, name },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name, ...labels } },
        spec: { containers: [{ name: "web", image: "nginx:1.27" }] },
      },
    },
  };
}

async function deploymentStatus(client: KubeClient, namespace: string, name: string) {
  const d = await client.get<DeploymentLike>({ apiVersion: "apps/v1", kind: "Deployment", namespace, name });
  const available = d.status?.conditions?.find((c) => c.type === "Available")?.status;
  return { ready: d.status?.readyReplicas ?? 0, available };
}

async function pods(client: KubeClient, namespace: string, app: string): Promise<PodLike[]> {
  return (await client.list<PodLike>("v1", "Pod", { namespace, labelSelector: `app=${app}` })).items;
}

function condition(pod: PodLike, type: string): Condition | undefined {
  return pod.status?.conditions?.find((c) => c.type === type);
}

Deno.test("simulated nodes: Pods run and become ready; blockNewPods and the never-ready label keep them from it", async () => {
  const cp = await privateControlPlane([DEFAULT_CLUSTERS[0]!]);
  const client = adminClient(cp, "primary");
  try {
    const ns = uniqueName("pods");
    await client.create({ apiVersion: "v1", kind: "Namespace", metadata: { name: ns } });

    // Without interference: three replicas spread over the fake Nodes, Running and Ready.
    await client.create(deployment(ns, "web", 3));
    await eventually("web to be Available with 3 ready replicas", async () => {
      const s = await deploymentStatus(client, ns, "web");
      return s.ready === 3 && s.available === "True";
    });
    const running = await pods(client, ns, "web");
    assert.equal(running.length, 3);
    for (const pod of running) {
      assert.match(pod.spec?.nodeName ?? "", /^kwok-node-\d$/);
      assert.equal(pod.status?.phase, "Running");
      assert.equal(condition(pod, "Ready")?.status, "True");
    }

    // Blocked: new Pods are not scheduled; the running ones stay ready.
    assert.equal(await blockNewPods(client), 3);
    await client.mergePatch(
      { apiVersion: "apps/v1", kind: "Deployment", namespace: ns, name: "web" },
      { spec: { replicas: 4 } },
    );
    await eventually("the fourth Pod to be reported Unschedulable", async () => {
      const pending = (await pods(client, ns, "web")).filter((p) => !p.spec?.nodeName);
      return pending.length === 1 && condition(pending[0]!, "PodScheduled")?.reason === "Unschedulable";
    });
    assert.equal((await deploymentStatus(client, ns, "web")).ready, 3);

    // Unblocked: the Pending Pod runs and the Deployment is whole again.
    await unblockNewPods(client);
    await eventually("web to have 4 ready replicas after unblockNewPods", async () => {
      const s = await deploymentStatus(client, ns, "web");
      return s.ready === 4 && s.available === "True";
    });

    // The label: scheduled and Running, never Ready; Available stays False.
    await client.create(deployment(ns, "stuck", 2, { [NEVER_READY_LABEL]: "true" }));
    const stuck = await eventually("stuck's Pods to be Running", async () => {
      const list = await pods(client, ns, "stuck");
      return list.length === 2 && list.every((p) => p.status?.phase === "Running" && p.status.podIP) && list;
    });
    for (const pod of stuck) {
      assert.equal(condition(pod, "Ready")?.status, "False");
      assert.equal(condition(pod, "ContainersReady")?.status, "False");
    }
    const s = await eventually("stuck's Deployment status", async () => {
      const status = await deploymentStatus(client, ns, "stuck");
      return status.available !== undefined && status;
    });
    assert.deepEqual(s, { ready: 0, available: "False" });
  } finally {
    client.close();
    await cp.stop();
  }
});
