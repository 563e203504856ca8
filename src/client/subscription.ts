/**
 * `Subscription`: what `await client.subscribe(topic)` gives once the
 * server confirmed it. Publications on the topic arrive as its `message`
 * events and through async iteration; it publishes, reports presence, and
 * follows the client through reconnects (resubscribed each time). The
 * channel layer (channels.ts) does the work; this is the public face.
 *
 * @module
 */

import type { PresenceMember } from "../shared/channel_wire.ts";
import type { StreamPosition } from "../shared/position.ts";
import type { Message, SendData } from "../shared/message.ts";
import { framePayload, jsonPayload } from "../shared/payload.ts";
import type { RecoveryEvent, SubscriptionEvents } from "./channel_types.ts";
import type { SubscriptionState } from "./subscription_state.ts";
import type { Listener } from "./types.ts";

/**
 * A channel subscription: the client's socket is subscribed to `topic` on
 * the server, under the server's authorization. Iterate it (or listen to
 * `message`) to read publications: text stays text, binary stays binary,
 * in each publisher's order; publications that arrive before anything
 * consumes them are kept (at most 10000). The loop ends when the
 * subscription ends: `unsubscribe()`, the client closing for good, or an
 * `error` event (a resubscribe after a reconnect was denied, or the server
 * ended it). After a reconnect the client subscribes again before it sends
 * its offline queue, and `resubscribed` fires.
 *
 * @example
 * ```ts
 * import { connect } from "@fullduplex/fullduplex";
 * const ws = await connect("ws://localhost:8080", { channels: true, reconnect: true });
 * const room = await ws.subscribe("room:42", { presence: true });
 * room.on("join", (member) => console.log("joined:", member.id));
 * await room.publish("hello, room");
 * for await (const msg of room) {
 *   console.log(msg.text());
 *   break;
 * }
 * await room.unsubscribe();
 * ```
 */
export class Subscription implements AsyncIterable<Message> {
  /** The topic. */
  readonly topic: string;
  readonly #state: SubscriptionState;

  /** @internal Use `client.subscribe()`. */
  constructor(state: SubscriptionState) {
    this.topic = state.topic;
    this.#state = state;
  }

  /** True until the subscription ends (unsubscribed, refused on a resubscribe, ended by the server, or the client closed). */
  get active(): boolean {
    return this.#state.phase === "active";
  }

  /**
   * With `recover: true`: the position of the last publication received
   * (during a `message` listener, that publication's), else the server's
   * position from its answer; undefined before the first answer, without
   * `recover`, or on a topic without history. Keep it to resume later with
   * `subscribe(topic, { recover: true, since })`.
   *
   * @example Resuming across a page reload
   * ```ts
   * import { connect } from "@fullduplex/fullduplex";
   * const ws = await connect("ws://localhost:8080", { channels: true, reconnect: true });
   * const saved = localStorage.getItem("ticker");
   * const ticker = await ws.subscribe("ticker:EUR", { recover: true, since: saved === null ? undefined : JSON.parse(saved) });
   * ticker.on("message", () => localStorage.setItem("ticker", JSON.stringify(ticker.position)));
   * ```
   */
  get position(): StreamPosition | undefined {
    const position = this.#state.position;
    return position === undefined ? undefined : { ...position };
  }

  /**
   * With `recover: true`: the outcome of the last recovery (the first
   * subscribe with `since` or `last`, each resubscribe, or a loss seen
   * since), undefined while none was asked. `recovered: false` means
   * publications were missed (`reason` says why).
   */
  get recovery(): RecoveryEvent | undefined {
    const state = this.#state;
    if (state.recovered === undefined) return undefined;
    return state.recovered ? { topic: this.topic, recovered: true } : { topic: this.topic, recovered: false, reason: state.recoveryReason };
  }

