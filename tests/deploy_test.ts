/**
 * `deploy/` and the `Dockerfile`: what the image runs matches what the tests
 * run, and on a real control plane `kubectl apply -k deploy/` installs a
 * working operator whose RBAC is enough (no request denied through a whole
 * Replicator life cycle) and not more (a sample of rules, each needed; every
 * rule: `deno run -A tests/rbac_minimality.ts`).
 */

import assert from "node:assert/strict";
import { parse } from "yaml";
import { API_VERSION, CLUSTER_DETECTOR_KIND, REPLICATOR_KIND } from "../lib/api.ts";
import type { KubeObjectLike } from "../lib/kube/client.ts";
import { eventually, uniqueName } from "./harness.ts";
import { OPERATOR_PERMISSIONS, OPERATOR_V8_FLAGS, type OperatorProcess, startOperator } from "./operator.ts";
import {
  checkRules,
  type DeployEnv,
  forbiddenLines,
  NAMESPACE,
  namespaceGoing,
  outcomeTable,
  readRbacRules,
  releaseLeftovers,
  SECONDARY,
  setUpDeployEnv,
  stopOperator,
  syncedReplicator,
  tlsReplicator,
} from "./rbac_minimality.ts";

const ROOT = new URL("../", import.meta.url);

type Obj = KubeObjectLike & {
  data?: Record<string, string>;
  spec?: Record<string, unknown>;
  metadata: {
    name: string;
    ownerReferences?: { kind: string; name: string; blockOwnerDeletion?: boolean }[];
    labels?: Record<string, string>;
  };
};

/** The ENTRYPOINT of the run stage, as an exec-form array. */
function entrypoint(dockerfile: string): string[] {
  const line = dockerfile.split("\n").filter((l) => l.startsWith("ENTRYPOINT ")).at(-1);
  assert.ok(line, "the Dockerfile has an ENTRYPOINT");
  return JSON.parse(line.slice("ENTRYPOINT ".length));
}

Deno.test("The Dockerfile pins this Deno version and its ENTRYPOINT grants exactly OPERATOR_PERMISSIONS", async () => {
  const dockerfile = await Deno.readTextFile(new URL("Dockerfile", ROOT));
  assert.equal(/^ARG DENO_VERSION=(\S+)$/m.exec(dockerfile)?.[1], Deno.version.deno);
  const bases = [...dockerfile.matchAll(/^FROM (\S+)/gm)].map((m) => m[1]);
  assert.deepEqual(bases, [
    "denoland/deno:debian-${DENO_VERSION}",
    "denoland/deno:distroless-${DENO_VERSION}",
  ]);
  const command = entrypoint(dockerfile);
  assert.deepEqual(command.slice(0, 2), ["deno", "run"]);
  assert.equal(command.at(-1), "/app/main.ts");
  const permissions = command.filter((arg) => /^--(allow|deny)-/.test(arg));
  assert.deepEqual(
    permissions,
    [...OPERATOR_PERMISSIONS],
    "the tests run main.ts with what the image grants",
  );
  assert.ok(!permissions.some((p) => p === "--allow-read" || p === "--allow-env" || p === "-A"));
  assert.ok(command.includes(OPERATOR_V8_FLAGS), "the tests run main.ts with the image's V8 limits");
  const user = /^USER (\d+):(\d+)$/m.exec(dockerfile);
  assert.ok(user, "a numeric USER");

  const docs = (await Deno.readTextFile(new URL("deploy/deployment.yaml", ROOT))).split(/^---$/m).map((d) =>
    parse(d)
  );
  const deployment = docs.find((d) => d?.kind === "Deployment");
  const pod = deployment.spec.template.spec;
  assert.equal(String(pod.securityContext.runAsUser), user[1], "the Deployment runs as the image's USER");
  assert.equal(String(pod.securityContext.runAsGroup), user[2]);
  const container = pod.containers[0];
  assert.deepEqual(container.args, ["--leader-elect"]);
  assert.equal(container.image, "ghcr.io/plumber/plumber:0.1.0");
});

/** Headroom of the memory limit over the measured peak RSS (docs/benchmarks.md, "Memory requests and limits"). */
const PEAK_HEADROOM = 1.25;

