/**
 * A channels client written from docs/channels.md alone, with the
 * runtime's standard WebSocket and raw frames (no library client, no
 * library encoder), against a real fullduplex server: sub/ok/deny, pub and
 * msg, binary publish (P) and publication (p), app messages (m), error
 * replies, presence (members, join, leave), end, req/reply; and recovery
 * (topics with history): positions in ok, msg and q frames, since and last,
 * the verdicts, lost, malformed recovery fields.
 */

import { afterEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { serve } from "./helpers/engine.ts";
import type { Server, Socket } from "../mod.ts";
import { MemoryHistory } from "../history.ts";
import type { HistoryPolicy, HistoryQuery, HistoryRead, HistoryStore, StreamPosition } from "../history.ts";
import { delay, until } from "./helpers/runtime.ts";

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

/** A raw channels connection: every frame received, decoded per the document. */
class RawPeer {
  readonly ws: WebSocket;
  readonly controls: Record<string, unknown>[] = [];
  readonly appTexts: string[] = [];
  readonly binaries: Uint8Array[] = [];

  constructor(url: string) {
    this.ws = new WebSocket(url, ["fullduplex.channels.v1"]);
    this.ws.binaryType = "arraybuffer";
    this.ws.onmessage = (e: MessageEvent) => {
      if (typeof e.data === "string") {
        if (e.data[0] === "c") this.controls.push(JSON.parse(e.data.slice(1)));
        else if (e.data[0] === "m") this.appTexts.push(e.data.slice(1));
        else throw new Error(`bad tag in ${e.data}`);
      } else this.binaries.push(new Uint8Array(e.data as ArrayBuffer));
    };
  }

  opened(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.ws.onopen = () => resolve();
      this.ws.onerror = () => reject(new Error("connect failed"));
    });
  }

  control(message: Record<string, unknown>): void {
    this.ws.send("c" + JSON.stringify(message));
  }

  /** The first control message matching, once it arrived. */
  async wait(match: (m: Record<string, unknown>) => boolean, what: string): Promise<Record<string, unknown>> {
    await until(() => this.controls.some(match), what);
    return this.controls.find(match)!;
  }

  answer(id: number): Promise<Record<string, unknown>> {
    return this.wait((m) => m.id === id && (m.t === "ok" || m.t === "deny" || m.t === "error"), `answer to ${id}`);
  }
}

async function setup(): Promise<{ server: Server; url: string; sockets: Socket<unknown>[] }> {
  const sockets: Socket<unknown>[] = [];
  const server = serve({
    hostname: "127.0.0.1",
    port: 0,
    channels: {
      authorize: (_socket, topic, action) => !topic.startsWith("private") || `${action} refused`,
      presence: (socket) => ({ nick: `n${sockets.indexOf(socket)}` }),
    },
    open: (socket) => void sockets.push(socket),
    message: (socket, msg) => socket.send(msg.kind === "text" ? "echo:" + msg.text() : msg.bytes()),
  });
  await server.ready;
  cleanups.push(() => server.shutdown({ timeout: 500 }));
  return { server, url: `ws://127.0.0.1:${server.port}`, sockets };
}

async function peer(url: string): Promise<RawPeer> {
  const p = new RawPeer(url);
  cleanups.push(() => p.ws.close());
  await p.opened();
  assert.equal(p.ws.protocol, "fullduplex.channels.v1");
  return p;
}

/** A binary publish frame built from the document: P, u32 id, u16 topic length, topic, payload. */
function binaryPublish(id: number, topic: string, payload: number[]): Uint8Array {
  const name = new TextEncoder().encode(topic);
  const out = new Uint8Array(7 + name.length + payload.length);
  out[0] = 0x50;
  new DataView(out.buffer).setUint32(1, id);
  new DataView(out.buffer).setUint16(5, name.length);
  out.set(name, 7);
  out.set(payload, 7 + name.length);
  return out;
}

