/**
 * examples/cluster.ts, the "every core" recipe: two workers on one port
 * (reusePort) sharing a real redis-server. Both accept connections (each
 * greets with its pid), a message said to one worker reaches a subscriber
 * of the other, and SIGTERM to the primary stops both workers.
 */

import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:net";
import process from "node:process";
import { connect } from "../mod.ts";
import type { Client } from "../mod.ts";
import { startRedis } from "./helpers/redis.ts";
import type { RedisServer } from "./helpers/redis.ts";
import { RUNTIME, spawnScript, until } from "./helpers/runtime.ts";
import { nextMessage } from "./helpers/server.ts";

let redis: RedisServer;

before(async () => {
  redis = await startRedis();
});
after(async () => {
  await redis.stop();
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const address = srv.address();
      srv.close(() => resolve(typeof address === "object" && address !== null ? address.port : 0));
    });
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe(`examples/cluster.ts on ${RUNTIME}`, () => {
  it("two workers share the port and the topic; SIGTERM stops both", async () => {
    const port = await freePort();
    const primary = spawnScript(RUNTIME, "examples/cluster.ts", [
      "--workers",
      "2",
      "--port",
      String(port),
      "--host",
      "127.0.0.1",
      "--redis",
      redis.url,
    ]);
    const clients: Client[] = [];
    try {
      await until(() => (primary.stdout().match(/^worker \d+ listening/gm) ?? []).length === 2, "two workers listening", 20_000);
      const pids = [...primary.stdout().matchAll(/^worker (\d+) listening/gm)].map((m) => Number(m[1]));
      // One client per worker: connect until each has greeted one (bounded; chance alone needs a handful).
      const byWorker = new Map<number, Client>();
      for (let i = 0; i < 200 && byWorker.size < 2; i++) {
        const client = await connect(`ws://127.0.0.1:${port}`, { reconnect: false });
        clients.push(client);
        const pid = Number(/^welcome from worker (\d+)$/.exec((await nextMessage(client)).text())?.[1]);
        assert.ok(pids.includes(pid), `greeted by ${pid}, workers are ${pids}`);
        if (!byWorker.has(pid)) byWorker.set(pid, client);
      }
      assert.equal(byWorker.size, 2, "both workers accepted a connection");
      const [a, b] = pids.map((pid) => byWorker.get(pid)!);
      a.send("hello from a");
      assert.equal((await nextMessage(b)).text(), `${pids[0]}: hello from a`);
      b.send("hello from b");
      assert.equal((await nextMessage(a)).text(), `${pids[0]}: hello from a`); // a is subscribed too: its own message first
      assert.equal((await nextMessage(a)).text(), `${pids[1]}: hello from b`);
      await Promise.all(clients.map((c) => c.close()));
      primary.kill("SIGTERM");
      // Not the exit code: Deno 2.9.5's node:child_process reports a child that handled SIGTERM and
      // exited 0 as killed by SIGTERM (code null) when Deno sent the signal. The line says it.
      await primary.exited(15_000);
      assert.match(primary.stdout(), /^all workers stopped$/m, `stdout: ${primary.stdout()}\nstderr: ${primary.stderr()}`);
      assert.ok(pids.every((pid) => !alive(pid)), "both workers exited");
    } finally {
      await Promise.all(clients.map((c) => c.close()));
      primary.kill("SIGKILL");
    }
  });
});
