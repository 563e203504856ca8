/**
 * examples/chat.ts on channels: its server, driven by its own client mode
 * (exact output checked) and by library clients (the server's rules), on one
 * server and on two (one per runtime) sharing a real redis-server.
 */

import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { connect, PublishError, SubscribeError } from "../mod.ts";
import type { Client, PresenceMember } from "../mod.ts";
import { OTHER_RUNTIME, RUNTIME, spawnScript, until } from "./helpers/runtime.ts";
import type { Spawned } from "./helpers/runtime.ts";
import { startRedis } from "./helpers/redis.ts";
import type { RedisServer } from "./helpers/redis.ts";
import { rawConnect } from "./helpers/raw.ts";

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

const ws = (http: string) => http.replace(/^http/, "ws");

/** examples/chat.ts in client mode: `say` writes a stdin line, `leave` ends stdin and waits for the exit. */
interface ChatUser {
  process: Spawned;
  /** Waits until stdout has `line` (a whole line). */
  sees(line: string): Promise<void>;
  say(text: string): void;
  leave(): Promise<number>;
}

function chatUser(runtime: "deno" | "bun", http: string, name: string, room = "lobby"): ChatUser {
  const p = spawnScript(runtime, "examples/chat.ts", ["client", ws(http), "--name", name, "--room", room]);
  spawned.push(p);
  const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return {
    process: p,
    sees: async (line) => void await p.waitFor(new RegExp(`^${escape(line)}$`, "m"), 20_000),
    say: (text) => void p.child.stdin!.write(`${text}\n`),
    leave: () => {
      p.child.stdin!.end();
      return p.exited(20_000);
    },
  };
}

async function libraryClient(http: string, name: string): Promise<Client> {
  const c = await connect(`${ws(http)}/?name=${name}`, { channels: true, timeout: 10_000 });
  clients.push(c);
  return c;
}

const names = (members: PresenceMember[]) => members.map((m) => (m.info as { name: string }).name).sort();

