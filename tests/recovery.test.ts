/**
 * Recovery on one server (docs/channels.md "Recovery"), with the in-memory
 * history store: positions on publications, resume after a reconnect with
 * no gap and no duplicate (every message counted), `last` and `since` on a
 * first subscribe, the verdicts (trimmed, epoch changed, not recoverable),
 * acknowledged publishes with positions, backpressure during a long replay
 * (server memory read from /proc), and stats. Real servers and sockets.
 */

import { afterEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { connect, PublishError } from "../mod.ts";
import { serve } from "./helpers/engine.ts";
import type { Client, ConnectOptions, ServeOptions, Server, Socket } from "../mod.ts";
import { MemoryHistory } from "../history.ts";
import type { RecoveryEvent, Subscription } from "../src/client/mod.ts";
import { assertExactlyOnce } from "./helpers/exactly_once.ts";
import { delay, until } from "./helpers/runtime.ts";
import { rawConnect } from "./helpers/raw.ts";

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

const RECONNECT: ConnectOptions = { channels: true, reconnect: { minDelay: 20, maxDelay: 50 } };

interface Started {
  server: Server;
  url: string;
  sockets: Socket[];
}

async function start(history: NonNullable<ServeOptions["channels"]>["history"], extra: Partial<ServeOptions> = {}): Promise<Started> {
  const sockets: Socket[] = [];
  const server = serve({
    port: 0,
    hostname: "127.0.0.1",
    channels: { authorize: () => true, history },
    open: (socket) => void sockets.push(socket),
    close: (socket) => void sockets.splice(sockets.indexOf(socket), 1),
    ...extra,
  });
  cleanups.push(() => server.shutdown({ timeout: 1000 }));
  await server.ready; // the ws engine knows its port once listening
  return { server, url: `ws://127.0.0.1:${server.port}`, sockets };
}

async function client(url: string, options: ConnectOptions = RECONNECT): Promise<Client> {
  const c = await connect(url, options);
  cleanups.push(() => c.close());
  return c;
}

/** Collects a subscription's publications as text. */
function collect(sub: Subscription): string[] {
  const got: string[] = [];
  sub.on("message", (msg) => got.push(msg.kind === "text" ? msg.text() : `bytes:${msg.bytes().join(",")}`));
  return got;
}

function recoveries(sub: Subscription): RecoveryEvent[] {
  const events: RecoveryEvent[] = [];
  sub.on("recovery", (e) => events.push(e));
  return events;
}

const RULES = [{ match: "ticker:*", size: 1000 }];

describe("recovery with the in-memory history", () => {
  it("publications carry positions; after a cut, the missed ones come first, then live ones, each once and in order", async () => {
    const s = await start({ topics: RULES });
    const c = await client(s.url);
    const sub = await c.subscribe("ticker:A", { recover: true });
    const got = collect(sub);
    const events = recoveries(sub);
    assert.deepEqual(sub.position?.offset, 0, "the server tells where the stream stands before anything arrived");
    const expected: string[] = [];
    for (let i = 0; i < 20; i++) {
      expected.push(`m${i}`);
      s.server.publish("ticker:A", `m${i}`);
    }
    await until(() => got.length === 20, "20 live publications");
    assert.equal(sub.position?.offset, 20);
    // Cut the connection; publish while it is away; the client comes back and recovers.
    const reconnected = new Promise((resolve) => sub.on("resubscribed", resolve));
    s.sockets[0].terminate();
    for (let i = 20; i < 120; i++) {
      expected.push(`m${i}`);
      s.server.publish("ticker:A", `m${i}`);
      if (i % 10 === 0) await delay(1);
    }
    await reconnected;
    for (let i = 120; i < 130; i++) {
      expected.push(`m${i}`);
      s.server.publish("ticker:A", `m${i}`);
    }
    await until(() => got.length >= 130, "130 publications");
    await delay(50);
    assertExactlyOnce(got, expected);
    assert.deepEqual(events, [{ topic: "ticker:A", recovered: true }]);
    assert.equal(sub.position?.offset, 130);
    assert.ok(s.server.stats.recoveries >= 1);
    assert.ok(s.server.stats.historyReplayed >= 100);
    assert.equal(s.server.stats.historyAppends, 130);
  });

  it("publications delivered live while the store is being read come once, after the replay (the seam)", async () => {
    const inner = new MemoryHistory();
    let slow = false;
    let reading: (() => void) | undefined;
    const store = {
      shared: false,
      append: (topic: string, data: string | Uint8Array, policy: { size: number; ttl: number }) => inner.append(topic, data, policy),
      read: async (topic: string, query: Parameters<MemoryHistory["read"]>[1], policy: { size: number; ttl: number }) => {
        // Read first, answer late: what is published meanwhile is after the read's top.
        const answer = inner.read(topic, query, policy);
        if (slow) await new Promise<void>((resolve) => (reading = resolve));
        return answer;
      },
      close: () => inner.close(),
    };
    const s = await start({ store, topics: RULES });
    const c = await client(s.url);
    const sub = await c.subscribe("ticker:S", { recover: true });
    const got = collect(sub);
    for (let i = 0; i < 5; i++) s.server.publish("ticker:S", `a${i}`);
    await until(() => got.length === 5, "five");
    slow = true;
    const reconnected = new Promise((resolve) => sub.on("resubscribed", resolve));
    s.sockets[0].terminate();
    for (let i = 0; i < 5; i++) s.server.publish("ticker:S", `b${i}`);
    await until(() => reading !== undefined, "the recovering read");
    // Live publications while the replay's read is in flight.
    for (let i = 0; i < 5; i++) s.server.publish("ticker:S", `c${i}`);
    slow = false;
    reading!();
    await reconnected;
    s.server.publish("ticker:S", "d");
    await until(() => got.length >= 16, "sixteen", 5000);
    await delay(50);
    assertExactlyOnce(got, [
      ...[0, 1, 2, 3, 4].map((i) => `a${i}`),
      ...[0, 1, 2, 3, 4].map((i) => `b${i}`),
      ...[0, 1, 2, 3, 4].map((i) => `c${i}`),
      "d",
    ]);
  });

  it("binary publications keep their bytes and positions across a recovery", async () => {
    const s = await start({ topics: RULES });
    const c = await client(s.url);
    const sub = await c.subscribe("ticker:B", { recover: true });
    const got = collect(sub);
    s.server.publish("ticker:B", new Uint8Array([1, 2, 3]));
    await until(() => got.length === 1, "first");
    const reconnected = new Promise((resolve) => sub.on("resubscribed", resolve));
    s.sockets[0].terminate();
    s.server.publish("ticker:B", new Uint8Array([0, 255]));
    s.server.publish("ticker:B", "text");
    await reconnected;
    await until(() => got.length === 3, "three");
    assert.deepEqual(got, ["bytes:1,2,3", "bytes:0,255", "text"]);
    assert.equal(sub.position?.offset, 3);
  });

  it("a first subscribe can ask for the last N, or for what came after a position it kept", async () => {
    const s = await start({ topics: RULES });
    for (let i = 1; i <= 10; i++) s.server.publish("ticker:C", `p${i}`);
    const c = await client(s.url);
    const last = await c.subscribe("ticker:C", { recover: true, last: 3 });
    const got = collect(last);
    await until(() => got.length === 3, "the last three");
    assert.deepEqual(got, ["p8", "p9", "p10"]);
    const kept = last.position!;
    await last.unsubscribe();
    s.server.publish("ticker:C", "p11");
    s.server.publish("ticker:C", "p12");
    const again = await c.subscribe("ticker:C", { recover: true, since: kept });
    const got2 = collect(again);
    await until(() => got2.length === 2, "the two after the kept position");
    assert.deepEqual(got2, ["p11", "p12"]);
    assert.deepEqual(again.recovery, { topic: "ticker:C", recovered: true });
  });

  it("last N beyond one replay page: the oldest of the last N first, all N once, in order", async () => {
    const s = await start({ topics: [{ match: "long", size: 5000 }] });
    for (let i = 1; i <= 2000; i++) s.server.publish("long", `p${i}`);
    const c = await client(s.url);
    const sub = await c.subscribe("long", { recover: true, last: 1200 });
    const got = collect(sub);
    await until(() => got.length >= 1200, "1200", 10_000);
    await delay(30);
    assert.deepEqual(got, Array.from({ length: 1200 }, (_, i) => `p${i + 801}`));
  });

  it("asking for more than the history holds gives what it holds; an old position is refused as trimmed", async () => {
    const s = await start({ topics: [{ match: "small", size: 5 }] });
    for (let i = 1; i <= 12; i++) s.server.publish("small", `p${i}`);
    const c = await client(s.url);
    const sub = await c.subscribe("small", { recover: true, last: 100 });
    const got = collect(sub);
    await until(() => got.length === 5, "five");
    assert.deepEqual(got, ["p8", "p9", "p10", "p11", "p12"]);
    const epoch = sub.position!.epoch;
    await sub.unsubscribe();
    const old = await c.subscribe("small", { recover: true, since: { epoch, offset: 2 } });
    assert.deepEqual(old.recovery, { topic: "small", recovered: false, reason: "trimmed" });
    assert.deepEqual(old.position, { epoch, offset: 12 }, "live from the top");
    await old.unsubscribe();
    const other = await c.subscribe("small", { recover: true, since: { epoch: "another", offset: 2 } });
    assert.deepEqual(other.recovery, { topic: "small", recovered: false, reason: "epoch changed" });
    await other.unsubscribe();
    const ahead = await c.subscribe("small", { recover: true, since: { epoch, offset: 99 } });
    assert.deepEqual(ahead.recovery, { topic: "small", recovered: false, reason: "unknown position" });
    assert.ok(s.server.stats.recoveryFailures >= 3);
  });

  it("a topic without history: live only, and a client that asked to recover is told it cannot", async () => {
    const s = await start({ topics: RULES });
    const c = await client(s.url);
    const sub = await c.subscribe("chat", { recover: true, since: { epoch: "x", offset: 1 } });
    assert.deepEqual(sub.recovery, { topic: "chat", recovered: false, reason: "not recoverable" });
    const got = collect(sub);
    s.server.publish("chat", "live");
    await until(() => got.length === 1, "live");
    assert.equal(sub.position, undefined);
  });

  it("a restarted server (new memory store) is a new epoch: the client is told recovered: false", async () => {
    const s = await start({ topics: RULES });
    const port = s.server.port;
    const c = await client(s.url, { channels: true, reconnect: { minDelay: 50, maxDelay: 100 } });
    const sub = await c.subscribe("ticker:R", { recover: true });
    const got = collect(sub);
    const events = recoveries(sub);
    s.server.publish("ticker:R", "before");
    await until(() => got.length === 1, "before");
    await s.server.shutdown({ timeout: 500 });
    const again = serve({ port, hostname: "127.0.0.1", channels: { authorize: () => true, history: { topics: RULES } } });
    cleanups.push(() => again.shutdown({ timeout: 500 }));
    await until(() => events.length === 1, "the recovery outcome", 10_000);
    assert.deepEqual(events, [{ topic: "ticker:R", recovered: false, reason: "epoch changed" }]);
    again.publish("ticker:R", "after");
    await until(() => got.length === 2, "after");
    assert.deepEqual(got, ["before", "after"]);
  });

  it("publishes are acknowledged with their positions, in each publisher's order; server.publishWithAck too", async () => {
    const s = await start({ topics: RULES });
    const c = await client(s.url);
    const sub = await c.subscribe("ticker:P", { recover: true });
    const got = collect(sub);
    const positions = await Promise.all([sub.publish("a"), sub.publish("b"), sub.publishJson({ c: 3 })]);
    assert.deepEqual(positions.map((p) => p?.offset), [1, 2, 3]);
    const fromServer = await s.server.publishWithAck("ticker:P", "d");
    assert.deepEqual(fromServer, { epoch: positions[0]!.epoch, offset: 4 });
    assert.equal(await s.server.publishWithAck("plain", "x"), undefined, "a topic without history: no position");
    await until(() => got.length === 4, "four");
    assert.deepEqual(got, ["a", "b", '{"c":3}', "d"]);
  });

  it("a store that fails: the publisher is told (PublishError unavailable), nothing is delivered; a recovery says store unavailable", async () => {
    let broken = false;
    const inner = new MemoryHistory();
    const store = {
      shared: false,
      append: (topic: string, data: string | Uint8Array, policy: { size: number; ttl: number }) => {
        if (broken) throw new Error("disk on fire");
        return inner.append(topic, data, policy);
      },
      read: (topic: string, query: Parameters<MemoryHistory["read"]>[1], policy: { size: number; ttl: number }) => {
        if (broken) return Promise.reject(new Error("disk on fire"));
        return inner.read(topic, query, policy);
      },
      close: () => inner.close(),
    };
    const errors: unknown[] = [];
    const s = await start({ store, topics: RULES }, { error: (_socket, err) => void errors.push(err) });
    const c = await client(s.url);
    const sub = await c.subscribe("ticker:F", { recover: true });
    const got = collect(sub);
    await sub.publish("ok");
    broken = true;
    await assert.rejects(sub.publish("lost"), (err: unknown) => err instanceof PublishError && err.kind === "unavailable");
    await assert.rejects(
      s.server.publishWithAck("ticker:F", "lost too"),
      (err: unknown) => err instanceof PublishError && err.kind === "unavailable",
    );
    const again = await c.subscribe("ticker:G", { recover: true, since: { epoch: "e", offset: 1 } });
    assert.deepEqual(again.recovery, { topic: "ticker:G", recovered: false, reason: "store unavailable" });
    await delay(50);
    assert.deepEqual(got, ["ok"]);
    assert.ok(s.server.stats.historyStoreErrors >= 3);
    assert.ok(errors.length >= 2, "the error handler heard of it");
  });

  it("history memory is bounded by size and shown in stats", async () => {
    const s = await start({ topics: [{ match: "t:*", size: 10 }] });
    for (let t = 0; t < 3; t++) for (let i = 0; i < 50; i++) s.server.publish(`t:${t}`, "x".repeat(100));
    assert.equal(s.server.stats.historyPublications, 30);
    assert.ok(s.server.stats.historyBytes >= 30 * 100 && s.server.stats.historyBytes < 30 * 1000, String(s.server.stats.historyBytes));
    s.server.publish("other", "no history");
    assert.equal(s.server.stats.historyPublications, 30);
  });
});

describe("recovery under load", () => {
  it("replaying 100,000 publications to a peer that stops reading keeps the server's memory bounded; all arrive once, in order", async () => {
    const N = 100_000;
    const s = await start({ topics: [{ match: "big", size: N }] });
    const payload = "y".repeat(100);
    let epoch = "";
    for (let i = 1; i <= N; i++) epoch = (await s.server.publishWithAck("big", `${i}:${payload}`))!.epoch;
    const rss = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync("/proc/self/status", "utf8"))![1]) * 1024;
    const peer = await rawConnect(s.server.port, { "Sec-WebSocket-Protocol": "fullduplex.channels.v1" });
    cleanups.push(() => peer.destroy());
    assert.equal(peer.status, 101);
    peer.pause();
    peer.sendFrame(1, "c" + JSON.stringify({ t: "sub", id: 1, topic: "big", recover: true, since: { epoch, offset: 0 } }));
    await delay(300);
    const before = rss();
    await delay(700);
    const grown = rss() - before;
    // The replay waits for the peer: a page and the kernel's buffers, not the gap (the gap is ~16 MiB of frames).
    // (The bound leaves room for a busy machine's GC timing; sending the whole gap would take ~13 MiB of frames on Bun, far more on Deno.)
    assert.ok(grown < 12 * 1024 * 1024, `memory grew ${(grown / 1048576).toFixed(1)} MiB while the peer read nothing`);
    // It waits for the peer a page at a time; loopback's kernel buffers (several MiB, not the process's memory) take some pages.
    assert.ok(s.server.stats.historyReplayed < N, `replayed ${s.server.stats.historyReplayed} while the peer read nothing`);
    peer.resume();
    let next = 1;
    let bad = 0;
    const decoder = new TextDecoder();
    const deadline = Date.now() + 60_000;
    while (next <= N && Date.now() < deadline) {
      await delay(20);
      for (const frame of peer.frames.splice(0)) {
        const text = decoder.decode(frame.payload);
        if (!text.startsWith('c{"t":"msg"')) continue;
        const msg = JSON.parse(text.slice(1)) as { data: string; offset: number };
        if (msg.offset !== next || !msg.data.startsWith(`${next}:`)) bad++;
        next = msg.offset + 1;
      }
    }
    assert.equal(next, N + 1, "every publication arrived");
    assert.equal(bad, 0, "in order, none twice, none missing");
  });
});
