/**
 * Pure rendering of a Replicator into the manifests plumber applies to one cluster:
 * no I/O, no clock, no randomness. The same Replicator, role and TLS material always
 * give the same objects, which is what makes server-side apply idempotent.
 *
 * @module
 */

import {
  API_VERSION,
  type KubeObject,
  LABEL_MANAGED_BY,
  LABEL_REPLICATOR,
  MANAGED_BY_VALUE,
  type OwnerReference,
  type ReplicationRole,
  type Replicator,
  REPLICATOR_KIND,
  type ReplicatorDeploymentSpec,
  type ReplicatorSpec,
} from "./api.ts";
import { ownerLabels } from "./ownership.ts";
import { encodeBase64Text } from "./base64.ts";
import { cloneJson } from "./json.ts";
import { renderResource, resolveResources } from "./resources.ts";

/** Name of the Secret holding the CA certificate and the Ingress' server certificate and key. */
export const CA_SECRET_NAME = "ca-secret";
/** Name of the Secret holding the client certificate and key for calling the Ingress. */
export const CLIENT_SECRET_NAME = "cli-secret";

/**
 * `spec.ingressClassName` of the Ingress when `ingressSpec` names none, as the original always set:
 * with ingress-nginx installed but not the default class, an Ingress without a class is ignored.
 */
export const DEFAULT_INGRESS_CLASS = "nginx";

/** Annotations put on the Ingress when `ingressSecureEnabled` is set (ingress-nginx mTLS). */
export const ANNOTATION_AUTH_TLS_VERIFY_CLIENT = "nginx.ingress.kubernetes.io/auth-tls-verify-client";
/** Annotation naming the Secret (`<namespace>/<name>`) whose `ca.crt` verifies clients. */
export const ANNOTATION_AUTH_TLS_SECRET = "nginx.ingress.kubernetes.io/auth-tls-secret";
/** Annotation kept from the seed, which set it together with mTLS. */
export const ANNOTATION_REWRITE_TARGET = "nginx.ingress.kubernetes.io/rewrite-target";

/** Selector label naming the Deployment. */
export const LABEL_NAME = "app.kubernetes.io/name";
/** Selector label naming the Replicator, so two Replicators never select each other's pods. */
export const LABEL_INSTANCE = "app.kubernetes.io/instance";

/** PEM-encoded certificates and keys for the Ingress' mutual TLS. Secret material: never log it. */
export interface TlsMaterial {
  caCertPem: string;
  serverCertPem: string;
  serverKeyPem: string;
  clientCertPem: string;
  clientKeyPem: string;
}

/** Input of {@linkcode renderReplicator}. */
export interface RenderOptions {
  replicator: Replicator;
  /**
   * Role of the cluster the manifests are for. Only on the primary (the Replicator's
   * own cluster) do namespaced objects get an owner reference to the Replicator.
   */
  role: ReplicationRole;
  /** Required when {@linkcode ingressTlsEnabled} is true for the Replicator's spec. */
  tls?: TlsMaterial;
  /**
   * UID of the primary cluster's `kube-system` namespace. When set, every object also carries the
   * ownership labels of {@linkcode ownerLabels} (primary identity and Replicator UID).
   */
  primaryId?: string;
}

/**
 * Labels on every object rendered for a Replicator: `app.kubernetes.io/managed-by:
 * plumber` and `plumber.jnytnai0613.github.io/replicator: <name>`.
 *
 * @param replicatorName The Replicator's name; the CRD limits it to 63 characters, so
 * it is a valid label value.
 */
export function replicatorLabels(replicatorName: string): Record<string, string> {
  return { [LABEL_MANAGED_BY]: MANAGED_BY_VALUE, [LABEL_REPLICATOR]: replicatorName };
}

/**
 * Labels selecting the pods of a Replicator's Deployment, used as the Deployment's
 * selector, its pod template's labels and the Service's selector. They derive from the
 * Replicator (the seed hard-coded `apps: nginx`, so two Replicators collided).
 *
 * @param replicatorName The Replicator's name (at most 63 characters, a valid label value).
 * @param deploymentName The Deployment's name (`spec.deploymentName`).
 * @example
 * ```ts
 * selectorLabels("web", "nginx");
 * // { "app.kubernetes.io/name": "nginx", "app.kubernetes.io/instance": "web" }
 * ```
 */
