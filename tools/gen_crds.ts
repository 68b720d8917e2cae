/**
 * `deno task gen:crds`: generates plumber's two CustomResourceDefinitions into `crds/`.
 *
 * The Replicator embeds a `DeploymentSpec`, a `ServiceSpec` and an `IngressSpec`; their
 * schemas come from the OpenAPI v3 documents of a real kube-apiserver (as the seed's
 * controller-gen CRD came from the Go types), converted by `lib/crd_schema/`, so bad
 * input is refused at `kubectl apply` with Kubernetes' own rules.
 *
 * ```sh
 * deno task gen:crds                                      # starts a private local API server
 * deno task gen:crds --kubeconfig ~/.kube/config --context kind-kind
 * ```
 *
 * Decisions (see also the module doc of `lib/crd_schema/structural.ts`):
 *
 * - Descriptions of the embedded Kubernetes types are dropped: with them the Replicator
 *   CRD is about 400 kB, above the 256 KiB that a client-side `kubectl apply` can store in
 *   its last-applied annotation; without them it is about 80 kB. `kubectl explain
 *   deployment.spec` documents those fields. plumber's own fields keep their descriptions.
 * - Required beyond upstream: `deploymentSpec.template` and `template.spec` (a Deployment
 *   without them is refused by every API server), and `name` and `image` of every
 *   container and init container (the seed's rule; upstream leaves `image` optional).
 * - Optional unlike upstream: `deploymentSpec.selector` (plumber sets it).
 *   `serviceSpec.selector` and `template.metadata` are optional upstream already.
 * - A pod template's `metadata` keeps only name, namespace, labels, annotations and
 *   finalizers (as controller-gen's embedded ObjectMeta), not managedFields and the like.
 *
 * @module
 */

import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { stringify } from "yaml";
import { API_GROUP } from "../lib/api.ts";
import {
  type JSONSchemaProps,
  makeOptional,
  type OpenApiDocument,
  requireFields,
  sortKeys,
  structuralSchema,
  updateAt,
  type ValidationRule,
} from "../lib/crd_schema/mod.ts";
import type { KubeClient } from "../lib/kube/client.ts";
import { parseGeneratorArgs, serverVersionOf, withApiServer } from "./api_server.ts";

/** Folder of the generated CRDs. */
export const CRD_DIR: URL = new URL("../crds/", import.meta.url);
/** File of the Replicator CRD (controller-gen's naming: `<group>_<plural>.yaml`). */
export const REPLICATOR_CRD_FILE = `${API_GROUP}_replicators.yaml`;
/** File of the ClusterDetector CRD. */
export const CLUSTER_DETECTOR_CRD_FILE = `${API_GROUP}_clusterdetectors.yaml`;
/** Annotation on each generated CRD naming the API server its schemas came from. */
export const SOURCE_ANNOTATION = `${API_GROUP}/openapi-source`;

/** The OpenAPI v3 documents the embedded specs come from. */
export const OPENAPI_PATHS: readonly string[] = [
  "/openapi/v3/apis/apps/v1",
  "/openapi/v3/api/v1",
  "/openapi/v3/apis/networking.k8s.io/v1",
];

/** A CustomResourceDefinition as JSON. */
export type CustomResourceDefinition = {
  apiVersion: "apiextensions.k8s.io/v1";
  kind: "CustomResourceDefinition";
  metadata: { name: string; annotations?: Record<string, string> };
  spec: {
    group: string;
    names: { kind: string; listKind: string; plural: string; singular: string; shortNames?: string[] };
    scope: "Cluster" | "Namespaced";
    versions: {
      name: string;
      served: boolean;
      storage: boolean;
      schema: { openAPIV3Schema: JSONSchemaProps };
      subresources?: { status?: Record<string, never> };
      additionalPrinterColumns?: {
        name: string;
        type: string;
        jsonPath: string;
        priority?: number;
        description?: string;
        format?: string;
      }[];
    }[];
  };
};

const RFC1123_LABEL = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$";
const RFC1123_SUBDOMAIN = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$";
const RFC1035_LABEL = "^[a-z]([-a-z0-9]*[a-z0-9])?$";

/** Names of objects (Deployment, ConfigMap, Ingress): RFC 1123 subdomains. */
function subdomain(description: string): JSONSchemaProps {
  return { type: "string", description, maxLength: 253, minLength: 1, pattern: RFC1123_SUBDOMAIN };
}

const OBJECT_META_IN_TEMPLATES = ["annotations", "finalizers", "labels", "name", "namespace"];

/**
 * Schema of a status condition, as Kubernetes' `metav1.Condition` defines it (with the
 * validation its kubebuilder markers give it), listed as a map keyed by `type`.
 */
