/**
 * The client's offline queue: messages `send()` accepted while the client
 * was reconnecting, bounded by count and bytes, handed out in order exactly
 * once when a connection opens.
 *
 * @module
 */

import { QueueFullError } from "../shared/errors.ts";
import { utf8ByteLength } from "../shared/close_codes.ts";
import type { PendingPublish } from "./publish.ts";

/**
 * Options of `connect(url, { queue })`. Every field is optional.
 *
 * @example Keep at most 64 KiB of unsent messages, dropping the oldest
 * ```ts
 * import { connect } from "@fullduplex/fullduplex";
 * const ws = await connect("ws://localhost:8080", { reconnect: true, queue: { maxBytes: 65536, whenFull: "drop-oldest" } });
 * ```
 */
export interface QueueOptions {
  /** Most messages held while disconnected. Default 1000. */
  maxMessages?: number;
  /** Most bytes held while disconnected (UTF-8 bytes for text). Default 1 MiB (1048576). */
  maxBytes?: number;
  /**
   * What `send()` does when the queue is full: `"throw"` a
   * {@link QueueFullError} (the new message is not sent), or `"drop-oldest"`
   * to make room by dropping the oldest queued messages, each reported with
   * a `drop` event. Default `"throw"`.
   */
  whenFull?: "throw" | "drop-oldest";
}

/** Queue options with defaults applied. */
export type ResolvedQueue = Required<QueueOptions>;

/** Defaults of {@link QueueOptions} (documented there). */
export const DEFAULT_QUEUE: Readonly<Required<QueueOptions>> = Object.freeze({
  maxMessages: 1000,
  maxBytes: 1024 * 1024,
  whenFull: "throw",
});

/** One queued message: what to send and how many bytes it counts for. */
export interface QueuedMessage {
  data: string | Uint8Array;
  bytes: number;
  /** Set when the message is a `request()`, so its promise can follow the message. */
  requestId?: string;
  /** Set when the message is a channel publish (`data` is its payload): the channel layer sends it and settles it. */
  publish?: PendingPublish;
}

/** Applies defaults to `queue`; `undefined` when queueing is off. Throws for a bad option. */
export function resolveQueue(option: boolean | QueueOptions | undefined): ResolvedQueue | undefined {
  if (option === false) return undefined;
  const o: QueueOptions = option === undefined || option === true ? {} : option;
  const maxMessages = o.maxMessages ?? DEFAULT_QUEUE.maxMessages;
  const maxBytes = o.maxBytes ?? DEFAULT_QUEUE.maxBytes;
  if (!Number.isInteger(maxMessages) || maxMessages < 1) {
    throw new RangeError(`queue.maxMessages must be an integer ≥ 1, got ${String(maxMessages)}`);
  }
  if (!Number.isInteger(maxBytes) || maxBytes < 1) throw new RangeError(`queue.maxBytes must be an integer ≥ 1, got ${String(maxBytes)}`);
  const whenFull = o.whenFull ?? DEFAULT_QUEUE.whenFull;
  if (whenFull !== "throw" && whenFull !== "drop-oldest") {
    throw new TypeError(`queue.whenFull must be "throw" or "drop-oldest", got ${String(whenFull)}`);
  }
  return { maxMessages, maxBytes, whenFull };
}

/**
 * A FIFO of messages bounded by count and bytes. `push` never loses a
 * message silently: it throws, or returns what it dropped so the caller
 * can report it.
 */
export class OfflineQueue {
  readonly limits: ResolvedQueue;
  #items: QueuedMessage[] = [];
  #head = 0;
  #bytes = 0;

  constructor(limits: ResolvedQueue) {
    this.limits = limits;
  }

  /** Messages waiting. */
  get length(): number {
    return this.#items.length - this.#head;
  }

  /** Bytes waiting. */
  get bytes(): number {
    return this.#bytes;
  }

  /**
   * Appends a message (binary data is copied, so the caller may reuse its
   * buffer). Throws {@link QueueFullError} when it does not fit and
   * `whenFull` is `"throw"`; with `"drop-oldest"`, returns the messages
   * dropped to make room (empty when none).
   */
  push(data: string | Uint8Array, requestId?: string, publish?: PendingPublish): QueuedMessage[] {
    const bytes = typeof data === "string" ? utf8ByteLength(data) : data.byteLength;
    const { maxMessages, maxBytes, whenFull } = this.limits;
    if (bytes > maxBytes) {
      throw new QueueFullError(
        `cannot queue a ${bytes}-byte message while reconnecting: it is larger than queue.maxBytes (${maxBytes}); it was not sent`,
      );
    }
    const dropped: QueuedMessage[] = [];
    while (this.length >= maxMessages || this.#bytes + bytes > maxBytes) {
      if (whenFull === "throw") {
        throw new QueueFullError(
          `the offline queue is full (${this.length} messages, ${this.#bytes} bytes; ` +
            `limits queue.maxMessages ${maxMessages}, queue.maxBytes ${maxBytes}) while reconnecting: ` +
            "the message was not sent. Slow down (await client.drained()) or raise the limits",
        );
      }
      dropped.push(this.shift()!);
    }
    const item: QueuedMessage = { data: typeof data === "string" ? data : data.slice(), bytes, requestId };
    if (publish !== undefined) item.publish = publish;
    this.#items.push(item);
    this.#bytes += bytes;
    return dropped;
  }

  /** Removes and returns the oldest message, or `undefined` when empty. */
  shift(): QueuedMessage | undefined {
    if (this.#head >= this.#items.length) return undefined;
    const item = this.#items[this.#head++];
    this.#bytes -= item.bytes;
    // Compact now and then so a long-lived queue does not keep dead slots.
    if (this.#head === this.#items.length) {
      this.#items = [];
      this.#head = 0;
    } else if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return item;
  }

  /** Removes and returns every message, oldest first. */
  takeAll(): QueuedMessage[] {
    const all = this.#items.slice(this.#head);
    this.#items = [];
    this.#head = 0;
    this.#bytes = 0;
    return all;
  }
}
