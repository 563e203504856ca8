/**
 * Topic history for recovery (`channels.history`, docs/channels.md
 * "Recovery"): the {@link HistoryStore} contract, positions, and the
 * in-memory store. The Redis store is in `@fullduplex/fullduplex/redis`
 * (`createRedisHistory`).
 *
 * ```ts
 * import { MemoryHistory } from "@fullduplex/fullduplex/history"; // npm: "fullduplex/history"
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