  /**
   * With `presence: true`, the members subscribed to the topic as this
   * client knows them (this client included): the server's list, kept up
   * to date by `join` and `leave` events, and refreshed on each
   * resubscribe. Empty without presence; `presence()` asks the server.
   */
  get members(): PresenceMember[] {
    return [...this.#state.members.values()];
  }

  /**
   * Publishes text or bytes to the topic (every subscriber gets it, this
   * client too if subscribed, as the server decides). Resolves once the
   * server accepted it, with its position on a topic with history (once the
   * store kept it; `"unavailable"` when it could not); rejects with a {@link PublishError}: `"denied"`
   * with the server's reason, `"dropped"` (never sent), `"closed"` (sent,
   * no answer before the connection closed), `"timeout"`. While the client
   * is reconnecting it waits in the offline queue, in order with `send()`,
   * and goes out after the resubscribes. Rejects with InvalidStateError
   * once the subscription ended, or when it cannot be sent nor queued.
   *
   * @example
   * ```ts
   * import { connect } from "@fullduplex/fullduplex";
   * const ws = await connect("ws://localhost:8080", { channels: true });
   * const room = await ws.subscribe("room:42");
   * await room.publish("hi");
   * await room.publish(new Uint8Array([1, 2, 3]));
   * ```
   */
  publish(data: SendData): Promise<StreamPosition | undefined> {
    let payload: string | Uint8Array;
    try {
      payload = framePayload(data, "publish");
    } catch (err) {
      return Promise.reject(err);
    }
    return this.#state.owner.publish(this.#state, payload);
  }

  /** Publishes `JSON.stringify(value)` as text; see {@link Subscription.publish}. */
  publishJson(value: unknown): Promise<StreamPosition | undefined> {
    let payload: string;
    try {
      payload = jsonPayload(value, "publish");
    } catch (err) {
      return Promise.reject(err);
    }
    return this.#state.owner.publish(this.#state, payload);
  }

  /**
   * Ends the subscription: no more publications or events, the loop ends,
   * and the client stops resubscribing it. Resolves once the server
   * confirmed (at once while offline: the next connection simply does not
   * subscribe again); calling it again does nothing.
   *
   * @example
   * ```ts
   * import { connect } from "@fullduplex/fullduplex";
   * const ws = await connect("ws://localhost:8080", { channels: true });
   * const room = await ws.subscribe("room:42");
   * await room.unsubscribe();
   * console.log(room.active); // false
   * ```
   */
  unsubscribe(): Promise<void> {
    return this.#state.owner.unsubscribe(this.#state);
  }

  /**
   * Asks the server who is subscribed to the topic now (this client
   * included). Rejects with a {@link SubscribeError} when the server
   * refuses (`"denied"`) or does not answer in time (`"timeout"`); while
   * reconnecting, it is asked again on the next connection.
   *
   * @example
   * ```ts
   * import { connect } from "@fullduplex/fullduplex";
   * const ws = await connect("ws://localhost:8080", { channels: true });
   * const room = await ws.subscribe("room:42");
   * for (const member of await room.presence()) console.log(member.id, member.info);
   * ```
   */
  presence(): Promise<PresenceMember[]> {
    return this.#state.owner.presence(this.#state);
  }

  /**
   * Adds a listener; returns a function that removes it. `join` and
   * `leave` need `presence: true` (a TypeError otherwise). A `message`
   * listener first gets the publications that arrived before anything
   * consumed them.
   *
   * @example
   * ```ts
   * import { connect } from "@fullduplex/fullduplex";
   * const ws = await connect("ws://localhost:8080", { channels: true, reconnect: true });
   * const room = await ws.subscribe("room:42");
   * const off = room.on("message", (msg) => console.log(msg.text()));
   * room.on("error", (err) => console.log(`left ${err.topic}: ${err.reason}`));
   * off();
   * ```
   */
  on<K extends keyof SubscriptionEvents>(event: K, listener: (value: SubscriptionEvents[K]) => void): () => void {
    const state = this.#state;
    if ((event === "join" || event === "leave") && !state.presence) {
      throw new TypeError(
        `"${event}" events need a subscription with presence: subscribe(${JSON.stringify(this.topic)}, { presence: true })`,
      );
    }
    const off = state.events.add(event, listener);
    if (event === "message") state.inbox.flushTo(listener as Listener<Message>);
    return off;
  }

  /** Iterates publications until the subscription ends. */
  [Symbol.asyncIterator](): AsyncIterator<Message> {
    return this.#state.inbox.iterator();
  }
}
