/**
 * `serve()`: a whole WebSocket server (plus optional plain HTTP) on the
 * runtime it runs on.
 *
 * @module
 */

import type { ShutdownOptions } from "../server/shutdown.ts";
import type { WebSocketOptions } from "../server/options.ts";
import type { MetricsOptions } from "../server/metrics.ts";
import type { ServerStats } from "../server/stats.ts";
import type { PresenceMember } from "../shared/channel_wire.ts";
import type { TopicMethods } from "../server/publish.ts";
import { isWebSocketUpgrade } from "../server/upgrade.ts";
import { denoServe } from "../adapters/deno.ts";
import { denoHasUnstableNet } from "../adapters/deno_api.ts";
import { bunServe } from "../adapters/bun_api.ts";
import { nodeListen } from "../adapters/node_http.ts";
import type { ProtocolHandlersOption } from "../protocol/serve_options.ts";
import type { AnyProtocol } from "../protocol/protocol.ts";
import { adapterFor, serverRuntime } from "./adapter.ts";
import type { EngineOptions } from "./adapter.ts";
import { endpointFor } from "./endpoint.ts";
import type { WebSocketEndpoint } from "./endpoint.ts";
import { UnsupportedRuntimeError } from "../shared/errors.ts";

/**
 * PEM certificate and key for `wss://`.
 *
 * @example
 * ```ts
 * import { serve } from "@fullduplex/fullduplex";
 * const tls = { cert: await Deno.readTextFile("cert.pem"), key: await Deno.readTextFile("key.pem") };
 * const server = serve({ port: 8443, tls });
 * await server.ready; // server.url starts with wss://
 * ```
 */
export interface TlsOptions {
  /** PEM certificate chain (leaf first). */
  cert: string;
  /** PEM private key. */
  key: string;
}

/**
 * Options of {@link serve}: where to listen, plain HTTP, plus every WebSocket option.
 *
 * @example
 * ```ts
 * import { serve } from "@fullduplex/fullduplex";
 * import type { ServeOptions } from "@fullduplex/fullduplex";
 * const options: ServeOptions<{ user: string }> = {
 *   port: 8080,
 *   maxMessageBytes: 64 * 1024,
 *   upgrade: () => ({ data: { user: "ann" } }),
 *   message: (socket, msg) => socket.send(`${socket.data.user}: ${msg.text()}`),
 * };
 * serve(options);
 * ```
 *
 * @example On Deno, the npm package `ws` as the engine (opt-in; `deno add npm:ws@^8`)
 * ```ts
 * import { serve } from "@fullduplex/fullduplex";
 * // Unmasked frames refused (1002), oversized messages refused early (1009),
 * // real terminate(), and compression when the client offers it.
 * const server = serve({ port: 8080, engine: "ws", perMessageDeflate: true });
 * await server.ready; // listening (node:http); rejects if "ws" is not installed
 * ```
 */
export interface ServeOptions<D = unknown> extends WebSocketOptions<D>, EngineOptions {
  /** TCP port; 0 picks a free one (read it from `server.port`). Default 8080. */
  port?: number;
  /** Interface to listen on. Default "0.0.0.0" (all IPv4 interfaces), as both runtimes. */
  hostname?: string;
  /** Serves plain HTTP requests (anything that is not a WebSocket upgrade). Default: 426. */
  fetch?(req: Request): Response | Promise<Response>;
  /** Certificate and key to serve `wss://`. */
  tls?: TlsOptions;
  /**
   * Sets `SO_REUSEPORT` on the listening socket, so that several processes
   * (Deno, Bun, or both) can listen on the same port. On Linux the kernel
   * then spreads new connections over them (by a hash of the client's
   * address and port), which is how one machine's every core gets used:
   * one process per core, each with `reusePort: true`, sharing a broker
   * (`createRedisBroker`) so that `publish` reaches every process's
   * subscribers. Every process sharing the port must set it (a process
   * without it cannot share the port: binding fails with "address in use").
   * Default `false`.
   *
   * On Deno (2.9) this is behind the `net` unstable feature: run with
   * `--unstable-net` (or `"unstable": ["net"]` in deno.json). Without it,
   * Deno would end the whole process (exit code 70) on `Deno.serve`, so
   * `serve()` throws an {@link UnsupportedRuntimeError} instead.
   *
   * @example One of N processes on port 8080, every core in use
   * ```ts
   * import { serve } from "@fullduplex/fullduplex";
   * import { createRedisBroker } from "@fullduplex/fullduplex/redis";
   *
   * // Start this file once per core (Bun: bun run app.ts; Deno: deno run -A --unstable-net app.ts).
   * const broker = await createRedisBroker({ url: "redis://localhost:6379" });
   * const server = serve({ port: 8080, reusePort: true, broker, open: (socket) => socket.subscribe("news") });
   * await server.ready;
   * server.publish("news", "reaches the news subscribers of every process");
   * ```
   */
  reusePort?: boolean;
  /**
   * The WebSocket engine. `"native"` (default): Deno.serve with Deno's
   * engine, Bun.serve with Bun's. `"ws"` (Deno only; an UnsupportedRuntimeError
   * on Bun): the npm package `ws`, an optional peer dependency you install,
   * on a `node:http` (`node:https` with `tls`) listener that serves plain
   * HTTP through `fetch` as well. The listener starts after `ws` is loaded:
   * `port`, `url` and `hostname` are final once `ready` resolves, and
   * `ready` rejects (with a FullDuplexError naming the package) when `ws`
   * is missing or the port is taken.
   */
  engine?: "native" | "ws";
}

