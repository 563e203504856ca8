/**
 * A Redis command connection on Deno with node-redis (npm `redis`, v6),
 * loaded only when one is opened. Internal.
 *
 * node-redis reconnects by itself (backoff, forever once connected); with
 * `disableOfflineQueue` a command sent meanwhile rejects at once ("The
 * client is offline") instead of waiting in a queue for the reconnect.
 * This module turns its `error` / `ready` events into `disconnected` /
 * `reconnected`, and keeps commands out of a new connection until
 * `prepare` has run on it.
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
  readonly #options: RedisCommandsOptions;
  /** Connected and prepared: false from a lost connection until `prepare` has run on the new one. */
  #up = true;
  #closed = false;
  #retry: ReturnType<typeof setTimeout> | undefined;

  constructor(client: NodeRedisClient, options: RedisCommandsOptions) {
    this.#client = client;
    this.#options = options;
    // Without an `error` listener node-redis throws from its event emitter.
    // It emits `error` on every lost connection (then retries by itself).
    client.on("error", (error) => {
      if (this.#closed || !this.#up) return;
      this.#up = false;
      options.event({ type: "disconnected", error });
    });
    client.on("ready", () => this.#prepare(0));
  }

  /** Runs `prepare` on a new connection; retried (while connected) if Redis refuses it, e.g. `LOADING` after a restart. */
  #prepare(attempt: number): void {
    if (this.#closed || this.#up) return;
    const send = (args: readonly string[]) => withDeadline(this.#client.sendCommand(args), this.#options.timeout, args[0]!);
    (this.#options.prepare?.(send) ?? Promise.resolve()).then(
      () => {
        if (this.#closed || this.#up || !this.#client.isReady) return;
        this.#up = true;
        this.#options.event({ type: "reconnected" });
      },
      () => {
        clearTimeout(this.#retry);
        this.#retry = setTimeout(() => {
          if (this.#client.isReady) this.#prepare(attempt + 1);
        }, reconnectDelay(attempt));
      },
    );
  }

  send(args: readonly string[]): Promise<unknown> {
    if (this.#closed) return Promise.reject(new Error("this Redis connection is closed"));
    if (!this.#up) return Promise.reject(new Error("the connection to Redis is down (reconnecting)"));
    return withDeadline(this.#client.sendCommand(args), this.#options.timeout, args[0]!);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#retry);
    // close() waits for the replies in flight: bounded, for a Redis that stopped answering.
    await withDeadline(this.#client.close(), this.#options.timeout, "QUIT").catch(() => this.#client.destroy());
  }
}

/** Opens a command connection with node-redis. Rejects when Redis cannot be reached. */
export async function openDenoCommands(url: string, options: RedisCommandsOptions): Promise<RedisCommands> {
  const { createClient } = await loadNodeRedis();
  let connected = false;
  // Fail at once when Redis is not there at start (a clear error for the
  // caller); once connected, retry forever.
  const reconnectStrategy = (retries: number, cause: Error): number | Error => connected ? reconnectDelay(retries) : cause;
  const socket = { reconnectStrategy, connectTimeout: Math.max(options.timeout, 1000) };
  const client = createClient({ url, disableOfflineQueue: true, socket });
  client.on("error", () => {}); // until the DenoRedisCommands listens
  try {
    await client.connect();
    await options.prepare?.((args) => withDeadline(client.sendCommand(args), options.timeout, args[0]!));
  } catch (err) {
    client.destroy();
    throw err;
  }
  connected = true;
  return new DenoRedisCommands(client, options);
}
