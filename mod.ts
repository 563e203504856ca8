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

export { serve } from "./src/server/serve.ts";
export type { ServeOptions, Server, TlsOptions } from "./src/server/serve.ts";
export { createHandler, NODE_SERVER_UNSUPPORTED } from "./src/server/endpoint.ts";
export type { WebSocketEndpoint } from "./src/server/endpoint.ts";
export type { ShutdownOptions } from "./src/server/core.ts";
export type { ServerStats } from "./src/server/stats.ts";
export { DEFAULT_LIMITS } from "./src/server/options.ts";
export type {
  RateLimitOptions,
  ResolvedLimits,
  UpgradeAccept,
  UpgradeInfo,
  UpgradeRateLimitOptions,
  UpgradeResult,
  WebSocketHandlers,
  WebSocketLimits,
  WebSocketOptions,
} from "./src/server/options.ts";
export { Socket } from "./src/server/socket.ts";
export type { PublishOptions, TopicOptions } from "./src/server/pubsub.ts";
export type { TopicMethods } from "./src/server/publish.ts";
export type { Broker, BrokerListener, BrokerMessage } from "./src/broker/broker.ts";
export { MemoryBroker } from "./src/broker/memory.ts";
export { DEFAULT_SERVER_HEARTBEAT, replyText } from "./src/server/heartbeat.ts";
export type { ServerHeartbeatOption, ServerHeartbeatOptions } from "./src/server/heartbeat.ts";
export { isWebSocketUpgrade, parseProtocols } from "./src/server/upgrade.ts";
export type { DenoServeInfo } from "./src/adapters/deno.ts";
export type { BunServer, BunServerWebSocket, BunSocketData, BunWebSocketHandler } from "./src/adapters/bun.ts";

export { Client, connect } from "./src/client/connect.ts";
export type { ClientEvents, ConnectOptions, Listener } from "./src/client/connect.ts";
export type { DropEvent, ReconnectedEvent, ReconnectingEvent, UrlSource } from "./src/client/connect.ts";
export { backoffDelay, DEFAULT_RECONNECT, resolveReconnect, shouldReconnectByDefault } from "./src/client/reconnect.ts";
export type { ReconnectOptions, ResolvedReconnect } from "./src/client/reconnect.ts";
export { DEFAULT_QUEUE } from "./src/client/queue.ts";
export type { QueueOptions } from "./src/client/queue.ts";
export { DEFAULT_CLIENT_HEARTBEAT, HEARTBEAT_CLOSE_CODE } from "./src/client/heartbeat.ts";
export type { HeartbeatOptions } from "./src/client/heartbeat.ts";
export { DEFAULT_REQUEST } from "./src/client/request.ts";
export type { RequestDefaults, RequestOptions } from "./src/client/request.ts";

export { defineProtocol, Protocol, protocolError, unchecked } from "./src/protocol/protocol.ts";
export type {
  AnyProtocol,
  ClientMessage,
  ClientMessageInput,
  ClientMessageType,
  DecodeResult,
  MessageSchemas,
  MessageSink,
  MessagesOf,
  ProtocolDefinition,
  ProtocolErrorMessage,
  ProtocolOptions,
  ServerMessage,
  ServerMessageInput,
  ServerMessageType,
  Tagged,
} from "./src/protocol/protocol.ts";
export { router } from "./src/protocol/router.ts";
export type { InvalidMessagePolicy, RouterHandler, RouterHandlers, RouterOptions } from "./src/protocol/router.ts";
export { TypedClient, typedClient } from "./src/protocol/client.ts";
export type { TypedClientOptions, TypedClientTransport, TypedRequestOptions } from "./src/protocol/client.ts";
export { connectTyped } from "./src/protocol/connect_typed.ts";
export type { ConnectTypedOptions } from "./src/protocol/connect_typed.ts";
export { InvalidReplyError } from "./src/protocol/requests.ts";
export type { ProtocolHandlersOption } from "./src/protocol/serve_options.ts";
export { jsonCodec } from "./src/protocol/codec.ts";
export type { Codec } from "./src/protocol/codec.ts";
export { DEFAULT_DECODE_LIMITS } from "./src/protocol/limits.ts";
export type { DecodeLimits, ResolvedDecodeLimits } from "./src/protocol/limits.ts";
export type { ProtocolIssue, ProtocolProblem } from "./src/protocol/problem.ts";
export type {
  InferInput,
  InferOutput,
  StandardFailureResult,
  StandardIssue,
  StandardPathSegment,
  StandardResult,
  StandardSchemaProps,
  StandardSchemaV1,
  StandardSuccessResult,
  StandardTypes,
} from "./src/protocol/standard_schema.ts";

export { Message } from "./src/shared/message.ts";
export type { MessageKind, SendData } from "./src/shared/message.ts";
export { assertCloseArgs, CloseCode, isApplicationCloseCode, MAX_CLOSE_REASON_BYTES, utf8ByteLength } from "./src/shared/close_codes.ts";
export { ConnectError, FullDuplexError, InvalidStateError, MessageDecodeError } from "./src/shared/errors.ts";
export { QueueFullError, RequestError, UnsupportedRuntimeError } from "./src/shared/errors.ts";
export { ReadyStates } from "./src/shared/types.ts";
export type { CloseInfo, ReadyState, RemoteAddress, SendResult } from "./src/shared/types.ts";
export { detectRuntime } from "./src/shared/runtime.ts";
export type { RuntimeName } from "./src/shared/runtime.ts";