/**
 * A running server. `publish`, `publishJson` and `subscriberCount` come
 * from {@link TopicMethods}.
 *
 * @example
 * ```ts
 * import { serve } from "@fullduplex/fullduplex";
 * import type { Server } from "@fullduplex/fullduplex";
 * const server: Server = serve({ port: 0 });
 * await server.ready;
 * console.log(server.url, server.port);
 * await server.shutdown();
 * ```
 */
export interface Server extends TopicMethods {
  /** Resolves once the server listens. */
  readonly ready: Promise<void>;
  /** `ws://host:port` (or `wss://`), with `localhost` for a wildcard address. */
  readonly url: string;
  /** The port actually bound (useful with `port: 0`). */
  readonly port: number;
  /** The address bound. */
  readonly hostname: string;
  /** Number of open WebSocket connections. */
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
   * The server's figures in the Prometheus text format 0.0.4: every
   * `stats` counter, gauges (open connections, pending upgrades, queued
   * bytes, subscribers of the busiest topics: {@link MetricsOptions.topics})
   * and histograms (received message sizes, connection durations). Serve it
   * with the content type `text/plain; version=0.0.4`.
   *
   * @example Serving it at /metrics from the same server
   * ```ts
   * import { serve } from "@fullduplex/fullduplex";
   * import type { Server } from "@fullduplex/fullduplex";
   * // `fetch` runs only once serve() has returned, so it can read `server`
   * // (the type annotation lets TypeScript see that the name is not circular).
   * const server: Server = serve({
   *   port: 8080,
   *   fetch: (req) =>
   *     new URL(req.url).pathname === "/metrics"
   *       ? new Response(server.metrics(), { headers: { "content-type": "text/plain; version=0.0.4" } })
   *       : new Response("not found", { status: 404 }),
   * });
   * ```
   */
  metrics(options?: MetricsOptions): string;
  /**
   * Graceful shutdown: stop accepting, send a close frame (1001 by default)
   * to every peer, wait up to `timeout` ms for their answers, drop the rest,
   * then stop listening. Resolves when everything has stopped.
   */
  shutdown(options?: ShutdownOptions): Promise<void>;
}

function urlFor(scheme: string, hostname: string, port: number): string {
  const host = hostname === "0.0.0.0" || hostname === "::" || hostname === ""
    ? "localhost"
    : hostname.includes(":")
    ? `[${hostname}]`
    : hostname;
  return `${scheme}://${host}:${port}`;
}

function checkPort(port: unknown): number {
  if (typeof port !== "number" || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new RangeError(`port must be an integer from 0 to 65535, got ${String(port)}`);
  }
  return port;
}

/** The error for `reusePort: true` on a Deno run without `--unstable-net` (see {@link denoHasUnstableNet}). */
function checkReusePort(runtime: "deno" | "bun", reusePort: boolean): void {
  if (reusePort && runtime === "deno" && !denoHasUnstableNet()) {
    throw new UnsupportedRuntimeError(
      'reusePort on Deno needs the "net" unstable feature: run with --unstable-net (or add "unstable": ["net"] to deno.json)',
    );
  }
}

/**
 * Starts a WebSocket server on Deno (Deno.serve) or Bun (Bun.serve) with the
 * same behaviour on both; on Deno, `engine: "ws"` runs it on the npm package
 * `ws` over `node:http` instead ({@link ServeOptions.engine}). On Node.js it
 * throws {@link UnsupportedRuntimeError} at once.
 *
 * @example
 * ```ts
 * import { serve } from "@fullduplex/fullduplex";
 * const server = serve({
 *   port: 8080,
 *   message(socket, msg) {
 *     socket.send(msg.kind === "text" ? `Echo: ${msg.text()}` : msg.bytes());
 *   },
 * });
 * await server.ready;
 * console.log(`listening on ${server.url}`);
 * // later: await server.shutdown();
 * ```
 */
