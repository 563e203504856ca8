/**
 * The topic hub of one endpoint: per-connection subscriptions, local
 * fan-out through the runtime's engine, and the optional broker that
 * carries messages to other servers. Internal.
 *
 * @module
 */

import type { Broker, BrokerListener, BrokerMessage } from "../broker/broker.ts";
import { BunNativeTopics } from "../adapters/bun_topics.ts";
import type { Connection } from "./connection.ts";
import { InProcessTopics } from "./topics.ts";
import type { TopicEngine } from "./topics.ts";

/**
 * The topic option of `serve()` and `createHandler()`.
 *
 * @example Servers sharing one broker share their topics
 * ```ts
 * import { MemoryBroker, serve } from "@fullduplex/fullduplex";
 * import type { TopicOptions } from "@fullduplex/fullduplex";
 * const topics: TopicOptions = { broker: new MemoryBroker() };
 * const server = serve({ port: 0, ...topics, open: (socket) => socket.subscribe("news") });
 * ```
 */
export interface TopicOptions {
  /**
   * Carries `publish` to the subscribers of every server sharing it (Redis,
   * {@link MemoryBroker}, your own). Default: none, topics stay in this server.
   */
  broker?: Broker;
}

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
  return topic;
}

/** Subscriptions and publishing for one ServerCore. */
export class TopicHub<D> {
  /** This server's id: the `origin` of the messages it gives the broker. */
  readonly id: string = crypto.randomUUID();
  readonly engine: TopicEngine<D>;
  readonly broker: Broker | undefined;
  /** Local subscribers per topic, kept only with a broker (to subscribe it on the first, unsubscribe on the last). */
  readonly #brokerTopics = new Map<string, number>();
  readonly #listener: BrokerListener;
  readonly #report: (err: unknown) => void;

  constructor(runtime: "deno" | "bun", broker: Broker | undefined, report: (err: unknown) => void) {
    this.engine = runtime === "bun" ? new BunNativeTopics<D>() : new InProcessTopics<D>();
    this.broker = broker;
    this.#report = report;
    // Our own messages were delivered locally already: ignore the broker's copy.
    this.#listener = (message: BrokerMessage) => {
      if (message.origin !== this.id) this.engine.publish(message.topic, message.data, undefined);
    };
  }

  /** Topics a connection is subscribed to. */
  topicsOf(conn: Connection<D>): ReadonlySet<string> {
    return conn.topics ?? EMPTY;
  }

  subscribe(conn: Connection<D>, topic: string): void {
    checkTopic(topic);
    if (conn.state !== 1) return; // a closing or closed socket would never be cleaned up
    const topics = conn.topics ??= new Set();
    if (topics.has(topic)) return;
    topics.add(topic);
    this.engine.subscribe(conn, topic);
    if (this.broker !== undefined) {
      const n = this.#brokerTopics.get(topic) ?? 0;
      this.#brokerTopics.set(topic, n + 1);
      if (n === 0) this.#settle(this.broker.subscribe(topic, this.#listener));
    }
  }

  unsubscribe(conn: Connection<D>, topic: string): void {
    checkTopic(topic);
    if (conn.topics?.delete(topic) !== true) return;
    this.#left(conn, topic);
  }

  /** Ends every subscription of a closed connection. */
  leaveAll(conn: Connection<D>): void {
    const topics = conn.topics;
    if (topics === undefined) return;
    conn.topics = undefined;
    for (const topic of topics) this.#left(conn, topic);
  }

  #left(conn: Connection<D>, topic: string): void {
    this.engine.unsubscribe(conn, topic);
    if (this.broker === undefined) return;
    const n = (this.#brokerTopics.get(topic) ?? 1) - 1;
    if (n > 0) {
      this.#brokerTopics.set(topic, n);
      return;
    }
    this.#brokerTopics.delete(topic);
    this.#settle(this.broker.unsubscribe(topic, this.#listener));
  }

  /**
   * Delivers to local subscribers (but `except`) and hands the message to
   * the broker for the other servers. Returns the local subscribers reached.
   */
  publish(topic: string, data: string | Uint8Array, except: Connection<D> | undefined): number {
    checkTopic(topic);
    const delivered = this.engine.publish(topic, data, except);
    if (this.broker !== undefined) this.#settle(this.broker.publish({ topic, data, origin: this.id }));
    return delivered;
  }

  subscriberCount(topic: string): number {
    return this.engine.subscriberCount(checkTopic(topic));
  }

  /** Stops listening to the broker (the broker itself stays open: it may be shared). */
  async close(): Promise<void> {
    const broker = this.broker;
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
