/**
 * Backpressure, the same on Deno and Bun: a peer that stops reading cannot
 * make the server buffer without bound (backpressureLimit, "drop" or
 * "close"), other peers keep their latency meanwhile, `drained()` and the
 * `drain` handler report each crossing below lowWaterMark once.
 */

import { afterEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import type { Client, SendResult, Socket } from "../mod.ts";
import { client, nextMessage, startServer } from "./helpers/server.ts";
import type { TestServer } from "./helpers/server.ts";
import { rawConnect } from "./helpers/raw.ts";
import type { RawPeer } from "./helpers/raw.ts";
import { delay, until } from "./helpers/runtime.ts";

let ts: TestServer | undefined;
const clients: Client[] = [];
const raws: RawPeer[] = [];
afterEach(async () => {
  for (const r of raws.splice(0)) r.destroy();
  for (const c of clients.splice(0)) if (c.readyState < 2) await c.close().catch(() => {});
  await ts?.stop();
  ts = undefined;
});

const CHUNK = new Uint8Array(64 * 1024);

/** Connects a raw peer that stops reading at once, and returns its server-side socket. */
async function stuckPeer(t: TestServer): Promise<{ peer: RawPeer; socket: Socket<unknown> }> {
  const peer = await rawConnect(t.port, {}, "/?stuck");
  raws.push(peer);
  peer.pause();
  await until(() => t.opens.length > 0 && t.opens.some((s) => (s.data as { stuck?: boolean }).stuck), "the stuck peer's open");
  const socket = t.opens.find((s) => (s.data as { stuck?: boolean }).stuck)!;
  return { peer, socket };
}

/**
 * Sends 64 KiB chunks to `socket` until a send is refused (bounded: the
 * kernel's loopback buffers hold a few MiB, the limit the rest), yielding
 * often so the server keeps serving others.
 */
async function flood(socket: Socket<unknown>, max = 2000): Promise<{ results: SendResult[]; maxBuffered: number }> {
  const results: SendResult[] = [];
  let maxBuffered = 0;
  for (let i = 0; i < max; i++) {
    const result = socket.send(CHUNK);
    results.push(result);
    maxBuffered = Math.max(maxBuffered, socket.bufferedAmount);
    if (result === "dropped") break;
    if (i % 4 === 3) await delay(1);
  }
  return { results, maxBuffered };
}

const markStuck = (req: Request) => ({ data: { stuck: new URL(req.url).searchParams.has("stuck") } });

describe("backpressure", () => {
  it('a stuck peer is capped at backpressureLimit ("drop"); others keep their latency; drain runs once per crossing', async () => {
    const LIMIT = 1024 * 1024;
    const drains: string[] = [];
    ts = await startServer({
      backpressureLimit: LIMIT,
      lowWaterMark: 128 * 1024,
      upgrade: markStuck,
      drain(socket) {
        drains.push(socket.id);
      },
    });
    const other = await client(ts);
    clients.push(other);
    const { peer, socket } = await stuckPeer(ts);

    // Echo round trips on another connection while the stuck one is flooded.
    let echoes = 0;
    const pinger = (async () => {
      for (let i = 0; i < 200 && echoes >= 0; i++) {
        other.send(`ping ${i}`);
        assert.equal((await nextMessage(other, 5000)).text(), `ping ${i}`);
        echoes++;
        await delay(5);
      }
    })();
    const { results, maxBuffered } = await flood(socket);
    assert.equal(results.at(-1), "dropped", `a send was refused after ${results.length} chunks`);
    assert.ok(results.includes("queued"));
    assert.ok(maxBuffered <= LIMIT + CHUNK.length, `buffer stayed bounded: ${maxBuffered}`);
    assert.equal(socket.send("more"), "dropped", "still refused while the peer does not read");
    assert.ok(ts.server.stats.backpressureDrops >= 2);
    assert.equal(socket.readyState, 1, '"drop" keeps the connection');
    const before = echoes;
    await until(() => echoes >= before + 3, "3 more echo round trips on the other connection while one peer is stuck", 10_000);
    echoes = -1_000_000; // stop the pinger
    await pinger;

    // The peer reads again: the buffer drains, drained() resolves, drain runs once.
    // (The buffer may have crossed the mark while the kernel's buffers were
    // still filling during the flood: those crossings are legitimate.)
    const drainsBefore = drains.length;
    const statsBefore = ts.server.stats.drains;
    const drained = socket.drained();
    peer.resume();
    await drained;
    assert.ok(socket.bufferedAmount <= 128 * 1024);
    await until(() => socket.bufferedAmount === 0, "the buffer to empty", 10_000);
    await delay(100); // room for extra (wrong) drain calls: Bun fires its native drain many times
    assert.deepEqual(drains.slice(drainsBefore), [socket.id], "one drain per crossing");
    assert.equal(ts.server.stats.drains, statsBefore + 1);
    assert.equal(socket.send("after"), "sent");
  });

  it('"close" closes a peer that hits backpressureLimit with 1008', async () => {
    ts = await startServer({ backpressureLimit: 256 * 1024, onBackpressureLimit: "close", closeTimeout: 0.5, upgrade: markStuck });
    const { socket } = await stuckPeer(ts);
    const { results } = await flood(socket);
    assert.equal(results.at(-1), "dropped");
    await ts.waitCloses(1, 10_000);
    assert.deepEqual(ts.closes[0].info, { code: 1008, reason: "backpressure limit exceeded: the peer reads too slowly" });
    assert.equal(ts.server.stats.backpressureCloses, 1);
    assert.equal(ts.server.connections, 0);
  });

  it("drained() resolves at once below the mark and on close", async () => {
    ts = await startServer({ upgrade: markStuck, closeTimeout: 0.5 });
    const c = await client(ts);
    clients.push(c);
    await until(() => ts!.opens.length === 1, "open");
    const s = ts.opens[0];
    await s.drained();
    const { socket } = await stuckPeer(ts);
    await flood(socket, 100); // well past the 64 KiB default mark, below the 16 MiB limit
    assert.ok(socket.bufferedAmount > 64 * 1024);
    let resolved = false;
    const waiting = socket.drained().then(() => (resolved = true));
    await delay(50);
    assert.equal(resolved, false);
    socket.terminate();
    await Promise.race([waiting, delay(10_000)]);
    assert.equal(resolved, true, "drained() resolves when the connection ends");
  });
});
