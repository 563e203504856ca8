/**
 * Options and handler types of the server, with their defaults and checks.
 *
 * @module
 */

import type { Message } from "../shared/message.ts";
import type { CloseInfo, RemoteAddress } from "../shared/types.ts";
import type { Socket } from "./socket.ts";
import type { Broker } from "../broker/broker.ts";
import type { ServerHeartbeatOptions } from "./heartbeat.ts";
import type { ChannelsOptions } from "./channel_options.ts";
import { CHANNELS_PROTOCOL } from "../shared/channel_wire.ts";

/**
 * What the `upgrade` hook learns besides the request.
 *
 * @example
 * ```ts
 * import { serve } from "@fullduplex/fullduplex";
 * serve({
 *   protocols: ["chat.v1"],
 *   upgrade: (_req, info) => ({ data: { room: info.url.searchParams.get("room"), offered: info.protocols } }),
 * });
 * ```
 */
export interface UpgradeInfo {
  /** The peer's address. */
  remoteAddress: RemoteAddress;
  /** Subprotocols the client offered, in its order (parsed robustly: `a,b` and `a, b`). */
  protocols: string[];
  /** The request URL, parsed. */
  url: URL;
}

/**
 * Accept an upgrade: per-connection data, an optional subprotocol and extra 101 headers.
 *
 * @example
 * ```ts
 * import { serve } from "@fullduplex/fullduplex";
 * import type { UpgradeAccept } from "@fullduplex/fullduplex";
 * serve({
 *   upgrade(): UpgradeAccept<{ user: string }> {
 *     return { data: { user: "ann" }, headers: { "x-served-by": "fullduplex" } };
 *   },
 * });
 * ```
 */
export interface UpgradeAccept<D> {
  /** Per-connection data, available as `socket.data`. */
  data?: D;
  /**
   * Subprotocol to agree to; must be one the client offered. When omitted,
   * the first of the client's protocols that is in the `protocols` option is used.
   */
  protocol?: string;
  /** Extra headers for the 101 response (e.g. `Set-Cookie`). */
  headers?: Record<string, string>;
}

/**
 * What the `upgrade` hook may return: accept (with data) or refuse with a `Response`.
 *
 * @example
 * ```ts
 * import { serve } from "@fullduplex/fullduplex";
 * import type { UpgradeResult } from "@fullduplex/fullduplex";
 * serve({
 *   upgrade(req): UpgradeResult<{ token: string }> {
 *     const token = new URL(req.url).searchParams.get("token");
 *     if (!token) return new Response("token required", { status: 401 });
 *     return { data: { token } };
 *   },
 * });
 * ```
 */
export type UpgradeResult<D> = UpgradeAccept<D> | Response | undefined | void;

/**
 * Handlers a WebSocket endpoint runs. A handler that throws (or whose
 * promise rejects) never ends the process: the error goes to `error` and that
 * connection is closed with 1011.
 *
 * @example
 * ```ts
 * import { serve } from "@fullduplex/fullduplex";
 * import type { WebSocketHandlers } from "@fullduplex/fullduplex";
 * const handlers: WebSocketHandlers<unknown> = {
 *   open: (socket) => socket.send("welcome"),
 *   message: (socket, msg) => socket.send(msg.kind === "text" ? msg.text() : msg.bytes()),
 *   close: (socket, info) => console.log(socket.id, info.code),
 *   error: (_socket, err) => console.error(err),
 * };
 * serve({ port: 8080, ...handlers });
 * ```
 */
export interface WebSocketHandlers<D> {
  /**
   * Runs before the upgrade, after the handshake checks: authenticate, pick a
   * subprotocol, attach data. Return a `Response` to refuse.
   */
  upgrade?(req: Request, info: UpgradeInfo): UpgradeResult<D> | Promise<UpgradeResult<D>>;
  // Handlers return `unknown`, not `void | Promise<void>`: TypeScript rejects an
  // arrow like `(socket, msg) => socket.send(x)` (it returns a SendResult) against
  // a union with void. A returned promise is still awaited and its rejection
  // goes to `error`.
  /** A connection is open and may send. */
  open?(socket: Socket<D>): unknown;
  /** A whole message arrived (text or binary). */
  message?(socket: Socket<D>, message: Message): unknown;
  /**
   * The outgoing buffer fell to `lowWaterMark` or below after having been
   * above it: runs once per crossing (not on every flush), on both runtimes.
   */
  drain?(socket: Socket<D>): unknown;
  /** The connection ended; runs exactly once per opened connection. */
  close?(socket: Socket<D>, info: CloseInfo): unknown;
  /**
   * A handler threw or rejected (`socket` is undefined when the `upgrade`
   * hook failed, or when a broker call failed). Without this handler the error is logged with `console.error`.
   */
  error?(socket: Socket<D> | undefined, error: unknown): void;
}

