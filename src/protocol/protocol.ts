/**
 * `defineProtocol()`: the messages each side may send, keyed by a
 * discriminator, each with a Standard Schema; typed encoding, and decoding
 * that validates, shared by the server router and the typed client.
 *
 * @module
 */

import { Message } from "../shared/message.ts";
import { jsonCodec } from "./codec.ts";
import { InvalidReplyError } from "./invalid_reply.ts";
import type { Codec } from "./codec.ts";
import { checkDecodedValue, isForbiddenKey, resolveDecodeLimits } from "./limits.ts";
import type { DecodeLimits } from "./limits.ts";
import { cap, decodeProblem, issuesProblem, showType, validationProblem } from "./problem.ts";
import type { ProtocolProblem } from "./problem.ts";
import type { InferInput, InferOutput, StandardResult, StandardSchemaV1 } from "./standard_schema.ts";

/**
 * The schemas of one side's messages: message type → schema.
 *
 * @example
 * ```ts
 * import { unchecked } from "@fullduplex/fullduplex/protocol";
 * import type { MessageSchemas } from "@fullduplex/fullduplex/protocol";
 * const client = { greeting: unchecked<{ content: string }>() } satisfies MessageSchemas;
 * ```
 */
export type MessageSchemas = { readonly [type: string]: StandardSchemaV1 };

/**
 * What {@link defineProtocol} takes: the messages the client sends and those the server sends.
 *
 * @example
 * ```ts
 * import { protocolError, unchecked } from "@fullduplex/fullduplex/protocol";
 * import type { MessageSchemas, ProtocolDefinition } from "@fullduplex/fullduplex/protocol";
 * // Usually written inline: defineProtocol({ client: {…}, server: {…} }).
 * const definition: ProtocolDefinition<MessageSchemas, MessageSchemas> = {
 *   client: { greeting: unchecked<{ content: string }>() },
 *   server: { error: protocolError },
 * };
 * ```
 */
export interface ProtocolDefinition<C extends MessageSchemas, S extends MessageSchemas> {
  /** Messages the client sends (the server receives and validates them). */
  client: C;
  /** Messages the server sends (the typed client receives and validates them). */
  server: S;
}

/**
 * Options of {@link defineProtocol}.
 *
 * @example
 * ```ts
 * import { defineProtocol, jsonCodec, unchecked } from "@fullduplex/fullduplex/protocol";
 * import type { ProtocolOptions } from "@fullduplex/fullduplex/protocol";
 * const options: ProtocolOptions<"kind"> = { discriminator: "kind", idField: "rid", codec: jsonCodec, limits: { maxDepth: 8 } };
 * const p = defineProtocol({ client: { ping: unchecked<{ at: number }>() }, server: {} }, options);
 * p.encodeClientMessage({ kind: "ping", at: 1 });
 * ```
 */
export interface ProtocolOptions<K extends string> {
  /** The field that names a message's type. Default `"type"`. */
  discriminator?: K;
  /**
   * The field that carries a request's correlation id: `typedClient(…).request()`
   * adds it to the request, `protocol.reply()` copies it into the reply, and
   * the router copies it into its error reply to a refused request. No message
   * schema may use this field for anything else. Default `"id"` (the same as
   * `client.request()` and `socket.reply()`).
   */
  idField?: string;
  /** How messages are encoded. Default {@link jsonCodec}. */
  codec?: Codec;
  /** Decoding limits; see {@link DecodeLimits} for the defaults. */
  limits?: DecodeLimits;
}

/**
 * What generic code (the router, the typed client) needs from any protocol:
 * the members of {@link Protocol} with its type parameters erased. Every
 * protocol `defineProtocol` returns is one.
 *
 * @example
 * ```ts
 * import type { AnyProtocol } from "@fullduplex/fullduplex/protocol";
 * function describe(protocol: AnyProtocol): string {
 *   return `${Object.keys(protocol.client).length} client messages, ${protocol.codec.name}`;
 * }
 * ```
 */
