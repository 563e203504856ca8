/**
 * The client's own `request()`: a request is a JSON object with a
 * correlation id added under `idField` (default `"id"`); the reply is the
 * first JSON object that arrives carrying the same id, whatever the order
 * replies come in. Servers answer with `socket.reply(msg, value)`, which
 * copies the id. The options and this JSON matching live here; the table
 * of waiting requests (ids, timeouts, failures) is pending_requests.ts,
 * shared with the typed client.
 *
 * @module
 */

import { checkRequestTimeout, PendingRequests } from "./pending_requests.ts";

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

/** Defaults of {@link RequestDefaults}. */
export const DEFAULT_REQUEST: Readonly<Required<RequestDefaults>> = Object.freeze({ idField: "id", timeout: 10_000 });

/** Applies defaults; throws for a bad option. */
export function resolveRequestDefaults(option: RequestDefaults | undefined): Required<RequestDefaults> {
  const idField = option?.idField ?? DEFAULT_REQUEST.idField;
  const timeout = option?.timeout ?? DEFAULT_REQUEST.timeout;
  if (typeof idField !== "string" || idField === "" || idField.includes('"') || idField.includes("\\")) {
    throw new TypeError(`request.idField must be a non-empty field name without quotes or backslashes, got ${JSON.stringify(idField)}`);
  }
  checkRequestTimeout(timeout, "request.timeout");
  return { idField, timeout };
}

/** The JSON requests of one client: what to send, and which received texts are their replies. */
export class JsonRequests {
  readonly idField: string;
  readonly defaultTimeout: number;
  /** The waiting requests. */
  readonly pending: PendingRequests = new PendingRequests();
  /** The text `"<idField>"`, searched before parsing so most non-replies cost no JSON.parse. */
  readonly #needle: string;

  constructor(defaults: Required<RequestDefaults>) {
    this.idField = defaults.idField;
    this.defaultTimeout = defaults.timeout;
    this.#needle = JSON.stringify(defaults.idField);
  }

  /**
   * Registers a request: returns the text to send (the value with the id
   * added) and the promise of its reply. The timeout starts now.
   */
  create(value: Record<string, unknown>, options: RequestOptions = {}): { text: string; id: string; reply: Promise<unknown> } {
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      throw new TypeError("request() takes a plain JSON object; the correlation id is added to it as a field");
    }
    const timeout = checkRequestTimeout(options.timeout ?? this.defaultTimeout);
    const id = this.pending.nextId();
    const text = JSON.stringify({ ...value, [this.idField]: id });
    return { text, id, reply: this.pending.wait(id, timeout, undefined) };
  }

  /**
   * Checks a received text: when it is a JSON object whose id field names a
   * waiting request, resolves that request with the parsed object and
   * returns true (the message is consumed); otherwise returns false (a late
   * reply, whose request timed out, is delivered as a message).
   */
  match(text: string): boolean {
    const pending = this.pending;
    if (pending.size === 0 || text.charCodeAt(0) !== 0x7b /* { */ || !text.includes(this.#needle)) return false;
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return false;
    }
    if (typeof parsed !== "object" || parsed === null) return false;
    const id = (parsed as Record<string, unknown>)[this.idField];
    return typeof id === "string" && pending.resolve(id, parsed);
  }
}
