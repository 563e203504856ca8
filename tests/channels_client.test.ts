/**
 * The client side of channels (docs/channels.md) against a fake channels
 * server written from the document on the runtime's own WebSocket server
 * (tests/helpers/channels_fake_server.ts): subscribe and publish allowed
 * and denied, text and binary kept and ordered, unsubscribe, presence,
 * requests from the server, publications of server-made subscriptions,
 * tagging only on a connection that agreed (raw frames checked at the
 * server), reconnect (resubscribe before the offline queue, denied
 * resubscribe, in-flight requests), malformed frames from the server.
 */

import { afterEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import * as root from "../mod.ts";
import * as clientEntry from "../src/client/mod.ts";
import { connect, ConnectError, InvalidStateError, Message, PublishError, SubscribeError } from "../mod.ts";
import type { Client, ConnectOptions, PresenceMember } from "../mod.ts";
import type { DropEvent, PublicationEvent } from "../src/client/mod.ts";
import { CHANNELS_PROTOCOL } from "../src/shared/channel_wire.ts";
import { RUNTIME, until } from "./helpers/runtime.ts";
import { startFakeChannelsServer } from "./helpers/channels_fake_server.ts";
import type { FakePeer, FakeRules, FakeServer } from "./helpers/channels_fake_server.ts";

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

async function fake(rules: Partial<FakeRules> = {}): Promise<FakeServer> {
  const server = await startFakeChannelsServer(rules);
  cleanups.push(() => server.stop());
  return server;
}

async function client(server: FakeServer, options: ConnectOptions = { channels: true }): Promise<Client> {
  const c = await connect(server.url, options);
  cleanups.push(() => c.close());
  return c;
}

const RECONNECT: ConnectOptions = { channels: true, reconnect: { minDelay: 20, maxDelay: 100 } };

/** The n-th connection the fake server accepted (1-based), once it exists. */
async function peer(server: FakeServer, n: number): Promise<FakePeer> {
  await until(() => server.peers.length >= n, `connection ${n} at the fake server`);
  return server.peers[n - 1];
}

/** Resolves with the first value of an event (or rejects after `ms`). */
function once<T>(on: (listener: (value: T) => void) => () => void, what: string, ms = 5000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`no ${what} within ${ms} ms`));
    }, ms);
    const off = on((value) => {
      clearTimeout(timer);
      off();
      resolve(value);
    });
  });
}

/** Reads `n` messages from an async iterable, with a time bound. */
async function take(source: AsyncIterable<Message>, n: number, ms = 5000): Promise<Message[]> {
  const out: Message[] = [];
  const deadline = Date.now() + ms;
  const it = source[Symbol.asyncIterator]();
  while (out.length < n) {
    const left = deadline - Date.now();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const next = await Promise.race([
      it.next(),
      new Promise<"late">((resolve) => (timer = setTimeout(() => resolve("late"), Math.max(left, 0)))),
    ]);
    clearTimeout(timer);
    if (next === "late") throw new Error(`only ${out.length} of ${n} messages within ${ms} ms`);
    if (next.done) break;
    out.push(next.value);
  }
  await it.return?.();
  return out;
}

function describeMessage(msg: Message): string {
  return msg.kind === "text" ? `text:${msg.text()}` : `binary:${[...msg.bytes()].join(",")}`;
}

/** What the fake server understood (its log) from index `from` on. */
function logSince(server: FakeServer, from: number): string[] {
  return server.log.slice(from);
}

