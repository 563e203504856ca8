/**
 * Every delivery of every message, per subscriber, for the recovery
 * scenario: when each sequence number first arrived and how many times, so
 * that after the run each subscriber's losses (never arrived), duplicates
 * (arrived more than once) and order errors (arrived after a later one) are
 * counted exactly, and the moment it had every publication below a given
 * one (its recovery) is known. Times are `Date.now()` milliseconds: the
 * runner, another process, reports the kill and the restart on the same
 * clock.
 *
 * @module
 */

/** One subscriber's deliveries. */
export class DeliveryLog {
  /** Per sequence number: Date.now() of its first arrival, 0 while it never came. */
  readonly #firstAt: Float64Array;
  /** Per sequence number: arrivals (saturating at 255). */
  readonly #counts: Uint8Array;
  /** Every arrival. */
  received = 0;
  /** Arrivals of a number already received. */
  repeats = 0;
  /** Arrivals of a number below the highest received so far (a repeat or a late one). */
  outOfOrder = 0;
  /** Arrivals that were not a sequence number this run could have published. */
  foreign = 0;
  /** The highest number received, -1 before any. */
  highest = -1;

  constructor(capacity: number) {
    this.#firstAt = new Float64Array(capacity);
    this.#counts = new Uint8Array(capacity);
  }

  /** Records one arrival of `seq` at `now`. */
  deliver(seq: number, now: number): void {
    this.received++;
    if (!Number.isInteger(seq) || seq < 0 || seq >= this.#counts.length) {
      this.foreign++;
      return;
    }
    if (seq < this.highest) this.outOfOrder++;
    else this.highest = seq;
    const n = this.#counts[seq];
    if (n > 0) this.repeats++;
    else this.#firstAt[seq] = now;
    if (n < 255) this.#counts[seq] = n + 1;
  }

  /** How many of the numbers below `n` never arrived. */
  lost(n: number): number {
    let lost = 0;
    for (let i = 0; i < n; i++) if (this.#counts[i] === 0) lost++;
    return lost;
  }

  /** How many numbers arrived more than once. */
  duplicated(): number {
    let dup = 0;
    for (const c of this.#counts) if (c > 1) dup++;
    return dup;
  }

  /** When the last of the numbers in `[from, to)` first arrived; NaN if one never did (and `-Infinity` for an empty range). */
  completeAt(from: number, to: number): number {
    let last = -Infinity;
    for (let i = from; i < to; i++) {
      if (this.#counts[i] === 0) return NaN;
      if (this.#firstAt[i] > last) last = this.#firstAt[i];
    }
    return last;
  }

  /** How many numbers in `[from, to)` first arrived at or after `t` (what had to come after that moment). */
  arrivedSince(from: number, to: number, t: number): number {
    let n = 0;
    for (let i = from; i < to; i++) if (this.#counts[i] > 0 && this.#firstAt[i] >= t) n++;
    return n;
  }

  /** The first arrival at or after `t` of a number sent at or after `t` (`sentAt`): the subscriber is live again; NaN if none. */
  liveAgainAt(sentAt: Float64Array, sent: number, t: number): number {
    let first = NaN;
    for (let i = 0; i < sent; i++) {
      if (sentAt[i] < t || this.#counts[i] === 0) continue;
      if (!(this.#firstAt[i] >= first)) first = this.#firstAt[i];
    }
    return first;
  }
}
