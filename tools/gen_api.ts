/**
 * `deno task gen:api`: generates the typed API clients and wire-format types of
 * `lib/kube/generated/` from the OpenAPI v3 documents of a kube-apiserver (`/openapi/v3`,
 * then one document per group-version), plumber's own group included (served from its
 * CRDs, which are installed first on the private control plane).
 *
 * ```sh
 * deno task gen:api                                      # starts a private local API server
 * deno task gen:api --kubeconfig ~/.kube/config --context kind-kind   # CRDs must be installed there
 * ```
 *
 * Which resources are generated is listed in {@linkcode GROUP_VERSIONS} (what plumber
 * uses); everything about them (scope, verbs, status subresource, schemas) comes from the
 * documents. Only the types reachable from those resources are written; `meta/v1` and the
 * other apimachinery types shared by every group go to `meta_v1.ts`.
 *
 * @module
 */

import { resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { KubeClient } from "../lib/kube/client.ts";
import { fetchServerVersion, parseGeneratorArgs, withApiServer } from "./api_server.ts";
import { renderClient, REST_IMPORTS } from "./openapi_client.ts";
import { type OpenApiDocument, resourcesOf } from "./openapi_resources.ts";
import {
  hoistSpecAndStatus,
  reachableSchemas,
  type RenderContext,
  renderDeclaration,
  type Schema,
  type TypeLocation,
} from "./openapi_ts.ts";

/**
 * Where the generated files go, relative to the repository root: the wire-format types are
 * pure (`lib/generated/`, which `lib/` may import), the clients are machinery
 * (`lib/kube/generated/`, which re-export their group's types).
 */
export const TYPES_PATH = "lib/generated/";
/** See {@linkcode TYPES_PATH}. */
export const CLIENTS_PATH = "lib/kube/generated/";
const CLIENTS_TO_TYPES = "../../generated/";
/** The repository root, where `gen:api` writes by default. */
export const REPOSITORY_ROOT: URL = new URL("../", import.meta.url);

/** One group-version to generate: its document, its module and the resources plumber uses. */
export interface GroupVersionConfig {
  group: string;
  version: string;
  /** Module (file name without `.ts`). */
  module: string;
  /** Class name prefix: `CoreV1` gives `CoreV1Api` and `CoreV1NamespacedApi`. */
  prefix: string;
  /** Component names starting with this belong to the module. */
  schemaPrefix: string;
  /** Resources (plural names) to generate clients and types for. */
  resources: string[];
}

/** The group-versions and resources plumber uses (product code and tests). */
export const GROUP_VERSIONS: readonly GroupVersionConfig[] = [
  {
    group: "",
    version: "v1",
    module: "core_v1",
    prefix: "CoreV1",
    schemaPrefix: "io.k8s.api.core.v1.",
    resources: [
      "configmaps",
      "events",
      "namespaces",
      "persistentvolumeclaims",
      "pods",
      "secrets",
      "serviceaccounts",
      "services",
    ],
  },
  {
    group: "apps",
    version: "v1",
    module: "apps_v1",
    prefix: "AppsV1",
    schemaPrefix: "io.k8s.api.apps.v1.",
    resources: ["deployments", "replicasets"],
  },
  {
    group: "networking.k8s.io",
    version: "v1",
    module: "networking_v1",
    prefix: "NetworkingV1",
    schemaPrefix: "io.k8s.api.networking.v1.",
    resources: ["ingresses"],
  },
  {
    group: "coordination.k8s.io",
    version: "v1",
    module: "coordination_v1",
    prefix: "CoordinationV1",
    schemaPrefix: "io.k8s.api.coordination.v1.",
    resources: ["leases"],
  },
  {
    group: "events.k8s.io",
    version: "v1",
    module: "events_v1",
    prefix: "EventsV1",
    schemaPrefix: "io.k8s.api.events.v1.",
    resources: ["events"],
  },
  {
    group: "rbac.authorization.k8s.io",
    version: "v1",
    module: "rbac_v1",
    prefix: "RbacV1",
    schemaPrefix: "io.k8s.api.rbac.v1.",
    resources: ["clusterrolebindings", "clusterroles", "rolebindings", "roles"],
  },
  {
    group: "apiextensions.k8s.io",
    version: "v1",
    module: "apiextensions_v1",
    prefix: "ApiextensionsV1",
    schemaPrefix: "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.",
    resources: ["customresourcedefinitions"],
  },
  {
    group: "plumber.jnytnai0613.github.io",
    version: "v1",
    module: "plumber_v1",
    prefix: "PlumberV1",
    schemaPrefix: "io.github.jnytnai0613.plumber.v1.",
    resources: ["clusterdetectors", "replicators"],
  },
];

/** Module of the apimachinery types every group shares (ObjectMeta, ListMeta, Status, ...). */
export const META_MODULE = "meta_v1";
const META_PREFIX = "io.k8s.apimachinery.pkg.";
const STATUS_SCHEMA = "io.k8s.apimachinery.pkg.apis.meta.v1.Status";

/** The document path of a group-version in the `/openapi/v3` index: `api/v1`, `apis/apps/v1`. */
export function documentKey(config: { group: string; version: string }): string {
  return config.group ? `apis/${config.group}/${config.version}` : `api/${config.version}`;
}

/** Where a component is rendered; throws naming a component no module claims. */
export function locateSchema(
  configs: readonly GroupVersionConfig[],
): (schemaName: string) => TypeLocation {
  return (schemaName) => {
    const name = schemaName.slice(schemaName.lastIndexOf(".") + 1);
    if (schemaName.startsWith(META_PREFIX)) return { module: META_MODULE, name };
    const config = configs.find((c) => schemaName.startsWith(c.schemaPrefix));
    if (!config) {
      throw new RangeError(
        `Schema "${schemaName}" belongs to no generated module: add its group-version to GROUP_VERSIONS`,
      );
    }
    return { module: config.module, name };
  };
}

function header(serverVersion: string): string {
  return `// Generated by tools/gen_api.ts (deno task gen:api) from the OpenAPI v3 of kube-apiserver ${serverVersion}.\n` +
    "// Do not edit: change the generator or the CRDs and run it again.\n\n";
}

function importLines(imports: Map<string, Set<string>>, from: string): string {
  let out = "";
  for (const module of [...imports.keys()].sort()) {
    const names = [...imports.get(module)!].sort();
    out += `import type { ${names.join(", ")} } from "${from}${module}.ts";\n`;
  }
  return out;
}

function restImport(body: string): string {
  const used = (name: string) => new RegExp(`\\b${name}\\b`).test(body);
  const values = REST_IMPORTS.values.filter(used);
  const types = REST_IMPORTS.types.filter(used);
  if (values.length === 0 && types.length === 0) return "";
  const names = [...values, ...types.map((type) => `type ${type}`)];
  return `import { ${names.join(", ")} } from "../rest.ts";\n`;
}

/**
 * The generated files (unformatted), by path from the repository root, from the OpenAPI
 * documents keyed by {@linkcode documentKey}. Throws naming a missing document or resource.
 */
export function generateSources(
  documents: ReadonlyMap<string, OpenApiDocument>,
  serverVersion: string,
  configs: readonly GroupVersionConfig[] = GROUP_VERSIONS,
): Map<string, string> {
  const components = new Map<string, Schema>();
  for (const document of documents.values()) {
    for (const [name, schema] of Object.entries(document.components?.schemas ?? {})) {
      if (!components.has(name)) components.set(name, schema);
    }
  }
  const schemas = hoistSpecAndStatus(components);
  const locate = locateSchema(configs);
  const models = configs.map((config) => {
    const document = documents.get(documentKey(config));
    if (!document) throw new RangeError(`No OpenAPI document for ${documentKey(config)}`);
    const all = resourcesOf(document, config.group, config.version);
    const resources = config.resources.map((plural) => {
      const found = all.find((resource) => resource.plural === plural);
      if (!found) {
        throw new RangeError(`Resource "${plural}" is not served in ${documentKey(config)}`);
      }
      return found;
    });
    return { config, resources };
  });
  const roots = [
    ...models.flatMap(({ resources }) =>
      resources.flatMap((r) => [r.schema, ...(r.listSchema ? [r.listSchema] : [])])
    ),
    STATUS_SCHEMA,
  ];
  const byModule = new Map<string, string[]>();
  for (const name of reachableSchemas(roots, schemas)) {
    const { module } = locate(name);
    byModule.set(module, [...(byModule.get(module) ?? []), name]);
  }
  const files = new Map<string, string>();
  const modules = [META_MODULE, ...configs.map((config) => config.module)];
  for (const module of modules) {
    const context: RenderContext = { schemas, locate, module, imports: new Map() };
    const names = (byModule.get(module) ?? []).slice().sort((a, b) =>
      locate(a).name.localeCompare(locate(b).name)
    );
    const seen = new Map<string, string>();
    for (const name of names) {
      const type = locate(name).name;
      if (seen.has(type)) throw new RangeError(`Schemas "${seen.get(type)}" and "${name}" are both ${type}`);
      seen.set(type, name);
    }
    const body = names.map((name) => renderDeclaration(name, context)).join("\n");
    const imports = importLines(context.imports, "./");
    files.set(`${TYPES_PATH}${module}.ts`, header(serverVersion) + (imports ? `${imports}\n` : "") + body);
  }
  const reexport = (module: string) => `export type * from "${CLIENTS_TO_TYPES}${module}.ts";\n`;
  files.set(`${CLIENTS_PATH}${META_MODULE}.ts`, header(serverVersion) + reexport(META_MODULE));
  for (const { config, resources } of models) {
    const imports = new Map<string, Set<string>>();
    const typeOf = (schemaName: string) => {
      const location = locate(schemaName);
      imports.set(location.module, (imports.get(location.module) ?? new Set()).add(location.name));
      return location.name;
    };
    const body = renderClient(config, resources, typeOf, typeOf(STATUS_SCHEMA));
    files.set(
      `${CLIENTS_PATH}${config.module}.ts`,
      header(serverVersion) + restImport(body) + importLines(imports, CLIENTS_TO_TYPES) + "\n" +
        reexport(config.module) + "\n" + body,
    );
  }
  const doc = (what: string) =>
    `/**\n * ${what} of the Kubernetes API groups plumber uses, one module per group-version, each\n` +
    " * under its own name (kinds such as `Event` exist in several).\n *\n * @module\n */\n\n";
  const index = modules.map((module) => `export * as ${camel(module)} from "./${module}.ts";\n`).join("");
  files.set(`${TYPES_PATH}mod.ts`, header(serverVersion) + doc("Wire-format types") + index);
  files.set(`${CLIENTS_PATH}mod.ts`, header(serverVersion) + doc("Typed clients (and their types)") + index);
  return files;
}

function camel(module: string): string {
  return module.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/** Formats TypeScript source as `deno fmt` does with the project's configuration. */
export async function formatSource(source: string): Promise<string> {
  const config = fileURLToPath(new URL("../deno.json", import.meta.url));
  const child = new Deno.Command(Deno.execPath(), {
    args: ["fmt", "--config", config, "--ext", "ts", "-"],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(source));
  await writer.close();
  const { code, stdout, stderr } = await child.output();
  if (code !== 0) throw new Error(`deno fmt failed: ${new TextDecoder().decode(stderr)}`);
  return new TextDecoder().decode(stdout);
}

/** The configured resources a set of documents does not serve, as `<group-version>/<plural>`. */
export function missingResources(
  documents: ReadonlyMap<string, OpenApiDocument>,
  configs: readonly GroupVersionConfig[] = GROUP_VERSIONS,
): string[] {
  return configs.flatMap((config) => {
    const document = documents.get(documentKey(config));
    const served = new Set(
      document ? resourcesOf(document, config.group, config.version).map((r) => r.plural) : [],
    );
    return config.resources.filter((plural) => !served.has(plural)).map((plural) =>
      `${documentKey(config)}/${plural}`
    );
  });
}

async function fetchOnce(
  client: KubeClient,
  configs: readonly GroupVersionConfig[],
): Promise<Map<string, OpenApiDocument>> {
  const index = await client.raw<{ paths?: Record<string, { serverRelativeURL?: string }> }>(
    "GET",
    "/openapi/v3",
  );
  const documents = new Map<string, OpenApiDocument>();
  await Promise.all(configs.map(async (config) => {
    const url = index.paths?.[documentKey(config)]?.serverRelativeURL;
    if (url) documents.set(documentKey(config), await client.raw<OpenApiDocument>("GET", url));
  }));
  return documents;
}

/**
 * Fetches the `/openapi/v3` index and the documents of `configs` from the API server
 * behind `client`. The API server publishes a new CRD's document a moment after the CRD
 * is Established: with `waitMs`, fetches again until every configured resource is served
 * or the time is up. Throws naming what is missing.
 */
export async function fetchDocuments(
  client: KubeClient,
  options: { configs?: readonly GroupVersionConfig[]; waitMs?: number } = {},
): Promise<Map<string, OpenApiDocument>> {
  const configs = options.configs ?? GROUP_VERSIONS;
  const deadline = Date.now() + (options.waitMs ?? 0);
  while (true) {
    const documents = await fetchOnce(client, configs);
    const missing = missingResources(documents, configs);
    if (missing.length === 0) return documents;
    if (Date.now() >= deadline) {
      const crds = missing.some((name) => name.includes("github.io"))
        ? " (are plumber's CRDs installed there?)"
        : "";
      throw new RangeError(`${client.name} serves no OpenAPI v3 for ${missing.join(", ")}${crds}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/**
 * Fetches the documents from `client` (waiting up to `waitMs` for them to serve every
 * configured resource) and returns the formatted files by name.
 */
export async function generateApi(
  client: KubeClient,
  options: { waitMs?: number } = {},
): Promise<{ files: Map<string, string>; serverVersion: string }> {
  const [serverVersion, documents] = await Promise.all([
    fetchServerVersion(client),
    fetchDocuments(client, { waitMs: options.waitMs }),
  ]);
  const sources = generateSources(documents, serverVersion);
  const files = new Map<string, string>();
  for (const [name, source] of sources) files.set(name, await formatSource(source));
  return { files, serverVersion };
}

const USAGE = "Usage: deno task gen:api [--kubeconfig <path> [--context <name>]] [--out <root dir>]";

async function main(args: string[]): Promise<number> {
  const values = parseGeneratorArgs(args, USAGE);
  if (typeof values === "number") return values;
  if (values.help) {
    console.log(
      `${USAGE}\n\nWrites ${TYPES_PATH} and ${CLIENTS_PATH} (under --out, else the repository) from the OpenAPI v3 of the given cluster (plumber's CRDs ` +
        "installed), or of a private local API server started for the purpose.",
    );
    return 0;
  }
  const outDir = values.out ? pathToFileURL(`${resolve(values.out)}/`) : REPOSITORY_ROOT;
  const installCrds = async (client: KubeClient) => (await import("../tests/crds.ts")).installCrds(client);
  return await withApiServer(values, "gen:api", async (client) => {
    // A private control plane has just installed the CRDs: give it time to publish their OpenAPI.
    const { files, serverVersion } = await generateApi(client, { waitMs: values.kubeconfig ? 0 : 30_000 });
    for (const [name, text] of files) {
      await Deno.mkdir(new URL(".", new URL(name, outDir)), { recursive: true });
      await Deno.writeTextFile(new URL(name, outDir), text);
      console.error(`gen:api: wrote ${new URL(name, outDir).pathname} (${text.length} bytes)`);
    }
    console.error(`gen:api: ${files.size} files from kube-apiserver ${serverVersion}`);
    return 0;
  }, installCrds);
}

if (import.meta.main) {
  try {
    Deno.exit(await main(Deno.args));
  } catch (error) {
    console.error(`gen:api: ${error instanceof Error ? error.message : error}`);
    Deno.exit(1);
  }
}
