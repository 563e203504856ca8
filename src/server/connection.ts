/**
 * Per-connection state machine shared by both adapters: close exactly once,
 * close codes normalised, message limits, guarded handlers, keep-alive
 * bookkeeping. Internal.
 *
 * @module
 */

import { CloseCode, normalizeReceivedCloseCode, truncateCloseReason } from "../shared/close_codes.ts";
import { Message } from "../shared/message.ts";
import { Socket } from "./socket.ts";
import type { ReadyState, RemoteAddress, SendResult } from "../shared/types.ts";
import type { Transport } from "./transport.ts";
import type { ServerCore } from "./core.ts";
import { RateLimiter } from "./rate_limit.ts";

const OPEN = 1 as const;
const CLOSING = 2 as const;
const CLOSED = 3 as const;

/** A value that may be a promise: handlers may be sync or async. */
function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof value === "object" && value !== null && typeof (value as { then?: unknown }).then === "function";
}

/** One connection's state; the adapter feeds it events, the Socket reads it. */
export class Connection<D = unknown> {
  readonly core: ServerCore<D>;
  readonly transport: Transport;
  readonly socket: Socket<D>;
  state: ReadyState = 0;
  /** Set by any received frame (data or pong); cleared by the keep-alive sweep. */
  active = true;
  /** Keep-alive sweeps in a row that saw nothing from the peer. */
  idleSweeps = 0;
  /** The outgoing buffer went above lowWaterMark and has not fallen back yet (see backpressure.ts). */
  aboveLowWater = false;
  /** Messages received since a send to this peer was refused at backpressureLimit; -1 when none was (backpressure.ts). */
  messagesWhileRefused = -1;
  /** Only on servers with `rateLimit`: undefined costs one comparison per message. */
  readonly limiter: RateLimiter | undefined;
  /** Resolvers of `socket.drained()` promises. */
  #drainWaiters: (() => void)[] | undefined;
  /** This connection still holds a maxConnections reservation from its upgrade. */
  #reserved = true;
  /** Topics this connection is subscribed to (created on the first subscribe). */
  topics: Set<string> | undefined = undefined;
  /** Code and reason of a close the server started, reported instead of the echo. */
  #sentClose: { code: number; reason: string } | undefined;
  #closeTimer: ReturnType<typeof setTimeout> | undefined;
  /** maxMessageBytes when the engine does not enforce it itself (Deno), else 0. */
  readonly #maxMessageBytes: number;
  /** releaseReceivedBuffers: detach a received ArrayBuffer after a sync handler (Deno). */
  readonly #releaseBuffers: boolean;

  constructor(core: ServerCore<D>, transport: Transport, data: D, remote: RemoteAddress, protocol: string) {
    this.core = core;
    this.transport = transport;
    const rate = core.limits.rateLimit;
    this.limiter = rate === undefined ? undefined : new RateLimiter(rate);
    this.#maxMessageBytes = core.caps.nativeMaxMessageBytes ? 0 : core.limits.maxMessageBytes;
    this.#releaseBuffers = core.limits.releaseReceivedBuffers;
    this.socket = new Socket<D>(this, data, remote, protocol);
  }

  bufferedAmount(): number {
    return this.state === CLOSED ? 0 : this.transport.bufferedAmount;
  }

  send(data: string | Uint8Array): SendResult {
    if (this.state !== OPEN) return "dropped";
    const result = this.transport.send(data);
    return result === "sent" ? result : this.core.backpressure.afterSend(this, result);
  }

