/**
 * The server side of channels (docs/channels.md) with real servers on
 * 127.0.0.1:0 and the library's client with `channels: true`: authorization
 * (sync, async, throwing), publish reaching plain and channel subscribers
 * alike, kinds and order, app messages untouched both ways, malformed
 * control messages, limits, socket.request, resubscribe after a restart,
 * presence. Runs on Deno and on Bun.
 */

import { afterEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { connect, InvalidStateError, PublishError, RequestError, SubscribeError } from "../mod.ts";
import { createHandler, serve } from "./helpers/engine.ts";
import type { ChannelsOptions, Client, ConnectOptions, Message, PresenceMember, ServeOptions, Server, Socket } from "../mod.ts";
import { CHANNELS_PROTOCOL } from "../src/shared/channel_wire.ts";
import { defineProtocol, InvalidReplyError, unchecked } from "../src/protocol/mod.ts";
import { delay, until } from "./helpers/runtime.ts";
import { mount } from "./helpers/server.ts";

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

interface Started {
  server: Server;
  url: string;
  errors: unknown[];
  messages: Message[];
  sockets: Socket<unknown>[];
}

async function start(channels: ChannelsOptions<unknown> | undefined, options: ServeOptions = {}, port = 0): Promise<Started> {
  const errors: unknown[] = [];
  const messages: Message[] = [];
  const sockets: Socket<unknown>[] = [];
  const server = serve({
    message(socket, msg) {
      messages.push(msg);
      socket.send(msg.kind === "text" ? msg.text() : msg.bytes());
    },
    ...options,
    hostname: "127.0.0.1",
    port,
    ...(channels === undefined ? {} : { channels }),
    open(socket) {
      sockets.push(socket);
      return options.open?.(socket);
    },
    error(_socket, err) {
      errors.push(err);
    },
  });
  await server.ready;
  let stopped = false;
  const stop = () => (stopped ? undefined : (stopped = true, server.shutdown({ timeout: 500 })));
  cleanups.push(stop);
  return { server, url: `ws://127.0.0.1:${server.port}`, errors, messages, sockets };
}

async function client(url: string, options: ConnectOptions = { channels: true }): Promise<Client> {
  const c = await connect(url, options);
  cleanups.push(() => c.close());
  return c;
}

/** Collects the texts (or hex of bytes) a listener receives. */
function collect(on: (listener: (msg: Message) => void) => unknown): string[] {
  const out: string[] = [];
  on((msg) => out.push(msg.kind === "text" ? `t:${msg.text()}` : `b:${[...msg.bytes()].join(",")}`));
  return out;
}

const allowAll: ChannelsOptions<unknown> = { authorize: () => true };

describe("channels server: negotiation", () => {
  it("agrees to fullduplex.channels.v1 before its own protocols, and never without channels", async () => {
    const on = await start(allowAll, { protocols: ["chat.v1"] });
    const c = await client(on.url, { channels: true, protocols: ["chat.v1"] });
    assert.equal(c.protocol, CHANNELS_PROTOCOL);
    const off = await start(undefined, { protocols: ["chat.v1"] });
    const p = await client(off.url, { channels: true, protocols: ["chat.v1"] });
    assert.equal(p.protocol, "chat.v1");
    const err = await p.subscribe("a").then(() => undefined, (e) => e);
    assert.ok(err instanceof SubscribeError);
    // On the plain connection every frame is the application's, also one that looks like a control message.
    const echoed = new Promise<string>((resolve) => p.on("message", (m) => resolve(m.text())));
    p.send('c{"t":"sub","id":1,"topic":"a"}');
    assert.equal(await echoed, 'c{"t":"sub","id":1,"topic":"a"}');
    assert.equal(off.messages[0].text(), 'c{"t":"sub","id":1,"topic":"a"}');
  });

  it("checks the channels option with clear errors", () => {
    assert.throws(() => serve({ port: 0, channels: {} as ChannelsOptions }), /channels\.authorize is required/);
    assert.throws(() => serve({ port: 0, channels: { authorize: () => true, maxTopicBytes: 0 } }), /maxTopicBytes/);
    assert.throws(() => serve({ port: 0, channels: { authorize: () => true, controlRate: { messagesPerSecond: -1 } } }), /controlRate/);
    assert.throws(() => serve({ port: 0, protocols: [CHANNELS_PROTOCOL] }), /channels option/);
  });
});

describe("channels server: createHandler", () => {
  it("a mounted endpoint with channels authorizes, publishes and lists presence", async () => {
    const endpoint = createHandler({
      channels: { authorize: (_socket, topic) => topic !== "no" || "refused here", presence: () => ({ via: "endpoint" }) },
    });
    const mounted = await mount(endpoint);
    cleanups.push(async () => {
      await endpoint.shutdown({ timeout: 500 });
      await mounted.stop();
    });
    const c = await client(`ws://127.0.0.1:${mounted.port}`);
    const sub = await c.subscribe("yes", { presence: true });
    assert.equal((await c.subscribe("no").then(() => undefined, (e) => e)).reason, "refused here");
    const got = collect((l) => sub.on("message", l));
    endpoint.publish("yes", "via endpoint");
    await until(() => got.length === 1, "publication");
    assert.deepEqual(got, ["t:via endpoint"]);
    assert.deepEqual(endpoint.presence("yes").map((m) => m.info), [{ via: "endpoint" }]);
    assert.equal(endpoint.stats.channelDenied, 1);
  });
});

describe("channels server: subscribe and publish", () => {
  it("allows and denies subscriptions; the reason reaches SubscribeError; denials are counted", async () => {
    const s = await start({ authorize: (_socket, topic) => topic.startsWith("ok:") || (topic === "quiet" ? false : `no ${topic}`) });
    const c = await client(s.url);
    const sub = await c.subscribe("ok:1");
    assert.equal(sub.topic, "ok:1");
    assert.deepEqual([...s.sockets[0].topics], ["ok:1"]);
    const err = await c.subscribe("secret").then(() => undefined, (e) => e);
    assert.ok(err instanceof SubscribeError);
    assert.equal(err.reason, "no secret");
    const quiet = await c.subscribe("quiet").then(() => undefined, (e) => e);
    assert.equal(quiet.reason, "not allowed");
    assert.equal(s.server.stats.channelDenied, 2);
  });

  it("async authorize, and a throwing one goes to error and denies with internal error", async () => {
    const s = await start({
      async authorize(_socket, topic, action) {
        await delay(5);
        if (topic === "boom") throw new Error("authorize bug");
        return action === "subscribe" || "read only";
      },
    });
    const c = await client(s.url);
    const sub = await c.subscribe("room");
    const err = await c.subscribe("boom").then(() => undefined, (e) => e);
    assert.equal(err.reason, "internal error");
    assert.equal((s.errors[0] as Error).message, "authorize bug");
    const pubErr = await sub.publish("hi").then(() => undefined, (e) => e);
    assert.ok(pubErr instanceof PublishError);
    assert.equal(pubErr.reason, "read only");
  });

  it("server.publish and socket.publish reach plain and channel subscribers alike, text and binary kept", async () => {
    const s = await start(allowAll, {
      open(socket) {
        if (socket.protocol === "") socket.subscribe("news");
      },
      message(socket, msg) {
        if (msg.kind === "text" && msg.text() === "spread") socket.publish("news", "from a socket");
      },
    });
    const plain = await client(s.url, {});
    const chan = await client(s.url);
    const sub = await chan.subscribe("news");
    const gotPlain = collect((l) => plain.on("message", l));
    const gotChan = collect((l) => sub.on("message", l));
    await until(() => s.server.subscriberCount("news") === 2, "two subscribers");
    s.server.publish("news", "text one");
    s.server.publish("news", new Uint8Array([1, 2, 3]));
    plain.send("spread");
    await until(() => gotPlain.length === 2 && gotChan.length === 3, "publications");
    assert.deepEqual(gotPlain, ["t:text one", "b:1,2,3"]);
    assert.deepEqual(gotChan, ["t:text one", "b:1,2,3", "t:from a socket"]);
    // A client's publish reaches the plain subscriber raw.
    await sub.publish("from the channel client");
    await sub.publish(new Uint8Array([9]));
    await until(() => gotPlain.length === 4, "client publications");
    assert.deepEqual(gotPlain.slice(2), ["t:from the channel client", "b:9"]);
  });

  it("keeps a client's publication order under async authorize", async () => {
    const s = await start({
      authorize: async (_s, _t, action) => {
        if (action === "publish") await delay(Math.floor(Math.random() * 3));
        return true;
      },
    });
    const reader = await client(s.url);
    const writer = await client(s.url);
    const sub = await reader.subscribe("seq");
    const got = collect((l) => sub.on("message", l));
    const wsub = await writer.subscribe("w");
    void wsub;
    const n = 40;
    const writes: Promise<unknown>[] = [];
    const pub = await writer.subscribe("seq");
    for (let i = 0; i < n; i++) writes.push(pub.publish(String(i)));
    await Promise.all(writes);
    await until(() => got.length === n, "all publications");
    assert.deepEqual(got, Array.from({ length: n }, (_, i) => `t:${i}`));
  });

  it("app messages pass through untouched both ways, heartbeat tagged", async () => {
    const s = await start(allowAll);
    const c = await client(s.url, { channels: true, heartbeat: { interval: 50, timeout: 100 } });
    const got = collect((l) => c.on("message", l));
    const clientErrors: unknown[] = [];
    c.on("error", (e) => clientErrors.push(e)); // an untagged pong would be a malformed frame here
    c.send('c{"t":"sub","id":1,"topic":"x"}');
    c.send("m-looks-tagged");
    c.send(new Uint8Array([0x70, 0, 1, 0x61]));
    await until(() => got.length === 3, "echoes");
    assert.deepEqual(got, ['t:c{"t":"sub","id":1,"topic":"x"}', "t:m-looks-tagged", "b:112,0,1,97"]);
    assert.equal(s.messages[0].text(), 'c{"t":"sub","id":1,"topic":"x"}');
    assert.deepEqual([...s.sockets[0].topics], []);
    await delay(300); // pings and tagged pongs went meanwhile (a missing pong closes after 100 ms), none reached `message`
    assert.equal(s.messages.length, 3);
    assert.equal(c.readyState, 1);
    assert.deepEqual(clientErrors, []);
  });

  it("socket.unsubscribe on a channel subscription ends it at the client", async () => {
    const s = await start(allowAll);
    const c = await client(s.url);
    const sub = await c.subscribe("room");
    const ended = new Promise<SubscribeError>((resolve) => sub.on("error", resolve));
    s.sockets[0].unsubscribe("room");
    const err = await ended;
    assert.equal(err.kind, "ended");
    assert.equal(sub.active, false);
  });
});

describe("channels server: limits", () => {
  it("topic length, maxSubscriptions and controlRate deny and count", async () => {
    const s = await start({
      authorize: () => true,
      maxTopicBytes: 8,
      maxSubscriptions: 2,
      controlRate: { messagesPerSecond: 1, burst: 5 },
    });
    const c = await client(s.url);
    const long = await c.subscribe("x".repeat(9)).then(() => undefined, (e) => e);
    assert.equal(long.reason, "topic too long");
    await c.subscribe("a");
    await c.subscribe("b");
    const third = await c.subscribe("c").then(() => undefined, (e) => e);
    assert.equal(third.reason, "too many subscriptions");
    assert.equal(s.server.stats.channelDenied, 2);
    // 4 tokens used; the burst of 5 leaves one, then refusals.
    const results = await Promise.allSettled([1, 2, 3, 4].map((i) => c.subscribe(`r${i}`)));
    const limited = results.filter((r) => r.status === "rejected" && (r.reason as SubscribeError).reason === "rate limit exceeded");
    assert.ok(limited.length >= 2, `rate-limited: ${limited.length}`);
    assert.ok(s.server.stats.channelRateLimited >= 2);
  });
});

describe("channels server: server requests", () => {
  it("socket.request resolves with the reply, rejects with the client's error, times out", async () => {
    const s = await start(allowAll);
    const c = await client(s.url);
    c.onRequest((data) => {
      const { op } = data as { op: string };
      if (op === "fail") throw new Error("client says no");
      if (op === "never") return new Promise(() => {});
      return { echoed: op };
    });
    await until(() => s.sockets.length === 1, "socket");
    const socket = s.sockets[0];
    assert.deepEqual(await socket.request({ op: "hello" }), { echoed: "hello" });
    const rejected = await socket.request({ op: "fail" }).then(() => undefined, (e) => e);
    assert.ok(rejected instanceof RequestError);
    assert.equal(rejected.reason, "rejected");
    assert.match(rejected.message, /client says no/);
    const late = await socket.request({ op: "never" }, { timeout: 100 }).then(() => undefined, (e) => e);
    assert.equal(late.reason, "timeout");
    const pending = socket.request({ op: "never" }, { timeout: 5000 });
    c.close();
    assert.equal((await pending.then(() => undefined, (e) => e)).reason, "closed");
  });

  it("typed: protocol.request validates the client's reply as a client message", async () => {
    const game = defineProtocol({
      client: { move: unchecked<{ x: number }>() },
      server: { yourTurn: unchecked<{ round: number }>() },
    });
    const s = await start(allowAll);
    const c = await client(s.url);
    c.onRequest((data) => {
      const { round } = data as { round: number };
      return round === 1 ? { type: "move", x: 7 } : { type: "cheat" };
    });
    await until(() => s.sockets.length === 1, "socket");
    const move = await game.request(s.sockets[0], { type: "yourTurn", round: 1 });
    assert.deepEqual(move, { type: "move", x: 7 });
    await assert.rejects(game.request(s.sockets[0], { type: "yourTurn", round: 2 }), InvalidReplyError);
  });

  it("on a plain connection it rejects with InvalidStateError", async () => {
    const s = await start(allowAll);
    await client(s.url, {});
    await until(() => s.sockets.length === 1, "socket");
    await assert.rejects(s.sockets[0].request({}), InvalidStateError);
  });
});

describe("channels server: malformed control messages", () => {
  it("get an error reply, are counted, never close or reach message", async () => {
    const s = await start(allowAll);
    const c = await client(s.url);
    const errors: unknown[] = [];
    c.on("error", (e) => errors.push(e));
    await until(() => s.sockets.length === 1, "socket");
    // Raw frames through the library would be tagged: reach under it with the socket's own connection.
    const raw = new WebSocket(s.url, [CHANNELS_PROTOCOL]);
    cleanups.push(() => raw.close());
    const replies: string[] = [];
    raw.onmessage = (e) => replies.push(String(e.data));
    await new Promise((resolve) => (raw.onopen = resolve));
    for (const bad of ["c{nope", 'c{"t":"sub"}', 'c{"t":"zap","id":3}', "x", "c[1]"]) raw.send(bad);
    await until(() => replies.length === 5, "error replies");
    for (const r of replies) assert.equal(JSON.parse(r.slice(1)).t, "error");
    assert.equal(JSON.parse(replies[2].slice(1)).id, 3);
    assert.equal(s.server.stats.channelMalformed, 5);
    assert.equal(s.messages.length, 0);
    assert.equal(raw.readyState, WebSocket.OPEN);
  });
});

describe("channels server: presence", () => {
  it("members include the asker, join/leave go to the others, server.presence lists them", async () => {
    const s = await start({ authorize: () => true, presence: (socket) => ({ n: (socket.data as { n?: number })?.n ?? 0 }) }, {
      upgrade: (req) => ({ data: { n: Number(new URL(req.url).searchParams.get("n")) } }),
    });
    const a = await client(`${s.url}/?n=1`);
    const b = await client(`${s.url}/?n=2`);
    const roomA = await a.subscribe("room", { presence: true });
    assert.deepEqual(roomA.members.map((m) => m.info), [{ n: 1 }]);
    const joins: PresenceMember[] = [];
    const leaves: PresenceMember[] = [];
    roomA.on("join", (m) => joins.push(m));
    roomA.on("leave", (m) => leaves.push(m));
    const roomB = await b.subscribe("room", { presence: true });
    assert.deepEqual(roomB.members.map((m) => m.info).sort((x, y) => (x as { n: number }).n - (y as { n: number }).n), [{ n: 1 }, {
      n: 2,
    }]);
    await until(() => joins.length === 1, "join at a");
    assert.deepEqual(joins[0].info, { n: 2 });
    assert.equal(s.server.presence("room").length, 2);
    assert.equal((await roomA.presence()).length, 2);
    await roomB.unsubscribe();
    await until(() => leaves.length === 1, "leave at a");
    assert.equal(leaves[0].id, joins[0].id);
    assert.equal(s.server.presence("room").length, 1);
    a.close();
    await until(() => s.server.presence("room").length === 0, "a left on close");
  });

  it("presence info over maxPresenceInfoBytes denies and reports; server.presence throws without presence", async () => {
    const s = await start({ authorize: () => true, presence: () => ({ blob: "x".repeat(100) }), maxPresenceInfoBytes: 50 });
    const c = await client(s.url);
    const err = await c.subscribe("room", { presence: true }).then(() => undefined, (e) => e);
    assert.equal(err.reason, "presence info too large");
    assert.equal(s.errors.length, 1);
    const off = await start(allowAll);
    assert.throws(() => off.server.presence("room"), InvalidStateError);
    const failing = await start({
      authorize: () => true,
      presence: async () => {
        await delay(1);
        throw new Error("presence bug");
      },
    });
    const f = await client(failing.url);
    assert.equal((await f.subscribe("room", { presence: true }).then(() => undefined, (e) => e)).reason, "internal error");
    assert.equal((failing.errors[0] as Error).message, "presence bug");
    assert.deepEqual(failing.server.presence("room"), []);
  });
});

describe("channels server: reconnect", () => {
  it("resubscribes after a restart on the same port; authorization runs again; a revoked right ends it", async () => {
    let allowed = new Set(["keep", "lose"]);
    const seen: string[] = [];
    const channels: ChannelsOptions<unknown> = {
      authorize(_socket, topic) {
        seen.push(topic);
        return allowed.has(topic) || "revoked";
      },
    };
    const first = await start(channels);
    const port = first.server.port;
    const c = await client(first.url, { channels: true, reconnect: { minDelay: 20, maxDelay: 100 } });
    const keep = await c.subscribe("keep");
    const lose = await c.subscribe("lose");
    const resubscribed = new Promise((resolve) => keep.on("resubscribed", resolve));
    const ended = new Promise<SubscribeError>((resolve) => lose.on("error", resolve));
    await first.server.shutdown({ timeout: 200 });
    allowed = new Set(["keep"]);
    seen.length = 0;
    const second = await start(channels, {}, port);
    await resubscribed;
    const err = await ended;
    assert.equal(err.reason, "revoked");
    assert.deepEqual(seen.sort(), ["keep", "lose"]);
    await until(() => second.sockets.length === 1, "second socket");
    assert.deepEqual([...second.sockets[0].topics], ["keep"]);
  });
});