export function conditionsSchema(description: string): JSONSchemaProps {
  return {
    type: "array",
    description,
    "x-kubernetes-list-type": "map",
    "x-kubernetes-list-map-keys": ["type"],
    items: {
      type: "object",
      description: "One aspect of the current state of the object.",
      required: ["lastTransitionTime", "message", "reason", "status", "type"],
      properties: {
        type: {
          type: "string",
          description: "Type of the condition, in CamelCase, e.g. Ready.",
          maxLength: 316,
          pattern:
            "^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$",
        },
        status: {
          type: "string",
          description: "Status of the condition.",
          enum: ["True", "False", "Unknown"],
        },
        reason: {
          type: "string",
          description: "Machine-readable CamelCase reason for the last transition.",
          minLength: 1,
          maxLength: 1024,
          pattern: "^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$",
        },
        message: { type: "string", description: "Human-readable details.", maxLength: 32768 },
        lastTransitionTime: {
          type: "string",
          format: "date-time",
          description: "When the status last changed.",
        },
        observedGeneration: {
          type: "integer",
          format: "int64",
          minimum: 0,
          description: "metadata.generation the condition was computed from.",
        },
      },
    },
  };
}

function observedGeneration(): JSONSchemaProps {
  return {
    type: "integer",
    format: "int64",
    minimum: 0,
    description: "metadata.generation of the spec this status describes.",
  };
}

/** A rule "`field` needs `other`", blaming the missing field. */
function needs(field: string, other: string, why: string): ValidationRule {
  return {
    rule: `!has(self.${field}) || has(self.${other})`,
    message: `${other} is required when ${field} is set: ${why}`,
    fieldPath: `.${other}`,
    reason: "FieldValueRequired",
  };
}

/** The embedded Kubernetes specs, converted from the documents and adjusted for plumber. */
export function embeddedSpecSchemas(documents: readonly OpenApiDocument[]): {
  deploymentSpec: JSONSchemaProps;
  serviceSpec: JSONSchemaProps;
  ingressSpec: JSONSchemaProps;
} {
  const options = {
    descriptions: false,
    keepProperties: { "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta": OBJECT_META_IN_TEMPLATES },
  };
  let deploymentSpec = structuralSchema(documents, "io.k8s.api.apps.v1.DeploymentSpec", options);
  deploymentSpec = makeOptional(deploymentSpec, "", ["selector"]);
  deploymentSpec = requireFields(deploymentSpec, "", ["template"]);
  deploymentSpec = requireFields(deploymentSpec, "template", ["spec"]);
  deploymentSpec = requireFields(deploymentSpec, "template.spec.containers[]", ["name", "image"]);
  deploymentSpec = requireFields(deploymentSpec, "template.spec.initContainers[]", ["name", "image"]);
  // Bounds Kubernetes' own validation enforces but its OpenAPI does not state.
  deploymentSpec = updateAt(deploymentSpec, "replicas", (replicas) => ({ ...replicas, minimum: 0 }));
  deploymentSpec.description =
    "Spec of the Deployment to replicate, as apps/v1 DeploymentSpec (see kubectl explain deployment.spec). " +
    "selector may be left out: plumber sets it from the Replicator and deploymentName, and adds its labels " +
    "to the pod template. Every container needs a name and an image.";

  let serviceSpec = structuralSchema(documents, "io.k8s.api.core.v1.ServiceSpec", options);
  serviceSpec = makeOptional(serviceSpec, "", ["selector"]);
  serviceSpec = updateAt(serviceSpec, "ports[].port", (port) => ({ ...port, minimum: 1, maximum: 65535 }));
  serviceSpec.description =
    "Spec of the Service to replicate, as core/v1 ServiceSpec (see kubectl explain service.spec). " +
    "selector may be left out: with a deploymentName, plumber selects the Deployment's pods.";

  const ingressSpec = structuralSchema(documents, "io.k8s.api.networking.v1.IngressSpec", options);
  ingressSpec.description =
    "Spec of the Ingress to replicate, as networking.k8s.io/v1 IngressSpec (see kubectl explain ingress.spec). " +
    "With ingressSecureEnabled, plumber sets tls from the rules' hosts.";
  return { deploymentSpec, serviceSpec, ingressSpec };
}

/** Operators of a label selector's `matchExpressions`, as Kubernetes validates them. */
const SELECTOR_OPERATORS = ["In", "NotIn", "Exists", "DoesNotExist"];

/** A label value: at most 63 characters, alphanumeric at both ends, `-`, `_` and `.` inside (or empty). */
const LABEL_VALUE = "^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$";

/**
 * A label selector over ClusterDetector labels (metav1.LabelSelector), with the rules the API server
 * applies to selectors of built-in kinds but a CRD schema does not carry: known operators, label values,
 * values for In/NotIn and none for Exists/DoesNotExist. Label keys are checked by plumber (a CEL rule
 * over map keys exceeds the API server's cost budget): a bad key is reported in status.
 */
