/**
 * Typed request/reply over real sockets, with the JSON and the MessagePack
 * codec: replies are validated and reach the right callers in any order,
 * timeouts, invalid replies and replies of the wrong type reject clearly,
 * a request the server refuses gets the router's error reply with its id,
 * pushes still reach `on()` handlers. Also `serve({ protocol, on })`.
 */

import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { z } from "zod";
import { connect, RequestError } from "../mod.ts";
import { createHandler, serve } from "./helpers/engine.ts";
import type { Server } from "../mod.ts";
import { connectTyped, defineProtocol, InvalidReplyError, jsonCodec, protocolError, typedClient } from "../src/protocol/mod.ts";
import type { Codec } from "../src/protocol/mod.ts";
import { msgpackCodec } from "../examples/msgpack_codec.ts";
import { RUNTIME, until } from "./helpers/runtime.ts";

function calcProtocol(codec: Codec) {
  return defineProtocol({
    client: {
      wait: z.object({ ms: z.number().int().min(0).max(2000), n: z.number() }),
      silent: z.object({}),
      bad: z.object({}),
      other: z.object({}),
      hangup: z.object({}),
    },
    server: {
      result: z.object({ n: z.number(), doubled: z.number() }),
      note: z.object({ text: z.string() }),
      error: protocolError,
    },
  }, { codec });
}

/** A server for `calcProtocol(codec)`, written with serve({ protocol, on }). */
function calcServer(codec: Codec): Server {
  const calc = calcProtocol(codec);
  return serve({
    hostname: "127.0.0.1",
    port: 0,
    protocol: calc,
    on: {
      wait(socket, msg) {
        setTimeout(() => calc.reply(socket, msg, { type: "result", n: msg.n, doubled: msg.n * 2 }), msg.ms);
      },
      silent() {},
      bad(socket, msg) {
        // The id is there at run time (the router keeps it although zod strips unknown keys).
        socket.send(codec.encode({ type: "result", n: "seven", doubled: 14, id: (msg as { id?: unknown }).id }));
      },
      other(socket, msg) {
        calc.send(socket, { type: "note", text: "a push, not a reply" });
        calc.reply(socket, msg, { type: "note", text: "a reply of another type" });
      },
      hangup(socket) {
        socket.terminate();
      },
    },
  });
}