/** The `max` column (MiB) of the memory row of docs/benchmarks.md's first results table whose metric starts with `metric`. */
function measuredMiB(benchmarks: string, metric: string): number {
  const row = benchmarks.split("\n").find((line) => {
    const cells = line.split("|").map((c) => c.trim());
    return cells[1] === "memory" && cells[2]?.startsWith(metric) && cells[2].endsWith("(MiB)");
  });
  assert.ok(row, `docs/benchmarks.md has a memory row "${metric} ... (MiB)"`);
  // | scenario | metric | n | median | p90 | max | goal | result | load |
  const max = Number(row.split("|")[6]?.trim());
  assert.ok(Number.isFinite(max) && max > 0, `a number in the max column of: ${row}`);
  return max;
}

/** Test-only npm packages that must never reach the operator's image. */
const TEST_ONLY_PACKAGES = ["@kubernetes/client-node", "@sinonjs/fake-timers"];

async function denoJson(args: string[], cwd: string): Promise<string> {
  const output = await new Deno.Command("deno", { args, cwd, stderr: "piped", stdout: "piped" }).output();
  const stderr = new TextDecoder().decode(output.stderr);
  assert.ok(output.success, `deno ${args.join(" ")} failed: ${stderr}`);
  return new TextDecoder().decode(output.stdout);
}

Deno.test("The Dockerfile installs by entrypoint only, from deno.json and deno.lock narrowed to main.ts's graph", async () => {
  const dockerfile = await Deno.readTextFile(new URL("Dockerfile", ROOT));
  const commands = dockerfile.replaceAll("\\\n", " ").split("\n").filter((l) => /^RUN /.test(l));
  const installs = commands.flatMap((c) => c.split("&&")).filter((c) => /\bdeno install\b/.test(c));
  assert.ok(installs.length > 0, "the Dockerfile installs the dependencies");
  for (const install of installs) {
    assert.match(install, /--entrypoint main\.ts\b/, `"${install.trim()}" installs by entrypoint`);
    assert.match(install, /--frozen\b/, `"${install.trim()}" keeps the lockfile's versions`);
  }
  const narrowing = commands.findIndex((c) => c.includes("image_lock.ts main.ts"));
  const installing = commands.findIndex((c) => /\bdeno install\b/.test(c));
  assert.ok(
    narrowing >= 0 && narrowing < installing,
    "deno.json and deno.lock are narrowed before the install",
  );
  for (const pkg of TEST_ONLY_PACKAGES) {
    assert.ok(!commands.some((c) => c.includes(pkg)), `no RUN line names ${pkg}`);
  }
});

