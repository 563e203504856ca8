/**
 * The topic hub of one endpoint: it alone keeps which topics each
 * connection is subscribed to, fans out locally through the engine the
 * adapter gave (topics.ts), and talks to the optional broker that carries
 * messages to other servers. Internal.
 *
 * @module
 */

import type { Broker, BrokerListener, BrokerMessage } from "../broker/broker.ts";
import { binaryPublication, controlFrame, positionedPublication } from "../shared/channel_wire.ts";
import type { StreamPosition } from "../shared/position.ts";
import { ReadyStates } from "../shared/types.ts";
import type { TopicEngine, TopicMember } from "./topics.ts";

/**
 * Options of `socket.publish` and `socket.publishJson`.
 *
 * @example A chat room where the sender sees its own message too
 * ```ts
 * import { serve } from "@fullduplex/fullduplex";
 * serve({
 *   port: 0,
 *   open: (socket) => socket.subscribe("room"),
 *   message: (socket, msg) => socket.publish("room", msg.text(), { includeSelf: true }),
 * });
 * ```
 */
export interface PublishOptions {
  /** Deliver to the publishing socket too, if it is subscribed. Default false. */
  includeSelf?: boolean;
}

const EMPTY: ReadonlySet<string> = new Set<string>();

/** Throws a TypeError a user can act on for a bad topic name. */
export function checkTopic(topic: unknown): string {
  if (typeof topic !== "string" || topic.length === 0) {
    throw new TypeError(`a topic must be a non-empty string, got ${typeof topic === "string" ? '""' : typeof topic}`);
  }
  // U+0000 is kept for the library's internal topics (channel fan-out, presence), so no user topic can collide with them.
  if (topic.includes("\u0000")) throw new TypeError("a topic must not contain U+0000 (reserved for internal topics)");
  return topic;
}

/**
 * The engine topic channels connections subscribe to instead of `topic`:
 * one publish sends the raw payload to `topic` and the `msg`/`p` frame to
 * this one, so each kind is framed once per publish (one native publish
 * each on Bun). Internal.
 */
export function channelEngineTopic(topic: string): string {
  return "\u0000fd.ch:" + topic;
}

/** A publication as channels connections receive it (docs/channels.md). */
function channelFrame(topic: string, data: string | Uint8Array): string | Uint8Array {
  return typeof data === "string" ? controlFrame({ t: "msg", topic, data }) : binaryPublication(topic, data);
}

/** A publication as channels connections receive it on a topic with history: with its position. */
function positionedFrame(topic: string, data: string | Uint8Array, position: StreamPosition): string | Uint8Array {
  return typeof data === "string"
    ? controlFrame({ t: "msg", topic, data, epoch: position.epoch, offset: position.offset })
    : positionedPublication(topic, position, data);
}

/**
 * Who handles the publications of topics that keep history (the channels
 * layer's history service): the hub hands it every publish and every
 * broker message of such a topic instead of delivering them itself. The
 * `except` token is the hub's own member, handed back to `deliverAt`.
 */
export interface HistoryRouter {
  /** Whether `topic` keeps history. */
  keeps(topic: string): boolean;
  /** A publish on this server (returns the local subscribers reached, 0 when delivery comes later). */
  publish(topic: string, data: string | Uint8Array, except: object | undefined): number;
  /** A publish whose caller waits for its position; rejects with a PublishError "unavailable" when the store failed. */
  publishAcked(topic: string, data: string | Uint8Array, except: object | undefined): Promise<StreamPosition | undefined>;
  /** A publication from another server (never this server's own). */
  received(message: BrokerMessage): void;
  /** The broker is back after losing its connection: what it lost meanwhile is to be read from the store. */
  reconnected(): void;
}

/** What the history service may ask of the hub (channel_port.ts hands it over). */
export interface HistoryHub {
  route(router: HistoryRouter): void;
  deliverAt(topic: string, data: string | Uint8Array, position: StreamPosition, except: object | undefined): number;
  /** Local fan-out without a position (a publication that has none). */
  deliverPlain(topic: string, data: string | Uint8Array, except: object | undefined): number;
  forward(topic: string, data: string | Uint8Array, position: StreamPosition | undefined): void;
  /** Resolves once this server's broker subscription of `topic` is in effect (at once when there is none in flight). */
  listening(topic: string): Promise<void>;
}

