/**
 * server.metrics() / endpoint.metrics(): Prometheus text format 0.0.4,
 * read back with a real parser from npm (tests/helpers/prometheus.ts), on
 * real servers and sockets. Every figure is checked against `stats`, the
 * engine's own counts, or what the test itself did.
 */

import { afterEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { connect } from "../mod.ts";
import { createServer } from "node:http";
import { createHandler, serve, TEST_ENGINE } from "./helpers/engine.ts";
import { DEFAULT_METRICS_TOPICS } from "../src/server/metrics.ts";
import type { Client, Server, Socket, WebSocketEndpoint } from "../mod.ts";
import { rawConnect } from "./helpers/raw.ts";
import type { RawPeer } from "./helpers/raw.ts";
import { delay, RUNTIME, until } from "./helpers/runtime.ts";
import { nextMessage } from "./helpers/server.ts";
import { familyOf, histogramOf, parseExposition, valueOf } from "./helpers/prometheus.ts";
import type { Family } from "./helpers/prometheus.ts";

const CONTENT_TYPE = "text/plain; version=0.0.4";
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/**
 * The test's protocol: `sub ["a","b"]` subscribes to topics, anything else
 * is counted; every message gets "ack" so the client knows it arrived.
 */
function onMessage(socket: Socket<unknown>, text: string | undefined): void {
  if (text !== undefined && text.startsWith("sub ")) {
    for (const topic of JSON.parse(text.slice(4)) as string[]) socket.subscribe(topic);
  }
  socket.send("ack");
}

/** Sends one message and waits for its ack; records its size (ASCII text: length = bytes). */
async function sendCounted(client: Client, data: string | Uint8Array, sizes: number[]): Promise<void> {
  client.send(data);
  sizes.push(typeof data === "string" ? data.length : data.byteLength);
  const reply = await nextMessage(client);
  assert.equal(reply.text(), "ack");
}

/** `refusedMaxConnections` → `fullduplex_refused_max_connections_total`: the documented naming, derived here. */
function counterName(stat: string): string {
  return `fullduplex_${stat.replace(/[A-Z]/g, (c) => "_" + c.toLowerCase())}_total`;
}

/** The topics a server should list: most subscribers first, ties by name. */
function expectedTop(counts: Map<string, number>, n: number): [string, number][] {
  return [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, n);
}

function topicSeries(families: Map<string, Family>): [string, number][] {
  return familyOf(families, "fullduplex_topic_subscribers", "gauge").metrics.map((m) => [m.labels!.topic, Number(m.value)]);
}

describe("metrics()", () => {
  it("counters, gauges and histograms match stats and what happened; /metrics recipe serves them", async () => {
    let closes = 0;
    // The README recipe: `fetch` runs only after serve() returned, so it may read `server`.
    const server: Server = serve({
      hostname: "127.0.0.1",
      port: 0,
      maxConnections: 3,
      origins: ["https://app.example"],
      message: (socket, msg) => onMessage(socket, msg.kind === "text" ? msg.text() : undefined),
      close: () => void closes++,
      fetch: (req) =>
        new URL(req.url).pathname === "/metrics"
          ? new Response(server.metrics(), { headers: { "content-type": "text/plain; version=0.0.4" } })
          : new Response("not found", { status: 404 }),
    });
    await server.ready;
    cleanups.push(() => server.shutdown({ timeout: 1000 }));
    const url = `ws://127.0.0.1:${server.port}`;
    const sizes: number[] = [];

    // Topics: a on 15 plus one whose name needs escaping, b on 5, c on 2 (c closes later).
    const odd = 'odd "name" \\ with\nnewline';
    const many = Array.from({ length: 15 }, (_, i) => `t${String(i).padStart(2, "0")}`);
    const plan: [string[], Client][] = [];
    const started = performance.now(); // before c connects
    for (const topics of [[...many, odd], many.slice(0, 5), ["t00", "c-only"]]) {
      const client = await connect(url, { timeout: 5000 });
      cleanups.push(() => client.close());
      await sendCounted(client, `sub ${JSON.stringify(topics)}`, sizes);
      plan.push([topics, client]);
    }
    const [[, a], , [, c]] = plan;

    // Messages of sizes on and around the buckets' bounds (64 B × 4^k), text and binary.
    for (const n of [0, 1, 64, 65, 256, 257, 4000]) await sendCounted(a, "x".repeat(n), sizes);
    for (const n of [1024, 1025, 70_000, 300_000]) await sendCounted(a, new Uint8Array(n), sizes);

    // Two refused upgrades: a foreign browser origin (403) and one over maxConnections (503).
    const peers: RawPeer[] = [await rawConnect(server.port, { Origin: "https://evil.example" }), await rawConnect(server.port)];
    for (const p of peers) cleanups.push(() => p.destroy());
    assert.deepEqual(peers.map((p) => p.status), [403, 503]);

    // One connection ends: its duration is in the histogram, its subscriptions leave the gauges.
    await c.close();
    await until(() => closes === 1, "the close handler");
    const elapsed = (performance.now() - started) / 1000;

    const text = server.metrics();
    const stats = server.stats;
    const families = parseExposition(text);

    // Every stats counter, under its documented name.
    // connections, pendingUpgrades, lingering and the history store's holdings are gauges, not counters.
    const gauges = new Set(["connections", "pendingUpgrades", "lingering", "historyPublications", "historyBytes"]);
    const counters = Object.keys(stats).filter((k) => !gauges.has(k));
    assert.ok(counters.length >= 10);
    for (const stat of counters) {
      assert.equal(valueOf(families, counterName(stat), "counter"), stats[stat as keyof typeof stats], stat);
    }
    const counterFamilies = [...families.values()].filter((f) => f.type === "COUNTER").map((f) => f.name);
    assert.deepEqual(counterFamilies.sort(), counters.map(counterName).sort(), "no counter without a stat");
    assert.ok(counterFamilies.every((n) => n.endsWith("_total")));
    assert.equal(stats.refusedOrigin, 1);
    assert.equal(stats.refusedMaxConnections, 1);

    assert.equal(valueOf(families, "fullduplex_connections", "gauge"), 2);
    assert.equal(valueOf(families, "fullduplex_connections", "gauge"), stats.connections);
    assert.equal(valueOf(families, "fullduplex_history_publications", "gauge"), stats.historyPublications);
    assert.equal(valueOf(families, "fullduplex_history_bytes", "gauge"), stats.historyBytes);
    assert.equal(valueOf(families, "fullduplex_pending_upgrades", "gauge"), stats.pendingUpgrades);
    assert.equal(valueOf(families, "fullduplex_lingering", "gauge"), stats.lingering);
    assert.equal(valueOf(families, "fullduplex_queued_bytes", "gauge"), 0, "every peer reads");

    // Topics: bounded to the default N, busiest first, the rest summed; counts as the engine has them.
    const counts = new Map<string, number>();
    for (const [topics] of plan.slice(0, 2)) for (const t of topics) counts.set(t, (counts.get(t) ?? 0) + 1);
    const top = topicSeries(families);
    assert.equal(DEFAULT_METRICS_TOPICS, 10);
    assert.equal(top.length, DEFAULT_METRICS_TOPICS);
    assert.deepEqual(top, expectedTop(counts, DEFAULT_METRICS_TOPICS));
    assert.ok(top.some(([t]) => t === odd), "a label value with quote, backslash and newline reads back whole");
    for (const [topic, n] of top) assert.equal(n, server.subscriberCount(topic), topic);
    const total = [...counts.values()].reduce((x, y) => x + y, 0);
    const listed = top.reduce((x, [, n]) => x + n, 0);
    assert.equal(valueOf(families, "fullduplex_other_topics_subscribers", "gauge"), total - listed);
    assert.equal(valueOf(families, "fullduplex_subscriptions", "gauge"), total);
    assert.equal(valueOf(families, "fullduplex_topics", "gauge"), counts.size);
    assert.equal(server.subscriberCount("c-only"), 0);

    // Message sizes: every message the server took, each in the right bucket.
    const msgs = histogramOf(families, "fullduplex_received_message_bytes");
    assert.equal(msgs.count, sizes.length);
    assert.equal(msgs.sum, sizes.reduce((x, y) => x + y, 0));
    assert.deepEqual(msgs.buckets.map(([le]) => le), [...Array.from({ length: 10 }, (_, k) => 64 * 4 ** k), Infinity]);
    for (const [le, n] of msgs.buckets) assert.equal(n, sizes.filter((s) => s <= le).length, `le=${le}`);

    // Connection durations: one closed connection, which lived less than the test so far.
    const durations = histogramOf(families, "fullduplex_connection_duration_seconds");
    assert.equal(durations.count, 1);
    assert.ok(durations.sum > 0 && durations.sum <= elapsed, `${durations.sum} s: a duration in seconds, within the test's ${elapsed} s`);
    for (const [le, n] of durations.buckets) assert.equal(n, durations.sum <= le ? 1 : 0, `le=${le}`);

    // The /metrics recipe serves the same text with the format's content type.
    const res = await fetch(`http://127.0.0.1:${server.port}/metrics`);
    assert.equal(res.headers.get("content-type"), CONTENT_TYPE);
    assert.equal(await res.text(), server.metrics());
    assert.equal(await fetch(`http://127.0.0.1:${server.port}/other`).then(async (r) => (await r.body?.cancel(), r.status)), 404);
  });

  it("metrics({ topics }) bounds the topic series; a bad value is a RangeError", async () => {
    const server = serve({ hostname: "127.0.0.1", port: 0, message: (socket, msg) => onMessage(socket, msg.text()) });
    await server.ready;
    cleanups.push(() => server.shutdown({ timeout: 1000 }));
    const topics = Array.from({ length: 40 }, (_, i) => `room-${i}`);
    const counts = new Map<string, number>(topics.map((t) => [t, 0]));
    for (let k = 0; k < 3; k++) {
      const client = await connect(`ws://127.0.0.1:${server.port}`, { timeout: 5000 });
      cleanups.push(() => client.close());
      const mine = topics.filter((_, i) => i % (k + 1) === 0); // room-0 on 3, even rooms on 2, …
      await sendCounted(client, `sub ${JSON.stringify(mine)}`, []);
      for (const t of mine) counts.set(t, counts.get(t)! + 1);
    }
    for (const [t, n] of counts) if (n === 0) counts.delete(t);
    const total = [...counts.values()].reduce((x, y) => x + y, 0);
    for (const n of [0, 1, 7, DEFAULT_METRICS_TOPICS, 1000]) {
      const families = parseExposition(server.metrics({ topics: n }));
      const top = topicSeries(families);
      assert.equal(top.length, Math.min(n, counts.size), `topics: ${n}`);
      assert.deepEqual(top, expectedTop(counts, n));
      const other = valueOf(families, "fullduplex_other_topics_subscribers", "gauge");
      assert.equal(other + top.reduce((x, [, v]) => x + v, 0), total, `topics: ${n}`);
      assert.equal(valueOf(families, "fullduplex_topics", "gauge"), counts.size);
    }
    assert.equal(topicSeries(parseExposition(server.metrics())).length, DEFAULT_METRICS_TOPICS);
    for (const bad of [-1, 1.5, Number.NaN, "3" as unknown as number]) {
      assert.throws(() => server.metrics({ topics: bad }), RangeError);
    }
  });

  it("queued bytes: the sum of bufferedAmount over open connections", async () => {
    let socket: Socket<unknown> | undefined;
    const server = serve({ hostname: "127.0.0.1", port: 0, open: (s) => void (socket = s) });
    await server.ready;
    cleanups.push(() => server.shutdown({ timeout: 1000 }));
    const peer = await rawConnect(server.port);
    cleanups.push(() => peer.destroy());
    peer.pause(); // a peer that stops reading: the kernel buffers fill, then the server's
    await until(() => socket !== undefined, "open");
    const chunk = new Uint8Array(256 * 1024);
    for (let i = 0; i < 200 && socket!.bufferedAmount === 0; i++) {
      socket!.send(chunk);
      await delay(5);
    }
    assert.ok(socket!.bufferedAmount > 0, "the server has bytes queued for the peer");
    // Read together, in one turn of the event loop: nothing is written in between.
    const text = server.metrics();
    const buffered = socket!.bufferedAmount;
    assert.equal(valueOf(parseExposition(text), "fullduplex_queued_bytes", "gauge"), buffered);
  });

  it("createHandler: endpoint.metrics() served next to the endpoint (the JSDoc recipe)", async () => {
    const ws: WebSocketEndpoint = createHandler({ message: (socket, msg) => onMessage(socket, msg.text()) });
    const route = (req: Request, upgrade: () => Promise<Response | undefined> | Response | undefined) =>
      new URL(req.url).pathname === "/metrics"
        ? new Response(ws.metrics(), { headers: { "content-type": "text/plain; version=0.0.4" } })
        : upgrade();
    let port: number;
    if (TEST_ENGINE === "ws") {
      // The ws engine mounts in a node:http server: plain requests there, upgrades through handleNodeUpgrade.
      const srv = createServer((req, res) => {
        if (req.url === "/metrics") res.writeHead(200, { "content-type": CONTENT_TYPE }).end(ws.metrics());
        else res.end("app");
      });
      srv.on("upgrade", (req, socket, head) => ws.handleNodeUpgrade(req, socket, head));
      await new Promise<void>((resolve) => srv.listen(0, "127.0.0.1", resolve));
      port = (srv.address() as { port: number }).port;
      cleanups.push(() => new Promise((resolve) => (srv.close(resolve), srv.closeAllConnections())));
    } else if (RUNTIME === "deno") {
      type DenoServe = (o: object, h: (req: Request, info: unknown) => Response | Promise<Response>) => {
        addr: { port: number };
        shutdown(): Promise<void>;
      };
      const deno = (globalThis as unknown as { Deno: { serve: DenoServe } }).Deno;
      const srv = deno.serve(
        { hostname: "127.0.0.1", port: 0, onListen() {} },
        (req, info) => route(req, () => ws.handleUpgrade(req, info as never) ?? new Response("app")) as Response,
      );
      port = srv.addr.port;
      cleanups.push(() => srv.shutdown());
    } else {
      type BunServe = (o: object) => { port: number; stop(force: boolean): Promise<void> };
      const bun = (globalThis as unknown as { Bun: { serve: BunServe } }).Bun;
      const srv = bun.serve({
        hostname: "127.0.0.1",
        port: 0,
        fetch: (req: Request, s: never) => route(req, () => ws.upgrade(req, s)),
        websocket: ws.websocket,
      });
      port = srv.port;
      cleanups.push(() => srv.stop(true));
    }
    cleanups.push(() => ws.shutdown({ timeout: 1000 }));
    const client = await connect(`ws://127.0.0.1:${port}`, { timeout: 5000 });
    cleanups.push(() => client.close());
    const sizes: number[] = [];
    await sendCounted(client, 'sub ["news"]', sizes);
    await sendCounted(client, new Uint8Array(5000), sizes);

    const res = await fetch(`http://127.0.0.1:${port}/metrics`);
    assert.equal(res.headers.get("content-type"), CONTENT_TYPE);
    const families = parseExposition(await res.text());
    assert.equal(valueOf(families, "fullduplex_connections", "gauge"), ws.connections);
    assert.equal(ws.connections, 1);
    assert.deepEqual(topicSeries(families), [["news", 1]]);
    const msgs = histogramOf(families, "fullduplex_received_message_bytes");
    assert.equal(msgs.count, 2);
    assert.equal(msgs.sum, sizes[0] + sizes[1]);
    assert.equal(valueOf(families, "fullduplex_refused_origin_total", "counter"), ws.stats.refusedOrigin);
  });
});
