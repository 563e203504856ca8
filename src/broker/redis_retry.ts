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

/** What a reconnect loop needs of a client it made: a way to close it, and its loss handler to clear. */
export interface ReconnectingClient {
  close(): void;
  onclose: ((error: Error) => void) | null;
}

/** One reconnect loop's parts (see {@link reconnectUntilReady}). */
export interface ReconnectSteps<C extends ReconnectingClient> {
  /** A fresh client. */
  create(): C;
  /** Connects it and makes it ready for use (subscriptions, scripts); a rejection is a failed attempt. */
  prepare(client: C): Promise<void>;
  /** The client is ready and the loop was not stopped meanwhile. */
  use(client: C): void;
  /** The owner was closed: stop. */
  closed(): boolean;
  /** Holds the pending timer, so that closing can clear it. */
  timer(timer: ReturnType<typeof setTimeout> | undefined): void;
}

/**
 * Reconnects for good (Bun's own clients give up, see redis_commands_bun.ts):
 * after `reconnectDelay(attempt)` a fresh client is made and prepared; one
 * that fails is closed and the next attempt waits longer; a ready one is
 * handed to `use`, unless the owner closed meanwhile (then it is closed).
 */
export function reconnectUntilReady<C extends ReconnectingClient>(steps: ReconnectSteps<C>, attempt = 0): void {
  steps.timer(setTimeout(async () => {
    steps.timer(undefined);
    if (steps.closed()) return;
    const next = steps.create();
    try {
      await steps.prepare(next);
    } catch {
      next.onclose = null;
      next.close();
      reconnectUntilReady(steps, attempt + 1);
      return;
    }
    if (steps.closed()) return next.close();
    steps.use(next);
  }, reconnectDelay(attempt)));
}
