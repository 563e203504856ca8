/**
 * `createHandler()`: the WebSocket side of fullduplex to mount in an app
 * that owns its Deno.serve, Bun.serve or (engine "ws") `node:http` server,
 * and the endpoint wrapper `serve()` builds on.
 *
 * @module
 */

import type { ShutdownOptions } from "../server/shutdown.ts";
import type { WebSocketOptions } from "../server/options.ts";
import type { MetricsOptions } from "../server/metrics.ts";
import type { ServerStats } from "../server/stats.ts";
import type { PresenceMember } from "../shared/channel_wire.ts";
import { topicMethods } from "../server/publish.ts";
import type { TopicMethods } from "../server/publish.ts";
import { isWebSocketUpgrade } from "../server/upgrade.ts";
import { UnsupportedRuntimeError } from "../shared/errors.ts";
import type { DenoServeInfo } from "../adapters/deno_api.ts";
import type { BunServer, BunWebSocketHandler } from "../adapters/bun_api.ts";
import type { NodeUpgradeRequest, NodeUpgradeSocket } from "../adapters/node_http_api.ts";
import type { ProtocolHandlersOption } from "../protocol/serve_options.ts";
import type { AnyProtocol } from "../protocol/protocol.ts";
import { adapterFor } from "./adapter.ts";
import type { EngineOptions, ServerAdapter } from "./adapter.ts";

/**
 * A WebSocket endpoint to mount in your own server. On Deno use
 * `handleUpgrade(req, info)`; on Bun use `upgrade(req, server)` in `fetch`
 * and pass `websocket` to Bun.serve; with `engine: "ws"` (Deno) use
 * `handleNodeUpgrade(req, socket, head)` in a `node:http` server's
 * `upgrade` event. The methods of another runtime or engine throw an
 * UnsupportedRuntimeError that names the right one.
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
  /**
   * Engine "ws" (Deno): upgrades the raw socket of a `node:http` (or
   * `node:https`) server's `upgrade` event, or writes the refusal
   * (4xx/5xx) to it. Resolves once done; never rejects (a failure is
   * answered on the socket and goes to the `error` handler).
   *
   * @example
   * ```ts
   * import { createServer } from "node:http";
   * import { createHandler } from "@fullduplex/fullduplex";
   * const ws = createHandler({ engine: "ws", message: (socket, msg) => socket.send(msg.text()) });
   * const server = createServer((_req, res) => res.end("hello"));
   * server.on("upgrade", (req, socket, head) => ws.handleNodeUpgrade(req, socket, head));
   * server.listen(8080);
   * ```
   */
  handleNodeUpgrade(req: NodeUpgradeRequest, socket: NodeUpgradeSocket, head: Uint8Array): Promise<void>;
  /** Number of open connections. */
  readonly connections: number;
  /** Counters: refused upgrades, rate limiting, keep-alive, backpressure (a fresh snapshot per read). */
  readonly stats: ServerStats;
  /**
   * The members of `topic`'s presence: every socket subscribed to it with
   * `presence: true`, on this server and on every server sharing the
   * broker. Throws an InvalidStateError without `channels.presence`.
   */
  presence(topic: string): PresenceMember[];
  /**
   * The endpoint's figures in the Prometheus text format 0.0.4: every
   * `stats` counter, gauges (open connections, pending upgrades, queued
   * bytes, subscribers of the busiest topics) and histograms (received
   * message sizes, connection durations). Serve it with the content type
   * `text/plain; version=0.0.4`.
   *
   * @example Serving it at /metrics next to the endpoint (Deno)
   * ```ts
   * import { createHandler } from "@fullduplex/fullduplex";
   * const ws = createHandler({ open: (socket) => socket.subscribe("news") });
   * Deno.serve((req, info) =>
   *   new URL(req.url).pathname === "/metrics"
   *     ? new Response(ws.metrics(), { headers: { "content-type": "text/plain; version=0.0.4" } })
   *     : ws.handleUpgrade(req, info) ?? new Response("not found", { status: 404 })
   * );
   * ```
   */
  metrics(options?: MetricsOptions): string;
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
  options: WebSocketOptions<D> & ProtocolHandlersOption<P, D> & EngineOptions = {},
): WebSocketEndpoint<D> {
  return endpointFor(adapterFor<D, P>(options));
}

/** How to mount an endpoint of each engine, for the error that names the right method. */
const MOUNT = {
  deno: "handleUpgrade(req, info)",
  bun: "upgrade(req, server) and websocket",
  ws: "handleNodeUpgrade(req, socket, head) in a node:http server's upgrade event",
} as const;

/** Wraps an adapter as an endpoint (serve() uses it too): the other engines' methods throw. */
export function endpointFor<D>(adapter: ServerAdapter<D>): WebSocketEndpoint<D> {
  const core = adapter.core;
  const wrong = (what: string, needs: string) =>
    new UnsupportedRuntimeError(
      `${what} is for ${needs}; this endpoint runs on ${ENGINE_NAMES[adapter.engine]}: use ${MOUNT[adapter.engine]}`,
    );
  return {
    handleUpgrade(req, info) {
      if (adapter.engine !== "deno") throw wrong("handleUpgrade()", "Deno's native engine");
      return isWebSocketUpgrade(req) ? adapter.handleUpgrade(req, info) : undefined;
    },
    upgrade(req, server) {
      if (adapter.engine !== "bun") throw wrong("upgrade(req, server)", "Bun");
      return adapter.upgrade(req, server);
    },
    get websocket() {
      if (adapter.engine !== "bun") throw wrong("websocket", "Bun");
      return adapter.websocket;
    },
    handleNodeUpgrade(req, socket, head) {
      if (adapter.engine !== "ws") throw wrong("handleNodeUpgrade()", 'the ws engine (createHandler({ engine: "ws" }), Deno)');
      return adapter.handleUpgrade(req, socket, head);
    },
    get connections() {
      return core.connectionCount;
    },
    get stats() {
      return core.stats;
    },
    presence: (topic) => core.presence(topic),
    ...topicMethods(core.topics),
    metrics: (opts) => core.metrics(opts),
    shutdown: (opts) => core.shutdown(opts),
  };
}

const ENGINE_NAMES = { deno: "Deno", bun: "Bun", ws: 'the ws engine (engine "ws")' } as const;
