/**
 * Unit tests of the two adapters' event wiring on stand-in engine sockets
 * (both adapters are plain code over their engine's callbacks, so both are
 * tested on both runtimes): what each engine event becomes in the core,
 * where each stat is counted, and how an upgrade the engine refuses or a
 * throw that escapes into the engine is answered. The end-to-end tests
 * (tests/server.test.ts) check the same on the real engines.
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { until } from "../helpers/runtime.ts";
import { DenoAdapter, wireDenoSocket } from "../../src/adapters/deno.ts";
import type { DenoWebSocket } from "../../src/adapters/deno_api.ts";
import { DenoTransport } from "../../src/adapters/deno_transport.ts";
import { BunAdapter } from "../../src/adapters/bun.ts";
import type { BunServer, BunServerWebSocket } from "../../src/adapters/bun_api.ts";
import type { WebSocketOptions } from "../../src/server/options.ts";
import type { Socket } from "../../src/server/socket.ts";
import type { CloseInfo } from "../../src/shared/types.ts";

const REMOTE = { address: "127.0.0.1", port: 1 };

interface Recorded {
  errors: { socket: Socket<unknown> | undefined; error: unknown }[];
  closes: CloseInfo[];
  messages: string[];
}

function recording(options: WebSocketOptions<unknown> = {}): WebSocketOptions<unknown> & Recorded {
  const rec: Recorded = { errors: [], closes: [], messages: [] };
  return {
    message: (_socket, msg) => void rec.messages.push(msg.text()),
    ...options,
    error: (socket, error) => void rec.errors.push({ socket, error }),
    close: (_socket, info) => void rec.closes.push(info),
    ...rec,
  };
}

/** A stand-in for the socket Deno.upgradeWebSocket returns. */
class FakeDenoSocket implements DenoWebSocket {
  binaryType = "blob";
  bufferedAmount = 0;
  readyState = 1;
  sent: (string | ArrayBufferView)[] = [];
  closes: { code?: number; reason?: string }[] = [];
  sendThrows: Error | undefined;
  onopen: ((event: Event) => unknown) | null = null;
  onmessage: ((event: MessageEvent) => unknown) | null = null;
  onclose: ((event: CloseEvent) => unknown) | null = null;
  onerror: ((event: Event) => unknown) | null = null;
  send(data: string | ArrayBufferView<ArrayBuffer>): void {
    if (this.sendThrows !== undefined) throw this.sendThrows;
    this.sent.push(data);
    // As Deno does: the length is added at once; the test says when it has been written (bufferedAmount = 0).
    this.bufferedAmount += typeof data === "string" ? data.length : data.byteLength;
  }
  close(code?: number, reason?: string): void {
    this.closes.push({ code, reason });
  }
  // What Deno's event dispatch does.
  open(): void {
    this.onopen!(new Event("open"));
  }
  message(data: string | ArrayBuffer): void {
    this.onmessage!(new MessageEvent("message", { data }));
  }
  closed(code: number, reason: string): void {
    this.onclose!(new CloseEvent("close", { code, reason }));
  }
  error(message: string): void {
    this.onerror!(new ErrorEvent("error", { message }));
  }
}

async function denoConnection(options: WebSocketOptions<unknown> & Recorded) {
  const core = new DenoAdapter<unknown>(options).core;
  const accepted = await core.prepareUpgrade(upgradeRequest(), REMOTE);
  assert.ok(!(accepted instanceof Response));
  const ws = new FakeDenoSocket();
  const conn = core.connection(new DenoTransport(ws, core.limits.backpressureLimit), accepted);
  wireDenoSocket(conn, ws);
  ws.open();
  return { core, conn, ws };
}

function upgradeRequest(): Request {
  return new Request("http://127.0.0.1/", {
    headers: {
      upgrade: "websocket",
      connection: "Upgrade",
      "sec-websocket-version": "13",
      "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
    },
  });
}