/** The subscription calls a connection makes (the part of the hub connection.ts sees). */
export interface TopicMembership<T> {
  /** Subscribes `member` (nothing happens unless it is open). */
  subscribe(member: TopicMember<T>, topic: string): void;
  /** Ends `member`'s subscription to `topic`, if any. */
  unsubscribe(member: TopicMember<T>, topic: string): void;
  /** The topics `member` is subscribed to (a live, read-only view). */
  topicsOf(member: TopicMember<T>): ReadonlySet<string>;
  /** Publishes to local subscribers but `from` (if given) and to the broker. */
  publish(topic: string, data: string | Uint8Array, from: TopicMember<T> | undefined): number;
  /** Ends every subscription of a closed member. */
  leaveAll(member: TopicMember<T>): void;
}

/** Subscriptions and publishing for one ServerCore. */
export class TopicHub<T> implements TopicMembership<T>, HistoryHub {
  /** This server's id: the `origin` of the messages it gives the broker. */
  readonly id: string = crypto.randomUUID();
  readonly #engine: TopicEngine<T>;
  readonly #broker: Broker | undefined;
  /** The topics of each member with at least one subscription (this hub is their only owner). */
  readonly #joined = new Map<TopicMember<T>, Set<string>>();
  /** Local subscribers per topic, kept only with a broker (to subscribe it on the first, unsubscribe on the last). */
  readonly #brokerTopics = new Map<string, number>();
  readonly #listener: BrokerListener;
  readonly #report: (err: unknown) => void;

  /** Channels are on: publications are also framed for channels subscribers. Off, publishing costs nothing more. */
  readonly #channels: boolean;
  /** The history service, when `channels.history` is set. */
  #router: HistoryRouter | undefined;
  /** Broker subscriptions in flight, by topic: what `listening()` waits for. */
  readonly #subscribing = new Map<string, Promise<void>>();
  /** Stops listening to the broker's reconnects. */
  #offReconnected: (() => void) | undefined;

