/**
 * Debian's Chromium for the dashboard's browser test: where it is, and installing it for
 * `deno task test` on a fresh machine.
 *
 * @module
 */

/** Where Debian's `chromium` package puts the browser. */
export const CHROMIUM = "/usr/bin/chromium";

/**
 * Installs Debian's `chromium` when it is missing and this runs as root with apt-get
 * (a fresh development machine or CI), so that `deno task test` alone is enough; elsewhere
 * it says what to install and the browser test fails naming it.
 */
export async function ensureChromium(log: (line: string) => void): Promise<void> {
  if (await exists(CHROMIUM)) return;
  const root = Deno.uid?.() === 0;
  if (!root || !(await exists("/usr/bin/apt-get"))) {
    log(`Chromium is missing at ${CHROMIUM}: tests/dashboard_test.ts will fail; apt-get install -y chromium`);
    return;
  }
  log("installing Debian's chromium for the dashboard's browser test (apt-get, about a minute)");
  const started = performance.now();
  for (const args of [["update", "-qq"], ["install", "-y", "-qq", "chromium"]]) {
    const { code, stderr } = await new Deno.Command("apt-get", {
      args,
      env: { DEBIAN_FRONTEND: "noninteractive" },
      stdout: "null",
      stderr: "piped",
    }).output();
    if (code !== 0) {
      log(
        `apt-get ${args.join(" ")} failed (${code}): ${new TextDecoder().decode(stderr).trim().slice(-300)}`,
      );
      return;
    }
  }
  log(`chromium installed in ${((performance.now() - started) / 1000).toFixed(0)} s`);
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}
