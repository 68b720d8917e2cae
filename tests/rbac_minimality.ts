/**
 * Least privilege of `deploy/`, rule by rule, on a real control plane: installs
 * `deploy/` with `kubectl apply -k`, runs the operator on a token of its own
 * ServiceAccount, then drops each rule of the ClusterRole and the Roles alone,
 * runs a short scenario with a fresh operator (create -> synced -> delete ->
 * released), expects it to fail, and restores the rule.
 *
 * Run by hand (about three minutes on two busy cores; it prints a Markdown table):
 *
 * ```sh
 * deno run -A tests/rbac_minimality.ts            # every rule, defensive ones included
 * deno run -A tests/rbac_minimality.ts namespaces # only rules whose label contains "namespaces"
 * ```
 *
 * `tests/deploy_test.ts` uses the same helpers for its end-to-end run and a
 * sample of rules.
 *
 * @module
 */

import { isMap, isSeq, parseAllDocuments, stringify } from "yaml";
import {
  API_VERSION,
  CLUSTER_DETECTOR_KIND,
  LABEL_MANAGED_BY,
  MANAGED_BY_VALUE,
  REPLICATOR_KIND,
} from "../lib/api.ts";
import type { KubeClient, KubeObjectLike } from "../lib/kube/client.ts";
import type { ControlPlane, ControlPlaneState } from "./control_plane.ts";
import { adminClient, eventually, privateControlPlane, uniqueName } from "./harness.ts";
import { kubeconfigFor, operatorArgs, OperatorProcess, writeKubeconfigSecret } from "./operator.ts";
import { type ReplicatorManifest, replicatorManifest, SECONDARY1 } from "./replicators.ts";

/** The operator namespace of `deploy/`. */
export const NAMESPACE = "plumber-system";
/** The operator's ServiceAccount, as RBAC names it. */
export const SERVICE_ACCOUNT_USER = `system:serviceaccount:${NAMESPACE}:plumber`;
/** ClusterDetector name of the one secondary of {@linkcode startDeployControlPlane}. */
export const SECONDARY = SECONDARY1;
const LEASE = {
  apiVersion: "coordination.k8s.io/v1",
  kind: "Lease",
  namespace: NAMESPACE,
  name: "plumber-leader",
};
const DEPLOY_DIR = new URL("../deploy/", import.meta.url);
const RBAC_FILES = ["cluster_role.yaml", "role.yaml"];
/** What a denied request, or a permission Deno refused, looks like in the operator's log. */
const FORBIDDEN = /403 Forbidden|"code":"403"|NotCapable|Requires \w+ access/;

/** One `rules[]` entry. */
export interface PolicyRule {
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
  verbs: string[];
}

/** A rule of a ClusterRole or Role in `deploy/`, with what its comment says. */
export interface RbacRule {
  role: { kind: "ClusterRole" | "Role"; name: string; namespace?: string };
  /** Position in the role's `rules`. */
  index: number;
  rule: PolicyRule;
  /** The comment lines right above the rule: which code path needs it. */
  comment: string;
  /** The reason after `defensive:` when the rule is marked so: not needed by any tested path. */
  defensive?: string;
  /** `ClusterRole plumber: namespaces [delete]`. */
  label: string;
}

