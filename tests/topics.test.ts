/**
 * Topics on one server, the same on Deno (fan-out in the library) and Bun
 * (uWS native topics): delivery, exclusion of the sender, unsubscribe and
 * close, order per publisher, text/binary/JSON payloads, brokers shared by
 * servers in one process, mounted endpoints, slow subscribers.
 */

import { afterEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { connect as tcpConnect } from "node:net";
import { connect, MemoryBroker } from "../mod.ts";
import { createServer } from "node:http";
import { createHandler, serve, TEST_ENGINE } from "./helpers/engine.ts";
import type { Server, WebSocketEndpoint } from "../mod.ts";
import { relayHandlers } from "./fixtures/topic_relay.ts";
import { recorder } from "./helpers/topics.ts";
import type { Recorder } from "./helpers/topics.ts";
import { RUNTIME, until } from "./helpers/runtime.ts";

const servers: Server[] = [];
const recorders: Recorder[] = [];
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const r of recorders.splice(0)) if (r.client.readyState < 2) await r.client.close().catch(() => {});
  for (const s of servers.splice(0)) await s.shutdown({ timeout: 1000 });
  for (const c of cleanups.splice(0)) await c();
});

/** A relay server on 127.0.0.1:0. */
function relayServer(broker?: MemoryBroker): Server {
  const server: Server = serve({ ...relayHandlers(() => server), hostname: "127.0.0.1", port: 0, broker });
  servers.push(server);
  return server;
}

async function rec(server: Server | string, subs: string[] = []): Promise<Recorder> {
  if (typeof server !== "string") await server.ready; // the ws engine knows its port once listening
  const url = typeof server === "string" ? server : `ws://127.0.0.1:${server.port}`;
  const r = await recorder(url, subs);
  recorders.push(r);
  return r;
}

