/**
 * Counters a server keeps so that limits, keep-alive and backpressure are
 * observable (`server.stats`, `endpoint.stats`). Counting is a field
 * increment on paths that are already slow (a refusal, a drop, a timeout).
 *
 * @module
 */

/**
 * A snapshot of a server's counters since it started.
 *
 * @example
 * ```ts
 * import { serve } from "@fullduplex/fullduplex";
 * const server = serve({ port: 0, idleTimeout: 30, maxConnections: 1000 });
 * setInterval(() => console.log(server.stats), 60_000);
 * ```
 */
export interface ServerStats {
  /** Open connections now. */
  connections: number;
  /** Upgrades accepted but not open yet (they count towards `maxConnections`). */
  pendingUpgrades: number;
  /**
   * Connections closed on the library's side whose TCP connection the engine
   * still holds (Deno cannot drop one whose peer never answers the close;
   * each can hold up to `backpressureLimit` of queued data). They count
   * towards `maxConnections` and `maxConnectionsPerAddress` until the engine
   * lets them go. Always 0 on Bun.
   */
  lingering: number;
  /** Upgrades refused with 503 because of `maxConnections`. */
  refusedMaxConnections: number;
  /** Upgrades refused with 403 because of `origins`. */
  refusedOrigin: number;
  /** Upgrades refused with 429 because the address held `maxConnectionsPerAddress` connections. */
  refusedPerAddress: number;
  /** Upgrades refused with 429 because of `upgradeRateLimit`. */
  refusedUpgradeRate: number;
  /** Messages discarded by `rateLimit` with `action: "drop"`. */
  rateLimitedMessages: number;
  /** Connections closed (1008) by `rateLimit` with `action: "close"`. */
  rateLimitCloses: number;
  /** Keep-alive pings fullduplex sent (Bun; Deno's engine pings by itself and does not tell). */
  pingsSent: number;
  /**
   * Connections ended because the peer answered neither data nor pings
   * within `idleTimeout`, or read none of the data queued for it for that long.
   */
  idleTimeouts: number;
  /** Close handshakes the peer did not answer within `closeTimeout` (the connection was dropped). */
  closeTimeouts: number;
  /** Sends refused because the peer's buffer was at `backpressureLimit`. */
  backpressureDrops: number;
  /** Connections closed (1008) because of `backpressureLimit` with `onBackpressureLimit: "close"`. */
  backpressureCloses: number;
  /** Connections closed (1008) because of `maxMessagesWhileBackpressured`. */
  backpressureFloodCloses: number;
  /** `drain` crossings (outgoing buffer fell to `lowWaterMark` or below). */
  drains: number;
  /** Channel requests denied: by `authorize`, by a limit (topic length, subscriptions, presence info) or for a bad topic. */
  channelDenied: number;
  /** Malformed channel frames (answered with an `error` control message). */
  channelMalformed: number;
  /** Channel control messages denied by `channels.controlRate`. */
  channelRateLimited: number;
  /** Publications kept in history (`channels.history`). */
  historyAppends: number;
  /** History store operations that failed (a publish then rejected or was reported; a recovery answered `"store unavailable"`). */
  historyStoreErrors: number;
  /** Publications sent from history to recovering clients. */
  historyReplayed: number;
  /** Recoveries that gave the client everything it missed (`recovered: true`). */
  recoveries: number;
  /** Recoveries that could not (`recovered: false`: trimmed, expired, epoch changed, store unavailable...). */
  recoveryFailures: number;
  /** Publications the history store holds in this process's memory now (0 for a remote store such as Redis). */
  historyPublications: number;
  /** Bytes the history store holds in this process's memory now (payloads plus a fixed estimate each). */
  historyBytes: number;
}

/** The mutable counters behind {@link ServerStats} (connections are counted elsewhere). */
export type Counters = Omit<ServerStats, "connections" | "pendingUpgrades" | "lingering" | "historyPublications" | "historyBytes">;

/** The name of one counter: what the core's `count()` increments. */
export type Stat = keyof Counters;

/** Fresh counters at zero. */
export function newCounters(): Counters {
  return {
    refusedMaxConnections: 0,
    refusedOrigin: 0,
    refusedPerAddress: 0,
    refusedUpgradeRate: 0,
    rateLimitedMessages: 0,
    rateLimitCloses: 0,
    pingsSent: 0,
    idleTimeouts: 0,
    closeTimeouts: 0,
    backpressureDrops: 0,
    backpressureCloses: 0,
    backpressureFloodCloses: 0,
    drains: 0,
    channelDenied: 0,
    channelMalformed: 0,
    channelRateLimited: 0,
    historyAppends: 0,
    historyStoreErrors: 0,
    historyReplayed: 0,
    recoveries: 0,
    recoveryFailures: 0,
  };
}
