/**
 * examples/ticker.ts: a client rides out a restart of its server (SIGKILL,
 * then started again on the same port) without a gap, the history in a
 * real redis-server: its offsets go on one by one, each once, and it says
 * "recovered".
 */

import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { RUNTIME, spawnScript, until } from "./helpers/runtime.ts";
import type { Spawned } from "./helpers/runtime.ts";
import { startRedis } from "./helpers/redis.ts";
import type { RedisServer } from "./helpers/redis.ts";

describe(`examples/ticker.ts on ${RUNTIME}`, () => {
  let redis: RedisServer;
  const running: Spawned[] = [];
  before(async () => {
    redis = await startRedis();
  });
  after(async () => {
    for (const p of running) p.kill();
    await redis.stop();
  });

  async function server(port: number): Promise<number> {
    const s = spawnScript(RUNTIME, "examples/ticker.ts", [
      "--port",
      String(port),
      "--host",
      "127.0.0.1",
      "--redis",
      redis.url,
      "--every",
      "20",
    ]);
    running.push(s);
    const m = await s.waitFor(/ticker on ws:\/\/127\.0\.0\.1:(\d+) \(history: redis\)/, 30_000);
    return Number(m[1]);
  }

  it("a client's offsets go on without a hole across a SIGKILL and restart of the server", async () => {
    const port = await server(0);
    const client = spawnScript(RUNTIME, "examples/ticker.ts", ["client", `ws://127.0.0.1:${port}`, "--symbol", "EUR", "--count", "150"]);
    running.push(client);
    const lines = () => client.stdout().split("\n").filter((l) => /^\d+ EUR /.test(l));
    await until(() => lines().length >= 20, "20 prices", 20_000);
    running[0].kill("SIGKILL");
    await new Promise((r) => setTimeout(r, 300));
    await server(port);
    assert.equal(await client.exited(60_000), 0, client.stderr());
    const offsets = lines().map((l) => Number(l.split(" ")[0]));
    assert.equal(offsets.length, 150);
    for (let i = 1; i < offsets.length; i++) assert.equal(offsets[i], offsets[i - 1] + 1, `offset ${offsets[i - 1]} then ${offsets[i]}`);
    assert.match(client.stdout(), /^recovered$/m);
    assert.doesNotMatch(client.stdout(), /missed prices/);
  });
});
