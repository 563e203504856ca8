// fullduplex client for browsers (connect, Client, Message, close codes, errors).
// Generated from src/client/mod.ts by `npm run build` / `npm run build:demo`
// (Bun.build for browsers). Do not edit: change the TypeScript sources.
// src/shared/close_codes.ts
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
function truncateCloseReason(reason) {
  if (utf8ByteLength(reason) <= MAX_CLOSE_REASON_BYTES)
    return reason;
  const bytes = encoder.encode(reason);
  let end = MAX_CLOSE_REASON_BYTES;
  while (end > 0 && (bytes[end] & 192) === 128)
    end--;
  return new TextDecoder().decode(bytes.subarray(0, end));
}
function normalizeReceivedCloseCode(code) {
  if (code === undefined || !Number.isInteger(code) || code < 1000 || code > 4999) {
    return CloseCode.Abnormal;
  }
  return code;
}

// src/shared/errors.ts
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

class QueueFullError extends FullDuplexError {
}

class RequestError extends FullDuplexError {
  reason;
  constructor(reason, message, options) {
    super(message, options);
    this.reason = reason;
  }
}
class SubscribeError extends FullDuplexError {
  topic;
  kind;
  reason;
  constructor(topic, kind, reason, options) {
    super(`subscription to ${JSON.stringify(topic)} ${kind}: ${reason}`, options);
    this.topic = topic;
    this.kind = kind;
    this.reason = reason;
  }
}

class PublishError extends FullDuplexError {
  topic;
  kind;
  reason;
  constructor(topic, kind, reason, options) {
    super(`publish to ${JSON.stringify(topic)} ${kind}: ${reason}`, options);
    this.topic = topic;
    this.kind = kind;
    this.reason = reason;
  }
}