/**
 * Limits and protocol options of a WebSocket endpoint, the same on both runtimes.
 *
 * @example
 * ```ts
 * import { serve } from "@fullduplex/fullduplex";
 * import type { WebSocketLimits } from "@fullduplex/fullduplex";
 * const limits: WebSocketLimits = { maxMessageBytes: 64 * 1024, idleTimeout: 30, protocols: ["chat.v1"] };
 * serve({ port: 8080, ...limits });
 * ```
 */
export interface WebSocketLimits {
  /** Subprotocols the server agrees to, in the server's order of preference. Default: none. */
  protocols?: string[];
  /**
   * Largest message accepted, in bytes (UTF-8 bytes for text). A larger one
   * closes the connection with 1009. Default 1 MiB (1048576).
   */
  maxMessageBytes?: number;
  /**
   * Seconds without any data or pong from a peer before it is closed (it is
   * pinged half-way). A peer that reads none of the data queued for it for
   * that long is closed too, even if it keeps sending (no ping can reach it
   * behind the queue). 0 turns keep-alive off. Default 60.
   */
  idleTimeout?: number;
  /**
   * Seconds to wait for the peer to answer a close frame the server sent
   * before the connection is dropped and `close` runs. Default 5.
   */
  closeTimeout?: number;
  /**
   * Most open connections at once (upgrades in progress count too). Beyond
   * it, upgrades get 503 with `Retry-After`; open connections are not
   * touched. Default: no limit.
   */
  maxConnections?: number;
  /**
   * Most connections one remote address may hold at once: open ones,
   * upgrades in progress, and (Deno) closed ones whose peer never answered
   * the close and whose TCP connection the engine still holds. Beyond it,
   * upgrades get 429 with `Retry-After` (counted in
   * `stats.refusedPerAddress`). IPv6 addresses count by their /64 prefix.
   * Behind a reverse proxy every connection comes from the proxy's address:
   * leave this off there and limit per client at the proxy. Default: no limit.
   */
  maxConnectionsPerAddress?: number;
  /**
   * Upgrade attempts per second one remote address may make (a token
   * bucket with a burst). Beyond it, upgrades get 429 with `Retry-After`
   * (counted in `stats.refusedUpgradeRate`). Every upgrade request counts,
   * accepted or not. Same caveat behind a proxy as `maxConnectionsPerAddress`.
   * Default: no limit.
   */
  upgradeRateLimit?: UpgradeRateLimitOptions;
  /**
   * Messages a peer may send while sends to it are refused at
   * `backpressureLimit` (it asks for replies and reads none) before it is
   * closed with 1008 (counted in `stats.backpressureFloodCloses`). The count
   * starts at the first refused send and ends when its buffer drains to
   * `lowWaterMark`. Unlike `onBackpressureLimit: "close"`, a peer that is
   * merely slow to receive broadcasts keeps its connection: only one that
   * keeps sending while it reads nothing is closed. Default: no limit.
   */
  maxMessagesWhileBackpressured?: number;
  /**
   * Messages per second each connection may send, with a burst. When
   * exceeded: `"close"` (1008) or `"drop"` (the message is discarded and
   * counted in `stats.rateLimitedMessages`). Default: no limit.
   */
  rateLimit?: RateLimitOptions;
  /**
   * Origins allowed to open a socket, e.g. `["https://app.example.com"]`
   * (scheme, host and port must match exactly). Other origins get 403. A
   * request without an `Origin` header is allowed: browsers always send
   * one, non-browser clients usually do not. Default: any origin.
   */
  origins?: string[];
  /**
   * Bytes of outgoing buffer below which a socket counts as drained:
   * `socket.drained()` resolves and the `drain` handler runs once when the
   * buffer falls from above it to at or below it. Default 65536 (64 KiB).
   */
  lowWaterMark?: number;
  /**
   * Most memory queued for one peer, in bytes. A send beyond it is refused
   * (`send()` returns `"dropped"`) and `onBackpressureLimit` applies. What
   * counts is what the engine holds: on Bun the queued bytes (frame headers
   * included); on Deno the queued bytes plus 1 KiB per queued send, the
   * measured cost of one inside Deno's engine (so a peer asking for tiny
   * replies is refused after ~16,000 queued sends, not 2 million).
   * Default 16777216 (16 MiB).
   */
  backpressureLimit?: number;
  /**
   * What a send past `backpressureLimit` does besides being refused:
   * `"drop"` (just refuse it) or `"close"` (close the connection with 1008).
   * Default `"drop"`.
   */
  onBackpressureLimit?: "close" | "drop";
  /**
   * Deno only: free a binary message's memory as soon as a synchronous
   * `message` handler returns, instead of when V8's garbage collector gets
   * to it. Under heavy binary traffic Deno otherwise holds hundreds of MB
   * of dead received buffers (bench/investigate/DENO_RSS.md: 64 KiB echo,
   * 290 MB → 76 MB). The price: a handler must not keep `msg.bytes()` (or
   * the Message) past its own return; copy what it keeps
   * (`msg.bytes().slice()`). Async handlers (returning a promise) are left
   * alone. Everything fullduplex does with the bytes during the handler is
   * safe (Deno's send() copies them; the Redis broker encodes them at once);
   * a custom Broker must not hold `data` past its `publish` call. No effect
   * on Bun, which manages that memory itself. Default false.
   */
  releaseReceivedBuffers?: boolean;
}

