/**
 * The delay between attempts to reach Redis again, shared by every Redis
 * connection fullduplex opens (broker and history store, Deno and Bun).
 * Internal.
 *
 * @module
 */

/**
 * Backoff before reconnect attempt `attempt` (0 first): 100 ms doubling up
 * to 2 s, jittered to half..full so servers that lost the same Redis do not
 * all come back in the same millisecond.
 */
export function reconnectDelay(attempt: number): number {
  const base = Math.min(2000, 100 * 2 ** Math.min(attempt, 5));
  return Math.round(base / 2 + Math.random() * (base / 2));
}
