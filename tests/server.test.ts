/**
 * Server behaviour that must be the same on Deno and Bun: echo of text,
 * binary and JSON, the upgrade hook, subprotocols, close codes, guarded
 * handlers, handshake checks, size limit, plain HTTP.
 */

import { afterEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { connect, ConnectError } from "../mod.ts";
import type { Client } from "../mod.ts";
import { client, nextMessage, startServer } from "./helpers/server.ts";
import type { TestServer } from "./helpers/server.ts";
import { closeCodeOf, closePayload, rawConnect } from "./helpers/raw.ts";
import { delay, until } from "./helpers/runtime.ts";
import { ENGINE } from "./helpers/engine.ts";

let ts: TestServer | undefined;
const clients: Client[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) if (c.readyState < 2) await c.close().catch(() => {});
  await ts?.stop();
  ts = undefined;
});
async function open(t: TestServer, protocols?: string[]): Promise<Client> {
  const c = await client(t, protocols);
  clients.push(c);
  return c;
}

describe("server: messages", () => {
  it("echoes text, binary and JSON; bytes() is a plain Uint8Array", async () => {
    ts = await startServer({
      message(socket, msg) {
        if (msg.kind === "binary") socket.send(msg.bytes());
        else if (msg.text().startsWith("{")) socket.sendJson({ got: msg.json() });
        else socket.send(`Echo: ${msg.text()}`);
      },
    });
    const c = await open(ts);
    c.send("hello");
    assert.equal((await nextMessage(c)).text(), "Echo: hello");
    c.send(new Uint8Array([0, 1, 2, 255]));
    const bin = await nextMessage(c);
    assert.equal(bin.kind, "binary");
    assert.deepEqual([...bin.bytes()], [0, 1, 2, 255]);
    c.sendJson({ type: "greeting", n: 1 });
    assert.deepEqual((await nextMessage(c)).json(), { got: { type: "greeting", n: 1 } });
    const serverSide = ts.messages.map((m) => m.message);
    assert.deepEqual(serverSide.map((m) => m.kind), ["text", "binary", "text"]);
    assert.equal(serverSide[1].bytes().constructor, Uint8Array);
    assert.equal(serverSide[1].size, 4);
    assert.equal(serverSide[0].size, 5);
  });

  it("sends an ArrayBuffer as binary and reports send results", async () => {
    const results: string[] = [];
    ts = await startServer({
      message(socket) {
        results.push(socket.send(new Uint8Array([9, 8]).buffer));
      },
    });
    const c = await open(ts);
    c.send("x");
    assert.deepEqual([...(await nextMessage(c)).bytes()], [9, 8]);
    assert.ok(results[0] === "sent" || results[0] === "queued", `unexpected ${results[0]}`);
  });

  it("exposes id, data, remoteAddress, protocol, readyState", async () => {
    ts = await startServer<{ user: string }>({
      protocols: ["v2", "v1"],
      upgrade: (req) => ({ data: { user: new URL(req.url).searchParams.get("user") ?? "" } }),
    });
    const c = await connect(`${ts.url}/?user=ann`, { protocols: ["v1", "v2"] });
    clients.push(c);
    await until(() => ts!.opens.length === 1, "open");
    const s = ts.opens[0] as unknown as {
      id: string;
      data: { user: string };
      remoteAddress: { address: string; port: number };
      protocol: string;
      readyState: number;
    };
    assert.match(s.id, /^[0-9a-f-]{36}$/);
    assert.deepEqual(s.data, { user: "ann" });
    assert.equal(s.remoteAddress.address, "127.0.0.1");
    assert.ok(s.remoteAddress.port > 0);
    assert.equal(s.protocol, "v2", "server's preference order wins");
    assert.equal(c.protocol, "v2");
    assert.equal(s.readyState, 1);
    await c.close();
    await ts.waitCloses(1);
    assert.equal(s.readyState, 3);
  });
});