describe("channels wire format, from docs/channels.md", () => {
  it("sub, deny, pub/msg, P/p, m both ways, error", async () => {
    const { url } = await setup();
    const a = await peer(url);
    const b = await peer(url);
    a.control({ t: "sub", id: 1, topic: "room" });
    b.control({ t: "sub", id: 1, topic: "room" });
    assert.deepEqual(await a.answer(1), { t: "ok", id: 1 });
    assert.deepEqual(await b.answer(1), { t: "ok", id: 1 });
    a.control({ t: "sub", id: 2, topic: "private:x" });
    assert.deepEqual(await a.answer(2), { t: "deny", id: 2, reason: "subscribe refused" });
    a.control({ t: "pub", id: 3, topic: "private:x", data: "no" });
    assert.deepEqual(await a.answer(3), { t: "deny", id: 3, reason: "publish refused" });

    a.control({ t: "pub", id: 4, topic: "room", data: "hello" });
    assert.deepEqual(await a.answer(4), { t: "ok", id: 4 });
    assert.deepEqual(await b.wait((m) => m.t === "msg", "msg at b"), { t: "msg", topic: "room", data: "hello" });

    a.ws.send(binaryPublish(5, "room", [1, 2, 255]));
    assert.deepEqual(await a.answer(5), { t: "ok", id: 5 });
    await until(() => b.binaries.length === 1, "p frame at b");
    // p, u16 length 4, "room", payload
    assert.deepEqual([...b.binaries[0]], [0x70, 0, 4, 0x72, 0x6f, 0x6f, 0x6d, 1, 2, 255]);

    a.ws.send('mc{"t":"sub","id":9,"topic":"room"}');
    a.ws.send(new Uint8Array([0x6d, 0x50, 1]));
    await until(() => a.appTexts.length === 1 && a.binaries.length === 2, "app echoes");
    assert.equal(a.appTexts[0], 'echo:c{"t":"sub","id":9,"topic":"room"}');
    assert.deepEqual([...a.binaries.find((x) => x[0] === 0x6d)!], [0x6d, 0x50, 1]);

    a.ws.send("mping"); // the heartbeat, tagged both ways
    await until(() => a.appTexts.length === 2, "heartbeat answer");
    assert.equal(a.appTexts[1], "pong");

    a.ws.send('c{"t":"sub","id":10}');
    assert.equal((await a.answer(10)).t, "error");
    a.ws.send("zz");
    await a.wait((m) => m.t === "error" && m.id === undefined, "error without id");
    a.control({ t: "unsub", id: 11, topic: "room" });
    assert.deepEqual(await a.answer(11), { t: "ok", id: 11 });
    assert.equal(a.ws.readyState, WebSocket.OPEN);
  });

  it("presence: members, join, leave; end; req and reply", async () => {
    const { server, url, sockets } = await setup();
    const a = await peer(url);
    a.control({ t: "sub", id: 1, topic: "lobby", presence: true });
    const ok = await a.answer(1);
    await until(() => sockets.length === 1, "socket");
    assert.deepEqual(ok, { t: "ok", id: 1, members: [{ id: sockets[0].id, info: { nick: "n0" } }] });
    const b = await peer(url);
    b.control({ t: "sub", id: 1, topic: "lobby", presence: true });
    assert.equal(((await b.answer(1)).members as unknown[]).length, 2);
    const join = await a.wait((m) => m.t === "join", "join at a");
    assert.deepEqual(join, { t: "join", topic: "lobby", member: { id: sockets[1].id, info: { nick: "n1" } } });
    assert.equal(b.controls.some((m) => m.t === "join"), false);
    b.control({ t: "presence", id: 2, topic: "lobby" });
    assert.equal(((await b.answer(2)).members as unknown[]).length, 2);
    b.control({ t: "presence", id: 3, topic: "elsewhere" });
    assert.equal((await b.answer(3)).t, "deny");

    b.ws.close();
    assert.deepEqual(await a.wait((m) => m.t === "leave", "leave at a"), { t: "leave", topic: "lobby", member: join.member });
    assert.equal(server.presence("lobby").length, 1);

    sockets[0].unsubscribe("lobby");
    assert.equal((await a.wait((m) => m.t === "end", "end")).topic, "lobby");

    const answer = sockets[0].request({ q: 1 });
    const req = await a.wait((m) => m.t === "req", "req");
    assert.deepEqual(req.data, { q: 1 });
    a.control({ t: "reply", id: req.id, data: { a: 2 } });
    assert.deepEqual(await answer, { a: 2 });
    const failing = sockets[0].request("x");
    const req2 = await a.wait((m) => m.t === "req" && m.id !== req.id, "second req");
    a.control({ t: "reply", id: req2.id, error: "nope" });
    await assert.rejects(failing, /nope/);
  });
});

