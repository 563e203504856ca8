/**
 * Item 1 of issue 12, with the server in its own process and its RSS read
 * from /proc: one stuck peer cannot grow the server's memory without bound,
 * whatever the message size, on both runtimes. Deno's engine holds ~850
 * bytes per queued send beyond the payload, so before fullduplex counted
 * that, 7-byte replies to a peer that never reads grew a Deno server by
 * ~1.3 GB (bench/investigate/ABUSE.md). And a slow peer that does read is
 * not cut off: a paced producer gets every message through.
 */

import { afterEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { connect as tcpConnect } from "node:net";
import type { Socket as TcpSocket } from "node:net";
import { rawConnect } from "../helpers/raw.ts";
import type { RawPeer } from "../helpers/raw.ts";
import { mib, spawnServer } from "../helpers/spawned.ts";
import type { SpawnedServer } from "../helpers/spawned.ts";
import { delay, RUNTIME } from "../helpers/runtime.ts";

/** RSS growth allowed for one stuck peer at the default 16 MiB limit: the limit, the kernel's share, the engine's slack. */
const STUCK_BOUND_MIB = 64;

let server: SpawnedServer | undefined;
const peers: RawPeer[] = [];
afterEach(async () => {
  for (const p of peers.splice(0)) p.destroy();
  await server?.stop();
  server = undefined;
});

describe(`backpressure bounds real memory (${RUNTIME}, server in its own process)`, () => {
  // Enough sends that an unbounded queue would hold hundreds of MiB to GiBs.
  const cases: [number, number][] = [[1, 3_000_000], [7, 2_000_000], [1024, 100_000], [65536, 1_000]];
  for (const [size, n] of cases) {
    it(`${n.toLocaleString("en")} sends of ${size} bytes to a peer that never reads: RSS grows < ${STUCK_BOUND_MIB} MiB`, async () => {
      server = await spawnServer(RUNTIME, "tests/fixtures/abuse_server.ts", ["fullduplex", "{}"]);
      await delay(300);
      const base = server.rss();
      const peer = await rawConnect(server.port, {}, "/", { answerPings: false, answerClose: false });
      peers.push(peer);
      peer.pause();
      peer.sendFrame(0x1, `send ${n} ${size} text`);
      const [, , , dropped] = (await server.line(/SENT .*/, 1, 120_000)).split(" ").map(Number);
      await delay(500);
      const growth = server.rss() - base;
      // Deno: each queued send is charged its bytes plus 1 KiB, so even 1-byte
      // sends are refused after ~16,000 queued. Bun counts what uWS holds
      // (payload plus frame header), which 3 million 1-byte sends do not fill.
      if (RUNTIME === "deno") assert.ok(dropped > 0, "sends were refused at backpressureLimit");
      assert.ok(growth < STUCK_BOUND_MIB * 1048576, `RSS grew by ${mib(growth)} MiB`);
    });
  }

  it("a slow peer that reads is not cut off: 300,000 paced 7-byte messages all arrive, none refused", async () => {
    server = await spawnServer(RUNTIME, "tests/fixtures/abuse_server.ts", ["fullduplex", "{}"]);
    const N = 300_000;
    // A counting reader: it reads in bursts (20 ms on, 20 ms off) and keeps nothing.
    let received = 0;
    let headDone = false;
    const tcp: TcpSocket = await new Promise((resolve, reject) => {
      const s = tcpConnect(server!.port, "127.0.0.1", () => resolve(s));
      s.on("error", reject);
    });
    tcp.on("data", (chunk: Uint8Array) => {
      if (!headDone) {
        const text = new TextDecoder("latin1").decode(chunk);
        const end = text.indexOf("\r\n\r\n");
        if (end < 0) return;
        headDone = true;
        received += chunk.length - (end + 4);
      } else received += chunk.length;
    });
    tcp.write(
      `GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        `Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`,
    );
    const toggle = setInterval(() => (tcp.isPaused() ? tcp.resume() : tcp.pause()), 20);
    try {
      while (!headDone) await delay(10);
      // "pace 300000 7" as a masked text frame.
      const { encodeFrame } = await import("../helpers/raw.ts");
      tcp.write(encodeFrame(0x1, new TextEncoder().encode(`pace ${N} 7`)));
      const [, , dropped] = (await server.line(/PACED .*/, 1, 120_000)).split(" ").map(Number);
      assert.equal(dropped, 0, "no send refused");
      const expected = N * (2 + 7);
      const end = Date.now() + 60_000;
      while (received < expected && Date.now() < end) await delay(50);
      assert.equal(received, expected, "every message arrived");
    } finally {
      clearInterval(toggle);
      tcp.destroy();
    }
  });
});
