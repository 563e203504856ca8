/**
 * Where received messages go: to the `message` listeners and to every async
 * iterator of the client (or of one channel subscription), or, while nobody
 * consumes them yet, into a bounded backlog handed to the first consumer (a
 * message that arrives between `await connect()` and the first `for await`
 * is not lost). Internal.
 *
 * @module
 */

import type { Message } from "../shared/message.ts";
import { callListener } from "./events.ts";
import type { Listener } from "./types.ts";

/** The `message` listeners an inbox delivers to (the client's or a subscription's emitter). */
export interface InboxListeners {
  /** How many `message` listeners there are. */
  count(event: "message"): number;
  /** Calls every `message` listener. */
  emit(event: "message", msg: Message): void;
}

/** Most messages held for a consumer that has not started iterating yet. */
export const BACKLOG_LIMIT = 10_000;

/** The messages of one client (or subscription), between the socket and its consumers. */
export class Inbox {
  readonly #events: InboxListeners;
  /** Told about a message dropped because the backlog is full. */
  readonly #overflow: (err: Error) => void;
  /** Whether the client has closed for good: no new iterator waits, unread messages of a stopped loop are let go. */
  readonly #closed: () => boolean;
  /** What a dropped message is called in the overflow error ("message", or a publication on a topic). */
  readonly #what: string;
  readonly #iterators = new Set<MessageQueue>();
  /** Messages that arrived while nobody consumed them (bounded), handed to the next consumer. */
  #backlog: Message[] = [];

  /** `overflow` gets an error naming `what` (e.g. `"message"`) for each message the full backlog drops. */
  constructor(events: InboxListeners, closed: () => boolean, overflow: (err: Error) => void, what = "message") {
    this.#events = events;
    this.#closed = closed;
    this.#overflow = overflow;
    this.#what = what;
  }

  /** A message arrived: deliver it, or keep it until someone consumes. */
  deliver(msg: Message): void {
    const events = this.#events;
    if (events.count("message") === 0 && this.#iterators.size === 0) {
      // Nobody listens yet: keep it for the first consumer rather than lose it.
      if (this.#backlog.length < BACKLOG_LIMIT) this.#backlog.push(msg);
      else {
        this.#overflow(new Error(`${this.#what} dropped: more than ${BACKLOG_LIMIT} messages arrived before anything consumed them`));
      }
      return;
    }
    events.emit("message", msg);
    for (const queue of this.#iterators) queue.push(msg);
  }

  /** A `message` listener was added: it gets the backlog, in a microtask (after `on()` returned). */
  flushTo(listener: Listener<Message>): void {
    const backlog = this.#backlog;
    if (backlog.length === 0) return;
    this.#backlog = [];
    queueMicrotask(() => backlog.forEach((msg) => callListener(listener, msg)));
  }

  /** A new async iterator: it starts with the backlog and ends when the client has closed for good. */
  iterator(): AsyncIterator<Message> {
    const queue = new MessageQueue((leftover) => {
      this.#iterators.delete(queue);
      // A loop that stopped early leaves unread messages for the next consumer.
      if (leftover.length > 0 && !this.#closed()) this.#backlog = leftover.concat(this.#backlog);
    });
    for (const msg of this.#backlog) queue.push(msg);
    this.#backlog = [];
    if (this.#closed()) queue.end();
    else this.#iterators.add(queue);
    return queue;
  }

  /** The client closed for good: every loop ends once it has read what it holds. */
  end(): void {
    for (const queue of this.#iterators) queue.end();
    this.#iterators.clear();
  }
}

/** A pull queue behind one async iterator. */
class MessageQueue implements AsyncIterator<Message> {
  readonly #items: Message[] = [];
  #waiting: ((r: IteratorResult<Message>) => void) | undefined;
  #ended = false;
  readonly #onReturn: (leftover: Message[]) => void;
  constructor(onReturn: (leftover: Message[]) => void) {
    this.#onReturn = onReturn;
  }
  push(msg: Message): void {
    if (this.#waiting) {
      const resolve = this.#waiting;
      this.#waiting = undefined;
      resolve({ value: msg, done: false });
    } else this.#items.push(msg);
  }
  end(): void {
    this.#ended = true;
    if (this.#waiting) {
      const resolve = this.#waiting;
      this.#waiting = undefined;
      resolve({ value: undefined, done: true });
    }
  }
  next(): Promise<IteratorResult<Message>> {
    if (this.#items.length > 0) return Promise.resolve({ value: this.#items.shift()!, done: false });
    if (this.#ended) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => (this.#waiting = resolve));
  }
  return(): Promise<IteratorResult<Message>> {
    const leftover = this.#items.splice(0);
    this.end();
    this.#onReturn(leftover);
    return Promise.resolve({ value: undefined, done: true });
  }
}
