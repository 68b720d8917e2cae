import assert from "node:assert/strict";
import { parseFlagArgs } from "./args.ts";
import { UsageError } from "./errors.ts";

const OPTIONS = {
  namespace: { type: "string", default: "plumber-system" },
  kubeconfig: { type: "string" },
  "leader-elect": { type: "boolean", default: false },
  help: { type: "boolean", short: "h" },
} as const;

Deno.test("parseFlagArgs() reads --name value, --name=value, booleans and short aliases, with defaults", () => {
  assert.deepEqual(parseFlagArgs([], OPTIONS), {
    namespace: "plumber-system",
    kubeconfig: undefined,
    "leader-elect": false,
    help: false,
  });
  const v = parseFlagArgs(["--namespace", "ops", "--kubeconfig=/a=b", "--leader-elect", "-h"], OPTIONS);
  assert.deepEqual(v, { namespace: "ops", kubeconfig: "/a=b", "leader-elect": true, help: true });
  // The last of a repeated flag wins; an empty inline value is a value; a lone "-" is a value.
  assert.equal(parseFlagArgs(["--namespace", "a", "--namespace=b"], OPTIONS).namespace, "b");
  assert.equal(parseFlagArgs(["--kubeconfig="], OPTIONS).kubeconfig, "");
  assert.equal(parseFlagArgs(["--kubeconfig", "-"], OPTIONS).kubeconfig, "-");
});

Deno.test("parseFlagArgs() refuses unknown flags, missing or extra values and positionals, naming them", () => {
  const cases: Array<[string[], string]> = [
    [["--bogus"], "unknown flag --bogus"],
    [["--bogus=1"], "unknown flag --bogus"],
    [["-x"], "unknown flag -x"],
    [["--kubeconfig"], "--kubeconfig needs a value"],
    [["--kubeconfig", "--leader-elect"], "--kubeconfig needs a value"],
    [["--leader-elect=false"], '--leader-elect takes no value (got "false")'],
    [["extra"], 'unexpected argument "extra" (flags only)'],
    [["--"], 'unexpected argument "--" (flags only)'],
    [["--toString"], "unknown flag --toString"],
  ];
  for (const [args, message] of cases) {
    assert.throws(() => parseFlagArgs(args, OPTIONS), (error: unknown) => {
      assert.ok(error instanceof UsageError, `${args.join(" ")} gives a UsageError`);
      assert.equal((error as Error).message, message);
      return true;
    });
  }
});
