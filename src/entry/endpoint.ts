/**
 * `createHandler()`: the WebSocket side of fullduplex to mount in an app
 * that owns its Deno.serve or Bun.serve server, and the endpoint wrapper
 * `serve()` builds on.
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
import type { ProtocolHandlersOption } from "../protocol/serve_options.ts";
import type { AnyProtocol } from "../protocol/protocol.ts";
import { adapterFor } from "./adapter.ts";
import type { ServerAdapter } from "./adapter.ts";

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
  options: WebSocketOptions<D> & ProtocolHandlersOption<P, D> = {},
): WebSocketEndpoint<D> {
  return endpointFor(adapterFor<D, P>(options));
}

/** Wraps an adapter as an endpoint (serve() uses it too): the other runtime's methods throw. */
export function endpointFor<D>(adapter: ServerAdapter<D>): WebSocketEndpoint<D> {
  const core = adapter.core;
  const here = adapter.runtime === "deno" ? "Deno" : "Bun";
  const wrong = (what: string, use: string) =>
    new UnsupportedRuntimeError(`${what} is for ${here === "Deno" ? "Bun" : "Deno"}; on ${here} use ${use}`);
  return {
    handleUpgrade(req, info) {
      if (adapter.runtime !== "deno") throw wrong("handleUpgrade()", "upgrade(req, server) and websocket");
      return isWebSocketUpgrade(req) ? adapter.handleUpgrade(req, info) : undefined;
    },
    upgrade(req, server) {
      if (adapter.runtime !== "bun") throw wrong("upgrade(req, server)", "handleUpgrade(req, info)");
      return adapter.upgrade(req, server);
    },
    get websocket() {
      if (adapter.runtime !== "bun") throw wrong("websocket", "handleUpgrade(req, info)");
      return adapter.websocket;
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
