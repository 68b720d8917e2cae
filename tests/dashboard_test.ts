/**
 * `plumberctl dashboard` in a real browser (Debian's headless Chromium driven by puppeteer-core) against
 * the local control plane: the seed's sample synced in three clusters, a stopped secondary's column
 * turning Unknown, a hand edit in a secondary shown as a drift in the right cell, and the "disconnected,
 * retrying" states. Screenshots of each state go to tests/artifacts/ (not committed).
 *
 * The drift is a real hand edit (field manager `kubectl-edit`) in one secondary, reverted by the running
 * operator, whose drift audit (`status.clusters[].lastDrift`) the page shows in that Replicator's cell of
 * that cluster only, naming the manager.
 *
 * @module
 */

import assert from "node:assert/strict";
import { parse } from "yaml";
import type { Page } from "puppeteer-core";
import { DEFAULT_CLUSTERS } from "./control_plane.ts";
import { eventually, privateControlPlane } from "./harness.ts";
import { withOperator } from "./operator.ts";
import { type Obj, PRIMARY, SAMPLE, SECONDARY1, SECONDARY2, waitSynced } from "./replicators.ts";
import {
  launchChromium,
  readColumns,
  readConnection,
  readGrid,
  serveTestDashboard,
} from "./dashboard_browser.ts";

const ARTIFACTS = new URL("./artifacts/", import.meta.url);
const SAMPLE_NAME = "replicator-sample";

async function screenshot(page: Page, name: string): Promise<void> {
  await Deno.mkdir(ARTIFACTS, { recursive: true });
  const path = new URL(`dashboard-${name}.png`, ARTIFACTS).pathname;
  await page.screenshot({ path: path as `${string}.png` });
  console.log(`screenshot: ${path}`);
}

