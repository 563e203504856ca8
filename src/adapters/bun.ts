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
 *   (oven-sh/bun#39255), so the core sweeps, pings and drops peers itself
 *   (keepalive.ts); Bun's own idle timer is off.
 * - messages arrive as Node Buffers by default: binaryType is set to
 *   "uint8array" and Message re-views them as plain Uint8Arrays.
 * - a throw in a handler ends the process unless an `error` handler exists;
 *   the core guards every user handler, and we still pass one, which
 *   reports like a handler's error (deno.ts does the same on Deno).
 * - `drain` fires on every writable event while anything is buffered: it
 *   is only a hint for the core's low-water-mark watch.
 *
 * @module
 */

import { CloseCode } from "../shared/close_codes.ts";
import type { RemoteAddress } from "../shared/types.ts";
import { engineRefusedUpgrade, ServerCore, serverFailedUpgrade } from "../server/core.ts";
import type { AcceptedUpgrade } from "../server/core.ts";
import type { Connection } from "../server/connection.ts";
import type { WebSocketOptions } from "../server/options.ts";
import type { AdapterCapabilities } from "../server/transport.ts";
import type { BunServer, BunServerWebSocket, BunWebSocketHandler } from "./bun_api.ts";
import { BunNativeTopics } from "./bun_topics.ts";
import { BunTransport } from "./bun_transport.ts";

/** Bun's engine: a native message-size limit; its idle timeout is not trusted (see above). */
export const BUN_CAPABILITIES: AdapterCapabilities = Object.freeze({
  nativeMaxMessageBytes: true,
  nativeIdleTimeout: false,
});

/**
 * What this adapter keeps in Bun's `ws.data` (internal: the public type of
 * Bun's sockets is `BunServerWebSocket<unknown>`).
 */
export interface BunSocketData<D> {
  /** The accepted upgrade, until the socket opens. */
  accepted?: AcceptedUpgrade<D>;
  /** The connection once open. */
  conn?: Connection<D, BunTransport>;
}

/** The reason Bun gives its own handler when maxPayloadLength was exceeded. */
const BUN_TOO_BIG = "Received too big message";

/** The peer's address: Bun's ws.remoteAddress has no port, requestIP does. */
function remoteOf(server: BunServer, req: Request): RemoteAddress {
  const ip = server.requestIP(req);
  return { address: ip?.address ?? "", port: ip?.port ?? 0 };
}

/** Our data on a socket this adapter upgraded. */
function dataOf<D>(ws: BunServerWebSocket<unknown>): BunSocketData<D> {
  return ws.data as BunSocketData<D>;
}

/** The Bun side of one endpoint: its core, its native topics, upgrades and the `websocket` handlers. */
export class BunAdapter<D> {
  readonly engine = "bun" as const;
  readonly core: ServerCore<D, BunTransport>;
  /** Owned here: it needs the Bun server, which the adapter learns at each upgrade. */
  readonly #topics = new BunNativeTopics();
  #websocket: BunWebSocketHandler<D> | undefined;

  constructor(options: WebSocketOptions<D>) {
    this.core = new ServerCore<D, BunTransport>(options, { capabilities: BUN_CAPABILITIES, topics: this.#topics });
  }

  /** The handler object for Bun.serve's `websocket` option (one per endpoint). */
  get websocket(): BunWebSocketHandler<D> {
    return (this.#websocket ??= bunWebSocketHandler(this.core));
  }

  /**
   * Upgrades a request on Bun. Resolves to `undefined` once upgraded (what
   * Bun's fetch must return) or to a Response that refuses the upgrade.
   */
  async upgrade(req: Request, server: BunServer): Promise<Response | undefined> {
    const core = this.core;
    const accepted = await core.prepareUpgrade(req, remoteOf(server, req));
    if (accepted instanceof Response) return accepted;
    // server.publish needs the Bun server; a mounted endpoint first sees it here.
    this.#topics.useServer(server);
    const data: BunSocketData<D> = { accepted };
    // Always set the header: left unset, Bun agrees to the client's first protocol.
    const headers = { ...accepted.headers, "Sec-WebSocket-Protocol": accepted.protocol };
    let upgraded: boolean;
    try {
      upgraded = server.upgrade(req, { data, headers });
    } catch (err) {
      // The core checked the headers: a throw here is a bug on the server's side.
      core.upgradeAborted(accepted.remote);
      core.reportError(undefined, err);
      return serverFailedUpgrade();
    }
    if (upgraded) return undefined;
    core.upgradeAborted(accepted.remote); // no connection will open: give its slots back
    return engineRefusedUpgrade();
  }
}

/** Builds the `websocket` handler object for Bun.serve, wired to a core. */
function bunWebSocketHandler<D>(core: ServerCore<D, BunTransport>): BunWebSocketHandler<D> {
  return {
    maxPayloadLength: core.limits.maxMessageBytes,
    idleTimeout: 0,
    sendPings: false,
    perMessageDeflate: false,
    closeOnBackpressureLimit: false,
    // Bun refuses sends (returns 0) at this limit; the connection applies onBackpressureLimit.
    backpressureLimit: core.limits.backpressureLimit,
    open(ws) {
      ws.binaryType = "uint8array";
      const data = dataOf<D>(ws);
      const conn = core.connection(new BunTransport(ws), data.accepted!);
      data.conn = conn;
      // Bun keeps ws.data for the connection's life: drop what open() no
      // longer needs (the 101's headers object and friends, ~150-200 B).
      data.accepted = undefined;
      conn.opened();
    },
    message(ws, message) {
      dataOf<D>(ws).conn?.received(message);
    },
    close(ws, code, reason) {
      const conn = dataOf<D>(ws).conn;
      if (conn === undefined) return;
      if (code === CloseCode.Abnormal && reason === BUN_TOO_BIG) {
        conn.closed(CloseCode.MessageTooBig, `message exceeds ${core.limits.maxMessageBytes} bytes`);
      } else conn.closed(code, reason);
    },
    pong(ws) {
      dataOf<D>(ws).conn?.ponged();
    },
    drain(ws) {
      // Fires on every writable event while anything is buffered: only a
      // hint to check now; backpressure.ts reports one crossing.
      const conn = dataOf<D>(ws).conn;
      if (conn === undefined) return;
      conn.transport.wrote(); // queued data moved: the stall sweep's progress (write_stall.ts)
      core.backpressure.check(conn);
    },
    error(error, ws) {
      // Only reached if a throw escaped the core's guards; never let it end the process.
      // Bun calls error(error, ws), error first (bun-types serve.d.ts; checked at run time on 1.4.5).
      const conn = dataOf<D>(ws).conn;
      if (conn !== undefined) conn.failed(error);
      else core.reportError(undefined, error); // the connection could not even be created
    },
  };
}
