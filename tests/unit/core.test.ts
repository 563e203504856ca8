/**
 * Unit tests of the endpoint core (src/server/core.ts) with a fake adapter
 * port and in-memory transports: upgrade decisions and the status of each
 * refusal, maxConnections accounting, the keep-alive timer, stats and
 * shutdown. No network; the same on Deno and Bun.
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { ServerCore } from "../../src/server/core.ts";
import type { AcceptedUpgrade } from "../../src/server/core.ts";
import type { WebSocketOptions } from "../../src/server/options.ts";
import type { Socket } from "../../src/server/socket.ts";
import { InProcessTopics } from "../../src/server/topics.ts";
import { MemoryBroker } from "../../src/broker/memory.ts";
import type { CloseInfo } from "../../src/shared/types.ts";
import { FakeTransport, sleep, waitUntil } from "./fakes.ts";

const REMOTE = { address: "127.0.0.1", port: 1 };

/** A well-formed upgrade request, with extra headers. */
function upgradeRequest(headers: Record<string, string> = {}, url = "http://127.0.0.1/ws"): Request {
  return new Request(url, {
    headers: {
      upgrade: "websocket",
      connection: "Upgrade",
      "sec-websocket-version": "13",
      "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
      ...headers,
    },
  });
}

interface Recorded {
  errors: { socket: Socket<unknown> | undefined; error: unknown }[];
  closes: CloseInfo[];
}

/** A core on a fake port: `sweeps` says whether the core runs the keep-alive (Bun) or the engine does (Deno). */
function fakeCore(options: WebSocketOptions<unknown> = {}, sweeps = true): ServerCore<unknown, FakeTransport> & Recorded {
  const errors: Recorded["errors"] = [];
  const closes: CloseInfo[] = [];
  const core = new ServerCore<unknown, FakeTransport>(
    {
      ...options,
      error: (socket, error) => void errors.push({ socket, error }),
      close: (socket, info) => {
        closes.push(info);
        return options.close?.(socket, info);
      },
    },
    { capabilities: { nativeMaxMessageBytes: false, nativeIdleTimeout: !sweeps }, topics: new InProcessTopics<FakeTransport>() },
  );
  return Object.assign(core, { errors, closes });
}

/** Accepts an upgrade (or fails the test) and opens its connection on a fake transport. */
async function openOne(core: ServerCore<unknown, FakeTransport>, echoClose = true) {
  const accepted = await core.prepareUpgrade(upgradeRequest(), REMOTE);
  assert.ok(!(accepted instanceof Response), "accepted");
  const transport = new FakeTransport();
  const conn = core.connection(transport, accepted as AcceptedUpgrade<unknown>);
  if (echoClose) transport.onClose = (code, reason) => conn.closed(code, reason);
  transport.onTerminate = () => conn.closed(1006, "");
  conn.opened();
  return { conn, transport };
}

describe("core: upgrade decisions", () => {
  it("answers a plain request with 426 and a bad handshake with 400, before any hook", async () => {
    let hooked = 0;
    const core = fakeCore({ upgrade: () => void hooked++ });
    assert.equal(((await core.prepareUpgrade(new Request("http://x/"), REMOTE)) as Response).status, 426);
    const bad = await core.prepareUpgrade(upgradeRequest({ "sec-websocket-key": "nope" }), REMOTE);
    assert.equal((bad as Response).status, 400);
    assert.equal(hooked, 0);
    assert.equal(core.stats.pendingUpgrades, 0);
  });

  it("refuses a foreign origin with 403 and counts it", async () => {
    const core = fakeCore({ origins: ["https://app.example"] });
    const refused = await core.prepareUpgrade(upgradeRequest({ origin: "https://evil.example" }), REMOTE);
    assert.equal((refused as Response).status, 403);
    assert.equal(core.stats.refusedOrigin, 1);
    assert.ok(!((await core.prepareUpgrade(upgradeRequest({ origin: "https://app.example" }), REMOTE)) instanceof Response));
  });

  it("a hook that throws, or returns headers that are not HTTP headers, is a 500 that reaches `error`", async () => {
    const core = fakeCore({
      upgrade: (req) => {
        if (new URL(req.url).pathname === "/throw") throw new Error("db down");
        return { headers: { "bad name": "x" } };
      },
    });
    const thrown = await core.prepareUpgrade(upgradeRequest({}, "http://127.0.0.1/throw"), REMOTE);
    const badHeader = await core.prepareUpgrade(upgradeRequest(), REMOTE);
    assert.equal((thrown as Response).status, 500);
    assert.equal((badHeader as Response).status, 500);
    assert.equal(core.errors.length, 2);
    assert.equal(core.errors[0].socket, undefined);
    assert.equal((core.errors[0].error as Error).message, "db down");
    assert.match((core.errors[1].error as Error).message, /not valid HTTP headers/);
    assert.equal(core.stats.pendingUpgrades, 0, "slots given back");
  });

  it("the hook picks data, subprotocol and headers; a protocol the client did not offer is a 500", async () => {
    const core = fakeCore({
      protocols: ["b"],
      upgrade: (req, info) => req.headers.has("x-pick") ? { protocol: "zzz" } : { data: info.protocols, headers: { "x-a": "1" } },
    });
    const accepted = await core.prepareUpgrade(upgradeRequest({ "sec-websocket-protocol": "a,b" }), REMOTE);
    assert.deepEqual(accepted, { data: ["a", "b"], protocol: "b", headers: { "x-a": "1" }, remote: REMOTE });
    const wrong = await core.prepareUpgrade(upgradeRequest({ "sec-websocket-protocol": "a", "x-pick": "1" }), REMOTE);
    assert.equal((wrong as Response).status, 500);
    assert.match((core.errors[0].error as Error).message, /did not offer/);
  });

  it("maxConnections counts upgrades in progress; a refused one gets 503 and is counted", async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => (release = resolve));
    const core = fakeCore({ maxConnections: 1, upgrade: () => gate });
    const first = core.prepareUpgrade(upgradeRequest(), REMOTE);
    await sleep(1);
    assert.equal(core.stats.pendingUpgrades, 1);
    const second = await core.prepareUpgrade(upgradeRequest(), REMOTE);
    assert.equal((second as Response).status, 503);
    assert.equal((second as Response).headers.get("retry-after"), "1");
    assert.equal(core.stats.refusedMaxConnections, 1);
    release();
    const accepted = (await first) as AcceptedUpgrade<unknown>;
    const conn = core.connection(new FakeTransport(), accepted);
    conn.opened();
    assert.deepEqual([core.stats.pendingUpgrades, core.connectionCount], [0, 1]);
    assert.equal(((await core.prepareUpgrade(upgradeRequest(), REMOTE)) as Response).status, 503);
    conn.closed(1000, "");
    assert.ok(!((await core.prepareUpgrade(upgradeRequest(), REMOTE)) instanceof Response), "a slot is free again");
  });

  it("an upgrade the adapter could not finish gives its slot back through upgradeEnded()", async () => {
    const core = fakeCore({ maxConnections: 1 });
    assert.ok(!((await core.prepareUpgrade(upgradeRequest(), REMOTE)) instanceof Response));
    core.upgradeEnded();
    assert.equal(core.stats.pendingUpgrades, 0);
    assert.ok(!((await core.prepareUpgrade(upgradeRequest(), REMOTE)) instanceof Response));
  });
});