describe("topics on one server", () => {
  it("server.publish reaches every subscriber and only them", async () => {
    const s = relayServer();
    const [a, b, c] = [await rec(s, ["room"]), await rec(s, ["room", "other"]), await rec(s, ["room"])];
    const outsider = await rec(s, ["other"]);
    assert.equal(s.subscriberCount("room"), 3);
    assert.equal(s.subscriberCount("other"), 2);
    assert.equal(s.subscriberCount("nobody"), 0);
    assert.equal(s.publish("room", "hello"), 3);
    assert.equal(s.publish("nobody", "lost"), 0);
    for (const r of [a, b, c]) await r.waitFor("t:hello");
    s.publish("other", "other news");
    await outsider.waitFor("t:other news");
    await b.waitFor("t:other news");
    assert.deepEqual(outsider.received, ["t:other news"], "a non-subscriber gets nothing");
    assert.deepEqual(a.received, ["t:hello"]);
    assert.deepEqual(b.received, ["t:hello", "t:other news"]);
  });

  it("socket.publish skips the sender unless includeSelf", async () => {
    const s = relayServer();
    const [a, b] = [await rec(s, ["room"]), await rec(s, ["room"])];
    a.send("pub room from-a");
    await b.waitFor("t:from-a");
    a.send("self room from-a-too");
    await a.waitFor("t:from-a-too");
    await b.waitFor("t:from-a-too");
    assert.deepEqual(a.received, ["t:from-a-too"], "the sender got only the includeSelf message");
    assert.deepEqual(b.received, ["t:from-a", "t:from-a-too"]);
  });

  it("unsubscribed and closed sockets get nothing; socket.topics follows", async () => {
    const s = relayServer();
    const [a, b, c] = [await rec(s, ["room", "x"]), await rec(s, ["room"]), await rec(s, ["room"])];
    a.send("topics");
    await a.waitFor('t:["room","x"]');
    b.send("unsub room");
    await b.waitFor("t:unsubscribed room");
    b.send("topics");
    await b.waitFor("t:[]");
    await c.client.close();
    await until(() => s.subscriberCount("room") === 1, `room down to 1 subscriber (${s.subscriberCount("room")})`);
    assert.equal(s.subscriberCount("x"), 1);
    assert.equal(s.publish("room", "after"), 1);
    await a.waitFor("t:after");
    // Whatever b gets next comes after the publish: if it were still subscribed, "t:after" would be first.
    b.send("count room");
    await b.waitFor("t:count 1");
    assert.deepEqual(b.received, ["t:unsubscribed room", "t:[]", "t:count 1"]);
    await a.client.close();
    await until(() => s.subscriberCount("x") === 0 && s.subscriberCount("room") === 0, "subscriptions to end with the connection");
  });

  it("a closing socket cannot subscribe, and its topics are still readable in close", async () => {
    const seen: string[][] = [];
    const server: Server = serve({
      hostname: "127.0.0.1",
      port: 0,
      open: (socket) => socket.subscribe("a"),
      close(socket) {
        seen.push([...socket.topics]);
        socket.subscribe("late");
      },
    });
    servers.push(server);
    await server.ready;
    const c = await connect(`ws://127.0.0.1:${server.port}`);
    await until(() => server.subscriberCount("a") === 1, "the subscription");
    await c.close();
    await until(() => seen.length === 1, "the close handler");
    assert.deepEqual(seen, [["a"]]);
    assert.equal(server.subscriberCount("late"), 0);
    assert.equal(server.subscriberCount("a"), 0);
  });

  it("keeps each publisher's order (200 numbered messages, socket and server)", async () => {
    const s = relayServer();
    const subs = [await rec(s, ["seq"]), await rec(s, ["seq"]), await rec(s, ["seq"])];
    const publisher = await rec(s, []);
    publisher.send("burst seq 200");
    const expected = Array.from({ length: 200 }, (_, i) => `t:${i}`);
    for (const r of subs) {
      await r.waitCount(200);
      assert.deepEqual(r.received, expected);
    }
    for (let i = 0; i < 200; i++) s.publish("seq", `s${i}`);
    for (const r of subs) {
      await r.waitCount(400);
      assert.deepEqual(r.received.slice(200), expected.map((e) => e.replace("t:", "t:s")));
    }
  });

  it("publishes text, binary (Uint8Array and ArrayBuffer) and JSON", async () => {
    const s = relayServer();
    const [a, b] = [await rec(s, ["mix"]), await rec(s, ["mix"])];
    a.send("bin mix 0001ff7f");
    a.send("json mix héllo \u{1f600}");
    a.send("pub mix plain");
    a.send("sbin mix deadbeef");
    await b.waitCount(4);
    assert.deepEqual(b.received, ["b:0001ff7f", `t:{"text":"héllo \u{1f600}"}`, "t:plain", "b:deadbeef"]);
    assert.equal(s.publishJson("mix", { n: 1 }), 2);
    await a.waitFor('t:{"n":1}');
    assert.throws(() => s.publish("mix", { n: 1 } as unknown as string), TypeError);
    assert.throws(() => s.publishJson("mix", undefined), TypeError);
    assert.throws(() => s.publish("", "x"), TypeError);
  });

  it("one slow subscriber does not stall the others", async () => {
    const s = relayServer();
    const fast = await rec(s, ["feed"]);
    // A raw peer that subscribes and then never reads: its bytes pile up in the server.
    const slow = tcpConnect(s.port, "127.0.0.1");
    cleanups.push(() => void slow.destroy());
    slow.write(
      "GET /?sub=feed HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
    );
    await until(() => s.subscriberCount("feed") === 2, "the slow peer to subscribe");
    slow.pause();
    const chunk = "x".repeat(64 * 1024);
    for (let i = 0; i < 64; i++) s.publish("feed", `${i} ${chunk}`); // 4 MiB, far beyond socket buffers
    await fast.waitCount(64, 20_000);
    assert.deepEqual(fast.received.map((m) => m.slice(0, m.indexOf(" "))), Array.from({ length: 64 }, (_, i) => `t:${i}`));
    slow.destroy();
  });
});

