/**
 * Limits as server options, the same on Deno and Bun: option checks,
 * maxConnections (503 + Retry-After, bursts cannot overshoot), origins
 * (403), rateLimit (close 1008 or drop and count).
 */

import { afterEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { connect } from "../mod.ts";
import { serve } from "./helpers/engine.ts";
import type { Client, ServeOptions } from "../mod.ts";
import { client, nextMessage, startServer } from "./helpers/server.ts";
import type { TestServer } from "./helpers/server.ts";
import { rawConnect } from "./helpers/raw.ts";
import type { RawPeer } from "./helpers/raw.ts";
import { delay, until } from "./helpers/runtime.ts";
import { ENGINE } from "./helpers/engine.ts";

let ts: TestServer | undefined;
const clients: Client[] = [];
const raws: RawPeer[] = [];
afterEach(async () => {
  for (const r of raws.splice(0)) r.destroy();
  for (const c of clients.splice(0)) if (c.readyState < 2) await c.close().catch(() => {});
  await ts?.stop();
  ts = undefined;
});
async function open(t: TestServer): Promise<Client> {
  const c = await client(t);
  clients.push(c);
  return c;
}
async function raw(port: number, headers: Record<string, string | null> = {}): Promise<RawPeer> {
  const r = await rawConnect(port, headers);
  raws.push(r);
  return r;
}

describe("limits: option checks", () => {
  const bad: [string, ServeOptions, typeof RangeError | typeof TypeError][] = [
    ["maxConnections 0", { maxConnections: 0 }, RangeError],
    ["maxConnections 1.5", { maxConnections: 1.5 }, RangeError],
    ["rateLimit without a rate", { rateLimit: {} as never }, RangeError],
    ["rateLimit burst 0", { rateLimit: { messagesPerSecond: 5, burst: 0 } }, RangeError],
    ["rateLimit action", { rateLimit: { messagesPerSecond: 5, action: "kick" as never } }, TypeError],
    ["origins not an array", { origins: "https://a.example" as never }, TypeError],
    ["origin with a path", { origins: ["https://a.example/app"] }, TypeError],
    ["origin with a wildcard", { origins: ["https://*.example.com"] }, TypeError],
    ["origin that is no URL", { origins: ["a.example"] }, TypeError],
    ["lowWaterMark -1", { lowWaterMark: -1 }, RangeError],
    ["backpressureLimit 0", { backpressureLimit: 0 }, RangeError],
    ["onBackpressureLimit", { onBackpressureLimit: "block" as never }, TypeError],
    ["maxConnectionsPerAddress 0", { maxConnectionsPerAddress: 0 }, RangeError],
    ["maxConnectionsPerAddress 2.5", { maxConnectionsPerAddress: 2.5 }, RangeError],
    ["upgradeRateLimit not an object", { upgradeRateLimit: 5 as never }, TypeError],
    ["upgradeRateLimit without a rate", { upgradeRateLimit: {} as never }, RangeError],
    ["upgradeRateLimit burst 0", { upgradeRateLimit: { perSecond: 1, burst: 0 } }, RangeError],
    ["maxMessagesWhileBackpressured -1", { maxMessagesWhileBackpressured: -1 }, RangeError],
    ["maxMessagesWhileBackpressured NaN", { maxMessagesWhileBackpressured: NaN }, RangeError],
  ];
  for (const [name, options, type] of bad) {
    it(`rejects ${name} with a ${type.name}`, () => {
      assert.throws(() => serve({ ...options, port: 0, hostname: "127.0.0.1" }), type);
    });
  }
});

describe("limits: maxConnections", () => {
  it("refuses upgrades beyond it with 503 + Retry-After; open connections are unaffected", async () => {
    ts = await startServer({ maxConnections: 2 });
    const a = await open(ts);
    const b = await open(ts);
    const refused = await raw(ts.port);
    assert.equal(refused.status, 503);
    assert.match(refused.head, /\r\nretry-after: \d+/i);
    a.send("a still works");
    assert.equal((await nextMessage(a)).text(), "a still works");
    b.send("b too");
    assert.equal((await nextMessage(b)).text(), "b too");
    assert.equal(ts.server.stats.refusedMaxConnections, 1);
    await a.close();
    await until(() => ts!.server.connections === 1, "one connection left");
    const c = await open(ts);
    c.send("a freed slot is usable");
    assert.equal((await nextMessage(c)).text(), "a freed slot is usable");
  });

  it("counts upgrades in progress, so a burst cannot overshoot", async () => {
    ts = await startServer({
      maxConnections: 3,
      // A slow upgrade hook (e.g. an auth lookup) keeps every upgrade in flight at once.
      upgrade: async () => {
        await delay(100);
        return { data: undefined };
      },
    });
    const peers = await Promise.all(Array.from({ length: 8 }, () => raw(ts!.port)));
    const statuses = peers.map((p) => p.status).sort();
    assert.deepEqual(statuses, [101, 101, 101, 503, 503, 503, 503, 503]);
    await until(() => ts!.server.connections === 3, "3 open connections");
    assert.equal(ts.server.stats.pendingUpgrades, 0);
  });

  it("gives a slot back when the upgrade hook refuses", async () => {
    ts = await startServer({
      maxConnections: 1,
      upgrade: (req) => (new URL(req.url).searchParams.has("ok") ? { data: undefined } : new Response("no", { status: 401 })),
    });
    for (let i = 0; i < 3; i++) assert.equal((await raw(ts.port)).status, 401);
    const c = await connect(`${ts.url}/?ok`, { timeout: 5000 });
    clients.push(c);
    assert.equal(ts.server.stats.pendingUpgrades, 0);
    assert.equal(ts.server.stats.connections, 1);
  });
});

describe("limits: per remote address", () => {
  it("maxConnectionsPerAddress: 429 + Retry-After beyond it, counted; a closed connection frees its slot", async () => {
    ts = await startServer({ maxConnectionsPerAddress: 2 });
    const a = await open(ts);
    await open(ts);
    const refused = await raw(ts.port);
    assert.equal(refused.status, 429);
    assert.match(refused.head, /\r\nretry-after: 5\r\n/i);
    assert.equal(ts.server.stats.refusedPerAddress, 1);
    a.send("still served");
    assert.equal((await nextMessage(a)).text(), "still served");
    await a.close();
    await until(() => ts!.server.connections === 1, "one connection left");
    assert.equal((await raw(ts.port)).status, 101, "the freed slot is usable");
    assert.equal(ts.server.stats.refusedPerAddress, 1);
  });

  it("maxConnectionsPerAddress: a refusal by the upgrade hook gives the slot back", async () => {
    ts = await startServer({
      maxConnectionsPerAddress: 1,
      upgrade: (req) => (new URL(req.url).searchParams.has("ok") ? { data: undefined } : new Response("no", { status: 401 })),
    });
    for (let i = 0; i < 3; i++) assert.equal((await raw(ts.port)).status, 401);
    const c = await connect(`${ts.url}/?ok`, { timeout: 5000 });
    clients.push(c);
    assert.equal(ts.server.stats.refusedPerAddress, 0);
  });

  it("upgradeRateLimit: a burst, then 429 + Retry-After, counted; open connections are untouched", async () => {
    ts = await startServer({ upgradeRateLimit: { perSecond: 0.2, burst: 3 } });
    const first = await open(ts);
    for (let i = 0; i < 2; i++) assert.equal((await raw(ts.port)).status, 101);
    const refused = await raw(ts.port);
    assert.equal(refused.status, 429);
    assert.match(refused.head, /\r\nretry-after: [1-5]\r\n/i);
    assert.equal(ts.server.stats.refusedUpgradeRate, 1);
    first.send("still served");
    assert.equal((await nextMessage(first)).text(), "still served");
  });
});

describe("limits: origins", () => {
  it("allows listed origins and requests without Origin, refuses others with 403", async () => {
    ts = await startServer({ origins: ["https://app.example.com", "http://localhost:3000"] });
    assert.equal((await raw(ts.port, { Origin: "https://app.example.com" })).status, 101);
    assert.equal((await raw(ts.port, { Origin: "https://APP.example.com:443" })).status, 101, "normalised like URL.origin");
    assert.equal((await raw(ts.port, { Origin: "http://localhost:3000" })).status, 101);
    assert.equal((await raw(ts.port, {})).status, 101, "no Origin header: a non-browser client");
    for (const origin of ["https://evil.example", "http://app.example.com", "http://localhost:3001", "null", "garbage"]) {
      const r = await raw(ts.port, { Origin: origin });
      assert.equal(r.status, 403, origin);
    }
    assert.equal(ts.server.stats.refusedOrigin, 5);
    await until(() => ts!.opens.length === 4, "4 opens");
    await delay(50);
    assert.equal(ts.opens.length, 4);
  });
});

describe("limits: rateLimit", () => {
  it('"close" closes a peer over the rate with 1008 on both sides', async () => {
    ts = await startServer({ rateLimit: { messagesPerSecond: 0.5, burst: 3 }, message() {} });
    const c = await open(ts);
    // Exactly one message over the burst: a peer that keeps sending after the
    // server's close frame is dropped by Deno without it (see the next test).
    for (let i = 0; i < 4; i++) c.send(`m${i}`);
    const info = await c.closed;
    assert.equal(info.code, 1008);
    assert.equal(info.reason, "rate limit exceeded");
    await ts.waitCloses(1);
    assert.deepEqual(ts.closes[0].info, { code: 1008, reason: "rate limit exceeded" });
    assert.equal(ts.messages.length, 3);
    assert.equal(ts.server.stats.rateLimitCloses, 1);
  });

  it('"close" ends a flooding peer; the server sees 1008 and keeps serving others', async () => {
    ts = await startServer({
      rateLimit: { messagesPerSecond: 1, burst: 3 },
      message: (socket, msg) => void socket.send(msg.text()),
    });
    const other = await open(ts);
    const c = await open(ts);
    for (let i = 0; i < 50; i++) c.send(`m${i}`);
    const info = await c.closed;
    // Bun: 1008. Deno drops TCP without the close frame when data frames
    // arrive after it sent its close, so this peer may see 1006 there.
    assert.ok(info.code === 1008 || info.code === 1006, `client saw ${info.code}`);
    await ts.waitCloses(1);
    assert.deepEqual(ts.closes[0].info, { code: 1008, reason: "rate limit exceeded" });
    const fromFlooder = ts.messages.filter((m) => m.socket === ts!.closes[0].socket).length;
    assert.ok(fromFlooder <= 5, `at most the burst (plus refill) got through, saw ${fromFlooder}`);
    other.send("still served");
    assert.equal((await nextMessage(other)).text(), "still served");
  });

  it('"drop" discards and counts messages over the rate; the connection stays open', async () => {
    const seen: string[] = [];
    ts = await startServer({
      rateLimit: { messagesPerSecond: 20, burst: 2, action: "drop" },
      message(socket, msg) {
        seen.push(msg.text());
        socket.send(msg.text());
      },
    });
    const c = await open(ts);
    for (let i = 0; i < 30; i++) c.send(`m${i}`);
    c.send("last-of-burst");
    await until(() => seen.length + ts!.server.stats.rateLimitedMessages === 31, "every message handled or dropped");
    assert.ok(seen.length >= 2 && seen.length < 31, `burst of 2 plus refill, saw ${seen.length}`);
    assert.equal(seen[0], "m0");
    // The bucket refills: after a pause the peer may send again.
    await delay(250);
    c.send("after a pause");
    await until(() => seen.includes("after a pause"), "a message after the pause");
    assert.equal(c.readyState, 1);
    assert.equal(ts.closes.length, 0);
  });
});

/** The header of a masked binary frame that announces `length` payload bytes (no payload follows). */
function frameHeader(length: number): Uint8Array {
  return new Uint8Array([
    0x82,
    0x80 | 127,
    0,
    0,
    0,
    0,
    (length >>> 24) & 255,
    (length >>> 16) & 255,
    (length >>> 8) & 255,
    length & 255,
    1,
    2,
    3,
    4,
  ]);
}

describe("limits: maxMessageBytes at the frame header", () => {
  if (ENGINE === "deno") {
    it("Deno drops a frame of 64 MiB or more, whatever maxMessageBytes says (close sees 1006)", async () => {
      ts = await startServer({ maxMessageBytes: 2 ** 31 - 1 });
      const ok = await raw(ts.port);
      ok.write(frameHeader(64 * 1024 * 1024 - 1)); // one byte under 64 MiB: Deno waits for the payload
      const over = await raw(ts.port);
      over.write(frameHeader(64 * 1024 * 1024));
      await ts.waitCloses(1);
      assert.equal(ts.closes[0].info.code, 1006);
      await Promise.race([over.ended, delay(5000)]);
      assert.equal(over.isEnded(), true);
      assert.equal(over.frames.filter((f) => f.opcode === 0x8).length, 0, "no close frame: TCP is just dropped");
      await delay(100);
      assert.equal(ok.isEnded(), false, "a frame one byte under 64 MiB is still being read");
      assert.equal(ts.server.connections, 1);
    });
  } else {
    // Bun natively; the ws engine too (its maxPayload), instead of reading the frame whole as Deno's engine does.
    it(`${ENGINE === "ws" ? "the ws engine" : "Bun"} refuses a frame over maxMessageBytes from its header with 1009`, async () => {
      ts = await startServer({ maxMessageBytes: 1024 });
      const over = await raw(ts.port);
      over.write(frameHeader(1025));
      const frame = await over.waitFrame((f) => f.opcode === 0x8);
      assert.equal((frame.payload[0] << 8) | frame.payload[1], 1009);
      await ts.waitCloses(1);
      assert.equal(ts.closes[0].info.code, 1009);
    });
  }
});
