/**
 * Per-connection state machine shared by both adapters: close exactly once,
 * close codes normalised, message limits, rate limit, heartbeat answers,
 * backpressure policy, keep-alive bookkeeping, guarded handlers. It owns
 * its state and talks to the endpoint through a narrow
 * {@link ConnectionHost}, so it can be built and tested alone. Internal.
 *
 * @module
 */

import { appBinary, appText, CHANNELS_PROTOCOL } from "../shared/channel_wire.ts";
import { CloseCode, normalizeReceivedCloseCode, truncateCloseReason } from "../shared/close_codes.ts";
import { InvalidStateError } from "../shared/errors.ts";
import { Message } from "../shared/message.ts";
import { ReadyStates } from "../shared/types.ts";
import type { ReadyState, RemoteAddress, SendResult } from "../shared/types.ts";
import type { BackpressureWatch, Drainable } from "./backpressure.ts";
import type { ChannelConnection, ChannelService, ChannelSession } from "./channel_port.ts";
import type { ResolvedServerHeartbeat } from "./heartbeat.ts";
import type { MessageSizeHistogram } from "./histogram.ts";
import type { Sweepable } from "./keepalive.ts";
import type { ResolvedLimits, WebSocketHandlers } from "./options.ts";
import type { TopicMembership } from "./pubsub.ts";
import { RateLimiter } from "./rate_limit.ts";
import { Socket } from "./socket.ts";
import type { SocketBackend } from "./socket.ts";
import type { Stat } from "./stats.ts";
import type { TopicMember } from "./topics.ts";
import type { AdapterCapabilities, Transport } from "./transport.ts";

// Local names for the ready states: a constant compare on the hot path.
const CONNECTING = ReadyStates.CONNECTING;
const OPEN = ReadyStates.OPEN;
const CLOSING = ReadyStates.CLOSING;
const CLOSED = ReadyStates.CLOSED;

/** The limits a connection applies itself. */
export type ConnectionLimits = Pick<
  ResolvedLimits,
  | "maxMessageBytes"
  | "closeTimeout"
  | "lowWaterMark"
  | "onBackpressureLimit"
  | "maxMessagesWhileBackpressured"
  | "rateLimit"
  | "releaseReceivedBuffers"
>;

/**
 * What a connection needs from its endpoint (ServerCore implements it; a
 * unit test can hand a small fake). Nothing here writes the connection's
 * state: the connection calls out, never the reverse.
 */
export interface ConnectionHost<D, T extends Transport> {
  readonly limits: ConnectionLimits;
  /** Whether the engine enforces maxMessageBytes itself. */
  readonly capabilities: Pick<AdapterCapabilities, "nativeMaxMessageBytes">;
  /** The user's handlers (read at each call: the router may wrap them). */
  readonly handlers: Pick<WebSocketHandlers<D>, "open" | "message" | "drain" | "close">;
  /** Texts of the client heartbeat to answer, or undefined when off. */
  readonly heartbeat: ResolvedServerHeartbeat | undefined;
  /** The endpoint's low-water-mark watch. */
  readonly backpressure: BackpressureWatch<Connection<D, T>>;
  /** The endpoint's topic subscriptions. */
  readonly topics: TopicMembership<T>;
  /** The channels layer, when the `channels` option is set. */
  readonly channels?: ChannelService<D> | undefined;
  /** Passes a handler's error to the `error` handler (or logs it). */
  reportError(socket: Socket<D>, err: unknown): void;
  /** Counts one event in `stats`. */
  count(stat: Stat): void;
  /** The sizes of received messages, for `metrics()` (histogram.ts). */
  readonly messageSizes: Pick<MessageSizeHistogram, "observe">;
  /** Gives back the maxConnections slot the upgrade took (called once). */
  upgradeEnded(): void;
  /** The connection is open. */
  track(conn: Connection<D, T>): void;
  /** The connection is closed. */
  untrack(conn: Connection<D, T>): void;
  /**
   * The connection was closed on the library's side but the engine could
   * not drop it (Deno): it keeps its slots (lingering.ts) until
   * `endLingering`. Called before the `untrack` of its close.
   */
  startLingering(conn: Connection<D, T>): void;
  /** The engine reported an already closed connection closed (a lingering one is let go at last; otherwise nothing). */
  endLingering(conn: Connection<D, T>): void;
}

/** A value that may be a promise: handlers may be sync or async. */
function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof value === "object" && value !== null && typeof (value as { then?: unknown }).then === "function";
}

