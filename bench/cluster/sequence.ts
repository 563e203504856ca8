/**
 * Checking every delivery of a fan-out: each subscriber must see the
 * publisher's sequence numbers in order, none missing, none twice; a
 * publication is done when every subscriber has it. Shared by the cluster
 * scenarios (and meant for a recovery scenario, where a subscriber that
 * reconnects records the gap instead of failing: {@link SubscriberCheck.gaps}).
 *
 * @module
 */

/** One subscriber's view of the sequence. */
export class SubscriberCheck {
  /** The next sequence number this subscriber should see. */
  expected = 0;
  /** Deliveries that were not the expected one (out of order, repeated, or after a gap). */
  wrong = 0;
  /** Sequence numbers skipped (not delivered) before a later one arrived. */
  gaps = 0;
  received = 0;

  /** Records `seq`; false when it was not the one expected. */
  accept(seq: number): boolean {
    this.received++;
    if (seq === this.expected) {
      this.expected++;
      return true;
    }
    this.wrong++;
    if (seq > this.expected) this.gaps += seq - this.expected;
    this.expected = Math.max(this.expected, seq + 1);
    return false;
  }
}

/**
 * The publications in flight (at most `window`): when each was sent and how
 * many subscribers have it. The oldest completes once all `subscribers` have
 * it; then the caller may publish the next.
 */
export class PublicationWindow {
  readonly #sentAt: Float64Array;
  readonly #receipts: Uint32Array;
  readonly window: number;
  readonly subscribers: number;
  /** The next sequence number to publish. */
  next = 0;
  /** Every publication below this one reached every subscriber. */
  oldest = 0;

  constructor(window: number, subscribers: number) {
    this.window = window;
    this.subscribers = subscribers;
    this.#sentAt = new Float64Array(window);
    this.#receipts = new Uint32Array(window);
  }

  /** Whether another publication fits in the window. */
  get hasRoom(): boolean {
    return this.next - this.oldest < this.window;
  }

  /** Publications sent that have not reached every subscriber yet. */
  get outstanding(): number {
    return this.next - this.oldest;
  }

  /** Claims the next sequence number (the caller sends it). */
  publish(now: number): number {
    const slot = this.next % this.window;
    this.#sentAt[slot] = now;
    this.#receipts[slot] = 0;
    return this.next++;
  }

  /** Counts one delivery of `seq`; returns its latency in ms (NaN for one outside the window). */
  delivered(seq: number, now: number): number {
    if (seq < this.oldest || seq >= this.next) return NaN;
    const slot = seq % this.window;
    this.#receipts[slot]++;
    return now - this.#sentAt[slot];
  }

  /** Retires the publications every subscriber has; returns how many. */
  retire(): number {
    let n = 0;
    while (this.oldest < this.next && this.#receipts[this.oldest % this.window] >= this.subscribers) {
      this.oldest++;
      n++;
    }
    return n;
  }
}