/**
 * Per-connection rate limit (a token bucket).
 *
 * @example
 * ```ts
 * import { serve } from "@fullduplex/fullduplex";
 * // 20 messages a second on average, bursts of up to 50; beyond that, close with 1008.
 * serve({ port: 8080, rateLimit: { messagesPerSecond: 20, burst: 50, action: "close" } });
 * ```
 */
export interface RateLimitOptions {
  /** Sustained messages per second. */
  messagesPerSecond: number;
  /** Messages allowed at once above the rate. Default: `messagesPerSecond` (at least 1). */
  burst?: number;
  /** `"close"` closes the connection with 1008 (default); `"drop"` discards the message. */
  action?: "close" | "drop";
}

/**
 * Upgrade attempts one remote address may make (a token bucket per address).
 *
 * @example
 * ```ts
 * import { serve } from "@fullduplex/fullduplex";
 * // 2 upgrades a second per address on average, bursts of 10; beyond that, 429 with Retry-After.
 * serve({ port: 8080, upgradeRateLimit: { perSecond: 2, burst: 10 }, maxConnectionsPerAddress: 32 });
 * ```
 */
export interface UpgradeRateLimitOptions {
  /** Sustained upgrades per second per address. */
  perSecond: number;
  /** Upgrades allowed at once above the rate. Default: `perSecond` (at least 1). */
  burst?: number;
}

/**
 * Options of {@link createHandler}: handlers plus limits (plus an optional topic broker).
 *
 * @example
 * ```ts
 * import { createHandler } from "@fullduplex/fullduplex";
 * import type { WebSocketOptions } from "@fullduplex/fullduplex";
 * const options: WebSocketOptions = { idleTimeout: 30, message: (socket, msg) => socket.send(msg.text()) };
 * const ws = createHandler(options);
 * ```
 */
export interface WebSocketOptions<D = unknown> extends WebSocketHandlers<D>, WebSocketLimits {
  /**
   * Carries `publish` to the subscribers of every server sharing it (Redis,
   * `MemoryBroker`, your own). Default: none, topics stay in this server.
   */
  broker?: Broker;
  /**
   * Answers the client heartbeat: a text message equal to `ping` gets `pong`
   * back and is not passed to the `message` handler. `false` turns it off
   * (the handler then sees every message). Default
   * `{ ping: "ping", pong: "pong" }`.
   */
  heartbeat?: ServerHeartbeatOptions | false;
  /** Turns channels on (docs/channels.md): clients subscribe and publish themselves under `authorize`. Default: off. */
  channels?: ChannelsOptions<D>;
}

