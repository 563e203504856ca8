/**
 * A channels client written from docs/channels.md alone, with the
 * runtime's standard WebSocket and raw frames (no library client, no
 * library encoder), against a real fullduplex server: sub/ok/deny, pub and
 * msg, binary publish (P) and publication (p), app messages (m), error
 * replies, presence (members, join, leave), end, req/reply.
 */

import { afterEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { serve } from "./helpers/engine.ts";
import type { Server, Socket } from "../mod.ts";
import { until } from "./helpers/runtime.ts";

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
