/**
 * Where the command's lines go: received messages on stdout (so they can be
 * piped), status lines (Connected, Closed) and errors on stderr.
 *
 * @module
 */

import process from "node:process";
import type { CloseInfo, Message } from "../client/mod.ts";
import { renderMessage } from "./render.ts";

/**
 * The reason of every normal close this side makes (one-shot done, end of
 * input, Ctrl-C, /quit): what client.ts always sent, so servers see the same.
 */
export const NORMAL_CLOSE_REASON = "done";

/** Two line sinks: stdout and stderr (the interactive prompt wraps them to keep its line intact). */
export interface Lines {
  /** Writes one line to stdout. */
  out(line: string): void;
  /** Writes one line to stderr. */
  err(line: string): void;
}

/** The process's own stdout and stderr. */
export const processLines: Lines = {
  out: (line) => void process.stdout.write(`${line}\n`),
  err: (line) => void process.stderr.write(`${line}\n`),
};

/** Resolves once what was written to stdout and stderr is handed to the OS (before process.exit). */
export function flushStdio(): Promise<void> {
  const flush = (stream: NodeJS.WriteStream) => new Promise<void>((resolve) => stream.write("", () => resolve()));
  return Promise.all([flush(process.stdout), flush(process.stderr)]).then(() => {});
}

/** What a client session reports, and how: the command's default, or client.ts's tutorial lines. */
export interface ClientOutput {
  /** The connection is open; `protocol` is the agreed subprotocol or "". */
  connected(url: string, protocol: string): void;
  /** A message arrived. */
  message(msg: Message): void;
  /** The connection closed: by the server, or after this side closed it. */
  closed(info: CloseInfo, by: "server" | "client"): void;
  /** Something failed (printed as `Error: …`). */
  error(text: string): void;
  /** A hint for people at a terminal (how to quit, the commands). */
  hint(text: string): void;
}

/** Options of {@link standardOutput}. */
export interface StandardOutputOptions {
  /** Pretty-print JSON text. */
  pretty: boolean;
  /** Leave out status lines and hints. */
  quiet: boolean;
  /** Put before every message line (`"< "` at the interactive prompt). */
  prefix?: string;
}

/** The command's output: messages on stdout, the rest on stderr. */
export function standardOutput(lines: Lines, options: StandardOutputOptions): ClientOutput {
  const prefix = options.prefix ?? "";
  const status = (line: string) => {
    if (!options.quiet) lines.err(line);
  };
  return {
    connected: (url, protocol) => status(`Connected to ${url}${protocol ? ` (subprotocol ${protocol})` : ""}`),
    message(msg) {
      for (const line of renderMessage(msg, { pretty: options.pretty })) lines.out(prefix + line);
    },
    closed(info, by) {
      status(`${by === "server" ? "Closed by the server" : "Closed"} (${info.code}${info.reason ? ` ${info.reason}` : ""})`);
    },
    error: (text) => lines.err(`Error: ${text}`),
    hint: status,
  };
}
