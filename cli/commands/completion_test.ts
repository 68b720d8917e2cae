import assert from "node:assert/strict";
import { UsageError } from "../../lib/errors.ts";
import { COMMANDS, ROOT_FLAGS } from "../command_list.ts";
import type { CliContext } from "../context.ts";
import { COMMON_FLAGS, parseFlags } from "../flags.ts";
import {
  completionCommand,
  completionCommands,
  completionScript,
  loadCommands,
  PROGRAMS,
  SHELLS,
} from "./completion.ts";

const commands = await loadCommands();
const completion = completionCommands(commands);

Deno.test("completion scripts name every command and every flag (long and short), for each shell", () => {
  assert.deepEqual(commands.map((c) => c.name), COMMANDS.map((c) => c.name));
  for (const shell of SHELLS) {
    const script = completionScript(shell, completion);
    for (const program of PROGRAMS) assert.ok(script.includes(program), `${shell}: ${program}`);
    for (const command of [...commands.map((c) => c.name), "help"]) {
      assert.match(script, new RegExp(`\\b${command}\\b`), `${shell}: command ${command}`);
    }
    for (const command of commands) {
      for (const flag of [...command.flags, ...COMMON_FLAGS]) {
        // fish writes `-l name` / `-s x`; bash and zsh write the flags as typed.
        const long = shell === "fish" ? `-l ${flag.name}` : `--${flag.name}`;
        assert.ok(script.includes(long), `${shell}: ${command.name} ${long}`);
        if (flag.short) {
          const short = shell === "fish" ? `-s ${flag.short}` : `-${flag.short}`;
          assert.ok(script.includes(short), `${shell}: ${command.name} ${short}`);
        }
      }
    }
    for (const flag of ROOT_FLAGS) {
      assert.ok(
        script.includes(shell === "fish" ? `-l ${flag.name}` : `--${flag.name}`),
        `${shell}: ${flag.name}`,
      );
    }
  }
});

Deno.test("the bash script lists each command's own flags under that command", () => {
  const script = completionScript("bash", completion);
  for (const command of commands) {
    const line = script.split("\n").find((l) => l.startsWith(`    ${command.name}) words=`));
    assert.ok(line, command.name);
    for (const flag of command.flags) {
      assert.ok(line.includes(`--${flag.name}`), `${command.name} --${flag.name}`);
    }
  }
  assert.match(script, /completion\) words="bash zsh fish /);
});

/** Runs bash with the script loaded and returns the completions of `line` (completing its last word). */
async function bashComplete(line: string): Promise<string[]> {
  const words = line.split(" ");
  const program = [
    completionScript("bash", completion),
    `COMP_WORDS=(${words.map((w) => `'${w}'`).join(" ")})`,
    `COMP_CWORD=${words.length - 1}`,
    "_plumberctl",
    'printf "%s\\n" "${COMPREPLY[@]}"',
  ].join("\n");
  const output = await new Deno.Command("bash", { args: ["-c", program], stdout: "piped", stderr: "piped" })
    .output();
  assert.equal(output.code, 0, new TextDecoder().decode(output.stderr));
  return new TextDecoder().decode(output.stdout).split("\n").filter((w) => w !== "");
}

Deno.test("the bash script completes commands, a command's flags and the shells in bash itself", async () => {
  assert.deepEqual(await bashComplete("plumberctl re"), ["remove"]);
  assert.deepEqual(await bashComplete("plumberctl --debug v"), ["view"]);
  assert.deepEqual(await bashComplete("kubectl-plumber remove --cl"), ["--cleanup"]);
  assert.deepEqual(await bashComplete("plumberctl completion "), [
    "bash",
    "zsh",
    "fish",
    "--namespace",
    "-n",
    "--debug",
    "--help",
    "-h",
  ]);
  assert.deepEqual(
    await bashComplete("plumberctl add --target-context "),
    [],
    "a flag's value is the user's",
  );
});

function capture(): { ctx: CliContext; out: string[] } {
  const out: string[] = [];
  const ctx = { stdout: (text: string) => out.push(text), stderr: () => {} } as unknown as CliContext;
  return { ctx, out };
}

Deno.test("plumberctl completion prints the script, and names the value of a bad or missing shell", async () => {
  const { ctx, out } = capture();
  await completionCommand.run(parseFlags(completionCommand, ["zsh"]), ctx);
  assert.match(out.join(""), /^#compdef plumberctl kubectl-plumber\n/);
  await assert.rejects(
    completionCommand.run(parseFlags(completionCommand, ["powershell"]), ctx),
    (e: unknown) =>
      e instanceof UsageError &&
      /invalid shell "powershell": expected one of bash, zsh, fish/.test(e.message),
  );
  await assert.rejects(
    completionCommand.run(parseFlags(completionCommand, []), ctx),
    (e: unknown) => e instanceof UsageError && /missing shell/.test(e.message),
  );
});
