/**
 * `MemoryBroker`: a {@link Broker} inside one process, for several servers
 * in the same process and for tests. Delivery is synchronous and in order.
 *
 * @module
 */

import type { Broker, BrokerListener, BrokerMessage } from "./broker.ts";

/**
 * A broker that lives in this process only: every server given the same
 * instance shares its topics.
 *
 * @example
 * ```ts
 * import { MemoryBroker, serve } from "@fullduplex/fullduplex";
 * const broker = new MemoryBroker();
 * const servers = [serve({ port: 0, broker }), serve({ port: 0, broker })];
 * servers[0].publish("ticker", JSON.stringify({ price: 42 })); // subscribers of both get it
 * ```
 */
export class MemoryBroker implements Broker {
  readonly #listeners = new Map<string, Set<BrokerListener>>();
  #closed = false;

  /** Delivers the message to every listener of its topic (the publisher's own included). */
  publish(message: BrokerMessage): void {
    const listeners = this.#listeners.get(message.topic);
    if (listeners === undefined) return;
    for (const listener of listeners) listener(message);
  }

  /** Adds a listener for `topic`. */
  subscribe(topic: string, listener: (message: BrokerMessage) => void): void {
    if (this.#closed) return;
    let listeners = this.#listeners.get(topic);
    if (listeners === undefined) this.#listeners.set(topic, listeners = new Set());
    listeners.add(listener);
  }

  /** Removes a listener of `topic`. */
  unsubscribe(topic: string, listener: (message: BrokerMessage) => void): void {
    const listeners = this.#listeners.get(topic);
    if (listeners === undefined) return;
    listeners.delete(listener);
    if (listeners.size === 0) this.#listeners.delete(topic);
  }

  /** Forgets every listener; later subscriptions are ignored. */
  close(): Promise<void> {
    this.#closed = true;
    this.#listeners.clear();
    return Promise.resolve();
  }
}