/** The comment lines directly above offset `at` of `text`, without their `#`. */
function commentAbove(text: string, at: number): string {
  const lines = text.slice(0, at).split("\n");
  lines.pop(); // the line the item starts on
  const comment: string[] = [];
  while (lines.length > 0 && /^\s*#/.test(lines.at(-1)!)) {
    comment.unshift(lines.pop()!.replace(/^\s*#\s?/, ""));
  }
  return comment.join("\n");
}

/** Every rule of the ClusterRoles and Roles in `deploy/`, with its `defensive:` reason if any. */
export async function readRbacRules(): Promise<RbacRule[]> {
  const out: RbacRule[] = [];
  for (const file of RBAC_FILES) {
    const text = await Deno.readTextFile(new URL(file, DEPLOY_DIR));
    for (const doc of parseAllDocuments(text)) {
      const kind = doc.get("kind");
      if (kind !== "ClusterRole" && kind !== "Role") continue;
      const metadata = doc.get("metadata") as { toJSON(): { name: string; namespace?: string } };
      const { name, namespace } = metadata.toJSON();
      const rules = doc.get("rules");
      if (!isSeq(rules)) continue;
      rules.items.forEach((item, index) => {
        if (!isMap(item) || !item.range) return;
        const rule = item.toJSON() as PolicyRule;
        const comment = commentAbove(text, item.range[0]);
        const defensive = /defensive:\s*([\s\S]*)/.exec(comment)?.[1]?.replace(/\s+/g, " ").trim();
        const names = rule.resourceNames ? ` (${rule.resourceNames.join(", ")})` : "";
        out.push({
          role: { kind, name, namespace },
          index,
          rule,
          comment,
          defensive,
          label: `${kind} ${namespace ? `${namespace}/` : ""}${name}: ${
            (rule.resources ?? []).join(", ")
          }${names} [${rule.verbs.join(", ")}]`,
        });
      });
    }
  }
  return out;
}

/** A control plane with `deploy/` installed and the operator's ServiceAccount kubeconfig written. */
export interface DeployEnv {
  cp: ControlPlane;
  state: ControlPlaneState;
  /** Admin clients. */
  primary: KubeClient;
  secondary: KubeClient;
  /** A kubeconfig whose context `primary` authenticates as the operator's ServiceAccount. */
  saKubeconfigPath: string;
  close(): Promise<void>;
}

/**
 * A primary and one secondary (`secondary1`); the primary runs the
 * OwnerReferencesPermissionEnforcement admission plugin, as OpenShift and many
 * hardened clusters do, so that `replicators/finalizers` is put to the test.
 */
export async function startDeployControlPlane(): Promise<ControlPlane> {
  return await privateControlPlane([
    {
      context: "primary",
      cluster: "kubernetes",
      user: "kubernetes-admin",
      apiserverArgs: ["--enable-admission-plugins=OwnerReferencesPermissionEnforcement"],
    },
    { context: "secondary1", cluster: "v1262-cluster", user: "kubernetes-admin2" },
  ]);
}

/** Output of one kubectl run. */
export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs kubectl against a context of a kubeconfig. */
export async function kubectl(
  kubeconfigPath: string,
  context: string,
  args: string[],
): Promise<KubectlResult> {
  const output = await new Deno.Command("kubectl", {
    args: ["--kubeconfig", kubeconfigPath, "--context", context, ...args],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  return { code: output.code, stdout: decoder.decode(output.stdout), stderr: decoder.decode(output.stderr) };
}

function kubectlFailure(what: string, result: KubectlResult): Error {
  return new Error(`${what} exited ${result.code}:\n${result.stdout}${result.stderr}`);
}

/**
 * Installs `deploy/` as a user would: `kubectl apply -k deploy/`, after a
 * server-side dry run of the same. The dry run needs the namespace to exist
 * (it creates nothing, and every namespaced object of `deploy/` lives in
 * plumber-system), so `deploy/namespace.yaml` is applied first.
 */
export async function applyDeploy(
  kubeconfigPath: string,
): Promise<{ dryRun: KubectlResult; apply: KubectlResult }> {
  const dir = DEPLOY_DIR.pathname;
  const ns = await kubectl(kubeconfigPath, "primary", ["apply", "-f", `${dir}namespace.yaml`]);
  if (ns.code !== 0) throw kubectlFailure("kubectl apply -f deploy/namespace.yaml", ns);
  const dryRun = await kubectl(kubeconfigPath, "primary", ["apply", "-k", dir, "--dry-run=server"]);
  if (dryRun.code !== 0) throw kubectlFailure("kubectl apply -k deploy/ --dry-run=server", dryRun);
  const apply = await kubectl(kubeconfigPath, "primary", ["apply", "-k", dir]);
  if (apply.code !== 0) throw kubectlFailure("kubectl apply -k deploy/", apply);
  const established = await kubectl(kubeconfigPath, "primary", [
    "wait",
    "--for=condition=Established",
    "--timeout=60s",
    "crd/replicators.plumber.jnytnai0613.github.io",
    "crd/clusterdetectors.plumber.jnytnai0613.github.io",
  ]);
  if (established.code !== 0) throw kubectlFailure("kubectl wait for the CRDs", established);
  return { dryRun, apply };
}

/**
 * Writes a kubeconfig whose context `primary` uses a token of the operator's
 * ServiceAccount (TokenRequest, one hour), with the primary's server and CA.
 * Its user is named `plumber`, so the primary's ClusterDetector is
 * `kubernetes.plumber`, as in a pod.
 */
export async function writeServiceAccountKubeconfig(
  state: ControlPlaneState,
  admin: KubeClient,
  path: string,
): Promise<void> {
  const request = await admin.raw<{ status: { token: string } }>(
    "POST",
    `/api/v1/namespaces/${NAMESPACE}/serviceaccounts/plumber/token`,
    {
      body: {
        apiVersion: "authentication.k8s.io/v1",
        kind: "TokenRequest",
        spec: { expirationSeconds: 3600 },
      },
    },
  );
  const primary = state.clusters.find((c) => c.context === "primary")!;
  const kubeconfig = {
    apiVersion: "v1",
    kind: "Config",
    clusters: [{
      name: primary.cluster,
      cluster: { server: primary.server, "certificate-authority-data": btoa(primary.ca.certPem) },
    }],
    users: [{ name: "plumber", user: { token: request.status.token } }],
    contexts: [{ name: "primary", context: { cluster: primary.cluster, user: "plumber" } }],
    "current-context": "primary",
  };
  await Deno.writeTextFile(path, stringify(kubeconfig), { mode: 0o600 });
}

/**
 * Starts the control plane, installs `deploy/`, writes the ServiceAccount
 * kubeconfig and registers the secondary in the kubeconfig Secret (with admin
 * certificates: the secondary side's RBAC is plumberctl's business).
 */
export async function setUpDeployEnv(): Promise<
  DeployEnv & { install: Awaited<ReturnType<typeof applyDeploy>> }
> {
  const cp = await startDeployControlPlane();
  const state = cp.state;
  const primary = adminClient(state, "primary");
  const secondary = adminClient(state, "secondary1");
  const env: DeployEnv = {
    cp,
    state,
    primary,
    secondary,
    saKubeconfigPath: `${cp.dir}/plumber-sa.kubeconfig`,
    close: async () => {
      primary.close();
      secondary.close();
      await cp.stop();
    },
  };
  try {
    const install = await applyDeploy(cp.kubeconfigPath);
    await writeServiceAccountKubeconfig(state, primary, env.saKubeconfigPath);
    const secondaryInfo = state.clusters.find((c) => c.context === "secondary1")!;
    await writeKubeconfigSecret(primary, NAMESPACE, kubeconfigFor([secondaryInfo]));
    return { ...env, install };
  } catch (error) {
    await env.close();
    throw error;
  }
}

/** Starts main.ts as the operator's ServiceAccount, with leader election, as the Deployment runs it. */
export function startServiceAccountOperator(env: DeployEnv): OperatorProcess {
  return new OperatorProcess(operatorArgs(env.state, {
    namespace: NAMESPACE,
    kubeconfigPath: env.saKubeconfigPath,
    extraArgs: ["--leader-elect"],
  }));
}

/** Lines of the operator's log that show a denied request (or a permission Deno refused). */
export function forbiddenLines(operator: OperatorProcess): string[] {
  return operator.lines.filter((line) => FORBIDDEN.test(line));
}

/** A short summary of a log line: its message and the request or error, cut after the status. */
export function summarize(line: string): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(line);
  } catch {
    return line.slice(0, 240);
  }
  const error = entry.error as unknown;
  let text = entry.method ? `${entry.method} ${entry.path} -> ${entry.code}` : "";
  if (typeof error === "string") text = error;
  else if (error && typeof error === "object") text = String((error as { message?: unknown }).message ?? "");
  // The API server's own words name the verb and resource; keep those, drop the rest.
  const cannot = /cannot (\w+) resource "([^"]+)"/.exec(text);
  const at = text.indexOf("403 Forbidden");
  if (at >= 0) text = text.slice(0, at + "403 Forbidden".length);
  if (cannot) text += ` (cannot ${cannot[1]} ${cannot[2]})`;
  return `${entry.msg}: ${text}`.replace(/\s+/g, " ").slice(0, 240);
}

