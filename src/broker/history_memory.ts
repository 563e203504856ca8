/**
 * `MemoryHistory`: topic history in this process's memory. Positions are
 * this process's own (`shared: false`): every server appends what it
 * delivers, a restart starts a new epoch. Bounded by each topic's policy
 * (count and age) and by `maxTopics`.
 *
 * @module
 */

import type { HistoryPolicy, HistoryQuery, HistoryRead, HistoryStore, HistoryUsage, StoredPublication, StreamPosition } from "./history.ts";

/**
 * Options of {@link MemoryHistory}.
 *
 * @example
 * ```ts
 * import { MemoryHistory } from "@fullduplex/fullduplex/history";
 * const history = new MemoryHistory({ maxTopics: 1000 });
 * ```
 */
export interface MemoryHistoryOptions {
  /**
   * The most topics whose history is kept. Beyond it, the topic published
   * to least recently is forgotten: a client coming back to it is told
   * `"epoch changed"`. Default 10000.
   */
  maxTopics?: number;
  /** The clock, in ms (tests). Default `Date.now`. */
  now?: () => number;
}

/** A fixed estimate of what one kept publication costs beyond its payload (entry object, array slot). */
const ENTRY_OVERHEAD = 64;

interface Entry {
  offset: number;
  data: string | Uint8Array;
  time: number;
}

/** One topic's log: entries[start..] are live, in offset order. */
class TopicLog {
  readonly epoch: string = newEpoch();
  top = 0;
  entries: Entry[] = [];
  start = 0;
  /** Offset of the last entry dropped by `size` (dropped by age are the others). */
  lastTrimmed = 0;
  bytes = 0;

  get length(): number {
    return this.entries.length - this.start;
  }

  first(): Entry | undefined {
    return this.entries[this.start];
  }

  drop(): void {
    const entry = this.entries[this.start]!;
    this.entries[this.start] = undefined as unknown as Entry; // let the payload go now
    this.start++;
    this.bytes -= sizeOf(entry.data);
    // Compact once half the array is dead: amortised O(1) per drop.
    if (this.start > 1024 && this.start * 2 > this.entries.length) {
      this.entries = this.entries.slice(this.start);
      this.start = 0;
    }
  }

  trim(policy: HistoryPolicy, now: number): void {
    while (this.length > policy.size) {
      this.lastTrimmed = this.first()!.offset;
      this.drop();
    }
    if (policy.ttl > 0) {
      const oldest = now - policy.ttl;
      while (this.length > 0 && this.first()!.time <= oldest) this.drop();
    }
  }
}

function sizeOf(data: string | Uint8Array): number {
  return (typeof data === "string" ? data.length : data.byteLength) + ENTRY_OVERHEAD;
}

/** A short random epoch: 8 base-36 characters. */
function newEpoch(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(8));
  let out = "";
  for (const b of bytes) out += (b % 36).toString(36);
  return out;
}

/** The index of the first live entry with offset > `after` (entries are consecutive offsets). */
function indexAfter(log: TopicLog, after: number): number {
  const first = log.first();
  if (first === undefined) return log.entries.length;
  return log.start + Math.max(0, after + 1 - first.offset);
}

/**
 * Topic history kept in this process (see {@link HistoryStore}). The
 * default store of `channels.history`.
 *
 * @example One server whose "ticker:*" topics keep their last 100 publications for a minute
 * ```ts
 * import { serve } from "@fullduplex/fullduplex";
 * import { MemoryHistory } from "@fullduplex/fullduplex/history";
 * const server = serve({
 *   port: 0,
 *   channels: {
 *     authorize: () => true,
 *     history: { store: new MemoryHistory(), topics: [{ match: "ticker:*", size: 100, ttl: 60_000 }] },
 *   },
 * });
 * await server.shutdown();
 * ```
 */
export class MemoryHistory implements HistoryStore {
  /** Positions are this process's own. */
  readonly shared = false;
  readonly #logs = new Map<string, TopicLog>();
  readonly #maxTopics: number;
  readonly #now: () => number;
  #publications = 0;
  #bytes = 0;

