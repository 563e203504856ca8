/**
 * The keep-alive sweep: one timer per endpoint, every half `idleTimeout`,
 * running only while connections are open. Each round, for each open
 * connection:
 *
 * - first the stall check, on both runtimes (write_stall.ts): a peer whose
 *   queued data has not moved for two sweeps in a row reads nothing, and is
 *   dropped (Connection.dropStalled: no ping can pass the data queued ahead
 *   of it, and neither engine drops such a peer by itself);
 * - then, only where the engine's own idle timeout cannot be trusted (Bun
 *   keeps a peer that never answers pings alive while the server sends to
 *   it, oven-sh/bun#39255), the silent-peer logic (Connection.sweep: a peer
 *   that sent nothing since the last sweep is pinged; one silent for two
 *   sweeps in a row is dropped, and `close` sees 1006). Deno's engine runs
 *   its own idle timeout (the adapter reports its closes).
 *
 * Internal.
 *
 * @module
 */

import { WriteStalls } from "./write_stall.ts";
import type { StallWatched } from "./write_stall.ts";

/** What a sweep asks of a connection. */
export interface Sweepable extends StallWatched {
  /** One silent-peer sweep: ping a silent peer, drop one silent for two sweeps. */
  sweep(): void;
  /** Its queued data made no progress for two sweeps: count it as an idle timeout and drop it. */
  dropStalled(): void;
}

/** A timer that sweeps a set of connections while it is not empty. */
export class KeepAliveSweep {
  readonly #everyMs: number;
  readonly #members: Iterable<Sweepable>;
  /** Whether the silent-peer logic runs here (false where the engine pings: Deno). */
  readonly #pingSilent: boolean;
  readonly #stalls = new WriteStalls<Sweepable>();
  #timer: ReturnType<typeof setInterval> | undefined;

  /** `idleTimeout` in seconds; `members` is read at every sweep; `pingSilent`: see the module doc. */
  constructor(idleTimeout: number, members: Iterable<Sweepable>, pingSilent: boolean) {
    this.#everyMs = (idleTimeout * 1000) / 2;
    this.#members = members;
    this.#pingSilent = pingSilent;
  }

  /** Starts sweeping (nothing if already running). */
  start(): void {
    this.#timer ??= setInterval(() => this.round(), this.#everyMs);
  }

  /** One round over the members (the timer's; a unit test may call it directly). */
  round(): void {
    const stalls = this.#stalls;
    const ping = this.#pingSilent;
    for (const member of this.#members) {
      if (stalls.stalled(member)) member.dropStalled();
      else if (ping) member.sweep();
    }
  }

  /** Stops sweeping. */
  stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
