/**
 * `connect()`: a client over the standard `WebSocket` (Deno, Bun, browsers,
 * Node.js 22+) that resolves when open, iterates messages, reports close
 * codes the same way everywhere and closes cleanly.
 *
 * @module
 */

import { assertCloseArgs, normalizeReceivedCloseCode } from "../close_codes.ts";
import { ConnectError, InvalidStateError } from "../errors.ts";
import { Message, toBytes } from "../message.ts";
import type { SendData } from "../message.ts";
import type { CloseInfo } from "../server/options.ts";

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
  /** Milliseconds to wait for the connection to open. Default 10000. */
  timeout?: number;
  /**
   * PEM CA certificate(s) to trust for `wss://` (self-signed set-ups), on
   * Deno and Bun. Browsers and Node.js ignore it: install the CA in the
   * system's trust store there.
   */
  ca?: string | string[];
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
  /** The connection closed (code normalised: 1006 when it ended without a close frame). */
  close: CloseInfo;
  /** A transport error; a close event follows. */
  error: Error;
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

/** The subset of the standard WebSocket the client uses. */
interface StandardWebSocket {
  readonly readyState: number;
  readonly protocol: string;
  readonly bufferedAmount: number;
  binaryType: string;
  onopen: ((ev: Event) => void) | null;
  onmessage: ((ev: MessageEvent) => void) | null;
  onclose: ((ev: CloseEvent) => void) | null;
  onerror: ((ev: Event) => void) | null;
  send(data: string | ArrayBufferLike | ArrayBufferView): void;
  close(code?: number, reason?: string): void;
}

type WebSocketConstructor = new (url: string, init?: string | string[] | Record<string, unknown>) => StandardWebSocket;

/** Most messages held for a consumer that has not started iterating yet. */
const BACKLOG_LIMIT = 10_000;

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