describe("deno adapter wiring", () => {
  it("an upgrade that never opens (the client left during an async hook) gives its slot back after the open timeout", async () => {
    let opens = 0;
    const rec = recording({ open: () => void opens++ });
    const core = new DenoAdapter<unknown>({ ...rec, maxConnections: 1 }).core;
    const accepted = await core.prepareUpgrade(upgradeRequest(), REMOTE);
    assert.ok(!(accepted instanceof Response));
    assert.equal(core.stats.pendingUpgrades, 1);
    const ws = new FakeDenoSocket();
    wireDenoSocket(core.connection(new DenoTransport(ws, core.limits.backpressureLimit), accepted), ws, 30);
    await until(() => core.stats.pendingUpgrades === 0, "the slot to come back", 2000);
    assert.equal(ws.closes.length, 1, "the socket Deno still holds is closed");
    assert.deepEqual(rec.closes, [], "`close` runs only for connections that opened");
    // A late open is closed at once and never reaches `open`.
    ws.open();
    assert.equal(opens, 0);
    assert.deepEqual(ws.closes.at(-1), { code: 1001, reason: "upgrade timed out" });
    // The slot is free for the next upgrade.
    assert.ok(!((await core.prepareUpgrade(upgradeRequest(), REMOTE)) instanceof Response));
  });

  it("messages reach the handler; an abrupt end (code 0) is reported as 1006", async () => {
    const rec = recording();
    const { ws } = await denoConnection(rec);
    ws.message("hi");
    ws.closed(0, "");
    assert.deepEqual(rec.messages, ["hi"]);
    assert.deepEqual(rec.closes, [{ code: 1006, reason: "" }]);
  });

  it("Deno's idle timeout (1001, then a second close 1005) is one close and one idleTimeouts, counted by the core", async () => {
    const rec = recording();
    const { core, ws } = await denoConnection(rec);
    ws.error("No response from ping frame.");
    ws.closed(1001, "No response from ping frame.");
    ws.closed(1005, "");
    assert.deepEqual(rec.closes, [{ code: 1001, reason: "No response from ping frame." }]);
    assert.equal(core.stats.idleTimeouts, 1);
    assert.equal(rec.errors.length, 0, "the engine's error event is not an `error`");
  });

  it("engine error events (EOF) are not passed to `error`: the close carries them", async () => {
    const rec = recording();
    const { ws } = await denoConnection(rec);
    ws.error("Unexpected EOF");
    ws.closed(0, "");
    assert.equal(rec.errors.length, 0);
    assert.deepEqual(rec.closes, [{ code: 1006, reason: "" }]);
  });

  it("a throw escaping into the engine goes to `error` with the socket and closes with 1011, as on Bun", async () => {
    const rec = recording();
    const { ws, conn } = await denoConnection(rec);
    const boom = new Error("engine send failed");
    ws.sendThrows = boom;
    ws.message("ping"); // the heartbeat answer is sent outside any user handler
    assert.deepEqual(rec.errors, [{ socket: conn.socket, error: boom }]);
    assert.deepEqual(ws.closes, [{ code: 1011, reason: "internal server error" }]);
  });

  it("sends are refused at backpressureLimit (Deno has none), counting 1 KiB per queued send, and 'queued' behind waiting sends", async () => {
    const rec = recording({ backpressureLimit: 3000 });
    const { conn, ws, core } = await denoConnection(rec);
    assert.equal(conn.socket.send("a"), "sent"); // nothing was waiting
    assert.equal(conn.socket.send("bb"), "queued"); // "a" waits: 1 byte + 1 KiB
    assert.equal(conn.socket.send("c"), "queued"); // 3 bytes + 2 KiB
    assert.equal(conn.socket.send("d"), "dropped"); // 4 bytes + 3 KiB >= 3000, though only 4 bytes are queued
    assert.equal(ws.bufferedAmount, 4);
    ws.bufferedAmount = 0; // the engine wrote them all
    assert.equal(conn.socket.send("e"), "sent");
    assert.deepEqual(ws.sent, ["a", "bb", "c", "e"]);
    assert.equal(core.stats.backpressureDrops, 1);
    ws.closed(1000, "");
  });

  it("a socket Deno is closing on its own refuses sends and keeps its last queue (the stall sweep sees it stuck)", async () => {
    const rec = recording();
    const { conn, ws } = await denoConnection(rec);
    ws.bufferedAmount = 500; // queued for a peer that reads nothing
    assert.equal(conn.transport.bufferedAmount, 500);
    ws.readyState = 2; // Deno started closing by itself: it now reports 0 although the data is still queued
    ws.bufferedAmount = 0;
    assert.equal(conn.transport.bufferedAmount, 500);
    assert.equal(conn.socket.send("x"), "dropped");
    assert.deepEqual(ws.sent, []);
    ws.closed(1006, "");
  });
});