/** A Replicator with a ConfigMap, a Deployment, a Service and a TLS-secured Ingress, for one secondary. */
export function tlsReplicator(name: string, namespace: string): ReplicatorManifest {
  return replicatorManifest(name, namespace, { targets: [SECONDARY], tlsHosts: ["web.example.com"] });
}

interface ReplicatorView {
  metadata: { generation?: number; finalizers?: string[] };
  status?: {
    synced?: string;
    observedGeneration?: number;
    conditions?: { type: string; message?: string }[];
  };
}

/** The Replicator when it is synced at its current generation. */
export async function syncedReplicator(admin: KubeClient, name: string): Promise<ReplicatorView | undefined> {
  const r = await admin.find<ReplicatorView>({ apiVersion: API_VERSION, kind: REPLICATOR_KIND, name });
  return r?.status?.synced === "synced" && r.status.observedGeneration === r.metadata.generation
    ? r
    : undefined;
}

/** True when a namespace is gone or going. */
export async function namespaceGoing(client: KubeClient, name: string): Promise<boolean> {
  const ns = await client.find<{ status?: { phase?: string } }>({
    apiVersion: "v1",
    kind: "Namespace",
    name,
  });
  return !ns || ns.status?.phase === "Terminating";
}

/** What one scenario came to. */
export interface ScenarioResult {
  ok: boolean;
  /** The step it reached or stopped at. */
  step: "leader" | "synced" | "released" | "done";
  /** Why it failed: the first denied request, or what did not happen in time. */
  reason?: string;
  ms: number;
  /** SIGTERM did not stop the operator within 5 s; it was killed. */
  killed: boolean;
}