describe(`channels client on ${RUNTIME}: subscribe, publish, unsubscribe`, () => {
  it("subscribe resolves once the server said ok; a deny rejects with SubscribeError and the server's reason", async () => {
    const server = await fake({ subscribe: (topic) => (topic.startsWith("secret") ? "members only" : true) });
    const c = await client(server);
    assert.equal(c.protocol, CHANNELS_PROTOCOL);
    const room = await c.subscribe("room");
    assert.equal(room.topic, "room");
    assert.equal(room.active, true);
    const p = await peer(server, 1);
    assert.deepEqual(p.offered, [CHANNELS_PROTOCOL]);
    assert.ok(p.topics.has("room"));
    await assert.rejects(c.subscribe("secret:1"), (err: unknown) => {
      assert.ok(err instanceof SubscribeError);
      assert.equal(err.kind, "denied");
      assert.equal(err.reason, "members only");
      assert.equal(err.topic, "secret:1");
      return true;
    });
    assert.deepEqual(server.log, ["sub room", "sub secret:1"]);
    // A denied topic can be asked again, and allowed this time.
    server.rules.subscribe = () => true;
    assert.equal((await c.subscribe("secret:1")).active, true);
  });

  it("a second subscribe to the same topic rejects as a duplicate until the first is unsubscribed", async () => {
    const server = await fake();
    const c = await client(server);
    const first = await c.subscribe("room");
    await assert.rejects(c.subscribe("room"), (err: unknown) => err instanceof SubscribeError && err.kind === "duplicate");
    await first.unsubscribe();
    const second = await c.subscribe("room");
    assert.notEqual(second, first);
    assert.equal(second.active, true);
    assert.deepEqual(server.log, ["sub room", "unsub room", "sub room"]);
  });

  it("bad topics and options reject with TypeError before anything is sent", async () => {
    const server = await fake();
    const c = await client(server);
    await assert.rejects(c.subscribe(""), TypeError);
    await assert.rejects(c.subscribe("a\u0000b"), TypeError);
    await assert.rejects(c.subscribe(7 as unknown as string), TypeError);
    await assert.rejects(c.subscribe("ok", { presence: "yes" as unknown as boolean }), TypeError);
    await assert.rejects(c.subscribe("ok", { timeout: 0 }), RangeError);
    assert.deepEqual(server.log, []);
  });

  it("publish resolves on ok; a denied publish rejects with PublishError carrying the reason", async () => {
    const server = await fake({ publish: (topic) => (topic === "readonly" ? "read-only topic" : true) });
    const c = await client(server);
    const room = await c.subscribe("room");
    const ro = await c.subscribe("readonly");
    await room.publish("hello");
    await room.publishJson({ n: 1 });
    await assert.rejects(ro.publish("nope"), (err: unknown) => {
      assert.ok(err instanceof PublishError);
      assert.equal(err.kind, "denied");
      assert.equal(err.reason, "read-only topic");
      assert.equal(err.topic, "readonly");
      return true;
    });
    await assert.rejects(ro.publish(new Uint8Array([1])), (err: unknown) => err instanceof PublishError && err.kind === "denied");
    assert.deepEqual(server.log.slice(2), [
      "pub room text:hello",
      'pub room text:{"n":1}',
      "pub readonly text:nope",
      "pub readonly binary:1",
    ]);
    await assert.rejects(room.publish({} as unknown as string), TypeError);
  });

  it("text stays text and binary stays binary, in order, both ways", async () => {
    const server = await fake();
    const c = await client(server);
    const room = await c.subscribe("room");
    const sent: (string | Uint8Array)[] = [];
    for (let i = 0; i < 60; i++) sent.push(i % 3 === 0 ? new Uint8Array([i, 0, 255]) : `m${i}`);
    // From the server: text as `msg`, binary as `p` frames.
    for (const data of sent) server.publish("room", data);
    const got = await take(room, sent.length);
    assert.deepEqual(got.map(describeMessage), sent.map((d) => describeMessage(Message.from(d))));
    // From the client: each publish reaches the server as what it is, in order.
    const before = server.log.length;
    await Promise.all(sent.map((d) => room.publish(d)));
    assert.deepEqual(logSince(server, before), sent.map((d) => `pub room ${describeMessage(Message.from(d))}`));
    // The fake server publishes to every subscriber, this client included: its own publications come back, in order.
    const echoed = await take(room, sent.length);
    assert.deepEqual(echoed.map(describeMessage), sent.map((d) => describeMessage(Message.from(d))));
  });

  it("unsubscribe ends the loop and the subscription; publish and presence then reject", async () => {
    const server = await fake();
    const c = await client(server);
    const room = await c.subscribe("room");
    const loop = (async () => {
      const got: string[] = [];
      for await (const msg of room) got.push(msg.text());
      return got;
    })();
    const publications: PublicationEvent[] = [];
    c.on("publication", (e) => publications.push(e));
    const firstMessage = once<Message>((l) => room.on("message", l), "the first publication");
    server.publish("room", "before");
    await firstMessage;
    await room.unsubscribe();
    assert.equal(room.active, false);
    assert.deepEqual(await loop, ["before"]);
    assert.deepEqual(server.log, ["sub room", "unsub room"]);
    assert.equal((await peer(server, 1)).topics.has("room"), false);
    server.publish("room", "after");
    await assert.rejects(room.publish("late"), InvalidStateError);
    await assert.rejects(room.presence(), InvalidStateError);
    await room.unsubscribe(); // again: nothing happens
    assert.deepEqual(server.log, ["sub room", "unsub room"]);
    assert.deepEqual(publications, []);
  });

  it("publications that arrive before anything consumes them are kept for the first consumer", async () => {
    const server = await fake();
    const c = await client(server);
    const room = await c.subscribe("room");
    for (let i = 0; i < 5; i++) server.publish("room", `early ${i}`);
    await new Promise((r) => setTimeout(r, 50)); // let them arrive (the test passes either way: none may be lost)
    const got = await take(room, 5);
    assert.deepEqual(got.map((m) => m.text()), [0, 1, 2, 3, 4].map((i) => `early ${i}`));
  });
});

