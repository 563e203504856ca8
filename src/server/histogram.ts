/**
 * Fixed-bucket histograms for `metrics()`: counts per bucket and a sum,
 * nothing allocated per observation. Internal (metrics.ts formats them).
 *
 * Two kinds, because their costs matter differently:
 * - {@link MessageSizeHistogram} is fed once per received message, so it
 *   finds the bucket with arithmetic (two comparisons and a `Math.clz32`),
 *   never a loop: its bounds are powers of 4.
 * - {@link Histogram} takes any sorted bounds and walks them; it is fed on
 *   slow paths only (a connection closing).
 *
 * @module
 */

/** A histogram's figures at one moment, in the units it was fed. */
export interface HistogramSnapshot {
  /** Upper bounds of the buckets, ascending, without the implicit +Inf. */
  readonly bounds: readonly number[];
  /** Observations per bucket, NOT cumulative: `counts[i]` is for `bounds[i]`, the last one for +Inf. */
  readonly counts: readonly number[];
  /** Sum of all observations. */
  readonly sum: number;
  /** Number of observations (the sum of `counts`). */
  readonly count: number;
}

/** The buckets and sum both kinds keep. */
abstract class BucketCounts {
  readonly bounds: readonly number[];
  /**
   * One slot per bound, the +Inf bucket, then the sum (at `sumAt`): Float64
   * slots count exactly up to 2^53, and a sum kept here is updated in place
   * (a number field could change representation on the hot path).
   */
  protected readonly counts: Float64Array;
  protected readonly sumAt: number;

  constructor(bounds: readonly number[]) {
    for (let i = 1; i < bounds.length; i++) {
      if (!(bounds[i] > bounds[i - 1])) throw new RangeError("histogram bounds must be strictly ascending");
    }
    this.bounds = Object.freeze([...bounds]);
    this.sumAt = bounds.length + 1;
    this.counts = new Float64Array(bounds.length + 2);
  }

  /** A copy of the figures (taking one allocates; observing never does). */
  snapshot(): HistogramSnapshot {
    const counts = Array.from(this.counts.subarray(0, this.sumAt));
    let count = 0;
    for (const n of counts) count += n;
    return { bounds: this.bounds, counts, sum: this.counts[this.sumAt], count };
  }
}

/** A histogram over any ascending bounds; `observe` walks them (for slow paths). */
export class Histogram extends BucketCounts {
  /** Counts one observation. */
  observe(value: number): void {
    const bounds = this.bounds;
    let i = 0;
    while (i < bounds.length && value > bounds[i]) i++;
    this.counts[i]++;
    this.counts[this.sumAt] += value;
  }
}

/** Smallest bucket of {@link MessageSizeHistogram}: 64 bytes (2^6). */
const FIRST_SIZE_LOG2 = 6;
/** Number of finite size buckets: 64 B, 256 B, 1 KiB, … 16 MiB (= 64 × 4^9 = 2^24). */
const SIZE_BUCKETS = 10;
const LARGEST_SIZE = 2 ** (FIRST_SIZE_LOG2 + 2 * (SIZE_BUCKETS - 1));

/** The bounds of {@link MessageSizeHistogram}: 64 B × 4^k up to 16 MiB. */
export const MESSAGE_SIZE_BOUNDS: readonly number[] = Object.freeze(
  Array.from({ length: SIZE_BUCKETS }, (_, k) => 2 ** (FIRST_SIZE_LOG2 + 2 * k)),
);

/**
 * Message sizes in bytes, with bounds 64 B × 4^k (64 B, 256 B, 1 KiB, …,
 * 16 MiB, then +Inf). Per observation: two comparisons, one `Math.clz32`,
 * one bucket increment and one addition to the sum; no loop, no allocation.
 */
export class MessageSizeHistogram extends BucketCounts {
  constructor() {
    super(MESSAGE_SIZE_BOUNDS);
  }

  /** Counts one message of `bytes` bytes (a non-negative integer). */
  observe(bytes: number): void {
    // For 64 < b ≤ 2^24, ceil(log2 b) = 32 - clz32(b - 1); the bucket is ceil((ceil(log2 b) - 6) / 2).
    const counts = this.counts;
    counts[bytes <= 64 ? 0 : bytes > LARGEST_SIZE ? SIZE_BUCKETS : (27 - Math.clz32(bytes - 1)) >> 1]++;
    counts[SIZE_BUCKETS + 1] += bytes; // the sum
  }
}

/**
 * The bounds of the connection-duration histogram, in seconds: from 100 ms
 * (refused or failed sessions) to a day.
 */
export const CONNECTION_DURATION_BOUNDS: readonly number[] = Object.freeze([
  0.1,
  1,
  10,
  60,
  300,
  900,
  1800,
  3600,
  4 * 3600,
  12 * 3600,
  24 * 3600,
]);
