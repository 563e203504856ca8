/**
 * Bun adapter: Bun.serve's `websocket` handlers → core events.
 *
 * Quirks handled here (Bun 1.4, checked by running code, see shared
 * notes/RUNTIMES.md):
 * - without a `Sec-WebSocket-Protocol` header of ours, Bun echoes the
 *   client's first protocol; we always set it (empty = none).
 * - maxPayloadLength is native, but the server's own `close` handler sees
 *   1006 "Received too big message"; we report the 1009 the peer got.
 * - `idleTimeout` misses a silent peer while the server keeps sending
 *   (oven-sh/bun#39255), so the core pings and drops peers itself; Bun's
 *   own idle timer is off.
 * - messages arrive as Node Buffers by default: binaryType is set to
 *   "uint8array" and Message re-views them as plain Uint8Arrays.
 * - a throw in a handler ends the process unless an `error` handler exists;
 *   the core guards every user handler, and we still pass one.
 *
 * @module
 */

import type { AcceptedUpgrade, ServerCore } from "../server/core.ts";
import type { Connection } from "../server/connection.ts";
import type { AdapterCapabilities, Transport } from "../server/transport.ts";
import type { RemoteAddress, SendResult } from "../shared/types.ts";
import { CloseCode } from "../shared/close_codes.ts";
import { BunNativeTopics } from "./bun_topics.ts";

/**
 * The parts of Bun's ServerWebSocket this adapter uses.
 *
 * @example
 * ```ts
 * import type { BunServerWebSocket, BunSocketData } from "fullduplex";
 * // The socket Bun passes to the handlers of `createHandler().websocket`.
 * function bufferedBytes(ws: BunServerWebSocket<BunSocketData<unknown>>): number {
 *   return ws.getBufferedAmount();
 * }
 * ```
 */
