/**
 * Dead-link detection: a server that accepts and then goes silent is found
 * out within interval + timeout and the client reconnects; fullduplex
 * servers (and echo servers) answer the heartbeat; the wall-clock check
 * catches a machine that slept.
 */

import { afterEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { connect, HEARTBEAT_CLOSE_CODE } from "../mod.ts";
import type { ReconnectingEvent } from "../src/client/mod.ts";
import { HeartbeatMonitor, resolveClientHeartbeat } from "../src/client/heartbeat.ts";
import { delay, RUNTIME, until } from "./helpers/runtime.ts";
import { nextMessage, startServer } from "./helpers/server.ts";
import { listenRawServer } from "./helpers/raw_server.ts";
import { rawConnect } from "./helpers/raw.ts";

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

describe(`client heartbeat on ${RUNTIME}`, () => {
  it("a server that accepts and goes silent is detected within interval + timeout, and the client reconnects", async () => {
    const interval = 100, timeout = 150;
    const raw = await listenRawServer(() => {}); // completes the handshake, then reads and answers nothing
    const c = await connect(raw.url, { heartbeat: { interval, timeout }, reconnect: { minDelay: 10, maxDelay: 20 } });
    cleanups.push(() => c.close());
    cleanups.push(() => raw.stop()); // first, so the client's close is answered by the TCP end
    const openedAt = Date.now();
    const events: { at: number; event: ReconnectingEvent }[] = [];
    c.on("reconnecting", (event) => events.push({ at: Date.now(), event }));
    await until(() => events.length >= 1, "the heartbeat to declare the link dead", 10_000);
    const detectedAfter = events[0].at - openedAt;
    assert.equal(events[0].event.code, HEARTBEAT_CLOSE_CODE);
    assert.match(events[0].event.reason, /no heartbeat reply within 150 ms/);
    assert.ok(detectedAfter >= interval + timeout - 20, `detected after ${detectedAfter} ms, before a ping could have timed out`);
    assert.ok(detectedAfter < interval + timeout + 5000, `detected after ${detectedAfter} ms`);
    await until(() => raw.peers.length >= 2 && c.readyState === 1, "the reconnect", 10_000);
  });

  it("without reconnect, a dead link closes the client for good with 4000", async () => {
    const raw = await listenRawServer(() => {});
    cleanups.push(() => raw.stop());
    const c = await connect(raw.url, { heartbeat: { interval: 50, timeout: 50 } });
    const info = await c.closed;
    assert.equal(info.code, 4000);
    assert.equal(c.readyState, 3);
  });

  it("a fullduplex server answers the ping: the link stays up and neither side's app sees ping or pong", async () => {
    const ts = await startServer({ message: (socket, msg) => void socket.send(`Echo: ${msg.text()}`) });
    cleanups.push(() => ts.stop());
    // Unanswered, the link would be declared dead after ~520 ms; answered, it stays up.
    const c = await connect(ts.url, { heartbeat: { interval: 20, timeout: 500 }, reconnect: { minDelay: 10, maxDelay: 20 } });
    cleanups.push(() => c.close());
    const reconnecting: ReconnectingEvent[] = [];
    c.on("reconnecting", (e) => reconnecting.push(e));
    await delay(1200); // dozens of heartbeats
    c.send("hi");
    assert.equal((await nextMessage(c)).text(), "Echo: hi", "the first message the app sees is the echo, no pong");
    assert.equal(reconnecting.length, 0);
    assert.deepEqual(ts.messages.map((m) => m.message.text()), ["hi"], "the server's handler never saw a ping");
  });

  it("an echo server works too (the echoed ping counts as the answer)", async () => {
    const ts = await startServer({ heartbeat: false }); // echoes everything, "ping" included
    cleanups.push(() => ts.stop());
    const c = await connect(ts.url, { heartbeat: { interval: 20, timeout: 500 }, reconnect: { minDelay: 10, maxDelay: 20 } });
    cleanups.push(() => c.close());
    let drops = 0;
    c.on("reconnecting", () => drops++);
    await delay(1200);
    c.send("app");
    assert.equal((await nextMessage(c)).text(), "app");
    assert.equal(drops, 0);
  });

  it("wall clock: a ping overdue after the machine slept is detected on the first tick after waking", () => {
    let now = 1_000_000;
    const m = new HeartbeatMonitor(resolveClientHeartbeat({ interval: 30_000, timeout: 10_000 })!, () => now);
    assert.equal(m.tick(), "ok");
    now += 30_000;
    assert.equal(m.tick(), "ping");
    now += 1_000;
    assert.equal(m.tick(), "ok");
    now += 3_600_000; // the laptop slept for an hour: no timer ran meanwhile
    assert.equal(m.tick(), "dead");
  });

  it("a shrinking send buffer counts as alive (the answer may wait behind a large upload); a stalled one does not", () => {
    let now = 0;
    const m = new HeartbeatMonitor(resolveClientHeartbeat({ interval: 100, timeout: 50 })!, () => now);
    now = 100;
    assert.equal(m.tick(5_000_000), "ping");
    now = 160;
    assert.equal(m.tick(4_000_000), "ok", "the buffer shrank: alive");
    now = 260;
    assert.equal(m.tick(4_000_000), "ping");
    now = 320;
    assert.equal(m.tick(4_000_000), "dead", "stalled and unanswered");
  });

  it("wall clock: anything received counts as alive, and the answer is recognised only while a ping is out", () => {
    let now = 0;
    const m = new HeartbeatMonitor(resolveClientHeartbeat({ interval: 100, timeout: 50 })!, () => now);
    assert.equal(m.received("pong"), false, "no ping out: an app message that happens to be 'pong' is delivered");
    assert.equal(m.tick(), "ok");
    now = 100;
    assert.equal(m.tick(), "ping");
    assert.equal(m.received("pong"), true);
    now = 150;
    assert.equal(m.tick(), "ok");
    now = 260;
    assert.equal(m.tick(), "ping");
    m.received("some app data");
    now = 400;
    assert.equal(m.tick(), "ok", "data arrived after the ping: alive");
  });
});

describe(`server heartbeat on ${RUNTIME}`, () => {
  it("answers 'ping' with 'pong' by default, and the message handler never sees it", async () => {
    const ts = await startServer({ message: () => {} });
    cleanups.push(() => ts.stop());
    const peer = await rawConnect(ts.port);
    cleanups.push(() => peer.destroy());
    peer.sendFrame(0x1, "ping");
    const pong = await peer.waitFrame((f) => f.opcode === 0x1);
    assert.equal(new TextDecoder().decode(pong.payload), "pong");
    peer.sendFrame(0x1, "pinG");
    await delay(50);
    assert.deepEqual(ts.messages.map((m) => m.message.text()), ["pinG"]);
  });

  it("custom texts, or off", async () => {
    const custom = await startServer({ heartbeat: { ping: "hb?", pong: "hb!" }, message: () => {} });
    cleanups.push(() => custom.stop());
    const c = await connect(custom.url, { heartbeat: { interval: 20, timeout: 400, message: "hb?", reply: "hb!" } });
    cleanups.push(() => c.close());
    await delay(1000); // unanswered, the client would have closed with 4000 by now
    assert.equal(c.readyState, 1);
    assert.equal(custom.messages.length, 0);

    const off = await startServer({ heartbeat: false, message: () => {} });
    cleanups.push(() => off.stop());
    const peer = await rawConnect(off.port);
    cleanups.push(() => peer.destroy());
    peer.sendFrame(0x1, "ping");
    await until(() => off.messages.length === 1, "the handler to get the ping");
    assert.equal(off.messages[0].message.text(), "ping");
  });
});
