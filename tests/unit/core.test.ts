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
async function openOne(core: ServerCore<unknown, FakeTransport>, echoClose = true, remote = REMOTE) {
  const accepted = await core.prepareUpgrade(upgradeRequest(), remote);
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

describe("core: per-address limits", () => {
  const status = async (core: ServerCore<unknown, FakeTransport>, address: string) => {
    const answer = await core.prepareUpgrade(upgradeRequest(), { address, port: 1 });
    return answer instanceof Response ? answer.status : 101;
  };

  it("maxConnectionsPerAddress: 429 + Retry-After past the cap, counted; other addresses unaffected; IPv6 by /64", async () => {
    const core = fakeCore({ maxConnectionsPerAddress: 2 });
    assert.equal(await status(core, "10.0.0.1"), 101);
    assert.equal(await status(core, "10.0.0.1"), 101); // upgrades in progress hold their slot
    const refused = (await core.prepareUpgrade(upgradeRequest(), { address: "10.0.0.1", port: 2 })) as Response;
    assert.equal(refused.status, 429);
    assert.ok(Number(refused.headers.get("retry-after")) >= 1);
    assert.equal(await status(core, "::ffff:10.0.0.1"), 429, "an IPv4-mapped address is the IPv4 one");
    assert.equal(await status(core, "10.0.0.2"), 101);
    assert.equal(await status(core, "2001:db8:1:2::1"), 101);
    assert.equal(await status(core, "2001:db8:1:2:ffff::9"), 101);
    assert.equal(await status(core, "2001:db8:1:2::abcd"), 429, "same /64");
    assert.equal(core.stats.refusedPerAddress, 3);
    assert.equal(core.stats.refusedUpgradeRate, 0);
  });

  it("a closed connection gives its address slot back, and so does a refused or aborted upgrade", async () => {
    let refuse = true;
    const core = fakeCore({
      maxConnectionsPerAddress: 1,
      upgrade: () => (refuse ? new Response("no", { status: 401 }) : undefined),
    });
    assert.equal(await status(core, "10.0.0.1"), 401); // the hook refused: slot given back
    refuse = false;
    const accepted = (await core.prepareUpgrade(upgradeRequest(), REMOTE)) as AcceptedUpgrade<unknown>;
    assert.equal(await status(core, REMOTE.address), 429);
    core.upgradeAborted(accepted.remote); // the engine refused it
    assert.equal(core.stats.pendingUpgrades, 0);
    const { conn } = await openOne(core);
    assert.equal(await status(core, REMOTE.address), 429);
    conn.closed(1000, "");
    assert.equal(await status(core, REMOTE.address), 101);
  });

  it("upgradeRateLimit: a burst, then 429 with the seconds to wait, counted; per address", async () => {
    const core = fakeCore({ upgradeRateLimit: { perSecond: 0.5, burst: 2 } });
    assert.equal(await status(core, "10.0.0.1"), 101);
    assert.equal(await status(core, "10.0.0.1"), 101);
    const refused = (await core.prepareUpgrade(upgradeRequest(), { address: "10.0.0.1", port: 1 })) as Response;
    assert.equal(refused.status, 429);
    assert.equal(refused.headers.get("retry-after"), "2"); // one token every 2 s
    assert.equal(await status(core, "10.0.0.2"), 101);
    assert.equal(core.stats.refusedUpgradeRate, 1);
    assert.equal(core.stats.refusedPerAddress, 0);
  });
});

describe("core: lingering connections (an engine that cannot drop TCP)", () => {
  it("count in stats.lingering and against maxConnections and the address cap until the engine reports the close", async () => {
    const core = fakeCore({ maxConnections: 1, maxConnectionsPerAddress: 1, closeTimeout: 0.01 }, false);
    const { conn, transport } = await openOne(core, false);
    transport.canTerminate = false;
    conn.socket.close(1000, "bye"); // the peer never answers
    await waitUntil(() => core.closes.length === 1, "the close timeout");
    assert.deepEqual(core.closes[0], { code: 1000, reason: "bye" });
    assert.deepEqual([core.connectionCount, core.stats.lingering], [0, 1]);
    assert.equal(((await core.prepareUpgrade(upgradeRequest(), { address: "10.9.9.9", port: 1 })) as Response).status, 503);
    conn.closed(1006, ""); // the engine lets it go at last
    conn.closed(1006, ""); // and a repeat changes nothing
    assert.equal(core.stats.lingering, 0);
    assert.equal(core.closes.length, 1);
    const again = await openOne(core, true, REMOTE);
    assert.equal(core.connectionCount, 1, "both slots are free again");
    again.conn.closed(1000, "");
  });

  it("the address slot stays taken while lingering", async () => {
    const core = fakeCore({ maxConnectionsPerAddress: 1, closeTimeout: 0.01 }, false);
    const { conn, transport } = await openOne(core, false);
    transport.canTerminate = false;
    conn.socket.close(1000, "");
    await waitUntil(() => core.stats.lingering === 1, "lingering");
    assert.equal(((await core.prepareUpgrade(upgradeRequest(), REMOTE)) as Response).status, 429);
    assert.equal(((await core.prepareUpgrade(upgradeRequest(), { address: "10.0.0.2", port: 1 })) instanceof Response), false);
    conn.closed(1006, "");
    assert.equal(((await core.prepareUpgrade(upgradeRequest(), REMOTE)) instanceof Response), false);
  });
});

describe("core: stall sweep (both runtimes)", () => {
  for (const sweeps of [true, false]) {
    const runtime = sweeps ? "where the core pings (Bun)" : "where the engine pings (Deno)";
    it(`${runtime}, a peer whose queued data does not move is dropped though it keeps sending, and counted`, async () => {
      const core = fakeCore({ idleTimeout: 0.02, closeTimeout: 60 }, sweeps); // a sweep every 10 ms
      const { conn, transport } = await openOne(core);
      transport.canTerminate = sweeps;
      transport.bufferedAmount = 5000; // queued, and writeProgress stays put
      for (let i = 0; i < 500 && conn.state === 1; i++) {
        conn.received("still sending");
        await sleep(2);
      }
      assert.notEqual(conn.state, 1, "dropped");
      assert.equal(core.stats.idleTimeouts, 1);
      assert.equal(transport.pings, 0, "a peer that keeps sending is never pinged");
      if (sweeps) assert.deepEqual(core.closes, [{ code: 1006, reason: "" }]);
      else {
        assert.deepEqual(transport.closes, [{ code: 1001, reason: "terminated" }], "Deno cannot drop it: a close");
        conn.closed(1006, "");
      }
    });
  }

  it("a peer that reads slowly (its queue moves) is not dropped", async () => {
    const core = fakeCore({ idleTimeout: 0.02 }, false);
    const { conn, transport } = await openOne(core);
    transport.bufferedAmount = 5000;
    for (let i = 0; i < 30; i++) {
      transport.writeProgress++;
      await sleep(2); // timers fire in deadline order: progress always lands between two sweeps
    }
    assert.equal(conn.state, 1);
    assert.equal(core.stats.idleTimeouts, 0);
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
