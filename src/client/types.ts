/**
 * The public types of the client: where to connect (`UrlSource`), the
 * options of `connect()`, and the events a `Client` emits with what each
 * tells (channel types are in channel_types.ts). Types only, no code.
 *
 * @module
 */

import type { Message } from "../shared/message.ts";
import type { CloseInfo } from "../shared/types.ts";
import type { ReconnectOptions } from "./reconnect.ts";
import type { QueueOptions } from "./queue.ts";
import type { HeartbeatOptions } from "./heartbeat.ts";
import type { RequestDefaults } from "./request.ts";
import type { PublicationEvent } from "./channel_types.ts";

/**
 * Where to connect: a `ws:`/`wss:` URL, or a function returning one (it may
 * be async), called before every attempt so each can carry a fresh token.
 *
 * @example A fresh token in the URL on every reconnect
 * ```ts
 * import { connect } from "@fullduplex/fullduplex";
 * import type { UrlSource } from "@fullduplex/fullduplex";
 * const fetchToken = async (): Promise<string> => "t0ken";
 * const url: UrlSource = async () => `ws://localhost:8080/live?token=${await fetchToken()}`;
 * const ws = await connect(url, { reconnect: true });
 * ```
 */
export type UrlSource = string | URL | (() => string | URL | Promise<string | URL>);

/**
 * Options of {@link connect}.
 *
 * @example
 * ```ts
 * import { connect } from "@fullduplex/fullduplex";
 * import type { ConnectOptions } from "@fullduplex/fullduplex";
 * const options: ConnectOptions = { protocols: ["chat.v1"], headers: { authorization: "Bearer t0ken" }, timeout: 5000 };
 * const ws = await connect("ws://localhost:8080", options);
 * ```
 */
export interface ConnectOptions {
  /** Subprotocols to offer, in order of preference. */
  protocols?: string | string[];
  /**
   * Extra handshake headers (e.g. `Authorization`). Deno and Bun only:
   * browsers and Node.js cannot send them, and connect() rejects there.
   */
  headers?: Record<string, string>;
  /** Milliseconds to wait for each connection attempt to open. Default 10000. */
  timeout?: number;
  /**
   * PEM CA certificate(s) to trust for `wss://` (self-signed set-ups), on
   * Deno and Bun. Browsers and Node.js ignore it: install the CA in the
   * system's trust store there.
   */
  ca?: string | string[];
  /**
   * Reconnect after an unexpected close, with exponential backoff and full
   * jitter. `true` takes the defaults of {@link ReconnectOptions}. With
   * reconnect on, `connect()` also retries the FIRST connection the same
   * way and rejects with a {@link ConnectError} once `maxRetries` attempts
   * have failed. Default `false`.
   */
  reconnect?: boolean | ReconnectOptions;
  /**
   * The offline queue used while reconnecting (only with `reconnect`):
   * `send()` queues, and the queue is flushed in order when a connection
   * opens. `false` makes `send()` throw while disconnected. Default
   * `{ maxMessages: 1000, maxBytes: 1048576, whenFull: "throw" }`.
   */
  queue?: boolean | QueueOptions;
  /**
   * Application-level dead-link detection: `true` for the defaults of
   * {@link HeartbeatOptions}, a number for the interval in ms. Default `false`.
   */
  heartbeat?: boolean | number | HeartbeatOptions;
  /** Defaults of `client.request()`: `{ idField: "id", timeout: 10000 }` (the timeout is also that of channel requests). */
  request?: RequestDefaults;
  /**
   * Offer the channels subprotocol (`fullduplex.channels.v1`, before
   * `protocols`) so that `client.subscribe()` works on a server with
   * channels. Only when the server agrees (`client.protocol` is then
   * `"fullduplex.channels.v1"`) does anything change on the wire: the
   * client's own messages are then wrapped in a one-byte tag, which the
   * server removes (its app sees exactly what was sent). Default `false`.
   */
  channels?: boolean;
}