// ---- Recovery (docs/channels.md "Recovery"), still from the document alone ----

/** A position as the document has it on the wire. */
interface WirePosition {
  epoch: string;
  offset: number;
}

/** A `q` frame decoded as documented: u16 topic length · topic · u8 epoch length · epoch · u32 offset high · u32 offset low · payload. */
function decodeQ(frame: Uint8Array): { topic: string; epoch: string; offset: number; payload: number[] } {
  assert.equal(frame[0], 0x71, "a binary publication with its position is tagged 0x71");
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  const topicLength = view.getUint16(1);
  const topic = new TextDecoder().decode(frame.subarray(3, 3 + topicLength));
  let at = 3 + topicLength;
  const epochLength = frame[at];
  const epoch = new TextDecoder().decode(frame.subarray(at + 1, at + 1 + epochLength));
  at += 1 + epochLength;
  const offset = view.getUint32(at) * 2 ** 32 + view.getUint32(at + 4);
  return { topic, epoch, offset, payload: [...frame.subarray(at + 8)] };
}

/**
 * A store whose offsets start at `base` (a long-lived history): MemoryHistory's positions shifted, so
 * that offsets above 2^32 go through the `q` frame's high word.
 */
class ShiftedHistory implements HistoryStore {
  readonly shared = false;
  readonly inner = new MemoryHistory();
  constructor(readonly base: number) {}
  append(topic: string, data: string | Uint8Array, policy: HistoryPolicy): StreamPosition {
    const p = this.inner.append(topic, data, policy);
    return { epoch: p.epoch, offset: p.offset + this.base };
  }
  read(topic: string, query: HistoryQuery, policy: HistoryPolicy): HistoryRead {
    const inner = "after" in query
      ? { after: { epoch: query.after.epoch, offset: Math.max(0, query.after.offset - this.base) }, limit: query.limit }
      : query;
    const read = this.inner.read(topic, inner, policy);
    const top = read.top + this.base;
    return read.ok
      ? { ...read, top, publications: read.publications.map((p) => ({ offset: p.offset + this.base, data: p.data })) }
      : { ...read, top };
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

/**
 * MemoryHistory behind switches: `broken` makes every call fail (a store that is down); `gate`, when set,
 * holds the next `after` read of `topic` until it resolves (a slow store, to publish while a replay runs).
 */
class SwitchedHistory implements HistoryStore {
  readonly shared = false;
  readonly inner = new MemoryHistory();
  broken = false;
  gate: { topic: string; skip: number; open: Promise<void>; reached: () => void } | undefined;
  append(topic: string, data: string | Uint8Array, policy: HistoryPolicy): StreamPosition {
    if (this.broken) throw new Error("store down");
    return this.inner.append(topic, data, policy);
  }
  async read(topic: string, query: HistoryQuery, policy: HistoryPolicy): Promise<HistoryRead> {
    if (this.broken) throw new Error("store down");
    const gate = this.gate;
    if (gate !== undefined && gate.topic === topic && "after" in query && gate.skip-- <= 0) {
      this.gate = undefined;
      gate.reached();
      await gate.open;
      if (this.broken) throw new Error("store down");
    }
    return this.inner.read(topic, query, policy);
  }
  /** Holds the (skip+1)-th next `after` read of `topic`; `reached` resolves once it is held, `open()` lets it go on. */
  hold(topic: string, skip = 0): { reached: Promise<void>; open: () => void } {
    let open!: () => void;
    let reached!: () => void;
    const opened = new Promise<void>((resolve) => (open = resolve));
    const isReached = new Promise<void>((resolve) => (reached = resolve));
    this.gate = { topic, skip, open: opened, reached };
    return { reached: isReached, open };
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

async function setupHistory(store?: HistoryStore): Promise<{ server: Server; url: string }> {
  const server = serve({
    hostname: "127.0.0.1",
    port: 0,
    channels: {
      authorize: () => true,
      history: {
        store,
        topics: [{ match: "h:*", size: 5 }, { match: "ttl:*", size: 100, ttl: 100 }, { match: "big:*", size: 5000 }],
      },
    },
    error: () => {},
  });
  await server.ready;
  cleanups.push(() => server.shutdown({ timeout: 500 }));
  return { server, url: `ws://127.0.0.1:${server.port}` };
}

/** The publications (`msg` frames) of `topic` received so far, with their positions. */
function msgs(p: RawPeer, topic: string): Record<string, unknown>[] {
  return p.controls.filter((m) => m.t === "msg" && m.topic === topic);
}

/** Controls after the answer to `id` (what the server sent after it, in order). */
function after(p: RawPeer, id: number): Record<string, unknown>[] {
  const i = p.controls.findIndex((m) => m.id === id && (m.t === "ok" || m.t === "deny" || m.t === "error"));
  assert.ok(i >= 0, `no answer to ${id}`);
  return p.controls.slice(i + 1);
}

describe("recovery on the wire, from docs/channels.md", () => {
  it("sub with recover: ok with epoch and offset; msg and pub ok carry positions; binary publications are q frames", async () => {
    const { server, url } = await setupHistory();
    const a = await peer(url);
    a.control({ t: "sub", id: 1, topic: "h:a", recover: true });
    const ok = await a.answer(1);
    assert.deepEqual(Object.keys(ok).sort(), ["epoch", "id", "offset", "t"], "recover only: a position, no verdict");
    assert.equal(ok.t, "ok");
    assert.equal(typeof ok.epoch, "string");
    assert.ok((ok.epoch as string).length > 0);
    assert.equal(ok.offset, 0, '"offset 0 is before the first"');
    const epoch = ok.epoch as string;

    a.control({ t: "pub", id: 2, topic: "h:a", data: "one" });
    assert.deepEqual(await a.answer(2), { t: "ok", id: 2, epoch, offset: 1 }, "a pub's ok carries the publication's position");
    await until(() => msgs(a, "h:a").length === 1, "its own msg");
    assert.deepEqual(msgs(a, "h:a")[0], { t: "msg", topic: "h:a", data: "one", epoch, offset: 1 });

    a.ws.send(binaryPublish(3, "h:a", [0, 1, 255]));
    assert.deepEqual(await a.answer(3), { t: "ok", id: 3, epoch, offset: 2 }, "a binary publish is answered like pub");
    await until(() => a.binaries.length === 1, "q frame");
    assert.deepEqual(decodeQ(a.binaries[0]), { topic: "h:a", epoch, offset: 2, payload: [0, 1, 255] });
    // Byte by byte, as the table has it.
    const e = [...new TextEncoder().encode(epoch)];
    assert.deepEqual([...a.binaries[0]], [0x71, 0, 3, 0x68, 0x3a, 0x61, e.length, ...e, 0, 0, 0, 0, 0, 0, 0, 2, 0, 1, 255]);

    assert.deepEqual(await server.publishWithAck("h:a", new Uint8Array([]))!, { epoch, offset: 3 });
    await until(() => a.binaries.length === 2, "empty q frame");
    assert.deepEqual(decodeQ(a.binaries[1]), { topic: "h:a", epoch, offset: 3, payload: [] });

    // presence and recover together: members (none: this server has no presence) and the position.
    const m = await peer(url);
    m.control({ t: "sub", id: 1, topic: "h:a", presence: true, recover: true });
    assert.deepEqual(await m.answer(1), { t: "ok", id: 1, members: [], epoch, offset: 3 });

    // A plain sub (no recover) of a topic with history gets positions too; its ok has none.
    const b = await peer(url);
    b.control({ t: "sub", id: 1, topic: "h:a" });
    assert.deepEqual(await b.answer(1), { t: "ok", id: 1 });
    server.publish("h:a", "four");
    await until(() => msgs(b, "h:a").length === 1, "msg at b");
    assert.deepEqual(msgs(b, "h:a")[0], { t: "msg", topic: "h:a", data: "four", epoch, offset: 4 });
    // A topic without history: no positions, p frames, a pub's ok without a position.
    b.control({ t: "sub", id: 2, topic: "plain" });
    await b.answer(2);
    b.control({ t: "pub", id: 3, topic: "plain", data: "x" });
    assert.deepEqual(await b.answer(3), { t: "ok", id: 3 });
    await until(() => msgs(b, "plain").length === 1, "plain msg");
    assert.deepEqual(msgs(b, "plain")[0], { t: "msg", topic: "plain", data: "x" });
    server.publish("plain", new Uint8Array([7]));
    await until(() => b.binaries.length === 1, "p frame");
    assert.deepEqual([...b.binaries[0]], [0x70, 0, 5, ...new TextEncoder().encode("plain"), 7]);
  });

  it("q frames carry offsets above 2^32 in the high word", async () => {
    const base = 3 * 2 ** 32 + 0xfffffffe;
    const { server, url } = await setupHistory(new ShiftedHistory(base));
    const a = await peer(url);
    a.control({ t: "sub", id: 1, topic: "h:big", recover: true });
    assert.equal((await a.answer(1)).offset, base);
    server.publish("h:big", new Uint8Array([9]));
    server.publish("h:big", new Uint8Array([10]));
    server.publish("h:big", "text");
    await until(() => a.binaries.length === 2 && msgs(a, "h:big").length === 1, "two q frames and a msg");
    const first = decodeQ(a.binaries[0]);
    const second = decodeQ(a.binaries[1]);
    assert.deepEqual([first.offset, first.payload], [base + 1, [9]]);
    assert.deepEqual([second.offset, second.payload], [base + 2, [10]], "the low word wrapped into the high word");
    assert.deepEqual([...a.binaries[1]].slice(-9, -1), [0, 0, 0, 4, 0, 0, 0, 0]);
    assert.equal(msgs(a, "h:big")[0].offset, base + 3);
    // Recovering from a position that high replays from it.
    const b = await peer(url);
    b.control({ t: "sub", id: 1, topic: "h:big", recover: true, since: { epoch: first.epoch, offset: base + 1 } });
    assert.deepEqual(await b.answer(1), { t: "ok", id: 1, epoch: first.epoch, offset: base + 1, recovered: true });
    await until(() => b.binaries.length === 1 && msgs(b, "h:big").length === 1, "the replay");
    assert.equal(decodeQ(b.binaries[0]).offset, base + 2);
  });

  it("since replays what came after it, then live ones; last N replays the last N", async () => {
    const { server, url } = await setupHistory();
    let epoch = "";
    for (const d of ["p1", "p2", "p3"]) epoch = (await server.publishWithAck("h:b", d))!.epoch;
    const a = await peer(url);
    a.control({ t: "sub", id: 1, topic: "h:b", recover: true, since: { epoch, offset: 1 } });
    assert.deepEqual(await a.answer(1), { t: "ok", id: 1, epoch, offset: 1, recovered: true });
    await until(() => msgs(a, "h:b").length === 2, "the replay");
    server.publish("h:b", "p4");
    await until(() => msgs(a, "h:b").length === 3, "live");
    assert.deepEqual(after(a, 1), [
      { t: "msg", topic: "h:b", data: "p2", epoch, offset: 2 },
      { t: "msg", topic: "h:b", data: "p3", epoch, offset: 3 },
      { t: "msg", topic: "h:b", data: "p4", epoch, offset: 4 },
    ]);

    // since = the top: nothing to replay, recovered.
    const b = await peer(url);
    b.control({ t: "sub", id: 1, topic: "h:b", recover: true, since: { epoch, offset: 4 } });
    assert.deepEqual(await b.answer(1), { t: "ok", id: 1, epoch, offset: 4, recovered: true });

    const c = await peer(url);
    c.control({ t: "sub", id: 1, topic: "h:b", recover: true, last: 2 });
    assert.deepEqual(await c.answer(1), { t: "ok", id: 1, epoch, offset: 2 }, "the position before the first replayed");
    await until(() => msgs(c, "h:b").length === 2, "the last two");
    assert.deepEqual(msgs(c, "h:b").map((m) => [m.data, m.offset]), [["p3", 3], ["p4", 4]]);

    // More than the history's size (5): the last 5. last 0: nothing, the top.
    for (const d of ["p5", "p6", "p7"]) server.publish("h:b", d);
    const d = await peer(url);
    d.control({ t: "sub", id: 1, topic: "h:b", recover: true, last: 100 });
    assert.deepEqual(await d.answer(1), { t: "ok", id: 1, epoch, offset: 2 });
    await until(() => msgs(d, "h:b").length === 5, "five");
    assert.deepEqual(msgs(d, "h:b").map((m) => m.offset), [3, 4, 5, 6, 7]);
    const z = await peer(url);
    z.control({ t: "sub", id: 1, topic: "h:b", recover: true, last: 0 });
    assert.deepEqual(await z.answer(1), { t: "ok", id: 1, epoch, offset: 7 });
    server.publish("h:b", "p8");
    await until(() => msgs(z, "h:b").length === 1, "live at z");
    assert.deepEqual(msgs(z, "h:b")[0], { t: "msg", topic: "h:b", data: "p8", epoch, offset: 8 });
  });

  it("last N with fewer than N publications but more than a replay page: every one of them", async () => {
    const { server, url } = await setupHistory();
    let epoch = "";
    for (let i = 1; i <= 700; i++) epoch = (await server.publishWithAck("big:few", `p${i}`))!.epoch;
    const a = await peer(url);
    a.control({ t: "sub", id: 1, topic: "big:few", recover: true, last: 1000 });
    const ok = await a.answer(1);
    await until(() => msgs(a, "big:few").some((m) => m.offset === 700), "up to the top");
    const offsets = msgs(a, "big:few").map((m) => m.offset);
    assert.deepEqual({ ok, first: offsets[0], count: offsets.length }, { ok: { t: "ok", id: 1, epoch, offset: 0 }, first: 1, count: 700 });
  });

  it("last N beyond a replay page when the oldest of the N expired: every one still kept", async () => {
    let now = 1_000_000;
    const server = serve({
      hostname: "127.0.0.1",
      port: 0,
      channels: {
        authorize: () => true,
        history: { store: new MemoryHistory({ now: () => now }), topics: [{ match: "*", size: 5000, ttl: 60_000 }] },
      },
    });
    await server.ready;
    cleanups.push(() => server.shutdown({ timeout: 500 }));
    let epoch = "";
    for (let i = 1; i <= 1100; i++) epoch = (await server.publishWithAck("aging", `p${i}`))!.epoch;
    now += 30_000;
    for (let i = 1101; i <= 2000; i++) await server.publishWithAck("aging", `p${i}`);
    now += 40_000; // 1..1100 are 70 s old (expired), 1101..2000 are 40 s old
    const a = await peer(`ws://127.0.0.1:${server.port}`);
    a.control({ t: "sub", id: 1, topic: "aging", recover: true, last: 1000 });
    const ok = await a.answer(1);
    await until(() => msgs(a, "aging").some((m) => m.offset === 2000), "up to the top");
    const offsets = msgs(a, "aging").map((m) => m.offset);
    assert.deepEqual({ ok, first: offsets[0], count: offsets.length }, {
      ok: { t: "ok", id: 1, epoch, offset: 1100 },
      first: 1101,
      count: 900,
    });
  });

  it("publications during a replay come after it, each once, in order (one server, its own store)", async () => {
    const store = new SwitchedHistory();
    const { server, url } = await setupHistory(store);
    let epoch = "";
    for (let i = 1; i <= 3; i++) epoch = (await server.publishWithAck("h:seam", `p${i}`))!.epoch;
    const held = store.hold("h:seam");
    const a = await peer(url);
    a.control({ t: "sub", id: 1, topic: "h:seam", recover: true, since: { epoch, offset: 0 } });
    await held.reached;
    server.publish("h:seam", "p4"); // while the store is read
    server.publish("h:seam", "p5");
    held.open();
    await a.answer(1);
    server.publish("h:seam", "p6");
    await until(() => msgs(a, "h:seam").length >= 5, "replay, kept and live");
    await delay(50);
    // The held read answers after p4 and p5 were stored: the replay has them, and their live copies are not sent again.
    assert.deepEqual(msgs(a, "h:seam").map((m) => `${m.data}@${m.offset}`), ["p1@1", "p2@2", "p3@3", "p4@4", "p5@5", "p6@6"]);
  });

  it("the verdicts: trimmed, expired, epoch changed, unknown position, store unavailable, not recoverable", async () => {
    const store = new SwitchedHistory();
    const { server, url } = await setupHistory(store);
    let epoch = "";
    for (let i = 1; i <= 8; i++) epoch = (await server.publishWithAck("h:v", `p${i}`))!.epoch;
    const a = await peer(url);
    const verdict = async (id: number, topic: string, fields: Record<string, unknown>) => {
      a.control({ t: "sub", id, topic, recover: true, ...fields });
      return await a.answer(id);
    };
    assert.deepEqual(await verdict(1, "h:v", { since: { epoch, offset: 1 } }), {
      t: "ok",
      id: 1,
      epoch,
      offset: 8,
      recovered: false,
      reason: "trimmed",
    });
    server.publish("h:v", "p9");
    await until(() => msgs(a, "h:v").length === 1, "live after trimmed");
    assert.deepEqual(after(a, 1), [{ t: "msg", topic: "h:v", data: "p9", epoch, offset: 9 }], "live ones only: nothing replayed");
    a.control({ t: "unsub", id: 2, topic: "h:v" });
    await a.answer(2);

    assert.deepEqual(await verdict(3, "h:v", { since: { epoch: "not-this-one", offset: 3 } }), {
      t: "ok",
      id: 3,
      epoch,
      offset: 9,
      recovered: false,
      reason: "epoch changed",
    });
    assert.deepEqual(await verdict(4, "h:v", { since: { epoch, offset: 10 } }), {
      t: "ok",
      id: 4,
      epoch,
      offset: 9,
      recovered: false,
      reason: "unknown position",
    });

    const ttlEpoch = (await server.publishWithAck("ttl:x", "old"))!.epoch;
    await delay(150); // older than the topic's ttl (100 ms)
    assert.deepEqual(await verdict(5, "ttl:x", { since: { epoch: ttlEpoch, offset: 0 } }), {
      t: "ok",
      id: 5,
      epoch: ttlEpoch,
      offset: 1,
      recovered: false,
      reason: "expired",
    });

    // A topic without history: live ones without positions, no position in the ok.
    assert.deepEqual(await verdict(6, "plain", { since: { epoch, offset: 1 } }), {
      t: "ok",
      id: 6,
      recovered: false,
      reason: "not recoverable",
    });
    assert.deepEqual(await verdict(7, "plain2", { last: 3 }), { t: "ok", id: 7, recovered: false, reason: "not recoverable" });
    assert.deepEqual(await verdict(8, "plain3", {}), { t: "ok", id: 8 }, "recover alone on a topic without history: a plain ok");
    server.publish("plain", "live");
    await until(() => msgs(a, "plain").length === 1, "plain live");
    assert.deepEqual(msgs(a, "plain")[0], { t: "msg", topic: "plain", data: "live" });

    store.broken = true;
    assert.deepEqual(await verdict(9, "h:w", { since: { epoch, offset: 1 } }), {
      t: "ok",
      id: 9,
      recovered: false,
      reason: "store unavailable",
    });
    a.control({ t: "pub", id: 10, topic: "h:w", data: "nope" });
    const denied = await a.answer(10);
    assert.equal(denied.t, "deny");
    assert.equal(denied.kind, "unavailable");
    assert.equal(typeof denied.reason, "string");
    a.ws.send(binaryPublish(11, "h:w", [1]));
    assert.equal((await a.answer(11)).kind, "unavailable");
    store.broken = false;
    server.publish("h:w", "back");
    await until(() => msgs(a, "h:w").length === 1, "live after store unavailable");
    assert.equal(msgs(a, "h:w")[0].data, "back", "nothing of the refused publishes was delivered");
    assert.ok(server.stats.recoveryFailures >= 7);
  });

  it("a history trimmed while a replay runs: lost with the position, then what comes after it", async () => {
    const store = new SwitchedHistory();
    const { server, url } = await setupHistory(store);
    let epoch = "";
    for (let i = 1; i <= 1200; i++) epoch = (await server.publishWithAck("big:lost", `p${i}`))!.epoch;
    const held = store.hold("big:lost", 1); // the first page goes out, the second read waits
    const a = await peer(url);
    a.control({ t: "sub", id: 1, topic: "big:lost", recover: true, since: { epoch, offset: 0 } });
    await held.reached;
    for (let i = 1201; i <= 6300; i++) server.publish("big:lost", `p${i}`); // size 5000: 1..1300 are trimmed
    held.open();
    await a.wait((m) => m.t === "lost", "lost");
    server.publish("big:lost", "p6301");
    await until(() => msgs(a, "big:lost").some((m) => m.offset === 6301), "live after lost");
    const rest = after(a, 1);
    const lostAt = rest.findIndex((m) => m.t === "lost");
    assert.deepEqual(rest.slice(0, lostAt).map((m) => m.offset), Array.from({ length: 500 }, (_, i) => i + 1), "the first page");
    assert.deepEqual(rest[lostAt], { t: "lost", topic: "big:lost", reason: "trimmed", epoch, offset: 6300 });
    assert.deepEqual(rest.slice(lostAt + 1).map((m) => m.offset), [6301], "what follows comes after the position");
  });

  it("a store that fails while a replay runs: lost (store unavailable) at the last publication replayed, then live", async () => {
    const store = new SwitchedHistory();
    const { server, url } = await setupHistory(store);
    let epoch = "";
    for (let i = 1; i <= 700; i++) epoch = (await server.publishWithAck("big:down", `p${i}`))!.epoch;
    const held = store.hold("big:down", 1);
    const a = await peer(url);
    a.control({ t: "sub", id: 1, topic: "big:down", recover: true, since: { epoch, offset: 0 } });
    await held.reached;
    server.publish("big:down", "p701"); // kept for the socket while the store is read
    store.broken = true;
    held.open();
    await a.wait((m) => m.t === "lost", "lost");
    store.broken = false;
    server.publish("big:down", "p702");
    await until(() => msgs(a, "big:down").some((m) => m.offset === 702), "live");
    const rest = after(a, 1);
    const lostAt = rest.findIndex((m) => m.t === "lost");
    assert.equal(lostAt, 500, "the first page went out");
    // Not "lost up to the position" (docs/channels.md, `lost`): 1..500 arrived; what is missing (501..700) comes after it.
    assert.deepEqual(rest[lostAt], { t: "lost", topic: "big:down", reason: "store unavailable", epoch, offset: 500 });
    assert.deepEqual(rest.slice(lostAt + 1).map((m) => m.offset), [701, 702]);
  });

  it("malformed sub fields get an error with the id, and subscribe nothing", async () => {
    const { server, url } = await setupHistory();
    const a = await peer(url);
    const bad: Record<string, unknown>[] = [
      { recover: "yes" },
      { recover: 1 },
      { recover: null },
      { recover: true, since: "e:1" },
      { recover: true, since: { epoch: "", offset: 1 } },
      { recover: true, since: { epoch: 5, offset: 1 } },
      { recover: true, since: { epoch: "e", offset: -1 } },
      { recover: true, since: { epoch: "e", offset: 1.5 } },
      { recover: true, since: { epoch: "e" } },
      { recover: true, since: null },
      // Not in docs/channels.md: an epoch longer than 64 characters is malformed (not "epoch changed").
      { recover: true, since: { epoch: "x".repeat(65), offset: 1 } },
      { recover: true, since: { epoch: "e", offset: 2 ** 53 } },
      { recover: true, last: -1 },
      { recover: true, last: 2.5 },
      { recover: true, last: "3" },
      { recover: true, since: { epoch: "e", offset: 1 }, last: 2 },
      { since: { epoch: "e", offset: 1 } },
      { last: 2 },
      { recover: false, since: { epoch: "e", offset: 1 } },
      { recover: false, last: 0 },
    ];
    const before = server.stats.channelMalformed;
    for (const [i, fields] of bad.entries()) {
      const id = 100 + i;
      a.control({ t: "sub", id, topic: "h:m", ...fields });
      const answer = await a.answer(id);
      assert.equal(answer.t, "error", `${JSON.stringify(fields)} → ${JSON.stringify(answer)}`);
      assert.deepEqual(Object.keys(answer).sort(), ["id", "reason", "t"]);
      assert.equal(typeof answer.reason, "string");
    }
    assert.equal(server.stats.channelMalformed - before, bad.length);
    assert.equal(a.ws.readyState, WebSocket.OPEN, "never closes the connection");
    server.publish("h:m", "nobody subscribed");
    a.control({ t: "sub", id: 1, topic: "h:m", recover: false });
    assert.deepEqual(await a.answer(1), { t: "ok", id: 1 }, "recover: false is a plain sub");
    server.publish("h:m", "now");
    await until(() => msgs(a, "h:m").length === 1, "the first msg");
    assert.equal(msgs(a, "h:m")[0].data, "now", "none of the malformed subs subscribed");
  });
});