export interface AnyProtocol {
  /** The field naming a message's type. */
  readonly discriminator: string;
  /** The field carrying a request's correlation id. */
  readonly idField: string;
  /** Schemas of the messages the client sends. */
  readonly client: MessageSchemas;
  /** Schemas of the messages the server sends. */
  readonly server: MessageSchemas;
  /** The codec. */
  readonly codec: Codec;
  /** The decoding limits, defaults applied. */
  readonly limits: Readonly<Required<DecodeLimits>>;
  /** Decodes and validates a message a client sent. Never throws. */
  decodeClientMessage(data: string | Uint8Array | Message): DecodeResult<unknown> | Promise<DecodeResult<unknown>>;
  /** Decodes and validates a message the server sent. Never throws. */
  decodeServerMessage(data: string | Uint8Array | Message): DecodeResult<unknown> | Promise<DecodeResult<unknown>>;
  /** Validates an already decoded server message (limits, discriminator, schema). Never throws. */
  validateServerMessage(value: unknown): DecodeResult<unknown> | Promise<DecodeResult<unknown>>;
  /** The default error reply for a problem. */
  errorMessage(problem: ProtocolProblem): object;
}

/**
 * The message types the client sends under protocol `P`.
 *
 * @example
 * ```ts
 * import { defineProtocol, unchecked } from "@fullduplex/fullduplex/protocol";
 * import type { ClientMessageType } from "@fullduplex/fullduplex/protocol";
 * const chat = defineProtocol({
 *   client: { greeting: unchecked<{ content: string }>() },
 *   server: { response: unchecked<{ content: string }>() },
 * });
 * const type: ClientMessageType<typeof chat> = "greeting";
 * ```
 */
export type ClientMessageType<P extends AnyProtocol> = keyof P["client"] & string;
/**
 * The message types the server sends under protocol `P`.
 *
 * @example
 * ```ts
 * import { defineProtocol, unchecked } from "@fullduplex/fullduplex/protocol";
 * import type { ServerMessageType } from "@fullduplex/fullduplex/protocol";
 * const chat = defineProtocol({
 *   client: { greeting: unchecked<{ content: string }>() },
 *   server: { response: unchecked<{ content: string }>() },
 * });
 * const type: ServerMessageType<typeof chat> = "response";
 * ```
 */
export type ServerMessageType<P extends AnyProtocol> = keyof P["server"] & string;

/**
 * A client message as the server's handlers receive it (validated), or one
 * type of them.
 *
 * @example
 * ```ts
 * import { defineProtocol, unchecked } from "@fullduplex/fullduplex/protocol";
 * import type { ClientMessage } from "@fullduplex/fullduplex/protocol";
 * const chat = defineProtocol({
 *   client: { greeting: unchecked<{ content: string }>() },
 *   server: { response: unchecked<{ content: string }>() },
 * });
 * type Greeting = ClientMessage<typeof chat, "greeting">; // { type: "greeting"; content: string }
 * ```
 */
export type ClientMessage<P extends AnyProtocol, T extends ClientMessageType<P> = ClientMessageType<P>> = {
  // How this and the three message types below are built (written out in each, because a helper
  // type in a public signature would have to be public too): for each message type N, the
  // discriminator set to N plus the fields V of its schema, flattened by the mapped type so editors
  // show { type: "greeting"; content: string }. A V with only a `never` index signature (zod 4 types
  // `z.object({})` as Record<string, never>, which would make even the discriminator `never`) adds no fields.
  [N in T]: InferOutput<P["client"][N]> extends infer V ? {
      [F in keyof ({ [Q in P["discriminator"]]: N } & (string extends keyof V ? ([V[keyof V]] extends [never] ? unknown : V) : V))]:
        ({ [Q in P["discriminator"]]: N } & (string extends keyof V ? ([V[keyof V]] extends [never] ? unknown : V) : V))[F];
    }
    : never;
}[T];

