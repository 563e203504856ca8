/**
 * Reconnect policy of the client: which closes are worth a new attempt, and
 * how long to wait before each one (exponential backoff with full jitter,
 * drawn per attempt so that clients dropped together do not come back
 * together).
 *
 * @module
 */

import type { CloseInfo } from "../shared/types.ts";

/**
 * Options of `connect(url, { reconnect })`. Every field is optional.
 *
 * @example Faster first retries, give up after ten
 * ```ts
 * import { connect } from "@fullduplex/fullduplex";
 * const ws = await connect("ws://localhost:8080", {
 *   reconnect: { minDelay: 200, maxDelay: 10_000, maxRetries: 10, shouldReconnect: ({ code }) => code !== 4001 },
 * });
 * ```
 */
export interface ReconnectOptions {
  /** Smallest delay before an attempt, in ms. Default 500. */
  minDelay?: number;
  /** Largest delay before an attempt, in ms. Default 30000. */
  maxDelay?: number;
  /** Growth of the delay window per attempt. Default 2. */
  factor?: number;
  /**
   * Attempts in a row (without a stable connection in between) before the
   * client gives up: `connect()` rejects, or an open client closes for good
   * and emits `error`. Default `Infinity`.
   */
  maxRetries?: number;
  /**
   * A connection must stay open this many ms before the backoff starts again
   * from the first attempt; one that fails sooner keeps counting, so a
   * server that accepts and drops at once is not hammered. Default 5000.
   */
  stableAfter?: number;
  /**
   * Decides whether a close the server or the network caused is followed by
   * a new attempt. Default {@link shouldReconnectByDefault}: every close
   * except 1008, 1003 and 4000–4999, which a server means as final.
   */
  shouldReconnect?: (event: CloseInfo) => boolean;
}

/** Reconnect options with defaults applied (what {@link resolveReconnect} returns). */
export type ResolvedReconnect = Required<ReconnectOptions>;

/** Defaults of {@link ReconnectOptions} (documented there). */
export const DEFAULT_RECONNECT: Readonly<Omit<ResolvedReconnect, "shouldReconnect">> = Object.freeze({
  minDelay: 500,
  maxDelay: 30_000,
  factor: 2,
  maxRetries: Infinity,
  stableAfter: 5_000,
});

/**
 * The default reconnect decision: no new attempt after 1008 (policy
 * violation), 1003 (unsupported data) or an application code 4000–4999,
 * which servers use for "do not come back" (auth failed, kicked, banned);
 * a new attempt after everything else (1000, 1001 restart, 1006 network
 * loss, 1011, 1012, 1013…).
 *
 * Exported so that a `shouldReconnect` of your own can add one rule to it
 * without copying the list above.
 *
 * @example The default, plus: do not come back after a 1011 server error
 * ```ts
 * import { connect, shouldReconnectByDefault } from "@fullduplex/fullduplex";
 * shouldReconnectByDefault({ code: 1006, reason: "" }); // true
 * shouldReconnectByDefault({ code: 4001, reason: "banned" }); // false
 * const ws = await connect("ws://localhost:8080", {
 *   reconnect: { shouldReconnect: (info) => info.code !== 1011 && shouldReconnectByDefault(info) },
 * });
 * ```
 */
export function shouldReconnectByDefault(event: CloseInfo): boolean {
  const code = event.code;
  return !(code === 1008 || code === 1003 || (code >= 4000 && code <= 4999));
}

function checkNumber(name: string, value: unknown, min: number, allowInfinity = false): number {
  if (typeof value !== "number" || Number.isNaN(value) || value < min || (!allowInfinity && !Number.isFinite(value))) {
    throw new RangeError(`reconnect.${name} must be a number ≥ ${min}${allowInfinity ? " (or Infinity)" : ""}, got ${String(value)}`);
  }
  return value;
}

/**
 * Applies defaults to `reconnect`; `undefined` when reconnecting is off.
 * Throws a RangeError for a bad option. Internal (connect() calls it).
 */
export function resolveReconnect(option: boolean | ReconnectOptions | undefined): ResolvedReconnect | undefined {
  if (option === undefined || option === false) return undefined;
  const o: ReconnectOptions = option === true ? {} : option;
  const minDelay = checkNumber("minDelay", o.minDelay ?? DEFAULT_RECONNECT.minDelay, 0);
  const maxDelay = checkNumber("maxDelay", o.maxDelay ?? DEFAULT_RECONNECT.maxDelay, 0);
  if (maxDelay < minDelay) throw new RangeError(`reconnect.maxDelay (${maxDelay}) must not be smaller than minDelay (${minDelay})`);
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
    shouldReconnect: o.shouldReconnect ?? shouldReconnectByDefault,
  };
}

/**
 * The delay before attempt number `attempt` (1 for the first after a drop):
 * a uniformly random value over the whole window from `minDelay` up to
 * `min(maxDelay, minDelay · factor^attempt)` ("full jitter" above a floor),
 * drawn anew for every attempt. Internal (the Client calls it).
 */
export function backoffDelay(
  attempt: number,
  policy: Pick<ResolvedReconnect, "minDelay" | "maxDelay" | "factor">,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(policy.maxDelay, policy.minDelay * policy.factor ** Math.max(1, attempt));
  return Math.round(policy.minDelay + random() * (ceiling - policy.minDelay));
}
