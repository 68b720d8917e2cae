/**
 * The schema types of `lib/crd_schema/`: `JSONSchemaProps` as a CRD takes it, the part of an
 * OpenAPI v3 document that is read, and the options of the conversion.
 *
 * @module
 */

/** A schema as `apiextensions.k8s.io/v1` `JSONSchemaProps` (the subset plumber writes). */
export interface JSONSchemaProps {
  type?: "object" | "array" | "string" | "integer" | "number" | "boolean";
  description?: string;
  format?: string;
  properties?: Record<string, JSONSchemaProps>;
  additionalProperties?: JSONSchemaProps;
  items?: JSONSchemaProps;
  required?: string[];
  enum?: unknown[];
  default?: unknown;
  nullable?: boolean;
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  minProperties?: number;
  maxProperties?: number;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: boolean;
  exclusiveMaximum?: boolean;
  multipleOf?: number;
  anyOf?: JSONSchemaProps[];
  "x-kubernetes-int-or-string"?: boolean;
  "x-kubernetes-preserve-unknown-fields"?: boolean;
  "x-kubernetes-embedded-resource"?: boolean;
  "x-kubernetes-list-type"?: "atomic" | "set" | "map";
  "x-kubernetes-list-map-keys"?: string[];
  "x-kubernetes-map-type"?: "atomic" | "granular";
  "x-kubernetes-validations"?: ValidationRule[];
}

/** A CEL rule, as in `x-kubernetes-validations`. */
export interface ValidationRule {
  rule: string;
  message?: string;
  messageExpression?: string;
  /** `FieldValueInvalid` (the API server's default), `FieldValueRequired`, `FieldValueForbidden`, `FieldValueDuplicate`. */
  reason?: "FieldValueInvalid" | "FieldValueRequired" | "FieldValueForbidden" | "FieldValueDuplicate";
  /** JSONPath-like path, relative to the schema the rule is on, of the field to blame. */
  fieldPath?: string;
  optionalOldSelf?: boolean;
}

/** The part of an OpenAPI v3 document this module reads. */
export interface OpenApiDocument {
  components?: { schemas?: Record<string, unknown> };
}

/** How to treat upstream `default` values. */
export type DefaultsPolicy = "none" | "non-zero" | "all";

/** Options of `structuralSchema`. */
export interface StructuralSchemaOptions {
  /** Keep `description`s (default true). */
  descriptions?: boolean;
  /** Which upstream defaults to keep (default `"non-zero"`, see the module doc). */
  defaults?: DefaultsPolicy;
  /**
   * Schemas to use instead of converting a component, by component name. They are added
   * to (and win over) `KNOWN_COMPONENTS`. They replace the upstream schema,
   * description included; the referring field's own description is still applied.
   */
  components?: Record<string, JSONSchemaProps>;
  /**
   * Components of which only some properties are kept, by component name, e.g. only
   * `labels` and `annotations` of an `ObjectMeta` embedded in a pod template.
   */
  keepProperties?: Record<string, readonly string[]>;
}
