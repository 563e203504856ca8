/**
 * Event emitters of the client and of its channel subscriptions: one
 * listener set per event name, and calls that a throwing listener cannot
 * break (its error is rethrown in a microtask, where the runtime reports
 * it, and the other listeners still run). Internal.
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

/** Listeners by event, for the events of `E` (event name → what a listener gets). */
export class Emitter<E> {
  readonly #listeners = new Map<keyof E, Set<Listener<never>>>();
  readonly #owner: string;

  /** `events` are the only names `add` accepts; `owner` names the emitter in the error for others. */
  constructor(events: readonly (keyof E)[], owner: string) {
    for (const event of events) this.#listeners.set(event, new Set());
    this.#owner = owner;
  }

  /** Adds a listener; returns a function that removes it. A TypeError for an unknown event. */
  add<K extends keyof E>(event: K, listener: Listener<E[K]>): () => void {
    const set = this.#listeners.get(event) as Set<Listener<E[K]>> | undefined;
    if (set === undefined) throw new TypeError(`unknown ${this.#owner} event ${JSON.stringify(event)}`);
    set.add(listener);
    return () => set.delete(listener);
  }

  /** How many listeners `event` has. */
  count(event: keyof E): number {
    return this.#listeners.get(event)!.size;
  }

  /** Calls every listener of `event`, in the order they were added. */
  emit<K extends keyof E>(event: K, value: E[K]): void {
    for (const listener of this.#listeners.get(event) as Set<Listener<E[K]>>) callListener(listener, value);
  }
}

/** The listeners of one client, by event. */
export class ClientEmitter extends Emitter<ClientEvents> {
  constructor() {
    super(["message", "open", "reconnecting", "reconnected", "close", "error", "drop", "publication"], "client");
  }
}
