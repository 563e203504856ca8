/**
 * The Redis broker with a real redis-server: two fullduplex servers share
 * it, one on this test's runtime (in-process) and one on the other runtime
 * (tests/fixtures/redis_relay_server.ts). A message published on either
 * reaches the subscribers of both exactly once, text and binary; after a
 * Redis restart both brokers reconnect, subscribe again and say so.
 */

import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { serve } from "./helpers/engine.ts";
import type { Server } from "../mod.ts";
import { createRedisBroker } from "../src/broker/redis.ts";
import type { RedisBroker, RedisBrokerEvent } from "../src/broker/redis.ts";
import { decodeRedisMessage, encodeRedisMessage } from "../src/broker/redis_wire.ts";
import { relayHandlers } from "./fixtures/topic_relay.ts";
import { startRedis } from "./helpers/redis.ts";
import type { RedisServer } from "./helpers/redis.ts";
import { OTHER_RUNTIME, RUNTIME, spawnScript, until } from "./helpers/runtime.ts";
import type { Spawned } from "./helpers/runtime.ts";
import { recorder } from "./helpers/topics.ts";
import type { Recorder } from "./helpers/topics.ts";

describe("Redis wire format", () => {
  it("round-trips text and bytes and refuses what fullduplex did not write", () => {
    for (const data of ["", "héllo\nworld \u{1f600}", "t\n", new Uint8Array(0), new Uint8Array([0, 10, 255, 98])]) {
      const decoded = decodeRedisMessage("room", encodeRedisMessage({ topic: "room", origin: "srv-1", data }));
      assert.deepEqual(decoded, { topic: "room", origin: "srv-1", data });
    }
    assert.equal(decodeRedisMessage("room", "hello"), undefined);
    assert.equal(decodeRedisMessage("room", ""), undefined);
    assert.equal(decodeRedisMessage("room", "x1\nabc"), undefined);
  });
});

describe(`Redis broker: a ${RUNTIME} server and a ${OTHER_RUNTIME} server`, () => {
  const prefix = `test-${crypto.randomUUID().slice(0, 8)}:`;
  let redis: RedisServer;
  let broker: RedisBroker;
  const events: RedisBrokerEvent["type"][] = [];
  let local: Server;
  let other: Spawned;
  let otherUrl: string;
  const recorders: Recorder[] = [];

  before(async () => {
    redis = await startRedis();
    broker = await createRedisBroker({ url: redis.url, prefix, onEvent: (e) => events.push(e.type) });
    const server: Server = serve({ ...relayHandlers(() => server), hostname: "127.0.0.1", port: 0, broker });
    local = server;
    await server.ready;
    other = spawnScript(OTHER_RUNTIME, "tests/fixtures/redis_relay_server.ts", [redis.url, prefix]);
    otherUrl = `ws://127.0.0.1:${(await other.waitFor(/listening (\d+)/, 30_000))[1]}`;
  });

  after(async () => {
    for (const r of recorders) if (r.client.readyState < 2) await r.client.close().catch(() => {});
    other?.child.stdin?.end();
    await other?.exited(10_000).catch(() => other.kill());
    await local?.shutdown({ timeout: 1000 });
    await broker?.close();
    await redis?.stop();
  });

  async function rec(url: string, subs: string[]): Promise<Recorder> {
    const r = await recorder(url, subs);
    recorders.push(r);
    return r;
  }

  /** Waits until both servers' brokers have subscribed the topic's channel. */
  function bothSubscribed(topic: string): Promise<void> {
    return until(() => redis.numsub(prefix + topic) === 2, `both servers to subscribe ${topic} in Redis`, 10_000);
  }

  it("a message published on either server reaches subscribers on both exactly once, text and binary", async () => {
    const localUrl = `ws://127.0.0.1:${local.port}`;
    const [a1, a2] = [await rec(localUrl, ["room"]), await rec(localUrl, ["room"])];
    const [b1, b2] = [await rec(otherUrl, ["room"]), await rec(otherUrl, ["room"])];
    await bothSubscribed("room");
    const all = [a1, a2, b1, b2];
    // Each step waits until every receiver has it, so a duplicate (an echo
    // from Redis that a server failed to ignore) would land before the next
    // step's message and break the exact lists below.
    const step = async (from: Recorder | Server, command: string, entry: string) => {
      if ("send" in from) from.send(command);
      else if (command === "bin") from.publish("room", new Uint8Array([0, 128, 255]));
      else from.publish("room", command);
      for (const r of all) if (r !== from) await r.waitFor(entry);
    };
    await step(a1, "pub room from-local", "t:from-local");
    await step(a1, "bin room 00ff10", "b:00ff10");
    await step(b1, "pub room from-other", "t:from-other");
    await step(b1, "bin room 0a0b", "b:0a0b");
    await step(local, "server-local", "t:server-local");
    await step(b2, "spub room server-other", "t:server-other");
    await step(local, "bin", "b:0080ff");
    const tail = ["t:server-local", "t:server-other", "b:0080ff"];
    assert.deepEqual(a1.received, ["t:from-other", "b:0a0b", ...tail]);
    assert.deepEqual(b1.received, ["t:from-local", "b:00ff10", ...tail]);
    for (const r of [a2, b2]) assert.deepEqual(r.received, ["t:from-local", "b:00ff10", "t:from-other", "b:0a0b", ...tail]);
    assert.equal(local.subscriberCount("room"), 2, "subscriberCount counts this server's sockets only");
  });

  it("keeps one publisher's order through Redis (200 numbered messages)", async () => {
    const localUrl = `ws://127.0.0.1:${local.port}`;
    const publisher = await rec(localUrl, []);
    const remote = await rec(otherUrl, ["seq"]);
    const near = await rec(localUrl, ["seq"]);
    await bothSubscribed("seq");
    publisher.send("burst seq 200");
    const expected = Array.from({ length: 200 }, (_, i) => `t:${i}`);
    for (const r of [remote, near]) {
      await r.waitCount(200, 20_000);
      assert.deepEqual(r.received, expected);
    }
  });

  it("reconnects after Redis restarts, subscribes again and reports it", async () => {
    const localUrl = `ws://127.0.0.1:${local.port}`;
    const a = await rec(localUrl, ["after"]);
    const b = await rec(otherUrl, ["after"]);
    await bothSubscribed("after");
    await redis.kill();
    await until(() => events.includes("disconnected"), `a disconnected event (got ${events.join(",")})`, 10_000);
    await other.waitFor(/redis disconnected/, 10_000);
    await redis.restart();
    await until(() => events.includes("reconnected"), `a reconnected event (got ${events.join(",")})`, 20_000);
    await other.waitFor(/redis reconnected/, 20_000);
    await bothSubscribed("after");
    a.send("pub after back-from-local");
    await b.waitFor("t:back-from-local");
    b.send("pub after back-from-other");
    await a.waitFor("t:back-from-other");
    assert.deepEqual(a.received, ["t:back-from-other"]);
    assert.deepEqual(b.received, ["t:back-from-local"]);
  });
});
