/**
 * Unit tests of the per-connection state machine (src/server/connection.ts)
 * on an in-memory transport and a host made of the core's real parts: no
 * network, milliseconds per test, the same on Deno and Bun.
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { fakeConnection, fakeHost, sleep, waitUntil } from "./fakes.ts";
import { ReadyStates } from "../../src/shared/types.ts";
import type { Message } from "../../src/shared/message.ts";

describe("connection: close exactly once", () => {
  it("runs `close` once however often the engine reports it (Deno reports an idle timeout twice)", () => {
    const host = fakeHost();
    const { conn } = fakeConnection(host);
    assert.equal(conn.state, ReadyStates.OPEN);
    assert.ok(host.tracked.has(conn));
    conn.closed(1001, "No response from ping frame.");
    conn.closed(1005, "");
    assert.deepEqual(host.closes.map((c) => c.info), [{ code: 1001, reason: "No response from ping frame." }]);
    assert.equal(conn.state, ReadyStates.CLOSED);
    assert.ok(!host.tracked.has(conn), "untracked");
  });

  it("a connection that never opened runs no `close` and gives its upgrade slot back once", () => {
    const host = fakeHost();
    const { conn } = fakeConnection(host, { open: false });
    conn.closed(1006, "");
    conn.closed(1006, "");
    assert.equal(host.closes.length, 0);
    assert.equal(host.upgradesEnded, 1);
    conn.opened(); // too late: stays closed
    assert.equal(conn.state, ReadyStates.CLOSED);
    assert.equal(host.tracked.size, 0);
  });

  it("opening gives the slot back once and runs `open` once", () => {
    let opens = 0;
    const host = fakeHost({ open: () => void opens++ });
    const { conn } = fakeConnection(host);
    conn.opened();
    assert.equal(opens, 1);
    assert.equal(host.upgradesEnded, 1);
    conn.closed(1000, "");
    assert.equal(host.upgradesEnded, 1);
  });

  it("after close, send is dropped and close/terminate do nothing", () => {
    const host = fakeHost();
    const { conn, transport } = fakeConnection(host);
    conn.closed(1000, "");
    assert.equal(conn.socket.send("x"), "dropped");
    conn.socket.close(1000);
    conn.socket.terminate();
    assert.deepEqual(transport.sent, []);
    assert.deepEqual(transport.closes, []);
    assert.equal(transport.terminates, 0);
    assert.equal(conn.socket.bufferedAmount, 0);
  });
});

describe("connection: close codes", () => {
  for (const [engine, expected] of [[0, 1006], [undefined, 1006], [999, 1006], [5000, 1006], [1000, 1000], [4999, 4999]] as const) {
    it(`an engine code ${engine} is reported as ${expected}`, () => {
      const host = fakeHost();
      const { conn } = fakeConnection(host);
      conn.closed(engine, undefined);
      assert.deepEqual(host.closes[0].info, { code: expected, reason: "" });
    });
  }

  it("a close the server started is reported with its own code, not the peer's echo", () => {
    const host = fakeHost();
    const { conn, transport } = fakeConnection(host);
    conn.socket.close(4000, "go away");
    assert.equal(conn.state, ReadyStates.CLOSING);
    assert.deepEqual(transport.closes, [{ code: 4000, reason: "go away" }]);
    conn.closed(1005, "");
    assert.deepEqual(host.closes[0].info, { code: 4000, reason: "go away" });
  });

  it("user code may not send reserved codes; the library's own closes cut the reason to 123 bytes", () => {
    const host = fakeHost();
    const { conn, transport } = fakeConnection(host, { echoClose: true });
    assert.throws(() => conn.socket.close(1011), RangeError);
    assert.throws(() => conn.socket.close(1000, "x".repeat(124)), RangeError);
    conn.closeInternal(1008, "é".repeat(100));
    assert.equal(transport.closes[0].code, 1008);
    assert.equal(new TextEncoder().encode(transport.closes[0].reason).length, 122, "cut at a character boundary");
    assert.equal(host.closes[0].info.code, 1008);
  });
});

describe("connection: close timeout", () => {
  it("a peer that never answers is dropped after closeTimeout: `close` runs once with the server's code", async () => {
    const host = fakeHost({ closeTimeout: 0.02 });
    const { conn, transport } = fakeConnection(host);
    transport.onTerminate = undefined; // like Deno: the engine reports nothing
    conn.socket.close(4001, "bye");
    await waitUntil(() => host.closes.length === 1, "the close timeout");
    assert.deepEqual(host.closes[0].info, { code: 4001, reason: "bye" });
    assert.equal(host.counts.closeTimeouts, 1);
    assert.equal(transport.terminates, 1, "the engine was asked to drop it");
    conn.closed(1000, "late"); // the engine's late report is ignored
    assert.equal(host.closes.length, 1);
  });

  it("a close the peer answers in time clears the timer", async () => {
    const host = fakeHost({ closeTimeout: 0.02 });
    const { conn } = fakeConnection(host);
    conn.socket.close(1000);
    conn.closed(1000, "");
    await sleep(40);
    assert.equal(host.counts.closeTimeouts, undefined);
    assert.equal(host.closes.length, 1);
  });

  it("terminate drops the connection (1006) where the engine can, else closes with 1001", () => {
    const bun = fakeHost();
    const a = fakeConnection(bun);
    a.conn.socket.terminate();
    assert.deepEqual(bun.closes[0].info, { code: 1006, reason: "" });

    const deno = fakeHost();
    const b = fakeConnection(deno);
    b.transport.canTerminate = false;
    b.conn.socket.terminate();
    assert.deepEqual(b.transport.closes, [{ code: 1001, reason: "terminated" }]);
    assert.equal(b.conn.state, ReadyStates.CLOSING);
  });
});

describe("connection: backpressure", () => {
  it("a crossing below lowWaterMark runs `drain` once and wakes drained(); Bun's repeated drain hints add nothing", async () => {
    let drains = 0;
    const host = fakeHost({ lowWaterMark: 100, drain: () => void drains++ });
    const { conn, transport } = fakeConnection(host);
    transport.sendResult = "queued";
    transport.bufferedAmount = 500;
    assert.equal(conn.socket.send("x"), "queued");
    assert.ok(host.backpressure.isWatching(conn));
    let woke = false;
    const waiting = conn.socket.drained().then(() => (woke = true));
    host.backpressure.check(conn); // still above the mark
    assert.equal(drains, 0);
    transport.bufferedAmount = 100; // at the mark counts as drained
    host.backpressure.check(conn);
    host.backpressure.check(conn);
    await waiting;
    assert.ok(woke);
    assert.equal(drains, 1);
    assert.equal(host.counts.drains, 1);
    assert.ok(!host.backpressure.isWatching(conn));
  });

  it("the shared poll finds a crossing without any engine event (Deno), once per crossing", async () => {
    let drains = 0;
    const host = fakeHost({ lowWaterMark: 10, drain: () => void drains++ });
    const { conn, transport } = fakeConnection(host);
    for (let crossing = 1; crossing <= 2; crossing++) {
      transport.sendResult = "queued";
      transport.bufferedAmount = 50;
      conn.socket.send("x");
      transport.bufferedAmount = 0;
      await waitUntil(() => drains === crossing, `crossing ${crossing}`);
    }
    await sleep(50);
    assert.equal(drains, 2);
  });

  it("a queued send at or below the mark is not watched, and drained() resolves at once", async () => {
    const host = fakeHost({ lowWaterMark: 100 });
    const { conn, transport } = fakeConnection(host);
    transport.sendResult = "queued";
    transport.bufferedAmount = 100;
    conn.socket.send("x");
    assert.ok(!host.backpressure.isWatching(conn));
    await conn.socket.drained();
  });

  it("drained() resolves when the connection closes", async () => {
    const host = fakeHost({ lowWaterMark: 0 });
    const { conn, transport } = fakeConnection(host);
    transport.bufferedAmount = 10;
    const waiting = conn.socket.drained();
    conn.closed(1006, "");
    await waiting;
    assert.ok(!host.backpressure.isWatching(conn), "no poll left running");
  });

  it('backpressureLimit "drop": the refused send is counted, the connection stays open', () => {
    const host = fakeHost();
    const { conn, transport } = fakeConnection(host);
    transport.sendResult = "dropped";
    assert.equal(conn.socket.send("x"), "dropped");
    assert.equal(host.counts.backpressureDrops, 1);
    assert.equal(host.counts.backpressureCloses, undefined);
    assert.equal(conn.state, ReadyStates.OPEN);
    host.backpressure.unwatch(conn);
  });

  it('backpressureLimit "close": counted, and the connection is closed with 1008', () => {
    const host = fakeHost({ onBackpressureLimit: "close" });
    const { conn, transport } = fakeConnection(host, { echoClose: true });
    transport.sendResult = "dropped";
    assert.equal(conn.socket.send("x"), "dropped");
    assert.equal(host.counts.backpressureDrops, 1);
    assert.equal(host.counts.backpressureCloses, 1);
    assert.equal(transport.closes[0].code, 1008);
    assert.equal(host.closes[0].info.code, 1008);
    assert.ok(!host.backpressure.isWatching(conn));
  });
});

describe("connection: peers that keep sending while refused (maxMessagesWhileBackpressured)", () => {
  it("counts messages from the first refused send and closes with 1008 past the limit, the message not delivered", () => {
    const got: string[] = [];
    const host = fakeHost({
      maxMessagesWhileBackpressured: 2,
      message: (socket, msg) => {
        got.push(msg.text());
        socket.send("reply");
      },
    });
    const { conn, transport } = fakeConnection(host, { echoClose: true });
    conn.received("before"); // sent: nothing counts yet
    transport.sendResult = "dropped";
    transport.bufferedAmount = 1 << 20;
    conn.received("m1"); // its reply is refused: the count starts
    conn.received("m2");
    conn.received("m3");
    assert.equal(conn.state, ReadyStates.OPEN);
    conn.received("m4"); // the third message while refused
    assert.deepEqual(got, ["before", "m1", "m2", "m3"]);
    assert.equal(host.counts.backpressureFloodCloses, 1);
    assert.equal(host.counts.backpressureDrops, 3);
    assert.equal(transport.closes[0].code, 1008);
    assert.equal(host.closes[0].info.code, 1008);
  });

  it("a drain to lowWaterMark ends the count: a slow reader that catches up starts again from zero", () => {
    const host = fakeHost({ maxMessagesWhileBackpressured: 1, lowWaterMark: 10, message: (socket) => void socket.send("r") });
    const { conn, transport } = fakeConnection(host, { echoClose: true });
    for (let round = 0; round < 3; round++) {
      transport.sendResult = "dropped";
      transport.bufferedAmount = 100;
      conn.received("a"); // refused: count 0
      conn.received("b"); // count 1: still allowed
      transport.sendResult = "sent";
      transport.bufferedAmount = 0;
      host.backpressure.check(conn); // the crossing: the count is reset
    }
    assert.equal(conn.state, ReadyStates.OPEN);
    assert.equal(host.counts.backpressureFloodCloses, undefined);
    assert.equal(host.counts.drains, 3);
    conn.closed(1000, "");
  });

  it("without the option, a refused peer may keep sending", () => {
    const host = fakeHost({ message: (socket) => void socket.send("r") });
    const { conn, transport } = fakeConnection(host);
    transport.sendResult = "dropped";
    for (let i = 0; i < 1000; i++) conn.received("x");
    assert.equal(conn.state, ReadyStates.OPEN);
    assert.equal(host.counts.backpressureDrops, 1000);
    conn.closed(1000, "");
  });
});

describe("connection: stalled peers and lingering", () => {
  it("dropStalled counts an idle timeout and drops the peer (Bun: 1006)", () => {
    const host = fakeHost();
    const { conn, transport } = fakeConnection(host);
    conn.dropStalled();
    assert.equal(host.counts.idleTimeouts, 1);
    assert.equal(transport.terminates, 1);
    assert.deepEqual(host.closes.map((c) => c.info), [{ code: 1006, reason: "" }]);
  });

  it("where the engine cannot drop TCP (Deno), a forced close lingers until the engine reports it, once", async () => {
    const host = fakeHost({ closeTimeout: 0.01 });
    const { conn, transport } = fakeConnection(host);
    transport.canTerminate = false;
    conn.dropStalled(); // cannot drop: a 1001 close instead
    assert.deepEqual(transport.closes, [{ code: 1001, reason: "terminated" }]);
    await waitUntil(() => conn.state === ReadyStates.CLOSED, "the close timeout");
    assert.equal(host.counts.closeTimeouts, 1);
    assert.ok(host.lingering.has(conn), "the engine still holds it");
    assert.ok(!host.tracked.has(conn));
    conn.closed(1006, ""); // the engine lets it go at last
    assert.ok(!host.lingering.has(conn));
    assert.equal(host.closes.length, 1, "`close` ran once, at the forced close");
  });

  it("where the engine can drop TCP (Bun), a forced close does not linger", () => {
    const host = fakeHost();
    const { conn } = fakeConnection(host);
    conn.forceClosed(1006, "");
    assert.equal(host.lingering.size, 0);
    assert.equal(conn.state, ReadyStates.CLOSED);
  });
});

describe("connection: keep-alive sweeps", () => {
  it("a silent peer is pinged on the first silent sweep and dropped on the second (1006)", () => {
    const host = fakeHost();
    const { conn, transport } = fakeConnection(host);
    conn.sweep(); // heard at open: starts over
    assert.equal(transport.pings, 0);
    conn.sweep();
    assert.equal(transport.pings, 1);
    assert.equal(host.counts.pingsSent, 1);
    assert.equal(conn.state, ReadyStates.OPEN);
    conn.sweep();
    assert.equal(host.counts.idleTimeouts, 1);
    assert.deepEqual(host.closes[0].info, { code: 1006, reason: "" });
  });

  for (const [what, hear] of [["a message", "received"], ["a pong", "ponged"]] as const) {
    it(`${what} resets the count`, () => {
      const host = fakeHost();
      const { conn, transport } = fakeConnection(host);
      conn.sweep();
      conn.sweep(); // pinged
      if (hear === "received") conn.received("hi");
      else conn.ponged();
      conn.sweep(); // heard: starts over
      conn.sweep(); // pinged again, not dropped
      assert.equal(transport.pings, 2);
      assert.equal(conn.state, ReadyStates.OPEN);
      assert.equal(host.counts.idleTimeouts, undefined);
    });
  }

  it("an engine idle timeout (Deno's) is counted by the connection, once", () => {
    const host = fakeHost();
    const { conn } = fakeConnection(host);
    conn.closedByIdleTimeout(1001, "No response from ping frame.");
    conn.closedByIdleTimeout(1001, "No response from ping frame.");
    conn.closed(1005, "");
    assert.equal(host.counts.idleTimeouts, 1);
    assert.equal(host.closes.length, 1);
  });
});

describe("connection: rate limit", () => {
  it('"drop" discards messages over the rate and counts them; the connection stays open', () => {
    const seen: string[] = [];
    const host = fakeHost({
      rateLimit: { messagesPerSecond: 0.001, burst: 2, action: "drop" },
      message: (_s, m) => void seen.push(m.text()),
    });
    const { conn } = fakeConnection(host);
    for (const text of ["a", "b", "c", "d"]) conn.received(text);
    assert.deepEqual(seen, ["a", "b"]);
    assert.equal(host.counts.rateLimitedMessages, 2);
    assert.equal(conn.state, ReadyStates.OPEN);
  });

  it('"close" closes with 1008 on the first message over the rate and counts it', () => {
    const seen: string[] = [];
    const host = fakeHost({
      rateLimit: { messagesPerSecond: 0.001, burst: 1, action: "close" },
      message: (_s, m) => void seen.push(m.text()),
    });
    const { conn, transport } = fakeConnection(host, { echoClose: true });
    conn.received("a");
    conn.received("b");
    conn.received("c"); // closed: ignored
    assert.deepEqual(seen, ["a"]);
    assert.equal(host.counts.rateLimitCloses, 1);
    assert.deepEqual(transport.closes, [{ code: 1008, reason: "rate limit exceeded" }]);
  });
});

describe("connection: heartbeat answers", () => {
  it('"ping" is answered with "pong" and not passed to `message`', () => {
    const seen: string[] = [];
    const host = fakeHost({ message: (_s, m) => void seen.push(m.text()) });
    const { conn, transport } = fakeConnection(host);
    conn.received("ping");
    conn.received("pings");
    assert.deepEqual(transport.sent, ["pong"]);
    assert.deepEqual(seen, ["pings"]);
  });

  it("custom texts; binary ping bytes are a message like any other", () => {
    const seen: Message[] = [];
    const host = fakeHost({ heartbeat: { ping: "hb?", pong: "hb!" }, message: (_s, m) => void seen.push(m) });
    const { conn, transport } = fakeConnection(host);
    conn.received("hb?");
    conn.received("ping");
    conn.received(new TextEncoder().encode("hb?"));
    assert.deepEqual(transport.sent, ["hb!"]);
    assert.deepEqual(seen.map((m) => m.kind), ["text", "binary"]);
  });

  it("heartbeat: false passes every message on", () => {
    const seen: string[] = [];
    const host = fakeHost({ heartbeat: false, message: (_s, m) => void seen.push(m.text()) });
    const { conn, transport } = fakeConnection(host);
    conn.received("ping");
    assert.deepEqual(seen, ["ping"]);
    assert.deepEqual(transport.sent, []);
  });
});

describe("connection: message size (engines without a limit)", () => {
  it("a message over maxMessageBytes closes with 1009; one at the limit passes (UTF-8 bytes)", () => {
    const seen: number[] = [];
    const host = fakeHost({ maxMessageBytes: 6, message: (_s, m) => void seen.push(m.bytes().length) });
    const { conn, transport } = fakeConnection(host, { echoClose: true });
    conn.received("ééé"); // 6 bytes
    conn.received(new Uint8Array(6));
    conn.received("éééé"); // 8 bytes
    assert.deepEqual(seen, [6, 6]);
    assert.deepEqual(transport.closes, [{ code: 1009, reason: "message exceeds 6 bytes" }]);
  });

  it("is left to the engine where it enforces the limit (Bun)", () => {
    const seen: number[] = [];
    const host = fakeHost({ maxMessageBytes: 1, message: (_s, m) => void seen.push(m.bytes().length) }, true);
    const { conn, transport } = fakeConnection(host);
    conn.received("abc");
    assert.deepEqual(seen, [3]);
    assert.deepEqual(transport.closes, []);
  });
});

describe("connection: guarded handlers", () => {
  it("a throwing `message` goes to `error` with the socket and closes that connection with 1011", () => {
    const boom = new Error("boom");
    const host = fakeHost({
      message: () => {
        throw boom;
      },
    });
    const { conn, transport } = fakeConnection(host);
    conn.received("x");
    assert.deepEqual(host.errors, [{ socket: conn.socket, error: boom }]);
    assert.deepEqual(transport.closes, [{ code: 1011, reason: "internal server error" }]);
  });

  it("a rejected promise from `message` does the same", async () => {
    const boom = new Error("later");
    const host = fakeHost({ message: () => Promise.reject(boom) });
    const { conn, transport } = fakeConnection(host);
    conn.received("x");
    await waitUntil(() => host.errors.length === 1, "the rejection");
    assert.equal(host.errors[0].error, boom);
    assert.equal(transport.closes[0].code, 1011);
  });

  it("a throwing `open` or `drain` is reported and closes with 1011", () => {
    const host = fakeHost({
      open: () => {
        throw new Error("open");
      },
    });
    const { transport } = fakeConnection(host);
    assert.equal((host.errors[0].error as Error).message, "open");
    assert.equal(transport.closes[0].code, 1011);

    const host2 = fakeHost({
      drain: () => {
        throw new Error("drain");
      },
    });
    const b = fakeConnection(host2);
    b.conn.belowLowWater();
    assert.equal((host2.errors[0].error as Error).message, "drain");
    assert.equal(b.transport.closes[0].code, 1011);
  });

  it("a throwing or rejecting `close` is reported once and closes nothing again", async () => {
    const host = fakeHost({
      close: () => {
        throw new Error("close sync");
      },
    });
    const { conn, transport } = fakeConnection(host);
    conn.closed(1000, "");
    conn.closed(1000, "");
    assert.deepEqual(host.errors.map((e) => (e.error as Error).message), ["close sync"]);
    assert.deepEqual(transport.closes, []);

    const host2 = fakeHost({ close: () => Promise.reject(new Error("close async")) });
    const b = fakeConnection(host2);
    b.conn.closed(1000, "");
    await waitUntil(() => host2.errors.length === 1, "the rejection");
    assert.deepEqual(b.transport.closes, []);
    assert.equal(host2.closes.length, 1);
  });
});

describe("connection: topics", () => {
  it("`close` still sees the topics; they are left after it, and a closing socket cannot subscribe", () => {
    let during: string[] = [];
    const host = fakeHost({ close: (socket) => void (during = [...socket.topics]) });
    const { conn } = fakeConnection(host);
    conn.socket.subscribe("a");
    conn.socket.subscribe("b");
    const view = conn.socket.topics;
    conn.socket.close(1000);
    conn.socket.subscribe("c"); // closing: ignored
    assert.deepEqual([...conn.socket.topics], ["a", "b"]);
    conn.closed(1000, "");
    assert.deepEqual(during, ["a", "b"]);
    assert.equal(conn.socket.topics.size, 0);
    assert.equal(view.size, 0, "a view kept from before reads empty too");
  });

  it("publish reaches the other subscribers, and the sender too with includeSelf", () => {
    const host = fakeHost();
    const a = fakeConnection(host);
    const b = fakeConnection(host);
    a.conn.socket.subscribe("room");
    b.conn.socket.subscribe("room");
    assert.equal(a.conn.socket.publish("room", "hi"), 1);
    assert.equal(a.conn.socket.publish("room", "all", { includeSelf: true }), 2);
    assert.deepEqual(a.transport.sent, ["all"]);
    assert.deepEqual(b.transport.sent, ["hi", "all"]);
    assert.throws(() => a.conn.socket.subscribe(""), TypeError);
  });
});
