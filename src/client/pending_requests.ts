/**
 * The one table of requests waiting for their replies, used by the
 * client's `request()` (request.ts matches JSON replies on their text) and
 * by the typed client's (src/protocol/client.ts matches decoded messages
 * with any codec). It decides the correlation ids, the timeouts and how a
 * request fails: a {@link RequestError} with reason `"timeout"`,
 * `"closed"` (its connection ended before the reply) or `"dropped"` (the
 * offline queue let it go); the caller's own errors (`"invalid"`, a send
 * that threw) go through {@link PendingRequests.reject}. Internal.
 *
 * @module
 */

import { RequestError } from "../shared/errors.ts";

/** Throws a RangeError unless `timeout` is a number of ms > 0; returns it. */
export function checkRequestTimeout(timeout: unknown, name = "request timeout"): number {
  if (typeof timeout !== "number" || Number.isNaN(timeout) || timeout <= 0) {
    throw new RangeError(`${name} must be a number of ms > 0, got ${String(timeout)}`);
  }
  return timeout;
}

/** One request waiting for its reply. */
interface Waiting<T> {
  resolve(value: unknown): void;
  reject(err: Error): void;
  timer: ReturnType<typeof setTimeout>;
  /** Handed to an open connection (false while it waits in the offline queue). */
  sent: boolean;
  /** What the caller keeps with the request (the typed client: the reply types it accepts). */
  data: T;
}

/**
 * The requests of one client that wait for a reply. `T` is what a caller
 * keeps with each request.
 */
export class PendingRequests<T = undefined> {
  readonly #waiting = new Map<string, Waiting<T>>();
  /** A random prefix so this client's ids are recognisable, and unlike another client's (or another run's). */
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

  /** Whether `id` is one this table made (also when its request no longer waits). */
  owns(id: unknown): id is string {
    return typeof id === "string" && id.startsWith(this.#prefix);
  }

  /** Registers request `id` and returns the promise of its reply; its timeout starts now. */
  wait(id: string, timeout: number, data: T): Promise<unknown> {
    return new Promise<unknown>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiting.delete(id);
        reject(new RequestError("timeout", `request ${id} got no reply within ${timeout} ms`));
      }, timeout);
      this.#waiting.set(id, { resolve, reject, timer, sent: false, data });
    });
  }

  /** Whether request `id` still waits for its reply. */
  has(id: string): boolean {
    return this.#waiting.has(id);
  }

  /** What the caller keeps with request `id`, or undefined when it no longer waits. */
  dataOf(id: string): T | undefined {
    return this.#waiting.get(id)?.data;
  }

  /** Resolves request `id` with its reply; false when it no longer waits. */
  resolve(id: string, reply: unknown): boolean {
    const w = this.#take(id);
    w?.resolve(reply);
    return w !== undefined;
  }

  /** Rejects request `id` with `err`; false when it no longer waits. */
  reject(id: string, err: Error): boolean {
    const w = this.#take(id);
    w?.reject(err);
    return w !== undefined;
  }

  /** Request `id` will never be sent (`why`: the offline queue dropped it, or the client closed first). */
  dropped(id: string, why: string): void {
    this.reject(id, new RequestError("dropped", `request ${id} was not sent: ${why}`));
  }

  /** Notes that request `id` was handed to an open connection. */
  markSent(id: string): void {
    const w = this.#waiting.get(id);
    if (w !== undefined) w.sent = true;
  }

  /** A connection opened and the client's offline queue was flushed into it: every request is now sent. */
  markAllSent(): void {
    for (const w of this.#waiting.values()) w.sent = true;
  }

  /**
   * Rejects ("closed") the requests that were sent: the connection they went
   * out on closed, so their replies cannot come. With `all` (the client
   * closed for good), every request. Requests still in the offline queue
   * otherwise wait for the next connection.
   */
  rejectSent(why: string, all = false): void {
    for (const [id, w] of this.#waiting) {
      if (!all && !w.sent) continue;
      this.reject(id, new RequestError("closed", `request ${id} got no reply: ${why}`));
    }
  }

  #take(id: string): Waiting<T> | undefined {
    const w = this.#waiting.get(id);
    if (w === undefined) return undefined;
    this.#waiting.delete(id);
    clearTimeout(w.timer);
    return w;
  }
}
