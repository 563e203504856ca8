/**
 * Topic history for recovery (`channels.history`, docs/channels.md
 * "Recovery"): the {@link HistoryStore} contract, positions, and the
 * in-memory store. The Redis store is in `@fullduplex/fullduplex/redis`
 * (`createRedisHistory`).
 *
 * @example Five minutes of every "ticker:" topic, in this server's memory
 * ```ts
 * import { serve } from "@fullduplex/fullduplex";
 * import { MemoryHistory } from "@fullduplex/fullduplex/history"; // npm: "fullduplex/history"
 * const server = serve({
 *   port: 0,
 *   channels: {
 *     authorize: () => true,
 *     history: { store: new MemoryHistory({ maxTopics: 1000 }), topics: [{ match: "ticker:*", size: 500, ttl: 300_000 }] },
 *   },
 * });
 * await server.shutdown();
 * ```
 *
 * @module
 */

export type {
  HistoryPolicy,
  HistoryQuery,
  HistoryRead,
  HistoryStore,
  HistoryUsage,
  RecoveryFailure,
  StoredPublication,
  StoreFailure,
  StreamPosition,
} from "./src/broker/history.ts";
export { MemoryHistory } from "./src/broker/history_memory.ts";
export type { MemoryHistoryOptions } from "./src/broker/history_memory.ts";
export type { HistoryOptions, HistoryTopicRule } from "./src/server/channel_options.ts";