export function clusterSelectorSchema(description: string): JSONSchemaProps {
  return {
    type: "object",
    description,
    properties: {
      matchLabels: {
        type: "object",
        description: "Labels a ClusterDetector must carry, each with this value.",
        maxProperties: 32,
        additionalProperties: { type: "string", maxLength: 63, pattern: LABEL_VALUE },
      },
      matchExpressions: {
        type: "array",
        description: "Requirements on ClusterDetector labels, all of which must hold.",
        maxItems: 32,
        items: {
          type: "object",
          required: ["key", "operator"],
          properties: {
            key: { type: "string", minLength: 1, maxLength: 317, description: "The label key." },
            operator: {
              type: "string",
              enum: SELECTOR_OPERATORS,
              description: "In, NotIn, Exists or DoesNotExist.",
            },
            values: {
              type: "array",
              maxItems: 64,
              items: { type: "string", maxLength: 63, pattern: LABEL_VALUE },
              description: "Values for In and NotIn (at least one); none for Exists and DoesNotExist.",
            },
          },
          "x-kubernetes-validations": [{
            rule: "(self.operator in ['In', 'NotIn']) == (has(self.values) && size(self.values) > 0)",
            message: "values must be non-empty for In and NotIn, and absent for Exists and DoesNotExist",
            fieldPath: ".values",
            reason: "FieldValueInvalid",
          }],
        },
      },
    },
  };
}

/** Kinds the seed's fields render, which an override's patch may target. */
export const PATCHABLE_KINDS = ["Namespace", "ConfigMap", "Secret", "Deployment", "Service", "Ingress"];

/** A JSON pointer (RFC 6901) into a rendered object. */
function jsonPointer(description: string): JSONSchemaProps {
  return { type: "string", pattern: "^(/([^~/]|~[01])*)+$", maxLength: 1024, description };
}

/** A map of strings of bounded size (keys are checked by plumber when it renders). */
function stringMap(description: string): JSONSchemaProps {
  return { type: "object", description, maxProperties: 64, additionalProperties: { type: "string" } };
}

/** One RFC 6902 operation. */
function patchOperationSchema(): JSONSchemaProps {
  return {
    type: "object",
    required: ["op", "path"],
    properties: {
      op: {
        type: "string",
        enum: ["add", "remove", "replace", "move", "copy", "test"],
        description: "add, remove, replace, move, copy or test.",
      },
      path: jsonPointer("Where, e.g. /spec/template/spec/priorityClassName."),
      from: jsonPointer("Source of move and copy."),
      value: {
        "x-kubernetes-preserve-unknown-fields": true,
        description: "The value of add, replace and test.",
      },
    },
    "x-kubernetes-validations": [{
      rule: "!(self.op in ['move', 'copy']) || has(self.from)",
      message: "from is required for move and copy",
      fieldPath: ".from",
      reason: "FieldValueRequired",
    }],
  };
}

/** One entry of `spec.overrides`. */
function overrideSchema(): JSONSchemaProps {
  return {
    type: "object",
    description:
      "Changes for the clusters this entry selects (clusterNames and/or clusterSelector; the primary is " +
      "selected by its ClusterDetector name or labels like any other cluster).",
    properties: {
      clusterNames: {
        type: "array",
        description: "ClusterDetector names (<cluster>.<user>) this entry applies to.",
        maxItems: 256,
        items: { type: "string", maxLength: 253, minLength: 1, pattern: RFC1123_SUBDOMAIN },
        "x-kubernetes-list-type": "set",
      },
      clusterSelector: clusterSelectorSchema("ClusterDetector labels this entry applies to."),
      replicas: {
        type: "integer",
        format: "int32",
        minimum: 0,
        description: "Replicas of the Deployment in these clusters.",
      },
      images: {
        type: "object",
        description: "Container name -> image, for containers and init containers of the Deployment.",
        maxProperties: 64,
        additionalProperties: { type: "string", minLength: 1, maxLength: 1024 },
      },
      configMapData: stringMap("Keys merged over configMapData in these clusters."),
      labels: stringMap(
        "Labels added to every replicated object in these clusters; plumber's own labels are refused " +
          "(that cluster is held back and the reason reported).",
      ),
      annotations: stringMap(
        "Annotations added to every replicated object in these clusters; plumber's own annotations are " +
          "refused (that cluster is held back and the reason reported).",
      ),
      patches: {
        type: "array",
        description:
          "RFC 6902 JSON patches, each against one rendered object, applied after the fields above.",
        maxItems: 32,
        items: {
          type: "object",
          required: ["target", "patch"],
          properties: {
            target: {
              type: "object",
              required: ["kind"],
              description:
                "The rendered object to patch: its kind, and its name when the kind is not unique.",
              properties: {
                kind: {
                  type: "string",
                  minLength: 1,
                  description: "Kind of the rendered object: a seed kind (" + PATCHABLE_KINDS.join(", ") +
                    ") or the kind of a spec.resources[] entry.",
                },
                name: { type: "string", minLength: 1, maxLength: 253, description: "Its name." },
              },
            },
            patch: {
              type: "array",
              minItems: 1,
              maxItems: 64,
              description: "The RFC 6902 operations.",
              items: patchOperationSchema(),
            },
          },
        },
      },
    },
    "x-kubernetes-validations": [{
      rule: "(has(self.clusterNames) && size(self.clusterNames) > 0) || has(self.clusterSelector)",
      message:
        "each override needs clusterNames or a clusterSelector: it must say which clusters it applies to",
      reason: "FieldValueRequired",
    }],
  };
}

