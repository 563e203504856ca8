/**
 * The parts of the npm package `ws` (v8) the ws engine uses, typed here
 * structurally (no `ws` or Node.js typings reach the published types), and
 * the one place that loads it. `ws` is an optional peer dependency: it is
 * imported only when an endpoint asks for `engine: "ws"`, so nothing else
 * in fullduplex needs it. Internal, except {@link WsPerMessageDeflate}.
 *
 * Resolution, as for `redis` (src/broker/redis_deno.ts): the bare `ws` is
 * mapped to `npm:ws@^8` in deno.json's `imports` (JSR rewrites it on
 * publish, so a JSR install fetches it); in this repository
 * (`"nodeModulesDir": "manual"`) it resolves to node_modules/ws, offline.
 * From the npm package, `ws` must be in the user's own dependencies
 * (package.json lists it as an optional peer dependency).
 *
 * @module
 */

import { FullDuplexError } from "../shared/errors.ts";
import type { NodeUpgradeRequest, NodeUpgradeSocket } from "./node_http_api.ts";

/**
 * permessage-deflate (RFC 7692) settings of the ws engine, passed to `ws`
 * as they are (its `perMessageDeflate` option; `true` means ws's defaults).
 * Compression costs server CPU and, with context takeover (the default),
 * memory per connection; off unless set.
 *
 * @example
 * ```ts
 * import { serve } from "@fullduplex/fullduplex";
 * import type { WsPerMessageDeflate } from "@fullduplex/fullduplex";
 * // Compress messages of 1 KiB and more; no context kept between messages.
 * const perMessageDeflate: WsPerMessageDeflate = { threshold: 1024, serverNoContextTakeover: true, clientNoContextTakeover: true };
 * serve({ engine: "ws", perMessageDeflate });
 * ```
 */
export interface WsPerMessageDeflate {
  /** Messages smaller than this many bytes are sent uncompressed. ws's default: 1024. */
  threshold?: number;
  /** Agree to (or ask for) no context takeover for the server's messages: less memory, worse ratio. */
  serverNoContextTakeover?: boolean;
  /** Agree to (or ask for) no context takeover for the client's messages. */
  clientNoContextTakeover?: boolean;
  /** The largest LZ77 window the server uses, 8 to 15. */
  serverMaxWindowBits?: number;
  /** The largest LZ77 window the client may use, 8 to 15. */
  clientMaxWindowBits?: number;
  /** How many zlib operations run at once (ws's default: 10). */
  concurrencyLimit?: number;
}

/** One server-side socket of `ws`, as the ws engine uses it. */
export interface WsSocket {
  /** 0 connecting, 1 open, 2 closing, 3 closed. */
  readonly readyState: number;
  /** Bytes queued and not yet written: the TCP socket's write queue plus what ws holds while compressing. */
  readonly bufferedAmount: number;
  /** The agreed extensions (`"permessage-deflate"` when compression was agreed). */
  readonly extensions: string;
  /** Sends a data frame: text unless `binary`. ws frames a Uint8Array without copying it. */
  send(data: string | Uint8Array, options: { readonly binary: boolean }): void;
  /** Starts the close handshake. */
  close(code?: number, reason?: string): void;
  /** Destroys the TCP socket at once (no close frame). */
  terminate(): void;
  /** Sends a ping frame. */
  ping(): void;
  /** A whole message: a Node Buffer (a Uint8Array) for text and binary alike. */
  on(event: "message", listener: (data: Uint8Array, isBinary: boolean) => void): unknown;
  /** The socket closed: the peer's code (1005 none, 1006 abnormal) and reason bytes. */
  on(event: "close", listener: (code: number, reason: Uint8Array) => void): unknown;
  /** A protocol error by the peer (ws then closes: 1002, 1007, 1008 or 1009); `code` names it (`WS_ERR_…`). */
  on(event: "error", listener: (error: Error & { code?: string }) => void): unknown;
  /** A pong or a ping from the peer. */
  on(event: "pong" | "ping", listener: () => void): unknown;
}

/** Options of `new WebSocketServer()` the ws engine passes. */
export interface WsServerOptions {
  noServer: true;
  clientTracking: false;
  /** Larger messages (after decompression too) close the connection with 1009. */
  maxPayload: number;
  perMessageDeflate: boolean | WsPerMessageDeflate;
  /** Milliseconds ws waits for the peer to finish a close handshake before destroying the socket. */
  closeTimeout: number;
  /** The protocol to agree to (false: none); called only when the client offered some. */
  handleProtocols(protocols: Set<string>, req: NodeUpgradeRequest): string | false;
}

/** A `ws` WebSocketServer in `noServer` mode. */
export interface WsServer {
  /**
   * Completes an upgrade on the raw socket: writes the 101 (or its own
   * 400/503) and calls `done` synchronously with the new socket, or not at
   * all when it refused (or the peer had already left).
   */
  handleUpgrade(req: NodeUpgradeRequest, socket: NodeUpgradeSocket, head: Uint8Array, done: (ws: WsSocket) => void): void;
  /** Emitted with the 101's header lines (mutable) just before they are written. */
  on(event: "headers", listener: (headers: string[], req: NodeUpgradeRequest) => void): unknown;
}

/** The part of the `ws` module the engine uses. */
export interface WsModule {
  WebSocketServer: new (options: WsServerOptions) => WsServer;
}

let loading: Promise<WsModule> | undefined;

/** Loads `ws` (once per process), or explains how to install it. */
export function loadWs(): Promise<WsModule> {
  return (loading ??= importWs());
}

async function importWs(): Promise<WsModule> {
  try {
    // deno.json maps "ws" to npm:ws@^8 (JSR rewrites it on publish).
    const mod = (await import("ws")) as unknown as WsModule & { default?: WsModule };
    const ws = typeof mod.WebSocketServer === "function" ? mod : mod.default;
    if (ws === undefined || typeof ws.WebSocketServer !== "function") throw new TypeError("the module has no WebSocketServer export");
    return ws;
  } catch (err) {
    loading = undefined; // a later endpoint may try again (the user installed it meanwhile)
    const why = err instanceof Error ? err.message : String(err);
    throw new FullDuplexError(
      `engine "ws" needs the npm package "ws" v8 (add it: deno add npm:ws@^8, or npm install ws; ` +
        `optionally with npm:bufferutil and --allow-ffi for faster masking): ${why}`,
      { cause: err },
    );
  }
}
