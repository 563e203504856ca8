/**
 * Which JavaScript runtime this is. fullduplex's server needs Deno or Bun;
 * its client runs anywhere a standard `WebSocket` exists.
 *
 * @module
 */

/**
 * The runtimes fullduplex tells apart.
 *
 * @example
 * ```ts
 * import { detectRuntime } from "./runtime.ts";
 * import type { RuntimeName } from "./runtime.ts";
 * const runtime: RuntimeName = detectRuntime();
 * if (runtime === "node") console.log("use the client only");
 * ```
 */
export type RuntimeName = "deno" | "bun" | "node" | "browser" | "unknown";

/**
 * Names the runtime the code runs on. Bun is checked first: it also defines
 * `process`, and a Deno build could one day define `Bun` shims, never the reverse.
 *
 * @example
 * ```ts
 * import { detectRuntime } from "./runtime.ts";
 * console.log(detectRuntime()); // "deno" or "bun"
 * ```
 */
export function detectRuntime(): RuntimeName {
  const g = globalThis as Record<string, unknown>;
  if (typeof g.Bun === "object" && g.Bun !== null) return "bun";
  if (typeof g.Deno === "object" && g.Deno !== null) return "deno";
  const proc = g.process as { versions?: { node?: string } } | undefined;
  if (proc?.versions?.node) return "node";
  if (typeof g.document === "object") return "browser";
  return "unknown";
}
