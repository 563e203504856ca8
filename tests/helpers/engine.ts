/**
 * The WebSocket engine the server tests run on, and `serve` /
 * `createHandler` that use it. `FULLDUPLEX_TEST_ENGINE=ws deno test -A
 * tests/` (`npm run test:ws`) runs every server test on the ws engine (the
 * npm package `ws` over node:http); unset, or `native`, they run on the
 * runtime's own engine, exactly as before (no `engine` option is passed).
 *
 * The library itself reads no environment variable: the switch lives
 * here, in what the tests import instead of mod.ts's `serve` and
 * `createHandler`. On Bun the variable is ignored (engine "ws" is for
 * Deno; fixtures spawned on Bun from a ws run of the Deno suite run on
 * Bun's engine, as the other runtime's servers always do).
 *
 * Tests whose expectation depends on the engine read {@link TEST_ENGINE}
 * (or {@link ENGINE}: "deno", "bun" or "ws") and assert the ws engine's
 * behaviour where it differs; none is skipped for it.
 */

import process from "node:process";
import { createHandler as libCreateHandler, serve as libServe } from "../../mod.ts";
import { RUNTIME } from "./runtime.ts";

function engineFromEnv(): "native" | "ws" {
  const asked = process.env.FULLDUPLEX_TEST_ENGINE ?? "";
  if (asked === "" || asked === "native") return "native";
  if (asked !== "ws") throw new Error(`FULLDUPLEX_TEST_ENGINE must be "native" or "ws", not ${JSON.stringify(asked)}`);
  return RUNTIME === "deno" ? "ws" : "native";
}

/** The engine the server tests run on here: "ws" only on Deno with FULLDUPLEX_TEST_ENGINE=ws. */
export const TEST_ENGINE: "native" | "ws" = engineFromEnv();

/** The engine as one name: "deno" or "bun" for the native engines, "ws" for the ws engine. */
export const ENGINE: "deno" | "bun" | "ws" = TEST_ENGINE === "ws" ? "ws" : RUNTIME;

/** Adds the test engine to options (nothing at all on the native engine). */
function withEngine<O extends object>(options: O): O {
  return TEST_ENGINE === "ws" && !("engine" in options) ? { engine: "ws", ...options } : options;
}

/** mod.ts's `serve`, on the test engine. */
export const serve: typeof libServe = (options = {}) => libServe(withEngine(options));

/** mod.ts's `createHandler`, on the test engine (mount it with helpers/server.ts `mount`). */
export const createHandler: typeof libCreateHandler = (options = {}) => libCreateHandler(withEngine(options));
