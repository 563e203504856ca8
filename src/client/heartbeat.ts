/**
 * Dead-link detection for the client. Browsers and the standard WebSocket
 * API cannot send protocol pings, so the client sends an application-level
 * ping (a short text) after `interval` ms without receiving anything, and
 * declares the link dead when nothing at all arrives within `timeout` ms.
 *
 * The checks compare wall-clock times (`Date.now()`), and the timer only
 * triggers them: a laptop that slept or a browser tab whose timers were
 * throttled finds on its first tick after waking that the ping it sent
 * before is long overdue, instead of waiting a whole timer again.
 *
 * @module
 */

/**
 * Options of `connect(url, { heartbeat })`. Every field is optional.
 *
 * @example Ping after 15 s of silence, reconnect if nothing arrives within 5 s
 * ```ts
 * import { connect } from "@fullduplex/fullduplex";
 * const ws = await connect("ws://localhost:8080", { reconnect: true, heartbeat: { interval: 15_000, timeout: 5_000 } });
 * ```
 */
export interface HeartbeatOptions {
  /** Ms without any received message before a ping is sent. Default 30000. */
  interval?: number;
  /** Ms to wait, after a ping, for anything to arrive before the link counts as dead. Default 10000. */
  timeout?: number;
  /** The ping text sent. Default `"ping"` (what fullduplex servers answer by default). */
  message?: string;
  /**
   * The answer text. A received text equal to `reply` (or to `message`, so
   * an echo server works too) while a ping is outstanding is taken as the
   * answer and not delivered to the app. Default `"pong"`.
   */
  reply?: string;
}

/** Heartbeat options with defaults applied. */
export type ResolvedHeartbeat = Required<HeartbeatOptions>;

/** Defaults of the client's {@link HeartbeatOptions} (`heartbeat: true`; documented there). */
export const DEFAULT_CLIENT_HEARTBEAT: Readonly<Required<HeartbeatOptions>> = Object.freeze({
  interval: 30_000,
  timeout: 10_000,
  message: "ping",
  reply: "pong",
});

/**
 * Close code the client uses locally when the heartbeat finds the link dead
 * (seen in the `reconnecting` event, or as `closeCode` without reconnect).
 *
 * @example
 * ```ts
 * import { connect, HEARTBEAT_CLOSE_CODE } from "@fullduplex/fullduplex";
 * const ws = await connect("ws://localhost:8080", { heartbeat: 5000, reconnect: true });
 * ws.on("reconnecting", ({ code }) => {
 *   if (code === HEARTBEAT_CLOSE_CODE) console.log("dead link");
 * });
 * ```
 */
export const HEARTBEAT_CLOSE_CODE = 4000;

/**
 * Applies defaults to `heartbeat`: `true` takes every default, a number is
 * the interval, `false`/`undefined` turns it off. Throws for a bad option.
 */
export function resolveClientHeartbeat(option: boolean | number | HeartbeatOptions | undefined): ResolvedHeartbeat | undefined {
  if (option === undefined || option === false) return undefined;
  const o: HeartbeatOptions = option === true ? {} : typeof option === "number" ? { interval: option } : option;
  const interval = o.interval ?? DEFAULT_CLIENT_HEARTBEAT.interval;
  const timeout = o.timeout ?? DEFAULT_CLIENT_HEARTBEAT.timeout;
  for (const [name, value] of [["interval", interval], ["timeout", timeout]] as const) {
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

/**
 * Watches one connection. The owner calls {@link received} for every
 * message (it only sets a flag: no clock read per message) and
 * {@link tick} from a timer; `tick` sends pings and reports a dead link.
 */
export class HeartbeatMonitor {
  readonly options: ResolvedHeartbeat;
  readonly #now: () => number;
  #sawData = false;
  #lastReceived: number;
  #pingSentAt: number | undefined;
  #lastBuffered = 0;
  #timer: ReturnType<typeof setInterval> | undefined;

  /** `now` is injectable so the wall-clock logic can be tested without sleeping a machine. */
  constructor(options: ResolvedHeartbeat, now: () => number = Date.now) {
    this.options = options;
    this.#now = now;
    this.#lastReceived = now();
  }

  /** Whether a ping is waiting for its answer. */
  get awaitingReply(): boolean {
    return this.#pingSentAt !== undefined;
  }

  /**
   * Notes that a message arrived. Returns true when it is the answer to an
   * outstanding ping, which the owner should not deliver to the app.
   */
  received(data: unknown): boolean {
    this.#sawData = true;
    if (this.#pingSentAt === undefined || typeof data !== "string") return false;
    if (data === this.options.reply || data === this.options.message) {
      this.#pingSentAt = undefined;
      return true;
    }
    return false;
  }

  /**
   * One check: returns `"ping"` when a ping should be sent now (and counts
   * it as sent), `"dead"` when the last ping went unanswered for `timeout`
   * ms of wall-clock time, else `"ok"`. `buffered` is the connection's
   * `bufferedAmount`: when it went down since the last tick, the peer's TCP
   * is taking our data, so the link is alive even if the answer to a ping
   * waits behind a large upload.
   */
  tick(buffered = 0): "ok" | "ping" | "dead" {
    const now = this.#now();
    if (buffered < this.#lastBuffered) this.#sawData = true;
    this.#lastBuffered = buffered;
    if (this.#sawData) {
      // Anything received proves the link alive, answer or not.
      this.#sawData = false;
      this.#lastReceived = now;
      this.#pingSentAt = undefined;
    }
    if (this.#pingSentAt !== undefined) return now - this.#pingSentAt >= this.options.timeout ? "dead" : "ok";
    if (now - this.#lastReceived >= this.options.interval) {
      this.#pingSentAt = now;
      return "ping";
    }
    return "ok";
  }

  /**
   * Starts ticking: `ping()` sends the ping text, `dead()` runs once when
   * the link is dead, `buffered()` reads the connection's bufferedAmount.
   */
  start(ping: (text: string) => void, dead: () => void, buffered: () => number = () => 0): void {
    this.stop();
    // Tick often enough that detection lands close to interval + timeout,
    // but never busier than every 10 ms.
    const every = Math.max(10, Math.min(this.options.interval, this.options.timeout) / 5);
    this.#timer = setInterval(() => {
      const state = this.tick(buffered());
      if (state === "ping") ping(this.options.message);
      else if (state === "dead") {
        this.stop();
        dead();
      }
    }, every);
  }

  /** Stops ticking. */
  stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