  /** Resolves once the outgoing buffer is at lowWaterMark or below, or the connection closed. */
  drained(): Promise<void> {
    if (this.state === CLOSED) return Promise.resolve();
    if (!this.aboveLowWater) {
      if (this.transport.bufferedAmount <= this.core.limits.lowWaterMark) return Promise.resolve();
      this.core.backpressure.watch(this);
    }
    return new Promise((resolve) => (this.#drainWaiters ??= []).push(resolve));
  }

  /** The buffer crossed below lowWaterMark (or the connection closed): wake `drained()` callers. */
  wakeDrainWaiters(): void {
    const waiters = this.#drainWaiters;
    if (waiters === undefined) return;
    this.#drainWaiters = undefined;
    for (const resolve of waiters) resolve();
  }

  /** Gives back the maxConnections slot taken at upgrade (once). */
  #release(): void {
    if (!this.#reserved) return;
    this.#reserved = false;
    this.core.upgradeEnded();
  }

  /** Called by the adapter when the engine reports the socket open. */
  opened(): void {
    if (this.state !== 0) return;
    this.state = OPEN;
    this.#release();
    this.core.track(this);
    const handler = this.core.handlers.open;
    if (handler !== undefined) this.guard(() => handler(this.socket));
  }

  /** Called by the adapter for every whole message. */
  received(data: string | Uint8Array | ArrayBuffer): void {
    this.active = true;
    if (this.state !== OPEN) return;
    if (this.limiter !== undefined && !this.limiter.take()) {
      this.core.rateLimited(this);
      return;
    }
    if (this.messagesWhileRefused >= 0 && this.core.backpressure.floodedBy(this)) return;
    // Client heartbeat (heartbeat.ts): one length compare for most messages.
    const hb = this.core.heartbeat;
    if (hb !== undefined && typeof data === "string" && data.length === hb.ping.length && data === hb.ping) {
      this.send(hb.pong);
      return;
    }
    const max = this.#maxMessageBytes;
    if (max !== 0 && tooBig(data, max)) {
      // Deno has no message-size option (denoland/deno#15809): it has read the
      // whole message by now; the best we can do is refuse it and close.
      this.closeInternal(CloseCode.MessageTooBig, `message exceeds ${max} bytes`);
      return;
    }
    const handler = this.core.handlers.message;
    if (handler === undefined) return;
    // guard() inlined: its closure per message costs ~7–13 ns on Deno (bench/micro.ts).
    let result: unknown;
    try {
      result = handler(this.socket, Message.from(data));
    } catch (err) {
      this.failed(err);
      return;
    }
    if (isThenable(result)) result.then(undefined, (err) => this.failed(err));
    else if (this.#releaseBuffers && data instanceof ArrayBuffer) release(data);
  }

  /** A pong (or any frame the engine reports as liveness) arrived. */
  ponged(): void {
    this.active = true;
  }

  /** Called by the adapter when the engine reports the socket closed (any number of times). */
  closed(code: number | undefined, reason: string | undefined): void {
    if (this.state === CLOSED) {
      // Deno fires close twice after an idle timeout; and a connection that
      // lingered (forceClosed) is reported by the engine only now.
      this.core.lingering.end(this);
      return;
    }
    const wasOpen = this.state !== 0;
    this.state = CLOSED;
    if (this.#closeTimer !== undefined) clearTimeout(this.#closeTimer);
    this.#release();
    if (this.aboveLowWater) this.core.backpressure.unwatch(this);
    this.wakeDrainWaiters();
    this.core.untrack(this);
    if (!wasOpen) return;
    const info = this.#sentClose ?? { code: normalizeReceivedCloseCode(code), reason: reason ?? "" };
    const handler = this.core.handlers.close;
    if (handler !== undefined) this.guard(() => handler(this.socket, info), false);
    // After the handler, so that `close` can still read socket.topics.
    if (this.topics !== undefined) this.core.topics.leaveAll(this);
  }

  /** Starts a close the user asked for (arguments already validated). */
  close(code: number, reason: string): void {
    if (this.state !== OPEN) return;
    this.state = CLOSING;
    this.#sentClose = { code, reason };
    this.transport.close(code, reason);
    if ((this.state as ReadyState) !== CLOSING) return; // Bun reports the close synchronously.
    this.#closeTimer = setTimeout(() => {
      this.core.counters.closeTimeouts++;
      this.forceClosed(CloseCode.Abnormal, "close handshake timed out");
    }, this.core.limits.closeTimeout * 1000);
  }

  /** A close the library decides (1001, 1008, 1009, 1011…): codes users may not send. */
  closeInternal(code: number, reason: string): void {
    this.close(code, truncateCloseReason(reason));
  }

  /** Drops the connection; where the engine cannot, closes and forgets it after closeTimeout. */
  terminate(): void {
    if (this.state === CLOSED) return;
    if (this.transport.terminate()) {
      // Bun reports the close (1006) from inside terminate(); make sure it ran.
      if ((this.state as ReadyState) !== CLOSED) this.forceClosed(CloseCode.Abnormal, "");
      return;
    }
    if (this.state === OPEN) this.closeInternal(CloseCode.GoingAway, "terminated");
  }

  /**
   * Ends the connection from the library's side when the engine will not
   * report it (a peer that never answers a close frame on Deno): `close`
   * runs with the code the server sent, or the given one if it sent none;
   * the engine's later report is ignored.
   */
  forceClosed(code: number, reason: string): void {
    if (this.state === CLOSED) return;
    this.#sentClose ??= { code, reason };
    // Deno cannot drop TCP: the engine keeps this connection until the peer's TCP ends (lingering.ts).
    if (!this.transport.terminate()) this.core.lingering.start(this);
    this.closed(code, reason);
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

  failed(err: unknown, close = true): void {
    this.core.reportError(this.socket, err);
    if (close && this.state === OPEN) this.closeInternal(CloseCode.InternalError, "internal server error");
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
