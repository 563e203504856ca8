/**
 * The `Broker` contract: what a server needs from a message bus to reach
 * subscribers on other server processes (Redis pub/sub, NATS, an in-process
 * bus for tests). Small on purpose: publish, subscribe, unsubscribe, close.
 *
 * @module
 */

import type { StreamPosition } from "../shared/position.ts";

/**
 * One published message as it travels between servers.
 *
 * @example
 * ```ts
 * import type { BrokerMessage } from "@fullduplex/fullduplex";
 * const message: BrokerMessage = { topic: "news", data: "hello", origin: "server-1" };
 * ```
 */
export interface BrokerMessage {
  /** The topic it was published to. */
  topic: string;
  /** The payload: a string travels as a text frame, bytes as a binary frame. */
  data: string | Uint8Array;
  /**
   * Id of the server that published it. A server delivers its own messages
   * to its local subscribers directly and ignores the broker's copy, so no
   * subscriber gets a message twice.
   */
  origin: string;
  /**
   * Its position in the topic's history, when the topic keeps one in a
   * shared store (`channels.history` with `createRedisHistory()`): the
   * other servers deliver it at that position. A broker must carry it
   * through unchanged.
   */
  position?: StreamPosition;
}

/** A broker's listener of one topic (internal alias: the public `Broker` signatures spell it out). */
export type BrokerListener = (message: BrokerMessage) => void;

/**
 * A message bus shared by several servers. A server subscribes a topic when
 * its first local socket subscribes and unsubscribes when the last one
 * leaves; it publishes every `server.publish` / `socket.publish`. The server
 * never closes the broker (several servers may share one): call `close()`
 * yourself after shutting the servers down.
 *
 * Implementations must keep the order of messages from one publisher and
 * must deliver a message to every listener of its topic, including the
 * publisher's own (the server filters by `origin`).
 *
 * @example An in-process broker shared by two servers
 * ```ts
 * import { MemoryBroker, serve } from "@fullduplex/fullduplex";
 * const broker = new MemoryBroker();
 * const a = serve({ port: 0, broker, open: (s) => s.subscribe("news") });
 * const b = serve({ port: 0, broker, open: (s) => s.subscribe("news") });
 * a.publish("news", "reaches the subscribers of a and b");
 * await a.shutdown();
 * await b.shutdown();
 * await broker.close();
 * ```
 */
export interface Broker {
  /** Sends a message to every listener of its topic on every server. Errors are the broker's to report. */
  publish(message: BrokerMessage): void | Promise<void>;
  /** Starts delivering `topic`'s messages to `listener`. */
  subscribe(topic: string, listener: (message: BrokerMessage) => void): void | Promise<void>;
  /** Stops delivering `topic`'s messages to `listener`. */
  unsubscribe(topic: string, listener: (message: BrokerMessage) => void): void | Promise<void>;
  /** Releases the broker's connections. */
  close(): Promise<void>;
  /**
   * Optional: calls `listener` each time the broker is back after losing
   * its connection (messages published meanwhile may have been lost);
   * returns a function that stops it. Servers use it to read what topics
   * with history missed from their store at once, instead of when the next
   * publication shows the hole.
   */
  onReconnected?(listener: () => void): () => void;
}
