/**
 * Keep-alive and dead peers, the same on Deno and Bun: a silent peer is
 * closed within idleTimeout even while the server keeps pushing data to it
 * (Bun's own timer never fires then, oven-sh/bun#39255); a peer that
 * answers pings stays; a close handshake the peer never answers ends after
 * closeTimeout. All observable in `server.stats`.
 */

import { afterEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { startServer } from "./helpers/server.ts";
import type { TestServer } from "./helpers/server.ts";
import { closeCodeOf, rawConnect } from "./helpers/raw.ts";
import type { RawPeer } from "./helpers/raw.ts";
import { delay, until } from "./helpers/runtime.ts";
import { ENGINE } from "./helpers/engine.ts";

let ts: TestServer | undefined;
const raws: RawPeer[] = [];
const timers: ReturnType<typeof setInterval>[] = [];
afterEach(async () => {
  for (const t of timers.splice(0)) clearInterval(t);
  for (const r of raws.splice(0)) r.destroy();
  await ts?.stop();
  ts = undefined;
});

/** A server with the given idleTimeout that pushes a message to every peer every 50 ms. */
function pushingServer(idleTimeout: number): Promise<TestServer> {
  return startServer({
    idleTimeout,
    open(socket) {
      const timer = setInterval(() => {
        if (socket.readyState === 1) socket.send("tick");
        else clearInterval(timer);
      }, 50);
      timers.push(timer);
    },
  });
}

describe("keep-alive", () => {
  it("closes a peer that answers no pings while the server keeps pushing data to it", async () => {
    ts = await pushingServer(1);
    // It still reads everything: only pongs are missing.
    const peer = await rawConnect(ts.port, {}, "/", { answerPings: false });
    raws.push(peer);
    await ts.waitCloses(1, 10_000);
    const { code } = ts.closes[0].info;
    // Bun and the ws engine: fullduplex drops it (no close frame, 1006). Deno: its engine sends Close 1001.
    assert.equal(code, ENGINE === "deno" ? 1001 : 1006);
    assert.ok(peer.frames.some((f) => f.opcode === 0x9), "the peer was pinged");
    assert.ok(peer.frames.filter((f) => f.opcode === 0x1).length > 5, "the server was pushing data");
    const stats = ts.server.stats;
    assert.equal(stats.idleTimeouts, 1);
    if (ENGINE !== "deno") assert.ok(stats.pingsSent >= 1, "fullduplex pinged it (Deno's engine pings by itself)");
    assert.equal(stats.connections, 0);
  });

  it("keeps a peer that answers pings, though it sends no data", async () => {
    // 2 s rather than 1: the peer answers from this (busy) process's event loop.
    ts = await pushingServer(2);
    const peer = await rawConnect(ts.port);
    raws.push(peer);
    await until(() => peer.frames.some((f) => f.opcode === 0x9), "a ping", 10_000);
    // A silent peer would be gone one idleTimeout after the first ping at the latest (Deno:
    // close at idleTimeout, ping at half; Bun: dropped one sweep, half idleTimeout, after it).
    await delay(2000);
    assert.equal(ts.closes.length, 0);
    assert.equal(ts.server.stats.idleTimeouts, 0);
    assert.equal(ts.server.connections, 1);
  });
});

describe("closeTimeout", () => {
  it("runs close for a peer that never answers the server's close frame", async () => {
    ts = await startServer({
      closeTimeout: 0.3,
      open(socket) {
        socket.close(4000, "bye");
      },
    });
    const peer = await rawConnect(ts.port, {}, "/", { answerClose: false });
    raws.push(peer);
    const frame = await peer.waitFrame((f) => f.opcode === 0x8);
    assert.equal(closeCodeOf(frame), 4000);
    await ts.waitCloses(1, 10_000);
    assert.deepEqual(ts.closes[0].info, { code: 4000, reason: "bye" });
    assert.equal(ts.server.connections, 0);
    if (ENGINE === "bun") {
      // Bun ends TCP right after its close frame: nothing to wait for.
      await Promise.race([peer.ended, delay(5000)]);
      assert.equal(peer.isEnded(), true);
    } else {
      // Deno's server socket cannot be dropped: close runs after closeTimeout,
      // but the TCP connection stays until the peer or the OS ends it.
      assert.equal(ts.server.stats.closeTimeouts, 1);
      if (ENGINE === "ws") {
        // The ws engine drops it at closeTimeout (terminate() destroys the TCP socket): nothing lingers.
        await Promise.race([peer.ended, delay(5000)]);
        assert.equal(peer.isEnded(), true, "the TCP connection was dropped");
        assert.equal(ts.server.stats.lingering, 0);
      }
    }
  });
});