// src/shared/channel_wire.ts
var CHANNELS_PROTOCOL = "fullduplex.channels.v1";
var TAG_APP_TEXT = "m";
var TAG_CONTROL = "c";
var TAG_APP_BINARY = 109;
var TAG_PUBLICATION = 112;
var TAG_PUBLISH = 80;
var MAX_REQUEST_ID = 2 ** 31;
var encoder2 = new TextEncoder;
var strictUtf8 = new TextDecoder("utf-8", { fatal: true });
function appText(text) {
  return TAG_APP_TEXT + text;
}
function appBinary(bytes) {
  const out = new Uint8Array(bytes.byteLength + 1);
  out[0] = TAG_APP_BINARY;
  out.set(bytes, 1);
  return out;
}
function controlFrame(message) {
  return TAG_CONTROL + JSON.stringify(message);
}
function binaryPublish(id, topic, payload) {
  const name = encoder2.encode(topic);
  const out = new Uint8Array(7 + name.byteLength + payload.byteLength);
  const view = new DataView(out.buffer);
  out[0] = TAG_PUBLISH;
  view.setUint32(1, id);
  view.setUint16(5, name.byteLength);
  out.set(name, 7);
  out.set(payload, 7 + name.byteLength);
  return out;
}
function topicProblem(topic, maxBytes) {
  if (typeof topic !== "string" || topic.length === 0)
    return "topic must be a non-empty string";
  if (topic.length > maxBytes || encoder2.encode(topic).byteLength > maxBytes)
    return "topic too long";
  if (topic.includes("\x00"))
    return "topic must not contain U+0000";
  return;
}
function isId(value) {
  return typeof value === "number" && Number.isInteger(value) && value > 0 && value < MAX_REQUEST_ID;
}
function isObject(value) {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
function parseControl(text) {
  let value;
  try {
    value = JSON.parse(text);
  } catch {
    return "control message is not JSON";
  }
  if (!isObject(value))
    return "control message must be a JSON object";
  if (typeof value.t !== "string")
    return 'control message needs a string field "t"';
  return value;
}
function readTopic(bytes, offset) {
  if (bytes.byteLength < offset + 2)
    return;
  const length = bytes[offset] << 8 | bytes[offset + 1];
  const end = offset + 2 + length;
  if (length === 0 || bytes.byteLength < end)
    return;
  try {
    return { topic: strictUtf8.decode(bytes.subarray(offset + 2, end)), end };
  } catch {
    return;
  }
}
function decodeServerFrame(data) {
  if (typeof data === "string") {
    const tag = data.charCodeAt(0);
    if (tag === 109)
      return { kind: "app", data: data.slice(1) };
    if (tag !== 99)
      return { kind: "malformed", reason: data.length === 0 ? "empty frame" : "unknown frame tag" };
    const value = parseControl(data.slice(1));
    if (typeof value === "string")
      return { kind: "malformed", reason: value };
    return checkServerControl(value);
  }
  if (data.byteLength === 0)
    return { kind: "malformed", reason: "empty frame" };
  if (data[0] === TAG_APP_BINARY)
    return { kind: "app", data: data.subarray(1) };
  if (data[0] !== TAG_PUBLICATION)
    return { kind: "malformed", reason: "unknown frame tag" };
  const topic = readTopic(data, 1);
  if (topic === undefined)
    return { kind: "malformed", reason: "binary publication has a bad topic" };
  return { kind: "binary-publication", topic: topic.topic, data: data.subarray(topic.end) };
}
function isMember(value) {
  return isObject(value) && typeof value.id === "string";
}
function checkServerControl(value) {
  const t = value.t;
  const id = isId(value.id) ? value.id : undefined;
  const bad = (reason) => id === undefined ? { kind: "malformed", reason } : { kind: "malformed", reason, id };
  switch (t) {
    case "ok": {
      if (id === undefined)
        return bad('"ok" needs an id');
      const members = value.members;
      if (members !== undefined && (!Array.isArray(members) || !members.every(isMember)))
        return bad('"members" must be a list of members');
      return { kind: "control", message: members === undefined ? { t, id } : { t, id, members } };
    }
    case "deny":
      if (id === undefined || typeof value.reason !== "string")
        return bad('"deny" needs an id and a reason');
      return { kind: "control", message: { t, id, reason: value.reason } };
    case "error":
      if (typeof value.reason !== "string")
        return bad('"error" needs a reason');
      return { kind: "control", message: id === undefined ? { t, reason: value.reason } : { t, id, reason: value.reason } };
    case "msg":
      if (typeof value.topic !== "string" || typeof value.data !== "string")
        return bad('"msg" needs a topic and string data');
      return { kind: "control", message: { t, topic: value.topic, data: value.data } };
    case "join":
    case "leave":
      if (typeof value.topic !== "string" || !isMember(value.member))
        return bad(`"${t}" needs a topic and a member`);
      return { kind: "control", message: { t, topic: value.topic, member: value.member } };
    case "end":
      if (typeof value.topic !== "string" || typeof value.reason !== "string")
        return bad('"end" needs a topic and a reason');
      return { kind: "control", message: { t, topic: value.topic, reason: value.reason } };
    case "req":
      if (id === undefined)
        return bad('"req" needs an id');
      return { kind: "control", message: { t, id, data: value.data } };
    default:
      return bad(`unknown control message type ${JSON.stringify(t).slice(0, 40)}`);
  }
}

// src/shared/message.ts
var decoder = new TextDecoder("utf-8");
var encoder3 = new TextEncoder;
var QUOTE_CHARS = 40;
function quoteInput(text) {
  const cut = text.length > QUOTE_CHARS ? `${text.slice(0, QUOTE_CHARS)}…` : text;
  return escapeControls(JSON.stringify(cut));
}
var ENGINE_MESSAGE_CHARS = 100;
function parseJson(text) {
  try {
    return JSON.parse(text);
  } catch (err) {
    const raw = err instanceof Error ? err.message : String(err);
    const why = raw.length > ENGINE_MESSAGE_CHARS ? `${raw.slice(0, ENGINE_MESSAGE_CHARS)}…` : raw;
    throw new MessageDecodeError(`invalid JSON: ${escapeControls(why)} (input ${quoteInput(text)})`, { cause: err });
  }
}
function escapeControls(text) {
  return text.replace(/[\u0000-\u001f\u007f\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
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
      this.#bytes = encoder3.encode(this.#text);
    return this.#bytes;
  }
  json() {
    return parseJson(this.text());
  }
  toString() {
    return `Message(${this.kind}, ${this.size} bytes)`;
  }
}

// src/shared/types.ts
var ReadyStates = Object.freeze({
  CONNECTING: 0,
  OPEN: 1,
  CLOSING: 2,
  CLOSED: 3
});

// src/shared/payload.ts
function framePayload(data, method) {
  if (typeof data === "string")
    return data;
  if (data instanceof Uint8Array || data instanceof ArrayBuffer)
    return toBytes(data);
  throw new TypeError(`${method}() takes a string, a Uint8Array or an ArrayBuffer; use ${method}Json() for objects`);
}
function jsonPayload(value, method) {
  const text = JSON.stringify(value);
  if (text === undefined)
    throw new TypeError(`${method}() cannot encode ${typeof value}`);
  return text;
}

// src/client/reconnect.ts
var DEFAULT_RECONNECT = Object.freeze({
  minDelay: 500,
  maxDelay: 30000,
  factor: 2,
  maxRetries: Infinity,
  stableAfter: 5000
});
function shouldReconnectByDefault(event) {
  const code = event.code;
  return !(code === 1008 || code === 1003 || code >= 4000 && code <= 4999);
}
function checkNumber(name, value, min, allowInfinity = false) {
  if (typeof value !== "number" || Number.isNaN(value) || value < min || !allowInfinity && !Number.isFinite(value)) {
    throw new RangeError(`reconnect.${name} must be a number ≥ ${min}${allowInfinity ? " (or Infinity)" : ""}, got ${String(value)}`);
  }
  return value;
}
function resolveReconnect(option) {
  if (option === undefined || option === false)
    return;
  const o = option === true ? {} : option;
  const minDelay = checkNumber("minDelay", o.minDelay ?? DEFAULT_RECONNECT.minDelay, 0);
  const maxDelay = checkNumber("maxDelay", o.maxDelay ?? DEFAULT_RECONNECT.maxDelay, 0);
  if (maxDelay < minDelay)
    throw new RangeError(`reconnect.maxDelay (${maxDelay}) must not be smaller than minDelay (${minDelay})`);
  const maxRetries = checkNumber("maxRetries", o.maxRetries ?? DEFAULT_RECONNECT.maxRetries, 0, true);
  if (Number.isFinite(maxRetries) && !Number.isInteger(maxRetries)) {
    throw new RangeError(`reconnect.maxRetries must be an integer, got ${maxRetries}`);
  }
  if (o.shouldReconnect !== undefined && typeof o.shouldReconnect !== "function") {
    throw new TypeError("reconnect.shouldReconnect must be a function (event) => boolean");
  }
  return {
    minDelay,
    maxDelay,
    factor: checkNumber("factor", o.factor ?? DEFAULT_RECONNECT.factor, 1),
    maxRetries,
    stableAfter: checkNumber("stableAfter", o.stableAfter ?? DEFAULT_RECONNECT.stableAfter, 0),
    shouldReconnect: o.shouldReconnect ?? shouldReconnectByDefault
  };
}
function backoffDelay(attempt, policy, random = Math.random) {
  const ceiling = Math.min(policy.maxDelay, policy.minDelay * policy.factor ** Math.max(1, attempt));
  return Math.round(policy.minDelay + random() * (ceiling - policy.minDelay));
}

// src/client/heartbeat.ts
var DEFAULT_CLIENT_HEARTBEAT = Object.freeze({
  interval: 30000,
  timeout: 1e4,
  message: "ping",
  reply: "pong"
});
var HEARTBEAT_CLOSE_CODE = 4000;
function resolveClientHeartbeat(option) {
  if (option === undefined || option === false)
    return;
  const o = option === true ? {} : typeof option === "number" ? { interval: option } : option;
  const interval = o.interval ?? DEFAULT_CLIENT_HEARTBEAT.interval;
  const timeout = o.timeout ?? DEFAULT_CLIENT_HEARTBEAT.timeout;
  for (const [name, value] of [["interval", interval], ["timeout", timeout]]) {
    if (typeof value !== "number" || !Number.isFinite(value) || value < 1) {
      throw new RangeError(`heartbeat.${name} must be a number of ms ≥ 1, got ${String(value)}`);
    }
  }
  const message = o.message ?? DEFAULT_CLIENT_HEARTBEAT.message;
  const reply = o.reply ?? DEFAULT_CLIENT_HEARTBEAT.reply;
  if (typeof message !== "string" || message === "" || typeof reply !== "string" || reply === "") {
    throw new TypeError("heartbeat.message and heartbeat.reply must be non-empty strings");
  }
  return { interval, timeout, message, reply };
}

class HeartbeatMonitor {
  options;
  #now;
  #sawData = false;
  #lastReceived;
  #pingSentAt;
  #lastBuffered = 0;
  #timer;
  constructor(options, now = Date.now) {
    this.options = options;
    this.#now = now;
    this.#lastReceived = now();
  }
  get awaitingReply() {
    return this.#pingSentAt !== undefined;
  }
  received(data) {
    this.#sawData = true;
    if (this.#pingSentAt === undefined || typeof data !== "string")
      return false;
    if (data === this.options.reply || data === this.options.message) {
      this.#pingSentAt = undefined;
      return true;
    }
    return false;
  }
  tick(buffered = 0) {
    const now = this.#now();
    if (buffered < this.#lastBuffered)
      this.#sawData = true;
    this.#lastBuffered = buffered;
    if (this.#sawData) {
      this.#sawData = false;
      this.#lastReceived = now;
      this.#pingSentAt = undefined;
    }
    if (this.#pingSentAt !== undefined)
      return now - this.#pingSentAt >= this.options.timeout ? "dead" : "ok";
    if (now - this.#lastReceived >= this.options.interval) {
      this.#pingSentAt = now;
      return "ping";
    }
    return "ok";
  }
  start(ping, dead, buffered = () => 0) {
    this.stop();
    const every = Math.max(10, Math.min(this.options.interval, this.options.timeout) / 5);
    this.#timer = setInterval(() => {
      const state = this.tick(buffered());
      if (state === "ping")
        ping(this.options.message);
      else if (state === "dead") {
        this.stop();
        dead();
      }
    }, every);
  }
  stop() {
    if (this.#timer !== undefined)
      clearInterval(this.#timer);
    this.#timer = undefined;
  }
}

// src/client/error_text.ts
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

// src/client/websocket_global.ts
function webSocketConstructor() {
  const ctor = globalThis.WebSocket;
  if (typeof ctor !== "function") {
    throw new ConnectError("(none)", "this runtime has no global WebSocket (Node.js needs version 22, or --experimental-websocket on 20)");
  }
  return ctor;
}

// src/client/native_socket.browser.ts
function createNativeSocket(href, options) {
  if (options.headers)
    throw new Error("custom headers cannot be sent from a browser (use a query parameter or a cookie)");
  if (options.ca)
    throw new Error("a custom CA cannot be set from a browser: it uses the system's trust store");
  const WebSocketCtor = webSocketConstructor();
  return { ws: new WebSocketCtor(href, options.protocols), release() {} };
}

// src/client/open_socket.ts
var DEFAULT_CONNECT_TIMEOUT = 1e4;
function openSocket(href, options, done) {
  const parsed = new URL(href);
  if (parsed.protocol !== "ws:" && parsed.protocol !== "wss:") {
    throw new Error(`the scheme must be ws: or wss:, not ${parsed.protocol}`);
  }
  let protocols = options.protocols === undefined ? [] : [].concat(options.protocols);
  if (options.channels === true)
    protocols = [CHANNELS_PROTOCOL, ...protocols.filter((p) => p !== CHANNELS_PROTOCOL)];
  const { ws, release } = createNativeSocket(href, { protocols, headers: options.headers, ca: options.ca });
  ws.binaryType = "arraybuffer";
  let settled = false;
  const giveUp = () => {
    settled = true;
    clearTimeout(timer);
    release();
    ws.onerror = ws.onclose = null;
    ws.onopen = () => ws.close();
  };
  const fail = (reason) => {
    if (settled)
      return;
    giveUp();
    done.failed(reason);
  };
  const timeout = options.timeout ?? DEFAULT_CONNECT_TIMEOUT;
  const timer = setTimeout(() => {
    fail(`timed out after ${timeout} ms`);
    try {
      ws.close();
    } catch {}
  }, timeout);
  ws.onerror = (ev) => fail(describeErrorEvent(ev));
  ws.onclose = (ev) => fail(`closed during the handshake (code ${normalizeReceivedCloseCode(ev.code)})`);
  ws.onopen = () => {
    if (settled)
      return;
    settled = true;
    clearTimeout(timer);
    release();
    ws.onopen = ws.onerror = ws.onclose = null;
    done.opened(ws);
  };
  return () => {
    if (settled)
      return;
    giveUp();
    try {
      ws.close();
    } catch {}
  };
}

// src/client/events.ts
function callListener(listener, value) {
  try {
    listener(value);
  } catch (err) {
    queueMicrotask(() => {
      throw err;
    });
  }
}

class Emitter {
  #listeners = new Map;
  #owner;
  constructor(events, owner) {
    for (const event of events)
      this.#listeners.set(event, new Set);
    this.#owner = owner;
  }
  add(event, listener) {
    const set = this.#listeners.get(event);
    if (set === undefined)
      throw new TypeError(`unknown ${this.#owner} event ${JSON.stringify(event)}`);
    set.add(listener);
    return () => set.delete(listener);
  }
  count(event) {
    return this.#listeners.get(event).size;
  }
  emit(event, value) {
    for (const listener of this.#listeners.get(event))
      callListener(listener, value);
  }
}

class ClientEmitter extends Emitter {
  constructor() {
    super(["message", "open", "reconnecting", "reconnected", "close", "error", "drop", "publication"], "client");
  }
}

// src/client/inbox.ts
var BACKLOG_LIMIT = 1e4;

class Inbox {
  #events;
  #overflow;
  #closed;
  #what;
  #iterators = new Set;
  #backlog = [];
  constructor(events, closed, overflow, what = "message") {
    this.#events = events;
    this.#closed = closed;
    this.#overflow = overflow;
    this.#what = what;
  }
  deliver(msg) {
    const events = this.#events;
    if (events.count("message") === 0 && this.#iterators.size === 0) {
      if (this.#backlog.length < BACKLOG_LIMIT)
        this.#backlog.push(msg);
      else {
        this.#overflow(new Error(`${this.#what} dropped: more than ${BACKLOG_LIMIT} messages arrived before anything consumed them`));
      }
      return;
    }
    events.emit("message", msg);
    for (const queue of this.#iterators)
      queue.push(msg);
  }
  flushTo(listener) {
    const backlog = this.#backlog;
    if (backlog.length === 0)
      return;
    this.#backlog = [];
    queueMicrotask(() => backlog.forEach((msg) => callListener(listener, msg)));
  }
  iterator() {
    const queue = new MessageQueue((leftover) => {
      this.#iterators.delete(queue);
      if (leftover.length > 0 && !this.#closed())
        this.#backlog = leftover.concat(this.#backlog);
    });
    for (const msg of this.#backlog)
      queue.push(msg);
    this.#backlog = [];
    if (this.#closed())
      queue.end();
    else
      this.#iterators.add(queue);
    return queue;
  }
  end() {
    for (const queue of this.#iterators)
      queue.end();
    this.#iterators.clear();
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

// src/client/control_requests.ts
class ControlRequests {
  #waiting = new Map;
  #last = 0;
  get size() {
    return this.#waiting.size;
  }
  add(waiter) {
    let id = this.#last;
    do
      id = id + 1 >= MAX_REQUEST_ID ? 1 : id + 1;
    while (this.#waiting.has(id));
    this.#last = id;
    this.#waiting.set(id, waiter);
    return id;
  }
  forget(id) {
    this.#waiting.delete(id);
  }
  answer(id, answer) {
    const waiter = this.#waiting.get(id);
    if (waiter === undefined)
      return false;
    this.#waiting.delete(id);
    if (answer.t === "ok")
      waiter.ok(answer.members);
    else
      waiter.refused(answer.reason);
    return true;
  }
  lost(final) {
    const waiters = [...this.#waiting.values()];
    this.#waiting.clear();
    for (const waiter of waiters)
      waiter.lost(final);
  }
}

// src/client/pending_requests.ts
function checkRequestTimeout(timeout, name = "request timeout") {
  if (typeof timeout !== "number" || Number.isNaN(timeout) || timeout <= 0) {
    throw new RangeError(`${name} must be a number of ms > 0, got ${String(timeout)}`);
  }
  return timeout;
}

class PendingRequests {
  #waiting = new Map;
  #prefix = `${Math.random().toString(36).slice(2, 8)}-`;
  #counter = 0;
  get size() {
    return this.#waiting.size;
  }
  nextId() {
    return `${this.#prefix}${++this.#counter}`;
  }
  owns(id) {
    return typeof id === "string" && id.startsWith(this.#prefix);
  }
  wait(id, timeout, data) {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiting.delete(id);
        reject(new RequestError("timeout", `request ${id} got no reply within ${timeout} ms`));
      }, timeout);
      this.#waiting.set(id, { resolve, reject, timer, sent: false, data });
    });
  }
  has(id) {
    return this.#waiting.has(id);
  }
  dataOf(id) {
    return this.#waiting.get(id)?.data;
  }
  resolve(id, reply) {
    const w = this.#take(id);
    w?.resolve(reply);
    return w !== undefined;
  }
  reject(id, err) {
    const w = this.#take(id);
    w?.reject(err);
    return w !== undefined;
  }
  dropped(id, why) {
    this.reject(id, new RequestError("dropped", `request ${id} was not sent: ${why}`));
  }
  markSent(id) {
    const w = this.#waiting.get(id);
    if (w !== undefined)
      w.sent = true;
  }
  markAllSent() {
    for (const w of this.#waiting.values())
      w.sent = true;
  }
  rejectSent(why, all = false) {
    for (const [id, w] of this.#waiting) {
      if (!all && !w.sent)
        continue;
      this.reject(id, new RequestError("closed", `request ${id} got no reply: ${why}`));
    }
  }
  #take(id) {
    const w = this.#waiting.get(id);
    if (w === undefined)
      return;
    this.#waiting.delete(id);
    clearTimeout(w.timer);
    return w;
  }
}

// src/client/publish.ts
class PendingPublish {
  topic;
  promise;
  id;
  #resolve;
  #reject;
  #settled = false;
  #timer;
  constructor(topic, timeout, timedOut) {
    this.topic = topic;
    this.promise = new Promise((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    this.#timer = setTimeout(() => {
      const sent = this.id !== undefined;
      this.fail("timeout", sent ? `no answer within ${timeout} ms` : `not sent within ${timeout} ms: the client was offline`);
      timedOut(this);
    }, timeout);
  }
  get settled() {
    return this.#settled;
  }
  succeed() {
    if (this.#settled)
      return;
    this.#settled = true;
    clearTimeout(this.#timer);
    this.#resolve();
  }
  fail(kind, reason, cause) {
    if (this.#settled)
      return;
    this.#settled = true;
    clearTimeout(this.#timer);
    this.#reject(new PublishError(this.topic, kind, reason, cause === undefined ? undefined : { cause }));
  }
}

// src/client/server_requests.ts
var NO_REQUEST_HANDLER = "no request handler";
var MAX_ERROR_CHARS = 1000;
function errorText(err) {
  const text = err instanceof Error ? err.message : String(err);
  return text.length > MAX_ERROR_CHARS ? `${text.slice(0, MAX_ERROR_CHARS)}…` : text;
}

class ServerRequests {
  #handler;
  #connection = new AbortController;
  #send;
  constructor(send) {
    this.#send = send;
  }
  set(handler) {
    if (typeof handler !== "function")
      throw new TypeError("onRequest() takes a function");
    this.#handler = handler;
    return () => {
      if (this.#handler === handler)
        this.#handler = undefined;
    };
  }
  handle(id, data) {
    const signal = this.#connection.signal;
    const reply = (message) => {
      if (!signal.aborted)
        this.#send(controlFrame(message));
    };
    const handler = this.#handler;
    if (handler === undefined) {
      reply({ t: "reply", id, error: NO_REQUEST_HANDLER });
      return;
    }
    let result;
    try {
      result = handler(data, { signal });
    } catch (err) {
      reply({ t: "reply", id, error: errorText(err) });
      return;
    }
    const answer = (value) => {
      let frame;
      try {
        frame = controlFrame({ t: "reply", id, data: value === undefined ? null : value });
      } catch (err) {
        reply({ t: "reply", id, error: `the reply is not JSON: ${errorText(err)}` });
        return;
      }
      if (!signal.aborted)
        this.#send(frame);
    };
    Promise.resolve(result).then(answer, (err) => reply({ t: "reply", id, error: errorText(err) }));
  }
  connectionClosed() {
    this.#connection.abort();
    this.#connection = new AbortController;
  }
}

// src/client/subscription.ts
class Subscription {
  topic;
  #state;
  constructor(state) {
    this.topic = state.topic;
    this.#state = state;
  }
  get active() {
    return this.#state.phase === "active";
  }
  get members() {
    return [...this.#state.members.values()];
  }
  publish(data) {
    let payload;
    try {
      payload = framePayload(data, "publish");
    } catch (err) {
      return Promise.reject(err);
    }
    return this.#state.owner.publish(this.#state, payload);
  }
  publishJson(value) {
    let payload;
    try {
      payload = jsonPayload(value, "publish");
    } catch (err) {
      return Promise.reject(err);
    }
    return this.#state.owner.publish(this.#state, payload);
  }
  unsubscribe() {
    return this.#state.owner.unsubscribe(this.#state);
  }
  presence() {
    return this.#state.owner.presence(this.#state);
  }
  on(event, listener) {
    const state = this.#state;
    if ((event === "join" || event === "leave") && !state.presence) {
      throw new TypeError(`"${event}" events need a subscription with presence: subscribe(${JSON.stringify(this.topic)}, { presence: true })`);
    }
    const off = state.events.add(event, listener);
    if (event === "message")
      state.inbox.flushTo(listener);
    return off;
  }
  [Symbol.asyncIterator]() {
    return this.#state.inbox.iterator();
  }
}

// src/client/subscription_state.ts
class SubscriptionState {
  topic;
  presence;
  timeout;
  owner;
  events = new Emitter(["message", "join", "leave", "error", "resubscribed"], "subscription");
  inbox;
  members = new Map;
  phase = "pending";
  requestId;
  confirmed = false;
  timer;
  settle;
  constructor(topic, presence, timeout, owner, overflow) {
    this.topic = topic;
    this.presence = presence;
    this.timeout = timeout;
    this.owner = owner;
    this.inbox = new Inbox(this.events, () => this.phase === "ended", overflow, `publication on ${JSON.stringify(topic)}`);
  }
  deliver(msg) {
    this.inbox.deliver(msg);
  }
}

// src/client/channels.ts
function unavailableReason(asked) {
  return asked ? "channels are not enabled on this server" : "channels are off on this client: connect(url, { channels: true }) to use subscribe()";
}

class ChannelLayer {
  #host;
  #asked;
  #timeout;
  #subs = new Map;
  #control = new ControlRequests;
  #requests;
  #waitingPresence = [];
  #leaving = new Map;
  #agreed = false;
  constructor(host, asked, timeout) {
    this.#host = host;
    this.#asked = asked;
    this.#timeout = timeout;
    this.#requests = new ServerRequests((frame) => {
      if (host.open())
        host.sendFrame(frame);
    });
  }
  subscribe(topic, options = {}) {
    let timeout;
    try {
      const problem = topicProblem(topic, Number.MAX_SAFE_INTEGER);
      if (problem !== undefined)
        throw new TypeError(`subscribe(): ${problem}`);
      if (options.presence !== undefined && typeof options.presence !== "boolean") {
        throw new TypeError("subscribe(): options.presence must be true or false");
      }
      timeout = checkRequestTimeout(options.timeout ?? this.#timeout, "subscribe() timeout");
    } catch (err) {
      return Promise.reject(err);
    }
    if (!this.#agreed)
      return Promise.reject(new SubscribeError(topic, "unavailable", unavailableReason(this.#asked)));
    if (this.#subs.has(topic)) {
      return Promise.reject(new SubscribeError(topic, "duplicate", "this client already holds a subscription to this topic (unsubscribe() it first)"));
    }
    const state = new SubscriptionState(topic, options.presence === true, timeout, this, (err) => this.#host.error(err));
    const subscription = new Subscription(state);
    const promise = new Promise((resolve, reject) => {
      state.settle = { resolve: () => resolve(subscription), reject };
    });
    this.#subs.set(topic, state);
    state.timer = setTimeout(() => this.#subTimedOut(state), timeout);
    if (this.#host.open())
      this.#sendSub(state);
    return promise;
  }
  onRequest(handler) {
    return this.#requests.set(handler);
  }
  publish(state, payload) {
    if (state.phase !== "active")
      return Promise.reject(this.#ended(state, "publish"));
    const publish = new PendingPublish(state.topic, this.#timeout, (p) => {
      if (p.id !== undefined)
        this.#control.forget(p.id);
    });
    if (this.#host.open())
      this.#sendPublish(publish, payload);
    else {
      try {
        this.#host.enqueue(payload, publish);
      } catch (err) {
        publish.fail("dropped", err instanceof Error ? err.message : String(err), err);
      }
    }
    return publish.promise;
  }
  unsubscribe(state) {
    if (state.phase === "ended")
      return Promise.resolve();
    if (state.requestId !== undefined)
      this.#control.forget(state.requestId);
    this.#end(state);
    return this.#sendUnsub(state.topic, state.timeout);
  }
  presence(state) {
    if (state.phase !== "active")
      return Promise.reject(this.#ended(state, "ask for presence"));
    return new Promise((resolve, reject) => {
      const call = {
        state,
        id: undefined,
        resolve,
        reject,
        timer: setTimeout(() => {
          if (call.id !== undefined)
            this.#control.forget(call.id);
          else
            this.#waitingPresence = this.#waitingPresence.filter((c) => c !== call);
          reject(new SubscribeError(state.topic, "timeout", `presence: no answer within ${state.timeout} ms`));
        }, state.timeout)
      };
      if (this.#host.open())
        this.#sendPresence(call);
      else
        this.#waitingPresence.push(call);
    });
  }
  opened(agreed) {
    this.#agreed = agreed;
    if (!agreed)
      return;
    for (const state of this.#subs.values()) {
      if (state.phase === "active")
        state.timer = setTimeout(() => this.#subTimedOut(state), state.timeout);
      this.#sendSub(state);
    }
    const waiting = this.#waitingPresence;
    this.#waitingPresence = [];
    for (const call of waiting) {
      if (call.state.phase === "ended")
        this.#presenceFailed(call, "closed", "the subscription ended before it could be asked");
      else
        this.#sendPresence(call);
    }
  }
  unavailable() {
    const reason = unavailableReason(this.#asked);
    for (const state of [...this.#subs.values()])
      this.#subFailed(state, "unavailable", reason);
    const waiting = this.#waitingPresence;
    this.#waitingPresence = [];
    for (const call of waiting)
      this.#presenceFailed(call, "unavailable", reason);
  }
  sendQueued(publish, payload) {
    if (!publish.settled)
      this.#sendPublish(publish, payload);
  }
  dropQueued(publish, reason) {
    publish.fail("dropped", reason);
  }
  connectionClosed() {
    for (const state of this.#subs.values()) {
      state.confirmed = false;
      if (state.phase === "active" && state.timer !== undefined) {
        clearTimeout(state.timer);
        state.timer = undefined;
      }
    }
    this.#control.lost(false);
    this.#requests.connectionClosed();
  }
  clientClosed(why) {
    this.#control.lost(true);
    this.#requests.connectionClosed();
    for (const state of [...this.#subs.values()]) {
      if (state.phase === "pending")
        this.#subFailed(state, "closed", why);
      else
        this.#end(state);
    }
    const waiting = this.#waitingPresence;
    this.#waitingPresence = [];
    for (const call of waiting)
      this.#presenceFailed(call, "closed", why);
  }
  frame(frame) {
    if (frame.kind === "binary-publication") {
      this.#route(frame.topic, Message.from(frame.data));
      return;
    }
    if (frame.kind === "malformed") {
      this.#host.error(new FullDuplexError(`malformed channel frame from the server: ${frame.reason}`));
      return;
    }
    if (frame.kind !== "control")
      return;
    const m = frame.message;
    switch (m.t) {
      case "ok":
      case "deny":
        this.#control.answer(m.id, m);
        return;
      case "error":
        if (m.id === undefined || !this.#control.answer(m.id, m)) {
          this.#host.error(new FullDuplexError(`the server refused a channel message: ${m.reason}`));
        }
        return;
      case "msg":
        this.#route(m.topic, Message.from(m.data));
        return;
      case "join":
      case "leave": {
        const state = this.#subs.get(m.topic);
        if (state === undefined || !state.presence || state.phase !== "active")
          return;
        if (m.t === "join")
          state.members.set(m.member.id, m.member);
        else
          state.members.delete(m.member.id);
        state.events.emit(m.t, m.member);
        return;
      }
      case "end": {
        const state = this.#subs.get(m.topic);
        if (state !== undefined && state.confirmed)
          this.#subFailed(state, "ended", m.reason);
        return;
      }
      case "req":
        this.#requests.handle(m.id, m.data);
        return;
    }
  }
  #route(topic, msg) {
    const state = this.#subs.get(topic);
    if (state !== undefined)
      state.deliver(msg);
    else if (!this.#leaving.has(topic))
      this.#host.publication({ topic, message: msg });
  }
  #ended(state, what) {
    return new InvalidStateError(`cannot ${what}: the subscription to ${JSON.stringify(state.topic)} has ended`);
  }
  #sendSub(state) {
    const id = this.#control.add({
      ok: (members) => this.#subscribed(state, members),
      refused: (reason) => this.#subFailed(state, "denied", reason),
      lost: () => {
        if (state.requestId === id)
          state.requestId = undefined;
      }
    });
    state.requestId = id;
    const message = state.presence ? { t: "sub", id, topic: state.topic, presence: true } : { t: "sub", id, topic: state.topic };
    this.#host.sendFrame(controlFrame(message));
  }
  #subscribed(state, members) {
    if (state.phase === "ended")
      return;
    state.requestId = undefined;
    state.confirmed = true;
    if (state.timer !== undefined)
      clearTimeout(state.timer);
    state.timer = undefined;
    if (state.presence) {
      state.members.clear();
      for (const member of members ?? [])
        state.members.set(member.id, member);
    }
    const settle = state.settle;
    state.settle = undefined;
    if (state.phase === "pending") {
      state.phase = "active";
      settle?.resolve();
    } else
      state.events.emit("resubscribed", { topic: state.topic });
  }
  #subFailed(state, kind, reason) {
    if (state.phase === "ended")
      return;
    const wasPending = state.phase === "pending";
    const settle = state.settle;
    state.settle = undefined;
    this.#end(state);
    const err = new SubscribeError(state.topic, kind, reason);
    if (wasPending)
      settle?.reject(err);
    else
      state.events.emit("error", err);
  }
  #subTimedOut(state) {
    state.timer = undefined;
    const id = state.requestId;
    if (id !== undefined) {
      this.#control.forget(id);
      state.requestId = undefined;
      this.#sendUnsub(state.topic, state.timeout).catch(() => {});
    }
    this.#subFailed(state, "timeout", `no answer within ${state.timeout} ms`);
  }
  #end(state) {
    if (this.#subs.get(state.topic) === state)
      this.#subs.delete(state.topic);
    state.phase = "ended";
    state.confirmed = false;
    state.requestId = undefined;
    if (state.timer !== undefined)
      clearTimeout(state.timer);
    state.timer = undefined;
    state.inbox.end();
  }
  #sendUnsub(topic, timeout) {
    if (!this.#host.open())
      return Promise.resolve();
    this.#leaving.set(topic, (this.#leaving.get(topic) ?? 0) + 1);
    const left = () => {
      const n = this.#leaving.get(topic) - 1;
      if (n === 0)
        this.#leaving.delete(topic);
      else
        this.#leaving.set(topic, n);
    };
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#control.forget(id);
        left();
        reject(new SubscribeError(topic, "timeout", `unsubscribe: no answer within ${timeout} ms`));
      }, timeout);
      const done = () => {
        clearTimeout(timer);
        left();
      };
      const id = this.#control.add({
        ok: () => {
          done();
          resolve();
        },
        refused: (reason) => {
          done();
          reject(new SubscribeError(topic, "denied", reason));
        },
        lost: () => {
          done();
          resolve();
        }
      });
      this.#host.sendFrame(controlFrame({ t: "unsub", id, topic }));
    });
  }
  #sendPresence(call) {
    const id = this.#control.add({
      ok: (members) => {
        clearTimeout(call.timer);
        call.resolve(members ?? []);
      },
      refused: (reason) => this.#presenceFailed(call, "denied", reason),
      lost: (final) => {
        call.id = undefined;
        if (final)
          this.#presenceFailed(call, "closed", "the client closed before the server answered");
        else
          this.#waitingPresence.push(call);
      }
    });
    call.id = id;
    this.#host.sendFrame(controlFrame({ t: "presence", id, topic: call.state.topic }));
  }
  #presenceFailed(call, kind, reason) {
    clearTimeout(call.timer);
    call.reject(new SubscribeError(call.state.topic, kind, `presence: ${reason}`));
  }
  #sendPublish(publish, payload) {
    const id = this.#control.add({
      ok: () => publish.succeed(),
      refused: (reason) => publish.fail("denied", reason),
      lost: () => publish.fail("closed", "the connection closed before the server answered: it may or may not have been published")
    });
    publish.id = id;
    const topic = publish.topic;
    this.#host.sendFrame(typeof payload === "string" ? controlFrame({ t: "pub", id, topic, data: payload }) : binaryPublish(id, topic, payload));
  }
}

// src/client/client.ts
var DRAIN_POLL_MS = 10;
function tagged(payload) {
  return typeof payload === "string" ? appText(payload) : appBinary(payload);
}
var { CONNECTING, OPEN, CLOSING, CLOSED } = ReadyStates;

class Client {
  #source;
  #options;
  #reconnect;
  #queue;
  #heartbeatOptions;
  #requests;
  #heartbeat;
  #url;
  #ws;
  #protocol = "";
  #state = CONNECTING;
  #closeInfo;
  #closed;
  #resolveClosed;
  #events = new ClientEmitter;
  #inbox = new Inbox(this.#events, () => this.#closeInfo !== undefined, (err) => this.#emit("error", err));
  #channels;
  #tagged = false;
  #attempt = 0;
  #openedAt = 0;
  #everOpened = false;
  #first;
  #retryTimer;
  #closeTimer;
  #abortAttempt;
  #lastFailure = "";
  #lastDrop;
  constructor(source, options, settings, first) {
    this.#source = source;
    this.#options = options;
    this.#reconnect = settings.reconnect;
    this.#queue = settings.queue;
    this.#heartbeatOptions = settings.heartbeat;
    this.#requests = settings.requests;
    this.#channels = new ChannelLayer({
      open: () => this.#tagged && this.#state === OPEN && this.#ws.readyState === OPEN,
      sendFrame: (frame) => this.#ws.send(frame),
      enqueue: (payload, publish) => this.#enqueue(payload, undefined, publish),
      error: (err) => this.#emit("error", err),
      publication: (event) => this.#emit("publication", event)
    }, options.channels === true, settings.requests.defaultTimeout);
    this.#first = first;
    this.#url = typeof source === "function" ? "(url function)" : String(source);
    this.#closed = new Promise((resolve) => this.#resolveClosed = resolve);
    this.#attemptConnection();
  }
  get url() {
    return this.#url;
  }
  get protocol() {
    return this.#ws?.protocol ?? this.#protocol;
  }
  get readyState() {
    if (this.#state === OPEN)
      return this.#ws.readyState;
    return this.#state;
  }
  get bufferedAmount() {
    return (this.#ws?.bufferedAmount ?? 0) + (this.#queue?.bytes ?? 0);
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
    this.#send(framePayload(data, "send"), undefined);
  }
  sendJson(value) {
    this.#send(jsonPayload(value, "send"), undefined);
  }
  request(value, options) {
    if (this.#state >= CLOSING) {
      return Promise.reject(new InvalidStateError(`cannot send a request: the connection to ${this.#url} is ${this.#state === CLOSED ? "closed" : "closing"}`));
    }
    let created;
    try {
      created = this.#requests.create(value, options);
    } catch (err) {
      return Promise.reject(err);
    }
    const pending = this.#requests.pending;
    try {
      if (this.#send(created.text, created.id))
        pending.markSent(created.id);
    } catch (err) {
      pending.reject(created.id, err instanceof Error ? err : new Error(String(err)));
    }
    return created.reply;
  }
  subscribe(topic, options) {
    if (this.#state >= CLOSING) {
      return Promise.reject(new InvalidStateError(`cannot subscribe: the connection to ${this.#url} is ${this.#state === CLOSED ? "closed" : "closing"}`));
    }
    return this.#channels.subscribe(topic, options);
  }
  onRequest(handler) {
    return this.#channels.onRequest(handler);
  }
  async drained(threshold = 0) {
    while (this.bufferedAmount > threshold) {
      await new Promise((resolve) => setTimeout(resolve, DRAIN_POLL_MS));
      if (this.#state === CLOSED) {
        throw new InvalidStateError(`the connection to ${this.#url} closed for good before its buffered data was sent`);
      }
    }
  }
  close(code = 1000, reason = "") {
    assertCloseArgs(code, reason);
    if (this.#state >= CLOSING)
      return this.#closed;
    this.#state = CLOSING;
    this.#cancelAttempt();
    const ws = this.#ws;
    if (ws === undefined) {
      this.#finish({ code, reason });
      return this.#closed;
    }
    this.#heartbeat?.stop();
    if (ws.readyState < CLOSING)
      ws.close(code, reason);
    const wait = this.#options.timeout ?? DEFAULT_CONNECT_TIMEOUT;
    this.#closeTimer = setTimeout(() => this.#dropped(ws, { code: 1006, reason: "close handshake timed out" }, true), wait);
    return this.#closed;
  }
  on(event, listener) {
    const off = this.#events.add(event, listener);
    if (event === "message")
      this.#inbox.flushTo(listener);
    if (event === "close" && this.#closeInfo)
      listener(this.#closeInfo);
    return off;
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
    return this.#inbox.iterator();
  }
  #send(payload, requestId) {
    const ws = this.#ws;
    if (this.#state === OPEN && ws.readyState === OPEN) {
      ws.send(this.#tagged ? tagged(payload) : payload);
      return true;
    }
    this.#enqueue(payload, requestId, undefined);
    return false;
  }
  #enqueue(payload, requestId, publish) {
    if (this.#state >= CLOSING || this.#queue === undefined) {
      throw new InvalidStateError(`cannot send: the connection to ${this.#url} is ${this.#closeInfo ? "closed" : this.#state === CLOSING ? "closing" : "not open"}`);
    }
    for (const dropped of this.#queue.push(payload, requestId, publish)) {
      this.#reportDrop(dropped, 'dropped from the full offline queue to make room (queue.whenFull: "drop-oldest")');
    }
  }
  #reportDrop(item, reason) {
    if (item.requestId !== undefined)
      this.#requests.pending.dropped(item.requestId, reason);
    if (item.publish !== undefined)
      this.#channels.dropQueued(item.publish, reason);
    this.#emit("drop", { data: item.data, reason });
  }
  #attemptConnection() {
    this.#retryTimer = undefined;
    const source = this.#source;
    if (typeof source !== "function") {
      this.#dial(String(source));
      return;
    }
    let pending;
    try {
      pending = Promise.resolve(source());
    } catch (err) {
      pending = Promise.reject(err);
    }
    pending.then((url) => this.#dial(String(url)), (err) => this.#attemptFailed(`the url function failed: ${err instanceof Error ? err.message : String(err)}`));
  }
  #dial(href) {
    if (this.#state >= CLOSING)
      return;
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
        }
      });
    } catch (err) {
      this.#fatal(err instanceof ConnectError ? err : new ConnectError(href, err instanceof Error ? err.message : String(err), { cause: err }));
    }
  }
  #cancelAttempt() {
    if (this.#retryTimer !== undefined)
      clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
    this.#abortAttempt?.();
    this.#abortAttempt = undefined;
  }
  #opened(ws) {
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
        const data = ev.data;
        if (heartbeat !== undefined && heartbeat.received(data))
          return;
        if (pending.size > 0 && typeof data === "string" && requests.match(data))
          return;
        this.#inbox.deliver(Message.from(data));
      };
    } else {
      const layer = this.#channels;
      ws.onmessage = (ev) => {
        const raw = ev.data;
        const frame = decodeServerFrame(typeof raw === "string" ? raw : new Uint8Array(raw));
        if (frame.kind !== "app") {
          heartbeat?.received(undefined);
          layer.frame(frame);
          return;
        }
        const data = frame.data;
        if (heartbeat !== undefined && heartbeat.received(data))
          return;
        if (pending.size > 0 && typeof data === "string" && requests.match(data))
          return;
        this.#inbox.deliver(Message.from(data));
      };
    }
    ws.onerror = (ev) => this.#emit("error", new Error(describeErrorEvent(ev)));
    ws.onclose = (ev) => this.#dropped(ws, { code: normalizeReceivedCloseCode(ev.code), reason: ev.reason ?? "" }, false);
    this.#channels.opened(channels);
    const queue = this.#queue;
    let unsent;
    if (queue !== undefined && queue.length > 0) {
      for (const item of queue.takeAll()) {
        if (item.publish !== undefined) {
          if (channels)
            this.#channels.sendQueued(item.publish, item.data);
          else
            (unsent ??= []).push(item);
          continue;
        }
        ws.send(channels ? tagged(item.data) : item.data);
        if (item.requestId !== undefined)
          pending.markSent(item.requestId);
      }
    }
    heartbeat?.start((text) => {
      if (ws.readyState === OPEN)
        ws.send(channels ? appText(text) : text);
    }, () => this.#dropped(ws, { code: HEARTBEAT_CLOSE_CODE, reason: `no heartbeat reply within ${heartbeat.options.timeout} ms` }, true), () => ws.bufferedAmount);
    this.#emit("open", { url: this.#url });
    if (reconnected)
      this.#emit("reconnected", { url: this.#url, attempts: this.#attempt });
    if (!channels) {
      this.#channels.unavailable();
      for (const item of unsent ?? []) {
        this.#reportDrop(item, "the new connection has no channels (the server did not agree to fullduplex.channels.v1)");
      }
    }
    const first = this.#first;
    this.#first = undefined;
    first?.resolve(this);
  }
  #attemptFailed(reason) {
    if (this.#state >= CLOSING)
      return;
    this.#lastFailure = reason;
    if (this.#reconnect === undefined) {
      this.#fatal(new ConnectError(this.#url, reason));
      return;
    }
    if (this.#everOpened)
      this.#emit("error", new ConnectError(this.#url, reason));
    this.#scheduleRetry({ code: 1006, reason });
  }
  #dropped(ws, info, local) {
    if (ws !== this.#ws)
      return;
    ws.onopen = ws.onmessage = ws.onerror = ws.onclose = null;
    this.#ws = undefined;
    this.#heartbeat?.stop();
    this.#heartbeat = undefined;
    if (this.#closeTimer !== undefined)
      clearTimeout(this.#closeTimer);
    this.#closeTimer = undefined;
    if (local && ws.readyState < CLOSING) {
      try {
        ws.close(info.code === HEARTBEAT_CLOSE_CODE ? info.code : 1000, truncateCloseReason(info.reason));
      } catch {}
    }
    this.#lastDrop = info;
    const policy = this.#reconnect;
    if (this.#state === CLOSING || policy === undefined || !local && !this.#wantsReconnect(policy, info)) {
      this.#finish(info);
      return;
    }
    this.#requests.pending.rejectSent(`the connection closed (${info.code}${info.reason ? ` ${info.reason}` : ""}) before the reply arrived`);
    this.#channels.connectionClosed();
    if (Date.now() - this.#openedAt >= policy.stableAfter)
      this.#attempt = 0;
    this.#scheduleRetry(info);
  }
  #wantsReconnect(policy, info) {
    try {
      return policy.shouldReconnect(info) === true;
    } catch (err) {
      this.#emit("error", err instanceof Error ? err : new Error(String(err)));
      return false;
    }
  }
  #scheduleRetry(cause) {
    const policy = this.#reconnect;
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
    if (this.#state !== CONNECTING)
      return;
    this.#retryTimer = setTimeout(() => this.#attemptConnection(), delay);
  }
  #fatal(err) {
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
  #emit(event, value) {
    this.#events.emit(event, value);
  }
  #finish(info) {
    if (this.#closeInfo)
      return;
    this.#state = CLOSED;
    this.#closeInfo = info;
    this.#cancelAttempt();
    this.#heartbeat?.stop();
    const why = `the client closed (${info.code}${info.reason ? ` ${info.reason}` : ""})`;
    this.#requests.pending.rejectSent(why, true);
    this.#channels.clientClosed(why);
    if (this.#queue !== undefined && this.#queue.length > 0) {
      for (const item of this.#queue.takeAll())
        this.#reportDrop(item, "the client closed for good before it could be sent");
    }
    this.#inbox.end();
    this.#emit("close", info);
    this.#resolveClosed(info);
  }
}

// src/client/queue.ts
var DEFAULT_QUEUE = Object.freeze({
  maxMessages: 1000,
  maxBytes: 1024 * 1024,
  whenFull: "throw"
});
function resolveQueue(option) {
  if (option === false)
    return;
  const o = option === undefined || option === true ? {} : option;
  const maxMessages = o.maxMessages ?? DEFAULT_QUEUE.maxMessages;
  const maxBytes = o.maxBytes ?? DEFAULT_QUEUE.maxBytes;
  if (!Number.isInteger(maxMessages) || maxMessages < 1) {
    throw new RangeError(`queue.maxMessages must be an integer ≥ 1, got ${String(maxMessages)}`);
  }
  if (!Number.isInteger(maxBytes) || maxBytes < 1)
    throw new RangeError(`queue.maxBytes must be an integer ≥ 1, got ${String(maxBytes)}`);
  const whenFull = o.whenFull ?? DEFAULT_QUEUE.whenFull;
  if (whenFull !== "throw" && whenFull !== "drop-oldest") {
    throw new TypeError(`queue.whenFull must be "throw" or "drop-oldest", got ${String(whenFull)}`);
  }
  return { maxMessages, maxBytes, whenFull };
}

class OfflineQueue {
  limits;
  #items = [];
  #head = 0;
  #bytes = 0;
  constructor(limits) {
    this.limits = limits;
  }
  get length() {
    return this.#items.length - this.#head;
  }
  get bytes() {
    return this.#bytes;
  }
  push(data, requestId, publish) {
    const bytes = typeof data === "string" ? utf8ByteLength(data) : data.byteLength;
    const { maxMessages, maxBytes, whenFull } = this.limits;
    if (bytes > maxBytes) {
      throw new QueueFullError(`cannot queue a ${bytes}-byte message while reconnecting: it is larger than queue.maxBytes (${maxBytes}); it was not sent`);
    }
    const dropped = [];
    while (this.length >= maxMessages || this.#bytes + bytes > maxBytes) {
      if (whenFull === "throw") {
        throw new QueueFullError(`the offline queue is full (${this.length} messages, ${this.#bytes} bytes; ` + `limits queue.maxMessages ${maxMessages}, queue.maxBytes ${maxBytes}) while reconnecting: ` + "the message was not sent. Slow down (await client.drained()) or raise the limits");
      }
      dropped.push(this.shift());
    }
    const item = { data: typeof data === "string" ? data : data.slice(), bytes, requestId };
    if (publish !== undefined)
      item.publish = publish;
    this.#items.push(item);
    this.#bytes += bytes;
    return dropped;
  }
  shift() {
    if (this.#head >= this.#items.length)
      return;
    const item = this.#items[this.#head++];
    this.#bytes -= item.bytes;
    if (this.#head === this.#items.length) {
      this.#items = [];
      this.#head = 0;
    } else if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return item;
  }
  takeAll() {
    const all = this.#items.slice(this.#head);
    this.#items = [];
    this.#head = 0;
    this.#bytes = 0;
    return all;
  }
}

// src/client/request.ts
var DEFAULT_REQUEST = Object.freeze({ idField: "id", timeout: 1e4 });
function resolveRequestDefaults(option) {
  const idField = option?.idField ?? DEFAULT_REQUEST.idField;
  const timeout = option?.timeout ?? DEFAULT_REQUEST.timeout;
  if (typeof idField !== "string" || idField === "" || idField.includes('"') || idField.includes("\\")) {
    throw new TypeError(`request.idField must be a non-empty field name without quotes or backslashes, got ${JSON.stringify(idField)}`);
  }
  checkRequestTimeout(timeout, "request.timeout");
  return { idField, timeout };
}

class JsonRequests {
  idField;
  defaultTimeout;
  pending = new PendingRequests;
  #needle;
  constructor(defaults) {
    this.idField = defaults.idField;
    this.defaultTimeout = defaults.timeout;
    this.#needle = JSON.stringify(defaults.idField);
  }
  create(value, options = {}) {
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      throw new TypeError("request() takes a plain JSON object; the correlation id is added to it as a field");
    }
    const timeout = checkRequestTimeout(options.timeout ?? this.defaultTimeout);
    const id = this.pending.nextId();
    const text = JSON.stringify({ ...value, [this.idField]: id });
    return { text, id, reply: this.pending.wait(id, timeout, undefined) };
  }
  match(text) {
    const pending = this.pending;
    if (pending.size === 0 || text.charCodeAt(0) !== 123 || !text.includes(this.#needle))
      return false;
    let parsed;
    try {
      parsed = JSON.parse(text);
    } catch {
      return false;
    }
    if (typeof parsed !== "object" || parsed === null)
      return false;
    const id = parsed[this.idField];
    return typeof id === "string" && pending.resolve(id, parsed);
  }
}

// src/client/connect.ts
function connect(url, options = {}) {
  return new Promise((resolve, reject) => {
    let settings;
    try {
      if (options.channels !== undefined && typeof options.channels !== "boolean") {
        throw new TypeError(`channels must be true or false, got ${String(options.channels)}`);
      }
      const reconnect = resolveReconnect(options.reconnect);
      const queueLimits = reconnect === undefined ? undefined : resolveQueue(options.queue);
      settings = {
        reconnect,
        queue: queueLimits === undefined ? undefined : new OfflineQueue(queueLimits),
        heartbeat: resolveClientHeartbeat(options.heartbeat),
        requests: new JsonRequests(resolveRequestDefaults(options.request))
      };
    } catch (err) {
      reject(err);
      return;
    }
    new Client(url, options, settings, { resolve, reject });
  });
}
export {
  Client,
  CloseCode,
  ConnectError,
  FullDuplexError,
  HEARTBEAT_CLOSE_CODE,
  InvalidStateError,
  MAX_CLOSE_REASON_BYTES,
  Message,
  MessageDecodeError,
  PublishError,
  QueueFullError,
  ReadyStates,
  RequestError,
  SubscribeError,
  Subscription,
  connect,
  isApplicationCloseCode,
  shouldReconnectByDefault
};