/**
 * Kinds refused in `spec.resources` at admission: cluster-scoped kinds of Kubernetes'
 * own groups, and namespaced kinds plumber must never manage (its own kinds; Namespace
 * has `replicationNamespace`). The operator also refuses, per cluster, any kind that
 * cluster's discovery reports as cluster-scoped (custom resources included).
 */
export const REFUSED_RESOURCE_KINDS: readonly string[] = [
  "Namespace",
  "Node",
  "APIService",
  "CustomResourceDefinition",
  "ClusterRole",
  "ClusterRoleBinding",
  "PersistentVolume",
  "StorageClass",
  "PriorityClass",
  "RuntimeClass",
  "IngressClass",
  "CSIDriver",
  "CSINode",
  "VolumeAttachment",
  "MutatingWebhookConfiguration",
  "ValidatingWebhookConfiguration",
  "ValidatingAdmissionPolicy",
  "ValidatingAdmissionPolicyBinding",
  "CertificateSigningRequest",
  "FlowSchema",
  "PriorityLevelConfiguration",
  "ComponentStatus",
  "Event",
  "Lease",
  "Replicator",
  "ClusterDetector",
];

/** `spec.resources`: complete manifests of any namespaced kind. */
export function resourcesSchema(): JSONSchemaProps {
  const refused = REFUSED_RESOURCE_KINDS.map((kind) => `'${kind}'`).join(", ");
  return {
    type: "array",
    description: "Further objects of any namespaced kind (ServiceAccount, Secret, PodDisruptionBudget, " +
      "HorizontalPodAutoscaler, NetworkPolicy, CronJob, custom resources...), each a complete manifest " +
      "(apiVersion, kind, metadata.name, and the rest), placed into replicationNamespace in every target " +
      "cluster and applied, drift-corrected, pruned and cleaned up like the seed's resources. A kind a " +
      "cluster does not serve is reported for that cluster and retried when it appears. Cluster-scoped kinds, " +
      "Namespace (use replicationNamespace), plumber's own kinds, Events and Leases are refused.",
    maxItems: 64,
    "x-kubernetes-list-type": "atomic",
    items: {
      type: "object",
      "x-kubernetes-embedded-resource": true,
      "x-kubernetes-preserve-unknown-fields": true,
      required: ["apiVersion", "kind", "metadata"],
      properties: {
        apiVersion: { type: "string", minLength: 1 },
        kind: { type: "string", minLength: 1 },
        metadata: {
          type: "object",
          properties: {
            name: { type: "string" },
            generateName: { type: "string" },
            namespace: { type: "string" },
            labels: { type: "object", additionalProperties: { type: "string" } },
            annotations: { type: "object", additionalProperties: { type: "string" } },
          },
        },
      },
      "x-kubernetes-validations": [
        {
          rule: "has(self.metadata.name) && self.metadata.name != ''",
          message: "metadata.name is required: plumber applies each manifest by name",
          reason: "FieldValueRequired",
        },
        {
          rule: `!(self.kind in [${refused}])`,
          message:
            `this kind is never replicated through resources[]: cluster-scoped kinds, Namespace (use ` +
            `replicationNamespace), plumber's own kinds, Events and Leases are refused (${
              REFUSED_RESOURCE_KINDS.join(", ")
            })`,
          messageExpression: `'kind ' + self.kind + ' is never replicated through resources[]: ` +
            `cluster-scoped kinds, Namespace (use replicationNamespace), plumber\\'s own kinds, Events and ` +
            `Leases are refused'`,
          reason: "FieldValueForbidden",
        },
        {
          rule: "!has(self.metadata.generateName) || self.metadata.generateName == ''",
          message: "metadata.generateName is not supported: give the object a metadata.name",
          reason: "FieldValueForbidden",
        },
      ],
    },
  };
}