Deno.test("main.ts's module graph holds no client-node module, and the image's narrowed lockfile no test-only package", async () => {
  const root = ROOT.pathname;
  const info: { modules: Array<{ specifier: string }> } = JSON.parse(
    await denoJson(["info", "--json", "main.ts"], root),
  );
  assert.ok(info.modules.some((m) => m.specifier.endsWith("/main.ts")), "deno info read main.ts's graph");
  for (const pkg of TEST_ONLY_PACKAGES) {
    const found = info.modules.filter((m) => m.specifier.includes(pkg));
    assert.deepEqual(found, [], `main.ts imports ${pkg}`);
  }

  // What the image's build stage does, in a copy: narrow, then load main.ts with the narrowed files only.
  const dir = await Deno.makeTempDir();
  try {
    for (const entry of ["deno.json", "deno.lock", "main.ts"]) {
      await Deno.copyFile(`${root}${entry}`, `${dir}/${entry}`);
    }
    for (const folder of ["lib", "controllers"]) {
      await new Deno.Command("cp", { args: ["-r", `${root}${folder}`, `${dir}/${folder}`] }).output();
    }
    await denoJson(["run", "--frozen", "-A", `${root}tools/image_lock.ts`, "main.ts"], dir);
    const lock = await Deno.readTextFile(`${dir}/deno.lock`);
    const config = await Deno.readTextFile(`${dir}/deno.json`);
    for (const pkg of TEST_ONLY_PACKAGES) {
      assert.ok(!lock.includes(pkg), `the image's deno.lock has no ${pkg}`);
      assert.ok(!config.includes(pkg), `the image's deno.json has no ${pkg}`);
    }
    assert.match(lock, /"js-yaml@5\./, "the operator's own packages stay");
    // --frozen: the narrowed lockfile is complete and consistent for main.ts.
    const help = await denoJson(["run", "--cached-only", "--frozen", "main.ts", "--help"], dir);
    assert.match(help, /^plumber: replicates a workload/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** A Kubernetes memory quantity in MiB; only the binary suffixes this manifest uses. */
function quantityMiB(quantity: string): number {
  const match = /^(\d+)(Mi|Gi)$/.exec(quantity);
  assert.ok(match, `memory quantity "${quantity}" is <n>Mi or <n>Gi`);
  return Number(match[1]) * (match[2] === "Gi" ? 1024 : 1);
}

Deno.test("The Deployment's memory request and limit follow the measured RSS in docs/benchmarks.md, with headroom", async () => {
  const benchmarks = await Deno.readTextFile(new URL("docs/benchmarks.md", ROOT));
  const idle = measuredMiB(benchmarks, "RSS idle before fan-out");
  const peak = measuredMiB(benchmarks, "peak RSS (VmHWM) through fan-out");
  const steady = measuredMiB(benchmarks, "steady RSS after fan-out");
  assert.ok(idle < steady && steady < peak, `idle ${idle} < steady ${steady} < peak ${peak} MiB`);

  const manifests = (await Deno.readTextFile(new URL("deploy/deployment.yaml", ROOT))).split(/^---$/m);
  const deployment = manifests.map((d) => parse(d)).find((d) => d?.kind === "Deployment");
  const resources = deployment.spec.template.spec.containers[0].resources;
  const request = quantityMiB(resources.requests.memory);
  const limit = quantityMiB(resources.limits.memory);

  const flags = /^--v8-flags=(.*)$/.exec(
    entrypoint(await Deno.readTextFile(new URL("Dockerfile", ROOT))).find((a) =>
      a.startsWith("--v8-flags=")
    ) ?? "",
  )?.[1]?.split(",") ?? [];
  const flag = (name: string) => {
    const value = Number(flags.find((f) => f.startsWith(`--${name}=`))?.split("=")[1]);
    assert.ok(
      Number.isFinite(value) && value > 0,
      `the ENTRYPOINT sets --${name} (flags: ${flags.join(",")})`,
    );
    return value;
  };
  const heapLimit = flag("max-old-space-size") + 3 * flag("max-semi-space-size");

  assert.ok(request >= steady, `memory request ${request}Mi >= steady RSS ${steady} MiB`);
  assert.ok(
    limit >= peak * PEAK_HEADROOM,
    `memory limit ${limit}Mi >= peak RSS ${peak} MiB x ${PEAK_HEADROOM} = ${peak * PEAK_HEADROOM}`,
  );
  assert.ok(
    limit >= idle + heapLimit,
    `memory limit ${limit}Mi >= idle RSS ${idle} MiB + V8 heap limits ${heapLimit} MiB: V8 runs out of heap before the cgroup kills the container`,
  );
  assert.ok(request <= limit);
});

Deno.test("Every rule of deploy/'s ClusterRole and Roles says which code path needs it", async () => {
  const rules = await readRbacRules();
  assert.ok(rules.length >= 30, `${rules.length} rules read`);
  const unexplained = rules.filter((r) => !r.comment.trim()).map((r) => r.label);
  assert.deepEqual(unexplained, [], "every rule has a comment above it");
  for (const r of rules.filter((r) => r.defensive !== undefined)) {
    assert.ok(r.defensive!.length > 20, `${r.label}: a defensive rule gives its reason`);
  }
  // The wildcard and escalation verbs never appear; wildcard resources only in the namespace census's one
  // rule, which may list (metadata only is asked for) and nothing else.
  const census = rules.filter((r) => r.rule.resources?.includes("*") || r.rule.apiGroups?.includes("*"));
  assert.deepEqual(census.map((r) => [r.role.kind, r.role.name, r.rule]), [
    ["ClusterRole", "plumber", { apiGroups: ["*"], resources: ["*"], verbs: ["list"] }],
  ]);
  assert.match(census[0]!.comment, /namespace census/);
  for (const r of rules) {
    const words = [
      ...r.rule.verbs,
      ...(census.includes(r) ? [] : [...r.rule.resources ?? [], ...r.rule.apiGroups ?? []]),
    ];
    for (const word of words) {
      assert.ok(!["*", "escalate", "bind", "impersonate"].includes(word), `${r.label} grants ${word}`);
    }
  }
});

Deno.test("The operator may write Secrets in place (update) only for the kubeconfig Secret, by name", async () => {
  const rules = await readRbacRules();
  const updates = rules.filter((r) =>
    r.rule.resources?.includes("secrets") && (r.rule.verbs.includes("update") || r.rule.verbs.includes("*"))
  );
  assert.deepEqual(updates.map((r) => [r.role.kind, r.rule.resourceNames, r.rule.verbs]), [
    ["Role", ["plumber-kubeconfig"], ["update"]],
  ]);
  assert.match(updates[0]!.comment, /label mirroring/);
});

Deno.test("kubectl apply -k deploy/ installs plumber, which runs on its ServiceAccount without one denied request, and each sampled rule is needed", async (t) => {
  const env = await setUpDeployEnv();
  let operator: OperatorProcess | undefined;
  try {
    await t.step(
      "(a) deploy/ passes a server-side dry run and applies; the pod meets the restricted level",
      async () => {
        const { dryRun, apply } = env.install;
        assert.match(dryRun.stdout, /deployment\.apps\/plumber created \(server dry run\)/);
        assert.match(apply.stdout, /clusterrole\.rbac\.authorization\.k8s\.io\/plumber created/);
        assert.match(apply.stdout, /customresourcedefinition\.apiextensions\.k8s\.io\/replicators\./);
        for (const output of [dryRun, apply]) {
          assert.doesNotMatch(output.stderr, /Warning|violate/, "no PodSecurity warning");
        }
        // kube-controller-manager makes the pod; admission (PodSecurity "restricted", enforced) lets it in;
        // kube-scheduler places it on a fake Node, where KWOK reports it Running (no container runs: the
        // test starts the operator itself below).
        const pod = await eventually("the operator's pod to be admitted, scheduled and Running", async () => {
          const pods = await env.primary.list<
            Obj & { spec?: { nodeName?: string }; status?: { phase?: string } }
          >(
            "v1",
            "Pod",
            { namespace: NAMESPACE, labelSelector: "app.kubernetes.io/name=plumber" },
          );
          const pod = pods.items[0];
          return pod?.status?.phase === "Running" && pod;
        });
        assert.match(pod.spec?.nodeName ?? "", /^kwok-node-\d+$/);
      },
    );

    await t.step(
      "(b) the operator's own ServiceAccount token suffices for a whole Replicator life cycle",
      async () => {
        operator = await startOperator(env.state, {
          namespace: NAMESPACE,
          kubeconfigPath: env.saKubeconfigPath,
          extraArgs: ["--leader-elect"],
        });
        await lifeCycle(env);
        const { status, killed } = await stopOperator(operator);
        assert.ok(!killed, "SIGTERM stops the operator");
        assert.equal(status.code, 0);
        assert.deepEqual(forbiddenLines(operator), [], "no request denied, no permission refused by Deno");
        operator = undefined;
      },
    );

    await t.step("(c) without any one of a sample of rules, the short scenario fails", async () => {
      const all = await readRbacRules();
      const sample = [
        (label: string) => label.includes("replicators/finalizers [update]"),
        (label: string) => label.includes("ClusterRole plumber: namespaces [delete]"),
        (label: string) => label.startsWith("Role default/plumber-events: events [create]"),
      ].map((pick) => all.find((r) => pick(r.label))!);
      assert.ok(sample.every((r) => r !== undefined && r.defensive === undefined));
      const outcomes = await checkRules(env, sample, { log: (line) => console.log(`  ${line}`) });
      console.log(outcomeTable(outcomes));
      for (const { rule, result } of outcomes) {
        assert.ok(!result.ok, `${rule.label} is needed, yet the scenario passed without it`);
        assert.match(result.reason ?? "", /denied/, `${rule.label}: failed for a denied request`);
      }
    });
  } finally {
    if (operator) await stopOperator(operator);
    await releaseLeftovers(env.primary).catch(() => {});
    await env.close();
  }
});

/** Create (TLS) -> synced, a hand edit reverted, the Service dropped and pruned, delete -> released. */
async function lifeCycle(env: DeployEnv): Promise<void> {
  const { primary, secondary } = env;
  const detectors = await eventually("both ClusterDetectors Running", async () => {
    const list = await primary.list<Obj & { status?: { clusterstatus?: string } }>(
      API_VERSION,
      CLUSTER_DETECTOR_KIND,
      { namespace: NAMESPACE },
    );
    const running = list.items.filter((cd) => cd.status?.clusterstatus === "Running");
    return running.length === 2 && running.map((cd) => cd.metadata.name).sort();
  });
  assert.deepEqual(detectors, ["kubernetes.plumber", SECONDARY]);

  const name = uniqueName("deploy");
  const ns = uniqueName("deploy-ns");
  const rep = { apiVersion: API_VERSION, kind: REPLICATOR_KIND, name };
  const ref = (kind: string, objectName = "web") => ({
    apiVersion: kind === "Deployment" ? "apps/v1" : kind === "Ingress" ? "networking.k8s.io/v1" : "v1",
    kind,
    namespace: ns,
    name: objectName,
  });
  await primary.create(tlsReplicator(name, ns));
  await eventually(`Replicator ${name} synced`, () => syncedReplicator(primary, name), { timeoutMs: 30_000 });
  for (const client of [primary, secondary]) {
    for (const kind of ["ConfigMap", "Deployment", "Service", "Ingress"]) {
      assert.ok(await client.find(ref(kind)));
    }
    assert.ok(await client.find(ref("Secret", "ca-secret")));
  }
  // The primary's copies have a blocking owner reference (what replicators/finalizers is for).
  const owned = await primary.get<Obj>(ref("ConfigMap"));
  assert.deepEqual(
    owned.metadata.ownerReferences?.map((o) => [o.kind, o.name, o.blockOwnerDeletion]),
    [[REPLICATOR_KIND, name, true]],
  );
  assert.ok(
    await primary.find({
      apiVersion: "v1",
      kind: "Secret",
      namespace: NAMESPACE,
      name: `plumber-tls-${name}`,
    }),
    "the TLS material is kept in plumber-system",
  );

  // A hand edit of the primary's copy is reverted.
  await primary.mergePatch(ref("ConfigMap"), { data: { "index.html": "edited by hand" } }, {
    fieldManager: "someone",
  });
  await eventually("the hand edit to be reverted", async () => {
    const cm = await primary.get<Obj>(ref("ConfigMap"));
    return cm.data?.["index.html"] === "hello";
  }, { timeoutMs: 15_000 });

  // Dropping the Service from the spec prunes it in both clusters.
  // A merge patch (null removes a field): the operator writes the status while Pods become ready,
  // so a read-modify-update of the whole object could meet a 409.
  await primary.mergePatch(rep, { spec: { serviceName: null, serviceSpec: null } });
  for (const client of [primary, secondary]) {
    await eventually("the Service to be pruned", async () => !(await client.find(ref("Service"))), {
      timeoutMs: 15_000,
    });
  }
  await eventually("synced again", () => syncedReplicator(primary, name), { timeoutMs: 15_000 });

  // Deleting the Replicator cleans both clusters up, namespace included, and lets go.
  await primary.delete(rep);
  await eventually("the Replicator to be released", async () => !(await primary.find(rep)), {
    timeoutMs: 30_000,
  });
  for (const client of [primary, secondary]) {
    assert.equal(await client.find(ref("Deployment")), undefined);
    await eventually("the namespace to be deleted", () => namespaceGoing(client, ns), { timeoutMs: 15_000 });
  }

  // Events went where the Roles allow: about the Replicator in "default", about ClusterDetectors here.
  const events = async (namespace: string) =>
    (await primary.list<{ involvedObject: { kind: string; name: string }; reason: string }>("v1", "Event", {
      namespace,
    })).items;
  const replicatorEvents = (await events("default")).filter((e) => e.involvedObject.name === name);
  assert.ok(replicatorEvents.some((e) => e.reason === "Synced"), "a Synced event about the Replicator");
  assert.ok(
    (await events(NAMESPACE)).some((e) => e.involvedObject.kind === CLUSTER_DETECTOR_KIND),
    "events about ClusterDetectors",
  );
}