export interface BunServerWebSocket<T> {
  /** The per-socket data given to `server.upgrade()`. */
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
  readonly port: number;
  /** The host name listened on. */
  readonly hostname: string;
  /** Upgrades a request to a WebSocket; false when it is not a valid upgrade. */
  upgrade(req: Request, options?: { data?: unknown; headers?: Record<string, string> }): boolean;
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
 * Per-socket data fullduplex keeps in Bun's `ws.data`.
 *
 * @example
 * ```ts
 * import { createHandler } from "fullduplex";
 * import type { BunServerWebSocket, BunSocketData } from "fullduplex";
 * // The data type of the Bun sockets fullduplex upgrades (opaque: use the Socket in your handlers).
 * const ws = createHandler<{ user: string }>();
 * const onOpen: (ws: BunServerWebSocket<BunSocketData<{ user: string }>>) => void = ws.websocket.open;
 * ```
 */
export interface BunSocketData<D> {
  /** @ignore Internal: the accepted upgrade, until the socket opens. */
  accepted?: AcceptedUpgrade<D>;
  /** @ignore Internal: the connection once open. */
  conn?: Connection<D>;
}

/**
 * The `websocket` object to give Bun.serve.
 *
 * @example
 * ```ts ignore
 * import { createHandler } from "fullduplex";
 * const ws = createHandler({ message: (socket, msg) => socket.send(msg.text()) });
 * Bun.serve({ port: 8080, fetch: (req, server) => ws.upgrade(req, server), websocket: ws.websocket });
 * ```
 */
export interface BunWebSocketHandler<D> {
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
  open(ws: BunServerWebSocket<BunSocketData<D>>): void;
  /** A message arrived. */
  message(ws: BunServerWebSocket<BunSocketData<D>>, message: string | Uint8Array): void;
  /** A socket closed. */
  close(ws: BunServerWebSocket<BunSocketData<D>>, code: number, reason: string): void;
  /** A pong arrived. */
  pong(ws: BunServerWebSocket<BunSocketData<D>>): void;
  /** The socket can take more data. */
  drain(ws: BunServerWebSocket<BunSocketData<D>>): void;
  /** A handler threw (never happens: the core guards handlers). */
  error(ws: BunServerWebSocket<BunSocketData<D>>, error: Error): void;
}

export const BUN_CAPABILITIES: AdapterCapabilities = {
  runtime: "bun",
  nativeMaxMessageBytes: true,
  nativeIdleTimeout: false,
};

class BunTransport<D> implements Transport {
  readonly #ws: BunServerWebSocket<BunSocketData<D>>;
  /** Bun's drain events so far: each one means queued data was written. */
  #drains = 0;
  constructor(ws: BunServerWebSocket<BunSocketData<D>>) {
    this.#ws = ws;
  }
  send(data: string | Uint8Array): SendResult {
    // Bun: bytes written, -1 queued under backpressure, 0 dropped. Its
    // backpressureLimit bounds real memory: uWS keeps one contiguous buffer
    // and counts frame headers, ~0.3–6 bytes per queued send beyond the
    // payload (measured, bench/investigate/ABUSE.md), so nothing to add.
    const n = this.#ws.send(data);
    return n > 0 ? "sent" : n === -1 ? "queued" : data.length === 0 ? "sent" : "dropped";
  }
  close(code: number, reason: string): void {
    this.#ws.close(code, reason);
  }
  terminate(): boolean {
    this.#ws.terminate();
    return true;
  }
  ping(): boolean {
    this.#ws.ping();
    return true;
  }
  get bufferedAmount(): number {
    return this.#ws.getBufferedAmount();
  }
  get writeProgress(): number {
    return this.#drains;
  }
  /** Bun wrote some of the queued data (its `drain` event). */
  wrote(): void {
    this.#drains++;
  }
  // Native topics (see bun_topics.ts).
  subscribe(topic: string): void {
    this.#ws.subscribe(topic);
  }
  unsubscribe(topic: string): void {
    this.#ws.unsubscribe(topic);
  }
  publish(topic: string, data: string | Uint8Array): number {
    return this.#ws.publish(topic, data);
  }
}

/** The reason Bun gives its own handler when maxPayloadLength was exceeded. */
const BUN_TOO_BIG = "Received too big message";

/** Builds the `websocket` handler object for Bun.serve, wired to a core. */
export function bunWebSocketHandler<D>(core: ServerCore<D>): BunWebSocketHandler<D> {
  return {
    maxPayloadLength: core.limits.maxMessageBytes,
    idleTimeout: 0,
    sendPings: false,
    perMessageDeflate: false,
    closeOnBackpressureLimit: false,
    // Bun refuses sends (returns 0) at this limit; the core applies onBackpressureLimit.
    backpressureLimit: core.limits.backpressureLimit,
    open(ws) {
      ws.binaryType = "uint8array";
      const conn = core.connection(new BunTransport(ws), ws.data.accepted!);
      ws.data.conn = conn;
      // Bun keeps ws.data for the connection's life: drop what open() no
      // longer needs (the 101's headers object and friends, ~150-200 B).
      ws.data.accepted = undefined;
      conn.opened();
    },
    message(ws, message) {
      ws.data.conn?.received(message);
    },
    close(ws, code, reason) {
      const conn = ws.data.conn;
      if (conn === undefined) return;
      if (code === CloseCode.Abnormal && reason === BUN_TOO_BIG) {
        conn.closed(CloseCode.MessageTooBig, `message exceeds ${core.limits.maxMessageBytes} bytes`);
      } else conn.closed(code, reason);
    },
    pong(ws) {
      ws.data.conn?.ponged();
    },
    drain(ws) {
      // Fires on every writable event while anything is buffered: only a
      // hint to check now; backpressure.ts reports one crossing.
      const conn = ws.data.conn;
      if (conn === undefined) return;
      if (conn.transport instanceof BunTransport) conn.transport.wrote();
      if (conn.aboveLowWater) core.backpressure.check(conn);
    },
    error(ws, error) {
      // Only reached if a throw escaped the core's guard; never let it end the process.
      ws.data.conn?.failed(error);
    },
  };
}

/** The peer's address: Bun's ws.remoteAddress has no port, requestIP does. */
function remoteOf(server: BunServer, req: Request): RemoteAddress {
  const ip = server.requestIP(req);
  return { address: ip?.address ?? "", port: ip?.port ?? 0 };
}

/**
 * Upgrades a request on Bun. Resolves to `undefined` once upgraded (what
 * Bun's fetch must return) or to a Response that refuses the upgrade.
 */
export async function bunUpgrade<D>(core: ServerCore<D>, req: Request, server: BunServer): Promise<Response | undefined> {
  const decision = await core.prepareUpgrade(req, remoteOf(server, req));
  if (decision instanceof Response) return decision;
  // server.publish needs the Bun server; a mounted endpoint first sees it here.
  const engine = core.topics.engine;
  if (engine instanceof BunNativeTopics) engine.server = server;
  const data: BunSocketData<D> = { accepted: decision };
  // Always set the header: left unset, Bun agrees to the client's first protocol.
  const headers = { ...decision.headers, "Sec-WebSocket-Protocol": decision.protocol };
  if (server.upgrade(req, { data, headers })) return undefined;
  core.upgradeAborted(decision.remote); // no connection will open: give its slots back
  return new Response("WebSocket upgrade failed\n", { status: 400 });
}
