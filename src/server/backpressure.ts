/**
 * The low-water-mark watch behind `socket.drained()` and the `drain`
 * handler: it alone knows which connections are above `lowWaterMark`.
 * Internal. (What a refused send does, `backpressureLimit` and
 * `onBackpressureLimit`, is the connection's decision: connection.ts.)
 *
 * Neither runtime tells us what we need: Bun fires its native `drain` on
 * every writable event while anything is buffered (≈55 times for one
 * 100 MB message), Deno has no drain event at all. So a connection whose
 * buffer went above `lowWaterMark` is put on a watch list, and its buffer is
 * checked on Bun's drain events and by ONE shared timer per endpoint that
 * runs only while the list is not empty. A crossing is reported once.
 *
 * @module
 */

/** How often watched buffers are polled (ms). Only while some connection is above the mark. */
const POLL_MS = 20;

/** What the watch needs of a connection. */
export interface Drainable {
  /** Bytes queued for the peer (0 once closed). */
  bufferedAmount(): number;
  /** The buffer fell to the mark or below after having been above it: called once per crossing. */
  belowLowWater(): void;
}

/** Watches connections above the low-water mark until they drain. */
export class BackpressureWatch<C extends Drainable> {
  readonly #lowWaterMark: number;
  readonly #watched: Set<C> = new Set();
  #timer: ReturnType<typeof setInterval> | undefined;

  constructor(lowWaterMark: number) {
    this.#lowWaterMark = lowWaterMark;
  }

  /** Bytes below which a connection counts as drained. */
  get lowWaterMark(): number {
    return this.#lowWaterMark;
  }

  /** Whether `conn` is above the mark and waiting to drain. */
  isWatching(conn: C): boolean {
    return this.#watched.has(conn);
  }

  /** Marks `conn` as above the mark and polls it until it drains (nothing if already watched). */
  watch(conn: C): void {
    if (this.#watched.has(conn)) return;
    this.#watched.add(conn);
    this.#timer ??= setInterval(() => {
      for (const c of this.#watched) this.check(c);
    }, POLL_MS);
  }

  /** Reports a crossing if `conn` is watched and its buffer is at the mark or below (Bun's drain events call this too). */
  check(conn: C): void {
    if (!this.#watched.has(conn) || conn.bufferedAmount() > this.#lowWaterMark) return;
    this.unwatch(conn);
    conn.belowLowWater();
  }

  /** Stops watching `conn` (it drained or closed). */
  unwatch(conn: C): void {
    if (!this.#watched.delete(conn)) return;
    if (this.#watched.size === 0 && this.#timer !== undefined) {
      clearInterval(this.#timer);
      this.#timer = undefined;
    }
  }
}
