/**
 * A fixed-size latency histogram: 10 µs buckets up to 2 s, so recording a
 * sample costs one array increment and no allocation (a load generator that
 * kept every sample would measure its own garbage collector).
 *
 * @module
 */

/** Width of one bucket in milliseconds. */
const BUCKET_MS = 0.01;
/** Number of buckets; the last one also holds everything slower. */
const BUCKETS = 200_000;

/** Latency samples in milliseconds, summarised as percentiles. */
export class LatencyHistogram {
  readonly #counts = new Uint32Array(BUCKETS);
  #total = 0;

  /** Records one latency in milliseconds. */
  record(ms: number): void {
    let i = (ms / BUCKET_MS) | 0;
    if (i >= BUCKETS) i = BUCKETS - 1;
    else if (i < 0) i = 0;
    this.#counts[i]++;
    this.#total++;
  }

  /** Number of samples recorded. */
  get count(): number {
    return this.#total;
  }

  /** The latency (ms, upper edge of its bucket) below which `p` (0–1) of the samples lie; NaN when empty. */
  percentile(p: number): number {
    if (this.#total === 0) return NaN;
    const rank = Math.max(1, Math.ceil(p * this.#total));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.#counts[i];
      if (seen >= rank) return (i + 1) * BUCKET_MS;
    }
    return BUCKETS * BUCKET_MS;
  }
}