describe(`channels client on ${RUNTIME}: presence`, () => {
  it("members, join and leave; presence() asks the server; join needs presence: true", async () => {
    const server = await fake({ info: (p) => ({ name: `user${p.n}` }) });
    const a = await client(server);
    const roomA = await a.subscribe("room", { presence: true });
    assert.deepEqual(roomA.members, [{ id: "peer-1", info: { name: "user1" } }]);
    const joins: PresenceMember[] = [];
    const leaves: PresenceMember[] = [];
    roomA.on("join", (m) => joins.push(m));
    roomA.on("leave", (m) => leaves.push(m));

    const b = await client(server);
    const roomB = await b.subscribe("room", { presence: true });
    assert.deepEqual(roomB.members.map((m) => m.id).sort(), ["peer-1", "peer-2"]);
    await until(() => joins.length === 1, "the join at A");
    assert.deepEqual(joins, [{ id: "peer-2", info: { name: "user2" } }]);
    assert.deepEqual(roomA.members.map((m) => m.id).sort(), ["peer-1", "peer-2"]);
    assert.deepEqual((await roomA.presence()).map((m) => m.id).sort(), ["peer-1", "peer-2"]);

    await roomB.unsubscribe();
    await until(() => leaves.length === 1, "the leave at A");
    assert.deepEqual(leaves, [{ id: "peer-2", info: { name: "user2" } }]);
    assert.deepEqual(roomA.members.map((m) => m.id), ["peer-1"]);

    const plain = await b.subscribe("plain");
    assert.throws(() => plain.on("join", () => {}), TypeError);
    assert.deepEqual(plain.members, []);
    assert.deepEqual((await plain.presence()).map((m) => m.id), ["peer-2"]);
  });

  it("a denied presence request rejects with SubscribeError", async () => {
    const server = await fake();
    const c = await client(server);
    const room = await c.subscribe("room");
    (await peer(server, 1)).topics.delete("room"); // the fake server now thinks it is not subscribed
    await assert.rejects(
      room.presence(),
      (err: unknown) => err instanceof SubscribeError && err.kind === "denied" && /not subscribed/.test(err.reason),
    );
  });
});

describe(`channels client on ${RUNTIME}: requests from the server`, () => {
  it("onRequest answers with the handler's value, or with its error; no handler answers 'no request handler'", async () => {
    const server = await fake();
    const c = await client(server);
    const p = await peer(server, 1);
    assert.deepEqual(await p.request({ q: 1 }), { error: "no request handler" });
    const off = c.onRequest(async (data) => {
      const { op } = data as { op: string };
      if (op === "add") return { sum: 3 };
      if (op === "nothing") return undefined;
      if (op === "bigint") return 1n;
      if (op === "sync-throw") throw new Error("sync failure");
      await new Promise((r) => setTimeout(r, 5));
      throw new Error(`unknown op ${op}`);
    });
    assert.deepEqual(await p.request({ op: "add" }), { data: { sum: 3 } });
    assert.deepEqual(await p.request({ op: "nothing" }), { data: null });
    assert.deepEqual(await p.request({ op: "what" }), { error: "unknown op what" });
    assert.deepEqual(await p.request({ op: "sync-throw" }), { error: "sync failure" });
    const bigint = await p.request({ op: "bigint" });
    assert.match(bigint.error ?? "", /^the reply is not JSON: /);
    // A synchronous handler, replacing the first.
    c.onRequest((data) => ({ echo: data }));
    assert.deepEqual(await p.request([1, "two"]), { data: { echo: [1, "two"] } });
    off(); // removes only the handler it set: the second stays
    assert.deepEqual(await p.request(5), { data: { echo: 5 } });
    // Requests in parallel are answered by id.
    c.onRequest(async (data) => {
      await new Promise((r) => setTimeout(r, 30 - (data as number) * 10));
      return data;
    });
    assert.deepEqual(await Promise.all([p.request(0), p.request(1), p.request(2)]), [{ data: 0 }, { data: 1 }, { data: 2 }]);
  });
});

