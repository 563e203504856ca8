/**
 * What held in issue 12's attack run, kept holding (server in its own
 * process, RSS from /proc): oversized handshake headers, ping floods, JSON
 * attacks through the demo protocol, silent peers with --idle-timeout.
 * Garbage frames and 1009 are covered by tests/conformance.test.ts.
 */

import { afterEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { encodeFrame, rawConnect } from "../helpers/raw.ts";
import type { RawPeer } from "../helpers/raw.ts";
import { mib, spawnDemo as demo, spawnServer } from "../helpers/spawned.ts";
import type { SpawnedServer } from "../helpers/spawned.ts";
import { delay, RUNTIME, until } from "../helpers/runtime.ts";

const MiB = 1024 * 1024;
let server: SpawnedServer | undefined;
const peers: RawPeer[] = [];
afterEach(async () => {
  for (const p of peers.splice(0)) p.destroy();
  await server?.stop();
  server = undefined;
});

async function peer(port: number, headers: Record<string, string> = {}, init: { answerPings?: boolean } = {}): Promise<RawPeer> {
  const p = await rawConnect(port, headers, "/", init);
  peers.push(p);
  return p;
}

/** Sends text and waits for the next text reply. */
async function ask(p: RawPeer, text: string, ms = 15_000): Promise<string> {
  p.frames.length = 0;
  p.sendFrame(0x1, text);
  const f = await p.waitFrame((f) => f.opcode === 0x1, ms);
  return new TextDecoder().decode(f.payload);
}

describe(`what held, still holds (${RUNTIME})`, () => {
  it(`oversized handshake headers are refused (${RUNTIME === "bun" ? "431" : "400"}); normal ones pass`, async () => {
    server = await demo();
    assert.equal((await peer(server.port, { "X-Big": "a".repeat(16_000) })).status, 101);
    const expected = RUNTIME === "bun" ? 431 : 400;
    assert.equal((await peer(server.port, { "X-Big": "a".repeat(65_536) })).status, expected);
    assert.equal((await peer(server.port, { "X-Big": "a".repeat(MiB) })).status, expected);
    const many: Record<string, string> = {};
    for (let i = 0; i < 2000; i++) many[`X-H${i}`] = "v";
    assert.equal((await peer(server.port, many)).status, expected);
    assert.equal(await ask(await peer(server.port), "still"), "Echo: still");
  });

  it("100,000 pings from a peer that reads no pong: RSS stays bounded, others are served", async () => {
    server = await spawnServer(RUNTIME, "tests/fixtures/abuse_server.ts", ["fullduplex", "{}"]);
    await delay(300);
    const base = server.rss();
    const flooder = await peer(server.port);
    flooder.pause();
    const one = encodeFrame(0x9, new TextEncoder().encode("p"));
    const all = new Uint8Array(one.length * 100_000);
    for (let i = 0; i < 100_000; i++) all.set(one, i * one.length);
    flooder.write(all);
    const other = await peer(server.port);
    assert.equal(await ask(other, "served"), "served");
    await delay(2000);
    assert.equal(await ask(other, "still served"), "still served");
    const growth = server.peak() - base;
    assert.ok(growth < 64 * MiB, `peak RSS grew by ${mib(growth)} MiB`);
  });

  it("JSON attacks through the demo protocol get error replies; the server stays up and bounded", async () => {
    server = await demo();
    await delay(300);
    const base = server.rss();
    const p = await peer(server.port);
    const deep = 100_000;
    const keys = Array.from({ length: 80_000 }, (_, i) => `"k${i}":1`).join(",");
    const attacks: [string, string, RegExp][] = [
      ["100,000-deep array", "[".repeat(deep) + "]".repeat(deep), /"type":"error"/],
      ["100,000-deep object", '{"a":'.repeat(deep) + "1" + "}".repeat(deep), /"type":"error"/],
      ["80,000 keys", `{"type":"greeting",${keys}}`, /"type":"response"/],
      ["__proto__ as the type", '{"type":"__proto__"}', /"type":"error"/],
      ["constructor as the type", '{"type":"constructor"}', /"type":"error"/],
      ["__proto__ carrying a type", '{"__proto__":{"type":"greeting"}}', /"type":"error"/],
      ["__proto__ beside the type", '{"type":"greeting","__proto__":{"polluted":true}}', /"type":"response"/],
      ["900 KiB string", `{"type":"greeting","content":"${"a".repeat(900 * 1024)}"}`, /"type":"response"/],
    ];
    for (const [name, text, reply] of attacks) {
      const answer = await ask(p, text);
      assert.match(answer, reply, name);
      assert.ok(answer.length < 1024, `${name}: a short reply (${answer.length} chars)`);
    }
    assert.equal(({} as { polluted?: boolean }).polluted, undefined);
    assert.equal(await ask(p, "after"), "Echo: after");
    const growth = server.peak() - base;
    assert.ok(growth < 256 * MiB, `peak RSS grew by ${mib(growth)} MiB`);
    assert.equal(server.child.exitCode, null, "still running");
  });

  it("a silent peer is dropped after --idle-timeout; one that answers pings stays", async () => {
    server = await demo(["--idle-timeout", "2"]);
    const silent = await peer(server.port, {}, { answerPings: false });
    const alive = await peer(server.port);
    await until(() => silent.isEnded(), "the silent peer to be dropped", 10_000);
    assert.ok(silent.frames.some((f) => f.opcode === 0x9), "it was pinged first");
    assert.equal(alive.isEnded(), false);
    assert.equal(await ask(alive, "alive"), "Echo: alive");
  });
});
