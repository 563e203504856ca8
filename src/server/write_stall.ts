/**
 * Finds peers that read nothing: a connection whose queued data made no
 * write progress for two keep-alive sweeps in a row (idleTimeout in all).
 * Internal; pure apart from reading the transport.
 *
 * Why: a ping cannot pass data queued ahead of it, so such a peer cannot
 * have answered one, yet neither engine drops it. Deno's own idleTimeout
 * never fires once a peer's queue is stuck (measured: a peer that stops
 * reading with 15 MB queued stays open 40 s+ past idleTimeout 4, and one
 * that then sends a close frame stays OPEN, its close never answered,
 * bench/investigate/ABUSE.md, section 5); Bun's and the core's keep-alive see a peer
 * that keeps sending as alive however long it reads nothing.
 *
 * @module
 */

import type { Transport } from "./transport.ts";

interface Seen {
  progress: number;
  sweeps: number;
}

/** What the stall check reads of a connection: its transport's queue and write progress. */
export interface StallWatched {
  readonly transport: Pick<Transport, "bufferedAmount" | "writeProgress">;
}

/** Per-connection write progress between sweeps (this object alone owns it). */
export class WriteStalls<C extends StallWatched> {
  readonly #seen = new WeakMap<C, Seen>();

  /** Called once per sweep per connection: true when its queue has not moved for two sweeps in a row. */
  stalled(conn: C): boolean {
    const transport = conn.transport;
    if (transport.bufferedAmount === 0) {
      this.#seen.delete(conn);
      return false;
    }
    const progress = transport.writeProgress;
    const last = this.#seen.get(conn);
    if (last === undefined || last.progress !== progress) {
      this.#seen.set(conn, { progress, sweeps: 0 });
      return false;
    }
    return ++last.sweeps >= 2;
  }
}
