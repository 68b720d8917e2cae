/**
 * The connection of a test cluster's admin user. A module of its own, with type
 * imports only, so that a measured process (tests/informer_memory.ts) can use it
 * without loading the control plane's dependencies.
 *
 * @module
 */

import type { ClusterInfo } from "./control_plane.ts";
import type { ClusterConnection } from "../lib/kubeconfig/connection.ts";

/** The connection of a cluster's admin user. */
export function adminConnection(cluster: ClusterInfo): ClusterConnection {
  return {
    contextName: cluster.context,
    cluster: cluster.cluster,
    user: cluster.user,
    server: cluster.server,
    caPem: cluster.ca.certPem,
    certPem: cluster.admin.certPem,
    keyPem: cluster.admin.keyPem,
  };
}
