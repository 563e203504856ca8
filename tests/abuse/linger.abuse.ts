/**
 * Item 5 of issue 12, server in its own process: peers that fill their
 * queue, go silent and never answer the server's close. Deno's server
 * socket cannot be dropped and no Deno API releases it
 * (bench/investigate/ABUSE.md), so such connections linger in the engine
 * with their queued data: fullduplex closes them on its side (the stall
 * sweep, then closeTimeout), counts them in `stats.lingering`, and keeps
 * them counted against `maxConnectionsPerAddress` until Deno lets them go;
 * the memory each holds is bounded by backpressureLimit. Bun drops them.
 */

import { afterEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { rawConnect } from "../helpers/raw.ts";
import type { RawPeer } from "../helpers/raw.ts";
import { stuckPeer } from "../helpers/stuck_peer.ts";
import type { StuckPeer } from "../helpers/stuck_peer.ts";
import { mib, spawnServer } from "../helpers/spawned.ts";
import type { SpawnedServer } from "../helpers/spawned.ts";
import { delay, RUNTIME } from "../helpers/runtime.ts";

const MiB = 1024 * 1024;
let server: SpawnedServer | undefined;
const stuck: StuckPeer[] = [];
const raws: RawPeer[] = [];
afterEach(async () => {
  for (const p of raws.splice(0)) p.destroy();
  for (const p of stuck.splice(0)) await p.destroy();
  await server?.stop();
  server = undefined;
});

describe(`lingering closes (${RUNTIME}, server in its own process)`, () => {
  it("5 silent peers with full queues: Deno keeps them lingering (counted, ≤ backpressureLimit each, against the per-address cap) until their TCP ends; Bun drops them", async () => {
    const LIMIT = 16 * MiB;
    server = await spawnServer(RUNTIME, "tests/fixtures/abuse_server.ts", [
      "fullduplex",
      JSON.stringify({ idleTimeout: 2, closeTimeout: 1, maxConnectionsPerAddress: 8, backpressureLimit: LIMIT }),
    ]);
    await delay(300);
    const base = server.rss();
    for (let i = 0; i < 5; i++) {
      const p = await stuckPeer(server.port);
      stuck.push(p);
      p.send("send 1000 65536 binary"); // 64 MiB offered: the engine's queue fills to the limit
      await server.line(/SENT .*/, i + 1, 60_000);
    }
    // The stall sweep sees no progress for idleTimeout (2 s), closes; closeTimeout (1 s) passes.
    const end = Date.now() + 15_000;
    let stats = await server.stats();
    while (stats.idleTimeouts < 5 && Date.now() < end) {
      await delay(500);
      stats = await server.stats();
    }
    await delay(1500);
    stats = await server.stats();
    assert.equal(stats.idleTimeouts, 5, "every stuck peer was found by the stall sweep");
    const held = server.rss() - base;
    if (RUNTIME === "bun") {
      assert.equal(stats.lingering, 0);
      assert.ok(held < 64 * MiB, `RSS grew by ${mib(held)} MiB`);
      return;
    }
    // Measured: 13.6 MiB per lingering peer at a 16 MiB limit.
    assert.equal(stats.lingering, 5, "Deno still holds all five");
    assert.equal(stats.closeTimeouts, 5);
    assert.ok(held < 5 * (LIMIT + 8 * MiB), `RSS grew by ${mib(held)} MiB for 5 lingering peers`);
    // 5 lingering count against the cap of 8: that leaves 3 more.
    await delay(200); // the stats client's close
    const more = await Promise.all(Array.from({ length: 4 }, () => rawConnect(server!.port)));
    raws.push(...more);
    assert.deepEqual(more.map((p) => p.status).sort(), [101, 101, 101, 429]);
    for (const p of raws.splice(0)) p.destroy();
    for (const p of stuck.splice(0)) await p.destroy();
    const gone = Date.now() + 10_000;
    while ((await server.stats()).lingering > 0 && Date.now() < gone) await delay(250);
    assert.equal((await server.stats()).lingering, 0, "Deno reported each TCP end at last");
  });
});
