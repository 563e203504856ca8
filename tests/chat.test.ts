/**
 * examples/chat.ts driven by scripted clients: rooms on one server, and
 * two chat servers (one per runtime) sharing a real redis-server.
 */

import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { connect } from "../mod.ts";
import type { Client } from "../mod.ts";
import { OTHER_RUNTIME, RUNTIME, spawnScript, until } from "./helpers/runtime.ts";
import type { Spawned } from "./helpers/runtime.ts";
import { startRedis } from "./helpers/redis.ts";
import type { RedisServer } from "./helpers/redis.ts";

interface ChatEvent {
  type: string;
  room?: string;
  user?: string;
  text?: string;
  error?: string;
}

interface ChatClient {
  client: Client;
  events: ChatEvent[];
  send(value: object): void;
  waitFor(pick: (e: ChatEvent) => boolean, what: string): Promise<ChatEvent>;
}

const spawned: Spawned[] = [];
const clients: Client[] = [];
let redis: RedisServer | undefined;
after(async () => {
  for (const c of clients) if (c.readyState < 2) await c.close().catch(() => {});
  for (const s of spawned) {
    s.kill("SIGTERM");
    await s.exited(10_000).catch(() => s.kill());
  }
  await redis?.stop();
});

async function startChat(runtime: "deno" | "bun", extra: string[] = []): Promise<string> {
  const s = spawnScript(runtime, "examples/chat.ts", ["--port", "0", "--host", "127.0.0.1", ...extra]);
  spawned.push(s);
  return (await s.waitFor(/Chat server listening on (http:\/\/127\.0\.0\.1:\d+)/, 30_000))[1];
}

async function chatter(http: string, name: string): Promise<ChatClient> {
  const client = await connect(`${http.replace(/^http/, "ws")}/?name=${name}`, { timeout: 10_000 });
  clients.push(client);
  const events: ChatEvent[] = [];
  client.on("message", (msg) => events.push(msg.json() as ChatEvent));
  const c: ChatClient = {
    client,
    events,
    send: (value) => client.sendJson(value),
    async waitFor(pick, what) {
      await until(() => events.some(pick), `${name} to get ${what}; got ${JSON.stringify(events)}`, 10_000);
      return events.find(pick)!;
    },
  };
  await c.waitFor((e) => e.type === "welcome" && e.user === name, "welcome");
  return c;
}

const said = (user: string, text: string) => (e: ChatEvent) => e.type === "message" && e.user === user && e.text === text;

describe(`examples/chat.ts on ${RUNTIME}`, () => {
  it("serves the page and runs rooms with join, say and leave", async () => {
    const http = await startChat(RUNTIME);
    const page = await fetch(`${http}/`);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /<title>fullduplex chat<\/title>/);

    const [ann, bob, cat] = [await chatter(http, "ann"), await chatter(http, "bob"), await chatter(http, "cat")];
    ann.send({ type: "join", room: "lobby" });
    await ann.waitFor((e) => e.type === "joined" && e.user === "ann", "her own join");
    bob.send({ type: "join", room: "lobby" });
    await ann.waitFor((e) => e.type === "joined" && e.user === "bob", "bob's join");
    cat.send({ type: "join", room: "garden" });
    await cat.waitFor((e) => e.type === "joined" && e.user === "cat", "her own join");

    ann.send({ type: "say", room: "lobby", text: "hello lobby" });
    await bob.waitFor(said("ann", "hello lobby"), "ann's message");
    await ann.waitFor(said("ann", "hello lobby"), "her own message");
    cat.send({ type: "say", room: "garden", text: "hello garden" });
    await cat.waitFor(said("cat", "hello garden"), "her own message");
    cat.send({ type: "say", room: "lobby", text: "sneaky" });
    const refused = await cat.waitFor((e) => e.type === "error", "an error");
    assert.match(refused.error!, /join lobby/);

    bob.send({ type: "leave", room: "lobby" });
    await ann.waitFor((e) => e.type === "left" && e.user === "bob", "bob leaving");
    ann.send({ type: "say", room: "lobby", text: "bob is gone" });
    await ann.waitFor(said("ann", "bob is gone"), "her own message");
    await cat.client.close();
    bob.send({ type: "join", room: "lobby" });
    await bob.waitFor((e) => e.type === "joined" && e.user === "bob" && bob.events.filter((x) => x.type === "joined").length === 2, "his second join");

    assert.deepEqual(bob.events.filter((e) => e.type === "message").map((e) => e.text), ["hello lobby"], "bob missed what was said after he left");
    assert.ok(!ann.events.some((e) => e.room === "garden"), "ann is not in the garden");
    await ann.client.close();
    await bob.waitFor((e) => e.type === "left" && e.user === "ann", "ann's disconnect");
  });

  it(`shares rooms between a ${RUNTIME} and a ${OTHER_RUNTIME} server through Redis`, async () => {
    redis = await startRedis();
    const [one, two] = [await startChat(RUNTIME, ["--redis", redis.url]), await startChat(OTHER_RUNTIME, ["--redis", redis.url])];
    const [ann, bob] = [await chatter(one, "ann"), await chatter(two, "bob")];
    ann.send({ type: "join", room: "lobby" });
    bob.send({ type: "join", room: "lobby" });
    await until(() => redis!.numsub("chat:room:lobby") === 2, "both servers to subscribe the room in Redis", 10_000);
    ann.send({ type: "say", room: "lobby", text: "from one" });
    await bob.waitFor(said("ann", "from one"), "ann's message from the other server");
    bob.send({ type: "say", room: "lobby", text: "from two" });
    await ann.waitFor(said("bob", "from two"), "bob's message from the other server");
    await bob.waitFor(said("bob", "from two"), "his own message");
    assert.equal(ann.events.filter(said("ann", "from one")).length, 1, "exactly once");
    assert.equal(bob.events.filter(said("ann", "from one")).length, 1, "exactly once");
  });
});
