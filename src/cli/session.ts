/**
 * Runs the client side of `fullduplex`: connects with the command's
 * options, then either sends one message and prints the reply (one-shot) or
 * hands over to the interactive loop. Returns the exit code; it never calls
 * process.exit itself.
 *
 * @module
 */

import { readFileSync } from "node:fs";
import process from "node:process";
import { connect, ConnectError } from "../client/mod.ts";
import type { Client, CloseInfo } from "../client/mod.ts";
import { detectRuntime } from "../shared/runtime.ts";
import { ExitCode } from "./exit_codes.ts";
import type { ExitCodeValue } from "./exit_codes.ts";
import { runInteractive } from "./interactive.ts";
import { DEFAULT_QUIET_TIMEOUT, DEFAULT_REPLY_TIMEOUT } from "./options.ts";
import type { ClientCommand } from "./options.ts";
import { NORMAL_CLOSE_REASON, processLines, standardOutput } from "./output.ts";
import type { ClientOutput, Lines } from "./output.ts";
import { UsageError } from "./usage_error.ts";

/** What a session reads from and writes to: the process's stdio, and an output format. */
export interface SessionIO {
  /** Line sinks for stdout and stderr. */
  lines: Lines;
  /** Builds the output over `lines`; `prefix` goes before message lines ("< " at the interactive prompt). */
  makeOutput(lines: Lines, prefix: string): ClientOutput;
  /** Where interactive messages come from. */
  stdin: NodeJS.ReadStream;
  /** Where the interactive prompt goes. */
  stdout: NodeJS.WriteStream;
}

/** The process's stdio with the command's standard output format (client.ts swaps in its own). */
export function processIO(command: ClientCommand, makeOutput?: SessionIO["makeOutput"]): SessionIO {
  return {
    lines: processLines,
    makeOutput: makeOutput ?? ((lines, prefix) => standardOutput(lines, { pretty: command.pretty, quiet: command.quiet, prefix })),
    stdin: process.stdin,
    stdout: process.stdout,
  };
}

/** Connects and runs the command; resolves with the exit code. Throws UsageError for what the runtime cannot do. */
export async function runClient(command: ClientCommand, io: SessionIO = processIO(command)): Promise<ExitCodeValue> {
  const runtime = detectRuntime();
  const nativeOptions = runtime === "deno" || runtime === "bun";
  // Node.js's (and browsers') WebSocket takes only a URL and protocols.
  if (command.headers && !nativeOptions) {
    throw new UsageError(
      "-H needs Deno or Bun: Node.js's WebSocket cannot send custom handshake headers. " +
        "Run `bunx --bun fullduplex …` or `deno run -A jsr:@fullduplex/fullduplex/cli …`",
    );
  }
  if (command.caFile !== undefined && !nativeOptions) {
    throw new UsageError(
      `--ca needs Deno or Bun; on Node.js start it with NODE_EXTRA_CA_CERTS=${command.caFile} instead (read once at start-up)`,
    );
  }
  if (typeof (globalThis as { WebSocket?: unknown }).WebSocket !== "function") {
    const version = (globalThis as { process?: { version?: string } }).process?.version ?? "";
    io.lines.err(
      `Error: this runtime has no global WebSocket${version ? ` (Node.js ${version})` : ""}: ` +
        "use Node.js 22 or later (on Node.js 20: node --experimental-websocket), Bun or Deno",
    );
    return ExitCode.Failed;
  }
  let ca: string | undefined;
  if (command.caFile !== undefined) {
    try {
      ca = readFileSync(command.caFile, "utf8");
    } catch (err) {
      throw new UsageError(`cannot read the --ca file: ${err instanceof Error ? err.message : String(err)}`);
    }
    if (!ca.includes("-----BEGIN CERTIFICATE-----")) {
      throw new UsageError(`--ca ${command.caFile} holds no PEM certificate (-----BEGIN CERTIFICATE-----)`);
    }
  }

  const interactive = command.payload === undefined;
  const tty = interactive && io.stdin.isTTY === true;
  const output = io.makeOutput(io.lines, "");
  let client: Client;
  try {
    client = await connect(command.url, { protocols: command.protocols, headers: command.headers, ca, timeout: command.connectTimeout });
  } catch (err) {
    output.error(err instanceof Error ? err.message : String(err));
    // connect() says "timed out after N ms" when the handshake did not finish in time.
    return err instanceof ConnectError && /timed out/.test(err.message) ? ExitCode.Timeout : ExitCode.Failed;
  }
  output.connected(command.url, client.protocol);
  if (interactive) {
    return await runInteractive(client, {
      wait: command.wait,
      quietTimeout: command.timeout ?? DEFAULT_QUIET_TIMEOUT,
      tty,
      stdin: io.stdin,
      stdout: io.stdout,
      lines: io.lines,
      makeOutput: io.makeOutput,
    });
  }
  client.on("error", (err) => output.error(err.message));
  return await runOneShot(client, command, command.payload!, output);
}

/** Sends `payload`, prints the first reply (and later ones with --wait), closes. */
function runOneShot(client: Client, command: ClientCommand, payload: string | Uint8Array, output: ClientOutput): Promise<ExitCodeValue> {
  return new Promise<ExitCodeValue>((resolve) => {
    let replied = false;
    let closing = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const done = (code: ExitCodeValue) => {
      clearTimeout(timer);
      process.off("SIGINT", onInterrupt);
      resolve(code);
    };
    /** This side ends the session: close with 1000 "done" and report only a close that went wrong. */
    const closeWith = (code: ExitCodeValue) => {
      if (closing) return;
      closing = true;
      client.close(1000, NORMAL_CLOSE_REASON).then((info: CloseInfo) => {
        if (info.code !== 1000) output.closed(info, "client");
        done(code);
      });
    };
    const onInterrupt = () => closeWith(replied || command.wait ? ExitCode.Ok : ExitCode.Interrupted);
    process.on("SIGINT", onInterrupt);

    const off = client.on("message", (msg) => {
      if (closing) return;
      output.message(msg);
      if (replied) return;
      replied = true;
      clearTimeout(timer);
      if (!command.wait) {
        off(); // exactly one reply: whatever arrives while closing is not printed
        closeWith(ExitCode.Ok);
      }
    });
    client.closed.then((info) => {
      if (closing) return;
      closing = true;
      if (replied) {
        output.closed(info, "server");
        done(info.code === 1000 ? ExitCode.Ok : ExitCode.Closed);
      } else {
        output.error(`${command.url} closed the connection (${info.code}${info.reason ? ` ${info.reason}` : ""}) before replying`);
        done(ExitCode.Closed);
      }
    });
    const replyTimeout = command.timeout ?? (command.wait ? undefined : DEFAULT_REPLY_TIMEOUT);
    if (replyTimeout !== undefined) {
      const ms = replyTimeout;
      timer = setTimeout(() => {
        output.error(`no reply from ${command.url} within ${ms} ms`);
        closeWith(ExitCode.Timeout);
      }, ms);
    }
    try {
      client.send(payload);
    } catch (err) {
      output.error(err instanceof Error ? err.message : String(err));
      closeWith(ExitCode.Failed);
    }
  });
}
