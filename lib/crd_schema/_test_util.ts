/**
 * What the tests of `lib/crd_schema/` share: a small OpenAPI document shaped like the API
 * server's (wrapped refs, GVKs, patch hints, unions) and its converted `WidgetSpec`.
 *
 * @module
 */

import { structuralSchema } from "./structural.ts";
import type { JSONSchemaProps, OpenApiDocument, StructuralSchemaOptions } from "./types.ts";

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

/** A small document shaped like the API server's: wrapped refs, GVKs, patch hints, unions. */
export const DOC: OpenApiDocument = {
  components: {
    schemas: {
      "example.v1.WidgetSpec": {
        description: "WidgetSpec is the spec of a widget.",
        type: "object",
        required: ["name", "ports"],
        properties: {
          name: { description: "Name of the widget.", type: "string", default: "" },
          replicas: { type: "integer", format: "int32" },
          size: { description: "How big.", allOf: [ref("io.k8s.apimachinery.pkg.api.resource.Quantity")] },
          target: { allOf: [ref("io.k8s.apimachinery.pkg.util.intstr.IntOrString")] },
          since: { description: "When.", allOf: [ref("io.k8s.apimachinery.pkg.apis.meta.v1.Time")] },
          owner: ref("example.v1.Owner"),
          part: {
            description: "The part, described by the field.",
            default: {},
            allOf: [ref("example.v1.Part")],
          },
          ports: {
            type: "array",
            items: { default: {}, allOf: [ref("example.v1.Port")] },
            "x-kubernetes-list-type": "map",
            "x-kubernetes-list-map-keys": ["port", "protocol"],
            "x-kubernetes-patch-merge-key": "port",
            "x-kubernetes-patch-strategy": "merge",
          },
          secrets: {
            type: "array",
            items: { default: {}, allOf: [ref("example.v1.LocalRef")] },
            "x-kubernetes-list-type": "map",
            "x-kubernetes-list-map-keys": ["name"],
          },
          labels: { type: "object", additionalProperties: { type: "string", default: "" } },
          mode: { type: "string", enum: ["Fast", "Slow"], default: "Slow", readOnly: true, example: "Fast" },
          raw: { allOf: [ref("io.k8s.apimachinery.pkg.runtime.RawExtension")] },
          free: { type: "object", description: "No schema in Kubernetes either." },
          anything: { type: "object", additionalProperties: true },
          pattern: { type: "string", format: "int-or-string" },
          uid: { type: "string", format: "kubernetes-uid" },
          stamp: { type: "string", format: "date-time" },
        },
        "x-kubernetes-group-version-kind": [{ group: "example", kind: "Widget", version: "v1" }],
        "x-kubernetes-unions": [{ discriminator: "mode", "fields-to-discriminateBy": { raw: "Raw" } }],
      },
      "example.v1.Owner": {
        description: "Owner, described by the type.",
        type: "object",
        properties: { name: { type: "string" } },
        "x-kubernetes-map-type": "atomic",
      },
      "example.v1.Part": {
        description: "Part, described by the type.",
        type: "object",
        properties: { id: { type: "string" } },
      },
      "example.v1.Port": {
        type: "object",
        required: ["port"],
        properties: {
          port: { type: "integer", format: "int32", default: 0 },
          protocol: { type: "string", default: "TCP", enum: ["TCP", "UDP"] },
        },
      },
      "example.v1.LocalRef": {
        type: "object",
        properties: { name: { type: "string", default: "" } },
        "x-kubernetes-map-type": "atomic",
      },
      "example.v1.Node": {
        type: "object",
        properties: { children: { type: "array", items: { allOf: [ref("example.v1.Node")] } } },
      },
      "example.v1.A": { type: "object", properties: { b: ref("example.v1.B") } },
      "example.v1.B": { type: "object", properties: { a: { allOf: [ref("example.v1.A")] } } },
      "example.v1.Dangling": { type: "object", properties: { gone: ref("example.v1.Missing") } },
      "io.k8s.apimachinery.pkg.util.intstr.IntOrString": {
        format: "int-or-string",
        oneOf: [{ type: "integer" }, { type: "string" }],
      },
      "io.k8s.apimachinery.pkg.api.resource.Quantity": { oneOf: [{ type: "string" }, { type: "number" }] },
      "io.k8s.apimachinery.pkg.apis.meta.v1.Time": { type: "string", format: "date-time" },
      "io.k8s.apimachinery.pkg.runtime.RawExtension": { type: "object", description: "Raw." },
    },
  },
};

export const widget = (options: StructuralSchemaOptions = {}): JSONSchemaProps =>
  structuralSchema([DOC], "example.v1.WidgetSpec", options);
