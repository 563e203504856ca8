/**
 * The `Socket` a server handler receives: the same object, with the same
 * behaviour, on Deno and Bun. A thin face over the connection
 * ({@link SocketBackend}, implemented by connection.ts): it checks the
 * caller's arguments and forwards.
 *
 * @module
 */

import { assertCloseArgs } from "../shared/close_codes.ts";
import type { SendData } from "../shared/message.ts";
import type { Message } from "../shared/message.ts";
import type { ReadyState, RemoteAddress, SendResult } from "../shared/types.ts";
import { framePayload, jsonPayload } from "../shared/payload.ts";
import type { PublishOptions } from "./pubsub.ts";
import { replyText } from "./heartbeat.ts";
import { RESERVED_CLOSE } from "./reserved_close.ts";

/**
 * Options of `socket.request()`.
 *
 * @example
 * ```ts
 * import type { SocketRequestOptions } from "@fullduplex/fullduplex";
 * const options: SocketRequestOptions = { timeout: 2000 };
 * ```
 */
export interface SocketRequestOptions {
  /** Ms to wait for the client's reply. Default 10000. */
  timeout?: number;
}

/** What a Socket asks of its connection (arguments already checked). Internal. */
export interface SocketBackend {
  /** 0 connecting, 1 open, 2 closing, 3 closed. */
  readonly state: ReadyState;
  bufferedAmount(): number;
  drained(): Promise<void>;
  /** Sends an application frame (tagged on a channels connection). */
  sendApp(data: string | Uint8Array): SendResult;
  /** A request to the client (channels connections only). */
  request(value: unknown, timeout: number): Promise<unknown>;
  /** A close the user asked for (1000 or 3000–4999). */
  close(code: number, reason: string): void;
  /** A close the library decides (any code; the reason is cut to 123 bytes). */
  closeInternal(code: number, reason: string): void;
  terminate(): void;
  subscribe(topic: string): void;
  unsubscribe(topic: string): void;
  topics(): ReadonlySet<string>;
  publish(topic: string, data: string | Uint8Array, includeSelf: boolean): number;
}

/**
 * One server-side connection. `data` is what the `upgrade` hook attached.
 * All methods are safe to call in any state: after close, `send` returns
 * `"dropped"` and `close` does nothing.
 *
 * @example
 * ```ts
 * import { serve } from "@fullduplex/fullduplex";
 * serve({
 *   port: 8080,
 *   message(socket, msg) {
 *     if (msg.kind === "binary") socket.send(msg.bytes());
 *     else socket.sendJson({ echo: msg.text(), from: socket.remoteAddress.address });
 *   },
 * });
 * ```
 */
export class Socket<D = unknown> {
  #id: string | undefined;
  /** Per-connection data returned by the `upgrade` hook. */
  data: D;
  /** The peer's address and port. */
  readonly remoteAddress: RemoteAddress;
  /** The subprotocol actually agreed in the handshake, or `""`. */
  readonly protocol: string;
  readonly #conn: SocketBackend;

  /** @internal Sockets are created by the server, not by user code. */
  constructor(conn: SocketBackend, data: D, remoteAddress: RemoteAddress, protocol: string) {
    this.#conn = conn;
    this.data = data;
    this.remoteAddress = remoteAddress;
    this.protocol = protocol;
  }

