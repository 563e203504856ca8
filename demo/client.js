// fullduplex client for browsers (connect, Client, Message, close codes, errors).
// Generated from src/client/mod.ts by `npm run build` / `npm run build:demo`
// (bun build --target=browser). Do not edit: change the TypeScript sources.
// src/close_codes.ts
var CloseCode = {
  Normal: 1000,
  GoingAway: 1001,
  ProtocolError: 1002,
  UnsupportedData: 1003,
  NoStatus: 1005,
  Abnormal: 1006,
  InvalidPayload: 1007,
  PolicyViolation: 1008,
  MessageTooBig: 1009,
  MandatoryExtension: 1010,
  InternalError: 1011,
  ServiceRestart: 1012,
  TryAgainLater: 1013
};
var MAX_CLOSE_REASON_BYTES = 123;
var encoder = new TextEncoder;
function utf8ByteLength(text) {
  let bytes = 0;
  for (let i = 0;i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 128)
      bytes += 1;
    else if (c < 2048)
      bytes += 2;
    else if (c >= 55296 && c <= 56319 && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 56320 && next <= 57343) {
        bytes += 4;
        i++;
      } else
        bytes += 3;
    } else
      bytes += 3;
  }
  return bytes;
}
function isApplicationCloseCode(code) {
  return Number.isInteger(code) && (code === 1000 || code >= 3000 && code <= 4999);
}
function assertCloseArgs(code, reason) {
  if (!isApplicationCloseCode(code)) {
    throw new RangeError(`invalid close code ${code}: use 1000 or a code from 3000 to 4999 (1001-2999 are reserved for the protocol)`);
  }
  assertCloseReason(reason);
}
function assertCloseReason(reason) {
  if (typeof reason !== "string")
    throw new TypeError("close reason must be a string");
  const length = utf8ByteLength(reason);
  if (length > MAX_CLOSE_REASON_BYTES) {
    throw new RangeError(`close reason is ${length} UTF-8 bytes; at most ${MAX_CLOSE_REASON_BYTES} fit in a close frame`);
  }
}
function normalizeReceivedCloseCode(code) {
  if (code === undefined || !Number.isInteger(code) || code < 1000 || code > 4999) {
    return CloseCode.Abnormal;
  }
  return code;
}

// src/errors.ts
class FullDuplexError extends Error {
  constructor(message, options) {
    super(message, options);
    this.name = new.target.name;
  }
}

class ConnectError extends FullDuplexError {
  url;
  constructor(url, reason, options) {
    super(`could not connect to ${url}: ${reason}`, options);
    this.url = url;
  }
}

class MessageDecodeError extends FullDuplexError {
}

class InvalidStateError extends FullDuplexError {
}

