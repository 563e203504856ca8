/**
 * One channel publish (`subscription.publish()`) from the call to its
 * outcome: its promise, its timeout (which runs while it waits in the
 * offline queue too, like a request's), and which of "waiting to be sent",
 * "sent with id N" or "settled" it is, so it is settled exactly once and
 * never sent after its caller was told it failed. Internal.
 *
 * @module
 */

import { PublishError } from "../shared/errors.ts";
import type { StreamPosition } from "../shared/position.ts";

/** A publish waiting to be sent or answered. */
export class PendingPublish {
  readonly topic: string;
  /** Resolves on the server's `ok` (with the position on a topic with history), rejects with a {@link PublishError}. */
  readonly promise: Promise<StreamPosition | undefined>;
  /** The control request id once sent (the server answers by it). */
  id: number | undefined;
  #resolve!: (position: StreamPosition | undefined) => void;
  #reject!: (err: Error) => void;
  #settled = false;
  readonly #timer: ReturnType<typeof setTimeout>;

  /** The timeout starts now; `timedOut` runs after the promise was rejected for it (to forget the id). */
  constructor(topic: string, timeout: number, timedOut: (publish: PendingPublish) => void) {
    this.topic = topic;
    this.promise = new Promise<StreamPosition | undefined>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    this.#timer = setTimeout(() => {
      const sent = this.id !== undefined;
      this.fail("timeout", sent ? `no answer within ${timeout} ms` : `not sent within ${timeout} ms: the client was offline`);
      timedOut(this);
    }, timeout);
  }

  /** Whether the caller already has its outcome (then it must not be sent any more). */
  get settled(): boolean {
    return this.#settled;
  }

  /** The server's `ok`. */
  succeed(position: StreamPosition | undefined): void {
    if (this.#settled) return;
    this.#settled = true;
    clearTimeout(this.#timer);
    this.#resolve(position);
  }

  /** Rejects with a {@link PublishError} of `kind` (`cause`: the error that stopped it, if any). */
  fail(kind: "denied" | "dropped" | "closed" | "timeout" | "unavailable", reason: string, cause?: unknown): void {
    if (this.#settled) return;
    this.#settled = true;
    clearTimeout(this.#timer);
    this.#reject(new PublishError(this.topic, kind, reason, cause === undefined ? undefined : { cause }));
  }
}
