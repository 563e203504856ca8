/**
 * `router()`: a server `message` handler that decodes and validates every
 * message with a protocol and calls the handler of its type. A message that
 * fails never reaches a handler.
 *
 * @module
 */

import { CloseCode } from "../shared/close_codes.ts";
import type { Message } from "../shared/message.ts";
import { closeWithReservedCode } from "../server/reserved_close.ts";
import type { Socket } from "../server/socket.ts";
import type { ProtocolProblem } from "./problem.ts";
import type { AnyProtocol, ClientMessage, ClientMessageType, DecodeResult, ServerMessageInput } from "./protocol.ts";

/**
 * What the router does with a message that fails to decode or validate:
 *
 * - `"reply"` (default): send the peer an error message (`{ type: "error",
 *   error: "…" }`, or what `errorReply` builds; with the request's
 *   correlation id when the message had one) and keep the connection;
 * - `"drop"`: ignore it silently;
 * - `"close"`: close the connection, 1007 for a decode problem, 1008 for a
 *   validation problem, with the problem as the (truncated) reason.
 *
 * @example
 * ```ts
 * import { router } from "@fullduplex/fullduplex/protocol";
 * import type { InvalidMessagePolicy } from "@fullduplex/fullduplex/protocol";
 * const onInvalid: InvalidMessagePolicy = "close"; // 1007 / 1008
 * ```
 */
export type InvalidMessagePolicy = "reply" | "drop" | "close";

/**
 * One handler per client message type: gets the socket and the validated, typed message.
 *
 * @example
 * ```ts
 * import { defineProtocol, unchecked } from "@fullduplex/fullduplex/protocol";
 * import type { RouterHandlers } from "@fullduplex/fullduplex/protocol";
 * const chat = defineProtocol({
 *   client: { greeting: unchecked<{ content: string }>() },
 *   server: { response: unchecked<{ content: string }>() },
 * });
 * const handlers: RouterHandlers<typeof chat> = {
 *   greeting(socket, msg) {
 *     chat.send(socket, { type: "response", content: msg.content });
 *   },
 * };
 * ```
 */
export type RouterHandlers<P extends AnyProtocol, D = unknown> = {
  [T in ClientMessageType<P>]: (socket: Socket<D>, message: ClientMessage<P, T>) => void | Promise<void>;
};

/**
 * Options of {@link router}.
 *
 * @example
 * ```ts
 * import { defineProtocol, unchecked } from "@fullduplex/fullduplex/protocol";
 * import type { RouterOptions } from "@fullduplex/fullduplex/protocol";
 * const chat = defineProtocol({
 *   client: { greeting: unchecked<{ content: string }>() },
 *   server: { response: unchecked<{ content: string }>() },
 * });
 * const options: RouterOptions<typeof chat> = {
 *   onInvalid: "reply",
 *   errorReply: (problem) => ({ type: "response", content: `refused: ${problem.message}` }),
 * };
 * ```
 */
export interface RouterOptions<P extends AnyProtocol, D = unknown> {
  /**
   * What to do with a message that fails to decode or validate: a
   * {@link InvalidMessagePolicy} or your own function (which then decides
   * everything). Default `"reply"`.
   */
  onInvalid?: InvalidMessagePolicy | ((socket: Socket<D>, problem: ProtocolProblem) => void | Promise<void>);
  /**
   * Builds the error reply for `"reply"`. Default: `protocol.errorMessage(problem)`,
   * i.e. `{ type: "error", error: problem.message }`.
   */
  errorReply?: (problem: ProtocolProblem) => ServerMessageInput<P>;
}

/**
 * The message handler {@link router} returns: pass it as `message` to `serve` or `createHandler`.
 *
 * @example
 * ```ts
 * import { serve } from "@fullduplex/fullduplex";
 * import { defineProtocol, router, unchecked } from "@fullduplex/fullduplex/protocol";
 * import type { RouterHandler } from "@fullduplex/fullduplex/protocol";
 * const chat = defineProtocol({
 *   client: { greeting: unchecked<{ content: string }>() },
 *   server: { response: unchecked<{ content: string }>() },
 * });
 * const message: RouterHandler = router(chat, { greeting() {} });
 * serve({ port: 8080, message });
 * ```
 */
