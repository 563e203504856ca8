/**
 * Backpressure bookkeeping of one endpoint: `backpressureLimit` policy and
 * the low-water-mark crossings behind `socket.drained()` and the `drain`
 * handler. Internal.
 *
 * Neither runtime tells us what we need: Bun fires its native `drain` on
 * every writable event while anything is buffered (≈55 times for one
 * 100 MB message), Deno has no drain event at all. So a socket whose
 * buffer went above `lowWaterMark` is put on a watch list, and its buffer is
 * checked on Bun's drain events and by ONE shared timer per endpoint that
 * runs only while the list is not empty. A crossing is reported once.
 *
 * @module
 */

import { CloseCode } from "../shared/close_codes.ts";
import type { Connection } from "./connection.ts";
import type { SendResult } from "../shared/types.ts";

/** How often watched buffers are polled (ms). Only while some socket is above the mark. */
const POLL_MS = 20;

/** The core's side of the bookkeeping: counters and what a crossing does. */
export interface BackpressureHost<D> {
  readonly limits: { readonly lowWaterMark: number; readonly onBackpressureLimit: "close" | "drop"; readonly maxMessagesWhileBackpressured: number };
  readonly counters: { backpressureDrops: number; backpressureCloses: number; backpressureFloodCloses: number };
  /** The buffer of `conn` fell to the low-water mark or below. */
  drained(conn: Connection<D>): void;
}

/** Watches sockets above the low-water mark until they drain. */
export class Backpressure<D> {
  readonly #host: BackpressureHost<D>;
  readonly #watched: Set<Connection<D>> = new Set();
  #timer: ReturnType<typeof setInterval> | undefined;

  constructor(host: BackpressureHost<D>) {
    this.#host = host;
  }

  /**
   * Called after a send that was not simply "sent" (the hot path never
   * gets here while peers keep up).
   */
  afterSend(conn: Connection<D>, result: SendResult): SendResult {
    if (result === "queued") {
      if (!conn.aboveLowWater && conn.transport.bufferedAmount > this.#host.limits.lowWaterMark) this.watch(conn);
      return result;
    }
    // "dropped" on an open socket: the engine refused it at backpressureLimit.
    const counters = this.#host.counters;
    counters.backpressureDrops++;
    if (conn.messagesWhileRefused < 0) conn.messagesWhileRefused = 0;
    this.watch(conn);
    if (this.#host.limits.onBackpressureLimit === "close") {
      counters.backpressureCloses++;
      conn.closeInternal(CloseCode.PolicyViolation, "backpressure limit exceeded: the peer reads too slowly");
    }
    return result;
  }

  /**
   * A message arrived from `conn` while sends to it are refused (called
   * only then). Past `maxMessagesWhileBackpressured` the peer is closed
   * with 1008: it keeps asking for replies it does not read. Returns true
   * when it was closed (the message is not delivered).
   */
  floodedBy(conn: Connection<D>): boolean {
    if (++conn.messagesWhileRefused <= this.#host.limits.maxMessagesWhileBackpressured) return false;
    this.#host.counters.backpressureFloodCloses++;
    conn.closeInternal(CloseCode.PolicyViolation, "sends while reading nothing: backpressure limit reached");
    return true;
  }

  /** Marks `conn` as above the mark and polls it until it drains. */
  watch(conn: Connection<D>): void {
    if (conn.aboveLowWater) return;
    conn.aboveLowWater = true;
    this.#watched.add(conn);
    this.#timer ??= setInterval(() => {
      for (const c of this.#watched) this.check(c);
    }, POLL_MS);
  }

  /** Reports a crossing if `conn`'s buffer is at the mark or below (Bun's drain events call this too). */
  check(conn: Connection<D>): void {
    if (!conn.aboveLowWater || conn.transport.bufferedAmount > this.#host.limits.lowWaterMark) return;
    conn.messagesWhileRefused = -1;
    this.unwatch(conn);
    this.#host.drained(conn);
  }

  /** Stops watching `conn` (it drained or closed). */
  unwatch(conn: Connection<D>): void {
    conn.aboveLowWater = false;
    this.#watched.delete(conn);
    if (this.#watched.size === 0 && this.#timer !== undefined) {
      clearInterval(this.#timer);
      this.#timer = undefined;
    }
  }
}
