/**
 * Items 3 and 4 of issue 12 against the demo server with its defaults
 * (server.ts --quiet, in its own process): a peer flooding tiny messages
 * while reading nothing is closed by the rate limit (1008) and the others
 * keep being served; one address opening connections as fast as it can is
 * refused with 429 and Retry-After. Round-trip times under a flood are
 * measured by bench/investigate/abuse.ts, not asserted here.
 */

import { afterEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { closeCodeOf, encodeFrame, rawConnect } from "../helpers/raw.ts";
import type { RawPeer } from "../helpers/raw.ts";
import { mib, spawnDemo as demo } from "../helpers/spawned.ts";
import type { SpawnedServer } from "../helpers/spawned.ts";
import { delay, RUNTIME, until } from "../helpers/runtime.ts";

let server: SpawnedServer | undefined;
const peers: RawPeer[] = [];
afterEach(async () => {
  for (const p of peers.splice(0)) p.destroy();
  await server?.stop();
  server = undefined;
});

async function peer(port: number): Promise<RawPeer> {
  const p = await rawConnect(port);
  peers.push(p);
  return p;
}

/** One echo round trip through the demo protocol. */
async function roundTrip(p: RawPeer, text: string): Promise<void> {
  p.sendFrame(0x1, text);
  await p.waitFrame((f) => f.opcode === 0x1 && new TextDecoder().decode(f.payload) === `Echo: ${text}`, 10_000);
}

function burst(n: number): Uint8Array {
  const one = encodeFrame(0x1, new TextEncoder().encode("x"));
  const out = new Uint8Array(one.length * n);
  for (let i = 0; i < n; i++) out.set(one, i * one.length);
  return out;
}

describe(`demo server defaults against floods (${RUNTIME})`, () => {
  it("a 200,000-message burst from a peer that reads nothing: it is closed (rate limit), others are served, RSS stays bounded", async () => {
    server = await demo();
    await delay(300);
    const base = server.rss();
    const other = await peer(server.port);
    await roundTrip(other, "before");
    const flooder = await peer(server.port);
    flooder.pause();
    flooder.write(burst(200_000));
    await roundTrip(other, "during");
    await delay(1000);
    flooder.resume(); // now read what the server said
    await until(() => flooder.isEnded() || flooder.frames.some((f) => f.opcode === 0x8), "the flooder to be closed", 10_000);
    const close = flooder.frames.find((f) => f.opcode === 0x8);
    // Bun sends 1008; Deno drops TCP when frames keep arriving after its close frame.
    if (close !== undefined) assert.equal(closeCodeOf(close), 1008);
    const echoes = flooder.frames.filter((f) => f.opcode === 0x1).length;
    assert.ok(echoes <= 200, `at most the burst of 200 was answered, saw ${echoes}`);
    await roundTrip(other, "after");
    const growth = server.peak() - base;
    assert.ok(growth < 64 * 1048576, `peak RSS grew by ${mib(growth)} MiB`);
  });

  it("one address opening 300 connections at once: refused with 429 and Retry-After beyond the upgrade rate; open ones are served", async () => {
    server = await demo();
    const attempts = await Promise.all(Array.from({ length: 300 }, () => rawConnect(server!.port)));
    peers.push(...attempts);
    const accepted = attempts.filter((p) => p.status === 101);
    const refused = attempts.filter((p) => p.status === 429);
    assert.equal(accepted.length + refused.length, 300, `statuses ${[...new Set(attempts.map((p) => p.status))]}`);
    assert.ok(accepted.length >= 1 && accepted.length <= 64, `${accepted.length} accepted (burst 40 + 20/s, at most 64 per address)`);
    for (const p of refused) assert.match(p.head, /\r\nretry-after: \d+\r\n/i);
    await roundTrip(accepted[0], "served");
    for (const p of attempts) p.destroy();
    await delay(2500); // the bucket refills
    const later = await peer(server.port);
    assert.equal(later.status, 101);
  });
});
