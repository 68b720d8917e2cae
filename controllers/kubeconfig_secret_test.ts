import assert from "node:assert/strict";
import { credentialsCondition, readKubeconfigSecret } from "./kubeconfig_secret.ts";

const where = { namespace: "plumber-system", name: "plumber-kubeconfig" };
const VALID = `apiVersion: v1
kind: Config
clusters:
- name: one
  cluster: {server: "https://one.example:6443"}
users:
- name: admin
  user: {token: s3cr3t-token}
contexts:
- name: one
  context: {cluster: one, user: admin}
`;

Deno.test("readKubeconfigSecret() reads a valid Secret, an empty kubeconfig included", () => {
  const read = readKubeconfigSecret({ data: { kubeconfig: btoa(VALID) } }, where);
  assert.ok(!read.problem);
  assert.deepEqual(read.config.contexts.map((c) => c.name), ["one"]);
  const none = readKubeconfigSecret({
    data: { kubeconfig: btoa("apiVersion: v1\nkind: Config\ncontexts: []\n") },
  }, where);
  assert.ok(!none.problem);
  assert.deepEqual(none.config.contexts, [], "a kubeconfig without contexts is a choice, not a problem");
});

Deno.test("readKubeconfigSecret() reports a missing Secret as KubeconfigSecretMissing, never as no clusters", () => {
  assert.deepEqual(readKubeconfigSecret(undefined, where), {
    problem: {
      reason: "KubeconfigSecretMissing",
      message: "Secret plumber-system/plumber-kubeconfig does not exist",
    },
  });
});

Deno.test("readKubeconfigSecret() reports a missing or empty key, bad base64 and garbage as KubeconfigSecretInvalid", () => {
  const cases: Array<[Record<string, string> | undefined, RegExp]> = [
    [undefined, /has no key "kubeconfig"/],
    [{ other: btoa(VALID) }, /has no key "kubeconfig"/],
    [{ kubeconfig: "" }, /key "kubeconfig" is empty/],
    [{ kubeconfig: btoa("  \n") }, /key "kubeconfig" is empty/],
    [{ kubeconfig: "%%% not base64" }, /is not base64/],
    [
      { kubeconfig: btoa("\xff\xfe") },
      /^Cannot parse kubeconfig Secret .*: key "kubeconfig" is not base64 of UTF-8 text$/,
    ],
    [
      { kubeconfig: btoa("token: s3cr3t-token\n  : [") },
      /Cannot parse kubeconfig Secret plumber-system\/plumber-kubeconfig/,
    ],
    [{ kubeconfig: btoa("just some s3cr3t-token text") }, /not a mapping/],
  ];
  for (const [data, pattern] of cases) {
    const { problem } = readKubeconfigSecret({ data }, where);
    assert.equal(problem?.reason, "KubeconfigSecretInvalid", JSON.stringify(data));
    assert.match(problem.message, pattern);
    assert.match(
      problem.message,
      /^(Secret|Cannot parse kubeconfig Secret) plumber-system\/plumber-kubeconfig/,
    );
    assert.ok(!problem.message.includes("s3cr3t"), `no secret in "${problem.message}"`);
  }
});

Deno.test("credentialsCondition() is True for a usable context and False with the Secret's or the context's problem", () => {
  const usable = { context: "one", hasClient: true };
  assert.deepEqual(credentialsCondition(undefined, usable, where), {
    type: "CredentialsAvailable",
    status: "True",
    reason: "KubeconfigSecretRead",
    message: 'Credentials of context "one" read from Secret plumber-system/plumber-kubeconfig',
  });
  const missing = {
    reason: "KubeconfigSecretMissing" as const,
    message: "Secret plumber-system/plumber-kubeconfig does not exist",
  };
  const kept = credentialsCondition(missing, usable, where);
  assert.equal(kept.status, "False");
  assert.equal(kept.reason, "KubeconfigSecretMissing");
  assert.match(kept.message, /does not exist; the cluster stays registered with the credentials read before/);
  const none = credentialsCondition(
    missing,
    { context: "two", hasClient: false, problem: "no credentials" },
    where,
  );
  assert.match(none.message, /without credentials until the Secret is readable/);
  const exec = credentialsCondition(undefined, {
    context: "x",
    hasClient: false,
    problem: "exec plugins are not supported",
  }, where);
  assert.deepEqual([exec.status, exec.reason], ["False", "InvalidContext"]);
  assert.match(
    exec.message,
    /Context "x" of Secret plumber-system\/plumber-kubeconfig cannot be used: exec plugins/,
  );
});