/**
 * A connected client. Iterate it to read messages; the loop ends when the
 * connection closes.
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
  /** The URL connected to. */
  readonly url: string;
  readonly #ws: StandardWebSocket;
  #closeInfo: CloseInfo | undefined;
  readonly #closed: Promise<CloseInfo>;
  #resolveClosed!: (info: CloseInfo) => void;
  readonly #listeners: { [K in keyof ClientEvents]: Set<Listener<ClientEvents[K]>> } = {
    message: new Set(),
    close: new Set(),
    error: new Set(),
  };
  readonly #iterators = new Set<MessageQueue>();
  /** Messages that arrived while nobody consumed them (bounded), handed to the next consumer. */
  #backlog: Message[] = [];

  /** @internal Use {@link connect}. */
  constructor(url: string, ws: StandardWebSocket) {
    this.url = url;
    this.#ws = ws;
    this.#closed = new Promise((resolve) => (this.#resolveClosed = resolve));
    ws.onmessage = (ev) => this.#deliver(Message.from(ev.data as string | ArrayBuffer));
    ws.onerror = (ev) => this.#emit("error", new Error(describeErrorEvent(ev)));
    ws.onclose = (ev) => this.#finish({ code: normalizeReceivedCloseCode(ev.code), reason: ev.reason ?? "" });
  }

  /** The subprotocol the server agreed to, or `""`. */
  get protocol(): string {
    return this.#ws.protocol;
  }

  /** 0 connecting, 1 open, 2 closing, 3 closed. */
  get readyState(): number {
    return this.#closeInfo ? 3 : this.#ws.readyState;
  }

  /** Bytes queued by send() and not yet written to the network. */
  get bufferedAmount(): number {
    return this.#ws.bufferedAmount;
  }

  /** The close code once closed (1006 when the connection ended without a close frame). */
  get closeCode(): number | undefined {
    return this.#closeInfo?.code;
  }

  /** The close reason once closed. */
  get closeReason(): string | undefined {
    return this.#closeInfo?.reason;
  }

  /** Resolves with the code and reason once the connection has closed. */
  get closed(): Promise<CloseInfo> {
    return this.#closed;
  }

  /** Sends text (a text frame) or bytes (a binary frame). Throws InvalidStateError unless open. */
  send(data: SendData): void {
    if (this.readyState !== 1) {
      throw new InvalidStateError(`cannot send: the connection to ${this.url} is ${this.#closeInfo ? "closed" : "not open"}`);
    }
    if (typeof data === "string") this.#ws.send(data);
    else if (data instanceof Uint8Array || data instanceof ArrayBuffer) this.#ws.send(toBytes(data));
    else throw new TypeError("send() takes a string, a Uint8Array or an ArrayBuffer; use sendJson() for objects");
  }

  /** Sends `JSON.stringify(value)` as a text frame. */
  sendJson(value: unknown): void {
    const text = JSON.stringify(value);
    if (text === undefined) throw new TypeError(`sendJson() cannot encode ${typeof value}`);
    this.send(text);
  }

  /**
   * Closes the connection and resolves once it is closed. `code` must be 1000
   * or 3000–4999 and `reason` at most 123 UTF-8 bytes (RangeError otherwise).
   */
  close(code = 1000, reason = ""): Promise<CloseInfo> {
    assertCloseArgs(code, reason);
    if (this.#closeInfo === undefined && this.#ws.readyState < 2) this.#ws.close(code, reason);
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
   * off();
   * ```
   */
  on<K extends keyof ClientEvents>(event: K, listener: Listener<ClientEvents[K]>): () => void {
    const set = this.#listeners[event] as Set<Listener<ClientEvents[K]>>;
    set.add(listener);
    if (event === "message") this.#flushBacklogTo(listener as Listener<Message>);
    if (event === "close" && this.#closeInfo) (listener as Listener<CloseInfo>)(this.#closeInfo);
    return () => set.delete(listener);
  }

  /**
   * Dart-style listening: `onData` per message, `onError` per error,
   * `onDone` once when the connection has closed.
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

  /** Iterates messages until the connection closes. */
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
    this.#closeInfo = info;
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

function webSocketConstructor(): WebSocketConstructor {
  const ctor = (globalThis as { WebSocket?: unknown }).WebSocket;
  if (typeof ctor !== "function") {
    throw new ConnectError("(none)", "this runtime has no global WebSocket (Node.js needs version 22, or --experimental-websocket on 20)");
  }
  return ctor as WebSocketConstructor;
}

/** Whether the runtime's WebSocket takes an options object (Deno, Bun) rather than only protocols. */
function takesOptionsObject(): boolean {
  const g = globalThis as Record<string, unknown>;
  return typeof g.Deno === "object" || typeof g.Bun === "object";
}

/**
 * Opens a WebSocket connection and resolves with a {@link Client} once it is
 * open. Rejects with a {@link ConnectError} naming the URL and the reason on
 * refusal, DNS or TLS failure, a refused handshake, or after `timeout` ms.
 *
 * @example
 * ```ts
 * import { connect } from "@fullduplex/fullduplex";
 * const ws = await connect("ws://localhost:8080", { timeout: 5000 });
 * ws.sendJson({ type: "greeting", content: "Hello Server" });
 * for await (const msg of ws) {
 *   console.log(msg.json());
 *   break;
 * }
 * await ws.close();
 * ```
 */
export function connect(url: string | URL, options: ConnectOptions = {}): Promise<Client> {
  const href = String(url);
  return new Promise<Client>((resolve, reject) => {
    let ws: StandardWebSocket;
    let httpClient: { close(): void } | undefined;
    try {
      const parsed = new URL(href);
      if (parsed.protocol !== "ws:" && parsed.protocol !== "wss:") {
        throw new Error(`the scheme must be ws: or wss:, not ${parsed.protocol}`);
      }
      const WebSocketCtor = webSocketConstructor();
      const protocols = options.protocols === undefined ? [] : ([] as string[]).concat(options.protocols);
      if (takesOptionsObject()) {
        const init: Record<string, unknown> = { protocols };
        if (options.headers) init.headers = options.headers;
        if (options.ca) {
          // Bun takes `tls: { ca }`; Deno takes an HttpClient with its own CA
          // list (stable since Deno 2), which is only needed for the handshake.
          httpClient = denoHttpClient(options.ca);
          if (httpClient !== undefined) init.client = httpClient;
          else init.tls = { ca: options.ca };
        }
        ws = new WebSocketCtor(href, init);
      } else {
        if (options.headers) throw new Error("custom headers need Deno or Bun: browsers and Node.js cannot send them");
        ws = new WebSocketCtor(href, protocols);
      }
    } catch (err) {
      httpClient?.close();
      reject(err instanceof ConnectError ? err : new ConnectError(href, err instanceof Error ? err.message : String(err), { cause: err }));
      return;
    }
    ws.binaryType = "arraybuffer";
    const timeout = options.timeout ?? 10_000;
    const timer = setTimeout(() => {
      fail(`timed out after ${timeout} ms`);
      try {
        ws.close();
      } catch { /* already closing */ }
    }, timeout);
    const fail = (reason: string) => {
      clearTimeout(timer);
      httpClient?.close();
      ws.onerror = ws.onclose = null;
      // A socket that opens after we gave up must not stay open unseen.
      ws.onopen = () => ws.close();
      reject(new ConnectError(href, reason));
    };
    // Node 22 fires `error` and no `close` on refusal: fail on the first of the two.
    ws.onerror = (ev) => fail(describeErrorEvent(ev));
    ws.onclose = (ev) => fail(`closed during the handshake (code ${normalizeReceivedCloseCode(ev.code)})`);
    ws.onopen = () => {
      clearTimeout(timer);
      httpClient?.close(); // the connection is up; closing the client does not end it
      resolve(new Client(href, ws));
    };
  });
}

/** On Deno, an HttpClient that trusts `ca` (for the WebSocket's `client` option); elsewhere undefined. */
function denoHttpClient(ca: string | string[]): { close(): void } | undefined {
  const deno = (globalThis as { Deno?: { createHttpClient?(options: { caCerts: string[] }): { close(): void } } }).Deno;
  if (typeof deno?.createHttpClient !== "function") return undefined;
  return deno.createHttpClient({ caCerts: ([] as string[]).concat(ca) });
}