describe("deno adapter upgrades", () => {
  it("a request Deno refuses is a 400 that gives the slot back and is no `error`; an accepted one gets its 101 headers", async () => {
    const rec = recording({ maxConnections: 1, protocols: ["chat"], upgrade: () => ({ headers: { "x-served-by": "test" } }) });
    let refuse = true;
    let socket: FakeDenoSocket | undefined;
    const adapter = new DenoAdapter<unknown>(rec, (_req, options) => {
      if (refuse) throw new TypeError("Request closed");
      assert.equal(options?.idleTimeout, 60);
      socket = new FakeDenoSocket();
      return { socket, response: new Response(null, { status: 200, headers: { upgrade: "websocket" } }) };
    });
    const req = () => {
      const r = upgradeRequest();
      r.headers.set("sec-websocket-protocol", "x,chat");
      return r;
    };
    assert.equal((await adapter.handleUpgrade(req(), undefined)).status, 400);
    assert.equal(adapter.core.stats.pendingUpgrades, 0);
    assert.equal(rec.errors.length, 0);
    refuse = false;
    const response = await adapter.handleUpgrade(req(), { remoteAddr: { hostname: "10.0.0.1", port: 5 } });
    assert.equal(response.headers.get("sec-websocket-protocol"), "chat");
    assert.equal(response.headers.get("x-served-by"), "test");
    assert.equal(socket!.binaryType, "arraybuffer");
    socket!.open();
    assert.deepEqual([adapter.core.connectionCount, adapter.core.stats.pendingUpgrades], [1, 0]);
  });

  it("a request Deno refuses gives its per-address slot back too", async () => {
    const rec = recording({ maxConnectionsPerAddress: 1 });
    let refuse = true;
    const adapter = new DenoAdapter<unknown>(rec, () => {
      if (refuse) throw new TypeError("Request closed");
      return { socket: new FakeDenoSocket(), response: new Response(null, { status: 200 }) };
    });
    const info = { remoteAddr: { hostname: "10.0.0.1", port: 5 } };
    assert.equal((await adapter.handleUpgrade(upgradeRequest(), info)).status, 400);
    refuse = false;
    assert.equal((await adapter.handleUpgrade(upgradeRequest(), info)).status, 200, "the slot was given back");
    assert.equal((await adapter.handleUpgrade(upgradeRequest(), info)).status, 429, "the accepted one holds it");
    assert.equal(adapter.core.stats.refusedPerAddress, 1);
  });
});

/** A stand-in for Bun's ServerWebSocket; `close()` reports synchronously, as Bun does. */
class FakeBunSocket implements BunServerWebSocket<unknown> {
  data: unknown;
  binaryType = "nodebuffer";
  sent: (string | Uint8Array)[] = [];
  closes: { code?: number; reason?: string }[] = [];
  buffered = 0;
  handler: BunAdapter<unknown>["websocket"] | undefined;
  constructor(data: unknown) {
    this.data = data;
  }
  send(data: string | Uint8Array): number {
    this.sent.push(data);
    return data.length;
  }
  close(code?: number, reason?: string): void {
    this.closes.push({ code, reason });
    this.handler?.close(this, code ?? 1005, reason ?? "");
  }
  terminate(): void {
    this.handler?.close(this, 1006, "");
  }
  ping(): number {
    return 0;
  }
  getBufferedAmount(): number {
    return this.buffered;
  }
  subscribe(): void {}
  unsubscribe(): void {}
  publish(): number {
    return 0;
  }
}

/** A stand-in for Bun's Server: `upgrade()` answers as told and opens the socket synchronously, as Bun does. */
class FakeBunServer implements BunServer {
  readonly port = 1;
  readonly hostname = "127.0.0.1";
  answer: "upgrade" | "refuse" | "throw" = "upgrade";
  sockets: FakeBunSocket[] = [];
  published: string[] = [];
  constructor(readonly adapter: BunAdapter<unknown>) {}
  upgrade(_req: Request, options?: { data?: unknown; headers?: Record<string, string> }): boolean {
    if (this.answer === "throw") throw new TypeError("Invalid header value");
    if (this.answer === "refuse") return false;
    const ws = new FakeBunSocket(options?.data);
    ws.handler = this.adapter.websocket;
    this.sockets.push(ws);
    ws.handler.open(ws);
    return true;
  }
  requestIP(): { address: string; port: number } {
    return REMOTE;
  }
  stop(): Promise<void> {
    return Promise.resolve();
  }
  publish(_topic: string, data: string | Uint8Array): number {
    this.published.push(String(data));
    return 1;
  }
  subscriberCount(): number {
    return this.sockets.length;
  }
}

