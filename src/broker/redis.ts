/**
 * A {@link Broker} over Redis pub/sub, so `publish` reaches the subscribers
 * of every fullduplex server (Deno or Bun, any machine) that uses the same
 * Redis. Import it from its own entry point so the core stays free of
 * dependencies:
 *
 * ```ts
 * import { createRedisBroker } from "@fullduplex/fullduplex/redis"; // npm: "fullduplex/redis"
 * ```
 *
 * On Bun it uses Bun's built-in Redis client; on Deno the npm package
 * `redis` (node-redis v6), loaded only here.
 *
 * Guarantees are Redis pub/sub's: **at most once**. A message published
 * while a server's connection to Redis is down never reaches that server's
 * subscribers (the broker reconnects, subscribes again and reports
 * `disconnected` / `reconnected`). The order of one publisher's messages is
 * kept.
 *
 * The same entry point has {@link createRedisHistory}: topic history in
 * Redis Streams ({@link RedisHistory}), shared by every server on the
 * Redis, so a client that comes back recovers what it missed from any of
 * them (`channels.history`).
 *
 * @example Two servers (any runtime, any machine) sharing a topic
 * ```ts
 * import { serve } from "@fullduplex/fullduplex";
 * import { createRedisBroker } from "@fullduplex/fullduplex/redis";
 *
 * const broker = await createRedisBroker({ url: "redis://localhost:6379" });
 * const server = serve({ port: 8080, broker, open: (socket) => socket.subscribe("chat") });
 * server.publishJson("chat", { from: "server", text: "hello everyone" });
 * ```
 *
 * @module
 */

import type { Broker, BrokerListener, BrokerMessage } from "./broker.ts";
import type { RedisBrokerEvent, RedisCallbacks, RedisPubSub } from "./redis_connection.ts";
import { withoutPassword } from "./redis_connection.ts";
import { decodeRedisMessage, encodeRedisMessage } from "./redis_wire.ts";
import { openBunRedis } from "./redis_bun.ts";
import { openDenoRedis } from "./redis_deno.ts";
import { detectRuntime } from "../shared/runtime.ts";
import { ConnectError, FullDuplexError, UnsupportedRuntimeError } from "../shared/errors.ts";

export type { RedisBrokerEvent };
export { createRedisHistory, RedisHistory } from "./history_redis.ts";
export type { RedisHistoryEvent, RedisHistoryOptions } from "./history_redis.ts";

/**
 * Options of {@link createRedisBroker}.
 *
 * @example
 * ```ts
 * import { createRedisBroker } from "@fullduplex/fullduplex/redis";
 * import type { RedisBrokerOptions } from "@fullduplex/fullduplex/redis";
 * const options: RedisBrokerOptions = { url: "redis://localhost:6379/0", prefix: "myapp:" };
 * const broker = await createRedisBroker(options);
 * ```
 */
export interface RedisBrokerOptions {
  /** Redis URL (`redis://user:pass@host:6379/0`, `rediss://` for TLS). Default `"redis://localhost:6379"`. */
  url?: string;
  /**
   * Prefix of the Redis channel names (a topic `chat` travels on
   * `fullduplex:chat`). Servers meant to share topics need the same prefix.
   * Default `"fullduplex:"`.
   */
  prefix?: string;
  /**
   * Called when the connection to Redis is lost (`disconnected`: messages
   * published meanwhile are lost for this server), when it is back and
   * every topic is subscribed again (`reconnected`), or on a message that
   * cannot be read (`error`). Default: logs with `console.warn`.
   */
  onEvent?(event: RedisBrokerEvent): void;
}

/**
 * Redis pub/sub as a {@link Broker}. Create it with {@link createRedisBroker}.
 *
 * @example
 * ```ts
 * import { serve } from "@fullduplex/fullduplex";
 * import { createRedisBroker } from "@fullduplex/fullduplex/redis";
 *
 * const broker = await createRedisBroker({ url: "redis://localhost:6379" });
 * const server = serve({ port: 8080, broker, open: (socket) => socket.subscribe("lobby") });
 * server.publish("lobby", "every lobby socket on every server gets this");
 * // on exit:
 * await server.shutdown();
 * await broker.close();
 * ```
 */
export class RedisBroker implements Broker {
  readonly #prefix: string;
  readonly #listeners = new Map<string, Set<BrokerListener>>();
  #redis: RedisPubSub | undefined;
  readonly #onEvent: (event: RedisBrokerEvent) => void;
  readonly #reconnected = new Set<() => void>();

