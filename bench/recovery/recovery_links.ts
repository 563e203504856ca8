/**
 * The subscribers and the publisher of the recovery scenario, per library,
 * each with its own client as an application would use it:
 *
 * - fullduplex: `connect(url, { channels: true, reconnect })` and
 *   `subscribe(topic, { recover: true })` (the client resumes from its last
 *   position after every reconnect); the publisher is a plain WebSocket to
 *   `/?pub` whose server stores each publication with `publishWithAck` and
 *   answers `ack <seq>`.
 * - socket.io: socket.io-client (websocket transport only) with
 *   reconnection on, against servers with connection state recovery (the
 *   client sends its session id and last offset back on reconnect); the
 *   publisher is socket.io-client too, emitting `p`.
 *
 * Both reconnect with the same backoff (a first delay drawn around
 * `minDelay`, growing to at most `maxDelay`).
 *
 * @module
 */

import { io } from "socket.io-client";
import { connect } from "../../mod.ts";
import { PUBLISHER_QUERY, TOPIC } from "../servers/mode.ts";

/** The two libraries. */
export type Library = "fullduplex" | "socketio";

/** Reconnect backoff, ms. */
export interface Backoff {
  minDelay: number;
  maxDelay: number;
}

/** A subscriber that comes back after its server died. */
export interface RecoveringSubscriber {
  /** Called with the sequence number of every delivery. */
  onSeq: ((seq: number) => void) | null;
  /** Date.now() of every reconnect (the first connection excluded). */
  readonly reopenedAt: number[];
  /** What each (re)subscribe said about recovery: fullduplex's `recovery` events, socket.io's `socket.recovered` per reconnect. */
  readonly recoveries: { recovered: boolean; reason?: string }[];
  /** Errors that ended the subscription (fullduplex `error` events on the subscription). */
  readonly errors: string[];
  close(): Promise<void>;
}

/** The publisher. */
export interface Publisher {
  send(seq: number): void;
  /** Publications the server confirmed as stored (fullduplex), or NaN when the library does not say (socket.io). */
  readonly acked: number;
  /** Sequence numbers the server could not store (nobody got them). */
  readonly failed: number[];
  /** Set once the publisher's own connection ended. */
  readonly lost: string | undefined;
  close(): Promise<void>;
}

