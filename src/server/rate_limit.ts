/**
 * Per-connection message rate limit: a token bucket. It exists only on
 * connections of a server configured with `rateLimit`, so servers without
 * one pay nothing per message. Internal.
 *
 * @module
 */

import type { RateLimitOptions } from "./options.ts";

/** A token bucket refilled at `messagesPerSecond`, holding at most `burst` tokens. */
export class RateLimiter {
  readonly #perMs: number;
  readonly #burst: number;
  #tokens: number;
  #last: number;

  constructor(options: Readonly<Required<RateLimitOptions>>) {
    this.#perMs = options.messagesPerSecond / 1000;
    this.#burst = options.burst;
    this.#tokens = options.burst;
    // performance.now() is monotonic (a clock change cannot refill or drain
    // the bucket) and is only read on rate-limited servers.
    this.#last = performance.now();
  }

  /** Takes one token; false when the bucket is empty (the message is over the rate). */
  take(): boolean {
    const now = performance.now();
    const tokens = Math.min(this.#burst, this.#tokens + (now - this.#last) * this.#perMs);
    this.#last = now;
    if (tokens < 1) {
      this.#tokens = tokens;
      return false;
    }
    this.#tokens = tokens - 1;
    return true;
  }
}
