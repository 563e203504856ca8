/**
 * The reconnecting client against real servers: a server process killed
 * mid-stream and started again on the same port (every message arrives
 * exactly once, in order), backoff bounds and jitter, maxRetries, final
 * close codes, a URL function, and close() stopping for good.
 */

import { afterEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { connect, ConnectError, shouldReconnectByDefault } from "../mod.ts";
import type { Client } from "../mod.ts";
import type { ReconnectingEvent } from "../src/client/mod.ts";
import { backoffDelay, resolveReconnect } from "../src/client/reconnect.ts";
import { delay, OTHER_RUNTIME, RUNTIME, spawnScript, until } from "./helpers/runtime.ts";
import type { Spawned } from "./helpers/runtime.ts";
import { nextMessage, startServer } from "./helpers/server.ts";
import { listenRawServer } from "./helpers/raw_server.ts";

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

function track<T extends Client>(c: T): T {
  cleanups.push(() => c.close());
  return c;
}

function startCounting(runtime: "deno" | "bun", port: number): Spawned {
  const s = spawnScript(runtime, "tests/fixtures/counting_server.ts", [String(port)]);
  cleanups.push(async () => {
    s.kill();
    await s.exited().catch(() => {});
  });
  return s;
}

/** The numbers a counting server printed as `got N`, in order. */
function received(s: Spawned): number[] {
  return [...s.stdout().matchAll(/^got (\d+)$/gm)].map((m) => Number(m[1]));
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from }, (_, i) => from + i);
}

describe(`reconnect on ${RUNTIME}: server process killed and restarted on the same port`, () => {
  for (const serverRuntime of [RUNTIME, OTHER_RUNTIME]) {
    it(`every message reaches a ${serverRuntime} server exactly once, in order`, async () => {
      const first = startCounting(serverRuntime, 0);
      const port = Number((await first.waitFor(/listening (\d+)/))[1]);
      const url = `ws://127.0.0.1:${port}`;
      const c = track(await connect(url, { reconnect: { minDelay: 20, maxDelay: 200 }, queue: { maxMessages: 5000 } }));
      const reconnecting: ReconnectingEvent[] = [];
      c.on("reconnecting", (e) => reconnecting.push(e));
      const reconnected = new Promise<void>((resolve) => c.on("reconnected", () => resolve()));
      let sent = 0;

      // Phase 1: streaming to the first server.
      for (; sent < 300; sent++) {
        c.send(String(sent));
        if (sent % 50 === 49) await delay(5);
      }
      await first.waitFor(/^got 299$/m);

      // The server process dies (SIGKILL: no close frame, the OS drops TCP).
      first.kill("SIGKILL");
      await first.exited();
      await until(() => c.readyState === 0, "the client to notice the drop and wait to reconnect");
      assert.ok(reconnecting.length >= 1);
      assert.equal(reconnecting[0].code, 1006);

      // Phase 2: the stream goes on while nothing listens: the offline queue holds it.
      for (; sent < 600; sent++) c.send(String(sent));
      assert.ok(c.bufferedAmount > 0, "queued bytes count in bufferedAmount");
      await delay(100); // a few refused attempts in between

      // Phase 3: a new process on the SAME port; sends right after the reconnect go after the queue.
      const second = startCounting(serverRuntime, port);
      await second.waitFor(new RegExp(`listening ${port}`));
      await reconnected;
      for (; sent < 800; sent++) c.send(String(sent));
      await second.waitFor(/^got 799$/m);
      await c.drained();

      const got1 = received(first);
      const got2 = received(second);
      assert.deepEqual(got1, range(0, 300));
      assert.deepEqual(got2, range(300, 800), "queued messages flushed in order, before later sends, none twice");
      const total = got1.length + got2.length;
      const lost = sent - new Set([...got1, ...got2]).size;
      console.log(`[restart test ${RUNTIME} client -> ${serverRuntime} server] sent ${sent}, received ${total} (first server ${got1.length}, second ${got2.length}), duplicates ${total - new Set([...got1, ...got2]).size}, lost ${lost}`);
      assert.equal(lost, 0);
      assert.equal(total, sent);
      assert.equal(c.readyState, 1);
    });
  }
});

