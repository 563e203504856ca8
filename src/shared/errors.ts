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
 * refuses (an `InvalidReplyError`).
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
  readonly reason: "timeout" | "closed" | "dropped" | "invalid";
  /** Creates the error: `reason` for code, `message` for people. */
  constructor(reason: "timeout" | "closed" | "dropped" | "invalid", message: string, options?: ErrorOptions) {
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

for (const [type, name] of [
  [FullDuplexError, "FullDuplexError"],
  [ConnectError, "ConnectError"],
  [MessageDecodeError, "MessageDecodeError"],
  [InvalidStateError, "InvalidStateError"],
  [QueueFullError, "QueueFullError"],
  [RequestError, "RequestError"],
  [UnsupportedRuntimeError, "UnsupportedRuntimeError"],
] as const) ERROR_NAMES.set(type, name);