describe(`examples/chat.ts on ${RUNTIME}`, () => {
  it("serves the page and its client bundle, and 404 elsewhere", async () => {
    const http = await startChat(RUNTIME);
    const page = await fetch(`${http}/`);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /<title>fullduplex chat<\/title>[\s\S]*import \{ connect \} from "\/client\.js"/);
    const bundle = await fetch(`${http}/client.js`);
    assert.equal(bundle.status, 200);
    assert.match(await bundle.text(), /fullduplex\.channels\.v1/);
    const missing = await fetch(`${http}/nope`);
    assert.equal(missing.status, 404);
    await missing.body?.cancel();

    // Users join rooms, see who is online, get join/leave notices and what is said in their room only.
    const ann = chatUser(RUNTIME, http, "ann");
    await ann.sees("Joined #lobby; online: ann");
    const bob = chatUser(RUNTIME, http, "bob");
    await bob.sees("Joined #lobby; online: ann, bob");
    await ann.sees("* bob joined #lobby (online: ann, bob)");
    const cat = chatUser(RUNTIME, http, "cat", "garden");
    await cat.sees("Joined #garden; online: cat");
    const intruder = chatUser(RUNTIME, http, "cat", "dm-ann-bob");
    assert.equal(await intruder.process.exited(20_000), 1);
    assert.equal(intruder.process.stderr(), "Error: cannot join #dm-ann-bob: only ann and bob may join dm-ann-bob\n");

    ann.say("hello lobby");
    await bob.sees("ann: hello lobby");
    cat.say("hello garden");
    await cat.sees("cat: hello garden");
    bob.say("hi ann");
    await ann.sees("bob: hi ann");
    assert.equal(await bob.leave(), 0);
    await ann.sees("* bob left #lobby (online: ann)");
    assert.equal(await ann.leave(), 0);
    assert.equal(await cat.leave(), 0);

    const at = `Connected to ${ws(http)} as`;
    assert.equal(
      ann.process.stdout(),
      `${at} ann\nJoined #lobby; online: ann\n* bob joined #lobby (online: ann, bob)\nann: hello lobby\nbob: hi ann\n` +
        "* bob left #lobby (online: ann)\nLeft #lobby\n",
    );
    assert.equal(bob.process.stdout(), `${at} bob\nJoined #lobby; online: ann, bob\nann: hello lobby\nbob: hi ann\nLeft #lobby\n`);
    assert.equal(cat.process.stdout(), `${at} cat\nJoined #garden; online: cat\ncat: hello garden\nLeft #garden\n`);
    for (const u of [ann, bob, cat]) assert.equal(u.process.stderr(), "");
  });

  it("the server decides: room names, direct-message rooms, names in presence, signed messages", async () => {
    const http = await startChat(RUNTIME);
    const bad = await rawConnect(Number(new URL(http).port), {}, "/?name=not-a-name");
    assert.equal(bad.status, 400);
    bad.destroy();

    const dan = await libraryClient(http, "dan");
    const denied = await dan.subscribe("lobby").then(() => undefined, (e: unknown) => e);
    assert.ok(denied instanceof SubscribeError);
    assert.equal(denied.reason, "rooms are room:<1-64 letters, digits, _ or ->");
    const refused = await dan.request<{ id: string }>({ type: "say", room: "dm-dan-eve", text: "psst" });
    assert.deepEqual(refused, { error: "join #dm-dan-eve before saying something there", id: refused.id });

    const dm = await dan.subscribe("room:dm-dan-eve", { presence: true });
    assert.deepEqual(names(dm.members), ["dan"]);
    const eve = await libraryClient(http, "eve");
    const joined = new Promise<PresenceMember>((resolve) => dm.on("join", resolve));
    const dmEve = await eve.subscribe("room:dm-dan-eve", { presence: true });
    assert.deepEqual(names(dmEve.members), ["dan", "eve"]);
    assert.deepEqual((await joined).info, { name: "eve" }, "the name the server took from the upgrade");

    // A client cannot publish as itself (nobody could tell who said it): it says it, and the server signs it.
    const published = await dmEve.publish("unsigned").then(() => undefined, (e: unknown) => e);
    assert.ok(published instanceof PublishError);
    assert.equal(published.reason, "say it with a say request: the server signs messages with your name");
    const heard = new Promise<unknown>((resolve) => dm.on("message", (m) => resolve(m.json())));
    assert.deepEqual(await eve.request<{ ok: boolean }>({ type: "say", room: "dm-dan-eve", text: "hi dan" }).then((r) => r.ok), true);
    const said = await heard as { type: string; user: string; text: string; at: string };
    assert.deepEqual({ ...said, at: "" }, { type: "message", user: "eve", text: "hi dan", at: "" });
    assert.ok(!Number.isNaN(Date.parse(said.at)));

    // Disconnecting without leaving is a leave too.
    const left = new Promise<PresenceMember>((resolve) => dm.on("leave", resolve));
    await eve.close();
    assert.deepEqual((await left).info, { name: "eve" });
    assert.deepEqual(names(dm.members), ["dan"]);
  });

  it(`shares rooms and who is online between a ${RUNTIME} and a ${OTHER_RUNTIME} server through Redis`, async () => {
    redis = await startRedis();
    const [one, two] = [await startChat(RUNTIME, ["--redis", redis.url]), await startChat(OTHER_RUNTIME, ["--redis", redis.url])];
    const ann = chatUser(RUNTIME, one, "ann");
    await ann.sees("Joined #lobby; online: ann");
    const bob = chatUser(OTHER_RUNTIME, two, "bob");
    await bob.process.waitFor(/^(\* ann joined #lobby \(online: ann, bob\)|Joined #lobby; online: ann, bob)$/m, 20_000);
    await ann.sees("* bob joined #lobby (online: ann, bob)");
    await until(() => redis!.numsub("chat:room:lobby") === 2, "both servers to subscribe the room in Redis", 10_000);
    ann.say("from one");
    await bob.sees("ann: from one");
    bob.say("from two");
    await ann.sees("bob: from two");
    await bob.sees("bob: from two");
    assert.equal(await bob.leave(), 0);
    await ann.sees("* bob left #lobby (online: ann)");
    assert.equal(await ann.leave(), 0);

    assert.equal(
      ann.process.stdout(),
      `Connected to ${ws(one)} as ann\nJoined #lobby; online: ann\n* bob joined #lobby (online: ann, bob)\n` +
        "ann: from one\nbob: from two\n* bob left #lobby (online: ann)\nLeft #lobby\n",
    );
    // Server two confirms bob's join at once; it may learn of ann from server one (through Redis) just after.
    const tail = "ann: from one\nbob: from two\nLeft #lobby\n";
    assert.ok(
      [
        `Connected to ${ws(two)} as bob\nJoined #lobby; online: ann, bob\n${tail}`,
        `Connected to ${ws(two)} as bob\nJoined #lobby; online: bob\n* ann joined #lobby (online: ann, bob)\n${tail}`,
      ].includes(bob.process.stdout()),
      bob.process.stdout(),
    );
  });
});
