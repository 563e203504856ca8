/**
 * Types both sides use (server handlers and clients): how a connection
 * ended, where a peer is, what a send did, and the ready states with
 * their names.
 *
 * @module
 */

/**
 * The peer's address as both runtimes can report it.
 *
 * @example
 * ```ts
 * import { serve } from "@fullduplex/fullduplex";
 * serve({ open: (socket) => console.log(`${socket.remoteAddress.address}:${socket.remoteAddress.port}`) });
 * ```
 */
export interface RemoteAddress {
  /** IP address, e.g. `"127.0.0.1"` or `"::1"`. */
  address: string;
  /** TCP port of the peer. */
  port: number;
}

/**
 * How a connection ended, on the server's `close` handler and the client's
 * `close` event alike.
 *
 * @example
 * ```ts
 * import { serve } from "@fullduplex/fullduplex";
 * serve({ close: (socket, { code, reason }) => console.log(socket.id, code, reason) });
 * ```
 */
export interface CloseInfo {
  /**
   * The close code: the peer's code when the peer closed, the own side's code
   * when it closed first, 1005 when a close frame carried no code, 1006
   * when the connection ended without a close frame (both runtimes).
   */
  code: number;
  /** The close reason, or `""`. */
  reason: string;
}

/**
 * What happened to a sent message: handed to the engine (`"sent"`), queued
 * because the peer is not reading fast enough (`"queued"`, it will still go
 * out), or not sent at all (`"dropped"`: closed socket or backpressure limit).
 *
 * @example
 * ```ts
 * import { serve } from "@fullduplex/fullduplex";
 * import type { SendResult } from "@fullduplex/fullduplex";
 * serve({
 *   message(socket, msg) {
 *     const result: SendResult = socket.send(msg.text());
 *     if (result === "dropped") console.warn(`reply to ${socket.id} was not sent`);
 *   },
 * });
 * ```
 */
export type SendResult = "sent" | "queued" | "dropped";

/**
 * `WebSocket.readyState` values: 0 connecting, 1 open, 2 closing, 3 closed
 * (named in {@link ReadyStates}).
 *
 * @example
 * ```ts
 * import { ReadyStates, serve } from "@fullduplex/fullduplex";
 * import type { ReadyState } from "@fullduplex/fullduplex";
 * serve({
 *   message(socket, msg) {
 *     const state: ReadyState = socket.readyState;
 *     if (state === ReadyStates.OPEN) socket.send(msg.text());
 *   },
 * });
 * ```
 */
export type ReadyState = 0 | 1 | 2 | 3;

/**
 * The ready states by name, the same numbers as the browser's
 * `WebSocket.CONNECTING` … `WebSocket.CLOSED`.
 *
 * @example
 * ```ts
 * import { connect, ReadyStates } from "@fullduplex/fullduplex";
 * const ws = await connect("ws://localhost:8080");
 * console.log(ws.readyState === ReadyStates.OPEN); // true
 * ```
 */
export const ReadyStates: Readonly<{ CONNECTING: 0; OPEN: 1; CLOSING: 2; CLOSED: 3 }> = Object.freeze({
  CONNECTING: 0,
  OPEN: 1,
  CLOSING: 2,
  CLOSED: 3,
});
