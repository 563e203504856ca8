/**
 * `RedisHistory`: topic history in Redis Streams, shared by every server
 * (Deno or Bun, any machine) that uses the same Redis and prefix. Offsets
 * and epochs are Redis's, so a client may recover from any of them.
 * Import it from `@fullduplex/fullduplex/redis` (npm: `fullduplex/redis`).
 *
 * Per topic, two keys: a hash with the epoch, the latest offset (`top`)
 * and the highest offset dropped to keep `size`; and a stream with one
 * entry per publication (id `<offset>-0`). Every append and every read is
 * one Lua script (history_redis_lua.ts), atomic in Redis.
 *
 * What survives what: a server restart loses nothing. A Redis restart
 * without persistence loses the topics' hashes: the next append starts a
 * new epoch at offset 1, and a client coming back with an old position is
 * told `"epoch changed"`. With persistence (AOF, `appendfsync always` for
 * no loss at all) the epoch, the offsets and the entries come back.
 *
 * @module
 */

import type { HistoryPolicy, HistoryQuery, HistoryRead, HistoryStore, StoredPublication, StreamPosition } from "./history.ts";
import { APPEND_LUA, READ_LUA } from "./history_redis_lua.ts";
import type { RedisCommands } from "./redis_commands.ts";
import { openRedisCommands } from "./redis_commands_open.ts";
import { withoutPassword } from "./redis_connection.ts";
import { decodeStoredPayload, encodeStoredPayload } from "./redis_wire.ts";
import { ConnectError, FullDuplexError } from "../shared/errors.ts";

/**
 * What a Redis history store reports about its connection.
 *
 * @example Alerting while publications on topics with history fail
 * ```ts
 * import { createRedisHistory } from "@fullduplex/fullduplex/redis";
 * import type { RedisHistoryEvent } from "@fullduplex/fullduplex/redis";
 * function onEvent(event: RedisHistoryEvent): void {
 *   if (event.type === "disconnected") console.error("Redis lost: appends and recoveries fail until it is back", event.error);
 *   else console.info("Redis history back");
 * }
 * const history = await createRedisHistory({ onEvent });
 * ```
 */
export type RedisHistoryEvent =
  | {
    /** The connection was lost: `append` and `read` reject until it is back (the store reconnects by itself). */
    type: "disconnected";
    error?: unknown;
  }
  | {
    /** The connection is back: `append` and `read` work again. */
    type: "reconnected";
  };

/**
 * Options of {@link createRedisHistory}.
 *
 * @example
 * ```ts
 * import { createRedisHistory } from "@fullduplex/fullduplex/redis";
 * import type { RedisHistoryOptions } from "@fullduplex/fullduplex/redis";
 * const options: RedisHistoryOptions = { url: "redis://localhost:6379/0", prefix: "myapp:history:", commandTimeout: 2000 };
 * const history = await createRedisHistory(options);
 * ```
 */
export interface RedisHistoryOptions {
  /** Redis URL (`redis://user:pass@host:6379/0`, `rediss://` for TLS). Default `"redis://localhost:6379"`. */
  url?: string;
  /**
   * Prefix of the Redis keys (a topic `chat` lives in
   * `fullduplex:history:{chat}:meta` and `fullduplex:history:{chat}:log`).
   * Servers meant to share a history need the same prefix. Default
   * `"fullduplex:history:"`.
   */
  prefix?: string;
  /**
   * How long, in ms, a topic's epoch and latest offset survive without a
   * publication. After that the topic starts again in a new epoch (a
   * client coming back is told `"epoch changed"`), so topics no longer
   * used do not stay in Redis forever. Redis may keep them up to a tenth
   * longer (at least 1 s): expiries are renewed in steps, not on every
   * append. Default 7 days.
   */
  metaTtl?: number;
  /**
   * `append` and `read` reject when Redis has not answered within this
   * many ms (a Redis that is down makes them reject at once). Default 5000.
   */
  commandTimeout?: number;
  /**
   * Called when the connection to Redis is lost (`disconnected`) and when
   * it is back (`reconnected`). Default: logs with `console.warn`.
   */
  onEvent?(event: RedisHistoryEvent): void;
}

