/**
 * `typedClient()`: wraps a connected client so that what it sends and
 * receives follows a protocol. It is a thin layer over the public client
 * API (`send`, `on("message")`, async iteration, `close`), so it composes
 * with any client that offers those, reconnecting or not.
 *
 * @module
 */

import { DEFAULT_REQUEST } from "../client/request.ts";
import { checkRequestTimeout, PendingRequests } from "../client/pending_requests.ts";
import type { Message } from "../shared/message.ts";
import { ReadyStates } from "../shared/types.ts";
import type { CloseInfo } from "../shared/types.ts";
import { cap, decodeProblem, showType, validationProblem } from "./problem.ts";
import type { ProtocolProblem } from "./problem.ts";
import type { AnyProtocol, ClientMessageInput, DecodeResult, ServerMessage, ServerMessageType } from "./protocol.ts";
import { InvalidReplyError } from "./invalid_reply.ts";

/**
 * What {@link typedClient} needs from a client: the subset of `Client` it uses.
 *
 * @example
 * ```ts
 * import { connect } from "@fullduplex/fullduplex";
 * import { defineProtocol, typedClient, unchecked } from "@fullduplex/fullduplex/protocol";
 * import type { TypedClientTransport } from "@fullduplex/fullduplex/protocol";
 * const chat = defineProtocol({
 *   client: { greeting: unchecked<{ content: string }>() },
 *   server: { response: unchecked<{ content: string }>() },
 * });
 * const transport: TypedClientTransport = await connect("ws://localhost:8080");
 * const ws = typedClient(transport, chat);
 * ```
 */
export interface TypedClientTransport {
  /** Sends one frame. */
  send(data: string | Uint8Array): void;
  /** Adds a message listener; returns a function that removes it. */
  on(event: "message", listener: (message: Message) => void): () => void;
  /** Iterates received messages until the connection closes. */
  [Symbol.asyncIterator](): AsyncIterator<Message>;
  /** Closes the connection. */
  close(code?: number, reason?: string): Promise<CloseInfo>;
  /** Resolves once the connection has closed. */
  readonly closed: Promise<CloseInfo>;
  /**
   * 1 when open. When present (a fullduplex `Client` has it), typed requests
   * also follow the client's `open`, `reconnecting` and `drop` events: a
   * request sent on a connection that drops rejects at once ("closed"), one
   * waiting in the offline queue waits for the next connection.
   */
  readonly readyState?: number;
}

/**
 * Options of one typed {@link TypedClient.request}.
 *
 * @example
 * ```ts
 * import { connectTyped, defineProtocol, unchecked } from "@fullduplex/fullduplex/protocol";
 * import type { TypedRequestOptions } from "@fullduplex/fullduplex/protocol";
 * const chat = defineProtocol({
 *   client: { greeting: unchecked<{ content: string }>() },
 *   server: { response: unchecked<{ content: string }>() },
 * });
 * const ws = await connectTyped("ws://localhost:8080", chat);
 * const options: TypedRequestOptions<"response"> = { timeout: 2000, reply: "response" };
 * const reply = await ws.request({ type: "greeting", content: "hi" }, options);
 * ```
 */
export interface TypedRequestOptions<R extends string> {
  /** Ms to wait for the reply before rejecting with a `RequestError` ("timeout"). Default: the typed client's `requestTimeout` (10000). */
  timeout?: number;
  /**
   * The server message type(s) the reply may have; the result is typed
   * accordingly, and a reply of another type rejects with an
   * {@link InvalidReplyError}. Default: any server message.
   */
  reply?: R | readonly R[];
}

/**
 * Options of {@link typedClient}.
 *
 * @example
 * ```ts
 * import { connect } from "@fullduplex/fullduplex";
 * import { defineProtocol, typedClient, unchecked } from "@fullduplex/fullduplex/protocol";
 * import type { TypedClientOptions } from "@fullduplex/fullduplex/protocol";
 * const chat = defineProtocol({
 *   client: { greeting: unchecked<{ content: string }>() },
 *   server: { response: unchecked<{ content: string }>() },
 * });
 * const options: TypedClientOptions = { requestTimeout: 5000, onInvalid: (problem) => console.warn(problem.message) };
 * const ws = typedClient(await connect("ws://localhost:8080"), chat, options);
 * ```
 */
export interface TypedClientOptions {
  /**
   * Called for every message from the server that fails to decode or
   * validate; such a message is never delivered. Default: log it with
   * `console.error`. To hang up on a misbehaving server, call
   * `client.close(…)` from here.
   */
  onInvalid?: (problem: ProtocolProblem) => void;
  /** Default timeout of {@link TypedClient.request}, in ms. Default 10000. */
  requestTimeout?: number;
}

