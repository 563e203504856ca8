/**
 * The typed protocol layer of fullduplex: declare the messages each side
 * may send with Standard Schemas (zod, valibot, arktype, …) or
 * {@link unchecked}, then route validated, typed messages on the server
 * (`router()`, or `serve({ protocol, on })`) and send and receive them on
 * the client (`connectTyped()`, `typedClient()`), with typed requests and
 * replies. `serve` and `connect` themselves come from the root entry point.
 *
 * @example
 * ```ts
 * import { serve } from "@fullduplex/fullduplex";
 * import { connectTyped, defineProtocol, protocolError, unchecked } from "@fullduplex/fullduplex/protocol";
 *
 * const chat = defineProtocol({
 *   client: { greeting: unchecked<{ content: string }>() },
 *   server: { response: unchecked<{ content: string }>(), error: protocolError },
 * });
 * const server = serve({
 *   port: 0,
 *   protocol: chat,
 *   on: { greeting: (socket, msg) => void chat.reply(socket, msg, { type: "response", content: `Hello ${msg.content}` }) },
 * });
 * await server.ready;
 *
 * const ws = await connectTyped(server.url, chat);
 * const reply = await ws.request({ type: "greeting", content: "Ada" }, { reply: "response" });
 * console.log(reply.content); // "Hello Ada"
 * await ws.close();
 * await server.shutdown();
 * ```
 *
 * @module
 */

export { defineProtocol, Protocol, protocolError, unchecked } from "./protocol.ts";
export type {
  AnyProtocol,
  ClientMessage,
  ClientMessageInput,
  ClientMessageType,
  DecodeResult,
  MessageSchemas,
  ProtocolDefinition,
  ProtocolErrorMessage,
  ProtocolOptions,
  ServerMessage,
  ServerMessageInput,
  ServerMessageType,
} from "./protocol.ts";
export { router } from "./router.ts";
export type { InvalidMessagePolicy, RouterHandler, RouterHandlers, RouterOptions } from "./router.ts";
export { TypedClient, typedClient } from "./client.ts";
export type { TypedClientOptions, TypedClientTransport, TypedRequestOptions } from "./client.ts";
export { connectTyped } from "./connect_typed.ts";
export type { ConnectTypedOptions } from "./connect_typed.ts";
export { InvalidReplyError } from "./invalid_reply.ts";
export type { ProtocolHandlersOption } from "./serve_options.ts";
export { jsonCodec } from "./codec.ts";
export type { Codec } from "./codec.ts";
export type { DecodeLimits } from "./limits.ts";
export type { ProtocolIssue, ProtocolProblem } from "./problem.ts";
export type { InferInput, InferOutput, StandardSchemaV1 } from "./standard_schema.ts";
