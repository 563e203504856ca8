/**
 * Redis pub/sub on Bun with Bun's built-in client (`Bun.RedisClient`): no
 * dependency at all. Internal.
 *
 * Bun 1.4.5 facts (checked by running code against redis-server 7):
 * - a subscriber receives messages as strings only.
 * - with `autoReconnect` (the default) a client reconnects after a lost
 *   connection but does NOT subscribe its channels again, and no `onclose`
 *   fires; subscribing again with the same listener then delivers twice.
 *   So the subscriber runs with `autoReconnect: false` and this module
 *   reconnects it itself: a fresh client, every channel subscribed again.
 * - a client with `autoReconnect` gives up for good as soon as a connection
 *   drops ("Max reconnection attempts reached", then "Connection has
 *   failed" for every command even after Redis is back: found by the
 *   Redis-restart recovery test). So publishing goes through the command
 *   connection of redis_commands_bun.ts, which reconnects itself: a publish
 *   while Redis is away rejects at once, and works again once it is back.
 *
 * @module
 */

import type { RedisCallbacks, RedisPubSub } from "./redis_connection.ts";
import type { RedisCommands } from "./redis_commands.ts";
import { openBunCommands } from "./redis_commands_bun.ts";

/** A publish waits this long for Redis's reply. */
const PUBLISH_TIMEOUT_MS = 5000;
import { reconnectUntilReady } from "./redis_retry.ts";

/** The parts of Bun's RedisClient used here, typed so Deno's checker needs no Bun types. */
interface BunRedisClient {
  connect(): Promise<void>;
  close(): void;
  publish(channel: string, message: string): Promise<number>;
  subscribe(channel: string, listener: (message: string, channel: string) => void): Promise<number>;
  unsubscribe(channel: string): Promise<void>;
  onclose: ((error: Error) => void) | null;
}
type BunRedisClientClass = new (url: string, options?: { autoReconnect?: boolean; connectionTimeout?: number }) => BunRedisClient;

class BunRedisPubSub implements RedisPubSub {
  readonly #Client: BunRedisClientClass;
  readonly #url: string;
  readonly #callbacks: RedisCallbacks;
  readonly #publisher: RedisCommands;
  readonly #channels = new Set<string>();
  readonly #onMessage: (message: string, channel: string) => void;
  #subscriber: BunRedisClient;
  #closed = false;
  /** Between a lost connection and the end of the resubscription: channels are only noted. */
  #down = false;
  #retry: ReturnType<typeof setTimeout> | undefined;

  constructor(Client: BunRedisClientClass, url: string, callbacks: RedisCallbacks, publisher: RedisCommands, subscriber: BunRedisClient) {
    this.#Client = Client;
    this.#url = url;
    this.#callbacks = callbacks;
    this.#publisher = publisher;
    this.#onMessage = (message, channel) => callbacks.message(channel, message);
    this.#subscriber = subscriber;
    this.#watch(subscriber);
  }

  #watch(subscriber: BunRedisClient): void {
    subscriber.onclose = (error) => {
      if (this.#closed || subscriber !== this.#subscriber) return;
      this.#down = true;
      this.#callbacks.event({ type: "disconnected", error });
      this.#reconnect(0);
    };
  }

  #reconnect(attempt: number): void {
    reconnectUntilReady({
      create: () => new this.#Client(this.#url, { autoReconnect: false }),
      prepare: async (next) => {
        await next.connect();
        for (const channel of this.#channels) await next.subscribe(channel, this.#onMessage);
      },
      use: (next) => {
        this.#subscriber = next;
        this.#down = false;
        this.#watch(next);
        this.#callbacks.event({ type: "reconnected" });
      },
      closed: () => this.#closed,
      timer: (timer) => (this.#retry = timer),
    }, attempt);
  }

  async publish(channel: string, message: string): Promise<void> {
    await this.#publisher.send(["PUBLISH", channel, message]);
  }

  async subscribe(channel: string): Promise<void> {
    this.#channels.add(channel);
    // While down, the reconnect subscribes every noted channel (a Set's
    // iterator also visits channels added while it runs).
    if (this.#down) return;
    try {
      await this.#subscriber.subscribe(channel, this.#onMessage);
    } catch (err) {
      // close() rejects the commands still in flight ("Connection closed");
      // a closed broker has no subscriptions left to get wrong.
      if (!this.#closed) throw err;
    }
  }

  async unsubscribe(channel: string): Promise<void> {
    this.#channels.delete(channel);
    if (this.#down) return;
    try {
      await this.#subscriber.unsubscribe(channel);
    } catch (err) {
      // A server shut down just before broker.close() leaves its last
      // unsubscribe in flight; close() rejects it, and closing ends every
      // subscription anyway: not an error to report.
      if (!this.#closed) throw err;
    }
  }

  close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#retry);
    this.#subscriber.close();
    return this.#publisher.close();
  }
}

/** Opens the publisher and subscriber connections with Bun's client. */
export async function openBunRedis(url: string, callbacks: RedisCallbacks): Promise<RedisPubSub> {
  const Client = (globalThis as unknown as { Bun: { RedisClient: BunRedisClientClass } }).Bun.RedisClient;
  // The subscriber reports the connection's state; the publisher's own losses would say the same twice.
  const publisher = await openBunCommands(url, { timeout: PUBLISH_TIMEOUT_MS, event: () => {} });
  const subscriber = new Client(url, { autoReconnect: false });
  try {
    await subscriber.connect();
  } catch (err) {
    await publisher.close();
    subscriber.close();
    throw err;
  }
  return new BunRedisPubSub(Client, url, callbacks, publisher, subscriber);
}
