/**
 * Request/reply with a correlation id: out-of-order replies reach the
 * right callers, a missing reply rejects at its timeout, a close rejects
 * what is pending, the id field is configurable, and `socket.reply()`
 * copies the id on the server.
 */

import { afterEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { connect, Message, RequestError } from "../mod.ts";
import { replyText } from "../src/server/heartbeat.ts";
import type { Socket } from "../mod.ts";
import { PendingRequests } from "../src/client/pending_requests.ts";
import { RUNTIME } from "./helpers/runtime.ts";
import { nextMessage, startServer } from "./helpers/server.ts";
import type { TestServer } from "./helpers/server.ts";

let ts: TestServer | undefined;
afterEach(async () => {
  await ts?.stop();
  ts = undefined;
});

/** A server that answers `{ op: "wait", ms, n }` after `ms` with `{ n }`, ignores `{ op: "ignore" }`, and pushes on `{ op: "push" }`. */
function requestServer(idField = "id"): Promise<TestServer> {
  return startServer({
    message(socket: Socket<unknown>, msg: Message) {
      const req = msg.json<{ op: string; ms?: number; n?: number }>();
      if (req.op === "wait") setTimeout(() => socket.reply(msg, { n: req.n, doubled: (req.n ?? 0) * 2 }, idField), req.ms ?? 0);
      if (req.op === "push") socket.sendJson({ type: "news", id: "not-a-reply" });
    },
  });
}

describe(`request/reply on ${RUNTIME}`, () => {
  it("replies that come back out of order reach the right callers", async () => {
    ts = await requestServer();
    const c = await connect(ts.url);
    const replies = await Promise.all([
      c.request<{ n: number; doubled: number }>({ op: "wait", ms: 150, n: 1 }),
      c.request<{ n: number; doubled: number }>({ op: "wait", ms: 10, n: 2 }),
      c.request<{ n: number; doubled: number }>({ op: "wait", ms: 70, n: 3 }),
    ]);
    assert.deepEqual(replies.map((r) => [r.n, r.doubled]), [[1, 2], [2, 4], [3, 6]]);
    assert.ok(replies.every((r) => typeof (r as unknown as { id: string }).id === "string"));
    await c.close();
  });

  it("a request whose reply never comes rejects at its timeout; other messages still reach the app", async () => {
    ts = await requestServer();
    const c = await connect(ts.url);
    const started = Date.now();
    const err = await c.request({ op: "ignore" }, { timeout: 100 }).then(() => null, (e) => e);
    assert.ok(err instanceof RequestError);
    assert.equal(err.reason, "timeout");
    assert.match(err.message, /no reply within 100 ms/);
    assert.ok(Date.now() - started >= 95);
    c.sendJson({ op: "push" });
    assert.deepEqual((await nextMessage(c)).json(), { type: "news", id: "not-a-reply" });
    await c.close();
  });

  it("close rejects pending requests; a request after close rejects at once", async () => {
    ts = await requestServer();
    const c = await connect(ts.url);
    const pending = c.request({ op: "ignore" }, { timeout: 5000 });
    await c.close();
    await assert.rejects(pending, (e: unknown) => e instanceof RequestError && e.reason === "closed");
    await assert.rejects(c.request({ op: "wait" }), /closed/);
  });

  it("the id field name is configurable on both sides", async () => {
    ts = await requestServer("correlationId");
    const c = await connect(ts.url, { request: { idField: "correlationId", timeout: 2000 } });
    const reply = await c.request<{ n: number; correlationId: string }>({ op: "wait", n: 7 });
    assert.equal(reply.n, 7);
    assert.equal(typeof reply.correlationId, "string");
    await c.close();
  });

  it("request() wants a JSON object", async () => {
    ts = await requestServer();
    const c = await connect(ts.url);
    await assert.rejects(c.request([1, 2] as unknown as Record<string, unknown>), TypeError);
    await c.close();
  });

  it("replyText copies the id and refuses a request without one", () => {
    assert.equal(replyText(Message.from('{"id":"x-1","op":"a"}'), { ok: true }), '{"ok":true,"id":"x-1"}');
    assert.equal(replyText({ rid: 5 }, { ok: true }, "rid"), '{"ok":true,"rid":5}');
    assert.throws(() => replyText({ op: "a" }, { ok: true }), /has no "id" field/);
  });
});

describe("the request table both clients share (src/client/pending_requests.ts)", () => {
  const reasonOf = (p: Promise<unknown>) => p.then(() => "resolved", (err) => (err instanceof RequestError ? err.reason : `other: ${err}`));

  it("ids are its own; each request settles once, with its reply or a reason", async () => {
    const table = new PendingRequests<string>();
    const other = new PendingRequests();
    const [a, b, c, d] = [table.nextId(), table.nextId(), table.nextId(), table.nextId()];
    assert.equal(new Set([a, b, c, d]).size, 4);
    assert.ok(table.owns(a) && !other.owns(a) && !table.owns(other.nextId()) && !table.owns(7));
    const replyA = table.wait(a, 60_000, "meta-a");
    const replyB = table.wait(b, 60_000, "meta-b");
    const replyC = table.wait(c, 60_000, "meta-c");
    const reasonD = reasonOf(table.wait(d, 20, "meta-d"));
    assert.equal(table.size, 4);
    assert.equal(table.dataOf(b), "meta-b");
    assert.equal(table.resolve(a, { ok: true }), true);
    assert.equal(table.resolve(a, { ok: false }), false, "a second reply finds nothing");
    assert.deepEqual(await replyA, { ok: true });
    assert.equal(table.has(a), false);
    assert.equal(table.owns(a), true, "still its id after it settled: a late reply is recognised");
    table.dropped(b, "the queue let it go");
    assert.equal(await reasonOf(replyB), "dropped");
    assert.equal(await reasonD, "timeout");
    // Not sent: a drop of the connection leaves it waiting; the final close rejects it.
    table.rejectSent("the connection closed");
    assert.equal(table.has(c), true);
    table.rejectSent("the client closed", true);
    assert.equal(await reasonOf(replyC), "closed");
    assert.equal(table.size, 0);
  });

  it("only requests handed to a connection are rejected when it drops", async () => {
    const table = new PendingRequests();
    const [sent, queued] = [table.nextId(), table.nextId()];
    const replySent = table.wait(sent, 60_000, undefined);
    const replyQueued = table.wait(queued, 60_000, undefined);
    table.markSent(sent);
    table.rejectSent("the connection closed");
    assert.equal(await reasonOf(replySent), "closed");
    assert.equal(table.has(queued), true);
    table.markAllSent();
    table.rejectSent("the connection closed again");
    assert.equal(await reasonOf(replyQueued), "closed");
  });
});
