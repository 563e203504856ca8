/**
 * The client's event emitter: one listener set per event of
 * {@link ClientEvents}, and calls that a throwing listener cannot break
 * (its error is rethrown in a microtask, where the runtime reports it,
 * and the other listeners still run). Internal.
 *
 * @module
 */

import type { ClientEvents, Listener } from "./types.ts";

/**
 * Calls a listener; a throw must not stop delivery to the others or kill
 * the process, so it is rethrown on its own in a microtask.
 */
export function callListener<T>(listener: Listener<T>, value: T): void {
  try {
    listener(value);
  } catch (err) {
    queueMicrotask(() => {
      throw err;
    });
  }
}

/** The listeners of one client, by event. */
export class ClientEmitter {
  readonly #listeners: { [K in keyof ClientEvents]: Set<Listener<ClientEvents[K]>> } = {
    message: new Set(),
    open: new Set(),
    reconnecting: new Set(),
    reconnected: new Set(),
    close: new Set(),
    error: new Set(),
    drop: new Set(),
  };

  /** Adds a listener; returns a function that removes it. A TypeError for an unknown event. */
  add<K extends keyof ClientEvents>(event: K, listener: Listener<ClientEvents[K]>): () => void {
    // hasOwn: "constructor" or "toString" are not events either.
    const set = Object.hasOwn(this.#listeners, event) ? this.#listeners[event] as Set<Listener<ClientEvents[K]>> : undefined;
    if (set === undefined) throw new TypeError(`unknown client event ${JSON.stringify(event)}`);
    set.add(listener);
    return () => set.delete(listener);
  }

  /** How many listeners `event` has. */
  count(event: keyof ClientEvents): number {
    return this.#listeners[event].size;
  }

  /** Calls every listener of `event`, in the order they were added. */
  emit<K extends keyof ClientEvents>(event: K, value: ClientEvents[K]): void {
    for (const listener of this.#listeners[event]) callListener(listener as Listener<ClientEvents[K]>, value);
  }
}