/**
 * How much longer than needed a key's expiry is set, so a busy topic
 * renews it once per this many ms instead of on every append: a tenth of
 * the time it must live, at least 1 s. (A dropped stream or a forgotten
 * topic thus lingers up to that much longer in Redis; nothing reads it.)
 */
function slack(ms: number): number {
  return Math.max(1000, Math.floor(ms / 10));
}

/** A script and its SHA-1, for EVALSHA. */
interface Script {
  source: string;
  sha: string;
}

async function script(source: string): Promise<Script> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-1", new TextEncoder().encode(source)));
  return { source, sha: Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("") };
}

/** A short random epoch: 8 base-36 characters (as MemoryHistory's). */
function newEpoch(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(8));
  let out = "";
  for (const b of bytes) out += (b % 36).toString(36);
  return out;
}

/** A count from a query or policy as MemoryHistory reads it: floored, at least 0; NaN reads nothing. */
function count(n: number): number {
  if (Number.isNaN(n)) return 0;
  return Math.min(Number.MAX_SAFE_INTEGER, Math.max(0, Math.floor(n)));
}

/** A policy as the scripts take it: a size without a limit is the largest integer, a ttl without a limit is 0 (none). */
function limits(policy: HistoryPolicy): { size: number; ttl: number } {
  const size = Number.isNaN(policy.size) ? Number.MAX_SAFE_INTEGER : count(policy.size);
  const ttl = Number.isFinite(policy.ttl) && policy.ttl > 0 ? Math.ceil(policy.ttl) : 0;
  return { size, ttl };
}

