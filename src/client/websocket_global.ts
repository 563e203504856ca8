/**
 * The global WebSocket constructor, shared by native_socket.ts and its
 * browser twin. Internal.
 *
 * @module
 */

import { ConnectError } from "../shared/errors.ts";
import type { StandardWebSocket } from "./native_socket_types.ts";

/** A standard WebSocket constructor (protocols, or Deno's/Bun's options object). */
export type WebSocketConstructor = new (url: string, init?: string | string[] | Record<string, unknown>) => StandardWebSocket;

/** The global WebSocket, or a ConnectError naming what is missing. */
export function webSocketConstructor(): WebSocketConstructor {
  const ctor = (globalThis as { WebSocket?: unknown }).WebSocket;
  if (typeof ctor !== "function") {
    throw new ConnectError("(none)", "this runtime has no global WebSocket (Node.js needs version 22, or --experimental-websocket on 20)");
  }
  return ctor as WebSocketConstructor;
}