describe("core: keep-alive timer", () => {
  it("where the core sweeps, a silent peer is pinged, then dropped and counted", async () => {
    const core = fakeCore({ idleTimeout: 0.02 }); // a sweep every 10 ms
    const { transport } = await openOne(core);
    await waitUntil(() => core.closes.length === 1, "the idle drop");
    assert.equal(transport.pings, 1);
    assert.deepEqual(core.closes[0], { code: 1006, reason: "" });
    assert.equal(core.stats.idleTimeouts, 1);
    assert.equal(core.stats.pingsSent, 1);
    assert.equal(core.connectionCount, 0, "and the timer stopped with the last connection");
  });

  it("a peer that keeps talking is never dropped", async () => {
    const core = fakeCore({ idleTimeout: 0.04 }); // a sweep every 20 ms
    const { conn } = await openOne(core);
    for (let i = 0; i < 30; i++) {
      conn.received("still here");
      await sleep(2); // timers fire in deadline order: a message always lands between two sweeps
    }
    assert.equal(core.closes.length, 0);
    conn.closed(1000, "");
  });

  it("where the engine runs the idle timeout (Deno), the core sends no ping", async () => {
    const core = fakeCore({ idleTimeout: 0.02 }, false);
    const { conn, transport } = await openOne(core);
    await sleep(50);
    assert.equal(transport.pings, 0);
    assert.equal(conn.state, 1);
    conn.closed(1000, "");
  });
});

describe("core: shutdown", () => {
  it("closes every connection with 1001, drops the ones that do not answer after the timeout, refuses new upgrades with 503", async () => {
    const core = fakeCore({ closeTimeout: 10 });
    await openOne(core); // answers the close at once
    const mute = await openOne(core, false); // never answers
    await core.shutdown({ timeout: 30 });
    assert.deepEqual(core.closes, [{ code: 1001, reason: "server shutting down" }, { code: 1001, reason: "server shutting down" }]);
    assert.equal(mute.transport.terminates, 1, "the silent one was dropped");
    assert.equal(core.connectionCount, 0);
    assert.equal(((await core.prepareUpgrade(upgradeRequest(), REMOTE)) as Response).status, 503);
  });

  it("a bad option throws at once and changes nothing", async () => {
    const core = fakeCore();
    const { conn } = await openOne(core);
    assert.throws(() => core.shutdown({ code: 1006 }), RangeError);
    assert.equal(conn.state, 1);
    assert.ok(!core.closing);
    conn.closed(1000, "");
  });
});

describe("core: topics and stats", () => {
  it("publishes through the port's engine and the broker; stats is a snapshot", async () => {
    const broker = new MemoryBroker();
    const a = fakeCore({ broker });
    const b = fakeCore({ broker });
    const left = await openOne(a);
    const right = await openOne(b);
    left.conn.socket.subscribe("news");
    right.conn.socket.subscribe("news");
    await sleep(1);
    assert.equal(a.topics.publish("news", "hello", undefined), 1);
    await waitUntil(() => right.transport.sent.length === 1, "the broker's copy");
    assert.deepEqual(left.transport.sent, ["hello"]);
    assert.deepEqual(right.transport.sent, ["hello"]);
    const before = a.stats;
    left.conn.closed(1000, "");
    assert.equal(before.connections, 1);
    assert.equal(a.stats.connections, 0);
    await a.shutdown();
    await b.shutdown();
  });
});