describe("server: upgrade hook", () => {
  it("refuses with the hook's Response and keeps serving", async () => {
    ts = await startServer({
      upgrade: (req) => (req.headers.get("authorization") === "Bearer ok" ? { data: 1 } : new Response("nope", { status: 401 })),
    });
    await assert.rejects(connect(ts.url, { timeout: 5000 }), ConnectError);
    const c = await connect(ts.url, { headers: { authorization: "Bearer ok" } });
    clients.push(c);
    c.send("still here");
    assert.equal((await nextMessage(c)).text(), "still here");
    const raw = await rawConnect(ts.port);
    assert.equal(raw.status, 401);
    raw.destroy();
  });

  it("an async hook that throws gives 500 and reaches the error handler", async () => {
    ts = await startServer({
      upgrade: async () => {
        await delay(1);
        throw new Error("db down");
      },
    });
    const raw = await rawConnect(ts.port);
    assert.equal(raw.status, 500);
    raw.destroy();
    assert.equal((ts.errors[0].error as Error).message, "db down");
    assert.equal(ts.errors[0].socket, undefined);
  });
});

describe("server: a failed upgrade, the same on both runtimes", () => {
  it("an upgrade hook returning headers that are not HTTP headers gives 500 and reaches the error handler", async () => {
    const bad: Record<string, string> = { "bad name": "x" };
    ts = await startServer({ upgrade: (req) => ({ headers: req.headers.has("x-bad") ? bad : {} }) });
    const raw = await rawConnect(ts.port, { "x-bad": "1" });
    assert.equal(raw.status, 500);
    raw.destroy();
    assert.equal(ts.errors.length, 1);
    assert.match((ts.errors[0].error as Error).message, /not valid HTTP headers/);
    assert.equal(ts.errors[0].socket, undefined);
    assert.equal(ts.server.stats.pendingUpgrades, 0);
    const c = await open(ts); // and the server still serves
    c.send("ok");
    assert.equal((await nextMessage(c)).text(), "ok");
  });
});

describe("server: engine errors, the same on both runtimes", () => {
  // Deno fires its socket's `error` event for these ("Invalid value", "Unexpected EOF"), Bun reports nothing:
  // neither reaches the `error` handler, and `close` carries the outcome. For the reserved opcode Deno drops
  // TCP; Bun sends a close frame with 1002 (RFC 6455 §7.4.1) but its handler sees 1006; the ws engine sends
  // 1002 and reports it.
  it("a peer that breaks the protocol (a reserved opcode) or vanishes mid-frame is a close (1006; ws: 1002), not an error", async () => {
    ts = await startServer({ idleTimeout: 0 });
    const breaker = await rawConnect(ts.port);
    breaker.sendFrame(0x3, new Uint8Array(2));
    await breaker.ended;
    const vanisher = await rawConnect(ts.port);
    vanisher.write(new Uint8Array([0x82, 0xfe, 0x03]));
    await delay(20);
    vanisher.destroy();
    await ts.waitCloses(2);
    assert.deepEqual(ts.closes.map((c) => c.info.code), [ENGINE === "ws" ? 1002 : 1006, 1006]);
    const closeFrame = breaker.frames.find((f) => f.opcode === 0x8);
    if (ENGINE === "deno") assert.equal(closeFrame, undefined, "Deno drops TCP without a close frame");
    else assert.equal(closeFrame && closeCodeOf(closeFrame), 1002, `${ENGINE} sent a close frame with 1002`);
    await delay(50);
    assert.deepEqual(ts.errors, []);
  });
});

describe("server: subprotocols", () => {
  for (const header of ["chat,superchat", "chat, superchat", "chat ,  superchat"]) {
    it(`parses ${JSON.stringify(header)} and agrees to a configured one`, async () => {
      ts = await startServer({ protocols: ["superchat"] });
      const raw = await rawConnect(ts.port, { "Sec-WebSocket-Protocol": header });
      assert.equal(raw.status, 101);
      assert.match(raw.head, /^sec-websocket-protocol: superchat$/im);
      raw.destroy();
    });
  }

  it("never agrees to a protocol it was not configured for", async () => {
    ts = await startServer();
    const raw = await rawConnect(ts.port, { "Sec-WebSocket-Protocol": "chat" });
    assert.equal(raw.status, 101);
    assert.doesNotMatch(raw.head, /sec-websocket-protocol/i);
    raw.destroy();
  });

  it("lets the upgrade hook pick among offered protocols", async () => {
    ts = await startServer({ upgrade: (_req, info) => ({ protocol: info.protocols.at(-1) }) });
    const c = await open(ts, ["a", "b", "c"]);
    assert.equal(c.protocol, "c");
    await until(() => ts!.opens.length === 1, "open");
    assert.equal(ts.opens[0].protocol, "c");
  });
});

