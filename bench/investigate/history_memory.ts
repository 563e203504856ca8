/**
 * What does keeping a publication in MemoryHistory cost? N appends of a
 * 100-byte text on one topic (size N: all kept), then the heap growth per
 * entry, and the time per append next to a topic without history (a Map
 * lookup stands in for nothing: the library's no-history path is one
 * policy check). Run with --expose-gc for the memory figure:
 *
 *   deno run -A --v8-flags=--expose-gc bench/investigate/history_memory.ts [N]
 *   bun run bench/investigate/history_memory.ts [N]
 *
 * @module
 */

import process from "node:process";
import { MemoryHistory } from "../../history.ts";

const N = Number(process.argv[2] ?? 200_000);
const gc = (globalThis as { gc?: () => void }).gc ?? (globalThis as { Bun?: { gc(sync: boolean): void } }).Bun?.gc.bind(null, true);
const heap = () => {
  gc?.();
  return process.memoryUsage().heapUsed;
};
const payloads = Array.from({ length: 1000 }, (_, i) => `${i}:`.padEnd(100, "x"));
const policy = { size: N, ttl: 0 };
const store = new MemoryHistory();
const before = heap();
const t0 = performance.now();
for (let i = 0; i < N; i++) store.append("ticker", payloads[i % 1000], policy);
const t1 = performance.now();
const after = heap();
const trimmed = new MemoryHistory();
const small = { size: 1000, ttl: 60_000 };
const t2 = performance.now();
for (let i = 0; i < N; i++) trimmed.append("ticker", payloads[i % 1000], small);
const t3 = performance.now();
console.log(`${typeof (globalThis as { Bun?: unknown }).Bun === "undefined" ? "deno" : "bun"}, N=${N}, 100-byte text`);
console.log(`append (all kept):           ${((t1 - t0) * 1e6 / N).toFixed(0)} ns/op`);
console.log(`append (size 1000, ttl 60s): ${((t3 - t2) * 1e6 / N).toFixed(0)} ns/op`);
console.log(
  `heap per stored publication: ${
    gc === undefined ? "(run with --expose-gc)" : `${((after - before) / N).toFixed(0)} B`
  } (the payload strings are shared here: entry overhead only)`,
);
console.log(`stats estimate per publication: ${(store.usage().bytes / N).toFixed(0)} B`);
