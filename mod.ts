/**
 * fullduplex: one small, well-tested WebSocket API over Deno's and Bun's
 * native engines. A server (`serve`, or `createHandler` to mount in your
 * own Deno.serve/Bun.serve app) and a client (`connect`) that behave the
 * same on both runtimes.
 *
 * @example
 * ```ts
 * import { connect, serve } from "@fullduplex/fullduplex";
 *
 * const server = serve({
 *   port: 0,
 *   message(socket, msg) {
 *     socket.send(msg.kind === "text" ? `Echo: ${msg.text()}` : msg.bytes());
 *   },
 * });
 * await server.ready;
 *
 * const ws = await connect(server.url);
 * ws.send("Hello");
 * for await (const msg of ws) {
 *   console.log(msg.text()); // "Echo: Hello"
 *   break;
 * }
 * await ws.close();
 * await server.shutdown();
 * ```
 *
 * @module
 */

export { serve } from "./src/entry/serve.ts";
export type { ServeOptions, Server, TlsOptions } from "./src/entry/serve.ts";
export { createHandler } from "./src/entry/endpoint.ts";
export type { WebSocketEndpoint } from "./src/entry/endpoint.ts";
export type { EngineOptions } from "./src/entry/adapter.ts";
export type { WsPerMessageDeflate } from "./src/adapters/ws_api.ts";
export type { NodeUpgradeRequest, NodeUpgradeSocket } from "./src/adapters/node_http_api.ts";
export type { ShutdownOptions } from "./src/server/shutdown.ts";
export type { ServerStats } from "./src/server/stats.ts";
export type { MetricsOptions } from "./src/server/metrics.ts";
export type {
  RateLimitOptions,
  UpgradeAccept,
  UpgradeInfo,
  UpgradeRateLimitOptions,
  UpgradeResult,
  WebSocketHandlers,
  WebSocketLimits,
  WebSocketOptions,
} from "./src/server/options.ts";
export { Socket } from "./src/server/socket.ts";
export type { SocketRequestOptions } from "./src/server/socket.ts";
export type { ChannelsOptions } from "./src/server/channel_options.ts";
export type { PublishOptions } from "./src/server/pubsub.ts";
export type { TopicMethods } from "./src/server/publish.ts";
export type { Broker, BrokerMessage } from "./src/broker/broker.ts";
export { MemoryBroker } from "./src/broker/memory.ts";
export type { ServerHeartbeatOptions } from "./src/server/heartbeat.ts";
export { isWebSocketUpgrade } from "./src/server/upgrade.ts";
export type { DenoServeInfo } from "./src/adapters/deno_api.ts";
export type { BunServer, BunServerWebSocket, BunWebSocketHandler } from "./src/adapters/bun_api.ts";

export { connect } from "./src/client/connect.ts";
export { Client } from "./src/client/client.ts";
// The client's event payloads and sub-option types (DropEvent, ReconnectOptions, QueueOptions,
// HeartbeatOptions, RequestDefaults, SubscriptionEvents, …) are exported from "./client".
export type { ClientEvents, ConnectOptions, UrlSource } from "./src/client/types.ts";
export { shouldReconnectByDefault } from "./src/client/reconnect.ts";
export { HEARTBEAT_CLOSE_CODE } from "./src/client/heartbeat.ts";
export type { RequestOptions } from "./src/client/request.ts";
export { Subscription } from "./src/client/subscription.ts";
export type { SubscribeOptions } from "./src/client/channel_types.ts";
export type { PresenceMember } from "./src/shared/channel_wire.ts";

// The typed protocol layer has its own entry point: "@fullduplex/fullduplex/protocol" (src/protocol/mod.ts).

export { Message } from "./src/shared/message.ts";
export type { MessageKind, SendData } from "./src/shared/message.ts";
export { CloseCode } from "./src/shared/close_codes.ts";
export { ConnectError, FullDuplexError, InvalidStateError, MessageDecodeError } from "./src/shared/errors.ts";
export { PublishError, QueueFullError, RequestError, SubscribeError, UnsupportedRuntimeError } from "./src/shared/errors.ts";
export { ReadyStates } from "./src/shared/types.ts";
export type { CloseInfo, ReadyState, RemoteAddress, SendResult } from "./src/shared/types.ts";
