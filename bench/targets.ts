/**
 * The servers a scenario compares, in the order the runner alternates them.
 *
 * @module
 */

/** A runtime that can run a server or the load generator. */
export type RuntimeName = "deno" | "bun" | "node";

/** One server under test. */
export interface Target {
  /** Short id used in tables, e.g. `fullduplex-deno`. */
  id: string;
  /** The runtime executing the server. */
  runtime: RuntimeName;
  /** The server script, relative to the repository root. */
  script: string;
  /** The raw-runtime target its ratios are computed against. */
  baseline: string;
  /** The floor or fullduplex itself: gets the headline scenarios' extra rounds. */
  headline: boolean;
}

/** Every target, grouped by server runtime (Deno, Bun, then Node). */
export const TARGETS: readonly Target[] = [
  { id: "raw-deno", runtime: "deno", script: "bench/servers/raw_deno.ts", baseline: "raw-deno", headline: true },
  { id: "fullduplex-deno", runtime: "deno", script: "bench/servers/fullduplex.ts", baseline: "raw-deno", headline: true },
  { id: "crossws-deno", runtime: "deno", script: "bench/servers/crossws_deno.ts", baseline: "raw-deno", headline: false },
  { id: "raw-bun", runtime: "bun", script: "bench/servers/raw_bun.ts", baseline: "raw-bun", headline: true },
  { id: "fullduplex-bun", runtime: "bun", script: "bench/servers/fullduplex.ts", baseline: "raw-bun", headline: true },
  { id: "crossws-bun", runtime: "bun", script: "bench/servers/crossws_bun.ts", baseline: "raw-bun", headline: false },
  // Node has no raw engine of its own here; the fastest floor is the fair yardstick.
  { id: "ws-node", runtime: "node", script: "bench/servers/ws_node.mjs", baseline: "raw-bun", headline: false },
];

/** The repository root (this file lives in bench/). */
export const ROOT = new URL("../", import.meta.url).pathname;

/** The command line that runs `script` with `args` on a runtime (`denoFlags`: extra flags for Deno, e.g. `--unstable-net`). */
export function commandFor(runtime: RuntimeName, script: string, args: string[], denoFlags: string[] = []): string[] {
  const bin = `${ROOT}node_modules/.bin/`;
  if (runtime === "deno") return [`${bin}deno`, "run", "-A", "--no-check", ...denoFlags, `${ROOT}${script}`, ...args];
  if (runtime === "bun") return [`${bin}bun`, "run", `${ROOT}${script}`, ...args];
  return ["node", `${ROOT}${script}`, ...args];
}
