/**
 * A Redis command connection on Deno with node-redis (npm `redis`, v6),
 * loaded only when one is opened. Internal.
 *
 * node-redis reconnects by itself (backoff, forever once connected); with
 * `disableOfflineQueue` a command sent meanwhile rejects at once ("The
 * client is offline") instead of waiting in a queue for the reconnect.
 * This module turns its `error` / `ready` events into `disconnected` /
 * `reconnected`.
 *
 * @module
 */

import type { RedisCommands, RedisCommandsOptions } from "./redis_commands.ts";
import { withDeadline } from "./redis_commands.ts";
import type { NodeRedisClient } from "./redis_deno.ts";
import { loadNodeRedis } from "./redis_deno.ts";
import { reconnectDelay } from "./redis_retry.ts";

class DenoRedisCommands implements RedisCommands {
  readonly #client: NodeRedisClient;
  readonly #timeout: number;
  #closed = false;

  constructor(client: NodeRedisClient, timeout: number) {
    this.#client = client;
    this.#timeout = timeout;
  }

  send(args: readonly string[]): Promise<unknown> {
    if (this.#closed) return Promise.reject(new Error("this Redis connection is closed"));
    return withDeadline(this.#client.sendCommand(args), this.#timeout, args[0]!);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#client.close().catch(() => this.#client.destroy());
  }
}

/** Opens a command connection with node-redis. Rejects when Redis cannot be reached. */
export async function openDenoCommands(url: string, options: RedisCommandsOptions): Promise<RedisCommands> {
  const { createClient } = await loadNodeRedis();
  let connected = false;
  let down = false;
  // Fail at once when Redis is not there at start (a clear error for the
  // caller); once connected, retry forever.
  const reconnectStrategy = (retries: number, cause: Error): number | Error => connected ? reconnectDelay(retries) : cause;
  const client = createClient({ url, disableOfflineQueue: true, socket: { reconnectStrategy, connectTimeout: Math.max(options.timeout, 1000) } });
  // Without an `error` listener node-redis throws from its event emitter.
  client.on("error", (error) => {
    if (!connected || down) return;
    down = true;
    options.event({ type: "disconnected", error });
  });
  client.on("ready", () => {
    if (!down) return;
    down = false;
    options.event({ type: "reconnected" });
  });
  try {
    await client.connect();
  } catch (err) {
    client.destroy();
    throw err;
  }
  connected = true;
  return new DenoRedisCommands(client, options.timeout);
}
