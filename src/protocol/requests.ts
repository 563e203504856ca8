/**
 * The typed client's requests that wait for a reply. Correlation lives in
 * the typed layer, on the DECODED message, so it works with any codec (the
 * client's own `request()` matches JSON text only) and every reply is
 * decoded once: the id is read from the codec's output, then the reply is
 * validated like any other server message.
 *
 * @module
 */

import { RequestError } from "../shared/errors.ts";
import type { ProtocolProblem } from "./problem.ts";

/**
 * A typed `request()` got a reply that is not a valid server message of the
 * protocol, or not of a type its `reply` option accepts. `problem` says
 * which field is wrong and why; `reason` is `"invalid"`.
 *
 * @example
 * ```ts
 * import { connectTyped, defineProtocol, InvalidReplyError, unchecked } from "@fullduplex/fullduplex";
 * const chat = defineProtocol({ client: { greeting: unchecked<{ content: string }>() }, server: { response: unchecked<{ content: string }>() } });
 * const ws = await connectTyped("ws://localhost:8080", chat);
 * try {
 *   await ws.request({ type: "greeting", content: "hi" }, { reply: "response" });
 * } catch (err) {
 *   if (err instanceof InvalidReplyError) console.log(err.problem.message);
 * }
 * ```
 */
export class InvalidReplyError extends RequestError {
  /** What is wrong with the reply. */
  readonly problem: ProtocolProblem;
  /** Creates the error for request `id`. */
  constructor(id: string, problem: ProtocolProblem) {
    super("invalid", `request ${id} got an invalid reply: ${problem.message}`, { cause: problem.cause });
    this.problem = problem;
  }
}

/** One request waiting for its reply. */
interface Waiting {
  resolve(value: unknown): void;
  reject(err: Error): void;
  timer: ReturnType<typeof setTimeout>;
  /** Handed to an open connection (false while it waits in the client's offline queue). */
  sent: boolean;
  /** Reply types accepted, or undefined for any server message. */
  accept: ReadonlySet<string> | undefined;
}

/** The typed requests of one typed client. */
export class PendingReplies {
  readonly #waiting = new Map<string, Waiting>();
  /** A random prefix so this client's ids are recognisable, and unlike another client's. */
  readonly #prefix = `${Math.random().toString(36).slice(2, 8)}-`;
  #counter = 0;

  /** Requests waiting for a reply. */
  get size(): number {
    return this.#waiting.size;
  }

  /** A fresh correlation id. */
  nextId(): string {
    return `${this.#prefix}${++this.#counter}`;
  }

  /** Whether `id` is one this table made: a reply to it is never delivered as a message, even late. */
  owns(id: unknown): id is string {
    return typeof id === "string" && id.startsWith(this.#prefix);
  }

  /** Registers request `id`; its timeout starts now. */
  wait(id: string, timeout: number, accept: ReadonlySet<string> | undefined): Promise<unknown> {
    return new Promise<unknown>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiting.delete(id);
        reject(new RequestError("timeout", `request ${id} got no reply within ${timeout} ms`));
      }, timeout);
      this.#waiting.set(id, { resolve, reject, timer, sent: false, accept });
    });
  }

  /** The reply types request `id` accepts (undefined: any), or null when it no longer waits. */
  accepted(id: string): ReadonlySet<string> | undefined | null {
    const w = this.#waiting.get(id);
    return w === undefined ? null : w.accept;
  }

  /** Settles request `id` with its reply (or an error); false when it no longer waits. */
  settle(id: string, reply: unknown, err?: Error): boolean {
    const w = this.#waiting.get(id);
    if (w === undefined) return false;
    this.#waiting.delete(id);
    clearTimeout(w.timer);
    if (err !== undefined) w.reject(err);
    else w.resolve(reply);
    return true;
  }

  /** Notes that request `id` was handed to an open connection. */
  markSent(id: string): void {
    const w = this.#waiting.get(id);
    if (w !== undefined) w.sent = true;
  }

  /** A connection opened: the client flushed its offline queue into it, so every request is now sent. */
  markAllSent(): void {
    for (const w of this.#waiting.values()) w.sent = true;
  }

  /**
   * Rejects the requests that were sent (their connection closed, so their
   * replies cannot come), or every request when `all` (closed for good).
   */
  rejectSent(why: string, all = false): void {
    for (const [id, w] of this.#waiting) {
      if (!all && !w.sent) continue;
      this.settle(id, undefined, new RequestError("closed", `request ${id} got no reply: ${why}`));
    }
  }
}
