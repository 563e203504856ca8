/**
 * Hostile and broken clients against a fullduplex server on the runtime
 * running this suite: a flood of small messages, 1,000 connections opening
 * and dropping, half-sent frames and handshakes, a peer that never answers
 * the close handshake. Every test ends by checking that the server still
 * serves a well-behaved client, that no handler is left running, and that
 * `close` ran exactly once per opened connection.
 *
 * Memory: each test checks the process's RSS growth against a generous
 * sanity bound (server and raw peers share this process, so it bounds both);
 * real memory figures belong to the benchmarks, not to tests.
 *
 * A slow-reading client (backpressure) is covered with the backpressure
 * options, not here.
 */

import { afterEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { connect as tcpConnect } from "node:net";
import process from "node:process";
import type { Socket } from "../mod.ts";
import { closePayload, encodeFrame, rawConnect } from "./helpers/raw.ts";
import { client, nextMessage, startServer } from "./helpers/server.ts";
import type { TestServer } from "./helpers/server.ts";
import { delay, RUNTIME, until } from "./helpers/runtime.ts";

/** RSS growth allowed during one test: far above what these loads need, far below a leak per message. */
const RSS_SANITY_BYTES = 300 * 1024 * 1024;

let ts: TestServer | undefined;
afterEach(async () => {
  await ts?.stop();
  ts = undefined;
});

/** Message handlers still running (each is async and awaits a tick, so one left hanging shows here). */
let running = 0;

/** A server whose async echo handler counts messages per socket and never stays pending. */
async function abuseServer(
  options: { closeTimeout?: number; backpressureLimit?: number } = {},
): Promise<TestServer & { received: Map<Socket<unknown>, number> }> {
  const received = new Map<Socket<unknown>, number>();
  const t = await startServer({
    idleTimeout: 0,
    ...options,
    async message(socket, msg) {
      running++;
      try {
        received.set(socket as Socket<unknown>, (received.get(socket as Socket<unknown>) ?? 0) + 1);
        await Promise.resolve();
        socket.send(msg.kind === "text" ? msg.text() : msg.bytes());
      } finally {
        running--;
      }
    },
  });
  return Object.assign(t, { received });
}

/** A well-behaved client still gets a round trip. */
async function stillServes(t: TestServer): Promise<void> {
  const c = await client(t);
  c.send("still there?");
  assert.equal((await nextMessage(c, 10_000)).text(), "still there?");
  await c.close();
}

/** Every opened connection ran `close` exactly once, none is left, no handler is running. */
async function allClosedOnce(t: TestServer): Promise<void> {
  await until(() => t.closes.length >= t.opens.length && t.server.connections === 0, `every connection closed (opens ${t.opens.length}, closes ${t.closes.length}, open ${t.server.connections})`, 10_000);
  await delay(50); // a duplicate close call would land here
  assert.equal(t.closes.length, t.opens.length, "close ran exactly once per opened connection");
  assert.equal(new Set(t.closes.map((c) => c.socket)).size, t.closes.length, "no socket closed twice");
  assert.equal(running, 0, "no message handler left running");
}

function rssGrowthOk(before: number): void {
  const growth = process.memoryUsage().rss - before;
  assert.ok(growth < RSS_SANITY_BYTES, `RSS grew by ${Math.round(growth / 1048576)} MiB`);
}

describe(`abuse (${RUNTIME})`, () => {
  it("a burst of 20,000 small messages from one client: all handled, another client's round trip still works", async () => {
    const rss = process.memoryUsage().rss;
    // Deno may queue all 20,000 echoes before its writer runs; at ~1 KiB each inside Deno's engine
    // that is ~20 MiB, over the default 16 MiB backpressureLimit (which now counts that cost).
    const t = (ts = await abuseServer({ backpressureLimit: 64 * 1024 * 1024 }));
    const flooder = await rawConnect(t.port);
    const COUNT = 20_000;
    const frames: Uint8Array[] = [];
    for (let i = 0; i < COUNT; i++) frames.push(encodeFrame(0x1, new TextEncoder().encode(`m${i}`)));
    const burst = new Uint8Array(frames.reduce((n, f) => n + f.length, 0));
    let at = 0;
    for (const f of frames) {
      burst.set(f, at);
      at += f.length;
    }
    flooder.write(burst); // one write: the whole flood arrives as fast as TCP allows
    await stillServes(t); // while the flood is being handled
    await until(() => flooder.frames.filter((f) => f.opcode === 0x1).length >= COUNT, `${COUNT} echoes`, 30_000);
    const echoes = flooder.frames.filter((f) => f.opcode === 0x1);
    assert.equal(new TextDecoder().decode(echoes[0].payload), "m0");
    assert.equal(new TextDecoder().decode(echoes[COUNT - 1].payload), `m${COUNT - 1}`, "in order, none lost");
    assert.equal(t.received.get(t.opens[0]), COUNT);
    flooder.sendFrame(0x8, closePayload(1000));
    await flooder.ended;
    await stillServes(t);
    await allClosedOnce(t);
    rssGrowthOk(rss);
  });

  it("1,000 connections opening and dropping, 50 at a time: each closes once, the server keeps serving", async () => {
    const rss = process.memoryUsage().rss;
    const t = (ts = await abuseServer());
    const TOTAL = 1000;
    const AT_ONCE = 50;
    let next = 0;
    const worker = async () => {
      while (next < TOTAL) {
        const i = next++;
        const peer = await rawConnect(t.port);
        assert.equal(peer.status, 101);
        // A third drop TCP at once, a third send a message first, a third close cleanly.
        if (i % 3 === 1) {
          peer.sendFrame(0x1, `hello ${i}`);
          await peer.waitFrame((f) => f.opcode === 0x1);
        } else if (i % 3 === 2) {
          peer.sendFrame(0x8, closePayload(1000, "bye"));
          await peer.ended;
        }
        peer.destroy();
      }
    };
    await Promise.all(Array.from({ length: AT_ONCE }, worker));
    await stillServes(t);
    await allClosedOnce(t);
    assert.equal(t.opens.length, TOTAL + 1);
    const codes = new Set(t.closes.map((c) => c.info.code));
    assert.ok([...codes].every((code) => code === 1000 || code === 1006), `close codes ${[...codes]}`);
    rssGrowthOk(rss);
  });

  it("a frame header promising 1,000 bytes, then 10 bytes and a disconnect: nothing delivered, close once with 1006", async () => {
    const t = (ts = await abuseServer());
    const peer = await rawConnect(t.port);
    const frame = encodeFrame(0x2, new Uint8Array(1000));
    peer.write(frame.subarray(0, 4 + 4 + 10)); // 2-byte header + 2-byte length + mask key + 10 bytes
    await delay(50);
    peer.destroy();
    await t.waitCloses(1);
    assert.equal(t.closes[0].info.code, 1006);
    assert.equal(t.received.size, 0, "no message delivered");
    await stillServes(t);
    await allClosedOnce(t);
  });

  it("a frame header cut in the middle, then a disconnect", async () => {
    const t = (ts = await abuseServer());
    const peer = await rawConnect(t.port);
    peer.write(new Uint8Array([0x82, 0xfe, 0x03])); // 16-bit length announced, one byte of it sent
    await delay(50);
    peer.destroy();
    await t.waitCloses(1);
    assert.equal(t.closes[0].info.code, 1006);
    assert.equal(t.received.size, 0);
    await stillServes(t);
    await allClosedOnce(t);
  });

  it("handshakes cut in half (then dropped, or left hanging while others connect): no connection opens", async () => {
    const t = (ts = await abuseServer());
    const half = `GET / HTTP/1.1\r\nHost: 127.0.0.1:${t.port}\r\nUpgrade: websocket\r\nConnection: Upg`;
    const open = (): Promise<ReturnType<typeof tcpConnect>> =>
      new Promise((resolve, reject) => {
        const tcp = tcpConnect(t.port, "127.0.0.1", () => {
          tcp.write(half);
          resolve(tcp);
        });
        tcp.on("error", reject);
      });
    const dropped = await Promise.all(Array.from({ length: 20 }, open));
    const hanging = await Promise.all(Array.from({ length: 20 }, open));
    await delay(50);
    for (const tcp of dropped) tcp.destroy();
    await stillServes(t); // while 20 half handshakes are still open
    for (const tcp of hanging) tcp.destroy();
    await delay(50);
    assert.equal(t.opens.length, 1, "only the good client opened");
    await allClosedOnce(t);
  });

  it("a peer that never answers the server's close: close runs once after closeTimeout, others unaffected", async () => {
    const t = (ts = await abuseServer({ closeTimeout: 0.3 }));
    const mute = await rawConnect(t.port);
    mute.answerClose = false;
    await until(() => t.opens.length === 1, "the mute peer opened");
    t.opens[0].close(4000, "go away");
    const frame = await mute.waitFrame((f) => f.opcode === 0x8);
    assert.equal((frame.payload[0] << 8) | frame.payload[1], 4000, "the close frame was sent");
    await t.waitCloses(1, 5000);
    assert.deepEqual(t.closes[0].info, { code: 4000, reason: "go away" });
    assert.equal(t.server.connections, 0, "the connection is forgotten");
    // Bun drops TCP right after its close frame; Deno's server socket cannot be
    // dropped (no terminate()), so its TCP may linger: the peer cleans up here.
    await stillServes(t);
    mute.destroy();
    await delay(100); // the engine's late report must not run close again
    await allClosedOnce(t);
  });
});
