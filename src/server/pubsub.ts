/**
 * The topic hub of one endpoint: it alone keeps which topics each
 * connection is subscribed to, fans out locally through the engine the
 * adapter gave (topics.ts), and talks to the optional broker that carries
 * messages to other servers. Internal.
 *
 * @module
 */

import type { Broker, BrokerListener, BrokerMessage } from "../broker/broker.ts";
import { binaryPublication, controlFrame } from "../shared/channel_wire.ts";
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
export class TopicHub<T> implements TopicMembership<T> {
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

  constructor(engine: TopicEngine<T>, broker: Broker | undefined, report: (err: unknown) => void, channels = false) {
    this.#engine = engine;
    this.#broker = broker;
    this.#report = report;
    this.#channels = channels;
    // Our own messages were delivered locally already: ignore the broker's copy.
    this.#listener = (message: BrokerMessage) => {
      if (message.origin !== this.id) this.#deliver(message.topic, message.data, undefined);
    };
  }

  /** Local fan-out: raw to plain subscribers, and (channels on) framed once to channels subscribers. */
  #deliver(topic: string, data: string | Uint8Array, except: TopicMember<T> | undefined): number {
    const engine = this.#engine;
    if (!this.#channels) return engine.publish(topic, data, except);
    const framed = channelEngineTopic(topic);
    const channelExcept = except?.channels === true ? except : undefined;
    let delivered = engine.publish(topic, data, channelExcept === undefined ? except : undefined);
    if (engine.subscriberCount(framed) > 0) delivered += engine.publish(framed, channelFrame(topic, data), channelExcept);
    return delivered;
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
      if (n === 0) this.#settle(broker.subscribe(topic, this.#listener));
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