const STALE_DETECTOR = "stale-cluster.stale-user";

/**
 * Puts the primary back to a first start: no Lease (so the operator creates
 * it), no ClusterDetector (so it creates them), and one stale ClusterDetector
 * of plumber's for a context that is not in the Secret (so it deletes it).
 */
async function resetOperatorState(admin: KubeClient): Promise<void> {
  await admin.delete(LEASE);
  const detectors = await admin.list(API_VERSION, CLUSTER_DETECTOR_KIND, { namespace: NAMESPACE });
  for (const cd of detectors.items) {
    await admin.delete({
      apiVersion: API_VERSION,
      kind: CLUSTER_DETECTOR_KIND,
      namespace: NAMESPACE,
      name: cd.metadata!.name!,
    });
  }
  await admin.create({
    apiVersion: API_VERSION,
    kind: CLUSTER_DETECTOR_KIND,
    metadata: {
      name: STALE_DETECTOR,
      namespace: NAMESPACE,
      labels: { [LABEL_MANAGED_BY]: MANAGED_BY_VALUE },
    },
    spec: { context: "stale", cluster: "stale-cluster", user: "stale-user" },
  });
}

/**
 * The short scenario: a fresh operator (leader election from scratch, a stale
 * ClusterDetector to remove), a TLS Replicator created and synced to the
 * primary and the secondary, then deleted and released with its namespace
 * deleted in both clusters. Stops at the first denied request in the log.
 * Leaves the operator stopped; a failed run may leave its Replicator behind
 * (see {@linkcode releaseLeftovers}).
 */
