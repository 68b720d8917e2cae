/**
 * The reference process of `bench/idle_probe.ts --floor`: what any Deno program doing the idle operator's
 * I/O occupies, with none of plumber's code. It reads clusters (server, CA, client certificate and key) as
 * JSON from stdin, opens one HTTP client per cluster, lists namespaces and holds `--watches` watch streams
 * per cluster (reading and parsing their events, as informers do), serves `/healthz` and `/metrics` on
 * 127.0.0.1, and prints `ready` when every watch is open. The parent reads its RSS.
 *
 * @module
 */

interface FloorCluster {
  server: string;
  caPem: string;
  certPem: string;
  keyPem: string;
}

const RESOURCES = [
  "/api/v1/namespaces",
  "/api/v1/configmaps",
  "/api/v1/secrets",
  "/api/v1/services",
  "/apis/apps/v1/deployments",
  "/apis/networking.k8s.io/v1/ingresses",
  "/apis/coordination.k8s.io/v1/leases",
  "/api/v1/serviceaccounts",
];

async function watch(
  client: Deno.HttpClient,
  server: string,
  path: string,
  opened: () => void,
): Promise<void> {
  const list = await fetch(`${server}${path}?limit=500`, { client });
  const { metadata } = await list.json() as { metadata: { resourceVersion: string } };
  const response = await fetch(
    `${server}${path}?watch=1&allowWatchBookmarks=true&resourceVersion=${metadata.resourceVersion}`,
    { client },
  );
  opened();
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffered = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffered += value;
    let newline;
    while ((newline = buffered.indexOf("\n")) >= 0) {
      JSON.parse(buffered.slice(0, newline));
      buffered = buffered.slice(newline + 1);
    }
  }
}

if (import.meta.main) {
  const watches = Number(Deno.args[Deno.args.indexOf("--watches") + 1] ?? 6) || 6;
  const clusters = JSON.parse(await new Response(Deno.stdin.readable).text()) as FloorCluster[];
  Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, () => new Response("ok\n"));
  let open = 0;
  const total = clusters.length * watches;
  for (const c of clusters) {
    const client = Deno.createHttpClient({ caCerts: [c.caPem], cert: c.certPem, key: c.keyPem });
    for (const path of RESOURCES.slice(0, watches)) {
      watch(client, c.server, path, () => {
        if (++open === total) console.log("ready");
      }).catch((error) => console.error(`watch ${path}: ${error}`));
    }
  }
}