/** Resolved limits with defaults applied. Internal. */
export interface ResolvedLimits {
  /** Subprotocols the server accepts, in order of preference. */
  protocols: readonly string[];
  /** Largest message in bytes. */
  maxMessageBytes: number;
  /** Seconds of silence before a ping; 0 = off. */
  idleTimeout: number;
  /** Seconds to wait for the peer's close frame. */
  closeTimeout: number;
  /** `Infinity` when there is no limit. */
  maxConnections: number;
  /** The per-connection rate limit, or undefined for none. */
  rateLimit: Readonly<Required<RateLimitOptions>> | undefined;
  /** `Infinity` when there is no per-address limit. */
  maxConnectionsPerAddress: number;
  /** The per-address upgrade rate limit, or undefined for none. */
  upgradeRateLimit: Readonly<Required<UpgradeRateLimitOptions>> | undefined;
  /** `Infinity` when there is no limit. */
  maxMessagesWhileBackpressured: number;
  /** Normalised origins (`URL.origin`), or undefined for any origin. */
  origins: ReadonlySet<string> | undefined;
  /** Bytes below which a socket counts as drained. */
  lowWaterMark: number;
  /** Most memory queued for one peer (Deno: bytes plus 1 KiB per queued send). */
  backpressureLimit: number;
  /** What a send past the limit does besides being refused. */
  onBackpressureLimit: "close" | "drop";
  /** Free binary messages' buffers after a synchronous handler returns (Deno). */
  releaseReceivedBuffers: boolean;
}

/** Default limits (the numbers the option docs above state). Internal. */
export const DEFAULT_LIMITS: Readonly<ResolvedLimits> = Object.freeze({
  protocols: Object.freeze([]) as readonly string[],
  maxMessageBytes: 1024 * 1024,
  idleTimeout: 60,
  closeTimeout: 5,
  maxConnections: Infinity,
  rateLimit: undefined,
  maxConnectionsPerAddress: Infinity,
  upgradeRateLimit: undefined,
  maxMessagesWhileBackpressured: Infinity,
  origins: undefined,
  lowWaterMark: 64 * 1024,
  backpressureLimit: 16 * 1024 * 1024,
  onBackpressureLimit: "drop",
  releaseReceivedBuffers: false,
});

function checkNumber(name: string, value: unknown, min: number, max: number, integer = false): number {
  if (typeof value !== "number" || Number.isNaN(value) || value < min || value > max || (integer && !Number.isInteger(value))) {
    throw new RangeError(`${name} must be ${integer ? "an integer" : "a number"} from ${min} to ${max}, got ${String(value)}`);
  }
  return value;
}

/** The RFC 7230 token characters a subprotocol name may use. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** Applies defaults and throws a clear error for a bad option. */
export function resolveLimits(options: WebSocketLimits): ResolvedLimits {
  const protocols = options.protocols ?? DEFAULT_LIMITS.protocols;
  if (!Array.isArray(protocols) || protocols.some((p) => typeof p !== "string" || !TOKEN.test(p))) {
    throw new TypeError('protocols must be an array of subprotocol names (HTTP tokens such as "chat.v1")');
  }
  if (protocols.includes(CHANNELS_PROTOCOL)) {
    throw new TypeError(`protocols: ${CHANNELS_PROTOCOL} is agreed by the channels option, not listed in protocols`);
  }
  return {
    protocols: [...protocols],
    maxMessageBytes: checkNumber("maxMessageBytes", options.maxMessageBytes ?? DEFAULT_LIMITS.maxMessageBytes, 1, 2 ** 31 - 1, true),
    // Bun's native ceiling is 960 s; we keep the same upper bound on both runtimes.
    idleTimeout: checkNumber("idleTimeout", options.idleTimeout ?? DEFAULT_LIMITS.idleTimeout, 0, 960),
    closeTimeout: checkNumber("closeTimeout", options.closeTimeout ?? DEFAULT_LIMITS.closeTimeout, 0.01, 3600),
    maxConnections: optionalLimit("maxConnections", options.maxConnections),
    rateLimit: resolveRateLimit(options.rateLimit),
    maxConnectionsPerAddress: optionalLimit("maxConnectionsPerAddress", options.maxConnectionsPerAddress),
    upgradeRateLimit: resolveUpgradeRateLimit(options.upgradeRateLimit),
    maxMessagesWhileBackpressured: optionalLimit("maxMessagesWhileBackpressured", options.maxMessagesWhileBackpressured, 0),
    origins: resolveOrigins(options.origins),
    lowWaterMark: checkNumber("lowWaterMark", options.lowWaterMark ?? DEFAULT_LIMITS.lowWaterMark, 0, 2 ** 31 - 1, true),
    backpressureLimit: checkNumber(
      "backpressureLimit",
      options.backpressureLimit ?? DEFAULT_LIMITS.backpressureLimit,
      1,
      2 ** 31 - 1,
      true,
    ),
    onBackpressureLimit: checkChoice("onBackpressureLimit", options.onBackpressureLimit ?? DEFAULT_LIMITS.onBackpressureLimit),
    releaseReceivedBuffers: checkBoolean("releaseReceivedBuffers", options.releaseReceivedBuffers ?? DEFAULT_LIMITS.releaseReceivedBuffers),
  };
}