export function selectorLabels(replicatorName: string, deploymentName: string): Record<string, string> {
  return { [LABEL_NAME]: deploymentName, [LABEL_INSTANCE]: replicatorName };
}

/** Unique non-empty hosts of `spec.ingressSpec.rules[].host`, in the order they first appear. */
export function ingressHosts(spec: ReplicatorSpec): string[] {
  const hosts = new Set<string>();
  for (const rule of spec.ingressSpec?.rules ?? []) {
    if (rule.host) hosts.add(rule.host);
  }
  return [...hosts];
}

/**
 * Whether the spec renders the mTLS Secrets and Ingress TLS, and so whether
 * {@linkcode renderReplicator} needs {@linkcode TlsMaterial}: `ingressSecureEnabled`
 * is set and there is an Ingress (`ingressName`) to secure.
 */
export function ingressTlsEnabled(spec: ReplicatorSpec): boolean {
  return spec.ingressSecureEnabled === true && Boolean(spec.ingressName);
}

/**
 * Renders a Replicator into the objects to server-side apply to one cluster, in apply
 * order: Namespace, ConfigMap, Secrets `ca-secret` and `cli-secret`, Deployment,
 * Service, Ingress, then the `spec.resources[]` entries (see `resources.ts`: placed into
 * `replicationNamespace`, plumber's labels merged over their own, an entry naming an object a seed
 * field already names is left out).
 *
 * - A resource is rendered only when its name (`configMapName`, `deploymentName`,
 *   `serviceName`, `ingressName`) is set; a spec without its name is ignored. A name
 *   without its spec renders the object anyway and leaves validation to the API server.
 * - Every object carries {@linkcode replicatorLabels} (and not the Replicator's own labels), and with
 *   `primaryId` the ownership labels of `ownership.ts` (primary identity, Replicator UID).
 * - The Deployment's `selector` is always {@linkcode selectorLabels}, replacing any
 *   selector the user wrote; the pod template keeps the user's labels and annotations,
 *   with the selector labels merged over them.
 * - The Service selects the Deployment's pods when a Deployment is rendered; otherwise
 *   the user's selector, if any, is kept.
 * - With `ingressSecureEnabled` and an Ingress, the Secrets are rendered and the Ingress
 *   gets `spec.tls` (the rules' hosts, secret `ca-secret`, replacing any `tls` the user
 *   wrote) and ingress-nginx's client-certificate annotations.
 * - The Ingress' `ingressClassName` is {@linkcode DEFAULT_INGRESS_CLASS} unless `ingressSpec`
 *   names a class, which is kept.
 * - For the primary role, namespaced objects get a controller owner reference to the
 *   Replicator when it has a uid. The Namespace never does: deleting it is plumber's
 *   explicit decision, not the garbage collector's.
 *
 * The input is never modified and the output shares no objects with it. The objects are
 * plain JSON and valid apply bodies: no status, uid, resourceVersion or managedFields.
 *
 * @throws {Error} If TLS is needed ({@linkcode ingressTlsEnabled}) and `tls` is missing.
 */