/** `spec.rollout`: how a spec change reaches the clusters. */
export function rolloutSchema(): JSONSchemaProps {
  return {
    type: "object",
    description:
      "How a change of the spec reaches the target clusters. All (the default) applies it everywhere at " +
      "once; Progressive applies it to at most maxConcurrentClusters clusters at a time, in order (the " +
      "primary first, then targetCluster order, then by name, unless order says otherwise) and starts the " +
      "next only when those are ready; a cluster not ready within progressDeadlineSeconds halts the rollout " +
      "(RolloutHalted) and the clusters not yet reached keep the previous revision. Drift corrections are " +
      "never gated.",
    properties: {
      strategy: {
        type: "string",
        enum: ["All", "Progressive"],
        description: "All (default) or Progressive.",
      },
      maxConcurrentClusters: {
        "x-kubernetes-int-or-string": true,
        description: "Clusters updated at a time: a number (at least 1) or a percent of the targets " +
          "(rounded down, at least 1). Default 1.",
      },
      progressDeadlineSeconds: {
        type: "integer",
        format: "int32",
        minimum: 1,
        maximum: 86400,
        description: "Seconds a cluster may take to become ready before the rollout halts. Default 600.",
      },
      order: {
        type: "array",
        description: "Cluster names to update first, in this order; the rest follow in the default order.",
        maxItems: 256,
        items: { type: "string", maxLength: 253, minLength: 1 },
        "x-kubernetes-list-type": "atomic",
      },
      applyOnCreate: {
        type: "string",
        enum: ["All", "Progressive"],
        description:
          "How a new Replicator's first revision is applied: All (default: every cluster at once, " +
          "there is nothing to protect yet) or Progressive (by the same strategy).",
      },
    },
    "x-kubernetes-validations": [{
      rule: "!has(self.maxConcurrentClusters) || (type(self.maxConcurrentClusters) == int ? " +
        "int(self.maxConcurrentClusters) >= 1 : " +
        "string(self.maxConcurrentClusters).matches('^([1-9][0-9]?|100)%$'))",
      message: "maxConcurrentClusters is a number of at least 1 or a percent from 1% to 100%",
      fieldPath: ".maxConcurrentClusters",
      reason: "FieldValueInvalid",
    }],
  };
}

/** `status.clusters[].lastDrift`: the last drift plumber reverted in a cluster, and who caused it. */
export function lastDriftSchema(): JSONSchemaProps {
  const str = (description: string): JSONSchemaProps => ({ type: "string", description });
  return {
    type: "object",
    description: "The last drift plumber reverted in this cluster.",
    required: ["time", "kind", "name"],
    properties: {
      time: { type: "string", format: "date-time", description: "When plumber reverted it." },
      kind: str("Kind of the object."),
      name: str("Name of the object."),
      fields: {
        type: "array",
        description: "Changed field paths (for a Secret, paths only, never values); empty when deleted.",
        maxItems: 32,
        items: { type: "string" },
      },
      deleted: { type: "boolean", description: "The object had been deleted." },
      manager: str("Field manager of the change, from the live object's managedFields (e.g. kubectl-scale)."),
      operation: str("Operation of that managedFields entry (Update or Apply)."),
      changedAt: { type: "string", format: "date-time", description: "Time of that managedFields entry." },
    },
  };
}

/** `status.rollout`: progress of the current revision across the clusters. */
export function rolloutStatusSchema(): JSONSchemaProps {
  return {
    type: "object",
    description: "Progress of the current revision across the target clusters.",
    properties: {
      revision: { type: "string", description: "Revision of the current spec." },
      strategy: { type: "string", description: "Strategy in force." },
      phase: {
        type: "string",
        enum: ["Progressing", "Complete", "Halted"],
        description: "Progressing, Complete or Halted.",
      },
      updatedClusters: { type: "integer", format: "int32", minimum: 0, description: "Clusters on it." },
      totalClusters: { type: "integer", format: "int32", minimum: 0, description: "Target clusters." },
      currentClusters: {
        type: "array",
        description: "Clusters being updated now.",
        items: { type: "string" },
      },
      haltedCluster: { type: "string", description: "Cluster that missed its deadline, when Halted." },
      message: { type: "string", description: "Human-readable progress." },
    },
  };
}

