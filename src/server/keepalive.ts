/**
 * The keep-alive sweep, where the engine's own idle timeout cannot be
 * trusted (Bun keeps a peer that never answers pings alive while the
 * server sends to it, oven-sh/bun#39255): every half `idleTimeout` it asks
 * each open connection to sweep itself (Connection.sweep: a peer that sent
 * nothing since the last sweep is pinged; one silent for two sweeps in a
 * row is dropped, and `close` sees 1006). One timer per endpoint, running
 * only while connections are open. Deno's engine runs its own idle timeout
 * (the adapter reports its closes). Internal.
 *
 * @module
 */

/** What a sweep asks of a connection. */
export interface Sweepable {
  /** One sweep: ping a silent peer, drop one silent for two sweeps. */
  sweep(): void;
}

/** A timer that sweeps a set of connections while it is not empty. */
export class KeepAliveSweep {
  readonly #everyMs: number;
  readonly #members: Iterable<Sweepable>;
  #timer: ReturnType<typeof setInterval> | undefined;

  /** `idleTimeout` in seconds; `members` is read at every sweep. */
  constructor(idleTimeout: number, members: Iterable<Sweepable>) {
    this.#everyMs = (idleTimeout * 1000) / 2;
    this.#members = members;
  }

  /** Starts sweeping (nothing if already running). */
  start(): void {
    this.#timer ??= setInterval(() => {
      for (const member of this.#members) member.sweep();
    }, this.#everyMs);
  }

  /** Stops sweeping. */
  stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
