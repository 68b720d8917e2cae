/**
 * The program that opens a URL in the default browser, per OS, by absolute path: `plumberctl dashboard
 * --open` runs it, and the compiled binary is allowed to run exactly it (`--allow-run=<path>`; a bare name
 * would make Deno print a notice on every run where the program is not installed).
 *
 * @module
 */

/** The opener of each OS plumberctl is built for. */
export const BROWSER_OPENERS = {
  linux: "/usr/bin/xdg-open",
  darwin: "/usr/bin/open",
  windows: "C:\\Windows\\System32\\cmd.exe",
} as const;

/** The command that opens `url` on `os` (`xdg-open`, `open`, or `cmd /c start`). */
export function browserCommand(os: typeof Deno.build.os, url: string): { command: string; args: string[] } {
  if (os === "darwin") return { command: BROWSER_OPENERS.darwin, args: [url] };
  if (os === "windows") return { command: BROWSER_OPENERS.windows, args: ["/c", "start", "", url] };
  return { command: BROWSER_OPENERS.linux, args: [url] };
}

/** The opener a `deno compile --target` target runs. */
export function openerForTarget(target: string): string {
  if (target.includes("windows")) return BROWSER_OPENERS.windows;
  if (target.includes("darwin")) return BROWSER_OPENERS.darwin;
  return BROWSER_OPENERS.linux;
}
