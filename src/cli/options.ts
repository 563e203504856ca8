/**
 * The command line of the client side of `fullduplex`: what to connect to,
 * what to send, and how to show what comes back. Parsing only; nothing here
 * touches the network or the terminal.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { UsageError } from "./usage_error.ts";
import { parseByteList, parseDuration, parseHeader, parseHex, parseWebSocketUrl } from "./values.ts";

/** Milliseconds a connection may take to open, unless --connect-timeout says otherwise. */
export const DEFAULT_CONNECT_TIMEOUT = 10_000;
/** Milliseconds a one-shot waits for its reply, unless --timeout says otherwise (--wait alone waits forever). */
export const DEFAULT_REPLY_TIMEOUT = 10_000;
/**
 * Interactive: once the input has ended, close after this many milliseconds
 * without a message (unless --timeout says otherwise). Waiting is needed:
 * a client that closes at once never sees the replies still on their way,
 * since a WebSocket in the CLOSING state drops what arrives (the WHATWG
 * rule, which Bun's client and browsers follow; Deno's delivers them).
 */
export const DEFAULT_QUIET_TIMEOUT = 500;

/** What the client side was asked to do. */
export interface ClientCommand {
  /** The ws:/wss: URL, as written (a missing scheme becomes ws://). */
  url: string;
  /** One-shot: the message to send (text, or bytes for --hex/--binary). `undefined`: interactive. */
  payload: string | Uint8Array | undefined;
  /** Subprotocols to offer, in order. */
  protocols: string[];
  /** Handshake headers from -H, or `undefined` when none were given. */
  headers: Record<string, string> | undefined;
  /** Path of a PEM file with the CA(s) to trust for wss://. */
  caFile: string | undefined;
  /** Ms the connection may take to open. */
  connectTimeout: number;
  /**
   * --timeout in ms, if given. One-shot: the longest wait for the reply
   * (default {@link DEFAULT_REPLY_TIMEOUT}, none with --wait). Interactive:
   * after the input ends, close once nothing has arrived for this long
   * (default {@link DEFAULT_QUIET_TIMEOUT}).
   */
  timeout: number | undefined;
  /** Keep printing messages after the first reply (one-shot) or after stdin ends (interactive). */
  wait: boolean;
  /** Pretty-print JSON text. */
  pretty: boolean;
  /** No status lines (Connected, Closed) on stderr; errors are still printed. */
  quiet: boolean;
}

/** What a command line asks for. */
export type ParsedCommandLine =
  | { kind: "help" }
  | { kind: "version" }
  | { kind: "client"; command: ClientCommand };

/** The options of the client side, as node:util's parseArgs takes them. */
const OPTIONS = {
  subprotocol: { type: "string", short: "s", multiple: true },
  header: { type: "string", short: "H", multiple: true },
  "connect-timeout": { type: "string" },
  timeout: { type: "string", short: "t" },
  ca: { type: "string" },
  json: { type: "string" },
  hex: { type: "string" },
  binary: { type: "string" },
  interactive: { type: "boolean", short: "i" },
  wait: { type: "boolean", short: "w" },
  pretty: { type: "boolean", short: "p" },
  quiet: { type: "boolean", short: "q" },
  help: { type: "boolean", short: "h" },
  version: { type: "boolean", short: "V" },
} as const;

/** Parses the client side's arguments (everything after the command name). */
export function parseClientArgs(args: string[]): ParsedCommandLine {
  let parsed;
  try {
    parsed = parseArgs({ args, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
  const { values, positionals } = parsed;
  if (values.help) return { kind: "help" };
  if (values.version) return { kind: "version" };
  if (positionals.length === 0) throw new UsageError("which server? Give a URL, e.g. fullduplex ws://localhost:8080");
  if (positionals.length > 2) {
    const n = positionals.length - 1;
    throw new UsageError(`one message at a time: quote it (fullduplex URL "hello world"), got ${n} arguments after the URL`);
  }
  const url = parseWebSocketUrl(positionals[0]);

  const sources = [
    positionals[1] !== undefined ? "a message" : undefined,
    values.json !== undefined ? "--json" : undefined,
    values.hex !== undefined ? "--hex" : undefined,
    values.binary !== undefined ? "--binary" : undefined,
  ].filter((s) => s !== undefined);
  if (sources.length > 1) throw new UsageError(`send one thing: got ${sources.join(" and ")}`);
  let payload: string | Uint8Array | undefined = positionals[1];
  if (values.json !== undefined) {
    try {
      payload = JSON.stringify(JSON.parse(values.json));
    } catch (err) {
      throw new UsageError(`--json is not valid JSON: ${err instanceof Error ? err.message : String(err)}`);
    }
  } else if (values.hex !== undefined) payload = parseHex("--hex", values.hex);
  else if (values.binary !== undefined) payload = parseByteList("--binary", values.binary);
  if (values.interactive && payload !== undefined) {
    throw new UsageError(`-i reads the messages from stdin: leave out ${sources[0]}, or leave out -i to send just that`);
  }

  let headers: Record<string, string> | undefined;
  for (const line of values.header ?? []) {
    const [name, value] = parseHeader(line);
    headers ??= {};
    headers[name] = value;
  }
  const protocols = (values.subprotocol ?? []).flatMap((p) => p.split(",")).map((p) => p.trim()).filter((p) => p !== "");
  if (values.ca === "") throw new UsageError("--ca takes the path of a PEM file");
  const wait = values.wait === true;
  return {
    kind: "client",
    command: {
      url,
      payload,
      protocols,
      headers,
      caFile: values.ca,
      connectTimeout: values["connect-timeout"] === undefined
        ? DEFAULT_CONNECT_TIMEOUT
        : parseDuration("--connect-timeout", values["connect-timeout"]),
      timeout: values.timeout === undefined ? undefined : parseDuration("--timeout", values.timeout),
      wait,
      pretty: values.pretty === true,
      quiet: values.quiet === true,
    },
  };
}