for (const codec of [jsonCodec, msgpackCodec]) {
  describe(`typed request/reply with ${codec.name} on ${RUNTIME}`, () => {
    const calc = calcProtocol(codec);
    let server: Server;
    before(async () => {
      server = calcServer(codec);
      await server.ready;
    });
    after(() => server.shutdown({ timeout: 1000 }));
    const url = () => `ws://127.0.0.1:${server.port}`;

    it("resolves with the validated reply; out-of-order replies reach the right callers", async () => {
      const ws = typedClient(await connect(url()), calc);
      try {
        const replies = await Promise.all([
          ws.request({ type: "wait", ms: 150, n: 1 }, { reply: "result" }),
          ws.request({ type: "wait", ms: 10, n: 2 }, { reply: "result" }),
          ws.request({ type: "wait", ms: 70, n: 3 }),
        ]);
        assert.deepEqual(replies.map((r) => r.type === "result" && [r.n, r.doubled]), [[1, 2], [2, 4], [3, 6]]);
        // zod stripped the correlation id: the caller sees the protocol's message only.
        assert.deepEqual(Object.keys(replies[0]).sort(), ["doubled", "n", "type"]);
      } finally {
        await ws.close();
      }
    });

    it("a request without a reply rejects at its timeout; a late reply is dropped, not delivered", async () => {
      const invalid: string[] = [];
      const ws = typedClient(await connect(url()), calc, { onInvalid: (p) => invalid.push(p.message) });
      const seen: string[] = [];
      ws.on("result", (m) => seen.push(`result ${m.n}`));
      try {
        const silent = ws.request({ type: "silent" }, { timeout: 100 });
        await assert.rejects(
          silent,
          (err: unknown) => err instanceof RequestError && err.reason === "timeout" && /no reply within 100 ms/.test(err.message),
        );
        // Its reply comes after 300 ms, the request gives up after 50.
        await assert.rejects(
          ws.request({ type: "wait", ms: 300, n: 9 }, { timeout: 50 }),
          (err: unknown) => err instanceof RequestError && err.reason === "timeout",
        );
        const next = await ws.request({ type: "wait", ms: 400, n: 10 }, { reply: "result" });
        assert.equal(next.n, 10);
        assert.deepEqual(seen, []);
        assert.deepEqual(invalid, []);
      } finally {
        await ws.close();
      }
    });

    it("an invalid reply rejects with InvalidReplyError naming the field", async () => {
      const ws = typedClient(await connect(url()), calc);
      try {
        await assert.rejects(ws.request({ type: "bad" }), (err: unknown) => {
          assert.ok(err instanceof InvalidReplyError);
          assert.ok(err instanceof RequestError);
          assert.equal(err.reason, "invalid");
          assert.equal(err.problem.kind, "validation");
          assert.match(err.message, /got an invalid reply: invalid "result" message: n: /);
          return true;
        });
      } finally {
        await ws.close();
      }
    });

    it("a reply of a type `reply` does not accept rejects; pushes still reach on() handlers", async () => {
      const ws = typedClient(await connect(url()), calc);
      const notes: string[] = [];
      ws.on("note", (m) => notes.push(m.text));
      try {
        await assert.rejects(ws.request({ type: "other" }, { reply: "result" }), (err: unknown) => {
          assert.ok(err instanceof InvalidReplyError);
          assert.match(err.message, /expected a "result" reply, got "note"/);
          return true;
        });
        const reply = await ws.request({ type: "other" }, { reply: ["result", "note"] });
        assert.deepEqual(reply, { type: "note", text: "a reply of another type" });
        await until(() => notes.length === 2, "two pushes");
        assert.deepEqual(notes, ["a push, not a reply", "a push, not a reply"]);
      } finally {
        await ws.close();
      }
    });

    it("a request the server refuses gets the router's error reply, with its id", async () => {
      const ws = typedClient(await connect(url()), calc);
      try {
        const reply = await ws.request({ type: "wait", ms: -5, n: 1 }, { timeout: 3000 });
        assert.equal(reply.type, "error");
        assert.match(reply.type === "error" ? reply.error : "", /invalid "wait" message: ms: /);
        await assert.rejects(
          ws.request({ type: "wait", ms: -5, n: 1 }, { reply: "result" }),
          /expected a "result" reply, got "error": invalid "wait" message: ms: /,
        );
      } finally {
        await ws.close();
      }
    });

    it("closing rejects waiting requests; a dropped connection rejects the requests sent on it", async () => {
      const ws = await connectTyped(url(), calc, { reconnect: { minDelay: 50, maxDelay: 100 } });
      try {
        const hung = ws.request({ type: "hangup" }, { timeout: 5000 });
        await assert.rejects(
          hung,
          (err: unknown) => err instanceof RequestError && err.reason === "closed" && /before the reply arrived/.test(err.message),
        );
        const pending = ws.request({ type: "silent" }, { timeout: 5000 });
        void ws.close();
        await assert.rejects(pending, (err: unknown) => err instanceof RequestError && err.reason === "closed");
      } finally {
        await ws.close();
      }
    });

    it("reply() to a message sent without request() sends a plain message to on() handlers", async () => {
      const ws = typedClient(await connect(url()), calc);
      try {
        const results: unknown[] = [];
        ws.on("result", (m) => results.push(m));
        ws.send({ type: "wait", ms: 0, n: 4 });
        await until(() => results.length === 1, "the plain reply");
        assert.deepEqual(results, [{ type: "result", n: 4, doubled: 8 }]);
      } finally {
        await ws.close();
      }
    });

    it("refuses a message that already uses the id field, and bad timeouts", async () => {
      const ws = typedClient(await connect(url()), calc);
      try {
        await assert.rejects(ws.request({ type: "silent", id: "mine" } as never), /already has a "id" field/);
        await assert.rejects(ws.request({ type: "silent" }, { timeout: 0 }), RangeError);
      } finally {
        await ws.close();
      }
    });
  });
}

describe(`serve({ protocol, on }) on ${RUNTIME}`, () => {
  const calc = calcProtocol(jsonCodec);
  const on = { wait() {}, silent() {}, bad() {}, other() {}, hangup() {} };

  it("refuses `message` together with `protocol` and `on`, and `on` without `protocol`", () => {
    assert.throws(() => serve({ port: 0, protocol: calc, on, message() {} } as never), /either `message` or `protocol` with `on`/);
    assert.throws(() => createHandler({ protocol: calc, on, message() {} } as never), /either `message` or `protocol` with `on`/);
    assert.throws(() => serve({ port: 0, on } as never), /`protocol` and `on` go together/);
    assert.throws(() => serve({ port: 0, protocol: calc, on: { wait() {} } } as never), /no handler for client message "silent"/);
  });

  it("routes validated messages, answers invalid ones by the `router` options", async () => {
    const server = serve({
      hostname: "127.0.0.1",
      port: 0,
      protocol: calc,
      on: { ...on, wait: (socket, msg) => void calc.send(socket, { type: "note", text: `waited ${msg.ms}` }) },
      router: { errorReply: (problem) => ({ type: "note", text: `refused: ${problem.type}` }) },
    });
    await server.ready;
    const ws = await connectTyped(`ws://127.0.0.1:${server.port}`, calc);
    try {
      const notes: string[] = [];
      ws.on("note", (m) => notes.push(m.text));
      ws.send({ type: "wait", ms: 5, n: 1 });
      ws.client.send('{"type":"wait","ms":"x"}');
      await until(() => notes.length === 2, "two notes");
      assert.deepEqual(notes, ["waited 5", "refused: wait"]);
    } finally {
      await ws.close();
      await server.shutdown({ timeout: 1000 });
    }
  });
});
