/**
 * Channels across runtimes: a server on this runtime and one on the other,
 * sharing one real redis-server, with channels clients on each:
 * subscribing, being denied, publishing (client publishes and
 * server.publish) and seeing each other's publications, text and binary;
 * and presence across two server processes, one per runtime, with one of
 * them killed (SIGKILL: it cannot say goodbye) and its member expired.
 */

import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { connect, SubscribeError } from "../mod.ts";
import { serve } from "./helpers/engine.ts";
import type { Client, Message, PresenceMember, Server } from "../mod.ts";
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
    await server.ready;
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

describe(`presence through Redis between a deno and a bun server process, one of them killed`, () => {
  const prefix = `chkill-${crypto.randomUUID().slice(0, 8)}:`;
  /** The fixture's `presenceHeartbeat`: the bound is 4 heartbeats (docs/channels.md, "Presence between servers"). */
  const HEARTBEAT = 200;
  let redis: RedisServer;
  const servers: Spawned[] = [];
  const clients: Client[] = [];

  before(async () => {
    redis = await startRedis();
  });

  after(async () => {
    for (const c of clients) if (c.readyState < 2) await c.close().catch(() => {});
    for (const s of servers) {
      s.child.stdin?.end();
      await s.exited(10_000).catch(() => s.kill());
    }
    await redis?.stop();
  });

  async function startServer(runtime: "deno" | "bun"): Promise<{ process: Spawned; url: string }> {
    const s = spawnScript(runtime, "tests/fixtures/channels_redis_server.ts", [redis.url, prefix]);
    servers.push(s);
    return { process: s, url: `ws://127.0.0.1:${(await s.waitFor(/listening (\d+)/, 30_000))[1]}` };
  }

  const runtimes = (members: PresenceMember[]) => members.map((m) => (m.info as { runtime: string }).runtime).sort();

  it(`each client sees both members; killing the ${OTHER_RUNTIME} server makes its member leave`, async () => {
    // Kill the server on the other runtime: the deno run kills a bun server, the bun run a deno server.
    const survivor = await startServer(RUNTIME);
    const victim = await startServer(OTHER_RUNTIME);
    const a = await connect(survivor.url, { channels: true });
    const b = await connect(victim.url, { channels: true });
    clients.push(a, b);
    const roomA = await a.subscribe("presence-room", { presence: true });
    const roomB = await b.subscribe("presence-room", { presence: true });
    await until(() => roomA.members.length === 2 && roomB.members.length === 2, "both clients to see both members", 10_000);
    assert.deepEqual(runtimes(roomA.members), ["bun", "deno"]);
    assert.deepEqual(runtimes(roomB.members), ["bun", "deno"]);
    assert.deepEqual(runtimes(await roomA.presence()), ["bun", "deno"], "the survivor's server lists both");
    const bMember = roomA.members.find((m) => (m.info as { runtime: string }).runtime === OTHER_RUNTIME)!;
    const aMember = roomA.members.find((m) => m !== bMember)!;

    const left: PresenceMember[] = [];
    roomA.on("leave", (m) => left.push(m));
    const killedAt = Date.now();
    victim.process.kill("SIGKILL");
    await victim.process.exited(10_000);
    // Nothing said goodbye: only the expiry removes the member. The documented bound is
    // 4 heartbeats plus the broker's delay; the wait is much longer so a busy machine does not fail it.
    await until(() => left.length > 0, `a leave for the killed server's member`, 40 * HEARTBEAT);
    console.log(`leave ${Date.now() - killedAt} ms after SIGKILL (bound ${4 * HEARTBEAT} ms plus the broker's delay)`);
    assert.deepEqual(left, [bMember]);
    assert.deepEqual(roomA.members, [aMember]);
    assert.deepEqual(await roomA.presence(), [aMember], "the survivor's server forgot it too");
    await b.closed;
  });
});