/** The Replicator CRD, its embedded specs converted from the given OpenAPI documents. */
export function buildReplicatorCrd(
  documents: readonly OpenApiDocument[],
  serverVersion: string,
): CustomResourceDefinition {
  const { deploymentSpec, serviceSpec, ingressSpec } = embeddedSpecSchemas(documents);
  const spec: JSONSchemaProps = {
    type: "object",
    description: "What to replicate, and where.",
    required: ["replicationNamespace"],
    properties: {
      targetCluster: {
        type: "array",
        description:
          "Names of the ClusterDetectors (<cluster>.<user>, in plumber-system) of the secondary clusters to " +
          "replicate into. The primary always gets the resources too.",
        items: { type: "string", maxLength: 253, minLength: 1, pattern: RFC1123_SUBDOMAIN },
        "x-kubernetes-list-type": "set",
      },
      clusterSelector: clusterSelectorSchema(
        "Secondaries to replicate into, by ClusterDetector labels; the targets are the union with " +
          "targetCluster. An empty selector ({}) selects every registered secondary.",
      ),
      overrides: {
        type: "array",
        description: "Per-cluster changes, applied in order to the clusters each entry selects.",
        maxItems: 32,
        items: overrideSchema(),
      },
      suspend: {
        type: "boolean",
        description:
          "Pause replication: while true plumber writes nothing to any cluster (no applies, no drift " +
          "corrections, no prunes) but still reports drift in status and still cleans up (or orphans) on " +
          "deletion. Setting it back to false converges with one apply per changed object.",
      },
      deletionPolicy: {
        type: "string",
        enum: ["Delete", "Orphan"],
        description:
          "What happens to the replicated objects when the Replicator is deleted or a cluster is no longer " +
          "targeted. Delete (the default when absent) deletes them; Orphan leaves them in place and removes " +
          "plumber's labels, intent-hash annotation and owner reference from them, so nothing manages them " +
          "and a new Replicator can adopt them.",
      },
      resources: resourcesSchema(),
      rollout: rolloutSchema(),
      replicationNamespace: {
        type: "string",
        description:
          "Namespace created in every cluster to hold the replicated resources (an RFC 1123 label).",
        maxLength: 63,
        minLength: 1,
        pattern: RFC1123_LABEL,
      },
      deploymentName: subdomain("Name of the Deployment to create from deploymentSpec."),
      deploymentSpec,
      configMapName: subdomain("Name of the ConfigMap to create from configMapData."),
      configMapData: {
        type: "object",
        description: "Data of the ConfigMap: file names to contents.",
        additionalProperties: { type: "string" },
      },
      serviceName: {
        type: "string",
        description:
          "Name of the Service to create from serviceSpec (an RFC 1035 label, as Service names are).",
        maxLength: 63,
        minLength: 1,
        pattern: RFC1035_LABEL,
      },
      serviceSpec,
      ingressName: subdomain("Name of the Ingress to create from ingressSpec."),
      ingressSpec,
      ingressSecureEnabled: {
        type: "boolean",
        description:
          "Serve the Ingress over mutual TLS: plumber generates a CA, a server and a client certificate " +
          "(Secrets ca-secret and cli-secret) and sets the Ingress's tls and nginx annotations.",
      },
    },
    "x-kubernetes-validations": [
      {
        rule: "!has(self.resources) || self.resources.all(r, !has(r.metadata.namespace) || " +
          "r.metadata.namespace == '' || r.metadata.namespace == self.replicationNamespace)",
        message: "every resources[] entry is placed into replicationNamespace: leave metadata.namespace " +
          "out, or set it to replicationNamespace",
        fieldPath: ".resources",
        reason: "FieldValueInvalid",
      },
      needs("deploymentSpec", "deploymentName", "it names the Deployment"),
      needs("deploymentName", "deploymentSpec", "the Deployment needs a spec"),
      needs("configMapData", "configMapName", "it names the ConfigMap"),
      needs("serviceSpec", "serviceName", "it names the Service"),
      needs("serviceName", "serviceSpec", "the Service needs a spec"),
      needs("ingressSpec", "ingressName", "it names the Ingress"),
      needs("ingressName", "ingressSpec", "the Ingress needs a spec"),
      {
        rule: "!has(self.ingressSecureEnabled) || !self.ingressSecureEnabled || " +
          "(has(self.ingressName) && has(self.ingressSpec) && has(self.ingressSpec.rules) && " +
          "self.ingressSpec.rules.exists(r, has(r.host) && r.host != ''))",
        message:
          "ingressSecureEnabled needs an ingressName and an ingressSpec whose rules name at least one host: " +
          "the TLS certificate is issued for those hosts",
        fieldPath: ".ingressSecureEnabled",
        reason: "FieldValueInvalid",
      },
    ],
  };
  const status: JSONSchemaProps = {
    type: "object",
    description: "What plumber last did and saw.",
    properties: {
      applied: {
        type: "array",
        description: "Every resource applied, per cluster, with the outcome.",
        items: {
          type: "object",
          required: ["applyStatus", "cluster", "kind", "name"],
          properties: {
            cluster: { type: "string", description: "ClusterDetector name of the cluster." },
            kind: { type: "string", description: "Kind of the resource." },
            name: { type: "string", description: "Name of the resource." },
            applyStatus: {
              type: "string",
              description: "Outcome of the last apply: applied, conflict: <why> or failed: <reason>.",
            },
            apiVersion: { type: "string", description: "API version of the resource (resources[] entries)." },
          },
        },
      },
      synced: {
        type: "string",
        description: "Whether every resource was applied to every cluster.",
        enum: ["synced", "not synced"],
      },
      observedGeneration: observedGeneration(),
      conditions: conditionsSchema(
        "Ready (everything applied), Available (the workload ready in every targeted cluster), Degraded, " +
          "Suspended, RolloutHalted, ClustersSelected, NamespaceKept.",
      ),
      rollout: rolloutStatusSchema(),
      clusters: {
        type: "array",
        description: "Readiness of the replicated workload in each cluster.",
        "x-kubernetes-list-type": "map",
        "x-kubernetes-list-map-keys": ["name"],
        items: {
          type: "object",
          required: ["name", "ready"],
          properties: {
            name: { type: "string", description: "ClusterDetector name of the cluster." },
            targetedBy: {
              type: "array",
              description: "Why the cluster is targeted: primary, targetCluster and/or clusterSelector.",
              items: { type: "string", enum: ["primary", "targetCluster", "clusterSelector"] },
            },
            ready: {
              type: "boolean",
              description: "Whether everything is applied and the Deployment is ready.",
            },
            replicas: { type: "integer", format: "int32", minimum: 0, description: "Desired pods." },
            readyReplicas: { type: "integer", format: "int32", minimum: 0, description: "Ready pods." },
            message: { type: "string", description: "Why the cluster is not ready, if it is not." },
            revision: {
              type: "string",
              description:
                "Revision (hash of the rendered objects) the cluster runs; with a Progressive rollout, " +
                "clusters not yet reached keep the previous revision.",
            },
            driftCorrections: {
              type: "integer",
              format: "int64",
              minimum: 0,
              description: "Drifts plumber reverted in this cluster since the operator started.",
            },
            lastDrift: lastDriftSchema(),
          },
        },
      },
    },
  };
  return {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: {
      name: `replicators.${API_GROUP}`,
      annotations: { [SOURCE_ANNOTATION]: `kube-apiserver ${serverVersion}` },
    },
    spec: {
      group: API_GROUP,
      names: {
        kind: "Replicator",
        listKind: "ReplicatorList",
        plural: "replicators",
        singular: "replicator",
        shortNames: ["rep"],
      },
      scope: "Cluster",
      versions: [{
        name: "v1",
        served: true,
        storage: true,
        subresources: { status: {} },
        additionalPrinterColumns: [
          { name: "SYNCED", type: "string", jsonPath: ".status.synced" },
          {
            name: "AVAILABLE",
            type: "string",
            jsonPath: '.status.conditions[?(@.type=="Available")].status',
          },
          { name: "AGE", type: "date", jsonPath: ".metadata.creationTimestamp" },
        ],
        schema: {
          openAPIV3Schema: {
            type: "object",
            description:
              "Replicator replicates a namespace with a ConfigMap, a Deployment, a Service and an Ingress from " +
              "the primary cluster into the target clusters.",
            required: ["spec"],
            properties: {
              apiVersion: { type: "string" },
              kind: { type: "string" },
              metadata: { type: "object", properties: { name: { type: "string" } } },
              spec,
              status,
            },
            "x-kubernetes-validations": [{
              rule: "self.metadata.name.size() <= 63",
              message: "a Replicator name has at most 63 characters: it is used as a label value",
              fieldPath: ".metadata.name",
              reason: "FieldValueInvalid",
            }],
          },
        },
      }],
    },
  };
}

