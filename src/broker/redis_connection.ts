/**
 * The two Redis connections a broker needs (a subscriber connection cannot
 * publish), behind one small interface with a Bun and a Deno
 * implementation. Internal.
 *
 * @module
 */

/** What a Redis broker reports about its connection. */
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
