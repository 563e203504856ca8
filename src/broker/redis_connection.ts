/**
 * The two Redis connections a broker needs (a subscriber connection cannot
 * publish), behind one small interface with a Bun and a Deno
 * implementation. Internal.
 *
 * @module
 */

/**
 * What a Redis broker reports about its connection.
 *
 * @example Alerting while topics from other servers cannot arrive
 * ```ts
 * import { createRedisBroker } from "@fullduplex/fullduplex/redis";
 * import type { RedisBrokerEvent } from "@fullduplex/fullduplex/redis";
 * function onEvent(event: RedisBrokerEvent): void {
 *   if (event.type === "disconnected") console.error("Redis lost: other servers' messages are missed", event.error);
 *   else if (event.type === "reconnected") console.info("Redis back");
 *   else console.warn("Redis broker:", event.error);
 * }
 * const broker = await createRedisBroker({ onEvent });
 * ```
 */
export type RedisBrokerEvent =
  | {
    /** The subscriber connection was lost: messages published meanwhile are not delivered here. */
    type: "disconnected";
    error?: unknown;
  }
  | {
    /** The subscriber connection is back and every channel is subscribed again. */
    type: "reconnected";
  }
  | {
    /** Something went wrong that did not end the connection (a message fullduplex cannot read…). */
    type: "error";
    error: unknown;
  };

/** Callbacks a connection gives to the broker. */
export interface RedisCallbacks {
  message(channel: string, message: string): void;
  event(event: RedisBrokerEvent): void;
}

/** A publisher and a subscriber connection to one Redis server. */
export interface RedisPubSub {
  publish(channel: string, message: string): Promise<void>;
  subscribe(channel: string): Promise<void>;
  unsubscribe(channel: string): Promise<void>;
  close(): Promise<void>;
}

/** The URL for messages: a password never ends up in a log. */
export function withoutPassword(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== "") parsed.password = "***";
    return parsed.href;
  } catch {
    return "(an invalid URL)";
  }
}
