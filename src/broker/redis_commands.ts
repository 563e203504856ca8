/**
 * One Redis connection for plain commands (no pub/sub): the interface its
 * Bun and Deno implementations share (redis_commands_bun.ts,
 * redis_commands_deno.ts; redis_commands_open.ts picks one), and the
 * deadline on every command. The history store uses it. Internal.
 *
 * Why a deadline of our own: neither client bounds a command that was
 * already written. node-redis's `timeout` command option only covers the
 * time a command waits to be written, and Bun's client has no command
 * timeout at all; so with a Redis that is stopped (SIGSTOP, a long
 * `DEBUG SLEEP`, a saturated host) a command would wait until the TCP
 * connection dies, which may be never. Its reply, if it ever comes, is
 * then dropped; what the command did in Redis stays done.
 *
 * @module
 */

import { FullDuplexError } from "../shared/errors.ts";

/**
 * What a Redis connection of fullduplex reports.
 *
 * @example
 * ```ts
 * import type { RedisConnectionEvent } from "./redis_commands.ts";
 * const log = (event: RedisConnectionEvent) => console.warn("redis:", event.type);
 * log({ type: "reconnected" });
 * ```
 */
export type RedisConnectionEvent =
  | { type: "disconnected"; error?: unknown }
  | { type: "reconnected" };

/** How to open a command connection. */
export interface RedisCommandsOptions {
  /** Every command rejects after this many ms without a reply. */
  timeout: number;
  /** The connection was lost, or is back. */
  event(event: RedisConnectionEvent): void;
  /**
   * Runs on every connection, the first and each reconnect, before any
   * other command may use it (meanwhile `send` rejects as while down); a
   * rejection counts as a failed attempt. The history store loads its
   * scripts here (a restarted Redis has forgotten them).
   */
  prepare?(send: (args: readonly string[]) => Promise<unknown>): Promise<void>;
}

/** A command connection: `send` rejects at once while it is down (no offline queue), and after the deadline. */
export interface RedisCommands {
  /** Sends `args` (command name first); resolves with the reply as the client decoded it (RESP3). */
  send(args: readonly string[]): Promise<unknown>;
  close(): Promise<void>;
}

/** A command that got no reply within its deadline. */
export class RedisTimeoutError extends FullDuplexError {}

/**
 * Races `reply` against a deadline of `ms` ms. The timer is cleared as
 * soon as the reply settles, so a fast command leaves nothing behind.
 */
export function withDeadline<T>(reply: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new RedisTimeoutError(`Redis did not answer ${what} within ${ms} ms`)), ms);
  });
  return Promise.race([reply, deadline]).finally(() => clearTimeout(timer));
}
