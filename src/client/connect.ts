/**
 * `connect()`: a client over the standard `WebSocket` (Deno, Bun, browsers,
 * Node.js 22+) that resolves when open, iterates messages, reports close
 * codes the same way everywhere and closes cleanly. Optionally it rides out
 * drops: reconnect with backoff (reconnect.ts), an offline queue
 * (queue.ts), dead-link detection (heartbeat.ts) and request/reply
 * (request.ts); this file orchestrates them.
 *
 * Only the standard WebSocket API is used here (it must bundle for
 * browsers); Deno/Bun extras (headers, ca) sit behind a feature check.
 *
 * @module
 */

import { assertCloseArgs, normalizeReceivedCloseCode, truncateCloseReason } from "../shared/close_codes.ts";
import { ConnectError, InvalidStateError, RequestError } from "../shared/errors.ts";
import { Message } from "../shared/message.ts";
import type { SendData } from "../shared/message.ts";
import type { CloseInfo } from "../shared/types.ts";
import { framePayload, jsonPayload } from "../shared/payload.ts";
import { backoffDelay, resolveReconnect } from "./reconnect.ts";
import type { ReconnectOptions, ResolvedReconnect } from "./reconnect.ts";
import { OfflineQueue, resolveQueue } from "./queue.ts";
import type { QueueOptions } from "./queue.ts";
import { HEARTBEAT_CLOSE_CODE, HeartbeatMonitor, resolveClientHeartbeat } from "./heartbeat.ts";
import type { HeartbeatOptions, ResolvedHeartbeat } from "./heartbeat.ts";
import { PendingRequests, resolveRequestDefaults } from "./request.ts";
import type { RequestDefaults, RequestOptions } from "./request.ts";
import { createNativeSocket } from "./native_socket.ts";
import type { StandardWebSocket } from "./native_socket.ts";

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
  /** Defaults of `client.request()`: `{ idField: "id", timeout: 10000 }`. */
  request?: RequestDefaults;
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
  /** A transport error, a failed reconnect attempt, or reconnecting gave up. */
  error: Error;
  /** A message `send()` had accepted will not be sent (it is never silently lost). */
  drop: DropEvent;
}

/**
 * A listener of one client event (see {@link ClientEvents}).
 *
 * @example
 * ```ts
 * import { connect } from "@fullduplex/fullduplex";
 * import type { ClientEvents, Listener } from "@fullduplex/fullduplex";
 * const ws = await connect("ws://localhost:8080");
 * const onMessage: Listener<ClientEvents["message"]> = (msg) => console.log(msg.text());
 * ws.on("message", onMessage);
 * ```
 */
export type Listener<T> = (value: T) => void;


/** Most messages held for a consumer that has not started iterating yet. */
const BACKLOG_LIMIT = 10_000;

/** How often `drained()` looks at `bufferedAmount` (the standard WebSocket has no drain event). */
const DRAIN_POLL_MS = 10;

const KNOWN_CAUSES: Record<string, string> = {
  ECONNREFUSED: "connection refused (ECONNREFUSED)",
  ENOTFOUND: "host not found (ENOTFOUND)",
  ETIMEDOUT: "connection timed out (ETIMEDOUT)",
  ECONNRESET: "connection reset (ECONNRESET)",
  "tcp connect error": "connection refused or unreachable (tcp connect error)",
  "dns error": "host not found (dns error)",
};

/**
 * Describes a runtime's error event as text, the same way on each runtime
 * where the cause is known (Bun gives `error.code`, Deno a message ending in
 * "tcp connect error" or "dns error").
 */
export function describeErrorEvent(ev: Event | undefined): string {
  const e = ev as (Event & { message?: string; error?: { message?: string; code?: unknown } }) | undefined;
  const code = e?.error?.code;
  if (typeof code === "string" && KNOWN_CAUSES[code]) return KNOWN_CAUSES[code];
  const text = e?.error?.message || e?.message || "";
  for (const [needle, friendly] of Object.entries(KNOWN_CAUSES)) if (text.endsWith(needle)) return friendly;
  return text || "connection failed";
}

/** Options with defaults applied, resolved once by connect(). */
interface Settings {
  reconnect: ResolvedReconnect | undefined;
  queue: OfflineQueue | undefined;
  heartbeat: ResolvedHeartbeat | undefined;
  requests: PendingRequests;
}

