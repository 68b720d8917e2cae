/**
 * Whether an API server address is a loopback address, which an operator running in a cluster
 * cannot reach a cluster at (inside its Pod the address is the Pod itself). Shared by
 * `plumberctl add` (the warning) and the ClusterDetector controller (the reason).
 *
 * @module
 */

/**
 * Whether `server`'s host is a loopback address: 127.0.0.0/8, ::1 (also as ::ffff:127.x.y.z) or
 * localhost (and *.localhost). False for anything that is not a URL.
 *
 * @example
 * ```ts
 * isLoopbackServer("https://127.0.0.1:40123"); // true
 * isLoopbackServer("https://east-control-plane:6443"); // false
 * ```
 */
export function isLoopbackServer(server: string): boolean {
  let host: string;
  try {
    host = new URL(server).hostname.toLowerCase();
  } catch {
    return false;
  }
  if (host === "localhost" || host.endsWith(".localhost") || host === "[::1]") return true;
  if (/^\[::ffff:7f[0-9a-f]{2}:[0-9a-f]{1,4}\]$/.test(host)) return true; // URL writes ::ffff:127.x.y.z so
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}