describe(`channels client on ${RUNTIME}: a request from the server when its connection drops`, () => {
  it("the handler's signal aborts and its late reply is not sent on the next connection", async () => {
    const server = await fake();
    const c = await client(server, RECONNECT);
    let finish!: (value: unknown) => void;
    let signal!: AbortSignal;
    c.onRequest((_data, context) => {
      signal = context.signal;
      return new Promise((resolve) => (finish = resolve));
    });
    const p1 = await peer(server, 1);
    void p1.request("slow");
    await until(() => signal !== undefined, "the handler to run");
    assert.equal(signal.aborted, false);
    await server.stop();
    await until(() => signal.aborted, "the signal to abort");
    await server.start();
    const p2 = await peer(server, 2);
    finish({ late: true });
    await new Promise((r) => setTimeout(r, 0)); // the handler's reply is made now
    c.send("after"); // the frames of one connection arrive in order: a reply would come first
    await until(() => p2.frames.includes("mafter"), "the app message on the new connection");
    assert.deepEqual(p2.frames, ["mafter"]);
    assert.deepEqual(server.log.filter((l) => l.startsWith("reply")), []);
  });
});

describe(`channels client on ${RUNTIME}: the wire`, () => {
  it("on an agreed connection the app's messages are tagged, and untagged for the app; request() still works", async () => {
    const server = await fake();
    const c = await client(server);
    const p = await peer(server, 1);
    c.send("hello");
    c.send('c{"t":"sub","id":1,"topic":"x"}'); // an app message that looks like a control message stays the app's
    c.send(new Uint8Array([0x70, 1, 2]));
    c.sendJson({ a: 1 });
    const echoes = await take(c, 4);
    assert.deepEqual(echoes.map(describeMessage), ["text:hello", 'text:c{"t":"sub","id":1,"topic":"x"}', "binary:112,1,2", 'text:{"a":1}']);
    const reply = await c.request<{ type: string }>({ type: "echo" });
    assert.equal(reply.type, "echo");
    await until(() => p.frames.length === 5, "five frames at the server");
    assert.equal(p.frames[0], "mhello");
    assert.equal(p.frames[1], 'mc{"t":"sub","id":1,"topic":"x"}');
    assert.deepEqual([...(p.frames[2] as Uint8Array)], [0x6d, 0x70, 1, 2]);
    assert.equal(p.frames[3], 'm{"a":1}');
    assert.match(p.frames[4] as string, /^m\{"type":"echo","id":"/);
    assert.deepEqual(server.log.slice(0, 2), ["app text:hello", 'app text:c{"t":"sub","id":1,"topic":"x"}']);
  });

  it("without channels: true nothing is offered or tagged, and subscribe() says how to turn channels on", async () => {
    const server = await fake();
    const c = await client(server, { protocols: ["chat.v1"] });
    const p = await peer(server, 1);
    assert.deepEqual(p.offered, ["chat.v1"]);
    assert.equal(c.protocol, "chat.v1");
    c.send("hello");
    c.send(new Uint8Array([1, 2]));
    assert.deepEqual((await take(c, 2)).map(describeMessage), ["text:hello", "binary:1,2"]);
    assert.equal(p.frames[0], "hello");
    assert.deepEqual([...(p.frames[1] as Uint8Array)], [1, 2]);
    await assert.rejects(c.subscribe("room"), (err: unknown) => {
      assert.ok(err instanceof SubscribeError);
      assert.equal(err.kind, "unavailable");
      assert.match(err.reason, /connect\(url, \{ channels: true \}\)/);
      return true;
    });
  });

  it("a server that does not agree: frames stay byte-identical, protocol is honest, subscribe() rejects", async () => {
    const server = await fake({ channels: false });
    const c = await client(server, { channels: true, protocols: ["chat.v1"] });
    const p = await peer(server, 1);
    assert.deepEqual(p.offered, [CHANNELS_PROTOCOL, "chat.v1"]);
    assert.equal(c.protocol, "chat.v1");
    c.send("mhello");
    c.send(new Uint8Array([0x6d]));
    assert.deepEqual((await take(c, 2)).map(describeMessage), ["text:mhello", "binary:109"]);
    assert.equal(p.frames[0], "mhello");
    assert.deepEqual([...(p.frames[1] as Uint8Array)], [0x6d]);
    await assert.rejects(
      c.subscribe("room"),
      (err: unknown) =>
        err instanceof SubscribeError && err.kind === "unavailable" && err.reason === "channels are not enabled on this server",
    );
  });

  it("a server that agrees to no subprotocol at all: Deno's client connects without channels, Bun's refuses the handshake", async () => {
    // Browsers (like Bun's client) fail a handshake where none of the offered subprotocols was agreed
    // (docs/channels.md, Negotiation): `channels: true` is for servers with channels.
    const server = await fake({ channels: false });
    if (RUNTIME === "deno") {
      const c = await client(server, { channels: true });
      assert.equal(c.protocol, "");
      await assert.rejects(c.subscribe("room"), (err: unknown) => err instanceof SubscribeError && err.kind === "unavailable");
    } else {
      await assert.rejects(connect(server.url, { channels: true }), ConnectError);
    }
  });

  it("the heartbeat's ping and pong are application messages on a channels connection, kept from the app", async () => {
    const server = await fake();
    const c = await client(server, { channels: true, heartbeat: { interval: 30, timeout: 10_000 } });
    const messages: Message[] = [];
    c.on("message", (m) => messages.push(m));
    const p = await peer(server, 1);
    await until(() => server.log.filter((l) => l === "app text:ping").length >= 2, "two pings at the server");
    assert.equal(p.frames[0], "mping");
    assert.equal(c.readyState, 1);
    assert.deepEqual(messages, []);
  });

  it("publications for topics the client holds no Subscription for are publication events", async () => {
    const server = await fake();
    const c = await client(server);
    const room = await c.subscribe("room");
    const p = await peer(server, 1);
    p.subscribeFromServer("news");
    const events: string[] = [];
    c.on("publication", ({ topic, message }) => events.push(`${topic} ${describeMessage(message)}`));
    const roomMessages: string[] = [];
    room.on("message", (m) => roomMessages.push(describeMessage(m)));
    server.publish("news", "headline");
    server.publish("room", "chat");
    server.publish("news", new Uint8Array([9]));
    const appMessages: Message[] = [];
    c.on("message", (m) => appMessages.push(m));
    await until(() => events.length === 2 && roomMessages.length === 1, "the publications");
    assert.deepEqual(events, ["news text:headline", "news binary:9"]);
    assert.deepEqual(roomMessages, ["text:chat"]);
    assert.deepEqual(appMessages, []); // control frames and publications never reach the client's own messages
  });

  it("malformed frames from the server become error events; the client goes on", async () => {
    const server = await fake();
    const c = await client(server);
    const errors: Error[] = [];
    c.on("error", (err) => errors.push(err));
    const p = await peer(server, 1);
    p.send("x-not-a-tag");
    p.send("c{not json");
    p.send('c{"t":"deny","id":1}');
    p.send(new Uint8Array([0x70, 0, 9, 1]));
    p.send("");
    p.control({ t: "error", reason: "bad thing you sent" });
    await until(() => errors.length === 6, "six error events");
    assert.deepEqual(errors.map((e) => e.message), [
      "malformed channel frame from the server: unknown frame tag",
      "malformed channel frame from the server: control message is not JSON",
      'malformed channel frame from the server: "deny" needs an id and a reason',
      "malformed channel frame from the server: binary publication has a bad topic",
      "malformed channel frame from the server: empty frame",
      "the server refused a channel message: bad thing you sent",
    ]);
    assert.equal((await c.subscribe("room")).active, true);
    c.send("still fine");
    assert.equal((await take(c, 1))[0].text(), "still fine");
  });

  it("the server ending a subscription (end) ends it with an error event", async () => {
    const server = await fake();
    const c = await client(server);
    const room = await c.subscribe("room");
    const error = once<SubscribeError>((l) => room.on("error", l), "the error event");
    const loop = (async () => {
      for await (const _ of room) { /* nothing arrives */ }
      return "ended";
    })();
    (await peer(server, 1)).endFromServer("room", "kicked by a moderator");
    const err = await error;
    assert.equal(err.kind, "ended");
    assert.equal(err.reason, "kicked by a moderator");
    assert.equal(room.active, false);
    assert.equal(await loop, "ended");
  });

  it("both entry points export the same channel names", () => {
    for (const name of ["Subscription", "SubscribeError", "PublishError"] as const) {
      assert.equal(typeof root[name], "function", name);
      assert.equal(root[name], clientEntry[name], name);
    }
  });
});

describe(`channels client on ${RUNTIME}: reconnect`, () => {
  it("resubscribes before flushing the offline queue; a publish made offline goes out after the resubscribes", async () => {
    const server = await fake();
    const c = await client(server, RECONNECT);
    const a = await c.subscribe("a");
    const b = await c.subscribe("b", { presence: true });
    await server.stop();
    await until(() => c.readyState === 0, "the client to wait to reconnect");
    const resubscribed: string[] = [];
    a.on("resubscribed", ({ topic }) => resubscribed.push(topic));
    b.on("resubscribed", ({ topic }) => resubscribed.push(topic));
    const madeOffline = c.subscribe("c");
    c.send("q1");
    const published = a.publish("p1");
    const binary = b.publish(new Uint8Array([7]));
    c.send("q2");
    const before = server.log.length;
    const echoA = once<Message>((l) => a.on("message", l), "a's own publication after the reconnect");
    await server.start();
    await published;
    await binary;
    assert.equal(describeMessage(await echoA), "text:p1");
    await until(() => resubscribed.length === 2, "two resubscribed events");
    assert.deepEqual(resubscribed.sort(), ["a", "b"]);
    assert.equal((await madeOffline).active, true);
    assert.deepEqual(logSince(server, before).slice(0, 7), [
      "sub a",
      "sub b presence",
      "sub c",
      "app text:q1",
      "pub a text:p1",
      "pub b binary:7",
      "app text:q2",
    ]);
    assert.equal(a.active && b.active, true);
    assert.deepEqual(b.members.map((m) => m.id), ["peer-2"]); // the new connection's member
  });

  it("a resubscribe that is denied ends that subscription with an error event; the others carry on", async () => {
    const server = await fake();
    const c = await client(server, RECONNECT);
    const keep = await c.subscribe("keep");
    const lose = await c.subscribe("lose");
    const loop = (async () => {
      for await (const _ of lose) { /* nothing */ }
      return "ended";
    })();
    const error = once<SubscribeError>((l) => lose.on("error", l), "lose's error event", 10_000);
    const back = once<{ topic: string }>((l) => keep.on("resubscribed", l), "keep's resubscribed", 10_000);
    await server.stop();
    server.rules.subscribe = (topic) => (topic === "lose" ? "your access was revoked" : true);
    await server.start();
    const err = await error;
    assert.ok(err instanceof SubscribeError);
    assert.equal(err.kind, "denied");
    assert.equal(err.reason, "your access was revoked");
    assert.equal(err.topic, "lose");
    assert.deepEqual(await back, { topic: "keep" });
    assert.equal(await loop, "ended");
    assert.equal(lose.active, false);
    assert.equal(keep.active, true);
    await assert.rejects(lose.publish("x"), InvalidStateError);
    // The client holds no subscription to "lose" any more: it may subscribe again (and be denied again).
    await assert.rejects(c.subscribe("lose"), (e: unknown) => e instanceof SubscribeError && e.kind === "denied");
  });

  it("requests in flight when the connection drops: sub and presence are asked again, unsub is done, a publish rejects 'closed'", async () => {
    const server = await fake();
    const c = await client(server, RECONNECT);
    const room = await c.subscribe("room");
    const gone = await c.subscribe("gone");
    server.rules.answer = false; // the server goes quiet: nothing below is answered on this connection
    const pending = c.subscribe("later");
    const members = room.presence();
    const publish = room.publish("in flight");
    const unsubscribed = gone.unsubscribe();
    await until(() => server.log.length === 6, "the four requests at the server");
    await server.stop();
    server.rules.answer = true;
    await server.start();
    await assert.rejects(publish, (err: unknown) => err instanceof PublishError && err.kind === "closed");
    await unsubscribed; // a closed connection holds no subscription: done
    const later = await pending;
    assert.equal(later.active, true);
    assert.deepEqual((await members).map((m) => m.id), ["peer-2"]);
    const after = server.log.slice(6);
    // "in flight" is not sent again (it might have been published), and "gone" is not resubscribed.
    assert.deepEqual(after.filter((l) => l.startsWith("pub") || l.includes("gone")), []);
    assert.deepEqual(after.slice(0, 3), ["sub room", "sub later", "presence room"]);
  });

  it("a new connection without channels ends the subscriptions and drops the queued publishes", async () => {
    const server = await fake();
    const c = await client(server, { ...RECONNECT, protocols: ["chat.v1"] });
    const room = await c.subscribe("room");
    await server.stop();
    await until(() => c.readyState === 0, "the client to wait to reconnect");
    const drops: DropEvent[] = [];
    c.on("drop", (d) => drops.push(d));
    const publish = room.publish("queued");
    const error = once<SubscribeError>((l) => room.on("error", l), "the error event", 10_000);
    server.rules.channels = false;
    await server.start();
    const err = await error;
    assert.equal(err.kind, "unavailable");
    await assert.rejects(publish, (e: unknown) => e instanceof PublishError && e.kind === "dropped");
    assert.deepEqual(drops.map((d) => d.data), ["queued"]);
    assert.equal(c.protocol, "chat.v1");
    await assert.rejects(c.subscribe("room"), (e: unknown) => e instanceof SubscribeError && e.kind === "unavailable");
  });

  it("closing the client: a pending subscribe rejects 'closed', a queued publish 'dropped', loops end", async () => {
    const server = await fake();
    const c = await client(server, RECONNECT);
    const room = await c.subscribe("room");
    const loop = (async () => {
      for await (const _ of room) { /* nothing */ }
      return "ended";
    })();
    await server.stop();
    await until(() => c.readyState === 0, "the client to wait to reconnect");
    const pending = c.subscribe("other");
    const queued = room.publish("never");
    await c.close();
    await assert.rejects(pending, (e: unknown) => e instanceof SubscribeError && e.kind === "closed");
    await assert.rejects(queued, (e: unknown) => e instanceof PublishError && e.kind === "dropped");
    assert.equal(await loop, "ended");
    assert.equal(room.active, false);
    await assert.rejects(c.subscribe("x"), InvalidStateError);
  });

  it("a full drop-oldest queue drops a queued publish: it rejects 'dropped' and a drop event tells", async () => {
    const server = await fake();
    const c = await client(server, { ...RECONNECT, queue: { maxMessages: 2, whenFull: "drop-oldest" } });
    const room = await c.subscribe("room");
    await server.stop();
    await until(() => c.readyState === 0, "the client to wait to reconnect");
    const drops: DropEvent[] = [];
    c.on("drop", (d) => drops.push(d));
    const first = room.publish("first");
    c.send("one");
    c.send("two");
    await assert.rejects(first, (e: unknown) => e instanceof PublishError && e.kind === "dropped" && /drop-oldest/.test(e.reason));
    assert.deepEqual(drops.map((d) => d.data), ["first"]);
  });

  it("a subscribe with no answer times out, and the client undoes it with unsub", async () => {
    const server = await fake({ answer: false });
    const c = await client(server);
    await assert.rejects(c.subscribe("slow", { timeout: 100 }), (e: unknown) => e instanceof SubscribeError && e.kind === "timeout");
    await until(() => server.log.length === 2, "the unsub");
    assert.deepEqual(server.log, ["sub slow", "unsub slow"]);
  });
});
