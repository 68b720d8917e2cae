/**
 * The list of plumberctl's commands, each loaded on demand: `plumberctl view` loads only `view`'s module
 * and what it imports. Its own module so that `completion` can read every command without importing
 * the entry point.
 *
 * @module
 */

import type { Command } from "./flags.ts";

/** A command by name, loaded on demand. */
export interface CommandEntry {
  name: string;
  load(): Promise<Command>;
}

/** Every command, in help order. The specifiers are literal so that `deno compile` bundles them. */
export const COMMANDS: readonly CommandEntry[] = [
  { name: "activate", load: async () => (await import("./commands/activate.ts")).activateCommand },
  { name: "add", load: async () => (await import("./commands/add.ts")).addCommand },
  { name: "label", load: async () => (await import("./commands/label.ts")).labelCommand },
  { name: "remove", load: async () => (await import("./commands/remove.ts")).removeCommand },
  { name: "view", load: async () => (await import("./commands/view.ts")).viewCommand },
  { name: "diff", load: async () => (await import("./commands/diff.ts")).diffCommand },
  { name: "status", load: async () => (await import("./commands/status.ts")).statusCommand },
  { name: "dashboard", load: async () => (await import("./commands/dashboard.ts")).dashboardCommand },
  { name: "completion", load: async () => (await import("./commands/completion.ts")).completionCommand },
];

/** Flags accepted before the command (`plumberctl --debug add ...`). */
export const ROOT_FLAGS: readonly { name: string; short?: string; description: string }[] = [
  { name: "help", short: "h", description: "Show help (also: plumberctl <command> --help)" },
  { name: "version", description: "Show the version" },
  { name: "debug", description: "Show stack traces of errors" },
];