describe("topics across servers in one process (MemoryBroker)", () => {
  it("reaches subscribers on every server exactly once", async () => {
    const broker = new MemoryBroker();
    cleanups.push(() => broker.close());
    const [s1, s2] = [relayServer(broker), relayServer(broker)];
    const [a1, a2, b1] = [await rec(s1, ["room"]), await rec(s1, ["room"]), await rec(s2, ["room"])];
    a1.send("pub room one"); // a2 directly, b1 through the broker; a1 is the sender
    await a2.waitFor("t:one");
    await b1.waitFor("t:one");
    s2.publish("room", "two"); // everyone
    for (const r of [a1, a2, b1]) await r.waitFor("t:two");
    b1.send("bin room 00ff");
    for (const r of [a1, a2]) await r.waitFor("b:00ff");
    s1.publish("room", "end");
    for (const r of [a1, a2, b1]) await r.waitFor("t:end");
    assert.deepEqual(a1.received, ["t:two", "b:00ff", "t:end"]);
    assert.deepEqual(a2.received, ["t:one", "t:two", "b:00ff", "t:end"]);
    assert.deepEqual(b1.received, ["t:one", "t:two", "t:end"]);
    assert.equal(s1.subscriberCount("room"), 2, "subscriberCount is local");
  });

  it("subscribes the broker on the first local subscriber and unsubscribes after the last", async () => {
    const calls: string[] = [];
    const inner = new MemoryBroker();
    const broker = {
      publish: inner.publish.bind(inner),
      subscribe: (t: string, l: Parameters<MemoryBroker["subscribe"]>[1]) => (calls.push(`sub ${t}`), inner.subscribe(t, l)),
      unsubscribe: (t: string, l: Parameters<MemoryBroker["subscribe"]>[1]) => (calls.push(`unsub ${t}`), inner.unsubscribe(t, l)),
      close: () => inner.close(),
    };
    const server: Server = serve({ ...relayHandlers(() => server), hostname: "127.0.0.1", port: 0, broker });
    servers.push(server);
    const a = await rec(server, ["t1"]);
    const b = await rec(server, ["t1", "t2"]);
    assert.deepEqual(calls, ["sub t1", "sub t2"]);
    await a.client.close();
    await until(() => server.subscriberCount("t1") === 1, "a to leave");
    assert.deepEqual(calls, ["sub t1", "sub t2"]);
    b.send("unsub t1");
    await b.waitFor("t:unsubscribed t1");
    assert.deepEqual(calls, ["sub t1", "sub t2", "unsub t1"]);
    await b.client.close();
    await until(() => calls.length === 4, "t2 to be unsubscribed");
    assert.deepEqual(calls, ["sub t1", "sub t2", "unsub t1", "unsub t2"]);
  });
});

describe("topics on a mounted endpoint (createHandler)", () => {
  it("endpoint.publish reaches its subscribers", async () => {
    const ws: WebSocketEndpoint<{ subs: string[] }> = createHandler(relayHandlers(() => ws));
    let port: number;
    if (TEST_ENGINE === "ws") {
      const srv = createServer((_req, res) => res.end("app"));
      srv.on("upgrade", (req, socket, head) => ws.handleNodeUpgrade(req, socket, head));
      await new Promise<void>((resolve) => srv.listen(0, "127.0.0.1", resolve));
      port = (srv.address() as { port: number }).port;
      cleanups.push(async () => {
        await ws.shutdown({ timeout: 1000 });
        await new Promise((resolve) => (srv.close(resolve), srv.closeAllConnections()));
      });
    } else if (RUNTIME === "deno") {
      const deno = (globalThis as unknown as {
        Deno: {
          serve(
            o: object,
            h: (req: Request, info: unknown) => Response | Promise<Response>,
          ): { addr: { port: number }; shutdown(): Promise<void> };
        };
      }).Deno;
      const srv = deno.serve(
        { hostname: "127.0.0.1", port: 0, onListen() {} },
        (req, info) => ws.handleUpgrade(req, info as never) ?? new Response("app"),
      );
      port = srv.addr.port;
      cleanups.push(async () => {
        await ws.shutdown({ timeout: 1000 });
        await srv.shutdown();
      });
    } else {
      const bun = (globalThis as unknown as { Bun: { serve(o: object): { port: number; stop(force: boolean): Promise<void> } } }).Bun;
      const srv = bun.serve({
        hostname: "127.0.0.1",
        port: 0,
        fetch: (req: Request, s: never) => ws.upgrade(req, s),
        websocket: ws.websocket,
      });
      port = srv.port;
      cleanups.push(async () => {
        await ws.shutdown({ timeout: 1000 });
        await srv.stop(true);
      });
    }
    const url = `ws://127.0.0.1:${port}`;
    const [a, b] = [await rec(url, ["room"]), await rec(url, ["room"])];
    assert.equal(ws.subscriberCount("room"), 2);
    assert.equal(ws.publish("room", new Uint8Array([1, 2])), 2);
    a.send("pub room hi");
    await b.waitFor("t:hi");
    for (const r of [a, b]) await r.waitFor("b:0102");
    assert.deepEqual(a.received, ["b:0102"]);
  });
});