/** The start of a reply, for an error message (a reply may carry whole payloads). */
function excerpt(reply: unknown): string {
  const text = JSON.stringify(reply) ?? String(reply);
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Topic history in Redis (see {@link HistoryStore}), shared by every
 * server on the same Redis and prefix (`shared: true`: positions are the
 * same everywhere). Create it with {@link createRedisHistory}.
 *
 * `append` and `read` reject (never hang) when Redis is down or does not
 * answer within `commandTimeout`; the store reconnects by itself. A
 * rejected append may still have been stored when Redis was only slow:
 * it is then in the history (a client recovering gets it) although its
 * publisher was told it failed.
 *
 * Pass it as the store of `channels.history` (docs/channels.md
 * "Recovery"); the server appends and reads. Directly:
 *
 * @example Appending, then reading what came after a position
 * ```ts
 * import { createRedisHistory } from "@fullduplex/fullduplex/redis";
 * const history = await createRedisHistory({ url: "redis://localhost:6379" });
 * const policy = { size: 1000, ttl: 60_000 };
 * const first = await history.append("ticker:ACME", '{"price":42}', policy);
 * await history.append("ticker:ACME", '{"price":43}', policy);
 * const read = await history.read("ticker:ACME", { after: first, limit: 100 }, policy);
 * if (read.ok) for (const p of read.publications) console.log(p.offset, p.data); // 2 {"price":43}
 * else console.log("cannot recover:", read.reason);
 * await history.close();
 * ```
 */
export class RedisHistory implements HistoryStore {
  /** Every server using the same Redis and prefix sees the same history and positions. */
  readonly shared = true;
  readonly #prefix: string;
  readonly #metaTtl: number;
  readonly #append: Script;
  readonly #read: Script;
  #redis: RedisCommands | undefined;

  /** @internal Use {@link createRedisHistory}. */
  constructor(redis: RedisCommands, prefix: string, metaTtl: number, scripts: { append: Script; read: Script }) {
    this.#redis = redis;
    this.#prefix = prefix;
    this.#metaTtl = metaTtl;
    this.#append = scripts.append;
    this.#read = scripts.read;
  }

  /**
   * The topic's two keys. The topic sits in a hash tag (`{…}`): both keys
   * of a script then hash to one Redis Cluster slot, whatever the topic
   * (the two keys share everything up to the first `}`).
   */
  #keys(topic: string): [string, string] {
    const base = `${this.#prefix}{${topic}}`;
    return [`${base}:meta`, `${base}:log`];
  }

  /**
   * Runs a script by its SHA-1 (sending the source every time costs Redis
   * about 1.5× the CPU per append: bench/FINDINGS.md). The scripts are
   * loaded on every (re)connection before any command is sent (`prepare`
   * in createRedisHistory), so a restarted Redis has them before the
   * first append. Only a `SCRIPT FLUSH` on a live connection makes Redis
   * forget them: then the source is sent. (A fallback cannot keep the
   * order of appends already in flight: a later one may then get the
   * lower offset. Rare, and a flushed script cache is an operator's act.)
   */
  async #eval(script: Script, keys: [string, string], args: string[]): Promise<unknown> {
    const redis = this.#redis;
    if (redis === undefined) throw new FullDuplexError("this Redis history store is closed");
    try {
      return await redis.send(["EVALSHA", script.sha, "2", ...keys, ...args]);
    } catch (err) {
      if (!message(err).startsWith("NOSCRIPT")) throw err;
      return await redis.send(["EVAL", script.source, "2", ...keys, ...args]);
    }
  }

  /**
   * The append script's expiry arguments: meta_ttl, meta_slack, log_ttl,
   * log_slack. A stream with an age limit needs to outlive its last entry
   * by `ttl` (never longer than the meta, which it is useless without);
   * without one, as long as the meta.
   */
  #expiries(ttl: number): string[] {
    const meta = this.#metaTtl;
    const log = ttl > 0 ? Math.min(ttl, meta) : meta;
    return [meta, slack(meta), log, slack(log)].map(String);
  }

  /** Appends at the topic's next offset in Redis; rejects when Redis is down, slow or refuses it. */
  async append(topic: string, data: string | Uint8Array, policy: HistoryPolicy): Promise<StreamPosition> {
    // Encoded now, before any await: a caller's buffer reused afterwards changes nothing.
    const payload = encodeStoredPayload(data);
    const { size, ttl } = limits(policy);
    const expiries = this.#expiries(ttl);
    let reply: unknown;
    try {
      reply = await this.#eval(this.#append, this.#keys(topic), [
        payload,
        String(size),
        String(ttl),
        ...expiries,
        newEpoch(),
      ]);
    } catch (err) {
      throw new FullDuplexError(`the Redis history store could not append: ${message(err)}`, { cause: err });
    }
    if (!Array.isArray(reply) || typeof reply[0] !== "string" || typeof reply[1] !== "number") {
      throw new FullDuplexError(`the Redis history store got an unexpected answer to an append: ${excerpt(reply)}`);
    }
    return { epoch: reply[0], offset: reply[1] };
  }

  /** Reads from Redis (trimming by count and age first, as MemoryHistory does); rejects when Redis is down or slow. */
  async read(topic: string, query: HistoryQuery, policy: HistoryPolicy): Promise<HistoryRead> {
    const { size, ttl } = limits(policy);
    let mode: string, n: number, epoch: string;
    if ("last" in query) {
      [mode, n, epoch] = ["last", count(query.last), ""];
    } else {
      const offset = query.after.offset;
      // -1: not an offset this store gives ("unknown position", once the epoch matches).
      const valid = Number.isInteger(offset) && offset >= 0 && offset <= Number.MAX_SAFE_INTEGER;
      [mode, n, epoch] = ["after", valid ? offset : -1, String(query.after.epoch)];
    }
    let reply: unknown;
    try {
      reply = await this.#eval(this.#read, this.#keys(topic), [
        mode,
        String(n),
        String(count(query.limit)),
        epoch,
        String(size),
        String(ttl),
        String(this.#metaTtl),
        String(slack(this.#metaTtl)),
        newEpoch(),
      ]);
    } catch (err) {
      throw new FullDuplexError(`the Redis history store could not read: ${message(err)}`, { cause: err });
    }
    return parseRead(reply);
  }

  /** Closes the connection to Redis (the history stays there). */
  async close(): Promise<void> {
    const redis = this.#redis;
    this.#redis = undefined;
    await redis?.close();
  }
}

