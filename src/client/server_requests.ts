/**
 * Requests from the server (`req`, docs/channels.md) and the client's
 * answers (`reply`): the one handler set by `client.onRequest()`, a `reply`
 * with `data` for its value or with `error` for a throw, a rejection, a
 * value JSON cannot encode, or no handler at all. A reply goes only on the
 * connection the request came on: when that connection closes, the
 * handler's `signal` aborts and a late reply is not sent (the server's
 * request has failed already). Internal.
 *
 * @module
 */

import { controlFrame } from "../shared/channel_wire.ts";
import type { RequestHandler } from "./channel_types.ts";

/** The error text of a reply when no handler is set. */
export const NO_REQUEST_HANDLER = "no request handler";

/** Longest error text a reply carries (a handler's error message could be anything). */
const MAX_ERROR_CHARS = 1000;

function errorText(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.length > MAX_ERROR_CHARS ? `${text.slice(0, MAX_ERROR_CHARS)}…` : text;
}

/** The server's requests to one client. */
export class ServerRequests {
  #handler: RequestHandler | undefined;
  /** Aborted when the current connection closes; one per connection. */
  #connection = new AbortController();
  readonly #send: (frame: string) => void;

  /** `send` puts a frame on the current connection. */
  constructor(send: (frame: string) => void) {
    this.#send = send;
  }

  /** Sets the handler (replacing any other); returns a function that removes it. */
  set(handler: RequestHandler): () => void {
    if (typeof handler !== "function") throw new TypeError("onRequest() takes a function");
    this.#handler = handler;
    return () => {
      if (this.#handler === handler) this.#handler = undefined;
    };
  }

  /** A `req` arrived: run the handler and reply, on this connection only. */
  handle(id: number, data: unknown): void {
    const signal = this.#connection.signal;
    const reply = (message: { t: "reply"; id: number; data?: unknown; error?: string }) => {
      if (!signal.aborted) this.#send(controlFrame(message));
    };
    const handler = this.#handler;
    if (handler === undefined) {
      reply({ t: "reply", id, error: NO_REQUEST_HANDLER });
      return;
    }
    let result: unknown;
    try {
      result = handler(data, { signal });
    } catch (err) {
      reply({ t: "reply", id, error: errorText(err) });
      return;
    }
    const answer = (value: unknown) => {
      let frame: string;
      try {
        // undefined is not JSON: a handler that returns nothing replies null.
        frame = controlFrame({ t: "reply", id, data: value === undefined ? null : value });
      } catch (err) {
        reply({ t: "reply", id, error: `the reply is not JSON: ${errorText(err)}` });
        return;
      }
      if (!signal.aborted) this.#send(frame);
    };
    Promise.resolve(result).then(answer, (err) => reply({ t: "reply", id, error: errorText(err) }));
  }

  /** The connection closed: handlers still running see their signal abort; their replies are not sent. */
  connectionClosed(): void {
    this.#connection.abort();
    this.#connection = new AbortController();
  }
}