describe(`reconnect on ${RUNTIME}: backoff`, () => {
  it("backoffDelay stays within [minDelay, min(maxDelay, minDelay·factor^attempt)]", () => {
    const policy = resolveReconnect({ minDelay: 100, maxDelay: 3000, factor: 2 })!;
    for (let attempt = 1; attempt <= 12; attempt++) {
      const ceiling = Math.min(3000, 100 * 2 ** attempt);
      assert.equal(backoffDelay(attempt, policy, () => 0), 100);
      assert.equal(backoffDelay(attempt, policy, () => 0.999999), ceiling);
      for (let i = 0; i < 200; i++) {
        const d = backoffDelay(attempt, policy);
        assert.ok(d >= 100 && d <= ceiling, `attempt ${attempt}: ${d} outside [100, ${ceiling}]`);
      }
    }
  });

  it("bad reconnect options are refused with a clear error", async () => {
    await assert.rejects(connect("ws://127.0.0.1:1", { reconnect: { minDelay: 500, maxDelay: 100 } }), /maxDelay \(100\) must not be smaller than minDelay/);
    await assert.rejects(connect("ws://127.0.0.1:1", { reconnect: { factor: 0.5 } }), /reconnect\.factor/);
  });

  it("clients dropped together retry at different, bounded delays; maxRetries ends with a clear error", async () => {
    const ts = await startServer();
    const minDelay = 30, maxDelay = 400, factor = 2, maxRetries = 3;
    const clients = await Promise.all([0, 1, 2].map(() => connect(ts.url, { reconnect: { minDelay, maxDelay, factor, maxRetries } })));
    const delays = clients.map(() => [] as number[]);
    const errors = clients.map(() => [] as Error[]);
    clients.forEach((c, i) => {
      cleanups.push(() => c.close());
      c.on("reconnecting", (e) => delays[i].push(e.delay));
      c.on("error", (e) => errors[i].push(e));
    });
    await ts.stop(); // 1001 to everyone, then nothing listens: every attempt is refused
    const infos = await Promise.all(clients.map((c) => c.closed));
    for (let i = 0; i < clients.length; i++) {
      assert.equal(delays[i].length, maxRetries);
      delays[i].forEach((d, k) => {
        const ceiling = Math.min(maxDelay, minDelay * factor ** (k + 1));
        assert.ok(d >= minDelay && d <= ceiling, `attempt ${k + 1}: ${d} outside [${minDelay}, ${ceiling}]`);
      });
      const last = errors[i].at(-1);
      assert.ok(last instanceof ConnectError);
      assert.match(last.message, /gave up after 3 reconnect attempts/);
      assert.equal(infos[i].code, 1001, "closed for good with the code of the last drop");
      assert.equal(clients[i].readyState, 3);
    }
    const distinct = new Set(delays.map((d) => d.join(",")));
    assert.equal(distinct.size, clients.length, `jitter: ${JSON.stringify(delays)}`);
  });

  it("with reconnect on, a first connection that never succeeds rejects after maxRetries", async () => {
    const raw = await listenRawServer(() => {});
    await raw.stop(); // a port nothing listens on
    const err = await connect(raw.url, { reconnect: { minDelay: 10, maxDelay: 20, maxRetries: 2 } }).then(() => null, (e) => e);
    assert.ok(err instanceof ConnectError);
    assert.match(err.message, /could not connect to .*connection refused.*gave up after 2 reconnect attempts/);
  });

  it("the first connection is retried until the server appears", async () => {
    const raw = await listenRawServer(() => {});
    const port = raw.port;
    await raw.stop();
    const pending = connect(`ws://127.0.0.1:${port}`, { reconnect: { minDelay: 20, maxDelay: 50 } });
    await delay(100); // some refused attempts
    const s = startCounting(RUNTIME, port);
    await s.waitFor(/listening/);
    const c = track(await pending);
    assert.equal(c.readyState, 1);
  });

  it("a connection that drops soon after opening does not reset the backoff", async () => {
    let opens = 0;
    const ts = await startServer({
      open(socket) {
        opens++;
        setTimeout(() => socket.terminate(), 5);
      },
    });
    cleanups.push(() => ts.stop());
    const c = await connect(ts.url, { reconnect: { minDelay: 5, maxDelay: 40, maxRetries: 4, stableAfter: 60_000 } });
    const attempts: number[] = [];
    c.on("reconnecting", (e) => attempts.push(e.attempt));
    const info = await c.closed;
    assert.deepEqual(attempts, [1, 2, 3, 4], "each short-lived connection counts as a further attempt");
    assert.equal(opens, 5);
    assert.ok([1006, 1001].includes(info.code));
  });
});