/** One connection's state; the adapter feeds it events, the Socket reads it. */
export class Connection<D = unknown, T extends Transport = Transport>
  implements SocketBackend, TopicMember<T>, Drainable, Sweepable, ChannelConnection<D> {
  /** The adapter's socket handle. */
  readonly transport: T;
  /** The face handlers see. */
  readonly socket: Socket<D>;
  readonly #host: ConnectionHost<D, T>;
  #state: ReadyState = CONNECTING;
  /** Set by any received frame (data or pong); cleared by each keep-alive sweep. */
  #heard = true;
  /** Keep-alive sweeps in a row that saw nothing from the peer. */
  #silentSweeps = 0;
  /** Messages received since a send to this peer was refused at backpressureLimit; -1 when none was (or it drained since). */
  #messagesWhileRefused = -1;
  /** Only on servers with `rateLimit`: undefined costs one comparison per message. */
  readonly #limiter: RateLimiter | undefined;
  /** Resolvers of `socket.drained()` promises. */
  #drainWaiters: (() => void)[] | undefined;
  /** This connection still holds a maxConnections reservation from its upgrade. */
  #reserved = true;
  /** Code and reason of a close the server started, reported instead of the echo. */
  #sentClose: { code: number; reason: string } | undefined;
  #closeTimer: ReturnType<typeof setTimeout> | undefined;
  /** maxMessageBytes when the engine does not enforce it itself (Deno), else 0. */
  readonly #maxMessageBytes: number;
  /** releaseReceivedBuffers: detach a received ArrayBuffer after a sync handler (Deno). */
  readonly #releaseBuffers: boolean;
  /** The channels session: set once, at creation, only on a connection that agreed to fullduplex.channels.v1. */
  readonly #channel: ChannelSession | undefined;
  /** A channels connection (its topic engine sends it framed publications). */
  readonly channels: boolean;

  constructor(host: ConnectionHost<D, T>, transport: T, data: D, remote: RemoteAddress, protocol: string) {
    this.#host = host;
    this.transport = transport;
    const limits = host.limits;
    this.#limiter = limits.rateLimit === undefined ? undefined : new RateLimiter(limits.rateLimit);
    this.#maxMessageBytes = host.capabilities.nativeMaxMessageBytes ? 0 : limits.maxMessageBytes;
    this.#releaseBuffers = limits.releaseReceivedBuffers;
    this.socket = new Socket<D>(this, data, remote, protocol);
    const service = host.channels;
    this.#channel = service !== undefined && protocol === CHANNELS_PROTOCOL ? service.open(this) : undefined;
    this.channels = this.#channel !== undefined;
  }

  /** 0 connecting, 1 open, 2 closing, 3 closed (only this class changes it). */
  get state(): ReadyState {
    return this.#state;
  }

  bufferedAmount(): number {
    return this.#state === CLOSED ? 0 : this.transport.bufferedAmount;
  }

  /** What the application sends (socket.send and friends): tagged `m` on a channels connection. */
  sendApp(data: string | Uint8Array): SendResult {
    if (this.#channel === undefined) return this.send(data);
    return this.send(typeof data === "string" ? appText(data) : appBinary(data));
  }

  send(data: string | Uint8Array): SendResult {
    if (this.#state !== OPEN) return "dropped";
    const result = this.transport.send(data);
    return result === "sent" ? result : this.#notSent(result);
  }

  /**
   * A send the engine queued or refused (the hot path never gets here while
   * peers keep up): watch the buffer, and apply `onBackpressureLimit`.
   */
  #notSent(result: SendResult): SendResult {
    const host = this.#host;
    if (result === "queued") {
      if (this.transport.bufferedAmount > host.limits.lowWaterMark) host.backpressure.watch(this);
      return result;
    }
    // "dropped" on an open socket: the engine refused it at backpressureLimit.
    host.count("backpressureDrops");
    if (this.#messagesWhileRefused < 0) this.#messagesWhileRefused = 0;
    host.backpressure.watch(this);
    if (host.limits.onBackpressureLimit === "close") {
      host.count("backpressureCloses");
      this.closeInternal(CloseCode.PolicyViolation, "backpressure limit exceeded: the peer reads too slowly");
    }
    return result;
  }

  /** Resolves once the outgoing buffer is at lowWaterMark or below, or the connection closed. */
  drained(): Promise<void> {
    if (this.#state === CLOSED) return Promise.resolve();
    const watch = this.#host.backpressure;
    if (!watch.isWatching(this)) {
      if (this.transport.bufferedAmount <= this.#host.limits.lowWaterMark) return Promise.resolve();
      watch.watch(this);
    }
    return new Promise((resolve) => (this.#drainWaiters ??= []).push(resolve));
  }

  /**
   * A message arrived while sends to this peer are refused (called only
   * then). Past `maxMessagesWhileBackpressured` the peer is closed with
   * 1008: it keeps asking for replies it does not read. True when closed
   * (the message is not delivered).
   */
  #flooded(): boolean {
    const host = this.#host;
    if (++this.#messagesWhileRefused <= host.limits.maxMessagesWhileBackpressured) return false;
    host.count("backpressureFloodCloses");
    this.#closeSafely(CloseCode.PolicyViolation, "sends while reading nothing: backpressure limit reached");
    return true;
  }

  /** The buffer crossed to lowWaterMark or below (backpressure.ts, once per crossing). */
  belowLowWater(): void {
    this.#messagesWhileRefused = -1; // refused sends are over: a flood count starts again at the next one
    this.#host.count("drains");
    this.#wakeDrainWaiters();
    const handler = this.#host.handlers.drain;
    if (handler !== undefined && this.#state === OPEN) this.guard(() => handler(this.socket));
  }

  #wakeDrainWaiters(): void {
    const waiters = this.#drainWaiters;
    if (waiters === undefined) return;
    this.#drainWaiters = undefined;
    for (const resolve of waiters) resolve();
  }

  /** Gives back the maxConnections slot taken at upgrade (once). */
  #release(): void {
    if (!this.#reserved) return;
    this.#reserved = false;
    this.#host.upgradeEnded();
  }

  /** Called by the adapter when the engine reports the socket open. */
  opened(): void {
    if (this.#state !== CONNECTING) return;
    this.#state = OPEN;
    this.#release();
    this.#host.track(this);
    const handler = this.#host.handlers.open;
    if (handler !== undefined) this.guard(() => handler(this.socket));
  }

  /**
   * Called by the adapter for every whole message. Never throws: what can
   * fail in here (the handler, or an engine call on a rare branch) goes to
   * failed(). On the common path, one `try` around the handler only (guard()
   * inlined: a closure per message costs ~7–13 ns on Deno; a `try` over the
   * whole method measured ~4% more on Deno's small-message path,
   * bench/micro.ts).
   */
  received(data: string | Uint8Array | ArrayBuffer): void {
    this.#heard = true;
    if (this.#state !== OPEN) return;
    const limiter = this.#limiter;
    if (limiter !== undefined && !limiter.take()) {
      this.#overRate();
      return;
    }
    if (this.#messagesWhileRefused >= 0 && this.#flooded()) return;
    const channel = this.#channel;
    if (channel !== undefined) {
      this.#channelReceived(channel, data);
      return;
    }
    const host = this.#host;
    // Client heartbeat (heartbeat.ts): one length compare for most messages.
    const hb = host.heartbeat;
    if (hb !== undefined && typeof data === "string" && data.length === hb.ping.length && data === hb.ping) {
      this.#answer(hb.pong);
      return;
    }
    const max = this.#maxMessageBytes;
    if (max !== 0 && tooBig(data, max)) {
      // Deno has no message-size option (denoland/deno#15809): it has read the
      // whole message by now; the best we can do is refuse it and close.
      this.#closeSafely(CloseCode.MessageTooBig, `message exceeds ${max} bytes`);
      return;
    }
    // metrics(): 2 compares, 1 increment, 1 add. Text counts UTF-16 units (UTF-8 bytes would cost an encode).
    host.messageSizes.observe(typeof data === "string" ? data.length : data.byteLength);
    const handler = host.handlers.message;
    if (handler === undefined) return;
    try {
      const result = handler(this.socket, Message.from(data));
      if (isThenable(result)) result.then(undefined, (err) => this.failed(err));
      else if (this.#releaseBuffers && data instanceof ArrayBuffer) release(data);
    } catch (err) {
      this.failed(err);
    }
  }

  /** Sends the heartbeat answer; an engine that throws goes to failed(). */
  #answer(text: string): void {
    try {
      this.send(text);
    } catch (err) {
      this.failed(err);
    }
  }

  /** A close the library decides from inside received(); an engine that throws goes to failed(). */
  #closeSafely(code: number, reason: string): void {
    try {
      this.closeInternal(code, reason);
    } catch (err) {
      this.failed(err);
    }
  }

  /** A frame of a channels connection: size limit, then the channels layer decodes it (a throw in it goes to failed()). */
  #channelReceived(channel: ChannelSession, data: string | Uint8Array | ArrayBuffer): void {
    const max = this.#maxMessageBytes;
    if (max !== 0 && tooBig(data, max)) {
      this.#closeSafely(CloseCode.MessageTooBig, `message exceeds ${max} bytes`);
      return;
    }
    try {
      channel.received(data instanceof ArrayBuffer ? new Uint8Array(data) : data);
    } catch (err) {
      this.failed(err);
    }
  }

  /** An application frame of a channels connection, tag removed: heartbeat (tagged too), then `message`. */
  appReceived(data: string | Uint8Array): void {
    if (this.#state !== OPEN) return;
    const host = this.#host;
    const hb = host.heartbeat;
    if (hb !== undefined && typeof data === "string" && data === hb.ping) {
      this.sendApp(hb.pong);
      return;
    }
    // metrics(): 2 compares, 1 increment, 1 add. Text counts UTF-16 units (UTF-8 bytes would cost an encode).
    host.messageSizes.observe(typeof data === "string" ? data.length : data.byteLength);
    const handler = host.handlers.message;
    if (handler === undefined) return;
    this.guard(() => handler(this.socket, Message.from(data)));
  }

  /** `socket.request()`: only on a channels connection. */
  request(value: unknown, timeout: number): Promise<unknown> {
    if (this.#channel === undefined) {
      return Promise.reject(
        new InvalidStateError(
          "socket.request() needs a channels connection: set the server's channels option and connect with { channels: true }",
        ),
      );
    }
    return this.#channel.request(value, timeout);
  }

  /** A message over `rateLimit`: drop it or close, as configured; counted either way. */
  #overRate(): void {
    if (this.#host.limits.rateLimit!.action === "drop") {
      this.#host.count("rateLimitedMessages");
      return;
    }
    this.#host.count("rateLimitCloses");
    this.#closeSafely(CloseCode.PolicyViolation, "rate limit exceeded");
  }

  /** A pong (or any frame the engine reports as liveness) arrived. */
  ponged(): void {
    this.#heard = true;
  }

  /**
   * One keep-alive sweep (keepalive.ts): a peer heard from since the last
   * sweep starts over; one silent for one sweep is pinged; one silent for
   * two sweeps in a row is dropped (close sees 1006).
   */
  sweep(): void {
    if (this.#heard) {
      this.#heard = false;
      this.#silentSweeps = 0;
      return;
    }
    if (++this.#silentSweeps >= 2) {
      this.#host.count("idleTimeouts");
      this.terminate();
    } else if (this.transport.ping()) this.#host.count("pingsSent");
  }

  /**
   * The keep-alive sweep found that none of the data queued for this peer
   * was written for two sweeps in a row (write_stall.ts): it reads nothing.
   * Counted as an idle timeout, and dropped (on Deno: closed, then
   * lingering if the peer never answers).
   */
  dropStalled(): void {
    this.#host.count("idleTimeouts");
    this.terminate();
  }

  /** Called by the adapter when the engine reports the socket closed (any number of times). */
  closed(code: number | undefined, reason: string | undefined): void {
    if (this.#state === CLOSED) {
      // Deno fires close twice after an idle timeout; and a connection that
      // lingered (forceClosed) is reported by the engine only now.
      this.#host.endLingering(this);
      return;
    }
    const wasOpen = this.#state !== CONNECTING;
    this.#state = CLOSED;
    if (this.#closeTimer !== undefined) clearTimeout(this.#closeTimer);
    this.#release();
    const host = this.#host;
    host.backpressure.unwatch(this);
    this.#wakeDrainWaiters();
    host.untrack(this);
    if (!wasOpen) return;
    const info = this.#sentClose ?? { code: normalizeReceivedCloseCode(code), reason: reason ?? "" };
    const handler = host.handlers.close;
    if (handler !== undefined) this.guard(() => handler(this.socket, info), false);
    // After the handler, so that `close` can still read socket.topics.
    host.topics.leaveAll(this);
    this.#channel?.closed();
  }

  /**
   * The engine's own idle timeout ended this connection (Deno's: the core
   * cannot see its pings). Counted here, so `stats.idleTimeouts` has one
   * place on both runtimes.
   */
  closedByIdleTimeout(code: number, reason: string): void {
    if (this.#state === OPEN) this.#host.count("idleTimeouts");
    this.closed(code, reason);
  }

  /** Starts a close the user asked for (arguments already validated). */
  close(code: number, reason: string): void {
    if (this.#state !== OPEN) return;
    this.#state = CLOSING;
    this.#sentClose = { code, reason };
    this.transport.close(code, reason);
    if ((this.#state as ReadyState) !== CLOSING) return; // Bun reports the close synchronously.
    this.#closeTimer = setTimeout(() => {
      this.#host.count("closeTimeouts");
      this.forceClosed(CloseCode.Abnormal, "close handshake timed out");
    }, this.#host.limits.closeTimeout * 1000);
  }

  /** A close the library decides (1001, 1008, 1009, 1011…): codes users may not send. */
  closeInternal(code: number, reason: string): void {
    this.close(code, truncateCloseReason(reason));
  }

  /** Drops the connection; where the engine cannot, closes and forgets it after closeTimeout. */
  terminate(): void {
    if (this.#state === CLOSED) return;
    if (this.transport.terminate()) {
      // Bun reports the close (1006) from inside terminate(); make sure it ran.
      if ((this.#state as ReadyState) !== CLOSED) this.forceClosed(CloseCode.Abnormal, "");
      return;
    }
    if (this.#state === OPEN) this.closeInternal(CloseCode.GoingAway, "terminated");
  }

  /**
   * Ends the connection from the library's side when the engine will not
   * report it (a peer that never answers a close frame on Deno): `close`
   * runs with the code the server sent, or the given one if it sent none;
   * the engine's later report is ignored.
   */
  forceClosed(code: number, reason: string): void {
    if (this.#state === CLOSED) return;
    this.#sentClose ??= { code, reason };
    // Deno cannot drop TCP: the engine keeps this connection until the peer's TCP ends (lingering.ts).
    if (!this.transport.terminate()) this.#host.startLingering(this);
    this.closed(code, reason);
  }

  subscribe(topic: string): void {
    this.#host.topics.subscribe(this, topic);
  }

  unsubscribe(topic: string): void {
    const channel = this.#channel;
    const had = channel !== undefined && this.#state === OPEN && this.topics().has(topic);
    this.#host.topics.unsubscribe(this, topic);
    if (had) channel.ended(topic);
  }

  join(topic: string): void {
    this.#host.topics.subscribe(this, topic);
  }

  leave(topic: string): void {
    this.#host.topics.unsubscribe(this, topic);
  }

  topics(): ReadonlySet<string> {
    return this.#host.topics.topicsOf(this);
  }

  publish(topic: string, data: string | Uint8Array, includeSelf: boolean): number {
    return this.#host.topics.publish(topic, data, includeSelf ? undefined : this);
  }

  /**
   * Runs a user handler so that neither a throw nor a rejected promise can
   * end the process: the error goes to the `error` handler and, when
   * `closeOnError`, the connection is closed with 1011.
   */
  guard(run: () => unknown, closeOnError = true): void {
    try {
      const result = run();
      if (isThenable(result)) result.then(undefined, (err) => this.failed(err, closeOnError));
    } catch (err) {
      this.failed(err, closeOnError);
    }
  }

  /** Reports `err` (a handler's, or one the engine caught) and, if `close` and still open, closes with 1011. */
  failed(err: unknown, close = true): void {
    this.#host.reportError(this.socket, err);
    if (close && this.#state === OPEN) this.closeInternal(CloseCode.InternalError, "internal server error");
  }
}

/**
 * Frees a received buffer now (ArrayBuffer.prototype.transfer detaches it):
 * Deno's send() has already copied anything the handler sent from it, and
 * without this its backing store waits for V8's GC (bench/investigate/DENO_RSS.md).
 */
function release(buffer: ArrayBuffer): void {
  (buffer as ArrayBuffer & { transfer?(length: number): ArrayBuffer }).transfer?.(0);
}

/** Whether a message is larger than `max` bytes, computing UTF-8 length only when needed. */
function tooBig(data: string | Uint8Array | ArrayBuffer, max: number): boolean {
  if (typeof data !== "string") return data.byteLength > max;
  // UTF-8 needs at least one byte per UTF-16 unit and at most three.
  if (data.length > max) return true;
  if (data.length * 3 <= max) return false;
  return new TextEncoder().encode(data).byteLength > max;
}
