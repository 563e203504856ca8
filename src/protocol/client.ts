/**
 * `typedClient()`: wraps a connected client so that what it sends and
 * receives follows a protocol. It is a thin layer over the public client
 * API (`send`, `on("message")`, async iteration, `close`), so it composes
 * with any client that offers those, reconnecting or not.
 *
 * @module
 */

import type { Message } from "../message.ts";
import type { CloseInfo } from "../server/options.ts";
import type { ProtocolProblem } from "./problem.ts";
import type { AnyProtocol, ClientMessageInput, DecodeResult, ServerMessage, ServerMessageType } from "./protocol.ts";

/** What {@link typedClient} needs from a client: the subset of `Client` it uses. */
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
}

/** Options of {@link typedClient}. */
export interface TypedClientOptions {
  /**
   * Called for every message from the server that fails to decode or
   * validate; such a message is never delivered. Default: log it with
   * `console.error`. To hang up on a misbehaving server, call
   * `client.close(…)` from here.
   */
  onInvalid?: (problem: ProtocolProblem) => void;
}

type AnyListener = (message: unknown) => void;

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
 * import { connect, typedClient } from "@fullduplex/fullduplex";
 * const ws = typedClient(await connect("ws://localhost:8080"), chat);
 * ws.on("response", (msg) => console.log(msg.content));
 * ws.send({ type: "greeting", content: "Hello Server" });
 * ```
 */
export class TypedClient<P extends AnyProtocol, T extends TypedClientTransport = TypedClientTransport> implements AsyncIterable<ServerMessage<P>> {
  /** The wrapped client, with its own type (raw frames, close codes, readyState, …). */
  readonly client: T;
  /** The protocol. */
  readonly protocol: P;
  readonly #onInvalid: (problem: ProtocolProblem) => void;
  readonly #handlers: Record<string, Set<AnyListener> | undefined> = Object.create(null);
  #offRaw: (() => void) | undefined;

  /** @internal Use {@link typedClient}. */
  constructor(client: T, protocol: P, options: TypedClientOptions = {}) {
    this.client = client;
    this.protocol = protocol;
    this.#onInvalid = options.onInvalid ?? logInvalid;
  }

  /**
   * Encodes and sends a client message. Only messages of the protocol's
   * client side type-check; nothing is validated at run time (the server
   * validates). Throws like the wrapped client's `send` when not open.
   */
  send(message: ClientMessageInput<P>): void {
    this.client.send(this.protocol.codec.encode(message));
  }

  // REQUEST/REPLY: a typed `request(message, { reply: "type" })` belongs
  // here once the client offers request/reply: encode with
  // `this.protocol.codec.encode`, and decode the reply with
  // `this.protocol.decodeServerMessage` (its `ok`/`problem` result), so replies
  // get the same validation as every other server message.

  /**
   * Calls `handler` with every valid server message of one type; returns a
   * function that removes it.
   *
   * @example
   * ```ts
   * const off = ws.on("response", (msg) => console.log(msg.content));
   * off();
   * ```
   */
  on<M extends ServerMessageType<P>>(type: M, handler: (message: ServerMessage<P, M>) => void): () => void {
    let set = this.#handlers[type];
    if (set === undefined) set = this.#handlers[type] = new Set();
    set.add(handler as AnyListener);
    if (this.#offRaw === undefined) this.#offRaw = this.client.on("message", (raw) => this.#receive(raw));
    return () => {
      set.delete(handler as AnyListener);
    };
  }

  /** Iterates valid server messages until the connection closes; invalid ones go to `onInvalid`. */
  async *[Symbol.asyncIterator](): AsyncGenerator<ServerMessage<P>, void, undefined> {
    for await (const raw of this.client) {
      const decoded = this.protocol.decodeServerMessage(raw);
      const result = decoded instanceof Promise ? await decoded : decoded;
      if (result.ok) yield result.message as ServerMessage<P>;
      else this.#onInvalid(result.problem);
    }
  }

  /** Closes the connection (same arguments as the wrapped client's `close`). */
  close(code?: number, reason?: string): Promise<CloseInfo> {
    this.#offRaw?.();
    this.#offRaw = undefined;
    return this.client.close(code, reason);
  }

  /** Resolves once the connection has closed. */
  get closed(): Promise<CloseInfo> {
    return this.client.closed;
  }

  #receive(raw: Message): void {
    const decoded = this.protocol.decodeServerMessage(raw);
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
 * import { connect, typedClient } from "@fullduplex/fullduplex";
 * const ws = typedClient(await connect("ws://localhost:8080"), chat);
 * ws.send({ type: "greeting", content: "Hello Server" });
 * for await (const msg of ws) {
 *   if (msg.type === "response") console.log(msg.content);
 *   break;
 * }
 * await ws.close();
 * ```
 */
export function typedClient<P extends AnyProtocol, T extends TypedClientTransport>(client: T, protocol: P, options: TypedClientOptions = {}): TypedClient<P, T> {
  return new TypedClient(client, protocol, options);
}