/** What connect() waits for: the first open, or the first attempt's final failure. */
interface FirstOpen {
  resolve(client: Client): void;
  reject(err: Error): void;
}

const CONNECTING = 0;
const OPEN = 1;
const CLOSING = 2;
const CLOSED = 3;

/**
 * A connected client. Iterate it to read messages; the loop ends when the
 * client is closed for good (with reconnect on: by `close()`, a final close
 * code, or giving up), not on each drop.
 *
 * @example
 * ```ts
 * import { connect } from "@fullduplex/fullduplex";
 * const ws = await connect("ws://localhost:8080");
 * ws.send("Hello");
 * for await (const msg of ws) {
 *   console.log(msg.text());
 *   await ws.close();
 * }
 * console.log(ws.closeCode); // 1000
 * ```
 */
export class Client implements AsyncIterable<Message> {
  readonly #source: UrlSource;
  readonly #options: ConnectOptions;
  readonly #reconnect: ResolvedReconnect | undefined;
  readonly #queue: OfflineQueue | undefined;
  readonly #heartbeatOptions: ResolvedHeartbeat | undefined;
  readonly #requests: PendingRequests;
  #heartbeat: HeartbeatMonitor | undefined;
  #url: string;
  #ws: StandardWebSocket | undefined;
  #protocol = "";
  /** 0 connecting or waiting to reconnect, 1 open, 2 close() called, 3 closed for good. */
  #state: 0 | 1 | 2 | 3 = CONNECTING;
  #closeInfo: CloseInfo | undefined;
  readonly #closed: Promise<CloseInfo>;
  #resolveClosed!: (info: CloseInfo) => void;
  readonly #listeners: { [K in keyof ClientEvents]: Set<Listener<ClientEvents[K]>> } = {
    message: new Set(),
    open: new Set(),
    reconnecting: new Set(),
    reconnected: new Set(),
    close: new Set(),
    error: new Set(),
    drop: new Set(),
  };
  readonly #iterators = new Set<MessageQueue>();
  /** Messages that arrived while nobody consumed them (bounded), handed to the next consumer. */
  #backlog: Message[] = [];
  /** Attempts since the last stable connection. */
  #attempt = 0;
  #openedAt = 0;
  #everOpened = false;
  #first: FirstOpen | undefined;
  #retryTimer: ReturnType<typeof setTimeout> | undefined;
  #closeTimer: ReturnType<typeof setTimeout> | undefined;
  #abortAttempt: (() => void) | undefined;
  /** Why the last attempt failed, for the error when reconnecting gives up. */
  #lastFailure = "";
  /** How the last connection ended, reported when reconnecting gives up. */
  #lastDrop: CloseInfo | undefined;

  /** @internal Use {@link connect}. */
  constructor(source: UrlSource, options: ConnectOptions, settings: Settings, first: FirstOpen) {
    this.#source = source;
    this.#options = options;
    this.#reconnect = settings.reconnect;
    this.#queue = settings.queue;
    this.#heartbeatOptions = settings.heartbeat;
    this.#requests = settings.requests;
    this.#first = first;
    this.#url = typeof source === "function" ? "(url function)" : String(source);
    this.#closed = new Promise((resolve) => (this.#resolveClosed = resolve));
    this.#attemptConnection();
  }

  /** The URL of the current (or last) connection. */
  get url(): string {
    return this.#url;
  }

  /** The subprotocol the server agreed to, or `""`. */
  get protocol(): string {
    return this.#ws?.protocol ?? this.#protocol;
  }

  /**
   * 0 connecting (also while waiting to reconnect), 1 open, 2 closing,
   * 3 closed for good.
   */
  get readyState(): number {
    if (this.#state === OPEN) return this.#ws!.readyState;
    return this.#state;
  }

  /**
   * Bytes accepted by send() and not yet written to the network: the
   * current connection's buffer plus the offline queue.
   */
  get bufferedAmount(): number {
    return (this.#ws?.bufferedAmount ?? 0) + (this.#queue?.bytes ?? 0);
  }

  /** The close code once closed for good (1006 when the connection ended without a close frame). */
  get closeCode(): number | undefined {
    return this.#closeInfo?.code;
  }

  /** The close reason once closed for good. */
  get closeReason(): string | undefined {
    return this.#closeInfo?.reason;
  }

  /** Resolves with the code and reason once the client has closed for good. */
  get closed(): Promise<CloseInfo> {
    return this.#closed;
  }

  /**
   * Sends text (a text frame) or bytes (a binary frame). While reconnecting
   * the message goes to the offline queue (sent in order, once, when the
   * next connection opens); a full queue throws {@link QueueFullError} (or
   * drops the oldest, reported by a `drop` event). Throws InvalidStateError
   * when closed, or when not open and there is no queue.
   */
  send(data: SendData): void {
    this.#send(framePayload(data, "send"), undefined);
  }

  /** Sends `JSON.stringify(value)` as a text frame. */
  sendJson(value: unknown): void {
    this.#send(jsonPayload(value, "send"), undefined);
  }

  /**
   * Sends `value` (a JSON object) with a correlation id added under the
   * `request.idField` option (default `"id"`) and resolves with the reply:
   * the first JSON object received that carries the same id (replies may
   * come in any order). Replies are consumed here, not delivered as
   * messages. Rejects with a {@link RequestError}: `"timeout"` after
   * `timeout` ms, `"closed"` when the connection closes first. While
   * reconnecting the request waits in the offline queue (its timeout runs).
   *
   * @example
   * ```ts
   * import { connect } from "@fullduplex/fullduplex";
   * const ws = await connect("ws://localhost:8080");
   * const reply = await ws.request<{ sum: number }>({ type: "sum", values: [1, 2] }, { timeout: 2000 });
   * console.log(reply.sum);
   * ```
   */
  request<T = unknown>(value: Record<string, unknown>, options?: RequestOptions): Promise<T> {
    if (this.#state >= CLOSING) return Promise.reject(new InvalidStateError(`cannot send a request: the connection to ${this.#url} is ${this.#state === CLOSED ? "closed" : "closing"}`));
    let created: { text: string; id: string; reply: Promise<unknown> };
    try {
      created = this.#requests.create(value, options);
    } catch (err) {
      return Promise.reject(err);
    }
    try {
      if (this.#send(created.text, created.id)) this.#requests.markSent(created.id);
    } catch (err) {
      this.#requests.fail(created.id, err instanceof Error ? err : new Error(String(err)));
    }
    return created.reply as Promise<T>;
  }

  /**
   * Resolves once `bufferedAmount` is at most `threshold` bytes (default 0),
   * so a producer can pace itself; rejects with InvalidStateError if the
   * client closes for good first. (The standard WebSocket has no drain
   * event, so this looks every 10 ms.)
   *
   * @example
   * ```ts
   * import { connect } from "@fullduplex/fullduplex";
   * const ws = await connect("ws://localhost:8080");
   * const chunks = [new Uint8Array(65536), new Uint8Array(65536)];
   * for (const chunk of chunks) {
   *   ws.send(chunk);
   *   if (ws.bufferedAmount > 1 << 20) await ws.drained();
   * }
   * ```
   */
  async drained(threshold = 0): Promise<void> {
    while (this.bufferedAmount > threshold) {
      await new Promise((resolve) => setTimeout(resolve, DRAIN_POLL_MS));
      if (this.#state === CLOSED) {
        throw new InvalidStateError(`the connection to ${this.#url} closed for good before its buffered data was sent`);
      }
    }
  }

  /**
   * Closes the connection, stops reconnecting for good, and resolves once
   * closed. `code` must be 1000 or 3000–4999 and `reason` at most 123 UTF-8
   * bytes (RangeError otherwise). Messages still in the offline queue are
   * reported by `drop` events.
   */
  close(code = 1000, reason = ""): Promise<CloseInfo> {
    assertCloseArgs(code, reason);
    if (this.#state >= CLOSING) return this.#closed;
    this.#state = CLOSING;
    this.#cancelAttempt();
    const ws = this.#ws;
    if (ws === undefined) {
      this.#finish({ code, reason });
      return this.#closed;
    }
    this.#heartbeat?.stop();
    if (ws.readyState < 2) ws.close(code, reason);
    // A peer that never answers the close frame must not keep close() pending forever.
    const wait = this.#options.timeout ?? 10_000;
    this.#closeTimer = setTimeout(() => this.#dropped(ws, { code: 1006, reason: "close handshake timed out" }, true), wait);
    return this.#closed;
  }

  /**
   * Adds a listener; returns a function that removes it.
   *
   * @example
   * ```ts
   * import { connect } from "@fullduplex/fullduplex";
   * const ws = await connect("ws://localhost:8080");
   * const off = ws.on("message", (msg) => console.log(msg.text()));
   * ws.on("reconnecting", ({ attempt, delay }) => console.log(`retry ${attempt} in ${delay} ms`));
   * off();
   * ```
   */
  on<K extends keyof ClientEvents>(event: K, listener: (value: ClientEvents[K]) => void): () => void {
    const set = this.#listeners[event] as Set<Listener<ClientEvents[K]>>;
    if (set === undefined) throw new TypeError(`unknown client event ${JSON.stringify(event)}`);
    set.add(listener);
    if (event === "message") this.#flushBacklogTo(listener as Listener<Message>);
    if (event === "close" && this.#closeInfo) (listener as Listener<CloseInfo>)(this.#closeInfo);
    return () => set.delete(listener);
  }

  /**
   * Dart-style listening: `onData` per message, `onError` per error,
   * `onDone` once when the client has closed for good.
   *
   * @example
   * ```ts
   * import { connect } from "@fullduplex/fullduplex";
   * const ws = await connect("ws://localhost:8080");
   * ws.listen((msg) => console.log("Message:", msg.text()), {
   *   onError: (err) => console.log("Error:", err.message),
   *   onDone: () => console.log("Connection closed"),
   * });
   * ```
   */
  listen(onData: (msg: Message) => void, handlers: { onError?: (err: Error) => void; onDone?: (info: CloseInfo) => void } = {}): () => void {
    const offs = [this.on("message", onData)];
    if (handlers.onError) offs.push(this.on("error", handlers.onError));
    if (handlers.onDone) offs.push(this.on("close", handlers.onDone));
    return () => offs.forEach((off) => off());
  }

  /** Iterates messages until the client closes for good (not on each drop). */
  [Symbol.asyncIterator](): AsyncIterator<Message> {
    const queue = new MessageQueue((leftover) => {
      this.#iterators.delete(queue);
      // A loop that stopped early leaves unread messages for the next consumer.
      if (leftover.length > 0 && !this.#closeInfo) this.#backlog = leftover.concat(this.#backlog);
    });
    for (const msg of this.#backlog) queue.push(msg);
    this.#backlog = [];
    if (this.#closeInfo) queue.end();
    else this.#iterators.add(queue);
    return queue;
  }

  /**
   * Sends now when open, else queues. Returns true when handed to an open
   * connection, false when queued. Throws when neither is possible.
   */
  #send(payload: string | Uint8Array, requestId: string | undefined): boolean {
    const ws = this.#ws;
    if (this.#state === OPEN && ws!.readyState === 1) {
      ws!.send(payload);
      return true;
    }
    if (this.#state >= CLOSING || this.#queue === undefined) {
      throw new InvalidStateError(`cannot send: the connection to ${this.#url} is ${this.#closeInfo ? "closed" : this.#state === CLOSING ? "closing" : "not open"}`);
    }
    // Not open (waiting to reconnect, or the open connection is closing):
    // queue it; it goes out first on the next connection, or a drop event says it never will.
    for (const dropped of this.#queue.push(payload, requestId)) this.#reportDrop(dropped.data, dropped.requestId, "dropped from the full offline queue to make room (queue.whenFull: \"drop-oldest\")");
    return false;
  }

  #reportDrop(data: string | Uint8Array, requestId: string | undefined, reason: string): void {
    if (requestId !== undefined) this.#requests.fail(requestId, new RequestError("dropped", `request ${requestId} was not sent: ${reason}`));
    this.#emit("drop", { data, reason });
  }

  /** Starts one attempt: resolve the URL (the function may be async), then dial. */
  #attemptConnection(): void {
    this.#retryTimer = undefined;
    const source = this.#source;
    if (typeof source !== "function") {
      this.#dial(String(source));
      return;
    }
    let pending: Promise<string | URL>;
    try {
      pending = Promise.resolve(source());
    } catch (err) {
      pending = Promise.reject(err);
    }
    pending.then(
      (url) => this.#dial(String(url)),
      (err) => this.#attemptFailed(`the url function failed: ${err instanceof Error ? err.message : String(err)}`),
    );
  }

  #dial(href: string): void {
    if (this.#state >= CLOSING) return;
    this.#url = href;
    try {
      this.#abortAttempt = openSocket(href, this.#options, {
        opened: (ws) => {
          this.#abortAttempt = undefined;
          this.#opened(ws);
        },
        failed: (reason) => {
          this.#abortAttempt = undefined;
          this.#attemptFailed(reason);
        },
      });
    } catch (err) {
      // A bad URL or an unusable runtime: no attempt can ever succeed.
      this.#fatal(err instanceof ConnectError ? err : new ConnectError(href, err instanceof Error ? err.message : String(err), { cause: err }));
    }
  }

  #cancelAttempt(): void {
    if (this.#retryTimer !== undefined) clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
    this.#abortAttempt?.();
    this.#abortAttempt = undefined;
  }

  #opened(ws: StandardWebSocket): void {
    if (this.#state >= CLOSING) {
      ws.close();
      return;
    }
    const reconnected = this.#everOpened;
    this.#everOpened = true;
    this.#ws = ws;
    this.#protocol = ws.protocol;
    this.#state = OPEN;
    this.#openedAt = Date.now();
    const heartbeat = this.#heartbeatOptions ? new HeartbeatMonitor(this.#heartbeatOptions) : undefined;
    this.#heartbeat = heartbeat;
    const requests = this.#requests;
    ws.onmessage = (ev) => {
      const data = ev.data as string | ArrayBuffer;
      if (heartbeat !== undefined && heartbeat.received(data)) return;
      if (requests.size > 0 && typeof data === "string" && requests.match(data)) return;
      this.#deliver(Message.from(data));
    };
    ws.onerror = (ev) => this.#emit("error", new Error(describeErrorEvent(ev)));
    ws.onclose = (ev) => this.#dropped(ws, { code: normalizeReceivedCloseCode(ev.code), reason: ev.reason ?? "" }, false);
    // The offline queue goes out first, in order, before any later send():
    // nothing else can run between here and the end of this function.
    const queue = this.#queue;
    if (queue !== undefined && queue.length > 0) {
      for (const item of queue.takeAll()) {
        ws.send(item.data);
        if (item.requestId !== undefined) requests.markSent(item.requestId);
      }
    }
    heartbeat?.start(
      (text) => {
        if (ws.readyState === 1) ws.send(text);
      },
      () => this.#dropped(ws, { code: HEARTBEAT_CLOSE_CODE, reason: `no heartbeat reply within ${heartbeat.options.timeout} ms` }, true),
      () => ws.bufferedAmount,
    );
    this.#emit("open", { url: this.#url });
    if (reconnected) this.#emit("reconnected", { url: this.#url, attempts: this.#attempt });
    const first = this.#first;
    this.#first = undefined;
    first?.resolve(this);
  }

  #attemptFailed(reason: string): void {
    if (this.#state >= CLOSING) return;
    this.#lastFailure = reason;
    if (this.#reconnect === undefined) {
      // Only the first attempt exists without reconnect: connect() rejects.
      this.#fatal(new ConnectError(this.#url, reason));
      return;
    }
    if (this.#everOpened) this.#emit("error", new ConnectError(this.#url, reason));
    this.#scheduleRetry({ code: 1006, reason });
  }

  /**
   * A connection that was open ended: by its close event, by close() timing
   * out, or locally when the heartbeat found it dead (`local`).
   */
  #dropped(ws: StandardWebSocket, info: CloseInfo, local: boolean): void {
    if (ws !== this.#ws) return; // a stale event from a connection already given up
    ws.onopen = ws.onmessage = ws.onerror = ws.onclose = null;
    this.#ws = undefined;
    this.#heartbeat?.stop();
    this.#heartbeat = undefined;
    if (this.#closeTimer !== undefined) clearTimeout(this.#closeTimer);
    this.#closeTimer = undefined;
    if (local && ws.readyState < 2) {
      // The link is dead: the close frame will likely never be answered, so
      // do not wait for the engine (Deno keeps such a socket CLOSING until TCP ends).
      try {
        ws.close(info.code === HEARTBEAT_CLOSE_CODE ? info.code : 1000, truncateCloseReason(info.reason));
      } catch { /* already closing */ }
    }
    this.#lastDrop = info;
    const policy = this.#reconnect;
    if (this.#state === CLOSING || policy === undefined || (!local && !this.#wantsReconnect(policy, info))) {
      this.#finish(info);
      return;
    }
    this.#requests.rejectSent(`the connection closed (${info.code}${info.reason ? ` ${info.reason}` : ""}) before the reply arrived`);
    if (Date.now() - this.#openedAt >= policy.stableAfter) this.#attempt = 0;
    this.#scheduleRetry(info);
  }

  #wantsReconnect(policy: ResolvedReconnect, info: CloseInfo): boolean {
    try {
      return policy.shouldReconnect(info) === true;
    } catch (err) {
      this.#emit("error", err instanceof Error ? err : new Error(String(err)));
      return false;
    }
  }

  #scheduleRetry(cause: CloseInfo): void {
    const policy = this.#reconnect!;
    this.#state = CONNECTING;
    if (this.#attempt >= policy.maxRetries) {
      const n = this.#attempt;
      const why = this.#lastFailure || `the connection closed (${cause.code})`;
      this.#fatal(new ConnectError(this.#url, `${why}; gave up after ${n} reconnect attempt${n === 1 ? "" : "s"} (reconnect.maxRetries)`));
      return;
    }
    this.#attempt++;
    const delay = backoffDelay(this.#attempt, policy);
    this.#emit("reconnecting", { attempt: this.#attempt, delay, code: cause.code, reason: cause.reason });
    if (this.#state !== CONNECTING) return; // a listener called close()
    this.#retryTimer = setTimeout(() => this.#attemptConnection(), delay);
  }

  /** No attempt can or will succeed: connect() rejects, or an open client closes for good. */
  #fatal(err: ConnectError): void {
    const first = this.#first;
    if (first !== undefined) {
      this.#first = undefined;
      this.#state = CLOSED;
      first.reject(err);
      return;
    }
    this.#emit("error", err);
    this.#finish(this.#lastDrop ?? { code: 1006, reason: err.message });
  }

  #deliver(msg: Message): void {
    const listeners = this.#listeners.message;
    if (listeners.size === 0 && this.#iterators.size === 0) {
      // Nobody listens yet: keep it for the first consumer rather than lose it.
      if (this.#backlog.length < BACKLOG_LIMIT) this.#backlog.push(msg);
      else this.#emit("error", new Error(`message dropped: more than ${BACKLOG_LIMIT} messages arrived before anything consumed them`));
      return;
    }
    for (const listener of listeners) this.#call(listener, msg);
    for (const queue of this.#iterators) queue.push(msg);
  }

  #flushBacklogTo(listener: Listener<Message>): void {
    const backlog = this.#backlog;
    if (backlog.length === 0) return;
    this.#backlog = [];
    queueMicrotask(() => backlog.forEach((msg) => this.#call(listener, msg)));
  }

  #emit<K extends keyof ClientEvents>(event: K, value: ClientEvents[K]): void {
    for (const listener of this.#listeners[event]) this.#call(listener as Listener<ClientEvents[K]>, value);
  }

  #call<T>(listener: Listener<T>, value: T): void {
    try {
      listener(value);
    } catch (err) {
      // A listener's bug must not stop delivery to others or kill the process.
      queueMicrotask(() => {
        throw err;
      });
    }
  }

  #finish(info: CloseInfo): void {
    if (this.#closeInfo) return;
    this.#state = CLOSED;
    this.#closeInfo = info;
    this.#cancelAttempt();
    this.#heartbeat?.stop();
    this.#requests.rejectSent(`the client closed (${info.code}${info.reason ? ` ${info.reason}` : ""})`, true);
    if (this.#queue !== undefined && this.#queue.length > 0) {
      for (const item of this.#queue.takeAll()) this.#reportDrop(item.data, item.requestId, "the client closed for good before it could be sent");
    }
    for (const queue of this.#iterators) queue.end();
    this.#iterators.clear();
    this.#emit("close", info);
    this.#resolveClosed(info);
  }
}

/** A pull queue behind one async iterator. */
class MessageQueue implements AsyncIterator<Message> {
  readonly #items: Message[] = [];
  #waiting: ((r: IteratorResult<Message>) => void) | undefined;
  #ended = false;
  readonly #onReturn: (leftover: Message[]) => void;
  constructor(onReturn: (leftover: Message[]) => void) {
    this.#onReturn = onReturn;
  }
  push(msg: Message): void {
    if (this.#waiting) {
      const resolve = this.#waiting;
      this.#waiting = undefined;
      resolve({ value: msg, done: false });
    } else this.#items.push(msg);
  }
  end(): void {
    this.#ended = true;
    if (this.#waiting) {
      const resolve = this.#waiting;
      this.#waiting = undefined;
      resolve({ value: undefined, done: true });
    }
  }
  next(): Promise<IteratorResult<Message>> {
    if (this.#items.length > 0) return Promise.resolve({ value: this.#items.shift()!, done: false });
    if (this.#ended) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => (this.#waiting = resolve));
  }
  return(): Promise<IteratorResult<Message>> {
    const leftover = this.#items.splice(0);
    this.end();
    this.#onReturn(leftover);
    return Promise.resolve({ value: undefined, done: true });
  }
}

/**
 * One connection attempt with its timeout. Throws at once when no attempt
 * can work (bad URL, no WebSocket, headers where they cannot be sent);
 * otherwise calls exactly one of `opened`/`failed` later, unless the
 * returned abort function runs first.
 */
function openSocket(
  href: string,
  options: ConnectOptions,
  done: { opened(ws: StandardWebSocket): void; failed(reason: string): void },
): () => void {
  const parsed = new URL(href);
  if (parsed.protocol !== "ws:" && parsed.protocol !== "wss:") {
    throw new Error(`the scheme must be ws: or wss:, not ${parsed.protocol}`);
  }
  const protocols = options.protocols === undefined ? [] : ([] as string[]).concat(options.protocols);
  const { ws, release } = createNativeSocket(href, { protocols, headers: options.headers, ca: options.ca });
  ws.binaryType = "arraybuffer";
  let settled = false;
  const giveUp = () => {
    settled = true;
    clearTimeout(timer);
    release();
    ws.onerror = ws.onclose = null;
    // A socket that opens after we gave up must not stay open unseen.
    ws.onopen = () => ws.close();
  };
  const fail = (reason: string) => {
    if (settled) return;
    giveUp();
    done.failed(reason);
  };
  const timeout = options.timeout ?? 10_000;
  const timer = setTimeout(() => {
    fail(`timed out after ${timeout} ms`);
    try {
      ws.close();
    } catch { /* already closing */ }
  }, timeout);
  // Node 22 fires `error` and no `close` on refusal: fail on the first of the two.
  ws.onerror = (ev) => fail(describeErrorEvent(ev));
  ws.onclose = (ev) => fail(`closed during the handshake (code ${normalizeReceivedCloseCode(ev.code)})`);
  ws.onopen = () => {
    if (settled) return;
    settled = true;
    clearTimeout(timer);
    release(); // the connection is up; releasing Deno's HttpClient does not end it
    ws.onopen = ws.onerror = ws.onclose = null;
    done.opened(ws);
  };
  return () => {
    if (settled) return;
    giveUp();
    try {
      ws.close();
    } catch { /* already closing */ }
  };
}

/**
 * Opens a WebSocket connection and resolves with a {@link Client} once it is
 * open. Without `reconnect`, rejects with a {@link ConnectError} naming the
 * URL and the reason on refusal, DNS or TLS failure, a refused handshake, or
 * after `timeout` ms. With `reconnect`, failed first attempts are retried
 * with the same backoff as later drops, and it rejects (ConnectError, "gave
 * up after N reconnect attempts") once `reconnect.maxRetries` is reached.
 * A bad URL or bad options reject at once either way.
 *
 * @example
 * ```ts
 * import { connect } from "@fullduplex/fullduplex";
 * const ws = await connect("ws://localhost:8080", {
 *   reconnect: { minDelay: 500, maxDelay: 30_000 },
 *   heartbeat: { interval: 30_000, timeout: 10_000 },
 * });
 * ws.on("reconnecting", ({ attempt, delay }) => console.log(`reconnecting (#${attempt}) in ${delay} ms`));
 * ws.sendJson({ type: "greeting", content: "Hello Server" });
 * for await (const msg of ws) {
 *   console.log(msg.json());
 *   break;
 * }
 * await ws.close();
 * ```
 */
export function connect(url: UrlSource, options: ConnectOptions = {}): Promise<Client> {
  return new Promise<Client>((resolve, reject) => {
    let settings: Settings;
    try {
      const reconnect = resolveReconnect(options.reconnect);
      const queueLimits = reconnect === undefined ? undefined : resolveQueue(options.queue);
      settings = {
        reconnect,
        queue: queueLimits === undefined ? undefined : new OfflineQueue(queueLimits),
        heartbeat: resolveClientHeartbeat(options.heartbeat),
        requests: new PendingRequests(resolveRequestDefaults(options.request)),
      };
    } catch (err) {
      reject(err);
      return;
    }
    new Client(url, options, settings, { resolve, reject });
  });
}
