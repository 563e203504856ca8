/**
 * Topic fan-out engines: who is subscribed to what on THIS server, and
 * delivering one published payload to them. Bun's engine (uWS) does the
 * fan-out natively (adapters/bun_topics.ts); Deno has no pub/sub, so
 * {@link InProcessTopics} does it here. Internal.
 *
 * @module
 */

import type { Connection } from "./connection.ts";

/** What the topic hub needs from a fan-out engine. */
export interface TopicEngine<D> {
  /** Adds a connection to a topic's subscribers (already known not to be one). */
  subscribe(conn: Connection<D>, topic: string): void;
  /** Removes a connection from a topic's subscribers (already known to be one). */
  unsubscribe(conn: Connection<D>, topic: string): void;
  /**
   * Sends `data` to every local subscriber of `topic` except `except`.
   * Returns how many subscribers it was handed to.
   */
  publish(topic: string, data: string | Uint8Array, except: Connection<D> | undefined): number;
  /** Local subscribers of `topic`. */
  subscriberCount(topic: string): number;
}

/**
 * Fan-out in the library, for engines without pub/sub (Deno). The payload
 * is passed as is to every subscriber's send: one string or one Uint8Array,
 * never copied or re-encoded per subscriber. Sends never block (Deno
 * buffers), so a slow subscriber delays no one; a send the server's
 * backpressure rules drop is not counted.
 */
export class InProcessTopics<D> implements TopicEngine<D> {
  readonly #subscribers = new Map<string, Set<Connection<D>>>();

  subscribe(conn: Connection<D>, topic: string): void {
    let set = this.#subscribers.get(topic);
    if (set === undefined) this.#subscribers.set(topic, set = new Set());
    set.add(conn);
  }

  unsubscribe(conn: Connection<D>, topic: string): void {
    const set = this.#subscribers.get(topic);
    if (set === undefined) return;
    set.delete(conn);
    if (set.size === 0) this.#subscribers.delete(topic);
  }

  publish(topic: string, data: string | Uint8Array, except: Connection<D> | undefined): number {
    const set = this.#subscribers.get(topic);
    if (set === undefined) return 0;
    let delivered = 0;
    for (const conn of set) {
      if (conn !== except && conn.send(data) !== "dropped") delivered++;
    }
    return delivered;
  }

  subscriberCount(topic: string): number {
    return this.#subscribers.get(topic)?.size ?? 0;
  }
}
