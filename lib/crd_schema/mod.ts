/**
 * CRD schemas from the OpenAPI v3 documents a kube-apiserver serves: `structural.ts` turns a
 * Kubernetes type (a `DeploymentSpec`, a `ServiceSpec`) into a structural schema a
 * CustomResourceDefinition accepts (its module doc says what is kept, changed and dropped, and
 * why); `edit.ts` then adjusts the result (`makeOptional`, `requireFields`, `updateAt`,
 * `schemaAt`, `sortKeys`); `known.ts` lists what a CRD schema may hold; `types.ts` holds the
 * types. Everything is pure: documents in, plain JSON out. `tools/gen_crds.ts` fetches the
 * documents and writes the CRDs.
 *
 * @example
 * ```ts
 * const docs = [appsV1, coreV1]; // parsed /openapi/v3 documents
 * const spec = structuralSchema(docs, "io.k8s.api.apps.v1.DeploymentSpec", { descriptions: false });
 * const relaxed = makeOptional(spec, "", ["selector"]);
 * ```
 *
 * @module
 */

export { makeOptional, requireFields, schemaAt, sortKeys, updateAt } from "./edit.ts";
export { KEPT_KEYWORDS, KNOWN_COMPONENTS, QUANTITY_PATTERN, SUPPORTED_FORMATS } from "./known.ts";
export { isZeroValue, mergeComponents, structuralSchema } from "./structural.ts";
export type {
  DefaultsPolicy,
  JSONSchemaProps,
  OpenApiDocument,
  StructuralSchemaOptions,
  ValidationRule,
} from "./types.ts";
