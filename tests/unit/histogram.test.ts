/**
 * The histograms behind metrics(): the message-size one finds its bucket
 * by arithmetic, so it is checked against the plain walk over the same
 * bounds, on every bound, its neighbours and beyond the last one.
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Histogram, MESSAGE_SIZE_BOUNDS, MessageSizeHistogram } from "../../src/server/histogram.ts";

describe("histograms", () => {
  it("MessageSizeHistogram puts every size where a walk over its bounds does", () => {
    assert.deepEqual(MESSAGE_SIZE_BOUNDS, Array.from({ length: 10 }, (_, k) => 64 * 4 ** k));
    const sizes = [0, 1, 2, 3, 63];
    for (const b of MESSAGE_SIZE_BOUNDS) sizes.push(b - 1, b, b + 1, 2 * b);
    sizes.push(2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 2 ** 32 + 5, 2 ** 40);
    for (const size of sizes) {
      const fast: MessageSizeHistogram = new MessageSizeHistogram();
      const walk: Histogram = new Histogram(MESSAGE_SIZE_BOUNDS);
      fast.observe(size);
      walk.observe(size);
      assert.deepEqual(fast.snapshot(), walk.snapshot(), `size ${size}`);
    }
  });

  it("snapshots count, sum and per-bucket counts (not cumulative)", () => {
    const h = new Histogram([1, 10]);
    for (const v of [0.5, 1, 2, 10, 11, 100]) h.observe(v);
    assert.deepEqual(h.snapshot(), { bounds: [1, 10], counts: [2, 2, 2], sum: 124.5, count: 6 });
    assert.throws(() => new Histogram([1, 1]), RangeError);
  });
});
