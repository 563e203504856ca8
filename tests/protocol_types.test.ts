/**
 * Compile-time guarantees of typed protocols. The `@ts-expect-error` lines
 * are checked by `npm run typecheck` (deno check and tsc): each must be a
 * type error, or the typecheck fails ("unused @ts-expect-error"). The
 * functions holding them are never called; the runtime test below checks
 * that the well-typed calls also behave.
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { z } from "zod";
import { createHandler, serve } from "./helpers/engine.ts";
import type { RequestError, Server, Socket } from "../mod.ts";
import { connectTyped, defineProtocol, InvalidReplyError, protocolError, router, unchecked } from "../src/protocol/mod.ts";
import type { ClientMessage, ClientMessageInput, ServerMessage, ServerMessageInput, TypedClient } from "../src/protocol/mod.ts";

const chat = defineProtocol({
  client: {
    greeting: z.object({ content: z.string() }),
    move: z.object({ x: z.number(), y: z.number().default(0) }),
    ping: unchecked<{ at: number }>(),
  },
  server: {
    response: z.object({ content: z.string() }),
    error: protocolError,
  },
});
type Chat = typeof chat;

/** Compile-time equality of two types. */
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2) ? true : false;
const proves = <T extends true>(): T => true as T;

// Received messages are the schemas' outputs, tagged; sent messages their inputs.
proves<Equal<ClientMessage<Chat, "greeting">, { type: "greeting"; content: string }>>();
proves<Equal<ClientMessage<Chat, "move">, { type: "move"; x: number; y: number }>>();
proves<Equal<ClientMessage<Chat, "ping">, { type: "ping"; at: number }>>();
proves<Equal<ServerMessage<Chat>, { type: "response"; content: string } | { type: "error"; error: string }>>();
proves<Equal<Extract<ClientMessageInput<Chat>, { type: "move" }>, { type: "move"; x: number; y?: number | undefined }>>();
proves<Equal<ServerMessageInput<Chat>, ServerMessage<Chat>>>();
// A message without fields (zod 4 types z.object({}) as Record<string, never>) is just its tag.
const empty = defineProtocol({ client: { leave: z.object({}) }, server: {} });
proves<Equal<ClientMessageInput<typeof empty>, { type: "leave" }>>();
proves<Equal<ClientMessage<typeof empty>, { type: "leave" }>>();

/** Sending through the protocol: only server messages, only right shapes. */
export function serverSendChecks(socket: Socket): void {
  chat.send(socket, { type: "response", content: "ok" });
  chat.send(socket, { type: "error", error: "ok" });
  // @ts-expect-error a client message cannot be sent by the server
  chat.send(socket, { type: "greeting", content: "x" });
  // @ts-expect-error wrong field type
  chat.send(socket, { type: "response", content: 1 });
  // @ts-expect-error missing field
  chat.send(socket, { type: "response" });
  // @ts-expect-error unknown message type
  chat.send(socket, { type: "nope", content: "x" });
  // @ts-expect-error excess field
  chat.send(socket, { type: "response", content: "x", extra: true });
}

/** Router handlers are typed per message and must cover every client message. */
export function routerChecks(server: Server): void {
  void server;
  router(chat, {
    greeting(socket, msg) {
      const content: string = msg.content;
      // @ts-expect-error greeting has no x
      void msg.x;
      chat.send(socket, { type: "response", content });
    },
    move(_socket, msg) {
      const sum: number = msg.x + msg.y; // y has its default: a number, not optional
      void sum;
    },
    ping(_socket, msg) {
      // @ts-expect-error at is a number (unchecked<T>: by type only)
      const at: string = msg.at;
      void at;
    },
  });
  // @ts-expect-error the handler for "ping" is missing
  router(chat, { greeting() {}, move() {} });
  // @ts-expect-error not a policy
  router(chat, { greeting() {}, move() {}, ping() {} }, { onInvalid: "ignore" });
  // @ts-expect-error errorReply must build a server message
  router(chat, { greeting() {}, move() {}, ping() {} }, { errorReply: (p) => ({ type: "oops", error: p.message }) });
}

/** A router written inline in serve<D>() gets the socket's data type from it. */
export function socketDataChecks(): void {
  serve<{ user: string }>({
    port: 0,
    message: router(chat, {
      greeting(socket, msg) {
        const user: string = socket.data.user;
        // @ts-expect-error socket.data has no id
        void socket.data.id;
        chat.send(socket, { type: "response", content: `${user}: ${msg.content}` });
      },
      move() {},
      ping() {},
    }),
  });
}

