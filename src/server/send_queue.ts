/**
 * What the sends an engine has not written yet really cost, for an engine
 * whose `bufferedAmount` counts payload bytes only (Deno). Pure and
 * runtime-neutral; internal.
 *
 * Why: each queued `send()` on Deno 2.9 holds a spawned write task, a copy of
 * the payload and its frame, about 800–1,000 bytes beyond the payload
 * (measured: bench/investigate/ABUSE.md). `bufferedAmount` counts the
 * payload only, so a backpressure limit of 16 MiB in bytes let a peer that
 * asks for 7-byte replies and never reads queue 2.4 million sends (~2 GB)
 * before a single send was refused. The limit is therefore applied to
 * `bytes + sends × overhead`.
 *
 * Deno never says when a queued send has been written, but it does two
 * things we can count on (ext/websocket: `op_ws_send_*` adds the payload
 * length to the buffered amount synchronously and a write task subtracts it
 * once the whole frame is written; the tasks of one socket write in order):
 *
 * - every byte we handed over and that is no longer buffered was written:
 *   `written = handedOver - bufferedAmount`;
 * - sends are written first in, first out.
 *
 * So the sends still queued are exactly those whose end offset in the
 * stream of handed-over bytes lies beyond `written`. We keep those end
 * offsets in a FIFO (8 bytes each, next to the ~1 KB the engine holds) and
 * drop the front ones as `written` passes them. This is exact, not an
 * average: a slow peer that reads keeps its count small however long its
 * buffer stays non-empty, and a mix of large and tiny messages is counted
 * send by send (an average-size estimate undercounts tiny sends queued
 * behind a large one that has just been written).
 *
 * An empty send adds nothing to `bufferedAmount`, so its completion is
 * invisible; it is counted as queued until a later non-empty send has been
 * written (its offset is kept as `end + 0.5`, passed only once `written`
 * exceeds `end`). A server that sends thousands of empty messages in a row
 * to one peer, and nothing else, therefore sees them charged until it
 * sends something else: the sound side to err on, since each one really
 * costs the engine ~850 bytes until written.
 *
 * @module
 */

/** The queued sends of one socket, counted exactly from the engine's byte count. */
export class SendQueue {
  /** Bytes of engine memory charged per queued send, beyond its payload. */
  readonly overhead: number;
  /**
   * End offsets of the sends that may still be queued: #ends[#head..#n),
   * oldest first. The array is reused (never shrunk) so that the hot path,
   * one send written before the next, allocates nothing.
   */
  readonly #ends: number[] = [];
  #head = 0;
  #n = 0;
  /** Bytes handed to the engine since the queue was last seen empty. */
  #handedOver = 0;
  /** Bytes written over the socket's life before the last reset (for stall detection). */
  #writtenBefore = 0;
  #lastWritten = 0;

  constructor(overhead: number) {
    this.overhead = overhead;
  }

  /** Sends still queued, given the engine's bufferedAmount now (forgets the written ones). */
  count(buffered: number): number {
    const n = this.#n;
    if (n === 0) return 0; // nothing handed over since the queue was last empty
    const ends = this.#ends;
    const written = this.#handedOver - buffered;
    let head = this.#head;
    while (head < n && ends[head] <= written) head++;
    if (head === n) {
      // Everything was written: count from zero again (keeps the offsets small).
      this.#writtenBefore += written;
      this.#handedOver = buffered; // 0 unless the engine counts bytes we never handed over
      this.#lastWritten = 0;
      this.#head = this.#n = 0;
      return 0;
    }
    this.#lastWritten = written;
    if (head > 1024 && head * 2 > n) {
      // Compact now and then: amortised O(1) per send.
      ends.copyWithin(0, head, n);
      this.#n = n - head;
      head = 0;
    }
    this.#head = head;
    return this.#n - head;
  }

  /** Estimated engine memory held for queued sends: their bytes plus the per-send overhead. */
  memory(buffered: number): number {
    return this.#n === 0 ? buffered : buffered + this.overhead * this.count(buffered);
  }

  /** Records a send of `length` bytes just handed to the engine. */
  record(length: number): void {
    const end = (this.#handedOver += length);
    this.#ends[this.#n++] = length === 0 ? end + 0.5 : end;
  }

  /**
   * Bytes written to the network over the socket's life, as of the last
   * `count()`/`memory()` call: it stands still while the peer reads nothing.
   */
  get written(): number {
    return this.#writtenBefore + this.#lastWritten;
  }
}