describe(`reconnect on ${RUNTIME}: final close codes`, () => {
  assert.equal(shouldReconnectByDefault({ code: 1006, reason: "" }), true);

  for (const code of [1008, 1003, 4000, 4999]) {
    it(`a server close with ${code} is final: no new attempt`, async () => {
      const raw = await listenRawServer((peer) => peer.closeWith(code, "go away"));
      cleanups.push(() => raw.stop());
      const reconnecting: ReconnectingEvent[] = [];
      const c = await connect(raw.url, { reconnect: { minDelay: 10, maxDelay: 20 } });
      c.on("reconnecting", (e) => reconnecting.push(e));
      const info = await c.closed;
      assert.deepEqual(info, { code, reason: "go away" });
      await delay(100);
      assert.equal(reconnecting.length, 0);
      assert.equal(raw.peers.length, 1);
    });
  }

  it("shouldReconnect(event) can make a 4xxx close reconnect", async () => {
    const raw = await listenRawServer((peer) => peer.closeWith(4001, "kicked"));
    cleanups.push(() => raw.stop());
    const seen: number[] = [];
    const c = track(await connect(raw.url, {
      reconnect: { minDelay: 10, maxDelay: 20, shouldReconnect: (e) => (seen.push(e.code), true) },
    }));
    await until(() => raw.peers.length >= 3, "two reconnects after 4001");
    assert.ok(seen.length >= 2 && seen.every((code) => code === 4001));
    await c.close();
  });
});

describe(`reconnect on ${RUNTIME}: lifecycle`, () => {
  it("async iteration goes on across drops and ends only when close() is called", async () => {
    let n = 0;
    const ts = await startServer({
      open(socket) {
        socket.send(`hello ${++n}`);
        setTimeout(() => socket.close(3001, "restart"), 20);
      },
    });
    cleanups.push(() => ts.stop());
    const c = await connect(ts.url, { reconnect: { minDelay: 10, maxDelay: 20, shouldReconnect: () => true } });
    const got: string[] = [];
    for await (const msg of c) {
      got.push(msg.text());
      if (got.length === 3) void c.close();
    }
    assert.deepEqual(got, ["hello 1", "hello 2", "hello 3"]);
    assert.equal(c.closeCode, 1000);
  });

  it("close() while waiting to reconnect stops for good; queued messages are reported as dropped", async () => {
    const ts = await startServer();
    const c = await connect(ts.url, { reconnect: { minDelay: 50, maxDelay: 100 } });
    const drops: string[] = [];
    c.on("drop", (d) => drops.push(String(d.data)));
    let closes = 0;
    c.on("close", () => closes++);
    await ts.stop();
    await until(() => c.readyState === 0, "reconnecting");
    c.send("never");
    const info = await c.close(4321, "bye");
    assert.deepEqual(info, { code: 4321, reason: "bye" });
    assert.deepEqual(drops, ["never"]);
    assert.equal(c.readyState, 3);
    assert.throws(() => c.send("late"), /closed/);
    await delay(150);
    assert.equal(closes, 1);
  });

  it("a url function (async) is called for every attempt, so each can carry a fresh token", async () => {
    const urls: string[] = [];
    const ts = await startServer({
      upgrade(_req, info) {
        urls.push(info.url.search);
      },
      open(socket) {
        if (urls.length === 1) setTimeout(() => socket.terminate(), 10);
      },
    });
    cleanups.push(() => ts.stop());
    let token = 0;
    const c = track(await connect(async () => {
      await delay(1);
      return `${ts.url}/?token=t${++token}`;
    }, { reconnect: { minDelay: 10, maxDelay: 20 } }));
    await until(() => urls.length >= 2 && c.readyState === 1, "a reconnect");
    assert.deepEqual(urls.slice(0, 2), ["?token=t1", "?token=t2"]);
    assert.equal(c.url, `${ts.url}/?token=t2`);
    c.send("still works");
    assert.equal((await nextMessage(c)).text(), "still works");
  });

  it("readyState follows what happens: 1 open, 0 while reconnecting, 1 again, 3 after close()", async () => {
    let port = 0;
    const first = await startServer();
    port = first.port;
    const c = await connect(first.url, { reconnect: { minDelay: 10, maxDelay: 30 } });
    const states: number[] = [c.readyState];
    c.on("reconnecting", () => states.push(c.readyState));
    const reconnected = new Promise<void>((r) => c.on("reconnected", () => r()));
    await first.stop();
    await until(() => c.readyState === 0, "reconnecting");
    const second = startCounting(RUNTIME, port);
    await second.waitFor(/listening/);
    await reconnected;
    states.push(c.readyState);
    await c.close();
    states.push(c.readyState);
    assert.deepEqual([states[0], states[1], states.at(-2), states.at(-1)], [1, 0, 1, 3]);
  });
});