/** The typed client: client messages out, server messages in. */
export async function clientChecks(ws: TypedClient<Chat>): Promise<void> {
  ws.send({ type: "greeting", content: "hi" });
  ws.send({ type: "move", x: 1 });
  // @ts-expect-error the client cannot send a server message
  ws.send({ type: "response", content: "hi" });
  // @ts-expect-error wrong field type
  ws.send({ type: "move", x: "1" });
  ws.on("response", (msg) => {
    const content: string = msg.content;
    void content;
  });
  // @ts-expect-error the server never sends greeting
  ws.on("greeting", () => {});
  for await (const msg of ws) {
    if (msg.type === "error") {
      const error: string = msg.error;
      void error;
    } else {
      // @ts-expect-error narrowed to response: no error field
      void msg.error;
    }
  }
}

/** serve({ protocol, on }): handlers typed per message, all of them required, not with `message`. */
export function serveOnChecks(): void {
  serve({
    port: 0,
    protocol: chat,
    on: {
      greeting(socket, msg) {
        const content: string = msg.content;
        // @ts-expect-error greeting has no x
        void msg.x;
        chat.reply(socket, msg, { type: "response", content });
        // @ts-expect-error a reply is a server message
        chat.reply(socket, msg, { type: "greeting", content });
      },
      move(_socket, msg) {
        const sum: number = msg.x + msg.y;
        void sum;
      },
      ping() {},
    },
    router: { onInvalid: "close" },
  });
  // The socket's data type still comes from serve<D>() (or upgrade).
  serve<{ user: string }, Chat>({
    protocol: chat,
    on: {
      greeting(socket) {
        const user: string = socket.data.user;
        void user;
      },
      move() {},
      ping() {},
    },
  });
  // @ts-expect-error the handler for "ping" is missing
  serve({ protocol: chat, on: { greeting() {}, move() {} } });
  // @ts-expect-error an unknown message type
  serve({ protocol: chat, on: { greeting() {}, move() {}, ping() {}, nope() {} } });
  // @ts-expect-error `on` needs `protocol`
  serve({ on: { greeting() {} } });
  // @ts-expect-error `message` and `on` exclude each other
  serve({ protocol: chat, on: { greeting() {}, move() {}, ping() {} }, message() {} });
  // @ts-expect-error not a policy
  createHandler({ protocol: chat, on: { greeting() {}, move() {}, ping() {} }, router: { onInvalid: "ignore" } });
  // The plain form is untouched: msg is a Message.
  serve({ port: 0, message: (socket, msg) => socket.send(msg.text()) });
}

/** Typed request/reply: client messages out, the reply typed by `reply`. */
export async function requestChecks(ws: TypedClient<Chat>): Promise<void> {
  const any = await ws.request({ type: "greeting", content: "hi" });
  proves<Equal<typeof any, ServerMessage<Chat>>>();
  const response = await ws.request({ type: "greeting", content: "hi" }, { reply: "response", timeout: 1000 });
  proves<Equal<typeof response, ServerMessage<Chat, "response">>>();
  const either = await ws.request({ type: "move", x: 1 }, { reply: ["response", "error"] });
  proves<Equal<typeof either, ServerMessage<Chat>>>();
  // @ts-expect-error a request is a client message
  await ws.request({ type: "response", content: "hi" });
  // @ts-expect-error wrong field type
  await ws.request({ type: "greeting", content: 1 });
  // @ts-expect-error the server never sends greeting
  await ws.request({ type: "greeting", content: "hi" }, { reply: "greeting" });
  // @ts-expect-error timeout is in ms
  await ws.request({ type: "greeting", content: "hi" }, { timeout: "1s" });
  const typed = await connectTyped("ws://localhost:1", chat, { requestTimeout: 500, reconnect: true });
  const r = await typed.request({ type: "ping", at: 1 }, { reply: "error" });
  const error: string = r.error;
  void error;
  const closeCode: number | undefined = typed.client.closeCode; // the untyped client stays reachable
  void closeCode;
  const err: RequestError = new InvalidReplyError("x", { kind: "validation", message: "m", issues: [] });
  void err;
}

describe("protocol types", () => {
  it("well-typed calls behave as their types say", () => {
    const sent: (string | Uint8Array)[] = [];
    chat.send({ send: (d) => sent.push(d) }, { type: "response", content: "ok" });
    assert.deepEqual(sent, ['{"type":"response","content":"ok"}']);
    const decoded = chat.decodeClientMessage('{"type":"move","x":1}');
    assert.ok(!(decoded instanceof Promise) && decoded.ok);
    assert.deepEqual(decoded.message, { type: "move", x: 1, y: 0 });
    assert.equal(typeof router(chat, { greeting() {}, move() {}, ping() {} }), "function");
  });
});