/**
 * A server message as the typed client receives it (validated), or one type of them.
 *
 * @example
 * ```ts
 * import { defineProtocol, unchecked } from "@fullduplex/fullduplex/protocol";
 * import type { ServerMessage } from "@fullduplex/fullduplex/protocol";
 * const chat = defineProtocol({
 *   client: { greeting: unchecked<{ content: string }>() },
 *   server: { response: unchecked<{ content: string }>() },
 * });
 * function show(msg: ServerMessage<typeof chat>): string {
 *   return msg.content;
 * }
 * ```
 */
export type ServerMessage<P extends AnyProtocol, T extends ServerMessageType<P> = ServerMessageType<P>> = {
  [N in T]: InferOutput<P["server"][N]> extends infer V ? {
      [F in keyof ({ [Q in P["discriminator"]]: N } & (string extends keyof V ? ([V[keyof V]] extends [never] ? unknown : V) : V))]:
        ({ [Q in P["discriminator"]]: N } & (string extends keyof V ? ([V[keyof V]] extends [never] ? unknown : V) : V))[F];
    }
    : never;
}[T];

/**
 * A client message as the client may send it (what the server's schema accepts).
 *
 * @example
 * ```ts
 * import { defineProtocol, unchecked } from "@fullduplex/fullduplex/protocol";
 * import type { ClientMessageInput } from "@fullduplex/fullduplex/protocol";
 * const chat = defineProtocol({
 *   client: { greeting: unchecked<{ content: string }>() },
 *   server: { response: unchecked<{ content: string }>() },
 * });
 * const greeting: ClientMessageInput<typeof chat> = { type: "greeting", content: "hi" };
 * ```
 */
export type ClientMessageInput<P extends AnyProtocol> = {
  [N in ClientMessageType<P>]: InferInput<P["client"][N]> extends infer V ? {
      [F in keyof ({ [Q in P["discriminator"]]: N } & (string extends keyof V ? ([V[keyof V]] extends [never] ? unknown : V) : V))]:
        ({ [Q in P["discriminator"]]: N } & (string extends keyof V ? ([V[keyof V]] extends [never] ? unknown : V) : V))[F];
    }
    : never;
}[ClientMessageType<P>];

/**
 * A server message as the server may send it (what the client's schema accepts).
 *
 * @example
 * ```ts
 * import { defineProtocol, unchecked } from "@fullduplex/fullduplex/protocol";
 * import type { ServerMessageInput } from "@fullduplex/fullduplex/protocol";
 * const chat = defineProtocol({
 *   client: { greeting: unchecked<{ content: string }>() },
 *   server: { response: unchecked<{ content: string }>() },
 * });
 * const response: ServerMessageInput<typeof chat> = { type: "response", content: "hi" };
 * ```
 */
export type ServerMessageInput<P extends AnyProtocol> = {
  [N in ServerMessageType<P>]: InferInput<P["server"][N]> extends infer V ? {
      [F in keyof ({ [Q in P["discriminator"]]: N } & (string extends keyof V ? ([V[keyof V]] extends [never] ? unknown : V) : V))]:
        ({ [Q in P["discriminator"]]: N } & (string extends keyof V ? ([V[keyof V]] extends [never] ? unknown : V) : V))[F];
    }
    : never;
}[ServerMessageType<P>];

/**
 * The default reply to a refused message: `{ type: "error", error: "…" }`.
 *
 * @example
 * ```ts
 * import type { ProtocolErrorMessage } from "@fullduplex/fullduplex/protocol";
 * const error: ProtocolErrorMessage = { type: "error", error: "invalid \"greeting\" message: content: expected string" };
 * ```
 */
export type ProtocolErrorMessage<K extends string = "type"> = { [P in K]: "error" } & { error: string };

