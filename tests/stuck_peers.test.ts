/**
 * Peers that read nothing, the same on Deno and Bun: one that keeps sending
 * while sends to it are refused is closed with 1008
 * (`maxMessagesWhileBackpressured`); one whose queued data has not moved for
 * idleTimeout is dropped even though it keeps sending (the stall sweep,
 * src/server/write_stall.ts); on Deno's engine, whose server socket cannot
 * be dropped, such a connection lingers after its close and is counted in
 * `stats.lingering` and against `maxConnectionsPerAddress` until its TCP
 * connection ends (Bun and the ws engine drop it: nothing lingers).
 */

import { afterEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import type { Socket } from "../mod.ts";
import { startServer } from "./helpers/server.ts";
import type { TestServer } from "./helpers/server.ts";
import { rawConnect } from "./helpers/raw.ts";
import type { RawPeer } from "./helpers/raw.ts";
import { fillQueue, stuckPeer as connectStuck } from "./helpers/stuck_peer.ts";
import type { StuckPeer } from "./helpers/stuck_peer.ts";
import { delay, RUNTIME, until } from "./helpers/runtime.ts";
import { ENGINE } from "./helpers/engine.ts";

let ts: TestServer | undefined;
const raws: RawPeer[] = [];
const stuck: StuckPeer[] = [];
const timers: ReturnType<typeof setInterval>[] = [];
afterEach(async () => {
  for (const t of timers.splice(0)) clearInterval(t);
  for (const r of raws.splice(0)) r.destroy();
  for (const p of stuck.splice(0)) await p.destroy();
  await ts?.stop();
  ts = undefined;
});

/** A peer that reads nothing (in its own process), and its server-side socket once open. */
async function stuckPeer(t: TestServer): Promise<{ peer: StuckPeer; socket: Socket<unknown> }> {
  const before = t.opens.length;
  const peer = await connectStuck(t.port);
  stuck.push(peer);
  await until(() => t.opens.length > before, "the peer's open");
  return { peer, socket: t.opens.at(-1)! };
}

describe(`peers that read nothing (${ENGINE})`, () => {
  it("maxMessagesWhileBackpressured: a peer that keeps sending while refused is closed with 1008; fewer messages are fine", async () => {
    ts = await startServer({
      backpressureLimit: 256 * 1024,
      maxMessagesWhileBackpressured: 5,
      closeTimeout: 0.3,
      idleTimeout: 0,
      message() {},
    });
    const { peer, socket } = await stuckPeer(ts);
    await fillQueue(socket, peer, 256 * 1024, RUNTIME === "bun");
    peer.send("m", 5);
    await until(() => ts!.messages.length === 5, "5 messages while refused");
    await delay(100);
    assert.equal(socket.readyState, 1, "5 messages while refused are allowed");
    peer.send("one too many");
    await ts.waitCloses(1, 5000);
    assert.deepEqual(ts.closes[0].info, { code: 1008, reason: "sends while reading nothing: backpressure limit reached" });
    assert.equal(ts.messages.length, 5, "the message over the limit is not delivered");
    assert.equal(ts.server.stats.backpressureFloodCloses, 1);
  });

  it("maxMessagesWhileBackpressured: the count ends when the buffer drains", async () => {
    ts = await startServer({
      backpressureLimit: 256 * 1024,
      lowWaterMark: 0,
      maxMessagesWhileBackpressured: 3,
      idleTimeout: 0,
      message() {},
    });
    const { peer, socket } = await stuckPeer(ts);
    await fillQueue(socket, peer, 256 * 1024, RUNTIME === "bun");
    peer.send("a", 3);
    await until(() => ts!.messages.length === 3, "3 messages while refused");
    peer.read(); // it reads: the buffer drains, the count starts again at the next refusal
    await until(() => socket.bufferedAmount === 0, "the buffer to drain", 10_000);
    await delay(50);
    peer.send("b", 3);
    await until(() => ts!.messages.length === 6, "3 more messages");
    assert.equal(socket.readyState, 1);
    assert.equal(ts.server.stats.backpressureFloodCloses, 0);
  });

  it("a peer whose queue has not moved for idleTimeout is dropped though it keeps sending", async () => {
    ts = await startServer({ idleTimeout: 1, closeTimeout: 0.3, backpressureLimit: 256 * 1024, message() {} });
    const { peer, socket } = await stuckPeer(ts);
    await fillQueue(socket, peer, 256 * 1024, RUNTIME === "bun");
    // Data every 100 ms keeps it "active" for Bun's keep-alive and resets Deno's idle timer.
    const talk = setInterval(() => peer.send("still here"), 100);
    timers.push(talk);
    await ts.waitCloses(1, 10_000);
    clearInterval(talk);
    // Bun and the ws engine: dropped (1006). Deno cannot drop it: the core closes with 1001, and
    // Deno reports the close once the peer's next frame arrives after it.
    assert.equal(ts.closes[0].info.code, ENGINE === "deno" ? 1001 : 1006);
    assert.equal(ts.server.stats.idleTimeouts, 1);
    assert.equal(ts.server.stats.connections, 0);
  });

  it("a silent peer that reads nothing: Bun and ws drop it; on Deno it lingers, counted against maxConnectionsPerAddress, until its TCP ends", async () => {
    ts = await startServer({ idleTimeout: 1, closeTimeout: 0.3, backpressureLimit: 256 * 1024, maxConnectionsPerAddress: 2, message() {} });
    const { peer, socket } = await stuckPeer(ts);
    await fillQueue(socket, peer, 256 * 1024, RUNTIME === "bun");
    await ts.waitCloses(1, 10_000);
    const stats = ts.server.stats;
    assert.equal(stats.idleTimeouts, 1);
    assert.equal(stats.connections, 0);
    if (ENGINE !== "deno") {
      assert.equal(ts.closes[0].info.code, 1006, `${ENGINE} drops TCP`);
      assert.equal(stats.lingering, 0);
      if (ENGINE === "ws") {
        // Nothing lingers: both of the address's 2 slots are free at once.
        for (let i = 0; i < 2; i++) {
          const next = await rawConnect(ts.port);
          raws.push(next);
          assert.equal(next.status, 101, "the dropped connection holds no slot");
        }
      }
      peer.read(); // a paused socket never sees the FIN behind the unread data
      await until(() => peer.ended(), "the peer's TCP to end");
      return;
    }
    // Deno: the close frame waits behind the queued data and Deno never
    // reports the close; after closeTimeout the core gives up on it.
    assert.equal(ts.closes[0].info.code, 1001);
    assert.equal(stats.closeTimeouts, 1);
    assert.equal(stats.lingering, 1, "Deno still holds the TCP connection");
    assert.equal(peer.ended(), false);
    const second = await rawConnect(ts.port);
    raws.push(second);
    assert.equal(second.status, 101);
    const third = await rawConnect(ts.port);
    raws.push(third);
    assert.equal(third.status, 429, "the lingering connection still holds one of the address's 2 slots");
    await peer.destroy();
    await until(() => ts!.server.stats.lingering === 0, "Deno to report the TCP end");
    assert.equal(ts.closes.length, 1, "close ran once");
    second.destroy();
    await until(() => ts!.server.connections === 0, "the second connection to close");
    const again = await rawConnect(ts.port);
    raws.push(again);
    assert.equal(again.status, 101, "the slot is free once Deno let the connection go");
  });
});
