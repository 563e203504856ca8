/**
 * The exit codes of the `fullduplex` command, one per kind of outcome, so a
 * script can tell a refused connection from a silent server.
 *
 * @module
 */

/**
 * Exit codes of the `fullduplex` command.
 *
 * @example
 * ```ts
 * import { ExitCode } from "./exit_codes.ts";
 * console.log(ExitCode.Timeout); // 3
 * ```
 */
export const ExitCode = {
  /** Done: the reply arrived (one-shot), or the connection closed normally (1000, or you quit). */
  Ok: 0,
  /** Could not connect (refused, DNS, TLS, handshake refused), or anything else went wrong. */
  Failed: 1,
  /** Bad arguments, or an option this runtime cannot honour (headers or --ca on Node.js). */
  Usage: 2,
  /** Timed out: the connection did not open within --connect-timeout, or no reply came within --timeout. */
  Timeout: 3,
  /** The server closed the connection before replying, or with a code other than 1000. */
  Closed: 4,
  /** Interrupted (Ctrl-C) before the reply came; the connection was closed cleanly first. */
  Interrupted: 130,
} as const;

/** One of {@link ExitCode}'s values. */
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/** The exit codes as the help text lists them. */
export const EXIT_CODE_HELP: string = [
  "  0  done: the reply arrived (one-shot), or the connection closed with 1000 or you quit",
  "  1  could not connect (refused, DNS, TLS, handshake refused) or another error",
  "  2  usage error (bad option or value; -H or --ca where the runtime cannot send them)",
  "  3  timed out: no connection within --connect-timeout, or no reply within --timeout",
  "  4  the server closed the connection before replying, or with a code other than 1000",
  "  130  interrupted (Ctrl-C) before the reply (with --wait or -i, Ctrl-C is a normal end: 0)",
].join("\n");
