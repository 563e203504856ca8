/**
 * Graceful shutdown, the same on Deno and Bun: option checks, the code on
 * the wire (never a close frame without a code, i.e. 1005), a promise that
 * resolves even when a peer never answers, 503 for upgrades during
 * shutdown, and server.ts on SIGTERM.
 */

import { afterEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { connect } from "../mod.ts";
import { createHandler } from "./helpers/engine.ts";
import { mount, nextMessage, startServer } from "./helpers/server.ts";
import type { TestServer } from "./helpers/server.ts";
import { closeCodeOf, rawConnect } from "./helpers/raw.ts";
import type { Frame, RawPeer } from "./helpers/raw.ts";
import { delay, RUNTIME, spawnScript, until } from "./helpers/runtime.ts";

let ts: TestServer | undefined;
const raws: RawPeer[] = [];
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const r of raws.splice(0)) r.destroy();
  for (const c of cleanups.splice(0)) await c();
  await ts?.stop();
  ts = undefined;
});
async function raw(port: number, init: { answerClose?: boolean } = {}): Promise<RawPeer> {
  const r = await rawConnect(port, {}, "/", init);
  raws.push(r);
  return r;
}
const closeFrames = (peer: RawPeer): Frame[] => peer.frames.filter((f) => f.opcode === 0x8);
const reasonOf = (f: Frame): string => new TextDecoder().decode(f.payload.subarray(2));

describe("shutdown: options", () => {
  for (const code of [999, 1002, 1005, 1006, 1011, 1015, 2999, 5000, 1000.5]) {
    it(`rejects code ${code} with a RangeError and keeps serving`, async () => {
      ts = await startServer();
      assert.throws(() => ts!.server.shutdown({ code }), RangeError);
      const c = await connect(ts.url, { timeout: 5000 });
      c.send("still open");
      assert.equal((await nextMessage(c)).text(), "still open");
      await c.close();
    });
  }
  it("rejects a reason over 123 bytes and a negative timeout", async () => {
    ts = await startServer();
    assert.throws(() => ts!.server.shutdown({ reason: "x".repeat(124) }), RangeError);
    assert.throws(() => ts!.server.shutdown({ timeout: -1 }), RangeError);
  });
});

describe("shutdown", () => {
  for (const [code, reason] of [[1001, "server shutting down"], [1012, "restarting"], [4000, "bye"]] as const) {
    it(`sends ${code} to every peer, runs every close handler and resolves`, async () => {
      ts = await startServer();
      const peer = await raw(ts.port);
      const c = await connect(ts.url, { timeout: 5000 });
      await until(() => ts!.server.connections === 2, "2 connections");
      await ts.server.shutdown(code === 1001 ? { timeout: 5000 } : { code, reason, timeout: 5000 });
      const info = await c.closed;
      assert.deepEqual(info, { code, reason });
      await until(() => closeFrames(peer).length > 0, "the raw peer's close frame");
      for (const f of closeFrames(peer)) {
        assert.equal(closeCodeOf(f), code, "every close frame carries the code (no 1005 on the wire)");
        assert.equal(reasonOf(f), reason);
      }
      assert.equal(ts.closes.length, 2);
      for (const { info } of ts.closes) assert.deepEqual(info, { code, reason });
      ts = undefined; // already shut down
    });
  }

  it("resolves after timeout when a peer never answers, and no 1005 reaches it", async () => {
    ts = await startServer({ closeTimeout: 60 });
    const peer = await raw(ts.port, { answerClose: false });
    await until(() => ts!.server.connections === 1, "open");
    const done = ts.server.shutdown({ timeout: 300 });
    let resolved = false;
    void done.then(() => (resolved = true));
    await Promise.race([done, delay(10_000)]);
    assert.equal(resolved, true, "shutdown resolved (closeTimeout is 60 s: the shutdown timeout decided)");
    assert.equal(ts.closes.length, 1);
    assert.equal(ts.closes[0].info.code, 1001);
    await delay(100);
    assert.ok(closeFrames(peer).length >= 1);
    for (const f of closeFrames(peer)) assert.equal(closeCodeOf(f), 1001);
    ts = undefined;
  });

  it("refuses upgrades with 503 once shutdown has started", async () => {
    const endpoint = createHandler({ closeTimeout: 60 });
    const server = await mount(endpoint);
    cleanups.push(() => server.stop());
    const peer = await raw(server.port, { answerClose: false });
    assert.equal(peer.status, 101);
    const done = endpoint.shutdown({ timeout: 500 });
    const late = await raw(server.port);
    assert.equal(late.status, 503);
    assert.match(late.head, /\r\nretry-after: \d+/i);
    await done;
    assert.equal((await raw(server.port)).status, 503, "still refused after shutdown");
  });
});

describe("server.ts on SIGTERM", () => {
  it("closes peers with 1001 on the wire and exits", async () => {
    const s = spawnScript(RUNTIME, "server.ts", ["--port", "0", "--host", "127.0.0.1", "--quiet"]);
    try {
      const m = await s.waitFor(/listening on ws:\/\/127\.0\.0\.1:(\d+)/);
      const peer = await raw(Number(m[1]));
      assert.equal(peer.status, 101);
      peer.sendFrame(0x1, "hi");
      await peer.waitFrame((f) => f.opcode === 0x1);
      s.kill("SIGTERM");
      const frame = await peer.waitFrame((f) => f.opcode === 0x8, 10_000);
      assert.equal(closeCodeOf(frame), 1001);
      await s.exited();
      await Promise.race([peer.ended, delay(5000)]);
      assert.equal(peer.isEnded(), true);
    } finally {
      s.kill();
    }
  });
});
