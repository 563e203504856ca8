/**
 * Channels across runtimes: a server on this runtime and one on the other,
 * sharing one real redis-server, with channels clients on each:
 * subscribing, being denied, publishing (client publishes and
 * server.publish) and seeing each other's publications, text and binary.
 */

import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { connect, serve, SubscribeError } from "../mod.ts";
import type { Client, Message, Server } from "../mod.ts";
import { createRedisBroker } from "../src/broker/redis.ts";
import type { RedisBroker } from "../src/broker/redis.ts";
import { startRedis } from "./helpers/redis.ts";
import type { RedisServer } from "./helpers/redis.ts";
import { OTHER_RUNTIME, RUNTIME, spawnScript, until } from "./helpers/runtime.ts";
import type { Spawned } from "./helpers/runtime.ts";
import { channelsRedisOptions } from "./fixtures/channels_redis_server.ts";

describe(`channels through Redis: a ${RUNTIME} server and a ${OTHER_RUNTIME} server`, () => {
  const prefix = `chtest-${crypto.randomUUID().slice(0, 8)}:`;
  let redis: RedisServer;
  let broker: RedisBroker;
  let local: Server;
  let other: Spawned;
  let localUrl: string;
  let otherUrl: string;
  const clients: Client[] = [];

  before(async () => {
    redis = await startRedis();
    broker = await createRedisBroker({ url: redis.url, prefix });
    const server: Server = serve(channelsRedisOptions(broker, () => server));
    local = server;
    localUrl = `ws://127.0.0.1:${local.port}`;
    other = spawnScript(OTHER_RUNTIME, "tests/fixtures/channels_redis_server.ts", [redis.url, prefix]);
    otherUrl = `ws://127.0.0.1:${(await other.waitFor(/listening (\d+)/, 30_000))[1]}`;
  });

  after(async () => {
    for (const c of clients) if (c.readyState < 2) await c.close().catch(() => {});
    other?.child.stdin?.end();
    await other?.exited(10_000).catch(() => other.kill());
    await local?.shutdown({ timeout: 1000 });
    await broker?.close();
    await redis?.stop();
  });

  async function client(url: string): Promise<Client> {
    const c = await connect(url, { channels: true });
    clients.push(c);
    return c;
  }

  const text = (m: Message) => (m.kind === "text" ? `t:${m.text()}` : `b:${[...m.bytes()].join(",")}`);

  it("clients on both servers subscribe, are denied, and see each other's publications", async () => {
    const a = await client(localUrl);
    const b = await client(otherUrl);
    const roomA = await a.subscribe("room");
    const roomB = await b.subscribe("room");
    const gotA: string[] = [];
    const gotB: string[] = [];
    roomA.on("message", (m) => gotA.push(text(m)));
    roomB.on("message", (m) => gotB.push(text(m)));
    const deniedA = await a.subscribe("secret:1").then(() => undefined, (e) => e);
    const deniedB = await b.subscribe("secret:1").then(() => undefined, (e) => e);
    assert.ok(deniedA instanceof SubscribeError && deniedB instanceof SubscribeError);
    assert.equal(deniedA.reason, `no secret:1 on ${RUNTIME}`);
    assert.equal(deniedB.reason, `no secret:1 on ${OTHER_RUNTIME}`);
    await until(() => redis.numsub(prefix + "room") === 2, "both servers subscribed in Redis", 10_000);

    await roomA.publish("from a");
    await roomB.publish(new Uint8Array([7, 8]));
    b.send("spub room server publish on the other");
    local.publish("room", "server publish here");
    await until(() => gotA.length === 4 && gotB.length === 4, "publications on both sides", 10_000);
    for (const got of [gotA, gotB]) {
      assert.deepEqual([...got].sort(), ["b:7,8", "t:from a", "t:server publish here", "t:server publish on the other"]);
    }
  });
});