/**
 * The outcome of decoding a message: the validated message, or the problem.
 * A refused message that carried a correlation id (a string of at most 128
 * characters, or a finite number, under the protocol's `idField`) keeps it
 * in `id`, so an error reply can answer the request.
 *
 * @example
 * ```ts
 * import { defineProtocol, unchecked } from "@fullduplex/fullduplex/protocol";
 * import type { ClientMessage, DecodeResult } from "@fullduplex/fullduplex/protocol";
 * const chat = defineProtocol({
 *   client: { greeting: unchecked<{ content: string }>() },
 *   server: { response: unchecked<{ content: string }>() },
 * });
 * const result: DecodeResult<ClientMessage<typeof chat>> = await chat.decodeClientMessage('{"type":"greeting","content":"hi"}');
 * console.log(result.ok ? result.message.content : result.problem.message);
 * ```
 */
export type DecodeResult<M> =
  | { readonly ok: true; readonly message: M }
  | { readonly ok: false; readonly problem: ProtocolProblem; readonly id?: string | number };

/** A decode result, or its promise when a schema validates asynchronously. */
type Decoded<M = unknown> = DecodeResult<M> | Promise<DecodeResult<M>>;

/** Most message types an "unknown type" error lists. */
const LISTED_TYPES = 10;
/** Longest correlation id a refused message's error reply repeats (ids from `request()` are ~10 characters). */
const MAX_ECHOED_ID = 128;

/** The correlation id of a decoded value, when it has one worth repeating in an error reply. */
function echoableId(value: unknown, idField: string): string | number | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const id = (value as Record<string, unknown>)[idField];
  if (typeof id === "string") return id.length <= MAX_ECHOED_ID ? id : undefined;
  return typeof id === "number" && Number.isFinite(id) ? id : undefined;
}

/** One side's schemas, ready for decoding. */
class SideTable {
  /** Null-prototype, so `"constructor"` or `"__proto__"` as a type finds nothing. */
  readonly schemas: Record<string, StandardSchemaV1 | undefined> = Object.create(null);
  /** `this server understands "a", "b"`. */
  readonly understands: string;
  /** Whether validated messages keep their correlation id when the schema strips it: on the server, which replies with it. */
  readonly keepsId: boolean;
  constructor(schemas: MessageSchemas, reader: "server" | "client") {
    this.keepsId = reader === "server";
    const types = Object.keys(schemas);
    for (const type of types) {
      const schema = schemas[type];
      if (typeof schema?.["~standard"]?.validate !== "function") {
        throw new TypeError(
          `the schema of ${reader === "server" ? "client" : "server"} message ${
            JSON.stringify(type)
          } is not a Standard Schema (it needs a "~standard".validate function)`,
        );
      }
      this.schemas[type] = schema;
    }
    const listed = types.slice(0, LISTED_TYPES).map((t) => JSON.stringify(t)).join(", ");
    this.understands = types.length === 0
      ? `this ${reader} understands no messages`
      : `this ${reader} understands ${listed}${types.length > LISTED_TYPES ? ", …" : ""}`;
  }
}

function isThenable<T>(value: unknown): value is PromiseLike<T> {
  return typeof value === "object" && value !== null && typeof (value as { then?: unknown }).then === "function";
}

/**
 * A message protocol made by {@link defineProtocol}: the schemas of both
 * sides, the discriminator, the codec and the decoding limits. It encodes
 * typed messages and decodes-and-validates received ones; `router()` and
 * `typedClient()` build on it.
 *
 * @example
 * ```ts
 * import { defineProtocol, unchecked } from "@fullduplex/fullduplex/protocol";
 * const p = defineProtocol({ client: { ping: unchecked<{ at: number }>() }, server: {} });
 * const result = p.decodeClientMessage('{"type":"ping","at":1}');
 * if (!(result instanceof Promise)) console.log(result.ok ? result.message.at : result.problem.message);
 * ```
 */
