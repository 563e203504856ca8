/**
 * The `channels` option of `serve()` and `createHandler()`
 * (docs/channels.md): the authorization hook, the presence info, and the
 * limits, with their defaults and checks. Types and validation only: the
 * channels layer (src/channels) does the work. Internal apart from the
 * exported types.
 *
 * @module
 */

import type { HistoryPolicy, HistoryStore } from "../broker/history.ts";
import { MemoryHistory } from "../broker/history_memory.ts";
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
  /**
   * Topics that keep a history, so that a client coming back gets what it
   * missed (`client.subscribe(topic, { recover: true })`, docs/channels.md
   * "Recovery"). Off by default: topics without history cost what they
   * always did.
   */
  history?: HistoryOptions;
}

/**
 * Which topics keep history, how much, and where (`channels.history`).
 *
 * @example Every "ticker:" topic keeps its last 1000 publications for 5 minutes, in Redis
 * ```ts
 * import { serve } from "@fullduplex/fullduplex";
 * import { createRedisHistory } from "@fullduplex/fullduplex/redis";
 * const store = await createRedisHistory({ url: "redis://localhost:6379" });
 * serve({
 *   port: 8080,
 *   channels: {
 *     authorize: () => true,
 *     history: { store, topics: [{ match: "ticker:*", size: 1000, ttl: 300_000 }] },
 *   },
 * });
 * ```
 */
export interface HistoryOptions {
  /**
   * Where history is kept. Default: a `MemoryHistory` of this server
   * (positions valid on this server only, lost on restart). A shared store
   * (`createRedisHistory()`) lets a client recover on any server using it.
   */
  store?: HistoryStore;
  /**
   * Which topics keep history: rules tried in order (the first whose
   * `match` fits wins: a topic name, or a prefix ending in `*`), or a
   * function returning the policy (or undefined: no history).
   */
  topics: HistoryTopicRule[] | ((topic: string) => HistoryPolicy | undefined);
}

/**
 * One rule of `channels.history.topics`.
 *
 * @example
 * ```ts
 * import type { HistoryTopicRule } from "@fullduplex/fullduplex/history";
 * const rules: HistoryTopicRule[] = [
 *   { match: "ticker:*", size: 1000, ttl: 300_000 }, // every topic starting with "ticker:"
 *   { match: "lobby", size: 50 }, // that topic only, no age limit
 * ];
 * ```
 */
export interface HistoryTopicRule {
  /** A topic name, or a prefix followed by `*`. */
  match: string;
  /** The most publications kept, from 1 to 1,000,000. */
  size: number;
  /** Ms a publication is kept; 0 or left out: until `size` trims it. */
  ttl?: number;
}

/** Resolved `channels.history`. Internal. */
export interface ResolvedHistory {
  store: HistoryStore;
  /** The topic's policy, or undefined when it keeps no history. */
  policyOf(topic: string): HistoryPolicy | undefined;
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
  history: ResolvedHistory | undefined;
}

/** The largest `size` a history rule may ask for. */
export const MAX_HISTORY_SIZE = 1_000_000;

function checkPolicy(where: string, size: unknown, ttl: unknown): HistoryPolicy {
  if (typeof size !== "number" || !Number.isInteger(size) || size < 1 || size > MAX_HISTORY_SIZE) {
    throw new RangeError(`${where}.size must be an integer from 1 to ${MAX_HISTORY_SIZE}, got ${String(size)}`);
  }
  if (ttl !== undefined && (typeof ttl !== "number" || !Number.isFinite(ttl) || ttl < 0)) {
    throw new RangeError(`${where}.ttl must be a number of ms >= 0 (0: no age limit), got ${String(ttl)}`);
  }
  return { size, ttl: (ttl as number | undefined) ?? 0 };
}

function resolveHistory(option: HistoryOptions | undefined): ResolvedHistory | undefined {
  if (option === undefined) return undefined;
  if (typeof option !== "object" || option === null) {
    throw new TypeError('channels.history must be an object such as { topics: [{ match: "ticker:*", size: 100 }] }');
  }
  const store = option.store ?? new MemoryHistory();
  if (typeof store.append !== "function" || typeof store.read !== "function" || typeof store.shared !== "boolean") {
    throw new TypeError("channels.history.store must be a HistoryStore (MemoryHistory, createRedisHistory(), or your own)");
  }
  const topics = option.topics;
  if (typeof topics === "function") {
    return {
      store,
      policyOf(topic) {
        const policy = topics(topic);
        return policy === undefined ? undefined : checkPolicy(`channels.history.topics(${JSON.stringify(topic)})`, policy.size, policy.ttl);
      },
    };
  }
  if (!Array.isArray(topics)) throw new TypeError("channels.history.topics must be a list of rules { match, size, ttl? } or a function");
  const rules = topics.map((rule, i) => {
    const where = `channels.history.topics[${i}]`;
    if (typeof rule !== "object" || rule === null || typeof rule.match !== "string" || rule.match.length === 0) {
      throw new TypeError(`${where}.match must be a topic name or a prefix ending in "*"`);
    }
    const prefix = rule.match.endsWith("*");
    return { name: prefix ? rule.match.slice(0, -1) : rule.match, prefix, policy: Object.freeze(checkPolicy(where, rule.size, rule.ttl)) };
  });
  return {
    store,
    policyOf(topic) {
      for (const rule of rules) {
        if (rule.prefix ? topic.startsWith(rule.name) : topic === rule.name) return rule.policy;
      }
      return undefined;
    },
  };
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
    history: resolveHistory(option.history),
  };
}
