/**
 * The parts of Bun's API the Bun adapter uses, typed here so that Deno's
 * type checker needs no Bun types, and the one place that reads the `Bun`
 * global. The socket and server types are public: they appear in
 * `createHandler().websocket` and `upgrade(req, server)`.
 *
 * @module
 */

/**
 * The parts of Bun's ServerWebSocket this adapter uses.
 *
 * @example
 * ```ts
 * import type { BunServerWebSocket } from "fullduplex";
 * // The socket Bun passes to the handlers of `createHandler().websocket`.
 * function bufferedBytes(ws: BunServerWebSocket<unknown>): number {
 *   return ws.getBufferedAmount();
 * }
 * ```
 */
export interface BunServerWebSocket<T> {
  /** The per-socket data given to `server.upgrade()` (fullduplex's own, opaque: use the Socket in your handlers). */
  data: T;
  /** How binary messages arrive; fullduplex sets `"uint8array"`. */
  binaryType?: string;
  /** Bytes sent, -1 when queued under backpressure, 0 when dropped. */
  send(data: string | Uint8Array, compress?: boolean): number;
  /** Sends a close frame and closes. */
  close(code?: number, reason?: string): void;
  /** Drops the TCP connection without a close frame. */
  terminate(): void;
  /** Sends a ping frame. */
  ping(data?: string | Uint8Array): number;
  /** Bytes queued and not yet written. */
  getBufferedAmount(): number;
  /** Subscribes this socket to a native (uWS) topic. */
  subscribe(topic: string): void;
  /** Unsubscribes this socket from a native topic. */
  unsubscribe(topic: string): void;
  /** Sends to every subscriber of a topic but this socket; the byte length, 0 when nobody is subscribed. */
  publish(topic: string, data: string | Uint8Array, compress?: boolean): number;
}

/**
 * The parts of Bun's Server this adapter uses.
 *
 * @example
 * ```ts ignore
 * import { createHandler } from "fullduplex";
 * import type { BunServer } from "fullduplex";
 * const ws = createHandler();
 * Bun.serve({ fetch: (req: Request, server: BunServer) => ws.upgrade(req, server), websocket: ws.websocket });
 * ```
 */
export interface BunServer {
  /** The port listened on. */
  readonly port: number | undefined;
  /** The host name listened on. */
  readonly hostname: string | undefined;
  /** Upgrades a request to a WebSocket; false when it is not a valid upgrade. */
  upgrade(req: Request, options: { data: unknown; headers?: Record<string, string> }): boolean;
  /** The peer's address of a request. */
  requestIP(req: Request): { address: string; port: number; family?: string } | null;
  /** Stops listening; `true` also closes open connections. */
  stop(closeActiveConnections?: boolean): Promise<void>;
  /** Sends to every subscriber of a native topic; the byte length, 0 when nobody is subscribed. */
  publish(topic: string, data: string | Uint8Array, compress?: boolean): number;
  /** How many sockets are subscribed to a native topic. */
  subscriberCount(topic: string): number;
}

/**
 * The `websocket` object to give Bun.serve. Bun's sockets are typed
 * `BunServerWebSocket<unknown>`: their `data` is fullduplex's own (your
 * handlers get `socket.data`). `D`, the endpoint's data type, no longer
 * appears in the handlers; it stays so that `BunWebSocketHandler<MyData>`
 * written for 0.1 still compiles.
 *
 * @example
 * ```ts ignore
 * import { createHandler } from "fullduplex";
 * const ws = createHandler({ message: (socket, msg) => socket.send(msg.text()) });
 * Bun.serve({ port: 8080, fetch: (req, server) => ws.upgrade(req, server), websocket: ws.websocket });
 * ```
 */
export interface BunWebSocketHandler<D = unknown> {
  /** Bun's message size limit (set from `maxMessageBytes`). */
  maxPayloadLength: number;
  /** Bun's idle timer: off, fullduplex pings and drops silent peers itself. */
  idleTimeout: number;
  /** Bun's own pings: off, see `idleTimeout`. */
  sendPings: boolean;
  /** Compression: off. */
  perMessageDeflate: boolean;
  /** Whether Bun drops a peer over the backpressure limit. */
  closeOnBackpressureLimit: boolean;
  /** Bytes Bun queues for a slow peer. */
  backpressureLimit: number;
  /** A socket opened. */
  open(ws: BunServerWebSocket<unknown>): void;
  /** A message arrived. */
  message(ws: BunServerWebSocket<unknown>, message: string | Uint8Array): void;
  /** A socket closed. */
  close(ws: BunServerWebSocket<unknown>, code: number, reason: string): void;
  /** A pong arrived. */
  pong(ws: BunServerWebSocket<unknown>): void;
  /** The socket can take more data. */
  drain(ws: BunServerWebSocket<unknown>): void;
  /** A throw escaped into Bun (only a fullduplex bug can): reported like a handler's error. */
  error(error: Error, ws: BunServerWebSocket<unknown>): void;
}

/** The Bun.serve options the `serve()` entry point passes. */
export interface BunServeOptions<D> {
  port: number;
  hostname: string;
  tls?: { cert: string; key: string };
  /** SO_REUSEPORT: several processes on one port. */
  reusePort?: boolean;
  fetch(req: Request, server: BunServer): Response | undefined | Promise<Response | undefined>;
  websocket: BunWebSocketHandler<D>;
}

/** Starts Bun.serve (the `serve()` entry point's listener). */
export function bunServe<D>(options: BunServeOptions<D>): BunServer {
  const bun = (globalThis as unknown as { Bun: { serve(options: BunServeOptions<D>): BunServer } }).Bun;
  return bun.serve(options);
}