export class Protocol<C extends MessageSchemas, S extends MessageSchemas, K extends string = "type"> implements AnyProtocol {
  /** The field naming a message's type. */
  readonly discriminator: K;
  /** The field carrying a request's correlation id. Default `"id"`. */
  readonly idField: string;
  /** Schemas of the messages the client sends. */
  readonly client: C;
  /** Schemas of the messages the server sends. */
  readonly server: S;
  /** The codec. */
  readonly codec: Codec;
  /** The decoding limits, defaults applied. */
  readonly limits: Readonly<Required<DecodeLimits>>;
  readonly #fromClient: SideTable;
  readonly #fromServer: SideTable;

  /** @internal Use {@link defineProtocol}. */
  constructor(definition: ProtocolDefinition<C, S>, options: ProtocolOptions<K>) {
    const discriminator = (options.discriminator ?? "type") as K;
    if (typeof discriminator !== "string" || discriminator === "" || isForbiddenKey(discriminator)) {
      throw new TypeError(
        `discriminator must be a non-empty field name other than __proto__, constructor or prototype; got ${JSON.stringify(discriminator)}`,
      );
    }
    if (
      typeof definition !== "object" || definition === null || typeof definition.client !== "object" ||
      typeof definition.server !== "object"
    ) {
      throw new TypeError("defineProtocol() takes { client: { type: schema, … }, server: { type: schema, … } }");
    }
    const idField = options.idField ?? "id";
    if (typeof idField !== "string" || idField === "" || idField === discriminator || isForbiddenKey(idField)) {
      throw new TypeError(
        `idField must be a non-empty field name other than the discriminator, __proto__, constructor or prototype; got ${
          JSON.stringify(idField)
        }`,
      );
    }
    this.discriminator = discriminator;
    this.idField = idField;
    this.client = definition.client;
    this.server = definition.server;
    this.codec = options.codec ?? jsonCodec;
    if (typeof this.codec.encode !== "function" || typeof this.codec.decode !== "function") {
      throw new TypeError("codec must have encode(value) and decode(data) functions");
    }
    this.limits = resolveDecodeLimits(options.limits);
    this.#fromClient = new SideTable(definition.client, "server");
    this.#fromServer = new SideTable(definition.server, "client");
  }

  /**
   * Encodes a server message and sends it through `socket` (a server
   * `Socket`, or anything with `send(string | Uint8Array)`); returns what
   * `socket.send` returns. Only messages of the protocol's server side
   * type-check. Nothing is validated at run time: the types are the check.
   *
   * @example
   * ```ts
   * import { serve } from "@fullduplex/fullduplex";
   * import { defineProtocol, unchecked } from "@fullduplex/fullduplex/protocol";
   * const chat = defineProtocol({
   *   client: { greeting: unchecked<{ content: string }>() },
   *   server: { response: unchecked<{ content: string }>() },
   * });
   * serve({ port: 8080, open: (socket) => chat.send(socket, { type: "response", content: "Hello Client" }) });
   * ```
   */
  send<R>(socket: { send(data: string | Uint8Array): R }, message: ServerMessageInput<Protocol<C, S, K>>): R {
    return socket.send(this.codec.encode(message));
  }

  /**
   * Answers a request: encodes `reply` (a server message) with the request's
   * correlation id copied under the protocol's `idField`, and sends it
   * through `socket`; returns what `socket.send` returns. `request` is the
   * message a router handler received (the id survives schemas that strip
   * unknown keys). A message without an id (sent with `send()`, not
   * `request()`) gets `reply` as a plain message, so one handler serves both.
   *
   * @example
   * ```ts
   * import { serve } from "@fullduplex/fullduplex";
   * import { defineProtocol, unchecked } from "@fullduplex/fullduplex/protocol";
   * const calc = defineProtocol({
   *   client: { sum: unchecked<{ values: number[] }>() },
   *   server: { total: unchecked<{ total: number }>() },
   * });
   * serve({
   *   port: 8080,
   *   protocol: calc,
   *   on: {
   *     sum(socket, msg) {
   *       calc.reply(socket, msg, { type: "total", total: msg.values.reduce((a, b) => a + b, 0) });
   *     },
   *   },
   * });
   * ```
   */
  reply<R>(socket: { send(data: string | Uint8Array): R }, request: object, reply: ServerMessageInput<Protocol<C, S, K>>): R {
    const id = (request as Record<string, unknown>)[this.idField];
    // A message sent with send(), not request(), has no id: the answer goes out as a plain message,
    // so one handler serves both kinds of caller.
    return socket.send(this.codec.encode(id === undefined || id === null ? reply : { ...reply, [this.idField]: id }));
  }

