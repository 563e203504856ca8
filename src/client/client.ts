/**
 * The `Client` state machine: connecting, open, closing, closed for good,
 * and (with reconnect) the loop of drop → wait → new attempt. It decides
 * when to retry, what a drop does to the offline queue and to waiting
 * requests, and which events fire in which order. The pieces it drives have
 * their own files: one attempt (open_socket.ts), backoff (reconnect.ts),
 * the offline queue (queue.ts), dead-link detection (heartbeat.ts),
 * requests (request.ts), events (events.ts), received messages (inbox.ts),
 * channels (channels.ts: subscriptions, publishes, requests from the server).
 *
 * Channels change the wire only on a connection that agreed to
 * `fullduplex.channels.v1`: then every frame carries a one-byte tag
 * (application messages `m`), decided once per connection in `#opened`;
 * any other connection sends and receives exactly what it did before.
 *
 * Only the standard WebSocket API is used here (it must bundle for
 * browsers); Deno/Bun extras (headers, ca) sit behind a feature check in
 * native_socket.ts.
 *
 * @module
 */

import { assertCloseArgs, normalizeReceivedCloseCode, truncateCloseReason } from "../shared/close_codes.ts";
import { ConnectError, InvalidStateError } from "../shared/errors.ts";
import { appBinary, appText, CHANNELS_PROTOCOL, decodeServerFrame } from "../shared/channel_wire.ts";
import { Message } from "../shared/message.ts";
import type { SendData } from "../shared/message.ts";
import type { CloseInfo } from "../shared/types.ts";
import { ReadyStates } from "../shared/types.ts";
import { framePayload, jsonPayload } from "../shared/payload.ts";
import { backoffDelay } from "./reconnect.ts";
import type { ResolvedReconnect } from "./reconnect.ts";
import type { OfflineQueue } from "./queue.ts";
import { HEARTBEAT_CLOSE_CODE, HeartbeatMonitor } from "./heartbeat.ts";
import type { ResolvedHeartbeat } from "./heartbeat.ts";
import type { JsonRequests, RequestOptions } from "./request.ts";
import type { StandardWebSocket } from "./native_socket_types.ts";
import { DEFAULT_CONNECT_TIMEOUT, openSocket } from "./open_socket.ts";
import { describeErrorEvent } from "./error_text.ts";
import { ClientEmitter } from "./events.ts";
import { Inbox } from "./inbox.ts";
import type { ClientEvents, ConnectOptions, Listener, UrlSource } from "./types.ts";
import { ChannelLayer } from "./channels.ts";
import type { RequestHandler, SubscribeOptions } from "./channel_types.ts";
import type { PendingPublish } from "./publish.ts";
import type { QueuedMessage } from "./queue.ts";
import type { Subscription } from "./subscription.ts";

/** How often `drained()` looks at `bufferedAmount` (the standard WebSocket has no drain event). */
const DRAIN_POLL_MS = 10;

/** An application message as a channels connection carries it: behind its tag. */
function tagged(payload: string | Uint8Array): string | Uint8Array {
  return typeof payload === "string" ? appText(payload) : appBinary(payload);
}

/** Options with defaults applied, resolved once by connect(). */
export interface Settings {
  reconnect: ResolvedReconnect | undefined;
  queue: OfflineQueue | undefined;
  heartbeat: ResolvedHeartbeat | undefined;
  requests: JsonRequests;
}

/** What connect() waits for: the first open, or the first attempt's final failure. */
export interface FirstOpen {
  resolve(client: Client): void;
  reject(err: Error): void;
}

