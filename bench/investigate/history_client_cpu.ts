/**
 * What a publication with a Redis history costs the publishing server's
 * own process, next to a plain one: the CPU (process.cpuUsage, the whole
 * process) per `RedisHistory.append` and per `RedisBroker.publish` (without
 * and with a position, as a server forwards a stored publication), `N` of
 * each with 64 in flight on a fresh redis-server. A stored publication is
 * one append, then one publish with its position; a plain one, one publish.
 * Used for bench/FINDINGS.md ("History and recovery across processes").
 *
 * Usage: `bun run bench/investigate/history_client_cpu.ts [N]` and
 * `deno run -A bench/investigate/history_client_cpu.ts [N]` (N default 20000).
 *
 * @module
 */

import process from "node:process";
import { createRedisBroker, createRedisHistory } from "../../src/broker/redis.ts";
import { startRedis } from "../../tests/helpers/redis.ts";

const N = Number(process.argv[2] ?? 20_000);
const INFLIGHT = 64;

/** Runs `op` N times, INFLIGHT at a time; µs of this process's CPU and of wall time per op. */
async function pipelined(op: (i: number) => Promise<unknown>): Promise<{ cpuUs: number; wallUs: number }> {
  let next = 0;
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await Promise.all(Array.from({ length: INFLIGHT }, async () => {
    while (next < N) await op(next++);
  }));
  const c = process.cpuUsage(c0);
  return { cpuUs: (c.user + c.system) / N, wallUs: ((performance.now() - t0) * 1000) / N };
}

const redis = await startRedis();
try {
  const quiet = () => {};
  const broker = await createRedisBroker({ url: redis.url, prefix: "cpu:bus:", onEvent: quiet });
  const store = await createRedisHistory({ url: redis.url, prefix: "cpu:history:", onEvent: quiet });
  const policy = { size: 10_000, ttl: 0 };
  const data = "0".repeat(32);
  const f = (r: { cpuUs: number; wallUs: number }) => `${r.cpuUs.toFixed(1)} µs CPU (${r.wallUs.toFixed(1)} µs wall)`;
  for (let round = 1; round <= 3; round++) {
    const append = await pipelined(() => Promise.resolve(store.append("bench", data, policy)));
    const plain = await pipelined(() => Promise.resolve(broker.publish({ topic: "bench", data, origin: "cpu" })));
    const positioned = await pipelined((i) =>
      Promise.resolve(broker.publish({ topic: "bench", data, origin: "cpu", position: { epoch: "e1b2c3d4", offset: i + 1 } }))
    );
    console.log(`round ${round}: append ${f(append)}; publish ${f(plain)}; publish with a position ${f(positioned)}`);
  }
  await broker.close();
  await store.close();
} finally {
  await redis.stop();
}