  /**
   * Asks a client over channels (`socket.request()`, docs/channels.md):
   * sends `message` (a server message, as JSON in the `req`) and resolves
   * with the client's reply validated as a client message of this protocol.
   * Rejects like `socket.request()` (a RequestError: `"timeout"`, `"closed"`,
   * `"rejected"`, `"dropped"`; an InvalidStateError without channels), and
   * with an {@link InvalidReplyError} when the reply is not a valid client
   * message.
   *
   * @example
   * ```ts
   * import { serve } from "@fullduplex/fullduplex";
   * import { defineProtocol, unchecked } from "@fullduplex/fullduplex/protocol";
   * const game = defineProtocol({
   *   client: { move: unchecked<{ x: number; y: number }>() },
   *   server: { yourTurn: unchecked<{ board: number[] }>() },
   * });
   * serve({
   *   port: 8080,
   *   channels: { authorize: () => true },
   *   async open(socket) {
   *     const move = await game.request(socket, { type: "yourTurn", board: [] }, { timeout: 30_000 });
   *     console.log(move.type, move.x, move.y);
   *   },
   * });
   * ```
   */
  async request(
    socket: { request(value: unknown, options?: { timeout?: number }): Promise<unknown> },
    message: ServerMessageInput<Protocol<C, S, K>>,
    options?: { timeout?: number },
  ): Promise<ClientMessage<Protocol<C, S, K>>> {
    const reply = await socket.request(message, options);
    const result = await this.validateClientMessage(reply);
    if (!result.ok) throw new InvalidReplyError("from the server", result.problem);
    return result.message;
  }

  /** Encodes a server message (e.g. to `publish` it to a topic). */
  encodeServerMessage(message: ServerMessageInput<Protocol<C, S, K>>): string | Uint8Array {
    return this.codec.encode(message);
  }

  /** Encodes a client message. */
  encodeClientMessage(message: ClientMessageInput<Protocol<C, S, K>>): string | Uint8Array {
    return this.codec.encode(message);
  }

  /**
   * Decodes and validates a message a client sent (what the server receives).
   * Returns a promise only when the message's schema validates asynchronously.
   * Never throws.
   *
   * @example
   * ```ts
   * import { defineProtocol, unchecked } from "@fullduplex/fullduplex/protocol";
   * const chat = defineProtocol({
   *   client: { greeting: unchecked<{ content: string }>() },
   *   server: { response: unchecked<{ content: string }>() },
   * });
   * const result = chat.decodeClientMessage('{"type":"greeting","content":"hi"}');
   * if (!(result instanceof Promise) && result.ok) console.log(result.message.content);
   * ```
   */
  decodeClientMessage(
    data: string | Uint8Array | Message,
  ): DecodeResult<ClientMessage<Protocol<C, S, K>>> | Promise<DecodeResult<ClientMessage<Protocol<C, S, K>>>> {
    return this.#decode(this.#fromClient, data) as Decoded<ClientMessage<Protocol<C, S, K>>>;
  }

  /** Decodes and validates a message the server sent (what the client receives). Never throws. */
  decodeServerMessage(
    data: string | Uint8Array | Message,
  ): DecodeResult<ServerMessage<Protocol<C, S, K>>> | Promise<DecodeResult<ServerMessage<Protocol<C, S, K>>>> {
    return this.#decode(this.#fromServer, data) as Decoded<ServerMessage<Protocol<C, S, K>>>;
  }

