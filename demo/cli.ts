/**
 * Small helpers shared by the runnable scripts (server.ts, client.ts,
 * examples/): arguments and exit, the same on Deno and Bun.
 *
 * @module
 */

import process from "node:process";

/** Command-line arguments after the script name. */
export function scriptArgs(): string[] {
  return process.argv.slice(2);
}

/** Messages up to this many bytes are printed whole; longer ones by their size and first bytes. */
const WHOLE_BYTES = 16;
/** How many leading bytes describe a longer binary message. */
const FIRST_BYTES = 8;
/** Text messages up to this many characters are printed whole. */
const WHOLE_TEXT = 1024;

/**
 * Formats bytes the way the Dart tutorial prints a list, `[1, 2, 3]`, for
 * short messages; a longer one as its size and first bytes,
 * `65536 bytes [1, 2, 3, 4, 5, 6, 7, 8, …]`, so that logging a large message
 * costs a few bytes of output rather than a list of every byte.
 */
export function formatBytes(bytes: Uint8Array): string {
  if (bytes.length <= WHOLE_BYTES) return `[${Array.from(bytes).join(", ")}]`;
  return `${bytes.length} bytes [${Array.from(bytes.subarray(0, FIRST_BYTES)).join(", ")}, …]`;
}

/** A text message for a log line: whole when short, else its start and its length. */
export function formatText(text: string): string {
  if (text.length <= WHOLE_TEXT) return text;
  return `${text.slice(0, 64)}… (${text.length} characters)`;
}

/** The message of an error, for `Error: …` lines. */
export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Runs `fn` on SIGINT and SIGTERM (once). */
export function onShutdownSignal(fn: () => void | Promise<void>): void {
  let started = false;
  const handler = () => {
    if (started) return;
    started = true;
    void fn();
  };
  process.on("SIGINT", handler);
  process.on("SIGTERM", handler);
}

/** Ends the process with a code. */
export function exit(code: number): never {
  process.exit(code);
}
