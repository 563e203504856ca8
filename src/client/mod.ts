/**
 * The client side of fullduplex only: `connect`, `Client`, `Message`, close
 * codes and errors, with no server code. It runs wherever a standard
 * `WebSocket` exists: browsers, Deno, Bun, Node.js 22+. This is the entry
 * point of the browser bundle (`dist/client.js`, built by `npm run build`).
 *
 * @example
 * ```ts
 * import { connect } from "@fullduplex/fullduplex/client";
 *
 * const ws = await connect("ws://localhost:8080");
 * ws.sendJson({ type: "greeting", content: "Hello Server" });
 * for await (const msg of ws) {
 *   console.log(msg.json());
 *   break;
 * }
 * await ws.close();
 * ```
 *
 * @module
 */

export { Client, connect } from "./connect.ts";
export type { ClientEvents, ConnectOptions, Listener } from "./connect.ts";
export { Message } from "../shared/message.ts";
export type { MessageKind, SendData } from "../shared/message.ts";
export type { CloseInfo } from "../shared/types.ts";
export { CloseCode, isApplicationCloseCode, MAX_CLOSE_REASON_BYTES } from "../shared/close_codes.ts";
export { ConnectError, FullDuplexError, InvalidStateError, MessageDecodeError } from "../shared/errors.ts";
