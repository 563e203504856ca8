/**
 * Positions in a topic's history, shared by the server, the stores and the
 * client (docs/channels.md "Recovery"). Internal module: the public names
 * are re-exported by `./history` and `./client`.
 *
 * @module
 */

/**
 * Where a publication sits in its topic's history. `offset` counts the
 * topic's publications from 1 in one `epoch`; the epoch changes when the
 * history was lost and started again (a memory store after a restart, a
 * Redis that lost its data), and offsets of two epochs cannot be compared.
 *
 * @example Keeping a position across a page reload
 * ```ts
 * import type { StreamPosition } from "@fullduplex/fullduplex/client";
 * const saved: StreamPosition = { epoch: "k3v9x2a1", offset: 41 };
 * localStorage.setItem("ticker", JSON.stringify(saved));
 * ```
 */
export interface StreamPosition {
  /** The history's incarnation: a short string, the same on every server sharing the store. */
  epoch: string;
  /** The publication's number in this epoch, from 1 (0: before the first publication). */
  offset: number;
}

/**
 * Why a client did not get every publication it missed:
 * - `"trimmed"`: some were dropped to keep the history's `size`;
 * - `"expired"`: some were older than its `ttl`;
 * - `"epoch changed"`: the history was lost and started again (a restart of a memory store, a Redis that lost its data);
 * - `"unknown position"`: the position is not one this history gave (ahead of it, or malformed);
 * - `"store unavailable"`: the store could not be read (the server says so; a store never returns it);
 * - `"not recoverable"`: the topic keeps no history on this server;
 * - `"gap"`: the client saw a hole between two publications it received (the server could not fill it from the store).
 *
 * @example
 * ```ts
 * import type { RecoveryFailure } from "@fullduplex/fullduplex/client";
 * const why: RecoveryFailure = "trimmed";
 * ```
 */
export type RecoveryFailure =
  | "trimmed"
  | "expired"
  | "epoch changed"
  | "unknown position"
  | "store unavailable"
  | "not recoverable"
  | "gap";

/**
 * The failures a store itself may answer with (the others are the server's or the client's to find).
 *
 * @example
 * ```ts
 * import type { StoreFailure } from "@fullduplex/fullduplex/history";
 * const why: StoreFailure = "expired";
 * ```
 */
export type StoreFailure = "trimmed" | "expired" | "epoch changed" | "unknown position";

/** Whether `value` is a well-formed position (epoch 1–64 characters, offset a safe integer ≥ 0). */
export function isPosition(value: unknown): value is StreamPosition {
  if (typeof value !== "object" || value === null) return false;
  const { epoch, offset } = value as Record<string, unknown>;
  return typeof epoch === "string" && epoch.length > 0 && epoch.length <= 64 && typeof offset === "number" &&
    Number.isSafeInteger(offset) && offset >= 0;
}