export function serve<D = unknown, P extends AnyProtocol = AnyProtocol>(
  options: ServeOptions<D> & ProtocolHandlersOption<P, D> = {},
): Server {
  const runtime = serverRuntime(); // on Node.js, this error comes first
  const port = checkPort(options.port ?? 8080);
  const hostname = options.hostname ?? "0.0.0.0";
  const scheme = options.tls ? "wss" : "ws";
  const reusePort = options.reusePort === true;
  checkReusePort(runtime, reusePort); // before the adapter exists: nothing to undo
  if (reusePort && options.engine === "ws") {
    throw new TypeError('reusePort is not available with engine: "ws" (its node:http listener cannot share a port): use the native engine');
  }
  const adapter = adapterFor<D, P>(options);
  const endpoint = endpointFor(adapter);

  const plainHttp = async (req: Request): Promise<Response> => {
    if (options.fetch === undefined) {
      return new Response("this server only speaks WebSocket\n", { status: 426, headers: { upgrade: "websocket" } });
    }
    try {
      return await options.fetch(req);
    } catch (err) {
      adapter.core.reportError(undefined, err);
      return new Response("internal server error\n", { status: 500 });
    }
  };

  if (adapter.engine === "deno") {
    const server = denoServe(
      { port, hostname, cert: options.tls?.cert, key: options.tls?.key, reusePort, onListen() {} },
      (req, info) => endpoint.handleUpgrade(req, info) ?? plainHttp(req),
    );
    return runningServer(endpoint, scheme, listening(server.addr, () => server.shutdown()));
  }
  if (adapter.engine === "ws") {
    const listener = nodeListen({ port, hostname, tls: options.tls }, {
      // node:http emits `upgrade` only with `Connection: upgrade`: anything else
      // asking for a WebSocket gets the core's answer (400), as on Deno.
      request: (req) => (isWebSocketUpgrade(req) ? adapter.refusePlainUpgrade(req) : plainHttp(req)),
      upgrade: (req, socket, head, host) => void adapter.handleUpgrade(req, socket, head, host),
      error: (err) => adapter.core.reportError(undefined, err),
    }, async () => void await adapter.load());
    return runningServer(endpoint, scheme, listener);
  }
  const server = bunServe({
    port,
    hostname,
    tls: options.tls,
    reusePort,
    fetch: (req, srv) => (isWebSocketUpgrade(req) ? endpoint.upgrade(req, srv) : plainHttp(req)),
    websocket: endpoint.websocket,
  });
  // Bun types `port` and `hostname` as possibly undefined (unix sockets); serve() always listens on TCP.
  const bound = { hostname: server.hostname ?? hostname, port: server.port ?? port };
  return runningServer(endpoint, scheme, listening(bound, () => server.stop(true)));
}

/** What runningServer needs of a listener: when it listens, where, and how to stop it. */
interface Listener {
  readonly ready: Promise<void>;
  bound(): { hostname: string; port: number };
  stop(): Promise<void>;
}

/** A listener that is already listening (Deno.serve and Bun.serve bind before they return). */
function listening(bound: { hostname: string; port: number }, stop: () => Promise<void>): Listener {
  return { ready: Promise.resolve(), bound: () => bound, stop };
}

/**
 * The `Server` object, the same for every engine: the listener's own stop
 * runs once every peer is closed.
 */
function runningServer<D>(endpoint: WebSocketEndpoint<D>, scheme: string, listener: Listener): Server {
  let stopped: Promise<void> | undefined;
  return {
    ready: listener.ready,
    get url() {
      const { hostname, port } = listener.bound();
      return urlFor(scheme, hostname, port);
    },
    get port() {
      return listener.bound().port;
    },
    get hostname() {
      return listener.bound().hostname;
    },
    get connections() {
      return endpoint.connections;
    },
    get stats() {
      return endpoint.stats;
    },
    presence: endpoint.presence,
    publish: endpoint.publish,
    publishJson: endpoint.publishJson,
    publishWithAck: endpoint.publishWithAck,
    subscriberCount: endpoint.subscriberCount,
    metrics: endpoint.metrics,
    shutdown(opts) {
      // Checked by the endpoint before anything happens; a listener that never started has nothing to stop.
      return (stopped ??= endpoint.shutdown(opts).then(() => listener.stop()));
    },
  };
}
