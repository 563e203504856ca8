/**
 * The channel control requests of one client (`sub`, `unsub`, `pub`, binary
 * publish, `presence`) that wait for the server's `ok`, `deny` or `error`:
 * their ids (positive integers below 2^31, unique among those in flight, as
 * docs/channels.md requires) and who to tell about the answer. What a lost
 * connection does to each kind is the waiter's decision (channels.ts).
 * Internal.
 *
 * @module
 */

import { MAX_REQUEST_ID } from "../shared/channel_wire.ts";
import type { ServerControl } from "../shared/channel_wire.ts";

/** The server's `ok` to a request. */
export type OkAnswer = Extract<ServerControl, { t: "ok" }>;

/** Who to tell about the answer to one control request. */
export interface ControlWaiter {
  /** The server's `ok` (with `members` for a presence or presence subscription, a position for history). */
  ok(answer: OkAnswer): void;
  /** The server's `deny`, or an `error` naming this request: `reason` is the server's; `unavailable`: a history store failed. */
  refused(reason: string, unavailable: boolean): void;
  /** The connection the request went out on closed: no answer will come. `final` when the client closed for good. */
  lost(final: boolean): void;
}

/** Control requests in flight on the current connection, by id. */
export class ControlRequests {
  readonly #waiting = new Map<number, ControlWaiter>();
  #last = 0;

  /** Requests in flight. */
  get size(): number {
    return this.#waiting.size;
  }

  /** Registers `waiter` under a fresh id and returns the id. */
  add(waiter: ControlWaiter): number {
    let id = this.#last;
    do id = id + 1 >= MAX_REQUEST_ID ? 1 : id + 1; while (this.#waiting.has(id));
    this.#last = id;
    this.#waiting.set(id, waiter);
    return id;
  }

  /** Forgets request `id` (it timed out): a late answer is ignored. */
  forget(id: number): void {
    this.#waiting.delete(id);
  }

  /** An answer arrived; false when no request `id` waits (a late answer, or a server bug). */
  answer(id: number, answer: OkAnswer | { t: "deny" | "error"; reason: string; kind?: "unavailable" }): boolean {
    const waiter = this.#waiting.get(id);
    if (waiter === undefined) return false;
    this.#waiting.delete(id);
    if (answer.t === "ok") waiter.ok(answer);
    else waiter.refused(answer.reason, answer.kind === "unavailable");
    return true;
  }

  /** The connection closed: every waiter learns its request is lost. */
  lost(final: boolean): void {
    const waiters = [...this.#waiting.values()];
    this.#waiting.clear();
    for (const waiter of waiters) waiter.lost(final);
  }
}