/** Turns the read script's flat reply into a {@link HistoryRead}. */
function parseRead(reply: unknown): HistoryRead {
  const unexpected = () => new FullDuplexError(`the Redis history store got an unexpected answer to a read: ${excerpt(reply)}`);
  if (!Array.isArray(reply) || typeof reply[1] !== "string" || typeof reply[2] !== "number") throw unexpected();
  const [ok, epoch, top] = reply as [number, string, number];
  if (ok === 0) {
    const reason = reply[3];
    if (reason !== "trimmed" && reason !== "expired" && reason !== "epoch changed" && reason !== "unknown position") throw unexpected();
    return { ok: false, epoch, top, reason };
  }
  const publications: StoredPublication[] = [];
  for (let i = 3; i + 1 < reply.length; i += 2) {
    const offset = reply[i];
    const data = typeof reply[i + 1] === "string" ? decodeStoredPayload(reply[i + 1]) : undefined;
    if (typeof offset !== "number" || data === undefined) {
      throw new FullDuplexError(`the Redis history store found an entry it did not write at offset ${offset}`);
    }
    publications.push({ offset, data });
  }
  return { ok: true, epoch, top, publications };
}

function positive(name: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0) throw new RangeError(`${name} must be a positive number of ms, got ${value}`);
  return Math.ceil(value);
}

/**
 * Connects to Redis and returns a history store to pass to
 * `channels.history.store`. Rejects with a `ConnectError` if Redis cannot
 * be reached (its `url` never shows a password).
 *
 * @example
 * ```ts
 * import { createRedisHistory } from "@fullduplex/fullduplex/redis";
 * const history = await createRedisHistory({
 *   url: Deno.env.get("REDIS_URL") ?? "redis://localhost:6379",
 *   commandTimeout: 2000,
 *   onEvent: (event) => console.log("redis history:", event.type),
 * });
 * const at = await history.append("ticker:ACME", '{"price":42}', { size: 1000, ttl: 60_000 });
 * console.log(at.epoch, at.offset);
 * await history.close();
 * ```
 */
export async function createRedisHistory(options: RedisHistoryOptions = {}): Promise<RedisHistory> {
  const url = options.url ?? "redis://localhost:6379";
  const metaTtl = positive("metaTtl", options.metaTtl ?? 7 * 24 * 3600_000);
  const timeout = positive("commandTimeout", options.commandTimeout ?? 5000);
  const onEvent = options.onEvent ??
    ((event: RedisHistoryEvent) =>
      console.warn(`fullduplex: Redis history ${event.type}`, event.type === "disconnected" ? event.error : ""));
  const event = (e: RedisHistoryEvent) => {
    try {
      onEvent(e);
    } catch (err) {
      console.error("fullduplex: the Redis history store's onEvent threw:", err);
    }
  };
  const [append, read] = await Promise.all([script(APPEND_LUA), script(READ_LUA)]);
  // Loaded on every connection before it is used: see RedisHistory.#eval.
  const prepare = async (send: (args: readonly string[]) => Promise<unknown>) => {
    await Promise.all([send(["SCRIPT", "LOAD", append.source]), send(["SCRIPT", "LOAD", read.source])]);
  };
  let redis: RedisCommands;
  try {
    redis = await openRedisCommands(url, { timeout, event, prepare });
  } catch (err) {
    if (err instanceof FullDuplexError) throw err; // wrong runtime, missing package
    throw new ConnectError(withoutPassword(url), `${message(err)} (is redis-server running there?)`, { cause: err });
  }
  return new RedisHistory(redis, options.prefix ?? "fullduplex:history:", metaTtl, { append, read });
}
