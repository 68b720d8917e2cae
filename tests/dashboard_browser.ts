/**
 * What the dashboard's browser test and benchmark share: headless Debian Chromium driven by
 * `puppeteer-core`, and `plumberctl dashboard` served in-process with a temporary HOME activated on a
 * test primary.
 *
 * @module
 */

import puppeteer, { type Browser, type Page } from "puppeteer-core";
import { dashboard } from "../cli/commands/dashboard.ts";
import { writeConfig } from "../cli/config.ts";
import { type CliContext, processContext } from "../cli/context.ts";
import { CHROMIUM } from "./chromium.ts";

export { CHROMIUM };

/** Starts headless Chromium. @throws {Error} saying how to install it when it is missing. */
export async function launchChromium(): Promise<{ browser: Browser; close(): Promise<void> }> {
  try {
    await Deno.stat(CHROMIUM);
  } catch {
    throw new Error(
      `Chromium is missing at ${CHROMIUM}: the dashboard's browser tests need it; install it with apt-get install -y chromium`,
    );
  }
  const profile = await Deno.makeTempDir({ prefix: "plumber-chromium-" });
  const browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      `--user-data-dir=${profile}`,
    ],
  });
  return {
    browser,
    async close() {
      await browser.close().catch(() => {});
      await Deno.remove(profile, { recursive: true }).catch(() => {});
    },
  };
}

/** A dashboard served in this process. */
export interface TestDashboard {
  url: string;
  /** What plumberctl printed. */
  output: string[];
  stop(): Promise<void>;
}

/** Serves `plumberctl dashboard` for the context `primary` of a kubeconfig, as an activated user would. */
export async function serveTestDashboard(kubeconfigPath: string, namespace: string): Promise<TestDashboard> {
  const home = await Deno.makeTempDir({ prefix: "plumber-dashboard-home-" });
  const output: string[] = [];
  const ctx: CliContext = {
    ...processContext(),
    env: (name) => (name === "HOME" ? home : undefined),
    stdout: (text) => output.push(text),
    stderr: (text) => output.push(text),
  };
  await writeConfig(ctx, { cluster: "primary", path: kubeconfigPath });
  const stop = new AbortController();
  const url = Promise.withResolvers<string>();
  const running = dashboard(
    { port: 0, namespace, signal: stop.signal, onReady: (s) => url.resolve(s.url) },
    ctx,
  );
  running.catch((error) => url.reject(error));
  return {
    url: await url.promise,
    output,
    async stop() {
      stop.abort();
      await running;
      await Deno.remove(home, { recursive: true });
    },
  };
}

// Evaluated in the page (this project's type-checking has no DOM library, hence strings).
const READ_GRID = `(() => {
  const grid = {};
  for (const tr of document.querySelectorAll("#grid tbody tr")) {
    const cells = {};
    for (const td of tr.querySelectorAll("td")) {
      cells[td.dataset.cluster] = (td.className.replace(/^s-/, "") + " " + td.textContent).trim();
    }
    grid[tr.querySelector("th").textContent] = cells;
  }
  return grid;
})()`;

const READ_COLUMNS = `Object.fromEntries([...document.querySelectorAll("#grid thead th[data-cluster]")]
  .map((th) => [th.dataset.cluster, th.querySelector(".col-status").textContent]))`;

/** The cells of the page as `state label` by Replicator and cluster name. */
export async function readGrid(page: Page): Promise<Record<string, Record<string, string>>> {
  return await page.evaluate(READ_GRID) as Record<string, Record<string, string>>;
}

/** The columns' statuses by cluster name. */
export async function readColumns(page: Page): Promise<Record<string, string>> {
  return await page.evaluate(READ_COLUMNS) as Record<string, string>;
}

/** The connection banner's text. */
export async function readConnection(page: Page): Promise<string> {
  return await page.evaluate(`document.getElementById("conn").textContent`) as string;
}