/**
 * What a `reconnecting` event tells.
 *
 * @example
 * ```ts
 * import { connect } from "@fullduplex/fullduplex";
 * const ws = await connect("ws://localhost:8080", { reconnect: true });
 * ws.on("reconnecting", ({ attempt, delay, code }) => console.log(`lost (${code}), attempt ${attempt} in ${delay} ms`));
 * ```
 */
export interface ReconnectingEvent {
  /** Number of this attempt since the last stable connection (1, 2, …). */
  attempt: number;
  /** Ms until the attempt starts. */
  delay: number;
  /** Close code of the drop (or failed attempt) that caused it: 1006 for a network failure, 4000 for a dead heartbeat. */
  code: number;
  /** Close reason, or the reason the last attempt failed. */
  reason: string;
}

/**
 * What a `reconnected` event tells.
 *
 * @example Subscribing again after a reconnect
 * ```ts
 * import { connect } from "@fullduplex/fullduplex";
 * const ws = await connect("ws://localhost:8080", { reconnect: true });
 * ws.on("reconnected", ({ url, attempts }) => {
 *   console.log(`back on ${url} after ${attempts} attempt(s)`);
 *   ws.sendJson({ type: "subscribe", topic: "news" });
 * });
 * ```
 */
export interface ReconnectedEvent {
  /** The URL now connected to. */
  url: string;
  /** Attempts it took since the last stable connection. */
  attempts: number;
}

/**
 * What a `drop` event tells: a message that was accepted by `send()` and will never be sent.
 *
 * @example
 * ```ts
 * import { connect } from "@fullduplex/fullduplex";
 * const ws = await connect("ws://localhost:8080", { reconnect: true, queue: { maxMessages: 100, whenFull: "drop-oldest" } });
 * ws.on("drop", ({ data, reason }) => console.warn(`not sent (${reason}):`, data));
 * ```
 */
export interface DropEvent {
  /** The message itself. */
  data: string | Uint8Array;
  /** Why: dropped to make room in a full queue, or still queued when the client closed for good. */
  reason: string;
}

/**
 * Events a client emits.
 *
 * @example
 * ```ts
 * import { connect } from "@fullduplex/fullduplex";
 * const ws = await connect("ws://localhost:8080");
 * ws.on("message", (msg) => console.log(msg.text()));
 * ws.on("error", (err) => console.error(err.message));
 * ws.on("close", ({ code, reason }) => console.log("closed", code, reason));
 * ```
 */
export interface ClientEvents {
  /** A message arrived. */
  message: Message;
  /** A connection opened (the first one before `connect()` resolves, then every reconnect). */
  open: { url: string };
  /** The connection dropped (or an attempt failed) and a new attempt is scheduled. */
  reconnecting: ReconnectingEvent;
  /** A reconnect succeeded (after its `open`, after the offline queue was flushed). */
  reconnected: ReconnectedEvent;
  /**
   * The client closed for good (code normalised: 1006 when it ended without a
   * close frame). Fires once; with reconnect, not on each drop.
   */
  close: CloseInfo;
  /** A transport error, a failed reconnect attempt, reconnecting gave up, or a malformed channel frame from the server. */
  error: Error;
  /** A message `send()` (or a publish) had accepted will not be sent (it is never silently lost). */
  drop: DropEvent;
  /** A channel publication on a topic the server subscribed this client to itself (no `Subscription` of it). */
  publication: PublicationEvent;
}

/**
 * A listener of one client event (see {@link ClientEvents}).
 *
 * @example
 * ```ts
 * import { connect } from "@fullduplex/fullduplex";
 * import type { ClientEvents, Listener } from "@fullduplex/fullduplex/client";
 * const ws = await connect("ws://localhost:8080");
 * const onMessage: Listener<ClientEvents["message"]> = (msg) => console.log(msg.text());
 * ws.on("message", onMessage);
 * ```
 */
export type Listener<T> = (value: T) => void;