Deno.test("plumberctl dashboard shows the sample synced, a drift in the right cell and a stopped secondary as Unknown, live", async () => {
  const { browser, close } = await launchChromium();
  const cp = await privateControlPlane(DEFAULT_CLUSTERS);
  const state = cp.state;
  let served: Awaited<ReturnType<typeof serveTestDashboard>> | undefined;
  try {
    const page = await browser.newPage();
    await page.setViewport({ width: 1200, height: 420 });
    const external: string[] = [];
    page.on("request", (request) => {
      if (!request.url().startsWith("http://127.0.0.1:")) external.push(request.url());
    });
    await withOperator({ prefix: "dash", state }, async (f) => {
      served = await serveTestDashboard(state.kubeconfigPath, f.namespace);
      assert.match(
        served.output.join(""),
        /^Serving the dashboard of primary \(https:\/\/.*\) at http:\/\/127\.0\.0\.1:\d+\/\n/,
      );
      await page.goto(served.url);

      // 1. The seed's sample, synced in the primary and both secondaries.
      const sample = parse(await Deno.readTextFile(SAMPLE)) as Obj;
      sample.metadata.labels = { ...sample.metadata.labels, "plumber-test": f.test };
      await f.clients.primary.apply(sample, { fieldManager: "dashboard-test" });
      await waitSynced(f.clients.primary, SAMPLE_NAME, 90_000);
      const synced = await eventually("the sample synced and ready in three cells", async () => {
        const row = (await readGrid(page))[SAMPLE_NAME];
        return row && [PRIMARY, SECONDARY1, SECONDARY2].every((c) => row[c] === "synced 3/3") && row;
      }, { timeoutMs: 90_000, intervalMs: 200 });
      assert.deepEqual(synced, {
        [PRIMARY]: "synced 3/3",
        [SECONDARY1]: "synced 3/3",
        [SECONDARY2]: "synced 3/3",
      });
      assert.deepEqual(await readColumns(page), {
        [PRIMARY]: "Running",
        [SECONDARY1]: "Running",
        [SECONDARY2]: "Running",
      });
      assert.match(await readConnection(page), /^live$/);
      const title = await page.$eval(
        `#grid td[data-cluster="${SECONDARY1}"]`,
        (td) => td.getAttribute("title"),
      );
      assert.equal(title, `${SAMPLE_NAME} in ${SECONDARY1}: synced and ready (3/3 replicas)`);
      await screenshot(page, "synced");

      // Keyboard: the first cell is focusable, arrows move, Enter opens the panel, Escape closes it.
      await page.focus("#grid td[tabindex='0']");
      await page.keyboard.press("ArrowRight");
      await page.keyboard.press("Enter");
      await page.waitForFunction(
        `document.querySelector("#panel h2")?.textContent === "${SAMPLE_NAME} in ${SECONDARY1}"`,
      );
      const objects = await page.$eval("#panel", (p) => p.textContent ?? "");
      assert.match(objects, /Deployment\/nginx\s*applied/);
      await page.keyboard.press("Escape");
      await page.waitForFunction(`document.getElementById("panel").hidden`);

      // 2. A hand edit in secondary2: the operator reverts it and its drift audit records who made it
      // (status.clusters[].lastDrift); the page shows it in that cell only.
      await f.clients.secondary2.mergePatch<Obj>(
        { apiVersion: "v1", kind: "ConfigMap", namespace: "test-ns", name: "nginx" },
        { data: { "mod-index.html": "edited by hand" } },
        { fieldManager: "kubectl-edit" },
      );
      await eventually("the drift in the sample's secondary2 cell", async () => {
        const row = (await readGrid(page))[SAMPLE_NAME];
        return row?.[SECONDARY2] === "drift drift" && row[SECONDARY1] === "synced 3/3" &&
          row[PRIMARY] === "synced 3/3";
      }, { timeoutMs: 20_000, intervalMs: 100 });
      await page.click(`#grid td[data-cluster="${SECONDARY2}"]`);
      await page.waitForFunction(
        `(document.getElementById("panel").textContent || "").includes("kubectl-edit (Update)")`,
      );
      assert.match(
        await page.$eval("#panel", (p) => p.textContent ?? ""),
        /ConfigMap\/nginx.*data\["mod-index\.html"\]/s,
      );
      await screenshot(page, "drift");
      await page.keyboard.press("Escape");

      // 3. A stopped secondary turns its column Unknown within the probe window (interval 1 s x 3).
      await cp.stopApiServer("secondary1");
      const stopped = Date.now();
      await eventually(
        "secondary1's column Unknown",
        async () => (await readColumns(page))[SECONDARY1] === "Unknown",
        {
          timeoutMs: 30_000,
          intervalMs: 100,
        },
      );
      console.log(`secondary stopped -> column Unknown on the page in ${Date.now() - stopped} ms`);
      const header = await page.$eval(
        `#grid th[data-cluster="${SECONDARY1}"]`,
        (th) => th.getAttribute("title") ?? "",
      );
      assert.match(header, /Unknown \(.*(refused|timed out|timeout).*\)/i);
      await screenshot(page, "unknown");
      await cp.startApiServer("secondary1");
      await eventually(
        "secondary1's column Running again",
        async () => (await readColumns(page))[SECONDARY1] === "Running",
        {
          timeoutMs: 60_000,
          intervalMs: 200,
        },
      );
    });

    // 4. The primary's API server stops: the page says the watch dropped, then live again.
    await cp.stopApiServer("primary");
    await eventually(
      "the watch-dropped banner",
      async () => /^watch of .* dropped, retrying/.test(await readConnection(page)),
      {
        timeoutMs: 30_000,
        intervalMs: 100,
      },
    );
    await screenshot(page, "watch-dropped");
    await cp.startApiServer("primary");
    await eventually("live again", async () => (await readConnection(page)) === "live", {
      timeoutMs: 60_000,
      intervalMs: 200,
    });

    // 5. plumberctl stops: the page says it is disconnected and retrying.
    await served!.stop();
    served = undefined;
    await eventually(
      "the disconnected banner",
      async () => /^disconnected from plumberctl, retrying/.test(await readConnection(page)),
      {
        timeoutMs: 10_000,
        intervalMs: 100,
      },
    );
    await screenshot(page, "disconnected");
    assert.deepEqual(external, [], "the page made no request outside plumberctl");
  } finally {
    await served?.stop().catch(() => {});
    await close();
    await cp.stop();
  }
});