export function renderReplicator(options: RenderOptions): KubeObject[] {
  const { replicator, role, tls, primaryId } = options;
  const { spec } = replicator;
  const replicatorName = replicator.metadata.name;
  const labels = (): Record<string, string> =>
    primaryId === undefined
      ? replicatorLabels(replicatorName)
      : ownerLabels({ primaryId, replicator: replicatorName, replicatorUid: replicator.metadata.uid });
  const namespace = spec.replicationNamespace;
  const uid = replicator.metadata.uid;
  const ownerReferences: OwnerReference[] | undefined = role === "primary" && uid
    ? [{
      apiVersion: API_VERSION,
      kind: REPLICATOR_KIND,
      name: replicatorName,
      uid,
      controller: true,
      blockOwnerDeletion: true,
    }]
    : undefined;

  const metadata = (name: string, annotations?: Record<string, string>): KubeObject["metadata"] => ({
    name,
    namespace,
    labels: labels(),
    ...(annotations ? { annotations } : {}),
    ...(ownerReferences ? { ownerReferences: cloneJson(ownerReferences) } : {}),
  });

  const secure = ingressTlsEnabled(spec);
  if (secure && !tls) {
    throw new Error(
      `Cannot render Replicator "${replicatorName}": TLS material is required when ingressSecureEnabled is set`,
    );
  }

  const objects: KubeObject[] = [{
    apiVersion: "v1",
    kind: "Namespace",
    metadata: { name: namespace, labels: labels() },
  }];

  if (spec.configMapName) {
    objects.push({
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: metadata(spec.configMapName),
      data: { ...spec.configMapData },
    });
  }

  if (secure && tls) {
    objects.push({
      apiVersion: "v1",
      kind: "Secret",
      metadata: metadata(CA_SECRET_NAME),
      type: "Opaque",
      data: {
        "ca.crt": encodeBase64Text(tls.caCertPem),
        "tls.crt": encodeBase64Text(tls.serverCertPem),
        "tls.key": encodeBase64Text(tls.serverKeyPem),
      },
    }, {
      apiVersion: "v1",
      kind: "Secret",
      metadata: metadata(CLIENT_SECRET_NAME),
      type: "Opaque",
      data: {
        "client.crt": encodeBase64Text(tls.clientCertPem),
        "client.key": encodeBase64Text(tls.clientKeyPem),
      },
    });
  }

  const selector = spec.deploymentName ? selectorLabels(replicatorName, spec.deploymentName) : undefined;

  if (spec.deploymentName && selector) {
    // The user's selector is dropped: ours must match the template labels we set, and
    // a selector derived from the Replicator is what keeps two Replicators apart.
    const deploymentSpec: Partial<ReplicatorDeploymentSpec> = cloneJson(spec.deploymentSpec ?? {});
    const { selector: _userSelector, template, ...rest } = deploymentSpec;
    const { metadata: templateMetadata = {}, ...templateRest } = template ?? {};
    objects.push({
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: metadata(spec.deploymentName),
      spec: {
        ...rest,
        selector: { matchLabels: { ...selector } },
        template: {
          metadata: { ...templateMetadata, labels: { ...templateMetadata.labels, ...selector } },
          ...templateRest,
        },
      },
    });
  }

  if (spec.serviceName) {
    const serviceSpec = cloneJson(spec.serviceSpec ?? {});
    if (selector) serviceSpec.selector = { ...selector };
    objects.push({
      apiVersion: "v1",
      kind: "Service",
      metadata: metadata(spec.serviceName),
      spec: serviceSpec,
    });
  }

  if (spec.ingressName) {
    const ingressSpec = cloneJson(spec.ingressSpec ?? {});
    // The original always set ingress-nginx's class; the mTLS annotations are ingress-nginx's too.
    if (!ingressSpec.ingressClassName) ingressSpec.ingressClassName = DEFAULT_INGRESS_CLASS;
    let annotations: Record<string, string> | undefined;
    if (secure) {
      const hosts = ingressHosts(spec);
      // Without hosts the TLS entry applies to every host, as the seed's omitempty did.
      ingressSpec.tls = [{ ...(hosts.length > 0 ? { hosts } : {}), secretName: CA_SECRET_NAME }];
      annotations = {
        [ANNOTATION_AUTH_TLS_VERIFY_CLIENT]: "on",
        [ANNOTATION_AUTH_TLS_SECRET]: `${namespace}/${CA_SECRET_NAME}`,
        [ANNOTATION_REWRITE_TARGET]: "/",
      };
    }
    objects.push({
      apiVersion: "networking.k8s.io/v1",
      kind: "Ingress",
      metadata: metadata(spec.ingressName, annotations),
      spec: ingressSpec,
    });
  }

  // spec.resources[]: after the seed's objects; an entry naming an object a seed field (or an earlier
  // entry) names is not rendered (`resolveResources`, reported by the controller).
  for (const entry of resolveResources(spec).rendered) {
    objects.push(renderResource(entry, { namespace, labels: labels(), ownerReferences }));
  }

  return objects;
}