describe("bun adapter wiring", () => {
  it("upgrades and opens; a refusal by the engine is 400 and gives the slot back; a throw is 500 and reaches `error`", async () => {
    const rec = recording({ maxConnections: 1, maxConnectionsPerAddress: 1 }); // both slots must come back
    const adapter = new BunAdapter<unknown>(rec);
    const server = new FakeBunServer(adapter);
    server.answer = "refuse";
    assert.equal((await adapter.upgrade(upgradeRequest(), server))?.status, 400);
    server.answer = "throw";
    assert.equal((await adapter.upgrade(upgradeRequest(), server))?.status, 500);
    assert.equal((rec.errors[0].error as Error).message, "Invalid header value");
    assert.equal(rec.errors[0].socket, undefined);
    assert.equal(adapter.core.stats.pendingUpgrades, 0);
    server.answer = "upgrade";
    assert.equal(await adapter.upgrade(upgradeRequest(), server), undefined, "the slot was free again");
    assert.equal(adapter.core.connectionCount, 1);
    assert.equal(server.sockets[0].binaryType, "uint8array");
  });

  it("Bun's 1006 'Received too big message' is reported as the 1009 the peer got", async () => {
    const rec = recording({ maxMessageBytes: 10 });
    const adapter = new BunAdapter<unknown>(rec);
    const server = new FakeBunServer(adapter);
    await adapter.upgrade(upgradeRequest(), server);
    adapter.websocket.close(server.sockets[0], 1006, "Received too big message");
    assert.deepEqual(rec.closes, [{ code: 1009, reason: "message exceeds 10 bytes" }]);
  });

  it("Bun's `error` callback (a throw that escaped) goes to `error` with the socket and closes with 1011", async () => {
    const rec = recording();
    const adapter = new BunAdapter<unknown>(rec);
    const server = new FakeBunServer(adapter);
    await adapter.upgrade(upgradeRequest(), server);
    const ws = server.sockets[0];
    const boom = new Error("escaped");
    adapter.websocket.error(boom, ws);
    assert.equal(rec.errors.length, 1);
    assert.equal(rec.errors[0].error, boom);
    assert.notEqual(rec.errors[0].socket, undefined);
    assert.deepEqual(ws.closes, [{ code: 1011, reason: "internal server error" }]);
    assert.deepEqual(rec.closes, [{ code: 1011, reason: "internal server error" }]);
  });

  it("a throw from the engine during a message is caught in the core, as on Deno: `error` with the socket, then 1011", async () => {
    const rec = recording();
    const adapter = new BunAdapter<unknown>(rec);
    const server = new FakeBunServer(adapter);
    await adapter.upgrade(upgradeRequest(), server);
    const ws = server.sockets[0];
    const boom = new Error("engine send failed");
    ws.send = () => {
      throw boom;
    };
    adapter.websocket.message(ws, "ping"); // the heartbeat answer is sent outside any user handler; nothing escapes to Bun
    assert.equal(rec.errors.length, 1);
    assert.equal(rec.errors[0].error, boom);
    assert.deepEqual(ws.closes, [{ code: 1011, reason: "internal server error" }]);
  });

  it("drain events are hints: one `drain` per crossing however many Bun fires", async () => {
    let drains = 0;
    const rec = recording({ lowWaterMark: 10, drain: () => void drains++ });
    const adapter = new BunAdapter<unknown>(rec);
    const server = new FakeBunServer(adapter);
    let socket: Socket<unknown> | undefined;
    rec.open = (s) => void (socket = s);
    await adapter.upgrade(upgradeRequest(), server);
    const ws = server.sockets[0];
    ws.send = (data) => (ws.sent.push(data), -1); // queued under backpressure
    ws.buffered = 100;
    assert.equal(socket!.send("x"), "queued");
    adapter.websocket.drain(ws);
    ws.buffered = 0;
    for (let i = 0; i < 5; i++) adapter.websocket.drain(ws);
    assert.equal(drains, 1);
    assert.equal(adapter.core.stats.drains, 1);
  });

  it("each drain event is write progress for the stall sweep", async () => {
    const adapter = new BunAdapter<unknown>(recording());
    const server = new FakeBunServer(adapter);
    await adapter.upgrade(upgradeRequest(), server);
    const ws = server.sockets[0];
    const transport = (ws.data as { conn: { transport: { writeProgress: number } } }).conn.transport;
    assert.equal(transport.writeProgress, 0);
    for (let i = 0; i < 3; i++) adapter.websocket.drain(ws);
    assert.equal(transport.writeProgress, 3);
  });

  it("the adapter gives its topic engine the server: endpoint publishes go through server.publish", async () => {
    const rec = recording({ open: (socket) => socket.subscribe("news") });
    const adapter = new BunAdapter<unknown>(rec);
    const server = new FakeBunServer(adapter);
    assert.equal(adapter.core.topics.publish("news", "early", undefined), 0, "no server known before the first upgrade");
    await adapter.upgrade(upgradeRequest(), server);
    assert.equal(adapter.core.topics.publish("news", "hello", undefined), 1);
    assert.deepEqual(server.published, ["hello"]);
  });
});