export async function runScenario(
  env: DeployEnv,
  options: { timeoutMs?: number } = {},
): Promise<ScenarioResult> {
  const timeoutMs = options.timeoutMs ?? 20_000;
  const started = performance.now();
  const admin = env.primary;
  await resetOperatorState(admin);
  const operator = startServiceAccountOperator(env);
  const name = uniqueName("least");
  const ns = uniqueName("least-ns");
  let step: ScenarioResult["step"] = "leader";
  // Not eventually(): a denied request ends the wait at once.
  const waitFor = async (what: string, check: () => Promise<boolean>) => {
    const deadline = Date.now() + timeoutMs;
    while (true) {
      const denied = forbiddenLines(operator)[0];
      if (denied) throw new DeniedError(summarize(denied));
      if (operator.exited) throw new Error(`the operator exited: ${operator.lines.slice(-2).join(" | ")}`);
      try {
        if (await check()) return;
      } catch {
        // an admin read failed: try again
      }
      if (Date.now() > deadline) throw new Error(`no ${what} within ${timeoutMs / 1000} s`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };
  try {
    await waitFor(
      "leadership",
      () => Promise.resolve(operator.lines.some((l) => l.includes("Controllers started"))),
    );
    step = "synced";
    await admin.create(tlsReplicator(name, ns));
    await waitFor("sync (Replicator synced, stale ClusterDetector removed)", async () => {
      const stale = await admin.find({
        apiVersion: API_VERSION,
        kind: CLUSTER_DETECTOR_KIND,
        namespace: NAMESPACE,
        name: STALE_DETECTOR,
      });
      return !stale && (await syncedReplicator(admin, name)) !== undefined;
    });
    step = "released";
    await admin.delete({ apiVersion: API_VERSION, kind: REPLICATOR_KIND, name });
    await waitFor(
      "release (Replicator gone, its namespace deleted in both clusters)",
      async () =>
        !(await admin.find({ apiVersion: API_VERSION, kind: REPLICATOR_KIND, name })) &&
        await namespaceGoing(admin, ns) && await namespaceGoing(env.secondary, ns),
    );
    step = "done";
    const { status, killed } = await stopOperator(operator);
    const denied = forbiddenLines(operator)[0];
    const ms = performance.now() - started;
    if (denied) return { ok: false, step, reason: `denied: ${summarize(denied)}`, ms, killed };
    if (status.code !== 0) {
      return { ok: false, step, reason: `the operator exited ${status.code}`, ms, killed };
    }
    return { ok: true, step, ms, killed };
  } catch (error) {
    const { killed } = await stopOperator(operator);
    const reason = error instanceof DeniedError ? `denied: ${error.message}` : (error as Error).message;
    return { ok: false, step, reason, ms: performance.now() - started, killed };
  }
}

class DeniedError extends Error {}

/** SIGTERM, then SIGKILL after `graceMs` (default 5 s); `killed` tells whether SIGTERM was not enough. */
export async function stopOperator(
  operator: OperatorProcess,
  graceMs = 5_000,
): Promise<{ status: Deno.CommandStatus; killed: boolean }> {
  let killed = false;
  const timer = setTimeout(() => {
    killed = true;
    void operator.stop("SIGKILL");
  }, graceMs);
  try {
    return { status: await operator.stop(), killed };
  } finally {
    clearTimeout(timer);
  }
}

/** Removes what a failed scenario left: Replicators stuck on their finalizer. */
export async function releaseLeftovers(admin: KubeClient): Promise<void> {
  const list = await admin.list<ReplicatorView & KubeObjectLike>(API_VERSION, REPLICATOR_KIND);
  for (const r of list.items) {
    const ref = { apiVersion: API_VERSION, kind: REPLICATOR_KIND, name: r.metadata!.name! };
    if (r.metadata.finalizers?.length) {
      await admin.mergePatch(ref, { metadata: { finalizers: null } }).catch(() => {});
    }
    await admin.delete(ref);
  }
}

/** Asks the API server whether the operator's ServiceAccount may do the first verb of a rule. */
export async function serviceAccountMay(admin: KubeClient, rule: RbacRule): Promise<boolean> {
  const [resource, subresource] = (rule.rule.resources?.[0] ?? "").split("/");
  const clusterScoped = ["namespaces", "replicators"].includes(resource!);
  const review = await admin.raw<{ status: { allowed?: boolean } }>(
    "POST",
    "/apis/authorization.k8s.io/v1/subjectaccessreviews",
    {
      body: {
        apiVersion: "authorization.k8s.io/v1",
        kind: "SubjectAccessReview",
        spec: {
          user: SERVICE_ACCOUNT_USER,
          groups: ["system:serviceaccounts", `system:serviceaccounts:${NAMESPACE}`, "system:authenticated"],
          resourceAttributes: {
            namespace: clusterScoped ? undefined : rule.role.namespace ?? "any-namespace",
            verb: rule.rule.verbs[0],
            group: rule.rule.apiGroups?.[0] ?? "",
            resource,
            subresource,
            name: rule.rule.resourceNames?.[0],
          },
        },
      },
    },
  );
  return review.status.allowed === true;
}

function roleRef(rule: RbacRule) {
  return {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: rule.role.kind,
    name: rule.role.name,
    namespace: rule.role.namespace,
  };
}

/**
 * Runs `fn` with one rule dropped from the live role, then puts the role back
 * as it was. Before `fn`, waits (up to 5 s) until a SubjectAccessReview
 * denies the rule's first verb; `stillAllowed` is true when another rule
 * grants it anyway (as for the defensive rules).
 */
export async function withoutRule<T>(
  env: DeployEnv,
  rule: RbacRule,
  fn: () => Promise<T>,
): Promise<{ value: T; stillAllowed: boolean }> {
  const admin = env.primary;
  const live = await admin.get<KubeObjectLike & { rules: PolicyRule[] }>(roleRef(rule));
  const original = live.rules;
  await admin.update({ ...live, rules: original.filter((_, i) => i !== rule.index) });
  try {
    const stillAllowed = await eventually(
      `the API server to deny ${rule.label}`,
      async () => !(await serviceAccountMay(admin, rule)),
      { timeoutMs: 5_000, intervalMs: 100 },
    ).then(() => false, () => true);
    return { value: await fn(), stillAllowed };
  } finally {
    const current = await admin.get<KubeObjectLike & { rules: PolicyRule[] }>(roleRef(rule));
    await admin.update({ ...current, rules: original });
    await eventually(`the API server to allow ${rule.label} again`, () => serviceAccountMay(admin, rule), {
      timeoutMs: 10_000,
      intervalMs: 100,
    });
  }
}

/** One line of the result table. */
export interface RuleOutcome {
  rule: RbacRule;
  result: ScenarioResult;
  /** Another rule still granted the dropped rule's first verb. */
  stillAllowed: boolean;
}

/** Drops each rule in turn and runs the scenario; restores everything after each. */
export async function checkRules(
  env: DeployEnv,
  rules: RbacRule[],
  options: { timeoutMs?: number; log?: (line: string) => void } = {},
): Promise<RuleOutcome[]> {
  const outcomes: RuleOutcome[] = [];
  for (const rule of rules) {
    const { value: result, stillAllowed } = await withoutRule(env, rule, () => runScenario(env, options));
    await releaseLeftovers(env.primary);
    options.log?.(
      `${rule.label}: ${result.ok ? "PASSED without it" : `failed at ${result.step} (${result.reason})`} ` +
        `in ${(result.ms / 1000).toFixed(1)} s${stillAllowed ? "; still granted by another rule" : ""}` +
        `${result.killed ? "; SIGTERM did not stop the operator" : ""}`,
    );
    outcomes.push({ rule, result, stillAllowed });
  }
  return outcomes;
}

/** The outcomes as a Markdown table. */
export function outcomeTable(outcomes: RuleOutcome[]): string {
  const rows = outcomes.map(({ rule, result, stillAllowed }) => {
    const granted = stillAllowed ? " (still granted by another rule)" : "";
    const verdict = result.ok
      ? `${rule.defensive ? "passes: defensive, as marked" : "PASSES: NOT NEEDED"}${granted}`
      : `fails at **${result.step}**: ${result.reason?.replace(/\|/g, "/")}${granted}`;
    const stop = result.killed ? "killed after 5 s" : "exited";
    return `| ${rule.label} | ${verdict} | ${stop} | ${(result.ms / 1000).toFixed(1)} s |`;
  });
  return [
    "| rule dropped | scenario without it | on SIGTERM | time |",
    "|---|---|---|---|",
    ...rows,
  ].join("\n");
}

async function main(args: string[]): Promise<number> {
  const filter = args[0];
  const log = (line: string) => console.error(`[rbac] ${line}`);
  const started = performance.now();
  const env = await setUpDeployEnv();
  try {
    log(`control plane up and deploy/ applied in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    const baseline = await runScenario(env, { timeoutMs: 30_000 });
    log(`every rule in place: ${baseline.ok ? "passed" : `FAILED at ${baseline.step}: ${baseline.reason}`}`);
    if (!baseline.ok) return 1;
    const rules = (await readRbacRules()).filter((r) => !filter || r.label.includes(filter));
    const outcomes = await checkRules(env, rules, { log });
    console.log(outcomeTable(outcomes));
    const unexpected = outcomes.filter((o) => o.result.ok !== (o.rule.defensive !== undefined));
    log(
      `${outcomes.length} rules in ${((performance.now() - started) / 1000).toFixed(0)} s; ` +
        `${unexpected.length} unexpected`,
    );
    return unexpected.length === 0 ? 0 : 1;
  } finally {
    await releaseLeftovers(env.primary).catch(() => {});
    await env.close();
  }
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