  /** Validates an already decoded client message (limits, discriminator, schema). Never throws. */
  validateClientMessage(
    value: unknown,
  ): DecodeResult<ClientMessage<Protocol<C, S, K>>> | Promise<DecodeResult<ClientMessage<Protocol<C, S, K>>>> {
    return this.#validate(this.#fromClient, value) as Decoded<ClientMessage<Protocol<C, S, K>>>;
  }

  /** Validates an already decoded server message. Never throws. */
  validateServerMessage(
    value: unknown,
  ): DecodeResult<ServerMessage<Protocol<C, S, K>>> | Promise<DecodeResult<ServerMessage<Protocol<C, S, K>>>> {
    return this.#validate(this.#fromServer, value) as Decoded<ServerMessage<Protocol<C, S, K>>>;
  }

  /**
   * The default reply to a refused message: `{ type: "error", error:
   * problem.message }` (with this protocol's discriminator).
   */
  errorMessage(problem: ProtocolProblem): ProtocolErrorMessage<K> {
    return { [this.discriminator]: "error", error: problem.message } as ProtocolErrorMessage<K>;
  }

  #decode(table: SideTable, data: string | Uint8Array | Message): Decoded {
    let value: unknown;
    try {
      const payload = data instanceof Message ? (data.kind === "text" ? data.text() : data.bytes()) : data;
      value = this.codec.decode(payload, this.limits);
    } catch (err) {
      return { ok: false, problem: decodeProblem(this.codec.name, err) };
    }
    return this.#validate(table, value);
  }

  #validate(table: SideTable, value: unknown): Decoded {
    const result = this.#check(table, value);
    // Only a refused message pays for the id lookup.
    if (!(result instanceof Promise) && !result.ok) return this.#withId(result, value);
    if (result instanceof Promise) return result.then((r) => (r.ok ? r : this.#withId(r, value)));
    return result;
  }

  #withId(result: DecodeResult<unknown>, value: unknown): DecodeResult<unknown> {
    const id = echoableId(value, this.idField);
    return id === undefined ? result : { ...result, id } as DecodeResult<unknown>;
  }

  #check(table: SideTable, value: unknown): Decoded {
    const disc = this.discriminator;
    const refused = checkDecodedValue(value, this.limits);
    if (refused !== undefined) {
      return { ok: false, problem: { kind: "decode", message: `${this.codec.name} message refused: ${refused}`, issues: [] } };
    }
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      return { ok: false, problem: validationProblem(`expected a ${this.codec.name} object with a string "${disc}"`) };
    }
    const type = (value as Record<string, unknown>)[disc];
    if (typeof type !== "string") {
      return { ok: false, problem: validationProblem(`missing "${disc}": expected a ${this.codec.name} object with a string "${disc}"`) };
    }
    const schema = table.schemas[type];
    if (schema === undefined) {
      return { ok: false, problem: validationProblem(`unknown message type ${showType(type)}: ${table.understands}`, type) };
    }
    let result: StandardResult<unknown> | Promise<StandardResult<unknown>>;
    try {
      result = schema["~standard"].validate(value);
    } catch (err) {
      return { ok: false, problem: schemaThrew(type, err) };
    }
    if (isThenable<StandardResult<unknown>>(result)) {
      return Promise.resolve(result).then(
        (r) => this.#finish(table, type, r, value),
        (err) => ({ ok: false, problem: schemaThrew(type, err) }),
      );
    }
    return this.#finish(table, type, result, value);
  }

  #finish(table: SideTable, type: string, result: StandardResult<unknown>, value: object): DecodeResult<unknown> {
    if (result.issues !== undefined) return { ok: false, problem: issuesProblem(type, result.issues) };
    const output = result.value;
    if (typeof output !== "object" || output === null || Array.isArray(output)) {
      return { ok: false, problem: validationProblem(`invalid ${showType(type)} message: its schema did not produce an object`, type) };
    }
    const disc = this.discriminator;
    // Schemas that strip unknown keys (zod's z.object) drop the discriminator:
    // put it back, first, so the message reads { type, …fields }.
    let message = (output as Record<string, unknown>)[disc] === type ? output : { [disc]: type, ...output };
    // On the server, the correlation id too, so `protocol.reply(socket, msg, …)`
    // can answer a request whose schema stripped it.
    if (table.keepsId) {
      const idField = this.idField;
      const id = (value as Record<string, unknown>)[idField];
      if (id !== undefined && (message as Record<string, unknown>)[idField] === undefined) message = { ...message, [idField]: id };
    }
    return { ok: true, message };
  }
}

