/**
 * What does storing a publication in RedisHistory cost, next to a plain
 * PUBLISH? On a fresh redis-server (no persistence), with `N` publications
 * of a 100-byte text payload and `INFLIGHT` commands in flight:
 *
 * - `append`: RedisHistory.append on one topic (size N, no ttl: every
 *   entry is kept, so the memory per entry can be read);
 * - `append, ttl`: the same with a ttl (the age check runs on every append);
 * - `PUBLISH`: one PUBLISH per publication on a command connection of the
 *   same kind (nobody subscribed: Redis's cheapest case);
 * - `EVAL (source every time)`: the append script sent by source instead
 *   of EVALSHA, to see what the SHA saves.
 *
 * Prints wall time and µs per operation, the append/PUBLISH ratio, and the
 * Redis memory per stored entry (INFO memory `used_memory` after minus
 * before, over N), for a text payload and for the same size in bytes
 * (stored in base64). Redis's own CPU (INFO cpu, user+sys) per operation is
 * printed too: it is the cost every server sharing the Redis pays.
 *
 * Usage: `deno run -A bench/investigate/history_redis.ts [N]` and
 * `bun run bench/investigate/history_redis.ts [N]` (N default 20000).
 *
 * @module
 */

import process from "node:process";
import { createRedisHistory } from "../../src/broker/history_redis.ts";
import { APPEND_LUA } from "../../src/broker/history_redis_lua.ts";
import { openRedisCommands } from "../../src/broker/redis_commands_open.ts";
import type { RedisCommands } from "../../src/broker/redis_commands.ts";
import { encodeStoredPayload } from "../../src/broker/redis_wire.ts";
import { detectRuntime } from "../../src/shared/runtime.ts";
import { startRedis } from "../../tests/helpers/redis.ts";

const N = Number(process.argv[2] ?? 20_000);
const INFLIGHT = 100;
const PAYLOAD = "x".repeat(100);

/** Runs `op(i)` for i in 0..n-1 with at most INFLIGHT pending; returns the wall time in ms. */
async function pipelined(n: number, op: (i: number) => Promise<unknown>): Promise<number> {
  const start = performance.now();
  let next = 0;
  const worker = async () => {
    while (next < n) await op(next++);
  };
  await Promise.all(Array.from({ length: INFLIGHT }, worker));
  return performance.now() - start;
}

function info(text: string, field: string): number {
  const line = text.split("\r\n").find((l) => l.startsWith(`${field}:`));
  return Number(line?.slice(field.length + 1));
}

async function redisCpu(redis: RedisCommands): Promise<number> {
  const text = String(await redis.send(["INFO", "cpu"]));
  return (info(text, "used_cpu_user") + info(text, "used_cpu_sys")) * 1000;
}

async function usedMemory(redis: RedisCommands): Promise<number> {
  return info(String(await redis.send(["INFO", "memory"])), "used_memory");
}

const server = await startRedis();
const raw = await openRedisCommands(server.url, { timeout: 30_000, event: () => {} });
const history = await createRedisHistory({ url: server.url, commandTimeout: 30_000, onEvent: () => {} });
const rows: string[] = [];

async function measure(name: string, op: (i: number) => Promise<unknown>): Promise<number> {
  await pipelined(Math.min(N, 2000), op); // warm-up (JIT, script cache)
  const cpu0 = await redisCpu(raw);
  const ms = await pipelined(N, op);
  const cpu = (await redisCpu(raw)) - cpu0;
  rows.push(
    `${name.padEnd(28)} ${ms.toFixed(0).padStart(6)} ms  ${(ms * 1000 / N).toFixed(2).padStart(6)} µs/op  ` +
      `Redis CPU ${(cpu * 1000 / N).toFixed(2).padStart(6)} µs/op`,
  );
  return ms;
}

const publish = await measure("PUBLISH", () => raw.send(["PUBLISH", "bench:nobody", PAYLOAD]));
await raw.send(["FLUSHALL"]);

const before = await usedMemory(raw);
let topic = 0;
const policy = { size: N, ttl: 0 };
// One topic per run (warm-up, then the measured N): the measured one holds exactly N entries.
const append = await measure("append", (i) => history.append(`bench:${i === 0 ? ++topic : topic}`, PAYLOAD, policy));
const after = await usedMemory(raw);
// The warm-up topic's entries are in `after` too: count them.
const warm = Math.min(N, 2000);
const perEntry = (after - before) / (N + warm);

// Bytes are stored in base64 (Bun's client reads replies as strings only): what that costs per entry.
await raw.send(["FLUSHALL"]);
const bytes = new Uint8Array(PAYLOAD.length).fill(120);
const beforeBytes = await usedMemory(raw);
await pipelined(N, () => history.append("bench:bytes", bytes, policy));
const perBinaryEntry = ((await usedMemory(raw)) - beforeBytes) / N;

await raw.send(["FLUSHALL"]);
await measure("append, ttl 60 s", () => history.append("bench:ttl", PAYLOAD, { size: N, ttl: 60_000 }));

await raw.send(["FLUSHALL"]);
const payload = encodeStoredPayload(PAYLOAD);
const evalArgs = (i: number) => [
  "EVAL",
  APPEND_LUA,
  "2",
  "bench:{eval}:meta",
  "bench:{eval}:log",
  payload,
  String(N),
  "0",
  ...["604800000", "60480000", "604800000", "60480000"], // RedisHistory's expiry arguments for the default metaTtl, no ttl
  `e${i}`,
];
await measure("EVAL (source every time)", (i) => raw.send(evalArgs(i)));

console.log(`${detectRuntime()}, N=${N}, ${INFLIGHT} in flight, payload ${PAYLOAD.length} B text`);
for (const row of rows) console.log(row);
console.log(`append / PUBLISH: ${(append / publish).toFixed(2)}×`);
console.log(
  `Redis memory per stored entry, ${PAYLOAD.length}-byte payload: text ${perEntry.toFixed(0)} B, binary ${perBinaryEntry.toFixed(0)} B`,
);

await history.close();
await raw.close();
await server.stop();