/** The ClusterDetector CRD (it embeds no Kubernetes type). */
export function buildClusterDetectorCrd(serverVersion: string): CustomResourceDefinition {
  const field = (description: string): JSONSchemaProps => ({ type: "string", description });
  return {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: {
      name: `clusterdetectors.${API_GROUP}`,
      annotations: { [SOURCE_ANNOTATION]: `kube-apiserver ${serverVersion}` },
    },
    spec: {
      group: API_GROUP,
      names: {
        kind: "ClusterDetector",
        listKind: "ClusterDetectorList",
        plural: "clusterdetectors",
        singular: "clusterdetector",
        shortNames: ["cd"],
      },
      scope: "Namespaced",
      versions: [{
        name: "v1",
        served: true,
        storage: true,
        subresources: { status: {} },
        additionalPrinterColumns: [
          { name: "CONTEXT", type: "string", jsonPath: ".spec.context" },
          { name: "CLUSTER", type: "string", jsonPath: ".spec.cluster" },
          { name: "USER", type: "string", jsonPath: ".spec.user" },
          { name: "CLUSTERSTATUS", type: "string", jsonPath: ".status.clusterstatus" },
          { name: "REASON", type: "string", jsonPath: ".status.reason", priority: 1 },
          { name: "AGE", type: "date", jsonPath: ".metadata.creationTimestamp" },
        ],
        schema: {
          openAPIV3Schema: {
            type: "object",
            description:
              "ClusterDetector is one registered cluster, named <cluster>.<user> after its kubeconfig context, " +
              "and its health.",
            required: ["spec"],
            properties: {
              apiVersion: { type: "string" },
              kind: { type: "string" },
              metadata: { type: "object" },
              spec: {
                type: "object",
                description: "Where the cluster's credentials are in the kubeconfig Secret.",
                required: ["cluster", "context", "user"],
                properties: {
                  context: field("Context name in the kubeconfig."),
                  cluster: field("Cluster name in the kubeconfig."),
                  user: field("User name in the kubeconfig."),
                },
              },
              status: {
                type: "object",
                description: "Health of the cluster, from periodic probes of its /readyz.",
                properties: {
                  clusterstatus: {
                    type: "string",
                    description: "Running when the last probes succeeded, Unknown otherwise.",
                    enum: ["Running", "Unknown"],
                  },
                  reason: field("Why the cluster is not Running, if it is not."),
                  conditions: conditionsSchema(
                    "Ready; on secondaries also CredentialsAvailable, False (KubeconfigSecretMissing, " +
                      "KubeconfigSecretInvalid) while the kubeconfig Secret cannot be read.",
                  ),
                  kubernetesVersion: field("Version the cluster's API server reported."),
                  lastProbeTime: {
                    type: "string",
                    format: "date-time",
                    description: "Time of the last probe.",
                  },
                  observedGeneration: observedGeneration(),
                },
              },
            },
          },
        },
      }],
    },
  };
}