const { CONNECTING, OPEN, CLOSING, CLOSED } = ReadyStates;

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
  readonly #requests: JsonRequests;
  #heartbeat: HeartbeatMonitor | undefined;
  #url: string;
  #ws: StandardWebSocket | undefined;
  #protocol = "";
  /** 0 connecting or waiting to reconnect, 1 open, 2 close() called, 3 closed for good. */
  #state: 0 | 1 | 2 | 3 = CONNECTING;
  #closeInfo: CloseInfo | undefined;
  readonly #closed: Promise<CloseInfo>;
  #resolveClosed!: (info: CloseInfo) => void;
  readonly #events = new ClientEmitter();
  readonly #inbox = new Inbox(this.#events, () => this.#closeInfo !== undefined, (err) => this.#emit("error", err));
  readonly #channels: ChannelLayer;
  /** Whether the current (or last) connection agreed to channels: its frames are tagged. */
  #tagged = false;
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
    this.#channels = new ChannelLayer(
      {
        open: () => this.#tagged && this.#state === OPEN && this.#ws!.readyState === OPEN,
        sendFrame: (frame) => this.#ws!.send(frame),
        enqueue: (payload, publish) => this.#enqueue(payload, undefined, publish),
        error: (err) => this.#emit("error", err),
        publication: (event) => this.#emit("publication", event),
      },
      options.channels === true,
      settings.requests.defaultTimeout,
    );
    this.#first = first;
    this.#url = typeof source === "function" ? "(url function)" : String(source);
    this.#closed = new Promise((resolve) => (this.#resolveClosed = resolve));
    this.#attemptConnection();
  }

  /** The URL of the current (or last) connection. */
  get url(): string {
    return this.#url;
  }

  /**
   * The subprotocol the server agreed to, or `""`: `"fullduplex.channels.v1"`
   * when it agreed to channels (offered first with `channels: true`).
   */
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
    if (this.#state >= CLOSING) {
      return Promise.reject(
        new InvalidStateError(`cannot send a request: the connection to ${this.#url} is ${this.#state === CLOSED ? "closed" : "closing"}`),
      );
    }
    let created: { text: string; id: string; reply: Promise<unknown> };
    try {
      created = this.#requests.create(value, options);
    } catch (err) {
      return Promise.reject(err);
    }
    const pending = this.#requests.pending;
    try {
      if (this.#send(created.text, created.id)) pending.markSent(created.id);
    } catch (err) {
      pending.reject(created.id, err instanceof Error ? err : new Error(String(err)));
    }
    return created.reply as Promise<T>;
  }

  /**
   * Subscribes this client to `topic` on a server with channels (connect
   * with `{ channels: true }`): resolves with a {@link Subscription} once
   * the server allowed it, or rejects with a {@link SubscribeError}:
   * `"denied"` with the server's reason, `"unavailable"` when the
   * connection did not agree to channels, `"duplicate"` when this client
   * already holds a subscription to `topic` (one per topic: keep the
   * first, or `unsubscribe()` it), `"timeout"`, `"closed"`. While
   * reconnecting it is sent once the next connection opens. After every
   * reconnect the client subscribes again to each topic it holds, before
   * its offline queue goes out.
   *
   * @example
   * ```ts
   * import { connect } from "@fullduplex/fullduplex";
   * const ws = await connect("ws://localhost:8080", { channels: true, reconnect: true });
   * const room = await ws.subscribe("room:42", { presence: true });
   * room.on("message", (msg) => console.log(msg.text()));
   * await room.publish("hello");
   * ```
   */
  subscribe(topic: string, options?: SubscribeOptions): Promise<Subscription> {
    if (this.#state >= CLOSING) {
      return Promise.reject(
        new InvalidStateError(`cannot subscribe: the connection to ${this.#url} is ${this.#state === CLOSED ? "closed" : "closing"}`),
      );
    }
    return this.#channels.subscribe(topic, options);
  }

  /**
   * Answers the server's requests (`socket.request(value)` on a channels
   * server) with `handler`, replacing any handler set before; returns a
   * function that removes it. The handler gets the request's JSON value and
   * returns the reply or a promise of it; a throw or rejection replies with
   * its message as the error. Without a handler, requests get the error
   * `"no request handler"`.
   *
   * @example
   * ```ts
   * import { connect } from "@fullduplex/fullduplex";
   * const ws = await connect("ws://localhost:8080", { channels: true });
   * const off = ws.onRequest(async (data) => {
   *   const { op } = data as { op: string };
   *   if (op === "version") return { version: "1.2.3" };
   *   throw new Error(`unknown op ${op}`);
   * });
   * off();
   * ```
   */
  onRequest(handler: RequestHandler): () => void {
    return this.#channels.onRequest(handler);
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
    if (ws.readyState < CLOSING) ws.close(code, reason);
    // A peer that never answers the close frame must not keep close() pending forever.
    const wait = this.#options.timeout ?? DEFAULT_CONNECT_TIMEOUT;
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
    const off = this.#events.add(event, listener);
    if (event === "message") this.#inbox.flushTo(listener as Listener<Message>);
    if (event === "close" && this.#closeInfo) (listener as Listener<CloseInfo>)(this.#closeInfo);
    return off;
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
  listen(
    onData: (msg: Message) => void,
    handlers: { onError?: (err: Error) => void; onDone?: (info: CloseInfo) => void } = {},
  ): () => void {
    const offs = [this.on("message", onData)];
    if (handlers.onError) offs.push(this.on("error", handlers.onError));
    if (handlers.onDone) offs.push(this.on("close", handlers.onDone));
    return () => offs.forEach((off) => off());
  }

  /** Iterates messages until the client closes for good (not on each drop). */
  [Symbol.asyncIterator](): AsyncIterator<Message> {
    return this.#inbox.iterator();
  }

  /**
   * Sends now when open, else queues. Returns true when handed to an open
   * connection, false when queued. Throws when neither is possible.
   */
  #send(payload: string | Uint8Array, requestId: string | undefined): boolean {
    const ws = this.#ws;
    if (this.#state === OPEN && ws!.readyState === OPEN) {
      ws!.send(this.#tagged ? tagged(payload) : payload);
      return true;
    }
    this.#enqueue(payload, requestId, undefined);
    return false;
  }

  /** Puts a message (or a channel publish) into the offline queue; throws when there is none or it is full. */
  #enqueue(payload: string | Uint8Array, requestId: string | undefined, publish: PendingPublish | undefined): void {
    if (this.#state >= CLOSING || this.#queue === undefined) {
      throw new InvalidStateError(
        `cannot send: the connection to ${this.#url} is ${this.#closeInfo ? "closed" : this.#state === CLOSING ? "closing" : "not open"}`,
      );
    }
    // Not open (waiting to reconnect, or the open connection is closing):
    // queue it; it goes out first on the next connection, or a drop event says it never will.
    for (const dropped of this.#queue.push(payload, requestId, publish)) {
      this.#reportDrop(dropped, 'dropped from the full offline queue to make room (queue.whenFull: "drop-oldest")');
    }
  }

  #reportDrop(item: QueuedMessage, reason: string): void {
    if (item.requestId !== undefined) this.#requests.pending.dropped(item.requestId, reason);
    if (item.publish !== undefined) this.#channels.dropQueued(item.publish, reason);
    this.#emit("drop", { data: item.data, reason });
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
      this.#fatal(
        err instanceof ConnectError ? err : new ConnectError(href, err instanceof Error ? err.message : String(err), { cause: err }),
      );
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
    const channels = ws.protocol === CHANNELS_PROTOCOL;
    this.#tagged = channels;
    this.#state = OPEN;
    this.#openedAt = Date.now();
    const heartbeat = this.#heartbeatOptions ? new HeartbeatMonitor(this.#heartbeatOptions) : undefined;
    this.#heartbeat = heartbeat;
    const requests = this.#requests;
    const pending = requests.pending;
    if (!channels) {
      ws.onmessage = (ev) => {
        const data = ev.data as string | ArrayBuffer;
        if (heartbeat !== undefined && heartbeat.received(data)) return;
        if (pending.size > 0 && typeof data === "string" && requests.match(data)) return;
        this.#inbox.deliver(Message.from(data));
      };
    } else {
      const layer = this.#channels;
      ws.onmessage = (ev) => {
        const raw = ev.data as string | ArrayBuffer;
        const frame = decodeServerFrame(typeof raw === "string" ? raw : new Uint8Array(raw));
        if (frame.kind !== "app") {
          heartbeat?.received(undefined); // anything received proves the link alive
          layer.frame(frame);
          return;
        }
        const data = frame.data;
        if (heartbeat !== undefined && heartbeat.received(data)) return;
        if (pending.size > 0 && typeof data === "string" && requests.match(data)) return;
        this.#inbox.deliver(Message.from(data));
      };
    }
    ws.onerror = (ev) => this.#emit("error", new Error(describeErrorEvent(ev)));
    ws.onclose = (ev) => this.#dropped(ws, { code: normalizeReceivedCloseCode(ev.code), reason: ev.reason ?? "" }, false);
    // Subscriptions first (docs/channels.md: resubscribe before the offline
    // queue), then the offline queue, in order, before any later send():
    // no user code runs between here and the heartbeat's start.
    this.#channels.opened(channels);
    const queue = this.#queue;
    let unsent: QueuedMessage[] | undefined;
    if (queue !== undefined && queue.length > 0) {
      for (const item of queue.takeAll()) {
        if (item.publish !== undefined) {
          if (channels) this.#channels.sendQueued(item.publish, item.data);
          else (unsent ??= []).push(item);
          continue;
        }
        ws.send(channels ? tagged(item.data) : item.data);
        if (item.requestId !== undefined) pending.markSent(item.requestId);
      }
    }
    heartbeat?.start(
      (text) => {
        if (ws.readyState === OPEN) ws.send(channels ? appText(text) : text);
      },
      () => this.#dropped(ws, { code: HEARTBEAT_CLOSE_CODE, reason: `no heartbeat reply within ${heartbeat.options.timeout} ms` }, true),
      () => ws.bufferedAmount,
    );
    this.#emit("open", { url: this.#url });
    if (reconnected) this.#emit("reconnected", { url: this.#url, attempts: this.#attempt });
    if (!channels) {
      // This connection has no channels: what needed them fails, after the open events.
      this.#channels.unavailable();
      for (const item of unsent ?? []) {
        this.#reportDrop(item, "the new connection has no channels (the server did not agree to fullduplex.channels.v1)");
      }
    }
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
    ws.onopen =
      ws.onmessage =
      ws.onerror =
      ws.onclose =
        null;
    this.#ws = undefined;
    this.#heartbeat?.stop();
    this.#heartbeat = undefined;
    if (this.#closeTimer !== undefined) clearTimeout(this.#closeTimer);
    this.#closeTimer = undefined;
    if (local && ws.readyState < CLOSING) {
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
    this.#requests.pending.rejectSent(
      `the connection closed (${info.code}${info.reason ? ` ${info.reason}` : ""}) before the reply arrived`,
    );
    this.#channels.connectionClosed();
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

  #emit<K extends keyof ClientEvents>(event: K, value: ClientEvents[K]): void {
    this.#events.emit(event, value);
  }

  #finish(info: CloseInfo): void {
    if (this.#closeInfo) return;
    this.#state = CLOSED;
    this.#closeInfo = info;
    this.#cancelAttempt();
    this.#heartbeat?.stop();
    const why = `the client closed (${info.code}${info.reason ? ` ${info.reason}` : ""})`;
    this.#requests.pending.rejectSent(why, true);
    this.#channels.clientClosed(why);
    if (this.#queue !== undefined && this.#queue.length > 0) {
      for (const item of this.#queue.takeAll()) this.#reportDrop(item, "the client closed for good before it could be sent");
    }
    this.#inbox.end();
    this.#emit("close", info);
    this.#resolveClosed(info);
  }
}
