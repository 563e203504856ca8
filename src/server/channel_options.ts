/**
 * The `channels` option of `serve()` and `createHandler()`
 * (docs/channels.md): the authorization hook, the presence info, and the
 * limits, with their defaults and checks. Types and validation only: the
 * channels layer (src/channels) does the work. Internal apart from the
 * exported types.
 *
 * @module
 */

import type { Socket } from "./socket.ts";

/** What a client asks to do on a topic (internal alias; the public signature spells it out). */
export type ChannelAction = "subscribe" | "publish";

/** The answer of `authorize` (internal alias; the public signature spells it out). */
export type ChannelAuthorization = boolean | string;

/**
 * Channels (docs/channels.md): clients subscribe and publish themselves,
 * over the `fullduplex.channels.v1` subprotocol, under `authorize`. Without
 * this option a server never agrees to that subprotocol and nothing changes.
 *
 * @example Rooms a user may join when their name is in the room's list
 * ```ts
 * import { serve } from "@fullduplex/fullduplex";
 * const allowed = new Map([["room:1", new Set(["ann", "bob"])]]);
 * serve<{ user: string }>({
 *   port: 8080,
 *   upgrade: (req) => ({ data: { user: new URL(req.url).searchParams.get("user") ?? "" } }),
 *   channels: {
 *     authorize: (socket, topic, action) => allowed.get(topic)?.has(socket.data.user) === true || `${action} refused`,
 *     presence: (socket) => ({ name: socket.data.user }),
 *   },
 * });
 * ```
 */
export interface ChannelsOptions<D = unknown> {
  /**
   * Runs on every `sub` and every publish of a client (resubscribes after
   * a reconnect included), one at a time per connection, in the order they
   * arrived. Returns (or resolves to) `true` to allow, `false` or a reason
   * string to deny (`false` denies with the reason `"not allowed"`; a string
   * is the reason the client sees in `SubscribeError.reason` or
   * `PublishError.reason`). `action` is `"subscribe"` or `"publish"`. A throw or a rejection is a server bug: it goes to the
   * `error` handler and the request is denied with `"internal error"`.
   */
  authorize(socket: Socket<D>, topic: string, action: "subscribe" | "publish"): boolean | string | Promise<boolean | string>;
  /**
   * Turns presence on: the info (JSON) a socket shows as a member of the
   * topics it subscribes to with `presence: true`. The server chooses it,
   * never the client. It may be async; a throw or rejection goes to `error`
   * and denies the subscribe with `"internal error"`. Default: presence off.
   */
  presence?(socket: Socket<D>): unknown;
  /** Longest topic name in UTF-8 bytes. Default 256. */
  maxTopicBytes?: number;
  /** Most topics one connection may be subscribed to (counting `socket.subscribe()`'s). Default 100. */
  maxSubscriptions?: number;
  /** Largest presence info, as JSON, in UTF-8 bytes. Default 1024. */
  maxPresenceInfoBytes?: number;
  /**
   * Control messages per second per connection (a token bucket: sustained
   * `messagesPerSecond`, `burst` at once, default twice the rate). Default
   * `{ messagesPerSecond: 50, burst: 100 }`.
   */
  controlRate?: { messagesPerSecond: number; burst?: number };
  /**
   * Ms between presence heartbeats to the other servers sharing the broker;
   * another server's members are forgotten after three missed heartbeats.
   * Default 5000.
   */
  presenceHeartbeat?: number;
}

/** Resolved channels options with defaults applied. Internal. */
export interface ResolvedChannels<D> {
  authorize: ChannelsOptions<D>["authorize"];
  presence: ChannelsOptions<D>["presence"];
  maxTopicBytes: number;
  maxSubscriptions: number;
  maxPresenceInfoBytes: number;
  controlRate: { messagesPerSecond: number; burst: number; action: "drop" };
  presenceHeartbeat: number;
}

/** Defaults of {@link ChannelsOptions} (the numbers its docs state). Internal. */
export const DEFAULT_CHANNEL_LIMITS = Object.freeze({
  maxTopicBytes: 256,
  maxSubscriptions: 100,
  maxPresenceInfoBytes: 1024,
  messagesPerSecond: 50,
  burst: 100,
  presenceHeartbeat: 5000,
});

function checkInteger(name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`channels.${name} must be an integer from ${min} to ${max}, got ${String(value)}`);
  }
  return value;
}

function checkPositive(name: string, value: unknown): number {
  if (typeof value !== "number" || Number.isNaN(value) || value <= 0 || value > 1e9) {
    throw new RangeError(`channels.${name} must be a number above 0, got ${String(value)}`);
  }
  return value;
}

/** Applies defaults; undefined when channels are off. Throws a clear error for a bad option. */
export function resolveChannels<D>(option: ChannelsOptions<D> | undefined): ResolvedChannels<D> | undefined {
  if (option === undefined) return undefined;
  if (typeof option !== "object" || option === null) {
    throw new TypeError("channels must be an object such as { authorize: (socket, topic, action) => true }");
  }
  if (typeof option.authorize !== "function") {
    throw new TypeError("channels.authorize is required: (socket, topic, action) => true | false | reason (may be async)");
  }
  if (option.presence !== undefined && typeof option.presence !== "function") {
    throw new TypeError("channels.presence must be a function (socket) => info, or left out");
  }
  const d = DEFAULT_CHANNEL_LIMITS;
  const rate = option.controlRate;
  if (rate !== undefined && (typeof rate !== "object" || rate === null)) {
    throw new TypeError("channels.controlRate must be an object such as { messagesPerSecond: 50, burst: 100 }");
  }
  const messagesPerSecond = rate === undefined
    ? d.messagesPerSecond
    : checkPositive("controlRate.messagesPerSecond", rate.messagesPerSecond);
  const burst = rate === undefined
    ? d.burst
    : rate.burst === undefined
    ? Math.max(1, 2 * messagesPerSecond)
    : checkPositive("controlRate.burst", rate.burst);
  return {
    authorize: option.authorize,
    presence: option.presence,
    maxTopicBytes: checkInteger("maxTopicBytes", option.maxTopicBytes ?? d.maxTopicBytes, 1, 65535),
    maxSubscriptions: checkInteger("maxSubscriptions", option.maxSubscriptions ?? d.maxSubscriptions, 1, 2 ** 31 - 1),
    maxPresenceInfoBytes: checkInteger("maxPresenceInfoBytes", option.maxPresenceInfoBytes ?? d.maxPresenceInfoBytes, 2, 2 ** 31 - 1),
    controlRate: { messagesPerSecond, burst: Math.max(1, burst), action: "drop" },
    presenceHeartbeat: checkInteger("presenceHeartbeat", option.presenceHeartbeat ?? d.presenceHeartbeat, 10, 3_600_000),
  };
}
