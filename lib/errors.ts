/**
 * Errors meant for the person at the command line, shared by the operator's flags (`main.ts`),
 * plumberctl and the benchmark: they are thrown in library code and turned into exit codes only at
 * an entry point, so tests can call commands as functions.
 *
 * @module
 */

/** Exit code of a runtime failure. */
export const EXIT_FAILURE = 1;
/** Exit code of a usage error (bad flag, missing flag, bad value), as kubectl and cliffy use it. */
export const EXIT_USAGE = 2;

/** A failure meant for the user: `message` is one sentence, printed as `<program>: <message>`. */
export class CliError extends Error {
  readonly exitCode: number;

  constructor(message: string, options: { exitCode?: number; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "CliError";
    this.exitCode = options.exitCode ?? EXIT_FAILURE;
  }
}

/** A usage error (exit 2); `command` names the plumberctl command whose help to point at ("" for none). */
export class UsageError extends CliError {
  readonly command: string;

  constructor(message: string, command = "") {
    super(message, { exitCode: EXIT_USAGE });
    this.name = "UsageError";
    this.command = command;
  }

  /** `see plumberctl add --help` */
  get hint(): string {
    return `see plumberctl ${this.command ? `${this.command} ` : ""}--help`;
  }
}