  /** An empty store; throws a RangeError for a bad `maxTopics`. */
  constructor(options: MemoryHistoryOptions = {}) {
    const maxTopics = options.maxTopics ?? 10_000;
    if (!Number.isInteger(maxTopics) || maxTopics < 1) throw new RangeError(`maxTopics must be a positive integer, got ${maxTopics}`);
    this.#maxTopics = maxTopics;
    this.#now = options.now ?? Date.now;
  }

  /** Appends at the next offset of the topic (synchronously). */
  append(topic: string, data: string | Uint8Array, policy: HistoryPolicy): StreamPosition {
    let log = this.#logs.get(topic);
    if (log === undefined) {
      if (this.#logs.size >= this.#maxTopics) this.#forgetOldest();
      log = new TopicLog();
    } else this.#logs.delete(topic); // re-inserted below: the Map's order is the order of last publication
    this.#logs.set(topic, log);
    const now = this.#now();
    const offset = ++log.top;
    const current = log;
    this.#account(current, () => {
      // A copy: the caller's buffer may be reused (an engine's receive buffer).
      current.entries.push({ offset, data: typeof data === "string" ? data : data.slice(), time: now });
      current.bytes += sizeOf(data);
      current.trim(policy, now);
    });
    return { epoch: log.epoch, offset };
  }

  /** Reads publications back (see {@link HistoryRead}), synchronously. */
  read(topic: string, query: HistoryQuery, policy: HistoryPolicy): HistoryRead {
    let log = this.#logs.get(topic);
    if (log === undefined) {
      // A topic never published to (or forgotten): an empty history in a new epoch.
      log = new TopicLog();
      if (this.#logs.size >= this.#maxTopics) this.#forgetOldest();
      this.#logs.set(topic, log);
    }
    const current = log;
    this.#account(current, () => current.trim(policy, this.#now()));
    const { epoch, top } = current;
    const limit = Math.max(0, Math.floor(query.limit));
    if ("last" in query) {
      const n = Math.min(Math.max(0, Math.floor(query.last)), limit, current.length);
      return { ok: true, epoch, top, publications: this.#slice(current, current.entries.length - n, n) };
    }
    const after = query.after;
    if (after.epoch !== epoch) return { ok: false, epoch, top, reason: "epoch changed" };
    if (!Number.isInteger(after.offset) || after.offset < 0 || after.offset > top) {
      return { ok: false, epoch, top, reason: "unknown position" };
    }
    if (after.offset === top) return { ok: true, epoch, top, publications: [] };
    const first = current.first();
    if (first === undefined || first.offset > after.offset + 1) {
      return { ok: false, epoch, top, reason: current.lastTrimmed > after.offset ? "trimmed" : "expired" };
    }
    const from = indexAfter(current, after.offset);
    return { ok: true, epoch, top, publications: this.#slice(current, from, limit) };
  }

  #slice(log: TopicLog, from: number, count: number): StoredPublication[] {
    const out: StoredPublication[] = [];
    const end = Math.min(log.entries.length, from + count);
    for (let i = from; i < end; i++) {
      const entry = log.entries[i]!;
      out.push({ offset: entry.offset, data: entry.data });
    }
    return out;
  }

  /** Runs a change of one log and keeps the totals right. */
  #account(log: TopicLog, change: () => void): void {
    const before = log.length;
    const bytesBefore = log.bytes;
    change();
    this.#publications -= before - log.length;
    this.#bytes += log.bytes - bytesBefore;
  }

  #forgetOldest(): void {
    const [topic, log] = this.#logs.entries().next().value as [string, TopicLog];
    this.#logs.delete(topic);
    this.#publications -= log.length;
    this.#bytes -= log.bytes;
  }

  /** Topics, publications and bytes held now. */
  usage(): HistoryUsage {
    return { topics: this.#logs.size, publications: this.#publications, bytes: this.#bytes };
  }

  /** Forgets everything. */
  close(): Promise<void> {
    this.#logs.clear();
    this.#publications = 0;
    this.#bytes = 0;
    return Promise.resolve();
  }
}
