/**
 * The `fullduplex` command: the client side (`fullduplex URL …`) and,
 * through the `serve` hook, the demo server (`fullduplex serve …`). The
 * entry files (cli.ts for JSR and npm, client.ts in the repository) call
 * {@link runCli} and exit with what it returns.
 *
 * @module
 */

import { ExitCode } from "./exit_codes.ts";
import { HELP } from "./help.ts";
import { parseClientArgs } from "./options.ts";
import { processLines } from "./output.ts";
import type { Lines } from "./output.ts";
import { processIO, runClient } from "./session.ts";
import { UsageError } from "./usage_error.ts";
import { VERSION } from "./version.ts";

/** What runCli needs from its caller. */
export interface CliHooks {
  /** Runs `fullduplex serve ARGS` and resolves with its exit code once the server stopped. */
  serve(args: string[]): Promise<number>;
  /** Where help, version and usage errors go (the process's stdout and stderr by default). */
  lines?: Lines;
}

/** Runs the command line `args` (without the program name); resolves with the exit code. */
export async function runCli(args: string[], hooks: CliHooks): Promise<number> {
  const lines = hooks.lines ?? processLines;
  if (args[0] === "serve") return await hooks.serve(args.slice(1));
  try {
    const parsed = parseClientArgs(args);
    if (parsed.kind === "help") {
      lines.out(HELP.trimEnd());
      return ExitCode.Ok;
    }
    if (parsed.kind === "version") {
      lines.out(`fullduplex ${VERSION}`);
      return ExitCode.Ok;
    }
    return await runClient(parsed.command, processIO(parsed.command));
  } catch (err) {
    if (err instanceof UsageError) {
      lines.err(`Error: ${err.message}`);
      lines.err("Run fullduplex --help for the options.");
      return ExitCode.Usage;
    }
    throw err;
  }
}
