/**
 * The client side of fullduplex only: `connect`, `Client`, channel
 * subscriptions, `Message`, close codes and errors, with no server code. It runs wherever a standard
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

// The same client names as the root entry point (mod.ts), without any server code.
export { connect } from "./connect.ts";
export { Client } from "./client.ts";
export type { ClientEvents, ConnectOptions, DropEvent, Listener, ReconnectedEvent, ReconnectingEvent, UrlSource } from "./types.ts";
export { shouldReconnectByDefault } from "./reconnect.ts";
export type { ReconnectOptions } from "./reconnect.ts";
export type { QueueOptions } from "./queue.ts";
export { HEARTBEAT_CLOSE_CODE } from "./heartbeat.ts";
export type { HeartbeatOptions } from "./heartbeat.ts";
export type { RequestDefaults, RequestOptions } from "./request.ts";
export { Subscription } from "./subscription.ts";
export type { PublicationEvent, RecoveryEvent, RequestHandler, SubscribeOptions, SubscriptionEvents } from "./channel_types.ts";
export type { RecoveryFailure, StreamPosition } from "../shared/position.ts";
export type { PresenceMember } from "../shared/channel_wire.ts";
export { Message } from "../shared/message.ts";
export type { MessageKind, SendData } from "../shared/message.ts";
export { CloseCode, isApplicationCloseCode, MAX_CLOSE_REASON_BYTES } from "../shared/close_codes.ts";
export { ConnectError, FullDuplexError, InvalidStateError, MessageDecodeError, QueueFullError, RequestError } from "../shared/errors.ts";
export { PublishError, SubscribeError } from "../shared/errors.ts";
export { ReadyStates } from "../shared/types.ts";
export type { CloseInfo, ReadyState } from "../shared/types.ts";
