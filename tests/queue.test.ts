/**
 * The offline queue and client backpressure: bounded by count and bytes,
 * a full queue throws (or drops the oldest with a report), requests wait in
 * the queue, `bufferedAmount` counts queued bytes and `drained()` resolves
 * once everything went out.
 */

import { afterEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { connect, InvalidStateError, QueueFullError } from "../mod.ts";
import type { Client } from "../mod.ts";
import type { DropEvent } from "../src/client/mod.ts";
import { OfflineQueue, resolveQueue } from "../src/client/queue.ts";
import { RUNTIME, spawnScript, until } from "./helpers/runtime.ts";
import type { Spawned } from "./helpers/runtime.ts";
import { startServer } from "./helpers/server.ts";

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

/** A client connected to a test server that is then shut down, so it waits to reconnect. */
async function offlineClient(options: Parameters<typeof connect>[1] = {}): Promise<{ c: Client; port: number }> {
  const ts = await startServer();
  const c = await connect(ts.url, { reconnect: { minDelay: 20, maxDelay: 50 }, ...options });
  cleanups.push(() => c.close());
  await ts.stop();
  await until(() => c.readyState === 0, "the client to wait to reconnect");
  return { c, port: ts.port };
}

function startCounting(port: number): Spawned {
  const s = spawnScript(RUNTIME, "tests/fixtures/counting_server.ts", [String(port)]);
  cleanups.push(async () => {
    s.kill();
    await s.exited().catch(() => {});
  });
  return s;
}

describe("OfflineQueue", () => {
  it("is bounded by count and by bytes, and hands messages out in order once", () => {
    const q = new OfflineQueue(resolveQueue({ maxMessages: 3, maxBytes: 10 })!);
    q.push("ab");
    q.push(new Uint8Array([1, 2, 3]));
    assert.equal(q.bytes, 5);
    assert.throws(() => q.push("0123456"), QueueFullError, "bytes");
    q.push("é"); // 2 UTF-8 bytes
    assert.throws(() => q.push("x"), /queue is full \(3 messages, 7 bytes/);
    assert.throws(() => q.push("x".repeat(11)), /larger than queue\.maxBytes/);
    assert.deepEqual(q.takeAll().map((m) => m.data), ["ab", new Uint8Array([1, 2, 3]), "é"]);
    assert.equal(q.length, 0);
    assert.equal(q.bytes, 0);
  });

  it("drop-oldest makes room and returns what it dropped", () => {
    const q = new OfflineQueue(resolveQueue({ maxMessages: 2, whenFull: "drop-oldest" })!);
    assert.deepEqual(q.push("a"), []);
    assert.deepEqual(q.push("b"), []);
    assert.deepEqual(q.push("c").map((m) => m.data), ["a"]);
    assert.deepEqual(q.takeAll().map((m) => m.data), ["b", "c"]);
  });

  it("copies binary data, so the caller may reuse its buffer", () => {
    const q = new OfflineQueue(resolveQueue({})!);
    const buf = new Uint8Array([1, 2]);
    q.push(buf);
    buf[0] = 9;
    assert.deepEqual(q.shift()!.data, new Uint8Array([1, 2]));
  });
});

describe(`offline queue on ${RUNTIME}`, () => {
  it("a full queue makes send() throw QueueFullError; the message is not sent", async () => {
    const { c } = await offlineClient({ queue: { maxMessages: 2 } });
    c.send("1");
    c.send("2");
    assert.throws(() => c.send("3"), QueueFullError);
  });

  it("drop-oldest reports every dropped message with a drop event", async () => {
    const { c } = await offlineClient({ queue: { maxMessages: 2, whenFull: "drop-oldest" } });
    const drops: DropEvent[] = [];
    c.on("drop", (d) => drops.push(d));
    for (const m of ["1", "2", "3", "4"]) c.send(m);
    assert.deepEqual(drops.map((d) => d.data), ["1", "2"]);
    assert.match(drops[0].reason, /full offline queue/);
  });

  it("queue: false makes send() throw while reconnecting", async () => {
    const { c } = await offlineClient({ queue: false });
    assert.throws(() => c.send("x"), InvalidStateError);
  });

  it("bufferedAmount counts queued bytes; drained() resolves once the queue went out after the reconnect, a queued request included", async () => {
    const { c, port } = await offlineClient();
    c.send("abc");
    c.send(new Uint8Array(7));
    assert.equal(c.bufferedAmount, 10);
    let drained = false;
    const done = c.drained().then(() => (drained = true));
    const reply = c.request<{ n: number }>({ op: "x" }, { timeout: 10_000 });
    await new Promise((r) => setTimeout(r, 60));
    assert.equal(drained, false);
    const s = startCounting(port);
    await s.waitFor(/listening/);
    await done;
    assert.equal(c.bufferedAmount, 0);
    await s.waitFor(/got abc/);
    await s.waitFor(/got \{"op":"x","id":"[^"]+"\}/);
    // The counting server answers `ack <text>`, not a reply: the request stays pending until close.
    await c.close();
    await assert.rejects(reply, /closed/);
  });

  it("drained() on an open connection resolves after a large send", async () => {
    const ts = await startServer({ message: () => {} });
    cleanups.push(() => ts.stop());
    const c = await connect(ts.url);
    cleanups.push(() => c.close());
    c.send(new Uint8Array(512 * 1024));
    await c.drained();
    assert.equal(c.bufferedAmount, 0);
  });
});
