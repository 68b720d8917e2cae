/**
 * The release workflow and the README against what they describe: actionlint passes, the tests gate
 * every release, actions are pinned by commit, write permissions sit on one job each, the binaries are
 * the compile task's targets, and the image the workflow pushes replaces the one deploy/ names. Also the
 * README's `deno task run` permissions against deno.json. No cluster needed.
 */

import assert from "node:assert/strict";
import { parse } from "yaml";
import { TARGETS } from "../cli/compile.ts";
import { lintWorkflows } from "../tools/lint_workflows.ts";

const ROOT = new URL("..", import.meta.url).pathname;
const read = (path: string) => Deno.readTextFileSync(`${ROOT}/${path}`);

interface Step {
  uses?: string;
  run?: string;
  with?: Record<string, string>;
  env?: Record<string, string>;
}
interface Job {
  needs?: string | string[];
  permissions?: Record<string, string>;
  steps: Step[];
}
interface Workflow {
  on: { push: { tags: string[] } };
  permissions: Record<string, string>;
  env: Record<string, string>;
  jobs: Record<string, Job>;
}

const workflow = parse(read(".github/workflows/release.yml")) as Workflow;
const jobs = workflow.jobs;
const needs = (
  job: Job,
) => (job.needs === undefined ? [] : Array.isArray(job.needs) ? job.needs : [job.needs]);

Deno.test("release.yml passes actionlint", async () => {
  const result = await lintWorkflows([".github/workflows/release.yml"]);
  assert.equal(result.code, 0, `${result.command.join(" ")}:\n${result.output}`);
});

Deno.test("release.yml runs on tags, runs the tests before releasing anything, and pins every action by commit", () => {
  assert.deepEqual(workflow.on.push.tags, ["v*"]);
  assert.ok(jobs.test!.steps.some((s) => s.run === ".ci/run"), "the test job runs .ci/run");
  for (const [name, job] of Object.entries(jobs)) {
    if (name === "test") continue;
    // Every other job waits for the tests, directly or through another job.
    const seen = new Set<string>();
    const walk = (j: Job): void => needs(j).forEach((n) => (seen.add(n), walk(jobs[n]!)));
    walk(job);
    assert.ok(seen.has("test"), `job ${name} does not wait for the tests`);
    for (const step of job.steps) {
      if (step.uses) assert.match(step.uses, /^[\w.-]+\/[\w.-]+@[0-9a-f]{40}$/, `${name}: ${step.uses}`);
    }
  }
  for (const step of jobs.test!.steps) {
    if (step.uses) assert.match(step.uses, /@[0-9a-f]{40}$/, step.uses);
  }
  for (const job of Object.values(jobs)) {
    for (const step of job.steps) {
      if (step.uses?.startsWith("actions/checkout@")) assert.equal(step.with?.["persist-credentials"], false);
    }
  }
});

Deno.test("release.yml reads by default and grants contents: write to the releasing job only", () => {
  assert.deepEqual(workflow.permissions, { contents: "read" });
  const writers = Object.entries(jobs).filter(([, j]) => j.permissions?.contents === "write").map(([n]) => n);
  assert.deepEqual(writers, ["release"]);
  assert.ok(jobs.release!.steps.some((s) => s.run?.startsWith("gh release create")), "release uploads");
  const pushers = Object.entries(jobs).filter(([, j]) => j.permissions?.packages === "write").map(([n]) => n);
  assert.deepEqual(pushers, ["image"]);
});

Deno.test("release.yml builds plumberctl for Linux, macOS and Windows on x86_64 and arm64 with the compile task", () => {
  assert.ok(jobs.release!.steps.some((s) => s.run === "deno task compile"));
  const deno = JSON.parse(read("deno.json")) as { tasks: Record<string, string> };
  assert.match(deno.tasks.compile!, /cli\/compile\.ts$/);
  for (const os of ["unknown-linux-gnu", "apple-darwin", "pc-windows-msvc"]) {
    for (const arch of ["x86_64", "aarch64"]) {
      assert.ok(TARGETS.some((t) => t === `${arch}-${os}`), `${arch}-${os}`);
    }
  }
  assert.ok(jobs.release!.steps.some((s) => s.run?.includes("dist/*")), "every binary is attached");
});

Deno.test("release.yml pushes a multi-arch image and publishes deploy/ with deploy's image name replaced by it", () => {
  const build = jobs.image!.steps.find((s) => s.uses?.startsWith("docker/build-push-action@"))!;
  assert.equal(build.with?.platforms, "linux/amd64,linux/arm64");
  assert.equal(build.with?.push as unknown, true);
  const kustomization = parse(read("deploy/kustomization.yaml")) as { images: { name: string }[] };
  const deployment = read("deploy/deployment.yaml");
  assert.equal(workflow.env.DEPLOY_IMAGE, kustomization.images[0]!.name);
  assert.ok(deployment.includes(`image: ${workflow.env.DEPLOY_IMAGE}:`), "deploy/deployment.yaml names it");
  assert.ok(read("Dockerfile").includes(`ARG DENO_VERSION=${workflow.env.DENO_VERSION}`));
  const render = jobs.release!.steps.find((s) => s.run?.includes("kubectl kustomize"))!;
  assert.match(render.run!, /- name: \$\{DEPLOY_IMAGE\}\n\s+newName: \$\{IMAGE\}/);
  assert.match(render.run!, /> dist\/plumber-install\.yaml/);
});

Deno.test("README's `deno task run` permissions are deno.json's run task", () => {
  const deno = JSON.parse(read("deno.json")) as { tasks: Record<string, string> };
  const task = deno.tasks.run!;
  const flags = task.split(/\s+/).filter((w) => w.startsWith("--"));
  const readme = read("README.md");
  const shown = readme.match(/`deno task run` runs\s+`([^`]+)`/);
  assert.ok(shown, "README shows the run task's command line");
  assert.equal(shown[1], task);
  for (const flag of flags) assert.ok(shown[1]!.includes(flag), flag);
});
