/**
 * Picks the adapter for the runtime this code runs on and the engine asked
 * for: the only place that does (serve() and createHandler() both come
 * here), and the only place the typed protocol's `protocol` option is
 * turned into handlers. Internal, except {@link EngineOptions}.
 *
 * @module
 */

import { UnsupportedRuntimeError } from "../shared/errors.ts";
import { detectRuntime } from "../shared/runtime.ts";
import type { WebSocketOptions } from "../server/options.ts";
import { BunAdapter } from "../adapters/bun.ts";
import { DenoAdapter } from "../adapters/deno.ts";
import { WsAdapter } from "../adapters/ws.ts";
import type { WsPerMessageDeflate } from "../adapters/ws_api.ts";
import { withProtocolHandlers } from "../protocol/serve_options.ts";
import { withChannelLayer } from "../channels/service.ts";
import type { ProtocolHandlersOption } from "../protocol/serve_options.ts";
import type { AnyProtocol } from "../protocol/protocol.ts";

/** The message Node.js users see when they try to start a server. */
export const NODE_SERVER_UNSUPPORTED: string = "fullduplex servers run on Deno and Bun only: Node.js servers are not supported yet. " +
  "Run this file with `deno run -A` or `bun run`, or use the `ws` package on Node.js. " +
  "The fullduplex client (connect) works on Node.js 22+.";

/**
 * Which WebSocket engine serves an endpoint. `"native"` (the default) is
 * the runtime's own: Deno.upgradeWebSocket on Deno, Bun's uWS on Bun.
 * `"ws"`, on Deno only, is the npm package `ws` (install it: it is an
 * optional peer dependency) over `node:http`: it refuses unmasked client
 * frames (1002), refuses a message over `maxMessageBytes` from its frame
 * headers instead of reading it whole, really drops connections
 * (`terminate()`, keep-alive), and can agree to permessage-deflate
 * (`perMessageDeflate`). It costs about the same CPU as Deno's engine for
 * small messages and ~1.5× for 64 KiB ones (less with `bufferutil` and
 * `--allow-ffi`); bench/FINDINGS.md, "ws on Deno".
 *
 * @example
 * ```ts
 * import { serve } from "@fullduplex/fullduplex";
 * import type { EngineOptions } from "@fullduplex/fullduplex";
 * const engine: EngineOptions = { engine: "ws", perMessageDeflate: true };
 * const server = serve({ port: 0, ...engine });
 * await server.ready; // rejects if the npm package "ws" is missing
 * ```
 */
export interface EngineOptions {
  /** The WebSocket engine: `"native"` (default) or, on Deno, `"ws"`. */
  engine?: "native" | "ws";
  /**
   * permessage-deflate (RFC 7692), engine `"ws"` only: `true` for ws's
   * defaults, or its settings. Default off, as on the native engines.
   * `maxMessageBytes` limits the decompressed size.
   */
  perMessageDeflate?: boolean | WsPerMessageDeflate;
}

/** One endpoint's adapter: `engine` tells which. */
export type ServerAdapter<D> = DenoAdapter<D> | BunAdapter<D> | WsAdapter<D>;

/** The server runtime this is, or a clear error on an unsupported one. */
export function serverRuntime(): "deno" | "bun" {
  const runtime = detectRuntime();
  if (runtime === "deno" || runtime === "bun") return runtime;
  throw new UnsupportedRuntimeError(runtime === "node" ? NODE_SERVER_UNSUPPORTED : `fullduplex servers need Deno or Bun, not ${runtime}`);
}

/** The engine asked for, checked against this runtime and the options that need it. */
function engineOf(options: EngineOptions, runtime: "deno" | "bun"): "native" | "ws" {
  const engine = options.engine ?? "native";
  if (engine !== "native" && engine !== "ws") {
    throw new TypeError(`engine must be "native" or "ws", got ${JSON.stringify(engine)}`);
  }
  if (engine === "ws" && runtime !== "deno") {
    throw new UnsupportedRuntimeError(
      `engine "ws" is for Deno (it replaces Deno's own WebSocket engine); on Bun fullduplex runs on Bun's engine: leave engine unset`,
    );
  }
  const deflate = options.perMessageDeflate;
  if (deflate !== undefined && deflate !== false && engine !== "ws") {
    throw new TypeError(`perMessageDeflate needs engine "ws" (on Deno); the native engines run without compression in fullduplex`);
  }
  if (deflate !== undefined && typeof deflate !== "boolean" && (typeof deflate !== "object" || deflate === null)) {
    throw new TypeError(`perMessageDeflate must be a boolean or an object of ws's permessage-deflate settings`);
  }
  return engine;
}

/** Creates the adapter (and with it the core) of one endpoint for this runtime and engine. */
export function adapterFor<D, P extends AnyProtocol>(
  options: WebSocketOptions<D> & ProtocolHandlersOption<P, D> & EngineOptions,
): ServerAdapter<D> {
  const runtime = serverRuntime();
  const engine = engineOf(options, runtime);
  const handlers = withChannelLayer(withProtocolHandlers(options));
  if (engine === "ws") return new WsAdapter<D>(handlers, { perMessageDeflate: options.perMessageDeflate });
  return runtime === "deno" ? new DenoAdapter<D>(handlers) : new BunAdapter<D>(handlers);
}