export type RouterHandler<D = unknown> = (socket: Socket<D>, message: Message) => void | Promise<void>;

type AnyHandler<D> = (socket: Socket<D>, message: unknown) => void | Promise<void>;

/**
 * Makes a server `message` handler from a protocol and one handler per
 * client message type. Each received message is decoded with the protocol's
 * codec, checked against the decoding limits, and validated by the schema of
 * its type; only then does its handler run, with the typed message. A
 * message that fails goes to `onInvalid` (by default the peer gets `{ type:
 * "error", error: "invalid \"greeting\" message: content: …" }`) and the
 * connection carries on. A handler that throws is the server's bug and is
 * treated like any handler error (the `error` hook, close 1011).
 *
 * @example
 * ```ts
 * import { serve } from "@fullduplex/fullduplex";
 * import { defineProtocol, protocolError, router } from "@fullduplex/fullduplex/protocol";
 * import { z } from "zod";
 *
 * const chat = defineProtocol({
 *   client: { greeting: z.object({ content: z.string() }) },
 *   server: { response: z.object({ content: z.string() }), error: protocolError },
 * });
 * serve({
 *   port: 8080,
 *   message: router(chat, {
 *     greeting(socket, msg) {
 *       chat.send(socket, { type: "response", content: `Hello ${msg.content}` });
 *     },
 *   }),
 * });
 * ```
 */
export function router<P extends AnyProtocol, D = unknown>(
  protocol: P,
  handlers: RouterHandlers<P, D>,
  options: RouterOptions<P, D> = {},
): RouterHandler<D> {
  const table: Record<string, AnyHandler<D> | undefined> = Object.create(null);
  for (const type of Object.keys(protocol.client)) {
    const handler = (handlers as Record<string, AnyHandler<D> | undefined>)[type];
    if (typeof handler !== "function") throw new TypeError(`router(): no handler for client message ${JSON.stringify(type)}`);
    table[type] = handler;
  }
  const onInvalid = options.onInvalid ?? "reply";
  if (typeof onInvalid !== "function" && onInvalid !== "reply" && onInvalid !== "drop" && onInvalid !== "close") {
    throw new TypeError(`router(): onInvalid must be "reply", "drop", "close" or a function, got ${JSON.stringify(onInvalid)}`);
  }
  const errorReply = options.errorReply ?? ((problem: ProtocolProblem) => protocol.errorMessage(problem));
  const discriminator = protocol.discriminator;

  const idField = protocol.idField;
  const refuse = (socket: Socket<D>, problem: ProtocolProblem, id: string | number | undefined): void | Promise<void> => {
    if (typeof onInvalid === "function") return onInvalid(socket, problem);
    if (onInvalid === "reply") {
      // A refused request gets its id back, so the caller's request() settles now, not at its timeout.
      const reply: object = errorReply(problem);
      socket.send(protocol.codec.encode(id === undefined ? reply : { ...reply, [idField]: id }));
    } else if (onInvalid === "close") {
      const code = problem.kind === "decode" ? CloseCode.InvalidPayload : CloseCode.PolicyViolation;
      closeWithReservedCode(socket, code, problem.message);
    }
  };
  const dispatch = (socket: Socket<D>, result: DecodeResult<unknown>): void | Promise<void> => {
    if (!result.ok) return refuse(socket, result.problem, result.id);
    const message = result.message as Record<string, unknown>;
    // The protocol validated the type against the same keys as the table.
    return table[message[discriminator] as string]!(socket, message);
  };
  return (socket, message) => {
    const result = protocol.decodeClientMessage(message);
    // Only an async schema makes this a promise; sync schemas stay on the fast path.
    if (result instanceof Promise) return result.then((r) => dispatch(socket, r));
    return dispatch(socket, result);
  };
}