function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} within ${ms} ms`)), ms))),
  ]);
}

async function fullduplexSubscriber(url: string, backoff: Backoff, timeoutMs: number): Promise<RecoveringSubscriber> {
  const client = await connect(url, { channels: true, reconnect: backoff, timeout: timeoutMs });
  const s: RecoveringSubscriber = {
    onSeq: null,
    reopenedAt: [],
    recoveries: [],
    errors: [],
    close: async () => void (await client.close()),
  };
  client.on("reconnected", () => s.reopenedAt.push(Date.now()));
  client.on("error", () => {}); // failed attempts while the server is down: expected
  try {
    const sub = await client.subscribe(TOPIC, { recover: true, timeout: timeoutMs });
    sub.on("message", (msg) => s.onSeq?.(Number(msg.text())));
    sub.on(
      "recovery",
      (e) => s.recoveries.push(e.reason === undefined ? { recovered: e.recovered } : { recovered: e.recovered, reason: e.reason }),
    );
    sub.on("error", (e) => s.errors.push(e.reason));
  } catch (err) {
    await client.close();
    throw err;
  }
  return s;
}

function socketIoSubscriber(url: string, backoff: Backoff, timeoutMs: number): Promise<RecoveringSubscriber> {
  const socket = io(url, {
    transports: ["websocket"],
    forceNew: true,
    reconnection: true,
    reconnectionDelay: backoff.minDelay,
    reconnectionDelayMax: backoff.maxDelay,
    timeout: timeoutMs,
  });
  let connected = false;
  const s: RecoveringSubscriber = {
    onSeq: null,
    reopenedAt: [],
    recoveries: [],
    errors: [],
    close() {
      socket.disconnect();
      return Promise.resolve();
    },
  };
  // With connection state recovery the server appends the stream offset as a last argument.
  socket.on("m", (data: string) => s.onSeq?.(Number(data)));
  return within(
    new Promise<RecoveringSubscriber>((resolve) => {
      socket.on("connect", () => {
        if (!connected) {
          connected = true;
          resolve(s);
          return;
        }
        s.reopenedAt.push(Date.now());
        s.recoveries.push({ recovered: socket.recovered });
      });
    }),
    timeoutMs,
    `${url} did not connect`,
  ).catch((err) => {
    socket.disconnect();
    throw err;
  });
}

/** Opens one subscriber of `library` on `url`; rejects if it is not subscribed within `timeoutMs`. */
export function openSubscriber(library: Library, url: string, backoff: Backoff, timeoutMs: number): Promise<RecoveringSubscriber> {
  return library === "fullduplex" ? fullduplexSubscriber(url, backoff, timeoutMs) : socketIoSubscriber(url, backoff, timeoutMs);
}

const isBun = typeof (globalThis as Record<string, unknown>).Bun === "object";

function fullduplexPublisher(url: string, timeoutMs: number): Promise<Publisher> {
  const target = `${url}/${PUBLISHER_QUERY}`;
  const ws = isBun
    ? new (WebSocket as unknown as new (url: string, options: object) => WebSocket)(target, { perMessageDeflate: false })
    : new WebSocket(target);
  let closing = false;
  const p = {
    acked: 0,
    failed: [] as number[],
    lost: undefined as string | undefined,
    send: (seq: number) => ws.send(String(seq)),
    close() {
      closing = true;
      if (ws.readyState === WebSocket.CLOSED) return Promise.resolve();
      const closed = new Promise<void>((resolve) => ws.addEventListener("close", () => resolve()));
      ws.close(1000);
      return within(closed, 3000, "close").catch(() => {});
    },
  };
  ws.onmessage = (e: MessageEvent) => {
    const text = e.data as string;
    if (text.startsWith("ack ")) p.acked++;
    else if (text.startsWith("fail ")) p.failed.push(Number(text.slice(5)));
  };
  ws.onclose = (e: CloseEvent) => {
    if (!closing) p.lost = `the publisher's connection closed (${e.code})`;
  };
  return within(
    new Promise<Publisher>((resolve, reject) => {
      ws.onopen = () => resolve(p);
      ws.onerror = () => reject(new Error(`${target} failed to open`));
    }),
    timeoutMs,
    `${target} did not open`,
  );
}

function socketIoPublisher(url: string, timeoutMs: number): Promise<Publisher> {
  const socket = io(url, { transports: ["websocket"], forceNew: true, reconnection: false, query: { pub: "1" } });
  let closing = false;
  const p = {
    acked: NaN,
    failed: [] as number[],
    lost: undefined as string | undefined,
    send: (seq: number) => void socket.emit("p", String(seq)),
    close() {
      closing = true;
      socket.disconnect();
      return Promise.resolve();
    },
  };
  socket.on("disconnect", (reason: string) => {
    if (!closing) p.lost = `the publisher disconnected (${reason})`;
  });
  return within(
    new Promise<Publisher>((resolve, reject) => {
      socket.once("connect", () => resolve(p));
      socket.once("connect_error", (err: Error) => reject(new Error(`${url} failed to open: ${err.message}`)));
    }),
    timeoutMs,
    `${url} did not connect`,
  ).catch((err) => {
    socket.disconnect();
    throw err;
  });
}

/** Opens the publisher of `library` on `url`. */
export function openPublisher(library: Library, url: string, timeoutMs: number): Promise<Publisher> {
  return library === "fullduplex" ? fullduplexPublisher(url, timeoutMs) : socketIoPublisher(url, timeoutMs);
}
