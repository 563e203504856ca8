/**
 * History of channel topics: the `HistoryStore` contract, the positions it
 * gives publications, and the in-memory store. A topic with history keeps
 * a bounded log (by count and by age); every publication on it gets a
 * {@link StreamPosition}, and a client that comes back asks for what came
 * after the last position it received (docs/channels.md "Recovery").
 *
 * Two stores ship: {@link MemoryHistory} (this process only; a new epoch
 * after every restart) and `RedisHistory` from `@fullduplex/fullduplex/redis`
 * (shared by every server on one Redis, Deno and Bun alike; survives server
 * restarts). Other stores implement {@link HistoryStore}.
 *
 * The public names are exported by the `./history` entry point (history.ts
 * at the package root).
 *
 * @module
 */

import type { StoreFailure, StreamPosition } from "../shared/position.ts";
export type { RecoveryFailure, StoreFailure, StreamPosition } from "../shared/position.ts";

/**
 * How much history one topic keeps: at most `size` publications, none
 * older than `ttl` ms.
 *
 * @example
 * ```ts
 * import type { HistoryPolicy } from "@fullduplex/fullduplex/history";
 * const lastMinute: HistoryPolicy = { size: 1000, ttl: 60_000 };
 * ```
 */
export interface HistoryPolicy {
  /** The most publications kept (older ones are trimmed). A positive integer. */
  size: number;
  /** Publications older than this many ms are dropped; 0 keeps them until `size` trims them. */
  ttl: number;
}

/**
 * One publication read back from history.
 *
 * @example
 * ```ts
 * import type { StoredPublication } from "@fullduplex/fullduplex/history";
 * const entry: StoredPublication = { offset: 7, data: '{"price":42}' };
 * ```
 */
export interface StoredPublication {
  /** Its offset in the epoch the read answered with. */
  offset: number;
  /** Text stays text, bytes stay bytes. */
  data: string | Uint8Array;
}

/**
 * What a read asks for: the publications after a position (at most
 * `limit`, the oldest of them: the reader pages on with `after` from the
 * last one it got), or the newest `min(last, limit)`, in offset order.
 *
 * @example
 * ```ts
 * import type { HistoryQuery } from "@fullduplex/fullduplex/history";
 * const resume: HistoryQuery = { after: { epoch: "k3v9x2", offset: 41 }, limit: 500 };
 * const latest: HistoryQuery = { last: 10, limit: 10 };
 * ```
 */
export type HistoryQuery =
  | { after: StreamPosition; limit: number }
  | { last: number; limit: number };

/**
 * The answer to a read. `epoch` and `top` (the offset of the topic's latest
 * publication, 0 when it has none) describe the history now. With `ok:
 * true`, `publications` are those asked for in offset order, without a
 * hole, at most `limit` (fewer than `limit` means the read reached `top`);
 * with `ok: false` the position's successors are not all there any more,
 * and `reason` says why.
 *
 * @example
 * ```ts
 * import type { HistoryRead } from "@fullduplex/fullduplex/history";
 * const read: HistoryRead = { ok: true, epoch: "k3v9x2", top: 43, publications: [{ offset: 42, data: "a" }, { offset: 43, data: "b" }] };
 * ```
 */
export type HistoryRead =
  | { ok: true; epoch: string; top: number; publications: StoredPublication[] }
  | { ok: false; epoch: string; top: number; reason: StoreFailure };

/**
 * A place to keep topics' history. The server appends every publication of
 * a topic that has history and reads it back when a client recovers.
 *
 * - `append` gives positions in the order it is called for one topic, each
 *   offset one more than the last; it may return at once (memory) or a
 *   promise (a remote store), and rejects when the publication could not
 *   be stored: the publisher is told, nothing is delivered.
 * - `shared: true` means every server using this store sees one history
 *   and the same positions (the server then delivers a publication from
 *   another server at the position carried with it); `shared: false`
 *   means this process keeps its own (each server appends what it
 *   delivers, and positions are valid on this server only).
 *
 * @example A store that forwards to another one and counts appends
 * ```ts
 * import { MemoryHistory } from "@fullduplex/fullduplex/history";
 * import type { HistoryPolicy, HistoryQuery, HistoryRead, HistoryStore, StreamPosition } from "@fullduplex/fullduplex/history";
 * class CountingHistory implements HistoryStore {
 *   readonly shared = false;
 *   appended = 0;
 *   readonly #inner = new MemoryHistory();
 *   append(topic: string, data: string | Uint8Array, policy: HistoryPolicy): StreamPosition {
 *     this.appended++;
 *     return this.#inner.append(topic, data, policy);
 *   }
 *   read(topic: string, query: HistoryQuery, policy: HistoryPolicy): HistoryRead {
 *     return this.#inner.read(topic, query, policy);
 *   }
 *   close(): Promise<void> {
 *     return this.#inner.close();
 *   }
 * }
 * ```
 */
export interface HistoryStore {
  /** Whether every server using this store sees the same history and positions. */
  readonly shared: boolean;
  /** Stores a publication; resolves with its position. */
  append(topic: string, data: string | Uint8Array, policy: HistoryPolicy): StreamPosition | Promise<StreamPosition>;
  /** Reads publications back (see {@link HistoryRead}). */
  read(topic: string, query: HistoryQuery, policy: HistoryPolicy): HistoryRead | Promise<HistoryRead>;
  /** What the store holds in this process, for `stats` (a remote store may leave it out). */
  usage?(): HistoryUsage;
  /** Releases the store's resources. The server never calls it (several servers may share a store). */
  close(): Promise<void>;
}

/**
 * What a store holds in this process's memory.
 *
 * @example
 * ```ts
 * import { MemoryHistory } from "@fullduplex/fullduplex/history";
 * const history = new MemoryHistory();
 * const { topics, publications, bytes } = history.usage();
 * console.log(topics, publications, bytes);
 * ```
 */
export interface HistoryUsage {
  /** Topics with history held. */
  topics: number;
  /** Publications held. */
  publications: number;
  /** Bytes held: payloads plus a fixed estimate per publication. */
  bytes: number;
}
