/** Fixtures shared by the kubeconfig tests: secrets that must never be printed, and small kubeconfigs. */

import assert from "node:assert/strict";
import type { Kubeconfig } from "./types.ts";

export const SEED_PATH = new URL("../testdata/kubeconfig/seed.yaml", import.meta.url);

export const CA_PEM = "-----BEGIN CERTIFICATE-----\nMIIBcaBODYxxxxCAfake\n-----END CERTIFICATE-----\n";
export const CERT_PEM = "-----BEGIN CERTIFICATE-----\nMIIBclientCERTbodyfake\n-----END CERTIFICATE-----\n";
export const KEY_PEM =
  "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIkeyBODYsecretfake\n-----END EC PRIVATE KEY-----\n";
export const TOKEN = "s3cr3t-static-token-abc123";
export const JWT = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW06c2EifQ.c2lnbmF0dXJlLXNlY3JldA";
export const PASSWORD = "hunter2-password";
export const EXEC_SECRET = "exec-env-secret-value";
export const PROVIDER_SECRET = "oidc-refresh-secret";

export const b64 = (text: string) => btoa(text);

export function seedText(): string {
  return Deno.readTextFileSync(SEED_PATH);
}

/** A storable kubeconfig with one context; `patch` edits it in place. */
export function oneContext(patch: (config: Kubeconfig) => void = () => {}): Kubeconfig {
  const config: Kubeconfig = {
    apiVersion: "v1",
    kind: "Config",
    clusters: [{
      name: "east",
      cluster: { server: "https://east.example:6443", "certificate-authority-data": b64(CA_PEM) },
    }],
    users: [{ name: "admin", user: { token: TOKEN } }],
    contexts: [{ name: "east-ctx", context: { cluster: "east", user: "admin", namespace: "apps" } }],
    "current-context": "east-ctx",
  };
  patch(config);
  return config;
}

/** A kubeconfig with every kind of secret a kubeconfig can carry. */
export function everySecret(): Kubeconfig {
  return {
    apiVersion: "v1",
    kind: "Config",
    clusters: [{
      name: "east",
      cluster: {
        server: "https://east.example:6443",
        "certificate-authority-data": b64(CA_PEM),
        "proxy-url": `http://proxyuser:${PASSWORD}@proxy.example:3128`,
      },
    }],
    users: [
      {
        name: "certs",
        user: {
          "client-certificate-data": b64(CERT_PEM),
          "client-key-data": b64(KEY_PEM),
          token: TOKEN,
          username: "bob",
          password: PASSWORD,
        },
      },
      { name: "jwt", user: { token: JWT } },
      {
        name: "plugin",
        user: {
          exec: {
            apiVersion: "client.authentication.k8s.io/v1",
            command: "get-token",
            args: ["--token", TOKEN, `--password=${PASSWORD}`],
            env: [{ name: "SECRET", value: EXEC_SECRET }],
          },
        },
      },
      {
        name: "oidc",
        user: {
          "auth-provider": {
            name: "oidc",
            config: { "id-token": JWT, "refresh-token": PROVIDER_SECRET, "client-secret": PROVIDER_SECRET },
          },
        },
      },
    ],
    contexts: [
      { name: "a", context: { cluster: "east", user: "certs" } },
      { name: "b", context: { cluster: "east", user: "jwt" } },
      { name: "c", context: { cluster: "east", user: "plugin" } },
      { name: "d", context: { cluster: "east", user: "oidc" } },
    ],
  };
}

export const SECRETS = [
  b64(CA_PEM),
  b64(CERT_PEM),
  b64(KEY_PEM),
  "MIIBcaBODYxxxxCAfake",
  "MIIBclientCERTbodyfake",
  "MHcCAQEEIkeyBODYsecretfake",
  TOKEN,
  JWT,
  PASSWORD,
  EXEC_SECRET,
  PROVIDER_SECRET,
];

export function assertNoSecret(text: string): void {
  for (const secret of SECRETS) {
    assert.ok(!text.includes(secret), `output still holds ${secret.slice(0, 12)}...:\n${text}`);
  }
}

export async function withTempDir(fn: (dir: string) => Promise<void> | void): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "plumber-kubeconfig-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
