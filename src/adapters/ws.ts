/**
 * The ws engine (opt-in, Deno): the npm package `ws` on the raw socket of a
 * `node:http` server's `upgrade` event, instead of Deno.upgradeWebSocket.
 * What it changes against Deno's own engine (bench/FINDINGS.md, "ws on
 * Deno"): unmasked client frames are refused (1002), a message over
 * `maxMessageBytes` is refused from its frame headers (1009 after at most
 * the limit is read, not after the whole message), `terminate()` and the
 * keep-alive drops really end the TCP connection (no lingering), and
 * permessage-deflate can be agreed (`perMessageDeflate`).
 *
 * Quirks handled here (ws 8.23 on Deno 2.9.5, checked by running code):
 * - ws has no send limit: the transport refuses sends at
 *   backpressureLimit, charging each queued send its memory (ws_transport.ts).
 * - ws runs no idle timeout: the core sweeps, pings and drops silent peers
 *   as on Bun (keepalive.ts); its pongs (and the peer's pings) are liveness.
 * - a protocol error by the peer (bad frame, unmasked frame, invalid UTF-8,
 *   too big) makes ws send a close frame (1002, 1007, 1008, 1009) and emit
 *   `error`, then `close` with 1006: the connection is told at the `error`,
 *   so the server's `close` handler sees the code ws sent, as for a close
 *   the server started, and closeTimeout applies.
 * - ws writes its own 400 for a handshake it refuses and calls nothing:
 *   the upgrade's slots are given back when no socket came.
 * - messages arrive as Node Buffers, text too: text is decoded here, binary
 *   re-viewed as a plain Uint8Array. ws frames a sent Uint8Array
 *   without copying it, so `releaseReceivedBuffers` has nothing to release
 *   here (messages are no ArrayBuffers): ws may still hold them.
 * - a throw out of a ws event listener would end the process: each
 *   listener catches what can throw, as the Deno adapter does.
 *
 * @module
 */

import { CloseCode } from "../shared/close_codes.ts";
import type { RemoteAddress } from "../shared/types.ts";
import { engineRefusedUpgrade, ServerCore, serverFailedUpgrade } from "../server/core.ts";
import type { AcceptedUpgrade } from "../server/core.ts";
import type { Connection } from "../server/connection.ts";
import type { WebSocketOptions } from "../server/options.ts";
import { InProcessTopics } from "../server/topics.ts";
import type { AdapterCapabilities } from "../server/transport.ts";
import { checkHandshake } from "../server/upgrade.ts";
import { nodeRemote, requestOf, writeRawResponse } from "./node_http.ts";
import type { NodeUpgradeRequest, NodeUpgradeSocket } from "./node_http_api.ts";
import { loadWs } from "./ws_api.ts";
import type { WsPerMessageDeflate, WsServer, WsSocket } from "./ws_api.ts";
import { WsTransport } from "./ws_transport.ts";

/** ws: its own message-size limit (maxPayload); no idle timeout (the core sweeps and pings, as on Bun). */
export const WS_CAPABILITIES: AdapterCapabilities = Object.freeze({
  nativeMaxMessageBytes: true,
  nativeIdleTimeout: false,
});

/** Options of the ws engine beyond the WebSocket options. */
export interface WsEngineOptions {
  /** permessage-deflate: off unless set (as on the other engines). */
  perMessageDeflate?: boolean | WsPerMessageDeflate;
}

/** The close code ws sent for a protocol error it reported, by ws's error code (ws's doc/ws.md); 1011 for any other failure. */
function protocolErrorCode(code: string | undefined): number {
  if (code === undefined || !code.startsWith("WS_ERR_")) return CloseCode.InternalError; // e.g. zlib failed: ws ends the socket
  switch (code) {
    case "WS_ERR_UNSUPPORTED_MESSAGE_LENGTH":
    case "WS_ERR_UNSUPPORTED_DATA_PAYLOAD_LENGTH":
      return CloseCode.MessageTooBig;
    case "WS_ERR_INVALID_UTF8":
      return CloseCode.InvalidPayload;
    case "WS_ERR_TOO_MANY_BUFFERED_PARTS":
      return CloseCode.PolicyViolation;
    default:
      return CloseCode.ProtocolError;
  }
}

const decoder = new TextDecoder();
const noop = () => {};

/** The ws side of one endpoint: its core, and upgrades of raw `node:http` sockets through ws. */
export class WsAdapter<D> {
  readonly engine = "ws" as const;
  readonly core: ServerCore<D, WsTransport>;
  readonly #perMessageDeflate: boolean | WsPerMessageDeflate;
  #server: Promise<WsServer> | undefined;
  /** The accepted upgrade of each request ws is completing (read by its `headers` and `handleProtocols` calls). */
  readonly #completing = new WeakMap<NodeUpgradeRequest, AcceptedUpgrade<D>>();

  constructor(options: WebSocketOptions<D>, engine: WsEngineOptions = {}) {
    this.core = new ServerCore<D, WsTransport>(options, {
      capabilities: WS_CAPABILITIES,
      topics: new InProcessTopics<WsTransport>(),
    });
    this.#perMessageDeflate = engine.perMessageDeflate ?? false;
    // Start loading ws now, so the first upgrade does not wait for it; a failure is reported at that upgrade.
    this.load().catch(noop);
  }