/** An optional whole-number limit: Infinity when absent. */
function optionalLimit(name: string, value: number | undefined, min = 1): number {
  return value === undefined ? Infinity : checkNumber(name, value, min, 2 ** 31 - 1, true);
}

function resolveUpgradeRateLimit(rate: UpgradeRateLimitOptions | undefined): Readonly<Required<UpgradeRateLimitOptions>> | undefined {
  if (rate === undefined) return undefined;
  if (typeof rate !== "object" || rate === null) {
    throw new TypeError("upgradeRateLimit must be an object such as { perSecond: 5, burst: 20 }");
  }
  const perSecond = checkNumber("upgradeRateLimit.perSecond", rate.perSecond, 0.001, 1e6);
  const burst = checkNumber("upgradeRateLimit.burst", rate.burst ?? Math.max(1, perSecond), 1, 1e6);
  return Object.freeze({ perSecond, burst });
}

function checkBoolean(name: string, value: unknown): boolean {
  if (typeof value !== "boolean") throw new TypeError(`${name} must be true or false, got ${JSON.stringify(value)}`);
  return value;
}

function checkChoice(name: string, value: unknown): "close" | "drop" {
  if (value !== "close" && value !== "drop") throw new TypeError(`${name} must be "close" or "drop", got ${JSON.stringify(value)}`);
  return value;
}

function resolveRateLimit(rate: RateLimitOptions | undefined): Readonly<Required<RateLimitOptions>> | undefined {
  if (rate === undefined) return undefined;
  if (typeof rate !== "object" || rate === null) {
    throw new TypeError('rateLimit must be an object such as { messagesPerSecond: 50, burst: 100, action: "close" }');
  }
  const messagesPerSecond = checkNumber("rateLimit.messagesPerSecond", rate.messagesPerSecond, 0.001, 1e9);
  const burst = checkNumber("rateLimit.burst", rate.burst ?? Math.max(1, messagesPerSecond), 1, 1e9);
  return Object.freeze({ messagesPerSecond, burst, action: checkChoice("rateLimit.action", rate.action ?? "close") });
}

function resolveOrigins(origins: string[] | undefined): ReadonlySet<string> | undefined {
  if (origins === undefined) return undefined;
  if (!Array.isArray(origins)) throw new TypeError('origins must be an array of origins such as ["https://app.example.com"]');
  const set = new Set<string>();
  for (const origin of origins) {
    let parsed: URL | undefined;
    try {
      parsed = typeof origin === "string" ? new URL(origin) : undefined;
    } catch { /* reported below */ }
    // An origin is scheme://host[:port] and nothing else: a path, a query or a "*" is a mistake to point out.
    const bare = parsed !== undefined && parsed.origin !== "null" && parsed.pathname === "/" && parsed.search === "" &&
      parsed.hash === "" && parsed.username === "" && !origin.includes("*") && !/\/\/.*\/./.test(origin);
    if (!bare) {
      throw new TypeError(
        `origins: ${
          JSON.stringify(origin)
        } is not an origin; write scheme://host[:port], e.g. "https://app.example.com" (no path, no wildcard)`,
      );
    }
    set.add(parsed!.origin);
  }
  return set;
}
