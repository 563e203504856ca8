/**
 * Request/reply over one WebSocket: a request is a JSON object with a
 * correlation id added under `idField` (default `"id"`); the reply is the
 * first JSON object that arrives carrying the same id, whatever the order
 * replies come in. Servers answer with `socket.reply(msg, value)`, which
 * copies the id.
 *
 * @module
 */

import { RequestError } from "../shared/errors.ts";

/**
 * Options of `connect(url, { request })`. Every field is optional.
 *
 * @example A server whose replies carry the id in `"rid"`
 * ```ts
 * import { connect } from "@fullduplex/fullduplex";
 * const ws = await connect("ws://localhost:8080", { request: { idField: "rid", timeout: 3000 } });
 * const reply = await ws.request<{ ok: boolean }>({ type: "ping" });
 * ```
 */
export interface RequestDefaults {
  /** Name of the correlation id field in requests and replies. Default `"id"`. */
  idField?: string;
  /** Ms a request waits for its reply before it rejects. Default 10000. */
  timeout?: number;
}

/**
 * Options of one `client.request(value, options)`.
 *
 * @example A request that may take longer than the default
 * ```ts
 * import { connect } from "@fullduplex/fullduplex";
 * const ws = await connect("ws://localhost:8080");
 * const report = await ws.request<{ rows: number }>({ type: "export" }, { timeout: 60_000 });
 * ```
 */
export interface RequestOptions {
  /** Ms to wait for the reply before rejecting with a {@link RequestError} ("timeout"). Default: the client's `request.timeout`. */
  timeout?: number;
}

/**
 * Defaults of {@link RequestDefaults}.
 *
 * @example
 * ```ts
 * import { DEFAULT_REQUEST } from "@fullduplex/fullduplex";
 * console.log(DEFAULT_REQUEST.idField); // "id"
 * ```
 */
export const DEFAULT_REQUEST: Readonly<Required<RequestDefaults>> = Object.freeze({ idField: "id", timeout: 10_000 });

/** Applies defaults; throws for a bad option. */
export function resolveRequestDefaults(option: RequestDefaults | undefined): Required<RequestDefaults> {
  const idField = option?.idField ?? DEFAULT_REQUEST.idField;
  const timeout = option?.timeout ?? DEFAULT_REQUEST.timeout;
  if (typeof idField !== "string" || idField === "" || idField.includes('"') || idField.includes("\\")) {
    throw new TypeError(`request.idField must be a non-empty field name without quotes or backslashes, got ${JSON.stringify(idField)}`);
  }
  checkTimeout(timeout, "request.timeout");
  return { idField, timeout };
}

function checkTimeout(timeout: unknown, name: string): number {
  if (typeof timeout !== "number" || Number.isNaN(timeout) || timeout <= 0) {
    throw new RangeError(`${name} must be a number of ms > 0, got ${String(timeout)}`);
  }
  return timeout;
}

interface Pending {
  resolve(value: unknown): void;
  reject(err: Error): void;
  timer: ReturnType<typeof setTimeout>;
  /** Handed to a connection (false while it waits in the offline queue). */
  sent: boolean;
}

/** The requests of one client that wait for a reply. */
export class PendingRequests {
  readonly idField: string;
  readonly defaultTimeout: number;
  readonly #pending = new Map<string, Pending>();
  /** The text `"<idField>"`, searched before parsing so most non-replies cost no JSON.parse. */
  readonly #needle: string;
  /** A random prefix so ids from two clients (or two runs) never look alike. */
  readonly #prefix = Math.random().toString(36).slice(2, 8);
  #counter = 0;

  constructor(defaults: Required<RequestDefaults>) {
    this.idField = defaults.idField;
    this.defaultTimeout = defaults.timeout;
    this.#needle = JSON.stringify(defaults.idField);
  }

  /** Requests waiting for a reply. */
  get size(): number {
    return this.#pending.size;
  }

  /**
   * Registers a request: returns the text to send (the value with the id
   * added) and the promise of its reply. The timeout starts now.
   */
  create(value: Record<string, unknown>, options: RequestOptions = {}): { text: string; id: string; reply: Promise<unknown> } {
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      throw new TypeError("request() takes a plain JSON object; the correlation id is added to it as a field");
    }
    const timeout = checkTimeout(options.timeout ?? this.defaultTimeout, "request timeout");
    const id = `${this.#prefix}-${++this.#counter}`;
    const text = JSON.stringify({ ...value, [this.idField]: id });
    const reply = new Promise<unknown>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new RequestError("timeout", `request ${id} got no reply within ${timeout} ms`));
      }, timeout);
      this.#pending.set(id, { resolve, reject, timer, sent: false });
    });
    return { text, id, reply };
  }

  /** Forgets a request that could not even be sent, rejecting it with `err`. */
  fail(id: string, err: Error): void {
    const p = this.#pending.get(id);
    if (p === undefined) return;
    this.#pending.delete(id);
    clearTimeout(p.timer);
    p.reject(err);
  }

  /**
   * Checks a received text: when it is a JSON object whose id field names a
   * waiting request, resolves that request with the parsed object and
   * returns true (the message is consumed); otherwise returns false.
   */
  match(text: string): boolean {
    if (this.#pending.size === 0 || text.charCodeAt(0) !== 0x7b /* { */ || !text.includes(this.#needle)) return false;
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return false;
    }
    if (typeof parsed !== "object" || parsed === null) return false;
    const id = (parsed as Record<string, unknown>)[this.idField];
    if (typeof id !== "string") return false;
    const p = this.#pending.get(id);
    if (p === undefined) return false;
    this.#pending.delete(id);
    clearTimeout(p.timer);
    p.resolve(parsed);
    return true;
  }

  /** Notes that a request was handed to an open connection. */
  markSent(id: string): void {
    const p = this.#pending.get(id);
    if (p !== undefined) p.sent = true;
  }

  /**
   * Rejects the requests that were sent (the connection they went out on
   * closed, so their replies cannot come), or every request when `all`
   * (the client closed for good). Requests still in the offline queue wait
   * for the next connection.
   */
  rejectSent(why: string, all = false): void {
    for (const [id, p] of this.#pending) {
      if (!all && !p.sent) continue;
      this.#pending.delete(id);
      clearTimeout(p.timer);
      p.reject(new RequestError("closed", `request ${id} got no reply: ${why}`));
    }
  }
}