  /** Loads ws and creates its server (once); rejects with a FullDuplexError naming what to install. */
  load(): Promise<WsServer> {
    return (this.#server ??= this.#createServer().catch((err) => {
      this.#server = undefined;
      throw err;
    }));
  }

  async #createServer(): Promise<WsServer> {
    const { WebSocketServer } = await loadWs();
    const limits = this.core.limits;
    const server = new WebSocketServer({
      noServer: true,
      clientTracking: false, // the core keeps the connection set
      maxPayload: limits.maxMessageBytes,
      perMessageDeflate: this.#perMessageDeflate,
      // The core's close timer decides (and counts closeTimeouts); ws's is a backstop a second later.
      closeTimeout: limits.closeTimeout * 1000 + 1000,
      // Only called when the client offered protocols: the one the core chose, or none.
      handleProtocols: (_offered, req) => {
        const protocol = this.#completing.get(req)?.protocol ?? "";
        return protocol === "" ? false : protocol;
      },
    });
    server.on("headers", (lines, req) => {
      const accepted = this.#completing.get(req);
      if (accepted === undefined || Object.keys(accepted.headers).length === 0) return;
      for (const [name, value] of new Headers(accepted.headers)) {
        // The hook's header replaces ws's own of that name, as on the other engines.
        const i = lines.findIndex((line) => line.slice(0, line.indexOf(":")).trim().toLowerCase() === name);
        if (i > 0) lines.splice(i, 1);
        lines.push(`${name}: ${value}`);
      }
    });
    return server;
  }

  /**
   * The answer to a request that asks for a WebSocket but that `node:http`
   * did not hand over as an upgrade (it does only with `Connection:
   * upgrade`): the core's handshake check refuses it (400), as on Deno.
   */
  refusePlainUpgrade(req: Request): Promise<Response> {
    return Promise.resolve(checkHandshake(req) ?? engineRefusedUpgrade());
  }

  /**
   * Upgrades the raw socket of a `node:http` `upgrade` event: the core's
   * checks and hook, then ws, and wires the socket to a core connection.
   * A refusal is written to the socket. Never rejects.
   */
  async handleUpgrade(req: NodeUpgradeRequest, socket: NodeUpgradeSocket, head: Uint8Array, fallbackHost = "localhost"): Promise<void> {
    // A peer's reset before ws takes the socket over must not become an uncaught error.
    socket.on("error", noop);
    const core = this.core;
    try {
      let request: Request;
      try {
        request = requestOf(req, fallbackHost);
      } catch {
        await writeRawResponse(socket, engineRefusedUpgrade());
        return;
      }
      let server: WsServer;
      try {
        server = await this.load();
      } catch (err) {
        core.reportError(undefined, err);
        await writeRawResponse(socket, serverFailedUpgrade());
        return;
      }
      const remote = nodeRemote(req);
      const accepted = await core.prepareUpgrade(request, remote);
      if (accepted instanceof Response) {
        await writeRawResponse(socket, accepted);
        return;
      }
      this.#complete(server, req, socket, head, accepted, remote);
    } catch (err) {
      // Only a fullduplex bug gets here (everything above answers for itself).
      core.reportError(undefined, err);
      socket.destroy();
    }
  }

  /** Hands an accepted upgrade to ws; gives the slots back when no socket comes of it. */
  #complete(
    server: WsServer,
    req: NodeUpgradeRequest,
    socket: NodeUpgradeSocket,
    head: Uint8Array,
    accepted: AcceptedUpgrade<D>,
    remote: RemoteAddress,
  ): void {
    const core = this.core;
    if (socket.destroyed || !socket.readable || !socket.writable) {
      // The peer left while the `upgrade` hook ran: ws would destroy the socket and call nothing.
      core.upgradeAborted(remote);
      socket.destroy();
      return;
    }
    let ws: WsSocket | undefined;
    this.#completing.set(req, accepted);
    try {
      server.handleUpgrade(req, socket, head, (opened) => (ws = opened));
    } catch (err) {
      // ws throws for a socket already upgraded: a bug on the server's side.
      core.upgradeAborted(remote);
      core.reportError(undefined, err);
      writeRawResponse(socket, serverFailedUpgrade()).catch(() => socket.destroy());
      return;
    } finally {
      this.#completing.delete(req);
    }
    // ws calls back synchronously (noServer, no verifyClient), or not at all when it wrote its own 400.
    if (ws === undefined) core.upgradeAborted(remote);
    else this.#wire(ws, accepted);
  }

  /** Turns a ws socket's events into calls on its connection (a throw in a listener would end the process). */
  #wire(ws: WsSocket, accepted: AcceptedUpgrade<D>): void {
    const core = this.core;
    const conn: Connection<D, WsTransport> = core.connection(new WsTransport(ws, core.limits.backpressureLimit), accepted);
    // received() never throws (it catches what fails in it). Binary is re-viewed as a plain
    // Uint8Array here, once, so no layer (channels included) sees a Buffer (its slice() is a view).
    ws.on(
      "message",
      (data, isBinary) =>
        conn.received(isBinary ? new Uint8Array(data.buffer as ArrayBuffer, data.byteOffset, data.byteLength) : decoder.decode(data)),
    );
    ws.on("close", (code, reason) => {
      try {
        conn.closed(code, decoder.decode(reason));
      } catch (err) {
        conn.failed(err);
      }
    });
    ws.on("error", (error) => {
      // ws has sent its close frame and waits for the peer (then reports 1006):
      // report the close as the server's, with the code ws sent.
      const code = protocolErrorCode(error.code);
      const reason = code === CloseCode.MessageTooBig ? `message exceeds ${core.limits.maxMessageBytes} bytes` : error.message;
      try {
        conn.closeInternal(code, reason);
      } catch (err) {
        conn.failed(err);
      }
    });
    const alive = () => conn.ponged();
    ws.on("pong", alive);
    ws.on("ping", alive);
    try {
      conn.opened();
    } catch (err) {
      conn.failed(err);
    }
  }
}