// src/message.ts
var decoder = new TextDecoder("utf-8");
var encoder2 = new TextEncoder;
var QUOTE_CHARS = 40;
function quoteInput(text) {
  const cut = text.length > QUOTE_CHARS ? `${text.slice(0, QUOTE_CHARS)}…` : text;
  return JSON.stringify(cut);
}
function toBytes(data) {
  if (data instanceof Uint8Array) {
    return data.constructor === Uint8Array ? data : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  }
  if (data instanceof ArrayBuffer)
    return new Uint8Array(data);
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

class Message {
  kind;
  #text;
  #bytes;
  #size = -1;
  constructor(kind, text, bytes) {
    this.kind = kind;
    this.#text = text;
    this.#bytes = bytes;
  }
  static from(data) {
    return typeof data === "string" ? new Message("text", data, undefined) : new Message("binary", undefined, toBytes(data));
  }
  get size() {
    if (this.#size < 0) {
      this.#size = this.#bytes !== undefined ? this.#bytes.byteLength : utf8ByteLength(this.#text);
    }
    return this.#size;
  }
  text() {
    if (this.#text === undefined)
      this.#text = decoder.decode(this.#bytes);
    return this.#text;
  }
  bytes() {
    if (this.#bytes === undefined)
      this.#bytes = encoder2.encode(this.#text);
    return this.#bytes;
  }
  json() {
    const text = this.text();
    try {
      return JSON.parse(text);
    } catch (err) {
      const raw = err instanceof Error ? err.message : String(err);
      const line = raw.slice(0, 101).replace(/[\u0000-\u001f\u007f\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
      const why = line.length > 100 ? `${line.slice(0, 100)}…` : line;
      throw new MessageDecodeError(`invalid JSON: ${why} (input ${quoteInput(text)})`, { cause: err });
    }
  }
  toString() {
    return `Message(${this.kind}, ${this.size} bytes)`;
  }
}

// src/client/connect.ts
var BACKLOG_LIMIT = 1e4;
var KNOWN_CAUSES = {
  ECONNREFUSED: "connection refused (ECONNREFUSED)",
  ENOTFOUND: "host not found (ENOTFOUND)",
  ETIMEDOUT: "connection timed out (ETIMEDOUT)",
  ECONNRESET: "connection reset (ECONNRESET)",
  "tcp connect error": "connection refused or unreachable (tcp connect error)",
  "dns error": "host not found (dns error)"
};
function describeErrorEvent(ev) {
  const e = ev;
  const code = e?.error?.code;
  if (typeof code === "string" && KNOWN_CAUSES[code])
    return KNOWN_CAUSES[code];
  const text = e?.error?.message || e?.message || "";
  for (const [needle, friendly] of Object.entries(KNOWN_CAUSES))
    if (text.endsWith(needle))
      return friendly;
  return text || "connection failed";
}

class Client {
  url;
  #ws;
  #closeInfo;
  #closed;
  #resolveClosed;
  #listeners = {
    message: new Set,
    close: new Set,
    error: new Set
  };
  #iterators = new Set;
  #backlog = [];
  constructor(url, ws) {
    this.url = url;
    this.#ws = ws;
    this.#closed = new Promise((resolve) => this.#resolveClosed = resolve);
    ws.onmessage = (ev) => this.#deliver(Message.from(ev.data));
    ws.onerror = (ev) => this.#emit("error", new Error(describeErrorEvent(ev)));
    ws.onclose = (ev) => this.#finish({ code: normalizeReceivedCloseCode(ev.code), reason: ev.reason ?? "" });
  }
  get protocol() {
    return this.#ws.protocol;
  }
  get readyState() {
    return this.#closeInfo ? 3 : this.#ws.readyState;
  }
  get bufferedAmount() {
    return this.#ws.bufferedAmount;
  }
  get closeCode() {
    return this.#closeInfo?.code;
  }
  get closeReason() {
    return this.#closeInfo?.reason;
  }
  get closed() {
    return this.#closed;
  }
  send(data) {
    if (this.readyState !== 1) {
      throw new InvalidStateError(`cannot send: the connection to ${this.url} is ${this.#closeInfo ? "closed" : "not open"}`);
    }
    if (typeof data === "string")
      this.#ws.send(data);
    else if (data instanceof Uint8Array || data instanceof ArrayBuffer)
      this.#ws.send(toBytes(data));
    else
      throw new TypeError("send() takes a string, a Uint8Array or an ArrayBuffer; use sendJson() for objects");
  }
  sendJson(value) {
    const text = JSON.stringify(value);
    if (text === undefined)
      throw new TypeError(`sendJson() cannot encode ${typeof value}`);
    this.send(text);
  }
  close(code = 1000, reason = "") {
    assertCloseArgs(code, reason);
    if (this.#closeInfo === undefined && this.#ws.readyState < 2)
      this.#ws.close(code, reason);
    return this.#closed;
  }
  on(event, listener) {
    const set = this.#listeners[event];
    set.add(listener);
    if (event === "message")
      this.#flushBacklogTo(listener);
    if (event === "close" && this.#closeInfo)
      listener(this.#closeInfo);
    return () => set.delete(listener);
  }
  listen(onData, handlers = {}) {
    const offs = [this.on("message", onData)];
    if (handlers.onError)
      offs.push(this.on("error", handlers.onError));
    if (handlers.onDone)
      offs.push(this.on("close", handlers.onDone));
    return () => offs.forEach((off) => off());
  }
  [Symbol.asyncIterator]() {
    const queue = new MessageQueue((leftover) => {
      this.#iterators.delete(queue);
      if (leftover.length > 0 && !this.#closeInfo)
        this.#backlog = leftover.concat(this.#backlog);
    });
    for (const msg of this.#backlog)
      queue.push(msg);
    this.#backlog = [];
    if (this.#closeInfo)
      queue.end();
    else
      this.#iterators.add(queue);
    return queue;
  }
  #deliver(msg) {
    const listeners = this.#listeners.message;
    if (listeners.size === 0 && this.#iterators.size === 0) {
      if (this.#backlog.length < BACKLOG_LIMIT)
        this.#backlog.push(msg);
      else
        this.#emit("error", new Error(`message dropped: more than ${BACKLOG_LIMIT} messages arrived before anything consumed them`));
      return;
    }
    for (const listener of listeners)
      this.#call(listener, msg);
    for (const queue of this.#iterators)
      queue.push(msg);
  }
  #flushBacklogTo(listener) {
    const backlog = this.#backlog;
    if (backlog.length === 0)
      return;
    this.#backlog = [];
    queueMicrotask(() => backlog.forEach((msg) => this.#call(listener, msg)));
  }
  #emit(event, value) {
    for (const listener of this.#listeners[event])
      this.#call(listener, value);
  }
  #call(listener, value) {
    try {
      listener(value);
    } catch (err) {
      queueMicrotask(() => {
        throw err;
      });
    }
  }
  #finish(info) {
    if (this.#closeInfo)
      return;
    this.#closeInfo = info;
    for (const queue of this.#iterators)
      queue.end();
    this.#iterators.clear();
    this.#emit("close", info);
    this.#resolveClosed(info);
  }
}

class MessageQueue {
  #items = [];
  #waiting;
  #ended = false;
  #onReturn;
  constructor(onReturn) {
    this.#onReturn = onReturn;
  }
  push(msg) {
    if (this.#waiting) {
      const resolve = this.#waiting;
      this.#waiting = undefined;
      resolve({ value: msg, done: false });
    } else
      this.#items.push(msg);
  }
  end() {
    this.#ended = true;
    if (this.#waiting) {
      const resolve = this.#waiting;
      this.#waiting = undefined;
      resolve({ value: undefined, done: true });
    }
  }
  next() {
    if (this.#items.length > 0)
      return Promise.resolve({ value: this.#items.shift(), done: false });
    if (this.#ended)
      return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => this.#waiting = resolve);
  }
  return() {
    const leftover = this.#items.splice(0);
    this.end();
    this.#onReturn(leftover);
    return Promise.resolve({ value: undefined, done: true });
  }
}
function webSocketConstructor() {
  const ctor = globalThis.WebSocket;
  if (typeof ctor !== "function") {
    throw new ConnectError("(none)", "this runtime has no global WebSocket (Node.js needs version 22, or --experimental-websocket on 20)");
  }
  return ctor;
}
function takesOptionsObject() {
  const g = globalThis;
  return typeof g.Deno === "object" || typeof g.Bun === "object";
}
function connect(url, options = {}) {
  const href = String(url);
  return new Promise((resolve, reject) => {
    let ws;
    let httpClient;
    try {
      const parsed = new URL(href);
      if (parsed.protocol !== "ws:" && parsed.protocol !== "wss:") {
        throw new Error(`the scheme must be ws: or wss:, not ${parsed.protocol}`);
      }
      const WebSocketCtor = webSocketConstructor();
      const protocols = options.protocols === undefined ? [] : [].concat(options.protocols);
      if (takesOptionsObject()) {
        const init = { protocols };
        if (options.headers)
          init.headers = options.headers;
        if (options.ca) {
          httpClient = denoHttpClient(options.ca);
          if (httpClient !== undefined)
            init.client = httpClient;
          else
            init.tls = { ca: options.ca };
        }
        ws = new WebSocketCtor(href, init);
      } else {
        if (options.headers)
          throw new Error("custom headers need Deno or Bun: browsers and Node.js cannot send them");
        ws = new WebSocketCtor(href, protocols);
      }
    } catch (err) {
      httpClient?.close();
      reject(err instanceof ConnectError ? err : new ConnectError(href, err instanceof Error ? err.message : String(err), { cause: err }));
      return;
    }
    ws.binaryType = "arraybuffer";
    const timeout = options.timeout ?? 1e4;
    const timer = setTimeout(() => {
      fail(`timed out after ${timeout} ms`);
      try {
        ws.close();
      } catch {}
    }, timeout);
    const fail = (reason) => {
      clearTimeout(timer);
      httpClient?.close();
      ws.onerror = ws.onclose = null;
      ws.onopen = () => ws.close();
      reject(new ConnectError(href, reason));
    };
    ws.onerror = (ev) => fail(describeErrorEvent(ev));
    ws.onclose = (ev) => fail(`closed during the handshake (code ${normalizeReceivedCloseCode(ev.code)})`);
    ws.onopen = () => {
      clearTimeout(timer);
      httpClient?.close();
      resolve(new Client(href, ws));
    };
  });
}
function denoHttpClient(ca) {
  const deno = globalThis.Deno;
  if (typeof deno?.createHttpClient !== "function")
    return;
  return deno.createHttpClient({ caCerts: [].concat(ca) });
}
export {
  Client,
  CloseCode,
  ConnectError,
  FullDuplexError,
  InvalidStateError,
  MAX_CLOSE_REASON_BYTES,
  Message,
  MessageDecodeError,
  connect,
  isApplicationCloseCode
};