  /**
   * A unique id for this connection (a UUID), made on first use: an idle
   * connection that nobody names costs no string (bench/FINDINGS.md).
   */
  get id(): string {
    return (this.#id ??= crypto.randomUUID());
  }

  /** 0 connecting, 1 open, 2 closing, 3 closed (named in `ReadyStates`): the same on both runtimes. */
  get readyState(): ReadyState {
    return this.#conn.state;
  }

  /** Bytes queued for this peer and not yet written to the network. */
  get bufferedAmount(): number {
    return this.#conn.bufferedAmount();
  }

  /**
   * Resolves once the outgoing buffer is at `lowWaterMark` or below (at
   * once if it already is), or the connection has closed. Use it to pace a
   * producer: `if (socket.send(chunk) !== "sent") await socket.drained();`
   *
   * @example
   * ```ts
   * import { ReadyStates, serve } from "@fullduplex/fullduplex";
   * serve({
   *   port: 8080,
   *   async open(socket) {
   *     for (let i = 0; i < 1000 && socket.readyState === ReadyStates.OPEN; i++) {
   *       if (socket.send(new Uint8Array(65536)) !== "sent") await socket.drained();
   *     }
   *   },
   * });
   * ```
   */
  drained(): Promise<void> {
    return this.#conn.drained();
  }

  /**
   * Sends text (a text frame) or bytes (a binary frame). Returns `"sent"`,
   * `"queued"` (the peer reads slowly; it will still go out) or `"dropped"`
   * (the socket is not open, or `backpressureLimit` is reached).
   */
  send(data: SendData): SendResult {
    return this.#conn.sendApp(framePayload(data, "send"));
  }

  /** Sends `JSON.stringify(value)` as a text frame. Throws a TypeError for values JSON cannot encode. */
  sendJson(value: unknown): SendResult {
    return this.#conn.sendApp(jsonPayload(value, "send"));
  }

  /**
   * Answers a `client.request()`: sends `value` (a JSON object) with the
   * request's correlation id copied under `idField` (default `"id"`, the
   * client's default `request.idField`). Throws a TypeError when the
   * request carries no id.
   *
   * @example
   * ```ts
   * import { serve } from "@fullduplex/fullduplex";
   * serve({
   *   port: 0,
   *   message(socket, msg) {
   *     const req = msg.json<{ type: string; values: number[] }>();
   *     if (req.type === "sum") socket.reply(msg, { sum: req.values.reduce((a, b) => a + b, 0) });
   *   },
   * });
   * ```
   */
  reply(request: Message | Record<string, unknown>, value: Record<string, unknown>, idField = "id"): SendResult {
    return this.#conn.sendApp(replyText(request, value, idField));
  }

  /**
   * Sends a request to the client (a `req` control message) and resolves
   * with its answer, `client.onRequest()`'s value: the same correlation,
   * timeout and error semantics as `client.request()`. Rejects with a
   * {@link RequestError}: `"timeout"` when no reply came within `timeout`
   * ms (default 10000), `"closed"` when the connection closed first,
   * `"rejected"` when the client's handler failed (its message is the
   * client's). Only on a channels connection (`socket.protocol` is
   * `fullduplex.channels.v1`); elsewhere it rejects with an
   * InvalidStateError. `value` must be JSON (a TypeError otherwise).
   *
   * @example
   * ```ts
   * import { serve } from "@fullduplex/fullduplex";
   * serve({
   *   port: 0,
   *   channels: { authorize: () => true },
   *   async open(socket) {
   *     const answer = await socket.request({ question: "ready?" }, { timeout: 5000 });
   *     console.log(answer);
   *   },
   * });
   * ```
   */
  request(value: unknown, options?: SocketRequestOptions): Promise<unknown> {
    const timeout = options?.timeout ?? 10_000;
    if (typeof timeout !== "number" || !(timeout > 0) || timeout > 2 ** 31 - 1) {
      return Promise.reject(new RangeError(`request timeout must be a number of ms from 1 to 2147483647, got ${String(timeout)}`));
    }
    return this.#conn.request(value, timeout);
  }

  /**
   * Starts the close handshake. `code` must be 1000 or 3000–4999 and
   * `reason` at most 123 UTF-8 bytes, else a RangeError is thrown. If the
   * peer does not answer within `closeTimeout`, the connection is dropped.
   */
  close(code = 1000, reason = ""): void {
    assertCloseArgs(code, reason);
    this.#conn.close(code, reason);
  }

  /**
   * Drops the connection without a close handshake; `close` runs with 1006.
   * On Deno, whose server socket has no way to drop TCP, the connection is
   * closed with 1001 instead and forgotten after `closeTimeout`.
   */
  terminate(): void {
    this.#conn.terminate();
  }

  /**
   * Subscribes this socket to `topic`: it receives what anyone publishes
   * there (on every server sharing a broker) until it unsubscribes or
   * closes. Does nothing once the socket is closing.
   */
  subscribe(topic: string): void {
    this.#conn.subscribe(topic);
  }

  /**
   * Ends this socket's subscription to `topic` (nothing happens if there is none). On a channels
   * connection the client is told (an `end` control message) and does not subscribe to it again.
   */
  unsubscribe(topic: string): void {
    this.#conn.unsubscribe(topic);
  }

  /** The topics this socket is subscribed to (a live, read-only view; empty once closed). */
  get topics(): ReadonlySet<string> {
    return this.#conn.topics();
  }

  /**
   * Publishes text or bytes to every subscriber of `topic` but this socket
   * (unless `includeSelf`), on this server and, with a broker, on every
   * other. Returns how many local subscribers it was handed to.
   */
  publish(topic: string, data: SendData, options?: PublishOptions): number {
    return this.#conn.publish(topic, framePayload(data, "publish"), options?.includeSelf === true);
  }

  /** Publishes `JSON.stringify(value)` as text, encoded once for every subscriber. */
  publishJson(topic: string, value: unknown, options?: PublishOptions): number {
    return this.#conn.publish(topic, jsonPayload(value, "publish"), options?.includeSelf === true);
  }

  /** @internal Closes with a code only the library may send (reserved_close.ts). */
  [RESERVED_CLOSE](code: number, reason: string): void {
    this.#conn.closeInternal(code, reason);
  }
}
