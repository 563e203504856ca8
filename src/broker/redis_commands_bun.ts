/**
 * A Redis command connection on Bun with Bun's built-in client
 * (`Bun.RedisClient`). Internal.
 *
 * Bun 1.4.5 facts (checked by running code against redis-server 7):
 * - `enableOfflineQueue: false` makes a command sent while the connection
 *   is down reject at once ("Connection is closed and offline queue is
 *   disabled") instead of waiting for a reconnect.
 * - with `autoReconnect` the client gives up after `maxRetries` (default
 *   20, about 30 s of backoff) and from then on every command fails
 *   ("Connection has failed") even when Redis is back, until someone calls
 *   `connect()`. And it fires no `onclose` when the connection drops, only
 *   when it gives up. So this module runs the client with
 *   `autoReconnect: false` and reconnects itself, forever, with backoff:
 *   a fresh client each time, and `disconnected` / `reconnected` events.
 * - replies: bulk strings come back as (UTF-8 decoded) strings, integers
 *   as numbers, nil as null, arrays as arrays (the connection speaks RESP3).
 *
 * @module
 */

import type { RedisCommands, RedisCommandsOptions } from "./redis_commands.ts";
import { withDeadline } from "./redis_commands.ts";
import { reconnectUntilReady } from "./redis_retry.ts";

/** The parts of Bun's RedisClient used here, typed so Deno's checker needs no Bun types. */
interface BunRedisClient {
  readonly connected: boolean;
  connect(): Promise<void>;
  close(): void;
  send(command: string, args: string[]): Promise<unknown>;
  onclose: ((error: Error) => void) | null;
}
type BunRedisClientClass = new (
  url: string,
  options?: { autoReconnect?: boolean; enableOfflineQueue?: boolean; connectionTimeout?: number },
) => BunRedisClient;

class BunRedisCommands implements RedisCommands {
  readonly #Client: BunRedisClientClass;
  readonly #url: string;
  readonly #options: RedisCommandsOptions;
  /** Undefined while the connection is down (between a loss and the reconnect). */
  #client: BunRedisClient | undefined;
  #closed = false;
  #retry: ReturnType<typeof setTimeout> | undefined;

  constructor(Client: BunRedisClientClass, url: string, options: RedisCommandsOptions, client: BunRedisClient) {
    this.#Client = Client;
    this.#url = url;
    this.#options = options;
    this.#use(client);
  }

  #use(client: BunRedisClient): void {
    this.#client = client;
    client.onclose = (error) => {
      if (this.#closed || client !== this.#client) return;
      this.#client = undefined;
      this.#options.event({ type: "disconnected", error });
      this.#reconnect(0);
    };
  }

  #reconnect(attempt: number): void {
    reconnectUntilReady({
      create: () => newClient(this.#Client, this.#url, this.#options.timeout),
      prepare: (next) => ready(next, this.#options),
      use: (next) => {
        this.#use(next);
        this.#options.event({ type: "reconnected" });
      },
      closed: () => this.#closed,
      timer: (timer) => (this.#retry = timer),
    }, attempt);
  }

  send(args: readonly string[]): Promise<unknown> {
    const client = this.#client;
    if (client === undefined) {
      const why = this.#closed ? "this Redis connection is closed" : "the connection to Redis is down (reconnecting)";
      return Promise.reject(new Error(why));
    }
    return withDeadline(client.send(args[0]!, args.slice(1)), this.#options.timeout, args[0]!);
  }

  close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#retry);
    this.#client?.close();
    this.#client = undefined;
    return Promise.resolve();
  }
}

/**
 * Connects and runs `prepare` (bounded by the deadline: a Redis that
 * accepts but does not answer is an attempt that failed). A connection
 * lost meanwhile is a failed attempt too: its `onclose` is not watched yet.
 */
async function ready(client: BunRedisClient, options: RedisCommandsOptions): Promise<void> {
  await client.connect();
  await options.prepare?.((args) => withDeadline(client.send(args[0]!, args.slice(1)), options.timeout, args[0]!));
  if (!client.connected) throw new Error("the connection to Redis was lost while it was being prepared");
}

function newClient(Client: BunRedisClientClass, url: string, timeout: number): BunRedisClient {
  // connectionTimeout: a connect attempt to a host that does not answer
  // ends within the command deadline (at least 1 s, for a TLS handshake
  // far away), not Bun's default 10 s.
  return new Client(url, { autoReconnect: false, enableOfflineQueue: false, connectionTimeout: Math.max(timeout, 1000) });
}

/** Opens a command connection with Bun's client. Rejects when Redis cannot be reached. */
export async function openBunCommands(url: string, options: RedisCommandsOptions): Promise<RedisCommands> {
  const Client = (globalThis as unknown as { Bun: { RedisClient: BunRedisClientClass } }).Bun.RedisClient;
  const client = newClient(Client, url, options.timeout);
  try {
    await ready(client, options);
  } catch (err) {
    client.close();
    throw err;
  }
  return new BunRedisCommands(Client, url, options, client);
}
