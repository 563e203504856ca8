/**
 * Topic fan-out engines: who is subscribed to what on THIS server, and
 * delivering one published payload to them. Bun's engine (uWS) does the
 * fan-out natively (adapters/bun_topics.ts); Deno has no pub/sub, so
 * {@link InProcessTopics} does it here. The adapter picks one and hands it
 * to the core (transport.ts). Internal.
 *
 * @module
 */

import type { ReadyState, SendResult } from "../shared/types.ts";

/**
 * A connection as a topic engine sees it. `T` is the adapter's own
 * transport, so an engine that works on native sockets needs no cast.
 */
export interface TopicMember<T> {
  /** The adapter's socket handle. */
  readonly transport: T;
  /** The connection's ready state. */
  readonly state: ReadyState;
  /** A channels connection: it gets publications framed as `msg`/`p` (docs/channels.md). Default false. */
  readonly channels?: boolean;
  /** Sends under the connection's rules (backpressure; `"dropped"` once not open). */
  send(data: string | Uint8Array): SendResult;
}

/** What the topic hub (pubsub.ts) needs from a fan-out engine. */
export interface TopicEngine<T> {
  /** Adds a member to a topic's subscribers (the hub knows it is not one yet). */
  subscribe(member: TopicMember<T>, topic: string): void;
  /** Removes a member from a topic's subscribers (the hub knows it is one). */
  unsubscribe(member: TopicMember<T>, topic: string): void;
  /**
   * Sends `data` to every local subscriber of `topic` except `except`, which
   * the hub passes only when it is an open subscriber of that topic.
   * Returns how many subscribers it was handed to.
   */
  publish(topic: string, data: string | Uint8Array, except: TopicMember<T> | undefined): number;
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
export class InProcessTopics<T> implements TopicEngine<T> {
  readonly #subscribers = new Map<string, Set<TopicMember<T>>>();

  subscribe(member: TopicMember<T>, topic: string): void {
    let set = this.#subscribers.get(topic);
    if (set === undefined) this.#subscribers.set(topic, set = new Set());
    set.add(member);
  }

  unsubscribe(member: TopicMember<T>, topic: string): void {
    const set = this.#subscribers.get(topic);
    if (set === undefined) return;
    set.delete(member);
    if (set.size === 0) this.#subscribers.delete(topic);
  }

  publish(topic: string, data: string | Uint8Array, except: TopicMember<T> | undefined): number {
    const set = this.#subscribers.get(topic);
    if (set === undefined) return 0;
    let delivered = 0;
    for (const member of set) {
      if (member !== except && member.send(data) !== "dropped") delivered++;
    }
    return delivered;
  }

  subscriberCount(topic: string): number {
    return this.#subscribers.get(topic)?.size ?? 0;
  }
}