describe("server: handshake checks", () => {
  it("answers a version other than 13 with 426 and Sec-WebSocket-Version: 13", async () => {
    ts = await startServer();
    const raw = await rawConnect(ts.port, { "Sec-WebSocket-Version": "8" });
    assert.equal(raw.status, 426);
    assert.match(raw.head, /^sec-websocket-version: 13$/im);
    raw.destroy();
  });

  for (const [label, key] of [["missing", null], ["malformed", "not-a-key"], ["wrong length", "dGhlIHNhbXBsZQ=="]] as const) {
    it(`answers a ${label} Sec-WebSocket-Key with 400`, async () => {
      ts = await startServer();
      const raw = await rawConnect(ts.port, { "Sec-WebSocket-Key": key });
      assert.equal(raw.status, 400);
      raw.destroy();
    });
  }

  it("serves plain HTTP through fetch and 426 without it", async () => {
    ts = await startServer({ fetch: () => new Response("plain") });
    const res = await fetch(`http://127.0.0.1:${ts.port}/`);
    assert.equal(await res.text(), "plain");
    await ts.stop();
    ts = await startServer();
    const res2 = await fetch(`http://127.0.0.1:${ts.port}/`);
    assert.equal(res2.status, 426);
    await res2.body?.cancel();
  });
});

describe("server: close codes", () => {
  it("the peer's code and reason reach close, once", async () => {
    ts = await startServer();
    const c = await open(ts);
    await c.close(4001, "bye now");
    await ts.waitCloses(1);
    await delay(50);
    assert.equal(ts.closes.length, 1);
    assert.deepEqual(ts.closes[0].info, { code: 4001, reason: "bye now" });
  });

  it("an abrupt disconnect is reported as 1006, once", async () => {
    ts = await startServer();
    const raw = await rawConnect(ts.port);
    await until(() => ts!.opens.length === 1, "open");
    raw.destroy();
    await ts.waitCloses(1);
    await delay(50);
    assert.equal(ts.closes.length, 1);
    assert.equal(ts.closes[0].info.code, 1006);
  });

  it("a close frame without a code is reported as 1005", async () => {
    ts = await startServer();
    const raw = await rawConnect(ts.port);
    raw.sendFrame(0x8, new Uint8Array(0));
    await ts.waitCloses(1);
    assert.equal(ts.closes[0].info.code, 1005);
    raw.destroy();
  });

  it("a server-initiated close reports its own code to both sides", async () => {
    ts = await startServer({ message: (socket) => socket.close(4002, "done") });
    const c = await open(ts);
    c.send("close me");
    const info = await c.closed;
    assert.deepEqual(info, { code: 4002, reason: "done" });
    await ts.waitCloses(1);
    assert.deepEqual(ts.closes[0].info, { code: 4002, reason: "done" });
  });

  it("socket.close() accepts only 1000 or 3000-4999 and reasons up to 123 bytes", async () => {
    const thrown: unknown[] = [];
    ts = await startServer({
      message(socket) {
        for (
          const [code, reason] of [[1005, ""], [1006, ""], [999, ""], [1001, ""], [5000, ""], [1000, "x".repeat(124)], [
            1000,
            "é".repeat(62),
          ]] as const
        ) {
          try {
            socket.close(code, reason);
            thrown.push(null);
          } catch (err) {
            thrown.push(err);
          }
        }
        socket.close(1000, "é".repeat(61));
      },
    });
    const c = await open(ts);
    c.send("go");
    const info = await c.closed;
    assert.equal(thrown.length, 7);
    for (const err of thrown) assert.ok(err instanceof RangeError, `expected RangeError, got ${err}`);
    assert.deepEqual(info, { code: 1000, reason: "é".repeat(61) });
  });

  it("client close() validates its arguments too", async () => {
    ts = await startServer();
    const c = await open(ts);
    assert.throws(() => c.close(1006), RangeError);
    assert.throws(() => c.close(1000, "x".repeat(124)), RangeError);
  });
});

