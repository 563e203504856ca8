/**
 * Error classes thrown or reported by fullduplex. Every error is an `Error`
 * subclass with a message a user can act on.
 *
 * @module
 */

/**
 * Base class of every error fullduplex creates, so one `instanceof` check
 * separates library errors from others.
 *
 * @example
 * ```ts
 * import { connect, FullDuplexError } from "@fullduplex/fullduplex";
 * try {
 *   await connect("ws://127.0.0.1:1");
 * } catch (err) {
 *   if (err instanceof FullDuplexError) console.log("fullduplex:", err.message);
 * }
 * ```
 */
export class FullDuplexError extends Error {
  /** Creates an error with a message a user can act on; `options.cause` keeps the underlying error. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = ERROR_NAMES.get(new.target) ?? new.target.name;
  }
}

/**
 * The classes' names, spelled out: a minifier renames classes, so in the
 * minified browser bundle `new.target.name` would be "u" (Bun.build's
 * `keepNames` does not cover classes in Bun 1.4.5), and so would it in an
 * app bundled with `esbuild --minify`. Filled at the end of this file; a
 * subclass defined elsewhere falls back to its own `name`.
 */
const ERROR_NAMES = new Map<abstract new (...args: never[]) => FullDuplexError, string>();

/**
 * A client could not open a connection: refused, DNS failure, TLS failure,
 * handshake refused or timed out. `url` names the address that was tried.
 *
 * @example
 * ```ts
 * import { connect, ConnectError } from "@fullduplex/fullduplex";
 * try {
 *   await connect("ws://127.0.0.1:1", { timeout: 1000 });
 * } catch (err) {
 *   if (err instanceof ConnectError) console.log(err.url, err.message);
 * }
 * ```
 */
export class ConnectError extends FullDuplexError {
  /** The URL that could not be reached. */
  readonly url: string;
  /** Creates the error for `url`; the message reads "could not connect to <url>: <reason>". */
  constructor(url: string, reason: string, options?: ErrorOptions) {
    super(`could not connect to ${url}: ${reason}`, options);
    this.url = url;
  }
}

/**
 * A message could not be decoded as asked, e.g. `msg.json()` on text that is
 * not JSON. The message names the problem; it never repeats more than a
 * short prefix of the input, so attacker-sized input is not echoed back.
 *
 * @example
 * ```ts
 * import { Message, MessageDecodeError } from "@fullduplex/fullduplex";
 * try {
 *   Message.from("{oops").json();
 * } catch (err) {
 *   if (err instanceof MessageDecodeError) console.log(err.message);
 * }
 * ```
 */
export class MessageDecodeError extends FullDuplexError {}

/**
 * An operation was attempted in a state that does not allow it, e.g.
 * `send()` on a client that is closed for good.
 *
 * @example
 * ```ts
 * import { connect, InvalidStateError } from "@fullduplex/fullduplex";
 * const ws = await connect("ws://localhost:8080");
 * await ws.close();
 * try { ws.send("late"); } catch (err) { console.log(err instanceof InvalidStateError); }
 * ```
 */
export class InvalidStateError extends FullDuplexError {}

/**
 * The client's offline queue is full (`queue.maxMessages` or
 * `queue.maxBytes`) while it is reconnecting, so `send()` refused the
 * message: it was NOT sent and will not be. Wait for `await
 * client.drained()`, slow down, or configure `queue: { whenFull:
 * "drop-oldest" }` to keep the newest messages instead.
 *
 * @example
 * ```ts
 * import { connect, QueueFullError } from "@fullduplex/fullduplex";
 * const ws = await connect("ws://localhost:8080", { reconnect: true });
 * try {
 *   ws.send("tick");
 * } catch (err) {
 *   if (err instanceof QueueFullError) console.log("offline and queue full:", err.message);
 * }
 * ```
 */
export class QueueFullError extends FullDuplexError {}

/**
 * A `client.request()` got no reply: `reason` is `"timeout"` when none came
 * within its timeout, `"closed"` when the connection it was sent on closed
 * first (the reply can no longer arrive), `"dropped"` when it waited in the
 * offline queue and was dropped (`queue.whenFull: "drop-oldest"`), and
 * `"invalid"` when a typed client's request got a reply its protocol
 * refuses (an `InvalidReplyError`), and `"rejected"` when the peer answered
 * with an error (a server's `socket.request()` whose client handler threw).
 *
 * @example
 * ```ts
 * import { connect, RequestError } from "@fullduplex/fullduplex";
 * const ws = await connect("ws://localhost:8080");
 * try {
 *   await ws.request({ type: "sum", values: [1, 2] }, { timeout: 1000 });
 * } catch (err) {
 *   if (err instanceof RequestError && err.reason === "timeout") console.log("no reply in time");
 * }
 * ```
 */
export class RequestError extends FullDuplexError {
  /** Why the request failed. */
  readonly reason: "timeout" | "closed" | "dropped" | "invalid" | "rejected";
  /** Creates the error: `reason` for code, `message` for people. */
  constructor(reason: "timeout" | "closed" | "dropped" | "invalid" | "rejected", message: string, options?: ErrorOptions) {
    super(message, options);
    this.reason = reason;
  }
}

/**
 * Thrown when the server side is used on a runtime it does not support
 * (Node.js), or a runtime-specific mount method on the other runtime.
 *
 * @example
 * ```ts
 * import { serve, UnsupportedRuntimeError } from "@fullduplex/fullduplex";
 * try { serve({ port: 0 }); } catch (err) {
 *   if (err instanceof UnsupportedRuntimeError) console.log(err.message);
 * }
 * ```
 */
export class UnsupportedRuntimeError extends FullDuplexError {}

/**
 * A channel subscription could not be made (`await client.subscribe()`
 * rejects), ended without `unsubscribe()` (the subscription's `error`
 * event), or one of its requests (`presence()`) failed. `topic` names the
 * topic; `kind` says why, for code:
 *
 * - `"denied"`: the server refused (`reason` is its words, e.g. from its
 *   `authorize`), also for a resubscribe after a reconnect;
 * - `"unavailable"`: the connection did not agree to channels;
 * - `"timeout"`: no answer within the request timeout;
 * - `"closed"`: the client closed (or its connection ended for good) first;
 * - `"ended"`: the server ended the subscription itself;
 * - `"duplicate"`: this client already holds a subscription to the topic.
 *
 * @example
 * ```ts
 * import { connect, SubscribeError } from "@fullduplex/fullduplex";
 * const ws = await connect("ws://localhost:8080", { channels: true });
 * try {
 *   await ws.subscribe("room:42");
 * } catch (err) {
 *   if (err instanceof SubscribeError && err.kind === "denied") console.log(`not allowed in ${err.topic}: ${err.reason}`);
 * }
 * ```
 */
export class SubscribeError extends FullDuplexError {
  /** The topic. */
  readonly topic: string;
  /** Why, for code. */
  readonly kind: "denied" | "unavailable" | "timeout" | "closed" | "ended" | "duplicate";
  /** Why, for people: the server's words when it refused. */
  readonly reason: string;
  /** Creates the error; the message reads `subscription to "<topic>" <kind>: <reason>`. */
  constructor(
    topic: string,
    kind: "denied" | "unavailable" | "timeout" | "closed" | "ended" | "duplicate",
    reason: string,
    options?: ErrorOptions,
  ) {
    super(`subscription to ${JSON.stringify(topic)} ${kind}: ${reason}`, options);
    this.topic = topic;
    this.kind = kind;
    this.reason = reason;
  }
}

/**
 * A `subscription.publish()` did not succeed: a publish is never lost
 * silently. `kind` says why, for code:
 *
 * - `"denied"`: the server refused it (`reason` is its words);
 * - `"dropped"`: it was never sent (dropped from the full offline queue,
 *   the client closed first, or the new connection has no channels);
 * - `"closed"`: it was sent, but the connection closed before the server
 *   answered: it may or may not have been published;
 * - `"timeout"`: no answer within the request timeout (if it had been sent,
 *   it may have been published);
 * - `"unavailable"`: the topic keeps history and its store could not keep
 *   the publication: it was not delivered to anyone (also what
 *   `server.publishWithAck()` rejects with).
 *
 * @example
 * ```ts
 * import { connect, PublishError } from "@fullduplex/fullduplex";
 * const ws = await connect("ws://localhost:8080", { channels: true });
 * const room = await ws.subscribe("room:42");
 * try {
 *   await room.publish("hello");
 * } catch (err) {
 *   if (err instanceof PublishError) console.log(`${err.kind}: ${err.reason}`);
 * }
 * ```
 */
export class PublishError extends FullDuplexError {
  /** The topic. */
  readonly topic: string;
  /** Why, for code. */
  readonly kind: "denied" | "dropped" | "closed" | "timeout" | "unavailable";
  /** Why, for people: the server's words when it denied. */
  readonly reason: string;
  /** Creates the error; the message reads `publish to "<topic>" <kind>: <reason>`. */
  constructor(topic: string, kind: "denied" | "dropped" | "closed" | "timeout" | "unavailable", reason: string, options?: ErrorOptions) {
    super(`publish to ${JSON.stringify(topic)} ${kind}: ${reason}`, options);
    this.topic = topic;
    this.kind = kind;
    this.reason = reason;
  }
}

for (
  const [type, name] of [
    [FullDuplexError, "FullDuplexError"],
    [ConnectError, "ConnectError"],
    [MessageDecodeError, "MessageDecodeError"],
    [InvalidStateError, "InvalidStateError"],
    [QueueFullError, "QueueFullError"],
    [RequestError, "RequestError"],
    [UnsupportedRuntimeError, "UnsupportedRuntimeError"],
    [SubscribeError, "SubscribeError"],
    [PublishError, "PublishError"],
  ] as const
) ERROR_NAMES.set(type, name);
