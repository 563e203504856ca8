/**
 * `createHandler()`: the WebSocket side of fullduplex to mount in an app
 * that owns its Deno.serve or Bun.serve server.
 *
 * @module
 */

import { ServerCore } from "./core.ts";
import type { ShutdownOptions } from "./core.ts";
import type { WebSocketOptions } from "./options.ts";
import { withProtocolHandlers } from "../protocol/serve_options.ts";
import type { ProtocolHandlersOption } from "../protocol/serve_options.ts";
import type { AnyProtocol } from "../protocol/protocol.ts";
import type { ServerStats } from "./stats.ts";
import { topicMethods } from "./publish.ts";
import type { TopicMethods } from "./publish.ts";
import { isWebSocketUpgrade } from "./upgrade.ts";
import { detectRuntime } from "../shared/runtime.ts";
import { DENO_CAPABILITIES, denoUpgrade } from "../adapters/deno.ts";
import type { DenoServeInfo } from "../adapters/deno.ts";
import { BUN_CAPABILITIES, bunUpgrade, bunWebSocketHandler } from "../adapters/bun.ts";
import type { BunServer, BunWebSocketHandler } from "../adapters/bun.ts";
import { UnsupportedRuntimeError } from "../shared/errors.ts";

/**
 * The message Node.js users see when they try to start a server.
 *
 * @example
 * ```ts
 * import { NODE_SERVER_UNSUPPORTED, serve } from "fullduplex";
 * try { serve({ port: 0 }); } catch (err) {
 *   console.log((err as Error).message === NODE_SERVER_UNSUPPORTED); // true on Node.js
 * }
 * ```
 */
export const NODE_SERVER_UNSUPPORTED: string =
  "fullduplex servers run on Deno and Bun only: Node.js servers are not supported yet. " +
  "Run this file with `deno run -A` or `bun run`, or use the `ws` package on Node.js. " +
  "The fullduplex client (connect) works on Node.js 22+.";

/** Picks the runtime's capabilities, or throws a clear error on an unsupported runtime. */
export function serverRuntime(): "deno" | "bun" {
  const runtime = detectRuntime();
  if (runtime === "deno" || runtime === "bun") return runtime;
  throw new UnsupportedRuntimeError(runtime === "node" ? NODE_SERVER_UNSUPPORTED : `fullduplex servers need Deno or Bun, not ${runtime}`);
}

/**
 * A WebSocket endpoint to mount in your own server. On Deno use
 * `handleUpgrade(req, info)`; on Bun use `upgrade(req, server)` in `fetch`
 * and pass `websocket` to Bun.serve.
 *
 * @example
 * ```ts
 * import { createHandler } from "@fullduplex/fullduplex";
 * import type { WebSocketEndpoint } from "@fullduplex/fullduplex";
 * const ws: WebSocketEndpoint = createHandler({ message: (socket, msg) => socket.send(msg.bytes()) });
 * Deno.serve((req, info) => ws.handleUpgrade(req, info) ?? new Response("hello"));
 * console.log(ws.connections);
 * ```
 */
export interface WebSocketEndpoint<D = unknown> extends TopicMethods {
  /**
   * Deno: returns the 101 response (or a 4xx/5xx refusal) for a WebSocket
   * upgrade request, or `undefined` for any other request.
   */
  handleUpgrade(req: Request, info?: DenoServeInfo): Promise<Response> | undefined;
  /**
   * Bun: upgrades the request. Resolves to `undefined` once upgraded (return
   * that from `fetch`) or to a Response that refuses the upgrade (non-upgrade
   * requests get 426).
   */
  upgrade(req: Request, server: BunServer): Promise<Response | undefined>;
  /** Bun: the handler object to pass as Bun.serve's `websocket` option. */
  readonly websocket: BunWebSocketHandler<D>;
  /** Number of open connections. */
  readonly connections: number;
  /** Counters: refused upgrades, rate limiting, keep-alive, backpressure (a fresh snapshot per read). */
  readonly stats: ServerStats;
  /** Closes every connection with 1001 (or `code`), waits up to `timeout` ms, drops the rest. */
  shutdown(options?: ShutdownOptions): Promise<void>;
}

/**
 * Creates a WebSocket endpoint with fullduplex's behaviour (limits,
 * normalised close codes, guarded handlers) to mount in an app that owns
 * its server.
 *
 * @example Deno
 * ```ts
 * import { createHandler } from "@fullduplex/fullduplex";
 * const ws = createHandler({ message: (socket, msg) => socket.send(msg.text()) });
 * Deno.serve((req, info) => ws.handleUpgrade(req, info) ?? new Response("hello"));
 * ```
 *
 * @example Bun
 * ```ts ignore
 * import { createHandler } from "fullduplex";
 * const ws = createHandler({ message: (socket, msg) => socket.send(msg.text()) });
 * Bun.serve({
 *   fetch: (req, server) => new URL(req.url).pathname === "/ws" ? ws.upgrade(req, server) : new Response("hello"),
 *   websocket: ws.websocket,
 * });
 * ```
 */
export function createHandler<D = unknown, P extends AnyProtocol = AnyProtocol>(
  options: WebSocketOptions<D> & ProtocolHandlersOption<P, D> = {},
): WebSocketEndpoint<D> {
  const runtime = serverRuntime();
  const core = new ServerCore<D>(withProtocolHandlers(options), runtime === "deno" ? DENO_CAPABILITIES : BUN_CAPABILITIES);
  return endpointFor(core, runtime);
}

/** Wraps a core as an endpoint for the given runtime (used by serve() too). */
export function endpointFor<D>(core: ServerCore<D>, runtime: "deno" | "bun"): WebSocketEndpoint<D> {
  let bunHandler: BunWebSocketHandler<D> | undefined;
  const wrong = (what: string, use: string) =>
    new UnsupportedRuntimeError(`${what} is for ${runtime === "deno" ? "Bun" : "Deno"}; on ${runtime === "deno" ? "Deno" : "Bun"} use ${use}`);
  return {
    handleUpgrade(req, info) {
      if (runtime !== "deno") throw wrong("handleUpgrade()", "upgrade(req, server) and websocket");
      return isWebSocketUpgrade(req) ? denoUpgrade(core, req, info) : undefined;
    },
    upgrade(req, server) {
      if (runtime !== "bun") throw wrong("upgrade(req, server)", "handleUpgrade(req, info)");
      return bunUpgrade(core, req, server);
    },
    get websocket() {
      if (runtime !== "bun") throw wrong("websocket", "handleUpgrade(req, info)");
      return (bunHandler ??= bunWebSocketHandler(core));
    },
    get connections() {
      return core.connections.size;
    },
    get stats() {
      return core.stats;
    },
    ...topicMethods(core.topics),
    shutdown: (opts) => core.shutdown(opts),
  };
}
