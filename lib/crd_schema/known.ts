/**
 * What a CRD schema may hold: the schemas the API server expects for types with a custom JSON
 * form, the formats it knows, and the keywords a structural schema allows.
 *
 * @module
 */

import type { JSONSchemaProps } from "./types.ts";

/**
 * The Kubernetes quantity grammar (`resource.Quantity`) as a regular expression, for the
 * string form of a Quantity: a signed decimal number, then a binary SI suffix
 * (`Ki`..`Ei`), a decimal SI suffix (`n`, `u`, `m`, `k`, `M`..`E`) or a decimal exponent.
 */
export const QUANTITY_PATTERN =
  "^(\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))))?$";

/**
 * Schemas of the types whose JSON form the OpenAPI document describes with `oneOf` or
 * leaves free-form: what the API server accepts for them in a CRD.
 */
export const KNOWN_COMPONENTS: Readonly<Record<string, JSONSchemaProps>> = {
  "io.k8s.apimachinery.pkg.util.intstr.IntOrString": { "x-kubernetes-int-or-string": true },
  "io.k8s.apimachinery.pkg.api.resource.Quantity": {
    anyOf: [{ type: "integer" }, { type: "string" }],
    pattern: QUANTITY_PATTERN,
    "x-kubernetes-int-or-string": true,
  },
  "io.k8s.apimachinery.pkg.apis.meta.v1.Time": { type: "string", format: "date-time" },
  "io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime": { type: "string", format: "date-time" },
  "io.k8s.apimachinery.pkg.runtime.RawExtension": {
    type: "object",
    "x-kubernetes-preserve-unknown-fields": true,
  },
  "io.k8s.apimachinery.pkg.apis.meta.v1.FieldsV1": {
    type: "object",
    "x-kubernetes-preserve-unknown-fields": true,
  },
  "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSON": {
    "x-kubernetes-preserve-unknown-fields": true,
  },
};

/**
 * Formats the API server knows in a CRD schema (apiextensions' supported formats, plus
 * the number formats). Any other format is dropped.
 */
export const SUPPORTED_FORMATS: ReadonlySet<string> = new Set([
  "int32",
  "int64",
  "float",
  "double",
  "byte",
  "binary",
  "password",
  "date",
  "date-time",
  "datetime",
  "duration",
  "uuid",
  "uuid3",
  "uuid4",
  "uuid5",
  "hostname",
  "ipv4",
  "ipv6",
  "cidr",
  "mac",
  "uri",
  "email",
]);

/** Keywords copied as they are (after their own checks); everything else is dropped. */
export const KEPT_KEYWORDS: ReadonlySet<string> = new Set([
  "type",
  "description",
  "format",
  "properties",
  "additionalProperties",
  "items",
  "required",
  "enum",
  "default",
  "nullable",
  "pattern",
  "minLength",
  "maxLength",
  "minItems",
  "maxItems",
  "minProperties",
  "maxProperties",
  "minimum",
  "maximum",
  "exclusiveMinimum",
  "exclusiveMaximum",
  "multipleOf",
  "x-kubernetes-int-or-string",
  "x-kubernetes-preserve-unknown-fields",
  "x-kubernetes-embedded-resource",
  "x-kubernetes-list-type",
  "x-kubernetes-list-map-keys",
  "x-kubernetes-map-type",
  "x-kubernetes-validations",
]);