/** A schema (or a transform in it) threw instead of returning issues: a bug on this side, not the peer's. */
function schemaThrew(type: string, err: unknown): ProtocolProblem {
  return {
    ...validationProblem(
      `invalid ${showType(type)} message: its schema failed (${cap(err instanceof Error ? err.name : "error", 40)})`,
      type,
    ),
    cause: err,
  };
}

/**
 * Declares a message protocol: the messages the client sends and those the
 * server sends, each keyed by its type (the `discriminator` field, `"type"`
 * by default) with a Standard Schema (zod, valibot, arktype, …) or
 * {@link unchecked}. Each schema describes the message's fields; the
 * discriminator is checked and added by fullduplex, so schemas need not
 * mention it (a schema that does must accept it).
 *
 * @example
 * ```ts
 * import { defineProtocol, protocolError } from "@fullduplex/fullduplex/protocol";
 * import { z } from "zod";
 *
 * export const chat = defineProtocol({
 *   client: { greeting: z.object({ content: z.string().max(1000) }) },
 *   server: { response: z.object({ content: z.string() }), error: protocolError },
 * });
 * ```
 */
export function defineProtocol<C extends MessageSchemas, S extends MessageSchemas, K extends string = "type">(
  definition: ProtocolDefinition<C, S>,
  options: ProtocolOptions<K> = {},
): Protocol<C, S, K> {
  return new Protocol(definition, options);
}

/**
 * A message type with NO run-time check: only TypeScript knows its shape.
 * fullduplex still decodes the message, applies the decoding limits and
 * checks that it is an object with the right discriminator, but it does not
 * look at any other field: a peer can send anything there, so use it only
 * for peers you trust, or check the fields yourself.
 *
 * @example
 * ```ts
 * import { defineProtocol, unchecked } from "@fullduplex/fullduplex/protocol";
 * const p = defineProtocol({
 *   client: { ping: unchecked<{ at: number }>() }, // NOT validated
 *   server: { pong: unchecked<{ at: number }>() },
 * });
 * ```
 */
export function unchecked<T extends object>(): StandardSchemaV1<T, T> {
  return UNCHECKED as StandardSchemaV1<T, T>;
}

const UNCHECKED: StandardSchemaV1 = Object.freeze({
  "~standard": Object.freeze({
    version: 1 as const,
    vendor: "fullduplex-unchecked",
    validate: (value: unknown) => ({ value }),
  }),
});

/**
 * A small built-in schema for the default error reply's fields, `{ error:
 * string }`: put `error: protocolError` among the server's messages so the
 * typed client receives router errors as typed messages.
 *
 * @example
 * ```ts
 * import { defineProtocol, protocolError, unchecked } from "@fullduplex/fullduplex/protocol";
 * defineProtocol({ client: {}, server: { error: protocolError } });
 * ```
 */
export const protocolError: StandardSchemaV1<{ error: string }> = Object.freeze({
  "~standard": Object.freeze({
    version: 1 as const,
    vendor: "fullduplex",
    validate(value: unknown): StandardResult<{ error: string }> {
      const error = typeof value === "object" && value !== null ? (value as { error?: unknown }).error : undefined;
      return typeof error === "string"
        ? { value: value as { error: string } }
        : { issues: [{ message: "expected a string", path: ["error"] }] };
    },
  }),
});