type EventOn = (event: string, listener: (value: unknown) => void) => () => void;

type AnyListener = (message: unknown) => void;

/** The typed client's waiting requests, each with the reply types it accepts (undefined: any). */
type Replies = PendingRequests<ReadonlySet<string> | undefined>;

function logInvalid(problem: ProtocolProblem): void {
  console.error(`fullduplex: dropped an invalid message from the server: ${problem.message}`);
}

/**
 * A client whose `send` takes only the protocol's client messages and whose
 * received messages are the protocol's server messages, validated. Get one
 * with {@link typedClient}.
 *
 * @example
 * ```ts
 * import { connect } from "@fullduplex/fullduplex";
 * import { defineProtocol, typedClient, unchecked } from "@fullduplex/fullduplex/protocol";
 * const chat = defineProtocol({
 *   client: { greeting: unchecked<{ content: string }>() },
 *   server: { response: unchecked<{ content: string }>() },
 * });
 * const ws = typedClient(await connect("ws://localhost:8080"), chat);
 * ws.on("response", (msg) => console.log(msg.content));
 * ws.send({ type: "greeting", content: "Hello Server" });
 * ```
 */
export class TypedClient<P extends AnyProtocol, T extends TypedClientTransport = TypedClientTransport>
  implements AsyncIterable<ServerMessage<P>> {
  /** The wrapped client, with its own type (raw frames, close codes, readyState, …). */
  readonly client: T;
  /** The protocol. */
  readonly protocol: P;
  readonly #onInvalid: (problem: ProtocolProblem) => void;
  readonly #handlers: Record<string, Set<AnyListener> | undefined> = Object.create(null);
  readonly #requestTimeout: number;
  #offRaw: (() => void) | undefined;
  /**
   * The waiting requests (the client's own request table), with the reply
   * types each accepts (undefined: any). Created by the first request();
   * until then no message pays for reply matching.
   */
  #replies: Replies | undefined;
  #offLifecycle: (() => void)[] = [];

  /** @internal Use {@link typedClient}. */
  constructor(client: T, protocol: P, options: TypedClientOptions = {}) {
    this.client = client;
    this.protocol = protocol;
    this.#onInvalid = options.onInvalid ?? logInvalid;
    this.#requestTimeout = checkRequestTimeout(options.requestTimeout ?? DEFAULT_REQUEST.timeout);
  }

  /**
   * Encodes and sends a client message. Only messages of the protocol's
   * client side type-check; nothing is validated at run time (the server
   * validates). Throws like the wrapped client's `send` when not open.
   */
  send(message: ClientMessageInput<P>): void {
    this.client.send(this.protocol.codec.encode(message));
  }

  /**
   * Sends a client message with a correlation id added under the protocol's
   * `idField` (default `"id"`) and resolves with the reply: the server
   * message that carries the same id (the server answers with
   * `protocol.reply(socket, msg, …)`), decoded with the protocol's codec and
   * validated by its server schemas, whatever order replies come in. Replies
   * are consumed here, never delivered to `on()` handlers or iteration (also
   * when they come after their request timed out).
   *
   * Rejects with a `RequestError`: `"timeout"` after `timeout` ms,
   * `"closed"` when the connection closes first, `"dropped"` when the
   * client's offline queue dropped it, and `"invalid"` (an
   * {@link InvalidReplyError} naming the field and the problem) when the
   * reply is not a valid server message or not of a type `reply` accepts.
   * Works with any codec, text or binary.
   *
   * @example
   * ```ts
   * import { connectTyped, defineProtocol, unchecked } from "@fullduplex/fullduplex/protocol";
   * const chat = defineProtocol({
   *   client: { greeting: unchecked<{ content: string }>() },
   *   server: { response: unchecked<{ content: string }>() },
   * });
   * const ws = await connectTyped("ws://localhost:8080", chat);
   * const reply = await ws.request({ type: "greeting", content: "hi" }, { reply: "response", timeout: 2000 });
   * console.log(reply.content); // typed: the "response" message
   * ```
   */
  request<R extends ServerMessageType<P> = ServerMessageType<P>>(
    message: ClientMessageInput<P>,
    options: TypedRequestOptions<R> = {},
  ): Promise<ServerMessage<P, R>> {
    const idField = this.protocol.idField;
    let timeout: number;
    let accept: ReadonlySet<string> | undefined;
    try {
      if (typeof message !== "object" || message === null || Array.isArray(message)) {
        throw new TypeError("request() takes a message object; the correlation id is added to it as a field");
      }
      if (Object.hasOwn(message, idField)) {
        throw new TypeError(
          `request(): the message already has a "${idField}" field, which carries the correlation id; ` +
            "choose another idField in defineProtocol()",
        );
      }
      timeout = checkRequestTimeout(options.timeout ?? this.#requestTimeout);
      accept = options.reply === undefined ? undefined : new Set(typeof options.reply === "string" ? [options.reply] : options.reply);
    } catch (err) {
      return Promise.reject(err);
    }
    const replies = this.#startReplies();
    const id = replies.nextId();
    let payload: string | Uint8Array;
    try {
      payload = this.protocol.codec.encode({ ...message, [idField]: id });
    } catch (err) {
      return Promise.reject(err);
    }
    const reply = replies.wait(id, timeout, accept);
    // The same test the client makes: open now means handed to the connection, else queued.
    const sent = this.client.readyState === undefined || this.client.readyState === ReadyStates.OPEN;
    try {
      this.client.send(payload);
      if (sent) replies.markSent(id);
    } catch (err) {
      replies.reject(id, err instanceof Error ? err : new Error(String(err)));
    }
    return reply as Promise<ServerMessage<P, R>>;
  }

  /**
   * Calls `handler` with every valid server message of one type; returns a
   * function that removes it.
   *
   * @example
   * ```ts
   * import { connectTyped, defineProtocol, unchecked } from "@fullduplex/fullduplex/protocol";
   * const chat = defineProtocol({
   *   client: { greeting: unchecked<{ content: string }>() },
   *   server: { response: unchecked<{ content: string }>() },
   * });
   * const ws = await connectTyped("ws://localhost:8080", chat);
   * const off = ws.on("response", (msg) => console.log(msg.content));
   * off();
   * ```
   */
  on<M extends ServerMessageType<P>>(type: M, handler: (message: ServerMessage<P, M>) => void): () => void {
    let set = this.#handlers[type];
    if (set === undefined) set = this.#handlers[type] = new Set();
    set.add(handler as AnyListener);
    this.#listen();
    return () => {
      set.delete(handler as AnyListener);
    };
  }

  /** Iterates valid server messages until the connection closes; invalid ones go to `onInvalid`. */
  async *[Symbol.asyncIterator](): AsyncGenerator<ServerMessage<P>, void, undefined> {
    for await (const raw of this.client) {
      const decoded = this.#decode(raw);
      if (decoded === undefined) continue; // a reply: request() has it
      const result = decoded instanceof Promise ? await decoded : decoded;
      if (result.ok) yield result.message as ServerMessage<P>;
      else this.#onInvalid(result.problem);
    }
  }

  /** Closes the connection (same arguments as the wrapped client's `close`); waiting requests reject ("closed"). */
  close(code?: number, reason?: string): Promise<CloseInfo> {
    this.#offRaw?.();
    this.#offRaw = undefined;
    for (const off of this.#offLifecycle) off();
    this.#offLifecycle = [];
    this.#replies?.rejectSent("the client was closed", true);
    return this.client.close(code, reason);
  }

  /** Resolves once the connection has closed. */
  get closed(): Promise<CloseInfo> {
    return this.client.closed;
  }

  #listen(): void {
    if (this.#offRaw === undefined) this.#offRaw = this.client.on("message", (raw) => this.#receive(raw));
  }

  /** The reply table, created (with its listeners) by the first request. */
  #startReplies(): Replies {
    if (this.#replies !== undefined) return this.#replies;
    const replies: Replies = this.#replies = new PendingRequests();
    this.#listen();
    void this.client.closed.then((info) =>
      replies.rejectSent(`the client closed (${info.code}${info.reason ? ` ${info.reason}` : ""})`, true)
    );
    if (this.client.readyState !== undefined) {
      // A fullduplex Client: follow its connections, as its own request() does.
      const on = this.client.on.bind(this.client) as unknown as EventOn;
      try {
        this.#offLifecycle.push(
          on("open", () => replies.markAllSent()),
          on("reconnecting", (e) => {
            const { code, reason } = e as { code: number; reason: string };
            replies.rejectSent(`the connection closed (${code}${reason ? ` ${reason}` : ""}) before the reply arrived`);
          }),
          on("drop", (e) => this.#dropped((e as { data: string | Uint8Array }).data)),
        );
      } catch {
        // A transport with readyState but without these events: timeouts and `closed` still settle requests.
      }
    }
    return replies;
  }

  /** The client's offline queue dropped a message: if it was a request, that request fails now. */
  #dropped(data: string | Uint8Array): void {
    const replies = this.#replies!;
    let id: unknown;
    try {
      const value = this.protocol.codec.decode(data, this.protocol.limits);
      id = typeof value === "object" && value !== null ? (value as Record<string, unknown>)[this.protocol.idField] : undefined;
    } catch {
      return;
    }
    if (replies.owns(id)) replies.dropped(id, "the client's offline queue dropped it");
  }

  /**
   * Decodes a received message; `undefined` when it was a reply to one of
   * this client's requests (settled here, delivered nowhere else). Without
   * requests this is just `decodeServerMessage`.
   */
  #decode(raw: Message): DecodeResult<unknown> | Promise<DecodeResult<unknown>> | undefined {
    const replies = this.#replies;
    const protocol = this.protocol;
    if (replies === undefined) return protocol.decodeServerMessage(raw);
    let value: unknown;
    try {
      value = protocol.codec.decode(raw.kind === "text" ? raw.text() : raw.bytes(), protocol.limits);
    } catch (err) {
      return { ok: false, problem: decodeProblem(protocol.codec.name, err) };
    }
    const id = typeof value === "object" && value !== null ? (value as Record<string, unknown>)[protocol.idField] : undefined;
    if (!replies.owns(id)) return protocol.validateServerMessage(value);
    if (!replies.has(id)) return undefined; // its request timed out or closed: nobody waits
    const accept = replies.dataOf(id);
    const validated = protocol.validateServerMessage(value);
    if (validated instanceof Promise) void validated.then((result) => this.#settle(id, result, accept));
    else this.#settle(id, validated, accept);
    return undefined;
  }

  #settle(id: string, result: DecodeResult<unknown>, accept: ReadonlySet<string> | undefined): void {
    const replies = this.#replies!;
    if (!result.ok) {
      replies.reject(id, new InvalidReplyError(id, result.problem));
      return;
    }
    const type = (result.message as Record<string, unknown>)[this.protocol.discriminator] as string;
    if (accept !== undefined && !accept.has(type)) {
      const expected = [...accept].map((t) => showType(t)).join(" or ");
      let problem = validationProblem(`expected a ${expected} reply, got ${showType(type)}`, type);
      // The router's error reply explains itself: keep its text.
      const error = (result.message as { error?: unknown }).error;
      if (typeof error === "string") problem = { ...problem, message: `${problem.message}: ${cap(error, 300)}` };
      replies.reject(id, new InvalidReplyError(id, problem));
      return;
    }
    replies.resolve(id, result.message);
  }

  #receive(raw: Message): void {
    const decoded = this.#decode(raw);
    if (decoded === undefined) return;
    if (decoded instanceof Promise) void decoded.then((result) => this.#deliver(result));
    else this.#deliver(decoded);
  }

  #deliver(result: DecodeResult<unknown>): void {
    if (!result.ok) return this.#onInvalid(result.problem);
    const message = result.message as Record<string, unknown>;
    const set = this.#handlers[message[this.protocol.discriminator] as string];
    if (set === undefined) return;
    for (const handler of set) {
      try {
        handler(message);
      } catch (err) {
        // Like the client's own listeners: one handler's bug must not stop the others.
        queueMicrotask(() => {
          throw err;
        });
      }
    }
  }
}

/**
 * Wraps a connected client (from `connect()`) with a protocol: typed
 * `send`, typed per-type handlers (`on`), and typed async iteration, all of
 * received messages validated by the protocol's server schemas.
 *
 * @example
 * ```ts
 * import { connect } from "@fullduplex/fullduplex";
 * import { defineProtocol, typedClient, unchecked } from "@fullduplex/fullduplex/protocol";
 * const chat = defineProtocol({
 *   client: { greeting: unchecked<{ content: string }>() },
 *   server: { response: unchecked<{ content: string }>() },
 * });
 * const ws = typedClient(await connect("ws://localhost:8080"), chat);
 * ws.send({ type: "greeting", content: "Hello Server" });
 * for await (const msg of ws) {
 *   if (msg.type === "response") console.log(msg.content);
 *   break;
 * }
 * await ws.close();
 * ```
 */
export function typedClient<P extends AnyProtocol, T extends TypedClientTransport>(
  client: T,
  protocol: P,
  options: TypedClientOptions = {},
): TypedClient<P, T> {
  return new TypedClient(client, protocol, options);
}