export { serverVersionOf };

/**
 * Fetches the OpenAPI documents and the version of the API server behind `client` and
 * builds both CRDs.
 */
export async function generateCrds(client: KubeClient): Promise<{
  replicator: CustomResourceDefinition;
  clusterDetector: CustomResourceDefinition;
  serverVersion: string;
}> {
  const [version, ...documents] = await Promise.all([
    client.raw<{ gitVersion?: string; major?: string; minor?: string }>("GET", "/version"),
    ...OPENAPI_PATHS.map((path) => client.raw<OpenApiDocument>("GET", path)),
  ]);
  const serverVersion = serverVersionOf(version);
  return {
    replicator: buildReplicatorCrd(documents as OpenApiDocument[], serverVersion),
    clusterDetector: buildClusterDetectorCrd(serverVersion),
    serverVersion,
  };
}

/**
 * The YAML of a generated CRD with its header comment; keys sorted (as controller-gen
 * writes them) so the output only changes when the content does.
 */
export function renderCrdYaml(crd: CustomResourceDefinition): string {
  const source = crd.metadata.annotations?.[SOURCE_ANNOTATION] ?? "kube-apiserver";
  const header = `# Generated by deno task gen:crds from ${source} OpenAPI; do not edit.\n---\n`;
  return header + stringify(sortKeys(crd), { lineWidth: 0, indentSeq: false, aliasDuplicateObjects: false });
}

const USAGE = "Usage: deno task gen:crds [--kubeconfig <path> [--context <name>]] [--out <dir>]";

async function main(args: string[]): Promise<number> {
  const values = parseGeneratorArgs(args, USAGE);
  if (typeof values === "number") return values;
  if (values.help) {
    console.log(
      `${USAGE}\n\nWrites crds/${REPLICATOR_CRD_FILE} and crds/${CLUSTER_DETECTOR_CRD_FILE} from the OpenAPI ` +
        "of the given cluster, or of a private local API server started for the purpose.",
    );
    return 0;
  }
  const outDir = values.out ? pathToFileURL(`${resolve(values.out)}/`) : CRD_DIR;
  return await withApiServer(values, "gen:crds", async (client) => {
    const { replicator, clusterDetector, serverVersion } = await generateCrds(client);
    await Deno.mkdir(outDir, { recursive: true });
    for (
      const [file, crd] of [[REPLICATOR_CRD_FILE, replicator], [
        CLUSTER_DETECTOR_CRD_FILE,
        clusterDetector,
      ]] as const
    ) {
      const text = renderCrdYaml(crd);
      await Deno.writeTextFile(new URL(file, outDir), text);
      console.error(
        `gen:crds: wrote ${new URL(file, outDir).pathname} (${text.length} bytes of YAML, ${
          JSON.stringify(crd).length
        } bytes of JSON) from kube-apiserver ${serverVersion}`,
      );
    }
    return 0;
  });
}

if (import.meta.main) {
  try {
    Deno.exit(await main(Deno.args));
  } catch (error) {
    console.error(`gen:crds: ${error instanceof Error ? error.message : error}`);
    Deno.exit(1);
  }
}
