/**
 * Redis pub/sub on Deno with node-redis (npm `redis`, v6), imported only
 * when a Redis broker is created, so nothing else in fullduplex needs it.
 * Internal.
 *
 * node-redis reconnects by itself (backoff) and subscribes every channel
 * again on the new connection; this module only turns its events into
 * `disconnected` / `reconnected`.
 *
 * Resolution: the bare `redis` is mapped to `npm:redis@^6` in deno.json's
 * `imports` (JSR rewrites it on publish, so a JSR install fetches it); in
 * this repository (`"nodeModulesDir": "manual"`) it resolves to
 * node_modules/redis, offline. From the npm package, `redis` must be in the
 * user's own dependencies (package.json lists it as an optional peer
 * dependency, which npm does not install by itself).
 *
 * @module
 */

import type { RedisCallbacks, RedisPubSub } from "./redis_connection.ts";
import { reconnectDelay } from "./redis_retry.ts";
import { FullDuplexError } from "../shared/errors.ts";

/** The parts of a node-redis client used by fullduplex (here and in redis_commands_deno.ts). */
export interface NodeRedisClient {
  connect(): Promise<unknown>;
  duplicate(): NodeRedisClient;
  close(): Promise<void>;
  destroy(): void;
  publish(channel: string, message: string): Promise<number>;
  subscribe(channel: string, listener: (message: string, channel: string) => void): Promise<void>;
  unsubscribe(channel: string): Promise<void>;
  sendCommand(args: readonly string[]): Promise<unknown>;
  readonly isReady: boolean;
  on(event: "error", listener: (error: Error) => void): unknown;
  on(event: "ready", listener: () => void): unknown;
}

/** The part of node-redis's module used by fullduplex. */
export interface NodeRedisModule {
  createClient(
    options: {
      url: string;
      disableOfflineQueue?: boolean;
      socket?: { reconnectStrategy?: (retries: number, cause: Error) => number | Error; connectTimeout?: number };
    },
  ): NodeRedisClient;
}

/** Loads node-redis, or explains how to install it. */
export async function loadNodeRedis(): Promise<NodeRedisModule> {
  try {
    // deno.json maps "redis" to npm:redis@^6 (JSR rewrites it on publish).
    return (await import("redis")) as unknown as NodeRedisModule;
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new FullDuplexError(
      `fullduplex's Redis support (broker, history store) on Deno needs the npm package "redis" v6 ` +
        `(add it: deno add npm:redis@^6, or npm install redis): ${why}`,
      { cause: err },
    );
  }
}

class DenoRedisPubSub implements RedisPubSub {
  readonly #publisher: NodeRedisClient;
  readonly #subscriber: NodeRedisClient;
  readonly #onMessage: (message: string, channel: string) => void;

  constructor(publisher: NodeRedisClient, subscriber: NodeRedisClient, callbacks: RedisCallbacks) {
    this.#publisher = publisher;
    this.#subscriber = subscriber;
    this.#onMessage = (message, channel) => callbacks.message(channel, message);
  }

  async publish(channel: string, message: string): Promise<void> {
    await this.#publisher.publish(channel, message);
  }

  subscribe(channel: string): Promise<void> {
    return this.#subscriber.subscribe(channel, this.#onMessage);
  }

  unsubscribe(channel: string): Promise<void> {
    return this.#subscriber.unsubscribe(channel);
  }

  async close(): Promise<void> {
    await Promise.all([
      this.#subscriber.close().catch(() => this.#subscriber.destroy()),
      this.#publisher.close().catch(() => this.#publisher.destroy()),
    ]);
  }
}

/** Opens the publisher and subscriber connections with node-redis. */
export async function openDenoRedis(url: string, callbacks: RedisCallbacks): Promise<RedisPubSub> {
  const { createClient } = await loadNodeRedis();
  let connected = false;
  let down = false;
  // Fail at once when Redis is not there at start (a clear error for the
  // caller); once connected, retry forever: 100 ms doubling up to 2 s, jittered.
  const reconnectStrategy = (retries: number, cause: Error): number | Error => connected ? reconnectDelay(retries) : cause;
  const publisher = createClient({ url, socket: { reconnectStrategy } });
  const subscriber = publisher.duplicate();
  // Without an `error` listener node-redis throws from its event emitter.
  publisher.on("error", () => {});
  subscriber.on("error", (error) => {
    if (!connected || down) return;
    down = true;
    callbacks.event({ type: "disconnected", error });
  });
  subscriber.on("ready", () => {
    if (!down) return;
    down = false;
    // "ready" comes after node-redis has sent the SUBSCRIBE commands again.
    callbacks.event({ type: "reconnected" });
  });
  try {
    await Promise.all([publisher.connect(), subscriber.connect()]);
  } catch (err) {
    publisher.destroy();
    subscriber.destroy();
    throw err;
  }
  connected = true;
  return new DenoRedisPubSub(publisher, subscriber, callbacks);
}
