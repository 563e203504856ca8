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

/** Formats bytes the way the Dart tutorial prints a list: `[1, 2, 3]`. */
export function formatBytes(bytes: Uint8Array): string {
  return `[${Array.from(bytes).join(", ")}]`;
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