  /** @internal Use {@link createRedisBroker}. */
  constructor(prefix: string, onEvent: (event: RedisBrokerEvent) => void) {
    this.#prefix = prefix;
    this.#onEvent = onEvent;
  }

  /** @internal */
  async open(url: string): Promise<void> {
    const callbacks: RedisCallbacks = {
      message: (channel, raw) => this.#received(channel, raw),
      event: (event) => this.#event(event),
    };
    const runtime = detectRuntime();
    if (runtime === "bun") this.#redis = await openBunRedis(url, callbacks);
    else if (runtime === "deno") this.#redis = await openDenoRedis(url, callbacks);
    else throw new UnsupportedRuntimeError(`the Redis broker runs on Deno and Bun, not ${runtime}`);
  }

  #event(event: RedisBrokerEvent): void {
    if (event.type === "reconnected") {
      for (const listener of this.#reconnected) {
        try {
          listener();
        } catch (err) {
          console.error("fullduplex: a Redis broker reconnect listener threw:", err);
        }
      }
    }
    try {
      this.#onEvent(event);
    } catch (err) {
      console.error("fullduplex: the Redis broker's onEvent threw:", err);
    }
  }

  #received(channel: string, raw: string): void {
    if (!channel.startsWith(this.#prefix)) return;
    const topic = channel.slice(this.#prefix.length);
    const listeners = this.#listeners.get(topic);
    if (listeners === undefined) return;
    const message = decodeRedisMessage(topic, raw);
    if (message === undefined) {
      this.#event({ type: "error", error: new Error(`ignored a message on Redis channel ${channel} that fullduplex did not write`) });
      return;
    }
    for (const listener of listeners) listener(message);
  }

  #connection(): RedisPubSub {
    if (this.#redis === undefined) throw new Error("this Redis broker is closed");
    return this.#redis;
  }

  /** Publishes to the topic's Redis channel. Rejects if Redis refuses it. */
  async publish(message: BrokerMessage): Promise<void> {
    await this.#connection().publish(this.#prefix + message.topic, encodeRedisMessage(message));
  }

  /** Subscribes the topic's channel (once, however many listeners). */
  async subscribe(topic: string, listener: (message: BrokerMessage) => void): Promise<void> {
    let listeners = this.#listeners.get(topic);
    if (listeners === undefined) this.#listeners.set(topic, listeners = new Set());
    listeners.add(listener);
    if (listeners.size === 1) await this.#connection().subscribe(this.#prefix + topic);
  }

  /** Removes a listener; unsubscribes the channel after the last one. */
  async unsubscribe(topic: string, listener: (message: BrokerMessage) => void): Promise<void> {
    const listeners = this.#listeners.get(topic);
    if (listeners === undefined || !listeners.delete(listener) || listeners.size > 0) return;
    this.#listeners.delete(topic);
    await this.#connection().unsubscribe(this.#prefix + topic);
  }

  /** Calls `listener` each time the subscriber connection is back (every topic subscribed again). */
  onReconnected(listener: () => void): () => void {
    this.#reconnected.add(listener);
    return () => void this.#reconnected.delete(listener);
  }

  /** Closes both Redis connections. Call it after the servers using it have shut down. */
  async close(): Promise<void> {
    const redis = this.#redis;
    this.#redis = undefined;
    this.#listeners.clear();
    await redis?.close();
  }
}

/**
 * Connects to Redis and returns a broker to pass to `serve({ broker })` or
 * `createHandler({ broker })`. Rejects with a `ConnectError` if Redis cannot
 * be reached (its `url` never shows a password).
 *
 * @example
 * ```ts
 * import { createRedisBroker } from "@fullduplex/fullduplex/redis";
 * const broker = await createRedisBroker({
 *   url: Deno.env.get("REDIS_URL") ?? "redis://localhost:6379",
 *   onEvent: (event) => console.log("redis:", event.type),
 * });
 * ```
 */
export async function createRedisBroker(options: RedisBrokerOptions = {}): Promise<RedisBroker> {
  const url = options.url ?? "redis://localhost:6379";
  const onEvent = options.onEvent ??
    ((event: RedisBrokerEvent) => console.warn(`fullduplex: Redis broker ${event.type}`, "error" in event ? event.error : ""));
  const broker = new RedisBroker(options.prefix ?? "fullduplex:", onEvent);
  try {
    await broker.open(url);
  } catch (err) {
    if (err instanceof FullDuplexError) throw err; // wrong runtime, missing package
    const why = err instanceof Error ? err.message : String(err);
    throw new ConnectError(withoutPassword(url), `${why} (is redis-server running there?)`, { cause: err });
  }
  return broker;
}
