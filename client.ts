/**
 * The seeds' command-line client: `fullduplex` (cli.ts) with the tutorial's
 * defaults and output. `fullduplex --help` describes the options; this file
 * adds:
 *
 *   bun run client.ts [url] [message]          url defaults to ws://localhost:8080,
 *                                              message to "Hello from fullduplex!"
 *   bun run client.ts [url] --json '{"type":"greeting","content":"Hello Server"}'
 *   bun run client.ts [url] --binary 1,2,3
 *   bun run client.ts [url] -i                 send each stdin line, print replies until EOF
 *   deno run -A client.ts …
 *
 * and prints what the tutorial shows, on stdout: `Connected to <url>`, then
 * `Received: <text>` or `Received binary: [1, 2, 3]` per reply
 * (`Connection closed (code reason)` when the server ends an interactive
 * session). Errors go to stderr as `Error: …`. `--timeout MS` bounds both the
 * connection and the reply, as it always did.
 *
 * @module
 */

import process from "node:process";
import { parseClientArgs } from "./src/cli/options.ts";
import { flushStdio, processLines } from "./src/cli/output.ts";
import type { ClientOutput, Lines } from "./src/cli/output.ts";
import { processIO, runClient } from "./src/cli/session.ts";
import { HELP } from "./src/cli/help.ts";
import { UsageError } from "./src/cli/usage_error.ts";
import { formatBytes, scriptArgs } from "./demo/cli.ts";

const DEFAULT_URL = "ws://localhost:8080";
const DEFAULT_MESSAGE = "Hello from fullduplex!";

/** The tutorial's lines, all on stdout except errors. */
function tutorialOutput(lines: Lines): ClientOutput {
  return {
    connected: (url) => lines.out(`Connected to ${url}`),
    message: (msg) => lines.out(msg.kind === "text" ? `Received: ${msg.text()}` : `Received binary: ${formatBytes(msg.bytes())}`),
    closed(info, by) {
      if (by === "server") lines.out(`Connection closed (${info.code}${info.reason ? ` ${info.reason}` : ""})`);
    },
    error: (text) => lines.err(`Error: ${text}`),
    hint: () => {},
  };
}

async function run(args: string[]): Promise<number> {
  // The tutorial's defaults: a URL when none is given, a greeting when nothing is to be sent.
  const first = args.find((a) => !a.startsWith("-"));
  if (first === undefined || !/^wss?:|:\/\/|^[\w.-]+:\d/.test(first)) args = [DEFAULT_URL, ...args];
  let parsed;
  try {
    parsed = parseClientArgs(args);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    processLines.err(`Error: ${err.message}`);
    return 2;
  }
  if (parsed.kind !== "client") {
    processLines.out(parsed.kind === "help" ? `usage: client.ts [url] [message] [options]: fullduplex's options\n\n${HELP}` : "client.ts");
    return 0;
  }
  const command = parsed.command;
  const interactive = args.includes("-i") || args.includes("--interactive");
  if (command.payload === undefined && !interactive) command.payload = DEFAULT_MESSAGE;
  // --timeout bounded the connection too (and, with -i, only the connection).
  if (command.timeout !== undefined && !args.includes("--connect-timeout")) command.connectTimeout = command.timeout;
  if (interactive) command.timeout = undefined;
  try {
    return await runClient(command, processIO(command, (lines) => tutorialOutput(lines)));
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    processLines.err(`Error: ${err.message}`);
    return 2;
  }
}

const code = await run(scriptArgs());
await flushStdio();
process.exit(code);