  constructor(engine: TopicEngine<T>, broker: Broker | undefined, report: (err: unknown) => void, channels = false) {
    this.#engine = engine;
    this.#broker = broker;
    this.#report = report;
    this.#channels = channels;
    // Our own messages were delivered locally already: ignore the broker's copy.
    this.#listener = (message: BrokerMessage) => {
      if (message.origin === this.id) return;
      const router = this.#router;
      if (router !== undefined && router.keeps(message.topic)) router.received(message);
      else this.#deliver(message.topic, message.data, undefined);
    };
  }

  /** Local fan-out: raw to plain subscribers, and (channels on) framed once to channels subscribers. */
  #deliver(topic: string, data: string | Uint8Array, except: TopicMember<T> | undefined, position?: StreamPosition): number {
    const engine = this.#engine;
    if (!this.#channels) return engine.publish(topic, data, except);
    const framed = channelEngineTopic(topic);
    const channelExcept = except?.channels === true ? except : undefined;
    let delivered = engine.publish(topic, data, channelExcept === undefined ? except : undefined);
    if (engine.subscriberCount(framed) > 0) {
      const frame = position === undefined ? channelFrame(topic, data) : positionedFrame(topic, data, position);
      delivered += engine.publish(framed, frame, channelExcept);
    }
    return delivered;
  }

  /** The history service takes over the publications of topics that keep history (set once, by the channels layer). */
  route(router: HistoryRouter): void {
    this.#router = router;
    this.#offReconnected = this.#broker?.onReconnected?.(() => router.reconnected());
  }

  /** Local fan-out of a history topic's publication at its position (`except`: the token the router was given). */
  deliverAt(topic: string, data: string | Uint8Array, position: StreamPosition, except: object | undefined): number {
    const member = except as TopicMember<T> | undefined;
    // The sender may have closed or left since it published (a store append is async).
    const skip = member !== undefined && member.state === ReadyStates.OPEN && this.#joined.get(member)?.has(topic) === true
      ? member
      : undefined;
    return this.#deliver(topic, data, skip, position);
  }

  deliverPlain(topic: string, data: string | Uint8Array, except: object | undefined): number {
    const member = except as TopicMember<T> | undefined;
    const skip = member !== undefined && member.state === ReadyStates.OPEN && this.#joined.get(member)?.has(topic) === true
      ? member
      : undefined;
    return this.#deliver(topic, data, skip);
  }

  /**
   * `server.publishWithAck()`: resolves with the position once the store
   * kept it (a topic with history), or undefined after local delivery.
   */
  publishWithAck(topic: string, data: string | Uint8Array): Promise<StreamPosition | undefined> {
    checkTopic(topic);
    const router = this.#router;
    if (router !== undefined && router.keeps(topic)) return router.publishAcked(topic, data, undefined);
    this.publish(topic, data, undefined);
    return Promise.resolve(undefined);
  }

  #subscribeBroker(broker: Broker, topic: string): void {
    const result = broker.subscribe(topic, this.#listener);
    if (result === undefined) return;
    const done = result.then(undefined, this.#report).finally(() => {
      if (this.#subscribing.get(topic) === done) this.#subscribing.delete(topic);
    });
    this.#subscribing.set(topic, done);
  }

  listening(topic: string): Promise<void> {
    return this.#subscribing.get(topic) ?? Promise.resolve();
  }

  /** Hands a publication to the broker for the other servers (nothing without a broker). */
  forward(topic: string, data: string | Uint8Array, position: StreamPosition | undefined): void {
    const broker = this.#broker;
    if (broker === undefined) return;
    this.#settle(broker.publish(position === undefined ? { topic, data, origin: this.id } : { topic, data, origin: this.id, position }));
  }

  /** The engine topic `member` is subscribed to for `topic`. */
  #engineTopic(member: TopicMember<T>, topic: string): string {
    return member.channels === true ? channelEngineTopic(topic) : topic;
  }

  topicsOf(member: TopicMember<T>): ReadonlySet<string> {
    return this.#joined.get(member) ?? EMPTY;
  }

  subscribe(member: TopicMember<T>, topic: string): void {
    checkTopic(topic);
    if (member.state !== ReadyStates.OPEN) return; // a closing or closed socket would never be cleaned up
    let topics = this.#joined.get(member);
    if (topics === undefined) this.#joined.set(member, topics = new Set());
    if (topics.has(topic)) return;
    topics.add(topic);
    this.#engine.subscribe(member, this.#engineTopic(member, topic));
    const broker = this.#broker;
    if (broker !== undefined) {
      const n = this.#brokerTopics.get(topic) ?? 0;
      this.#brokerTopics.set(topic, n + 1);
      if (n === 0) this.#subscribeBroker(broker, topic);
    }
  }

  unsubscribe(member: TopicMember<T>, topic: string): void {
    checkTopic(topic);
    if (this.#joined.get(member)?.delete(topic) !== true) return;
    this.#left(member, topic);
  }

  leaveAll(member: TopicMember<T>): void {
    const topics = this.#joined.get(member);
    if (topics === undefined) return;
    this.#joined.delete(member);
    for (const topic of topics) this.#left(member, topic);
    topics.clear(); // a view the application kept (socket.topics) now reads empty
  }

  #left(member: TopicMember<T>, topic: string): void {
    this.#engine.unsubscribe(member, this.#engineTopic(member, topic));
    const broker = this.#broker;
    if (broker === undefined) return;
    const n = (this.#brokerTopics.get(topic) ?? 1) - 1;
    if (n > 0) {
      this.#brokerTopics.set(topic, n);
      return;
    }
    this.#brokerTopics.delete(topic);
    this.#settle(broker.unsubscribe(topic, this.#listener));
  }

  /**
   * Delivers to local subscribers (but `from`) and hands the message to
   * the broker for the other servers. Returns the local subscribers reached.
   */
  publish(topic: string, data: string | Uint8Array, from: TopicMember<T> | undefined): number {
    checkTopic(topic);
    // The engine leaves out `from` only if it is an open subscriber (Bun's ws.publish skips the sender natively).
    const except = from !== undefined && from.state === ReadyStates.OPEN && this.#joined.get(from)?.has(topic) === true ? from : undefined;
    const router = this.#router;
    if (router !== undefined && router.keeps(topic)) return router.publish(topic, data, except);
    const delivered = this.#deliver(topic, data, except);
    if (this.#broker !== undefined) this.#settle(this.#broker.publish({ topic, data, origin: this.id }));
    return delivered;
  }

  subscriberCount(topic: string): number {
    const engine = this.#engine;
    const plain = engine.subscriberCount(checkTopic(topic));
    return this.#channels ? plain + engine.subscriberCount(channelEngineTopic(topic)) : plain;
  }

  /**
   * Local subscribers of every topic that has any, counted from the hub's
   * own records (the same on both runtimes): one pass over all
   * subscriptions, for `metrics()` only, so subscribing stays a Set add.
   */
  subscribersPerTopic(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const topics of this.#joined.values()) {
      for (const topic of topics) counts.set(topic, (counts.get(topic) ?? 0) + 1);
    }
    return counts;
  }

  /** Stops listening to the broker (the broker itself stays open: it may be shared). */
  async close(): Promise<void> {
    this.#offReconnected?.();
    this.#offReconnected = undefined;
    const broker = this.#broker;
    if (broker === undefined) return;
    const topics = [...this.#brokerTopics.keys()];
    this.#brokerTopics.clear();
    await Promise.all(topics.map(async (topic) => {
      try {
        await broker.unsubscribe(topic, this.#listener);
      } catch (err) {
        this.#report(err);
      }
    }));
  }

  #settle(result: void | Promise<void>): void {
    if (result !== undefined) result.then(undefined, this.#report);
  }
}