describe("server: handler errors", () => {
  it("a throwing or rejecting handler closes only that connection with 1011", async () => {
    ts = await startServer({
      message(socket, msg) {
        const text = msg.text();
        if (text === "throw") throw new Error("sync boom");
        if (text === "reject") return Promise.reject(new Error("async boom"));
        socket.send(text);
      },
    });
    const good = await open(ts);
    const bad1 = await open(ts);
    const bad2 = await open(ts);
    bad1.send("throw");
    bad2.send("reject");
    assert.equal((await bad1.closed).code, 1011);
    assert.equal((await bad2.closed).code, 1011);
    good.send("alive");
    assert.equal((await nextMessage(good)).text(), "alive");
    const messages = ts.errors.map((e) => (e.error as Error).message).sort();
    assert.deepEqual(messages, ["async boom", "sync boom"]);
    assert.ok(ts.errors.every((e) => e.socket !== undefined));
  });

  it("a throwing open or close handler is reported and does not end the process", async () => {
    ts = await startServer({
      open() {
        throw new Error("open boom");
      },
      close() {
        throw new Error("close boom");
      },
    });
    const c = await open(ts);
    assert.equal((await c.closed).code, 1011);
    await until(() => ts!.errors.length === 2, "two errors");
    assert.deepEqual(ts.errors.map((e) => (e.error as Error).message), ["open boom", "close boom"]);
  });
});

describe("server: limits", () => {
  it("a message over maxMessageBytes closes with 1009 on both sides; smaller ones pass", async () => {
    ts = await startServer({ maxMessageBytes: 1024 });
    const c = await open(ts);
    c.send("a".repeat(1024));
    assert.equal((await nextMessage(c)).size, 1024);
    c.send(new Uint8Array(1025));
    const info = await c.closed;
    assert.equal(info.code, 1009);
    await ts.waitCloses(1);
    assert.equal(ts.closes[0].info.code, 1009);
  });

  it("counts UTF-8 bytes of text, not characters", async () => {
    ts = await startServer({ maxMessageBytes: 100 });
    const c = await open(ts);
    c.send("é".repeat(50)); // 100 bytes
    assert.equal((await nextMessage(c)).text(), "é".repeat(50));
    c.send("é".repeat(51)); // 102 bytes
    assert.equal((await c.closed).code, 1009);
  });

  it("a fragmented message over the limit is refused with 1009", async () => {
    ts = await startServer({ maxMessageBytes: 1000 });
    const raw = await rawConnect(ts.port);
    raw.sendFrame(0x2, new Uint8Array(600), { fin: false });
    raw.sendFrame(0x0, new Uint8Array(600), { fin: true });
    const frame = await raw.waitFrame((f) => f.opcode === 0x8);
    assert.equal(closeCodeOf(frame), 1009);
    await ts.waitCloses(1);
    assert.equal(ts.closes[0].info.code, 1009);
    raw.destroy();
  });
});

describe("server: keep-alive", () => {
  it("a peer that answers no pings is closed after idleTimeout, close runs once", async () => {
    ts = await startServer({ idleTimeout: 1 });
    const silent = await rawConnect(ts.port);
    silent.answerPings = false;
    const alive = await rawConnect(ts.port);
    await ts.waitCloses(1, 8000);
    await delay(300);
    assert.equal(ts.closes.length, 1, "only the silent peer closed, once");
    assert.ok([1001, 1006].includes(ts.closes[0].info.code), `got ${ts.closes[0].info.code}`);
    assert.ok(alive.frames.some((f) => f.opcode === 0x9), "the live peer was pinged");
    silent.destroy();
    alive.sendFrame(0x8, closePayload(1000));
    alive.destroy();
  });
});
