/**
 * The client on both runtimes: open, iterate, listen, close codes, and
 * errors that name the URL and the reason.
 */

import { afterEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:net";
import type { Server as TcpServer } from "node:net";
import { connect, ConnectError, InvalidStateError } from "../mod.ts";
import { nextMessage, startServer } from "./helpers/server.ts";
import type { TestServer } from "./helpers/server.ts";
import { delay } from "./helpers/runtime.ts";

let ts: TestServer | undefined;
afterEach(async () => {
  await ts?.stop();
  ts = undefined;
});

function listenTcp(onSocket: (s: import("node:net").Socket) => void): Promise<{ server: TcpServer; port: number }> {
  return new Promise((resolve) => {
    const server = createServer(onSocket);
    server.listen(0, "127.0.0.1", () => resolve({ server, port: (server.address() as { port: number }).port }));
  });
}

describe("client: connect errors", () => {
  it("refusal rejects with ConnectError naming the URL and the reason", async () => {
    const { server, port } = await listenTcp(() => {});
    await new Promise<void>((r) => server.close(() => r()));
    const url = `ws://127.0.0.1:${port}`;
    const err = await connect(url).then(() => null, (e) => e);
    assert.ok(err instanceof ConnectError);
    assert.equal(err.url, url);
    assert.match(err.message, new RegExp(`could not connect to ${url.replaceAll(".", "\\.")}: connection refused`));
  });

  it("a handshake that never completes rejects after timeout", async () => {
    const held: import("node:net").Socket[] = [];
    const { server, port } = await listenTcp((s) => held.push(s));
    try {
      const err = await connect(`ws://127.0.0.1:${port}`, { timeout: 300 }).then(() => null, (e) => e);
      assert.ok(err instanceof ConnectError);
      assert.match(err.message, /timed out after 300 ms/);
    } finally {
      for (const s of held) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    }
  });

  it("a refused handshake (HTTP 403) rejects", async () => {
    ts = await startServer({ upgrade: () => new Response("no", { status: 403 }) });
    await assert.rejects(connect(ts.url), (e: unknown) => e instanceof ConnectError && e.message.includes(ts!.url));
  });

  it("a bad URL rejects with ConnectError", async () => {
    await assert.rejects(connect("http://127.0.0.1:1"), /scheme must be ws: or wss:/);
    await assert.rejects(connect("not a url"), ConnectError);
  });
});

describe("client: messages and close", () => {
  it("iteration ends when the server closes, with code and reason", async () => {
    ts = await startServer({
      open(socket) {
        socket.send("one");
        socket.send("two");
        socket.close(4100, "enough");
      },
    });
    const c = await connect(ts.url);
    const got: string[] = [];
    for await (const msg of c) got.push(msg.text());
    assert.deepEqual(got, ["one", "two"]);
    assert.equal(c.closeCode, 4100);
    assert.equal(c.closeReason, "enough");
    assert.equal(c.readyState, 3);
    assert.throws(() => c.send("late"), InvalidStateError);
  });

  it("listen() gets data, then onDone once; messages are not lost between loops", async () => {
    ts = await startServer();
    const c = await connect(ts.url);
    c.send("a");
    c.send("b");
    c.send("c");
    assert.equal((await nextMessage(c)).text(), "a");
    await delay(50); // b and c arrive while nobody is reading
    assert.equal((await nextMessage(c)).text(), "b");
    const seen: string[] = [];
    let done = 0;
    c.listen((m) => seen.push(m.text()), { onDone: () => done++ });
    await delay(20);
    assert.deepEqual(seen, ["c"]);
    await c.close();
    await delay(20);
    assert.equal(done, 1);
  });

  it("close() resolves once closed and reports 1000", async () => {
    ts = await startServer();
    const c = await connect(ts.url);
    const info = await c.close();
    assert.deepEqual(info, { code: 1000, reason: "" });
    await ts.waitCloses(1);
    assert.deepEqual(ts.closes[0].info, { code: 1000, reason: "" });
  });

  it("a server that drops the TCP connection is reported as 1006", async () => {
    ts = await startServer({ message: (socket) => socket.terminate() });
    const c = await connect(ts.url);
    c.send("drop me");
    const info = await c.closed;
    // Bun drops TCP (1006); Deno's server cannot and closes with 1001 instead.
    assert.ok([1006, 1001].includes(info.code), `got ${info.code}`);
  });
});
